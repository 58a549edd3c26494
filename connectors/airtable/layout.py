"""Where each clinicops table lives in a base, and making it complete through the Meta API.

A :class:`Layout` is what the backend knows of one entity's table: how to name it in a
URL and the Airtable name of each of its columns. Names match the way sheet headers do
(ignoring case and spacing), so a field staff renamed from "First name" to "first Name"
is still the same column.

Laying out only ever adds: a missing table is created with every field, a missing field
is added, and nothing existing is renamed, retyped or dropped — fields staff added for
their own use stay exactly as they are. The Meta API cannot change select options, so a
value the drop-down lacks is written with ``typecast`` and Airtable adds the option.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyairtable import Api

from clinicops.connectors.base import ColumnSpec, TableSpec, normalize_header

from .fields import Style, field_body, table_body


@dataclass
class Layout:
    """One entity's table as found in the base; ``table`` is None while it does not exist."""

    table: str | None
    title: str
    names: dict[str, str] = field(default_factory=dict)  # normalized header -> Airtable field name
    others: list[str] = field(default_factory=list)  # the table's other fields (staff's own, renamed ones)

    def header(self, spec: TableSpec) -> list[str]:
        """The Airtable names of the spec's columns that exist, in the spec's order."""
        wanted = (normalize_header(h) for h in spec.headers())
        return [self.names[h] for h in wanted if h in self.names]

    def missing(self, spec: TableSpec) -> list[ColumnSpec | None]:
        """Columns to add (None stands for the Errors column)."""
        out: list[ColumnSpec | None] = [c for c in spec.columns if normalize_header(c.header) not in self.names]
        if normalize_header(spec.errors_header) not in self.names:
            out.append(None)
        return out

    def complete(self, spec: TableSpec) -> bool:
        return self.table is not None and not self.missing(spec)

    def name_of(self, header: str) -> str:
        """The Airtable field name for a spec header (the header itself once it is being added)."""
        return self.names.get(normalize_header(header), header)


def assumed(spec: TableSpec) -> Layout:
    """The layout clinicops itself creates: names as in the spec. Tried first, so a normal
    sync needs no schema request; a listing that fails on a name falls back to ``resolve``."""
    return Layout(spec.title, spec.title, {normalize_header(h): h for h in spec.headers()})


def resolve(spec: TableSpec, tables: list[dict[str, Any]]) -> Layout:
    """The layout of ``spec`` in a base whose Meta API ``tables`` are given."""
    wanted = normalize_header(spec.title)
    found = next((t for t in tables if t["name"] == spec.title), None)
    found = found or next((t for t in tables if normalize_header(t["name"]) == wanted), None)
    if found is None:
        return Layout(None, spec.title)
    names: dict[str, str] = {}
    for each in found["fields"]:
        names.setdefault(normalize_header(each["name"]), each["name"])
    ours = {normalize_header(h) for h in spec.headers()}
    others = [v for k, v in names.items() if k not in ours]
    return Layout(found["id"], found["name"], {k: v for k, v in names.items() if k in ours}, others)


def fetch_tables(api: Api, base_id: str) -> list[dict[str, Any]]:
    """``GET /v0/meta/bases/{id}/tables``: one request for every table and field."""
    return list(api.get(api.base(base_id).urls.tables)["tables"])


def ensure(api: Api, base_id: str, spec: TableSpec, tables: list[dict[str, Any]], style: Style) -> Layout:
    """Create the table or its missing fields; ``tables`` (the cached schema) is kept current."""
    layout = resolve(spec, tables)
    base = api.base(base_id)
    if layout.table is None:
        created = api.post(base.urls.tables, json=table_body(spec, style))
        tables.append(created)
        return resolve(spec, tables)
    entry = next(t for t in tables if t["id"] == layout.table)
    url = base.table(layout.table).urls.fields
    for column in layout.missing(spec):
        entry["fields"].append(api.post(url, json=field_body(column, spec, style)))
    return resolve(spec, tables)
