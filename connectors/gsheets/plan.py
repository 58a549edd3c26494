"""The engine's changes as the two write requests: one ``batchUpdate``, one values ``batchUpdate``.

Everything structural goes into the ``spreadsheets:batchUpdate``, in this order per tab:
new tab or columns and their look, rows deleted (bottom up), blank rows inserted for new
records, the tab's native charts drawn over its rows where they now stand (a tab clinicops
owns, such as the Dashboard; see :mod:`.charts`), then error notes. The values
``batchUpdate`` (RAW) follows and writes headers,
changed cells and new rows at the positions the structural changes left them in, so
the engine's row numbers (as read) are mapped once, here, through deletions and
insertions.

Requests are kept under about 2 MB, Google's advice for a request that must finish in
time; only a very large write (a first export of tens of thousands of records into an
empty sheet) needs more than one values request, each of them a whole set of rows.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from clinicops.connectors.base import ColumnSpec, TableSpec, TableWrite, normalize_header

from . import charts, layout
from .state import Tab
from .values import anchor, json_size, to_cell

#: Estimated JSON bytes per request before it is split.
REQUEST_BUDGET = 1_800_000


@dataclass
class Block:
    """New rows written as one rectangle: ``rows`` start at sheet row ``row``, column ``col``."""

    title: str
    row: int
    col: int
    rows: list[list[Any]]


@dataclass
class WritePlan:
    batch: list[dict[str, Any]] = field(default_factory=list)
    cells: dict[str, dict[tuple[int, int], Any]] = field(default_factory=dict)  # title → (row, column) → value
    blocks: list[Block] = field(default_factory=list)
    appended: dict[str, list[Any]] = field(default_factory=dict)

    def cell(self, title: str, row: int, col: int, value: Any) -> None:
        self.cells.setdefault(title, {})[(row, col)] = value


def needs_structure(tabs: dict[str, Tab], writes: list[TableWrite], force: bool) -> bool:
    """True when the writes need tab ids (rows, notes, tabs, columns), not just A1 values."""
    if force:
        return True
    for tw in writes:
        tab = tabs.get(normalize_header(tw.spec.title))
        if tab is None or tw.deletes or tw.appends or tw.annotations is not None or tw.spec.charts:
            return True
        present = tab.columns()
        if any(normalize_header(h) not in present for h in tw.spec.headers()):
            return True
    return False


def plan_writes(
    tabs: dict[str, Tab],
    writes: list[TableWrite],
    *,
    force: bool,
    new_sheet_id: Callable[[], int],
) -> WritePlan:
    """Both write requests for ``writes`` against the tabs as read (``tabs`` is updated)."""
    plan = WritePlan()
    for tw in writes:
        _plan_table(plan, tabs, tw, force, new_sheet_id)
    return plan


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive numbers as (first, last) pairs."""
    out: list[tuple[int, int]] = []
    for r in rows:
        if out and r == out[-1][1] + 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


def _plan_table(
    plan: WritePlan, tabs: dict[str, Tab], tw: TableWrite, force: bool, new_sheet_id: Callable[[], int]
) -> bool:
    """One table's share of both requests; True when its tab had to be created."""
    key = normalize_header(tw.spec.title)
    created = key not in tabs
    if created:
        tabs[key] = _new_tab(plan, tw.spec, new_sheet_id())
    tab = tabs[key]
    columns, added = _lay_out_columns(plan, tab, tw.spec, force, tabs)
    final, first_new = _move_rows(plan, tab, tw, columns, max(tab.used_rows, 1 if added else 0))
    for ref, header, value in tw.cells:
        row = final(ref)
        if row is not None:
            plan.cell(tab.title, row, columns[normalize_header(header)], to_cell(value))
    if tw.appends:
        _append_block(plan, tab.title, first_new, columns, tw.appends)
        plan.appended[tw.spec.entity] = list(range(first_new, first_new + len(tw.appends)))
    if tw.spec.charts:
        grid = charts.rows_after(tab, tw, columns, final, first_new, plan.cells.get(tab.title, {}))
        plan.batch.extend(charts.chart_requests(tab, tw, columns, grid))
    if tw.annotations is not None:
        _annotate(plan, tab, tw, columns, final)
    return created


