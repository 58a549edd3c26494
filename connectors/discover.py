"""Every tab of a backend as it is, before clinicops knows which entity each one holds.

``clinicops adopt`` starts here: the names of the tabs (Airtable tables) and, read
through the backend's ordinary ``read``, their headers and rows. Nothing is written.
"""

from __future__ import annotations

from typing import Any

from python_calamine import CalamineWorkbook

from clinicops.connectors.base import BackendError, ColumnSpec, SheetTable, TableSpec


def tab_fields(backend: Any) -> dict[str, list[str]]:
    """Tab title -> the field names the backend lists for it (empty where the read finds the header)."""
    kind = backend.key.split(":", 1)[0]
    if kind == "xlsx":
        if not backend.path.exists():
            raise BackendError(f"{backend.path} does not exist; give the path of the practice's workbook")
        return {name: [] for name in CalamineWorkbook.from_path(str(backend.path)).sheet_names}
    if kind == "gsheets":
        from clinicops.connectors.gsheets.state import METADATA_FIELDS

        meta = backend.api.metadata(METADATA_FIELDS)
        return {s["properties"]["title"]: [] for s in meta.get("sheets", [])}
    if kind == "airtable":
        from clinicops.connectors.airtable.layout import fetch_tables

        return {t["name"]: [f["name"] for f in t["fields"]] for t in fetch_tables(backend.api, backend.base_id)}
    raise BackendError(f"clinicops cannot list the tabs of a {kind} backend")


def probe_spec(title: str, fields: list[str]) -> TableSpec:
    """A spec that asks for a tab's columns as they are, every one read as text."""
    columns = tuple(ColumnSpec(header=h, field=h, kind="string") for h in fields)
    return TableSpec(entity=f"tab:{title}", title=title, primary_key="", columns=columns)


def read_tabs(backend: Any) -> dict[str, SheetTable]:
    """Every tab with its header and rows, in one read."""
    specs = [probe_spec(title, fields) for title, fields in tab_fields(backend).items()]
    tables = backend.read(specs)
    return {s.title: table for s in specs if (table := tables.get(s.entity)) is not None}
