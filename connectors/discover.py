"""Every tab of a backend as it is, before clinicops knows which entity each one holds.

``clinicops adopt`` starts here: the names of the tabs (Airtable tables) and, read
through the backend's ordinary ``read``, their headers and rows. Nothing is written.
"""

from __future__ import annotations

from clinicops.connectors.base import Backend, ColumnSpec, SheetTable, TableSpec


def probe_spec(title: str, fields: list[str]) -> TableSpec:
    """A spec that asks for a tab's columns as they are, every one read as text."""
    columns = tuple(ColumnSpec(header=h, field=h, kind="string") for h in fields)
    return TableSpec(entity=f"tab:{title}", title=title, primary_key="", columns=columns)


def read_tabs(backend: Backend) -> dict[str, SheetTable]:
    """Every tab with its header and rows, in one read."""
    specs = [probe_spec(title, fields) for title, fields in backend.list_tables().items()]
    tables = backend.read(specs)
    return {s.title: table for s in specs if (table := tables.get(s.entity)) is not None}