def _new_tab(plan: WritePlan, spec: TableSpec, sheet_id: int) -> Tab:
    width = len(spec.headers())
    tab = Tab(
        spec.title,
        sheet_id=sheet_id,
        row_count=layout.DEFAULT_ROWS,
        column_count=max(layout.DEFAULT_COLUMNS, width),
        frozen_rows=1,
    )
    plan.batch.append(layout.add_sheet(tab.sheet_id, tab.title, tab.row_count, tab.column_count))
    return tab


def _lay_out_columns(
    plan: WritePlan, tab: Tab, spec: TableSpec, force: bool, tabs: dict[str, Tab]
) -> tuple[dict[str, int], bool]:
    """Add the spec's missing columns after the last header; existing ones never move.

    Returns the column map (normalized header → 0-based column) and whether any was added.
    ``force`` (``clinicops init``) also restores a missing protection or frozen header.
    """
    sid = tab.sheet_id
    columns = tab.columns()
    owned: list[tuple[int, str]] = []
    added: list[tuple[int, str, ColumnSpec | None]] = []
    next_col = len(tab.header)
    for column in [*spec.columns, None]:
        header = column.header if column is not None else spec.errors_header
        found = columns.get(normalize_header(header))
        if found is None:
            found = columns[normalize_header(header)] = next_col
            next_col += 1
            added.append((found, header, column))
        if column is None or column.plugin_owned:
            owned.append((found, header))
    if added:
        if next_col > tab.column_count:
            plan.batch.append(layout.append_columns(sid, next_col - tab.column_count))
            tab.column_count = next_col
        plan.batch.append(layout.header_cells(sid, added[0][0], [c for _, _, c in added]))
        tab.laid_out = columns
        for col, header, column in added:
            plan.cell(tab.title, 1, col, header)
            if column is not None:
                plan.batch.extend(layout.column_format(sid, col, column))
                if column.choices_from is not None:
                    plan.batch.extend(_reference_dropdown(sid, col, column, tabs))
    if added or force:
        for col, header in owned:
            if col not in tab.protected_columns:
                plan.batch.append(layout.protect_column(sid, col, header))
                tab.protected_columns.add(col)
        if tab.frozen_rows == 0:
            plan.batch.append(layout.freeze_header(sid))
            tab.frozen_rows = 1
    return columns, bool(added)


def _reference_dropdown(sid: int, col: int, column: ColumnSpec, tabs: dict[str, Tab]) -> list[dict[str, Any]]:
    """A drop-down of the target tab's ids, when that tab and its id column are known."""
    assert column.choices_from is not None
    title, header = column.choices_from
    target = tabs.get(normalize_header(title))
    if target is None:
        return []
    found = (target.laid_out or target.columns()).get(normalize_header(header))
    if found is None:
        return []
    return [layout.reference_list(sid, col, target.title, found)]


def _move_rows(
    plan: WritePlan, tab: Tab, tw: TableWrite, columns: dict[str, int], used: int
) -> tuple[Callable[[int], int | None], int]:
    """Delete rows (bottom up) and insert blank ones for new records after the last used row.

    Returns where a row as read ends up, and the row the first new record goes to.
    """
    sid = tab.sheet_id
    doomed = sorted({r for r in tw.deletes if 2 <= r <= used})
    for first, last in reversed(_runs(doomed)):
        plan.batch.append(layout.delete_rows(sid, first - 1, last))
    tab.row_count -= len(doomed)
    used -= len(doomed)
    gone = set(doomed)
    count = len(tw.appends)
    first_new = used + 1
    if count:
        plan.batch.append(layout.insert_rows(sid, used, used + count))
        tab.row_count += count
        for column in tw.spec.columns:
            col = columns[normalize_header(column.header)]
            plan.batch.extend(layout.column_format(sid, col, column, used, used + count))

    def final(row: int) -> int | None:
        if row in gone:
            return None
        row -= bisect.bisect_left(doomed, row)
        return row + count if count and row >= first_new else row

    return final, first_new


