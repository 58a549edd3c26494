"""What one read learned about the spreadsheet, and what the write that follows relies on.

A read is two requests. ``values:batchGet`` comes first, naming the tabs by title: it
returns every value (unformatted, dates as serials, a formula as its text) and echoes
each tab's title. The metadata read comes second and asks, through ``ranges`` and a
field mask, for grid data of only the cells that need a closer look:

- the header row of each tab (which also makes the answer carry every tab's id, size,
  frozen rows and protected ranges);
- rows whose Errors cell is filled: clinicops put error notes only there, so that is
  where it finds the notes it may have to clear, told from staff notes by their prefix;
- cells of data columns whose text starts with ``=`` or ``'``: only the cell's entered
  value says whether it is a live formula or text stored RAW.

Asking for the whole grid instead would cost time and bytes in proportion to the sheet.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from clinicops.connectors.base import SheetRow, SheetTable, TableSpec, normalize_header

from .layout import NOTE_PREFIX, PROTECTION_PREFIX
from .values import Formula, quote_title

#: At most this many row ranges per tab in the metadata read; nearby ones are merged beyond it.
MAX_RANGES_PER_TAB = 20
TAB_FIELDS = (
    "properties(sheetId,title,gridProperties(rowCount,columnCount,frozenRowCount)),protectedRanges(range,description),"
    "charts(chartId,spec(title))"
)
CELL_FIELDS = "data(startRow,startColumn,rowData.values(note,userEnteredValue,userEnteredFormat.backgroundColor))"
METADATA_FIELDS = f"sheets({TAB_FIELDS})"
METADATA_WITH_CELLS = f"sheets({TAB_FIELDS},{CELL_FIELDS})"


@dataclass(frozen=True, slots=True)
class CellInfo:
    """What the metadata read returned for one cell."""

    note: str = ""
    fill: dict[str, Any] | None = None
    entered: dict[str, Any] | None = None


@dataclass
class Tab:
    """One tab: its identity and size, the values read, and the cells looked at closely."""

    title: str
    sheet_id: int = -1
    row_count: int = 0
    column_count: int = 0
    frozen_rows: int = 0
    values: list[list[Any]] = field(default_factory=list)
    cells: dict[tuple[int, int], CellInfo] = field(default_factory=dict)  # 0-based (row, column)
    protected_columns: set[int] = field(default_factory=set)
    laid_out: dict[str, int] = field(default_factory=dict)  # columns once this write's new ones are added
    charts: dict[int, str] = field(default_factory=dict)  # chart id -> title, of the charts on the tab

    @property
    def header(self) -> list[str]:
        first = self.values[0] if self.values else []
        return [str(h).strip() if h not in (None, "") else "" for h in first]

    @property
    def used_rows(self) -> int:
        """Rows up to the last one holding any value (the header included)."""
        return len(self.values)

    def columns(self) -> dict[str, int]:
        """Normalized header → 0-based column; the first of repeated headers wins."""
        out: dict[str, int] = {}
        for i, h in enumerate(self.header):
            if h:
                out.setdefault(normalize_header(h), i)
        return out

    def clinicops_notes(self) -> dict[tuple[int, int], CellInfo]:
        """Error notes clinicops wrote on data rows (0-based positions)."""
        return {pos: c for pos, c in self.cells.items() if pos[0] >= 1 and c.note.startswith(NOTE_PREFIX)}


def data_columns(tab: Tab, spec: TableSpec) -> list[int]:
    """Columns holding the spec's fields (by header or field name, as the engine matches them)."""
    index = tab.columns()
    found = []
    for c in spec.columns:
        col = index.get(normalize_header(c.header), index.get(normalize_header(c.field)))
        if col is not None:
            found.append(col)
    return sorted(set(found))


def rows_to_check(tab: Tab, spec: TableSpec) -> set[int]:
    """1-based rows whose cells the metadata read must return (see the module docstring)."""
    rows = {1}
    errors = tab.columns().get(normalize_header(spec.errors_header))
    cols = data_columns(tab, spec)
    for number, values in enumerate(tab.values[1:], start=2):
        width = len(values)
        if errors is not None and errors < width and values[errors] not in ("", None):
            rows.add(number)
            continue
        for col in cols:
            if col < width:
                value = values[col]
                if value.__class__ is str and value[:1] in ("=", "'"):
                    rows.add(number)
                    break
    return rows


