"""How a record reads back: its JSON body, its computed cells, and its values in formulas
and sorts.

Airtable leaves empty cells out of ``fields`` entirely (an unchecked box, an empty
string, an empty list), so a reader cannot tell "cleared" from "not asked for" unless it
read the whole record; the emulator does the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import field_types
from .model import Base, Field, Record, Table, iso_timestamp


def stored_value(table: Table, field: Field, record: Record) -> Any | None:
    """The cell's stored value; computed fields are worked out from the record."""
    if field.type == "createdTime":
        return iso_timestamp(record.created_time)
    if field.type == "lastModifiedTime":
        referenced = (field.options or {}).get("referencedFieldIds") or [
            each.id for each in table.fields if not each.is_computed
        ]
        times = [record.modified[each] for each in referenced if each in record.modified]
        return iso_timestamp(max(times)) if times else None
    return record.cells.get(field.id)


def primary_text(base: Base, table_id: str, record_id: str) -> str:
    """What a link to this record shows: its primary field as text."""
    table = next((each for each in base.tables if each.id == table_id), None)
    record = table.records.get(record_id) if table else None
    if table is None or record is None:
        return record_id
    primary = table.primary_field
    value = stored_value(table, primary, record)
    if value is None:
        return ""
    if primary.type == "multipleRecordLinks":
        return ", ".join(value)
    return field_types.to_string(primary, value, time_zone=None)


def _links_text(base: Base, field: Field, record_ids: list[str]) -> str:
    linked_table = (field.options or {})["linkedTableId"]
    return ", ".join(primary_text(base, linked_table, each) for each in record_ids)


@dataclass(frozen=True)
class Shape:
    """How the caller asked to see records."""

    field_ids: frozenset[str] | None = None
    by_field_id: bool = False
    cell_format: str = "json"
    time_zone: str | None = None
    comment_count: bool = False


def record_body(base: Base, table: Table, record: Record, shape: Shape) -> dict[str, Any]:
    """A record as the API returns it: id, createdTime, and only its non-empty fields."""
    fields: dict[str, Any] = {}
    for field in table.fields:
        if shape.field_ids is not None and field.id not in shape.field_ids:
            continue
        value = stored_value(table, field, record)
        if value is None:
            continue
        key = field.id if shape.by_field_id else field.name
        if shape.cell_format == "string":
            if field.type == "multipleRecordLinks":
                fields[key] = _links_text(base, field, value)
            else:
                fields[key] = field_types.to_string(field, value, time_zone=shape.time_zone)
        else:
            fields[key] = field_types.to_json(field, value)
    body: dict[str, Any] = {
        "id": record.id,
        "createdTime": iso_timestamp(record.created_time),
        "fields": fields,
    }
    if shape.comment_count:
        body["commentCount"] = 0
    return body


class FormulaEnv:
    """A record seen from a formula: selects as names, links as their primary values."""

    def __init__(self, base: Base, table: Table, record: Record) -> None:
        self.base = base
        self.table = table
        self.record = record
        self.record_id = record.id

    def value(self, field_id: str) -> Any:
        field = next(each for each in self.table.fields if each.id == field_id)
        stored = stored_value(self.table, field, self.record)
        if stored is None:
            return False if field.type == "checkbox" else None
        if field.type in ("singleSelect", "multipleSelects"):
            return field_types.to_string(field, stored, time_zone=None)
        if field.type == "multipleRecordLinks":
            return _links_text(self.base, field, stored)
        return stored


def sort_key(base: Base, table: Table, field: Field, record: Record) -> tuple[Any, ...]:
    """Order within one field: empty first, selects in option order, text ignoring case."""
    stored = stored_value(table, field, record)
    if stored is None:
        return (0,)
    if field.type == "singleSelect":
        choice_ids = [choice["id"] for choice in (field.options or {}).get("choices", [])]
        return (1, choice_ids.index(stored) if stored in choice_ids else len(choice_ids))
    if field.type == "multipleSelects":
        return (1, field_types.to_string(field, stored, time_zone=None).casefold())
    if field.type == "multipleRecordLinks":
        return (1, _links_text(base, field, stored).casefold())
    if isinstance(stored, str):
        return (1, stored.casefold())
    return (1, stored)
