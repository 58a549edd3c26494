"""The data an Airtable account holds: bases, their tables, fields, views and records.

Plain containers with lookups; what a value may be is decided in ``field_types``, what
the API does with records in ``records`` and with schemas in ``meta``. Cells are keyed by
field id, so renaming a field keeps its values, as in Airtable.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import errors

_ID_ALPHABET = string.ascii_letters + string.digits

#: Field types whose values Airtable computes; the API refuses writes to them.
COMPUTED_TYPES = frozenset({"createdTime", "lastModifiedTime"})


def new_id(prefix: str) -> str:
    """An Airtable-shaped id: a three-letter prefix and 14 letters or digits."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(14))


def iso_timestamp(moment: datetime) -> str:
    """Airtable's timestamp form: UTC, milliseconds, ``Z`` (``2026-03-01T09:30:00.000Z``)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Field:
    """A column. ``options`` is kept in Airtable's read shape (choices carry ids)."""

    id: str
    name: str
    type: str
    options: dict[str, Any] | None = None
    description: str | None = None

    @property
    def is_computed(self) -> bool:
        return self.type in COMPUTED_TYPES

    def schema(self) -> dict[str, Any]:
        """The field as the Meta API describes it."""
        body: dict[str, Any] = {"id": self.id, "name": self.name, "type": self.type}
        if self.description:
            body["description"] = self.description
        if self.options is not None:
            body["options"] = self.options
        return body


@dataclass
class View:
    """A view. Every table has one grid view that shows all records in creation order."""

    id: str
    name: str
    type: str = "grid"


@dataclass
class Record:
    """A row: non-empty cells by field id, and when each field last changed."""

    id: str
    created_time: datetime
    cells: dict[str, Any] = field(default_factory=dict)
    modified: dict[str, datetime] = field(default_factory=dict)


@dataclass
class Table:
    """A table; its first field is the primary field. Records keep creation order."""

    id: str
    name: str
    fields: list[Field]
    views: list[View]
    description: str | None = None
    records: dict[str, Record] = field(default_factory=dict)

    @property
    def primary_field(self) -> Field:
        return self.fields[0]

    def find_field(self, id_or_name: str) -> Field | None:
        """A field by id, else by exact name."""
        for candidate in self.fields:
            if candidate.id == id_or_name:
                return candidate
        for candidate in self.fields:
            if candidate.name == id_or_name:
                return candidate
        return None

    def get_field(self, id_or_name: str) -> Field:
        """A field by id or name, or the API's unknown-field error."""
        found = self.find_field(id_or_name)
        if found is None:
            raise errors.unknown_field(id_or_name)
        return found

    def has_field_name(self, name: str) -> bool:
        """Whether a field already uses ``name``; Airtable compares names ignoring case."""
        return any(candidate.name.casefold() == name.casefold() for candidate in self.fields)

    def find_view(self, id_or_name: str) -> View | None:
        for view in self.views:
            if id_or_name in (view.id, view.name):
                return view
        return None

    def schema(self, *, visible_field_ids: bool = False) -> dict[str, Any]:
        """The table as the Meta API describes it."""
        views = []
        for view in self.views:
            described: dict[str, Any] = {"id": view.id, "name": view.name, "type": view.type}
            if visible_field_ids:
                described["visibleFieldIds"] = [each.id for each in self.fields]
            views.append(described)
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "primaryFieldId": self.primary_field.id,
            "fields": [each.schema() for each in self.fields],
            "views": views,
        }
        if self.description:
            body["description"] = self.description
        return body


@dataclass
class Base:
    """A base: its tables, in creation order. Any token may use any base."""

    id: str
    name: str
    workspace_id: str
    tables: list[Table] = field(default_factory=list)
    permission_level: str = "create"

    def find_table(self, id_or_name: str) -> Table | None:
        """A table by id, else by exact name."""
        for table in self.tables:
            if table.id == id_or_name:
                return table
        for table in self.tables:
            if table.name == id_or_name:
                return table
        return None

    def get_table(self, id_or_name: str) -> Table:
        """A table by id or name, or the API's table-not-found error."""
        found = self.find_table(id_or_name)
        if found is None:
            raise errors.table_not_found(id_or_name, self.id)
        return found

    def has_table_name(self, name: str) -> bool:
        return any(table.name.casefold() == name.casefold() for table in self.tables)


@dataclass
class Account:
    """Everything the emulator holds: the bases, in creation order."""

    bases: dict[str, Base] = field(default_factory=dict)

    def get_base(self, base_id: str) -> Base:
        """A base by id; Airtable answers 403 for a base it will not show."""
        found = self.bases.get(base_id)
        if found is None:
            raise errors.model_not_found()
        return found