def _append_block(
    plan: WritePlan, title: str, first: int, columns: dict[str, int], appends: list[dict[str, Any]]
) -> None:
    positions = [{columns[normalize_header(h)]: to_cell(v) for h, v in row.items()} for row in appends]
    used = {c for row in positions for c in row}
    if not used:
        return
    lo, hi = min(used), max(used)
    rows = [[row.get(c) for c in range(lo, hi + 1)] for row in positions]
    plan.blocks.append(Block(title, first, lo, rows))


def _annotate(
    plan: WritePlan,
    tab: Tab,
    tw: TableWrite,
    columns: dict[str, int],
    final: Callable[[int], int | None],
) -> None:
    """Make clinicops' notes on this tab exactly the annotations: clear the rest, add the new."""
    ours = {}
    for (r0, c), info in tab.clinicops_notes().items():
        row = final(r0 + 1)
        if row is not None:
            ours[(row - 1, c)] = info
    formulas = set()
    for (r0, c), info in tab.cells.items():
        row = final(r0 + 1)
        if row is not None and info.entered is not None and "formulaValue" in info.entered:
            formulas.add((row - 1, c))
    wanted: dict[tuple[int, int], str] = {}
    for note in tw.annotations or []:
        row = final(note.row_ref)
        col = columns.get(normalize_header(note.header))
        if row is None or col is None or row < 2:
            continue
        key = (row - 1, col)
        if key not in wanted:
            wanted[key] = f"{layout.FORMULA_HINT}\n{note.message}" if key in formulas else note.message
        else:
            wanted[key] = f"{wanted[key]}\n{note.message}"
    for (r0, c), info in sorted(ours.items()):
        if (r0, c) not in wanted:
            plan.batch.append(layout.clear_note(tab.sheet_id, r0, c, layout.same_color(info.fill, layout.ERROR_FILL)))
    for (r0, c), message in sorted(wanted.items()):
        text = layout.NOTE_PREFIX + message
        have = ours.get((r0, c))
        if have is not None and have.note == text and layout.same_color(have.fill, layout.ERROR_FILL):
            continue
        plan.batch.append(layout.set_note(tab.sheet_id, r0, c, text))


# splitting into requests -------------------------------------------------------


def _entries(plan: WritePlan) -> Iterator[tuple[dict[str, Any], int]]:
    """Value ranges with their estimated size: single cells grouped into column runs, blocks split by rows."""
    for title, cells in plan.cells.items():
        by_col: dict[int, list[int]] = {}
        for row, col in cells:
            by_col.setdefault(col, []).append(row)
        for col, rows in sorted(by_col.items()):
            for first, last in _runs(sorted(rows)):
                yield from _split(title, first, col, [[cells[(r, col)]] for r in range(first, last + 1)])
    for block in plan.blocks:
        yield from _split(block.title, block.row, block.col, block.rows)


def _split(title: str, row: int, col: int, rows: list[list[Any]]) -> Iterator[tuple[dict[str, Any], int]]:
    start, size = 0, 0
    for i, values in enumerate(rows):
        line = 4 + sum(json_size(v) + 2 for v in values)
        if size and size + line > REQUEST_BUDGET:
            yield {"range": anchor(title, row + start, col), "values": rows[start:i]}, size
            start, size = i, 0
        size += line
    if start < len(rows):
        yield {"range": anchor(title, row + start, col), "values": rows[start:]}, size


def value_requests(plan: WritePlan) -> list[list[dict[str, Any]]]:
    """The values ``batchUpdate`` bodies' ``data`` lists, each within the budget."""
    return _pack(_entries(plan))


def batch_requests(plan: WritePlan) -> list[list[dict[str, Any]]]:
    """The ``spreadsheets:batchUpdate`` request lists, in order, each within the budget."""
    return _pack((r, len(json.dumps(r))) for r in plan.batch)


def _pack(items: Iterable[tuple[dict[str, Any], int]]) -> list[list[dict[str, Any]]]:
    out: list[list[dict[str, Any]]] = []
    size = 0
    for item, item_size in items:
        if not out or (size and size + item_size > REQUEST_BUDGET):
            out.append([])
            size = 0
        out[-1].append(item)
        size += item_size + 100
    return out
