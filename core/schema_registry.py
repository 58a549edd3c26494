"""The practice's entities, read from JSON Schemas.

Built-in schemas ship in ``clinicops.schemas``; a practice adds fields or whole entities in a
``schemas/`` folder beside its ``practice.toml``; plugins add theirs through the
``register_schemas`` hook. Everything downstream (sheet layout, coercion, validation, merge
ownership, PHI masking) is driven by what is declared here, never by how a cell looks.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import fastjsonschema
from fastjsonschema import JsonSchemaValueException
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from clinicops.core.errors import ClinicopsError, NotFound

ERRORS_COLUMN = "Errors"

# Keywords coercion does not enforce, so the compiled fast check must.
_CONSTRAINTS = frozenset(
    {
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "multipleOf",
        "const",
    }
)


class UnknownEntity(NotFound, KeyError):
    """An entity name that no schema defines."""


class SchemaProblem(ClinicopsError, ValueError):
    """A schema file that cannot be used, with the file named."""


@dataclass(frozen=True)
class Field:
    """One column of an entity: its JSON Schema plus the ``x-`` keywords clinicops reads."""

    name: str
    schema: Mapping[str, Any]
    required: bool

    @property
    def title(self) -> str:
        return str(self.schema.get("x-title") or self.name.replace("_", " ").capitalize())

    @property
    def phi(self) -> bool:
        return bool(self.schema.get("x-phi"))

    @property
    def owner(self) -> str:
        return str(self.schema.get("x-owner", "staff"))

    @property
    def plugin_owned(self) -> bool:
        """Computed by a plugin (``x-owner: "plugin:NAME"``) or by the core (``"plugin"``): the store's value wins."""
        return self.owner == "plugin" or self.owner.startswith("plugin:")

    @property
    def owning_plugin(self) -> str | None:
        """The plugin that computes this field, when one declared it."""
        return self.owner.removeprefix("plugin:") if self.owner.startswith("plugin:") else None

    @property
    def ref(self) -> str | None:
        return self.schema.get("x-ref")

    @property
    def identifier(self) -> bool:
        """An identifier or code (``x-identifier``, a reference, an NPI, a billing code): typed
        digits are text (02134 stays 02134), so its column is laid out with the Text format."""
        return bool(self.schema.get("x-identifier")) or bool(self.ref) or self.kind in ("npi", "code")

    @property
    def enum(self) -> list[str] | None:
        values = self.schema.get("enum")
        return list(values) if values else None

    @property
    def kind(self) -> str:
        """A short name for the value's shape, used in messages and by connectors."""
        s = self.schema
        if s.get("enum"):
            return "enum"
        if s.get("type") == "array":
            return "list"
        return str(s.get("x-format") or s.get("format") or s.get("type", "string"))


