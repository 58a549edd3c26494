"""What each written tab holds once a write is done, as its digest, without reading it again.

Values go RAW, so the next read returns exactly what was sent (:func:`.values.to_cell`).
The tab after the write is therefore the tab as read with the write's own steps applied in
the order the API applies them: rows deleted, blank rows inserted after the last used row,
then the cells and new rows written at their final positions. Cells looked at closely by the
read (a staff formula, text stored RAW) move with their rows. The digest of that grid is the
digest the next read computes when nobody touched the tab, so the sync after a write skips
an untouched tab instead of parsing every row again (issue 15). A prediction that misses
(say the API trims a row differently) only costs that next sync a full read: the digest then
differs, and a differing digest always means the tab is read row by row.
"""

from __future__ import annotations

from typing import Any

from clinicops.connectors.base import TableWrite, normalize_header

from .plan import WritePlan
from .state import Tab, sheet_table


def digests_after(tabs: dict[str, Tab], writes: list[TableWrite], plan: WritePlan) -> dict[str, str]:
    """entity -> the digest of its tab once ``plan`` is applied, for every tab that existed when read."""
    out: dict[str, str] = {}
    for tw in writes:
        tab = tabs.get(normalize_header(tw.spec.title))
        if tab is None or not tab.values:
            continue  # created by this write, or read empty: the next read tells
        digest = sheet_table(_after(tab, tw, plan), tw.spec).digest
        if digest is not None:
            out[tw.spec.entity] = digest
    return out


def _after(tab: Tab, tw: TableWrite, plan: WritePlan) -> Tab:
    """The tab's values and closely read cells as the API leaves them after the write."""
    used = tab.used_rows
    doomed = {r for r in tw.deletes if 2 <= r <= used}
    kept = [n for n in range(1, used + 1) if n not in doomed]  # 1-based rows as read, in their new order
    values: list[list[Any]] = [tab.values[n - 1] for n in kept]
    values.extend([] for _ in tw.appends)
    moved = {old: new for new, old in enumerate(kept, start=1)}
    cells = {(moved[r + 1] - 1, c): info for (r, c), info in tab.cells.items() if r + 1 in moved}
    written = dict(plan.cells.get(tab.title, {}))
    for block in plan.blocks:
        if block.title == tab.title:
            for i, row in enumerate(block.rows):
                for j, value in enumerate(row):
                    written[(block.row + i, block.col + j)] = value
    for (row, col), value in written.items():
        while len(values) < row:
            values.append([])
        line = values[row - 1] = list(values[row - 1])
        line.extend([""] * (col + 1 - len(line)))
        line[col] = "" if value is None else value
        cells.pop((row - 1, col), None)
    return Tab(tab.title, values=_trimmed(values), cells=cells)


def _trimmed(values: list[list[Any]]) -> list[list[Any]]:
    """As the API returns a range: no trailing empty cells in a row, no trailing empty rows."""
    out = []
    for row in values:
        end = len(row)
        while end and row[end - 1] == "":
            end -= 1
        out.append(row[:end] if end < len(row) else row)
    while out and not out[-1]:
        out.pop()
    return out
