"""The Meta API: bases, tables and fields, created and described through the API itself.

Ids have Airtable's shapes (``app…``, ``tbl…``, ``fld…``, ``viw…``, ``sel…``). A table's
first field is its primary field; each table gets one grid view. A link field gets its
inverse field in the linked table, named after the linking table, as Airtable does.

Workspaces cannot be created through the API; the emulator accepts any non-empty
``workspaceId`` and records it on the base.
"""

from __future__ import annotations

from typing import Any

from . import errors
from .field_options import computed_options, create_options
from .model import COMPUTED_TYPES, Account, Base, Field, Table, View, new_id

#: Bases per page of ``GET /v0/meta/bases``, as Airtable pages them.
BASES_PER_PAGE = 1000

_FIELD_BODY = frozenset({"name", "type", "description", "options"})
_TABLE_BODY = frozenset({"name", "description", "fields"})


def _only_keys(body: dict[str, Any], allowed: frozenset[str]) -> None:
    for name in body:
        if name not in allowed:
            raise errors.invalid_request(f"Unknown parameter: {name}")


def _name(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise errors.invalid_request(f"{what} must be a non-empty string")
    return value


def _description(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 20000:
        raise errors.invalid_request("description must be a string of at most 20000 characters")
    return value or None


def list_bases(account: Account, params: dict[str, list[str]]) -> dict[str, Any]:
    """``GET /v0/meta/bases``: 1000 bases a page; ``pageSize`` is refused as Airtable does."""
    for name in params:
        if name != "offset":
            raise errors.invalid_request(f"Unknown parameter: {name}")
    bases = list(account.bases.values())
    start = 0
    if params.get("offset"):
        offset = params["offset"][0]
        if not offset.isdigit() or int(offset) > len(bases):
            raise errors.invalid_request("Invalid offset")
        start = int(offset)
    page = bases[start : start + BASES_PER_PAGE]
    body: dict[str, Any] = {
        "bases": [{"id": base.id, "name": base.name, "permissionLevel": base.permission_level} for base in page]
    }
    if start + BASES_PER_PAGE < len(bases):
        body["offset"] = str(start + BASES_PER_PAGE)
    return body


def _new_field(base: Base, table: Table, spec: object) -> Field:
    """A field from its write shape, validated against the table it joins."""
    if not isinstance(spec, dict):
        raise errors.invalid_request("each field must be an object")
    _only_keys(spec, _FIELD_BODY)
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip() or table.has_field_name(name):
        raise errors.duplicate_field_name(name if isinstance(name, str) else "")
    options = create_options(
        table.name,
        name,
        spec.get("type"),
        spec.get("options"),
        table_ids=lambda: {each.id for each in base.tables},
    )
    return Field(
        id=new_id("fld"),
        name=name,
        type=str(spec["type"]),
        options=options,
        description=_description(spec.get("description")),
    )


def _add_inverse_link(base: Base, table: Table, field: Field) -> None:
    """Give a new link field its counterpart in the linked table (not for self-links)."""
    assert field.options is not None
    linked = next(each for each in base.tables if each.id == field.options["linkedTableId"])
    if linked is table:
        return
    name = table.name
    suffix = 2
    while linked.has_field_name(name):
        name = f"{table.name} {suffix}"
        suffix += 1
    inverse = Field(
        id=new_id("fld"),
        name=name,
        type="multipleRecordLinks",
        options={
            "linkedTableId": table.id,
            "isReversed": False,
            "prefersSingleRecordLink": False,
            "inverseLinkFieldId": field.id,
        },
    )
    linked.fields.append(inverse)
    field.options["inverseLinkFieldId"] = inverse.id


def _new_table(base: Base, spec: object) -> Table:
    if not isinstance(spec, dict):
        raise errors.invalid_request("each table must be an object")
    _only_keys(spec, _TABLE_BODY)
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip() or base.has_table_name(name):
        raise errors.duplicate_table_name(name if isinstance(name, str) else "")
    specs = spec.get("fields")
    if not isinstance(specs, list) or not specs:
        raise errors.invalid_request(f"Table {name} needs at least one field")
    table = Table(
        id=new_id("tbl"),
        name=name,
        fields=[],
        views=[View(id=new_id("viw"), name="Grid view")],
        description=_description(spec.get("description")),
    )
    links: list[Field] = []
    for field_spec in specs:
        field = _new_field(base, table, field_spec)
        table.fields.append(field)
        if field.type == "multipleRecordLinks":
            links.append(field)
    base.tables.append(table)
    for field in links:
        _add_inverse_link(base, table, field)
    return table


def create_base(account: Account, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v0/meta/bases``: ``{name, workspaceId, tables}`` → ``{id, tables}``."""
    _only_keys(body, frozenset({"name", "workspaceId", "tables"}))
    workspace_id = body.get("workspaceId")
    if not isinstance(workspace_id, str) or not workspace_id:
        raise errors.ApiError(422, "INVALID_REQUEST", "workspaceId is required")
    name = _name(body.get("name"), "name")
    tables = body.get("tables")
    if not isinstance(tables, list) or not tables:
        raise errors.invalid_request("A base needs at least one table")
    base = Base(id=new_id("app"), name=name, workspace_id=workspace_id)
    for spec in tables:
        _new_table(base, spec)
    while base.id in account.bases:
        base.id = new_id("app")
    account.bases[base.id] = base
    return {"id": base.id, "tables": [table.schema() for table in base.tables]}


def _include(params: dict[str, list[str]]) -> list[str]:
    for name in params:
        if name not in ("include", "include[]"):
            raise errors.invalid_request(f"Unknown parameter: {name}")
    included = params.get("include", []) + params.get("include[]", [])
    for value in included:
        if value != "visibleFieldIds":
            raise errors.invalid_request(f"Unknown include: {value}")
    return included


def base_schema(base: Base, params: dict[str, list[str]]) -> dict[str, Any]:
    """``GET /v0/meta/bases/{baseId}/tables``."""
    visible = "visibleFieldIds" in _include(params)
    return {"tables": [table.schema(visible_field_ids=visible) for table in base.tables]}


def create_table(base: Base, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v0/meta/bases/{baseId}/tables``."""
    return _new_table(base, body).schema()


def update_table(base: Base, table: Table, body: dict[str, Any]) -> dict[str, Any]:
    """``PATCH /v0/meta/bases/{baseId}/tables/{table}``: name and/or description."""
    _only_keys(body, frozenset({"name", "description"}))
    if "name" not in body and "description" not in body:
        raise errors.invalid_request("Give a name or a description")
    if "name" in body:
        name = body["name"]
        taken = isinstance(name, str) and any(
            other is not table and other.name.casefold() == name.casefold() for other in base.tables
        )
        if not isinstance(name, str) or not name.strip() or taken:
            raise errors.duplicate_table_name(name if isinstance(name, str) else "")
        table.name = name
    if "description" in body:
        table.description = _description(body["description"])
    return table.schema()


def create_field(base: Base, table: Table, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /v0/meta/bases/{baseId}/tables/{table}/fields``."""
    field = _new_field(base, table, body)
    table.fields.append(field)
    if field.type == "multipleRecordLinks":
        _add_inverse_link(base, table, field)
    return field.schema()


def update_field(table: Table, field_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """``PATCH .../fields/{fieldId}``: name and/or description (options are not updated)."""
    _only_keys(body, frozenset({"name", "description"}))
    field = next((each for each in table.fields if each.id == field_id), None)
    if field is None:
        raise errors.route_not_found()
    if "name" not in body and "description" not in body:
        raise errors.invalid_request("Give a name or a description")
    if "name" in body:
        name = body["name"]
        taken = isinstance(name, str) and any(
            other is not field and other.name.casefold() == name.casefold() for other in table.fields
        )
        if not isinstance(name, str) or not name.strip() or taken:
            raise errors.duplicate_field_name(name if isinstance(name, str) else "")
        field.name = name
    if "description" in body:
        field.description = _description(body["description"])
    return field.schema()


def add_computed_field(table: Table, name: str, field_type: str, referenced_fields: list[str] | None = None) -> Field:
    """Add a created-time or last-modified-time field, as staff do in Airtable's UI.

    The Web API cannot create these types (it answers ``UNSUPPORTED_FIELD_TYPE_FOR_CREATE``),
    yet bases have them; this is the emulator's stand-in for the UI.
    """
    if field_type not in COMPUTED_TYPES:
        raise ValueError(f"{field_type} is not a computed type the emulator models")
    if not name.strip() or table.has_field_name(name):
        raise ValueError(f"field name {name!r} is empty or taken")
    referenced = [table.get_field(each).id for each in referenced_fields or []]
    field = Field(
        id=new_id("fld"),
        name=name,
        type=field_type,
        options=computed_options(field_type, referenced),
    )
    table.fields.append(field)
    return field


def delete_field(table: Table, name: str) -> None:
    """Delete a field and its values, as staff do in Airtable's UI (the Web API cannot)."""
    field = table.get_field(name)
    if field is table.primary_field:
        raise ValueError("the primary field cannot be deleted")
    table.fields.remove(field)
    for record in table.records.values():
        record.cells.pop(field.id, None)
        record.modified.pop(field.id, None)