def row_ranges(title: str, rows: set[int], limit: int = MAX_RANGES_PER_TAB) -> list[str]:
    """A1 row ranges covering ``rows``, merging the closest runs until there are at most ``limit``."""
    runs: list[list[int]] = []
    for row in sorted(rows):
        if runs and row == runs[-1][1] + 1:
            runs[-1][1] = row
        else:
            runs.append([row, row])
    while len(runs) > limit:
        gaps = [runs[i + 1][0] - runs[i][1] for i in range(len(runs) - 1)]
        i = gaps.index(min(gaps))
        runs[i : i + 2] = [[runs[i][0], runs[i + 1][1]]]
    quoted = quote_title(title)
    return [f"{quoted}!{start}:{end}" for start, end in runs]


def apply_metadata(tabs: dict[str, Tab], answer: dict[str, Any]) -> dict[str, Tab]:
    """Fill tabs (by normalized title) with ids, sizes, protections and the cells returned.

    Tabs the answer names but ``tabs`` lacks are added without values: the caller learns
    which tabs exist (the full list comes only when the read asked for every tab).
    """
    for sheet in answer.get("sheets", []):
        props = sheet.get("properties", {})
        title = str(props.get("title", ""))
        tab = tabs.setdefault(normalize_header(title), Tab(title))
        tab.title = title
        grid = props.get("gridProperties", {})
        tab.sheet_id = int(props.get("sheetId", 0))
        tab.row_count = int(grid.get("rowCount", 0))
        tab.column_count = int(grid.get("columnCount", 0))
        tab.frozen_rows = int(grid.get("frozenRowCount", 0))
        tab.charts = {int(c["chartId"]): str((c.get("spec") or {}).get("title", "")) for c in sheet.get("charts", [])}
        for protected in sheet.get("protectedRanges", []):
            rng = protected.get("range", {})
            if str(protected.get("description", "")).startswith(PROTECTION_PREFIX) and "startColumnIndex" in rng:
                tab.protected_columns.update(range(rng["startColumnIndex"], rng.get("endColumnIndex", 0)))
        for grid_data in sheet.get("data", []):
            row0 = int(grid_data.get("startRow", 0))
            col0 = int(grid_data.get("startColumn", 0))
            for i, row in enumerate(grid_data.get("rowData", [])):
                for j, cell in enumerate(row.get("values", [])):
                    if cell:
                        tab.cells[(row0 + i, col0 + j)] = CellInfo(
                            note=str(cell.get("note", "")),
                            fill=(cell.get("userEnteredFormat") or {}).get("backgroundColor"),
                            entered=cell.get("userEnteredValue"),
                        )
    return tabs


def sheet_table(tab: Tab, spec: TableSpec) -> SheetTable:
    """The engine's view of a tab: rows padded to the header width, formulas marked.

    A cell of a data column whose entered value is a formula becomes a :class:`Formula`;
    text that merely starts with ``=`` is taken from the entered value, exactly as stored.
    """
    header = tab.header
    width = len(header)
    checked = set(data_columns(tab, spec))
    rows: list[SheetRow] = []
    for number, values in enumerate(tab.values[1:], start=2):
        if len(values) < width:
            values = [*values, *([""] * (width - len(values)))]
        rows.append(SheetRow(number=number, values=values, ref=number))
    for (r, c), info in tab.cells.items():
        if r < 1 or c not in checked or info.entered is None or r > len(rows):
            continue
        row = rows[r - 1]
        if "formulaValue" in info.entered:
            row.values = [*row.values]
            row.values[c] = Formula(str(info.entered["formulaValue"]))
        elif "stringValue" in info.entered:
            row.values = [*row.values]
            row.values[c] = info.entered["stringValue"]
    # Every cell as the engine will read it (a live formula differs from its text): an
    # unchanged tab is then skipped without looking at a row.
    digest = hashlib.md5(repr([header, *(r.values for r in rows)]).encode("utf-8"), usedforsecurity=False)
    return SheetTable(title=tab.title, header=header, rows=rows, digest=digest.hexdigest())
