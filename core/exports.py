"""Which records' PHI a write sends to a backend: each is an ``export`` in the access log.

A workbook, a Google Sheet or an Airtable base is a copy of the records outside the store,
so putting a protected field there is a disclosure the access log has to show, like any
read or change. Only fields marked PHI count (an id written back or an Errors cell is not
one), and only what the write actually carries: a row appended with a record's fields, or
cells of an existing row that the store changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from clinicops.connectors.base import TableWrite
from clinicops.core.access import AccessEvent

EXPORT = "export"


def phi_written(tw: TableWrite, appended_ids: list[str], ref_ids: dict[Any, str]) -> dict[str, tuple[str, ...]]:
    """record id -> the PHI fields ``tw`` writes for it (appended rows, then changed cells)."""
    phi = {c.header: c.field for c in tw.spec.columns if c.phi}
    if not phi:
        return {}
    out: dict[str, set[str]] = {}
    for rid, cells in zip(appended_ids, tw.appends, strict=False):
        fields = {phi[h] for h, value in cells.items() if h in phi and value not in (None, "")}
        if fields:
            out.setdefault(rid, set()).update(fields)
    for ref, header, _value in tw.cells:
        rid = ref_ids.get(ref)
        if header in phi and rid is not None:
            out.setdefault(rid, set()).add(phi[header])
    return {rid: tuple(sorted(fields)) for rid, fields in sorted(out.items())}


def export_events(
    entity: str, written: dict[str, tuple[str, ...]], actor: str, source: str, role: str = "system"
) -> Iterator[AccessEvent]:
    """One ``export`` event per record whose PHI went to the backend (``source`` says how: ``sync:gsheets``)."""
    for rid, fields in written.items():
        yield AccessEvent(actor, role, source, EXPORT, entity, rid, fields)
