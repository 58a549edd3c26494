"""Whether a tab's rows are still in the order the last sync left them.

Of two rows sharing an id, a row added below the tab's end since the last sync is the copy
(staff copy a row to the bottom, then edit the original). That rule means something only
while the rows above the old end are where the last sync left them: sort the tab after
copying a row and the original may land below the old end while the copy, edited into a
new patient, moves to the top. So each sync keeps the ids its tab's first rows show once
it has written (the *anchors*), and the next sync trusts the old end only when the first
rows still show those ids; otherwise which row is the copy is decided by content alone.
"""

from __future__ import annotations

from typing import Any

from clinicops.connectors.base import SheetRow
from clinicops.core.row_parser import clean_id
from clinicops.core.table_plan import TablePlan
from clinicops.core.write_plan import WriteDecision

ANCHORS = 20


def anchors(plan: TablePlan, decision: WriteDecision) -> list[str]:
    """The ids of the tab's first rows as this sync leaves them: typed, given to new rows, appended."""
    col = plan.read.pk_col
    table = plan.read.table
    if table is None or col is None:
        return []
    minted: dict[int, str] | None = None  # row number -> the id this sync gave it, once a first row lacks one
    removed = set(decision.write.deletes)
    out: list[str] = []
    for row in table.rows:
        if row.ref in removed:
            continue
        rid = _id(row, col)
        if not rid:
            if minted is None:
                minted = {state.row.number: state.record_id for state in plan.inbound.rows if state.new}
            rid = minted.get(row.number, "")
        out.append(rid)
        if len(out) == ANCHORS:
            return out
    return [*out, *decision.appended_ids][:ANCHORS]


def kept(rows: list[SheetRow], col: int | None, stored: list[Any] | None) -> bool:
    """Whether the first rows show the ids the last sync left there (True when it kept none)."""
    if stored is None or col is None:
        return True
    return [_id(row, col) for row in rows[: len(stored)]] == list(stored)


def _id(row: SheetRow, col: int) -> str:
    return clean_id(row.values[col]) if col < len(row.values) else ""