@dataclass
class Entity:
    """A kind of record the practice keeps (patients, claims…) and its validators."""

    name: str
    schema: dict[str, Any]
    fields: list[Field] = field(default_factory=list)

    @classmethod
    def from_schema(cls, schema: dict[str, Any]) -> Entity:
        name = schema["title"]
        required = set(schema.get("required", []))
        props = schema.get("properties", {})
        fields = [Field(key, props[key], key in required) for key in _ordered(props)]
        return cls(name=name, schema=schema, fields=fields)

    @property
    def title(self) -> str:
        return str(self.schema.get("x-title") or self.name.replace("_", " ").capitalize())

    @cached_property
    def primary_key(self) -> str:
        """The id field's name; read once per row and cell in a sync, so kept once it is known."""
        return str(self.schema.get("x-primary-key", "id"))

    @property
    def id_prefix(self) -> str:
        return str(self.schema.get("x-id-prefix", self.name[:3].upper()))

    @cached_property
    def has_phi(self) -> bool:
        """Any field is PHI: asked once per changed record (its access-log entry), so kept once known."""
        return any(f.phi for f in self.fields)

    @cached_property
    def plugin_owned_fields(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields if f.plugin_owned)

    @property
    def computed_by_plugins(self) -> bool:
        """Every field is computed by a plugin: a tab only clinicops fills (Dashboard, Billing summary)."""
        return len(self.plugin_owned_fields) == len(self.fields)

    @cached_property
    def plugin_fields(self) -> dict[str, str]:
        """Field name -> the plugin that declared and computes it."""
        return {f.name: f.owning_plugin for f in self.fields if f.owning_plugin}

    @cached_property
    def by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    @cached_property
    def constraint_checks(self) -> dict[str, Callable[[Any], Any]]:
        """Each field's compiled check of what coercion cannot guarantee (patterns, ranges,
        lengths), for the fields that have such constraints.

        A check depends on the value alone, so a row parser that has seen a value pass once
        need not ask again; it raises ``JsonSchemaValueException`` for a value that fails.
        """
        checks = {}
        for name, prop in self.schema.get("properties", {}).items():
            constraints = {k: v for k, v in prop.items() if k in _CONSTRAINTS}
            if prop.get("type") == "array" and isinstance(prop.get("items"), dict):
                items = {k: v for k, v in prop["items"].items() if k in _CONSTRAINTS}
                if items:
                    constraints["items"] = items
            if constraints:
                checks[name] = fastjsonschema.compile(constraints)
        return checks

    @cached_property
    def required(self) -> frozenset[str]:
        """The fields every record must hold."""
        return frozenset(self.schema.get("required", []))

    @cached_property
    def fast_validate(self) -> Callable[[Mapping[str, Any]], None]:
        """A compiled check of what coercion cannot guarantee, for the common valid row.

        Coercion already gives every field its schema's type, enum member and format,
        so the check keeps only ``required`` and the constraint keywords (patterns, ranges,
        lengths); jsonschema with the whole schema gives the detailed error list when this
        check fails (it raises ``JsonSchemaValueException``). Each field's constraints are
        compiled by fastjsonschema (which speaks draft-07; the keywords kept are the same in
        both drafts) and checked only when the record holds the field; ``required`` is one
        set comparison. That is what one compiled whole-record check does, at half its cost:
        it copies the record's keys into a set for every record.
        """
        checks = list(self.constraint_checks.items())
        required = self.required

        def validate(record: Mapping[str, Any]) -> None:
            if not required <= record.keys():
                missing = sorted(required - record.keys())
                raise JsonSchemaValueException(f"data must contain {missing} properties", rule="required")
            for name, check in checks:
                if name in record:
                    check(record[name])

        return validate

    @cached_property
    def full_validator(self) -> Draft202012Validator:
        return Draft202012Validator(self.schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _ordered(props: Mapping[str, Any]) -> list[str]:
    """Columns in declared order, unless a field pins its place with ``x-order``."""
    keys = list(props)
    return sorted(keys, key=lambda k: (props[k].get("x-order", keys.index(k)), keys.index(k)))


class SchemaRegistry:
    """Every entity a practice syncs, built-in plus its own extensions."""

    def __init__(self, schemas: Iterable[dict[str, Any]] = ()) -> None:
        self._entities: dict[str, Entity] = {}
        for schema in schemas:
            self.add(schema)

    def add(self, schema: dict[str, Any], origin: str = "schema") -> None:
        """Add an entity, or extend one already known with more fields.

        An extension has the same ``title`` as a known entity; its properties are added
        (a practice cannot silently drop or retype a built-in field).
        """
        name = schema.get("title")
        if not isinstance(name, str) or not name:
            raise SchemaProblem(f"{origin}: a schema needs a 'title' naming the entity")
        if name in self._entities:
            self._entities[name] = Entity.from_schema(_extend(self._entities[name].schema, schema, origin))
            return
        if "properties" not in schema:
            raise SchemaProblem(f"{origin}: entity '{name}' has no properties")
        _check_meta(schema, origin)
        self._entities[name] = Entity.from_schema(copy.deepcopy(schema))

    def __getitem__(self, name: str) -> Entity:
        try:
            return self._entities[name]
        except KeyError:
            known = ", ".join(sorted(self._entities))
            raise UnknownEntity(f"unknown entity '{name}' (known: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._entities

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._entities.values())

    def names(self) -> list[str]:
        return list(self._entities)


def _check_meta(schema: dict[str, Any], origin: str) -> None:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise SchemaProblem(f"{origin}: not a valid JSON Schema: {exc.message}") from None


# What a practice may change about a field it did not define: how it is shown and found.
PRESENTATION = frozenset({"x-title", "x-header-aliases", "description", "x-order"})


def _extend(base: dict[str, Any], extra: dict[str, Any], origin: str) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, prop in extra.get("properties", {}).items():
        if key in merged["properties"]:
            if set(prop) - PRESENTATION:
                raise SchemaProblem(
                    f"{origin}: field '{key}' already exists in '{base['title']}'; a practice may re-title it "
                    f"({', '.join(sorted(PRESENTATION))}) or add fields, not change what it holds"
                )
            merged["properties"][key] = {**merged["properties"][key], **prop}
            continue
        merged["properties"][key] = prop
    merged["required"] = list(dict.fromkeys([*merged.get("required", []), *extra.get("required", [])]))
    _check_meta(merged, origin)
    return merged


def owned_by(schema: dict[str, Any], plugin: str) -> dict[str, Any]:
    """A plugin's schema with each field it computes marked as its own (``x-owner: "plugin:NAME"``).

    A plugin may only claim fields for itself: naming another plugin as owner is refused.
    """
    out = copy.deepcopy(schema)
    for key, prop in out.get("properties", {}).items():
        owner = prop.get("x-owner")
        if owner == "plugin":
            prop["x-owner"] = f"plugin:{plugin}"
        elif isinstance(owner, str) and owner.startswith("plugin:") and owner != f"plugin:{plugin}":
            raise SchemaProblem(
                f"plugin {plugin}: field '{key}' says it is owned by {owner}; a plugin owns only its own"
            )
    return out


def builtin_schemas() -> list[dict[str, Any]]:
    """The schemas shipped in ``clinicops.schemas``, in a stable order."""
    folder = resources.files("clinicops.schemas")
    files = sorted(p for p in folder.iterdir() if p.name.endswith(".schema.json"))
    return [json.loads(p.read_text(encoding="utf-8")) for p in files]


def load_folder(folder: Path) -> list[tuple[dict[str, Any], str]]:
    """A practice's own schema files, each with its path for error messages."""
    if not folder.is_dir():
        return []
    strays = sorted(p.name for p in folder.glob("*.json") if not p.name.endswith(".schema.json"))
    if strays:
        raise SchemaProblem(
            f"{folder / strays[0]}: schema files are read only when named NAME.schema.json; "
            f"rename it (for example to {strays[0].removesuffix('.json')}.schema.json)"
        )
    out = []
    for path in sorted(folder.glob("*.schema.json")):
        try:
            out.append((json.loads(path.read_text(encoding="utf-8")), str(path)))
        except json.JSONDecodeError as exc:
            raise SchemaProblem(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    return out
