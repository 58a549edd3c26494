"""Spreadsheets, sheets and cells as the emulator keeps them.

A cell is a dict holding only what a client can write (``userEnteredValue``,
``userEnteredFormat``, ``note``, ``dataValidation``); everything else is derived on read.
Cell dicts are never changed in place — a write stores a new dict — so a snapshot of a
sheet is a shallow copy of its cell map, which is what makes a batch cheap to roll back.
"""

from __future__ import annotations

import copy
import random
import secrets
from dataclasses import dataclass, field
from typing import Any

from clinicops.core.clock import SystemClock

from .a1 import CellSpan, format_cells, format_range, parse_cells, quote_title, split_range, unparsable
from .errors import ApiError, invalid
from .params import check_body, integer

#: Google's limit on cells across all sheets of one spreadsheet.
MAX_CELLS = 10_000_000
DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26
WRITABLE_CELL_FIELDS = ("userEnteredValue", "userEnteredFormat", "note", "dataValidation")

_ids = random.Random()


def new_spreadsheet_id() -> str:
    """A 44-character id in the alphabet Google uses for spreadsheet ids."""
    return secrets.token_urlsafe(33)


def now_rfc3339() -> str:
    """The current UTC time as Drive reports ``createdTime``/``modifiedTime``: Google's own clock, no practice's."""
    return SystemClock().now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


def random_id() -> int:
    """A positive 31-bit id, like the sheet and protected-range ids Google hands out."""
    return _ids.randint(1, 2**31 - 1)


@dataclass
class Sheet:
    """One tab: its properties (the API's ``SheetProperties``), cells, protections and charts."""

    properties: dict[str, Any]
    cells: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    protected_ranges: list[dict[str, Any]] = field(default_factory=list)
    charts: list[dict[str, Any]] = field(default_factory=list)  # EmbeddedChart resources anchored here

    @property
    def sheet_id(self) -> int:
        """The sheet's numeric id (``gid``)."""
        return int(self.properties["sheetId"])

    @property
    def title(self) -> str:
        """The tab name."""
        return str(self.properties["title"])

    @property
    def row_count(self) -> int:
        """Rows in the grid."""
        return int(self.properties["gridProperties"]["rowCount"])

    @property
    def column_count(self) -> int:
        """Columns in the grid."""
        return int(self.properties["gridProperties"]["columnCount"])

    def clone(self) -> Sheet:
        """A snapshot that later writes to either copy do not affect."""
        return Sheet(
            properties=copy.deepcopy(self.properties),
            cells=dict(self.cells),
            protected_ranges=copy.deepcopy(self.protected_ranges),
            charts=copy.deepcopy(self.charts),
        )

    def cell(self, row: int, col: int) -> dict[str, Any] | None:
        """The stored cell at a 0-based position, if any."""
        return self.cells.get((row, col))

    def put(self, row: int, col: int, cell: dict[str, Any]) -> None:
        """Store a cell; an empty cell is dropped so the map only holds content."""
        kept = {name: cell[name] for name in WRITABLE_CELL_FIELDS if cell.get(name) is not None}
        if kept:
            self.cells[(row, col)] = kept
        else:
            self.cells.pop((row, col), None)

    def drop_outside_grid(self) -> None:
        """Forget cells cut off when the grid shrinks."""
        rows, cols = self.row_count, self.column_count
        for key in [key for key in self.cells if key[0] >= rows or key[1] >= cols]:
            del self.cells[key]


@dataclass(frozen=True)
class Box:
    """A resolved range: a sheet and a half-open box of 0-based cells inside its grid."""

    sheet: Sheet
    start_row: int
    start_col: int
    end_row: int
    end_col: int
    single_cell: bool = False

    @property
    def a1(self) -> str:
        """The normalized A1 the API echoes, e.g. ``Patients!A1:Z1000``."""
        return format_range(self.sheet.title, self.start_row, self.start_col, self.end_row, self.end_col)


def exceeds_grid(sheet: Sheet, cells_text: str) -> ApiError:
    """The 400 Google answers for a range outside the sheet's grid."""
    return invalid(
        f"Range ({quote_title(sheet.title)}!{cells_text}) exceeds grid limits. "
        f"Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
    )


@dataclass
class Spreadsheet:
    """A spreadsheet: id, properties (title, locale...), and its sheets in tab order."""

    spreadsheet_id: str
    properties: dict[str, Any]
    sheets: list[Sheet] = field(default_factory=list)
    created_time: str = field(default_factory=now_rfc3339)
    modified_time: str = ""
    developer_metadata: list[dict[str, Any]] = field(default_factory=list)  # on the spreadsheet itself

    @property
    def url(self) -> str:
        """The browser URL Google reports in ``spreadsheetUrl``."""
        return f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit"

    def clone(self) -> Spreadsheet:
        """A snapshot for an all-or-nothing batch."""
        return Spreadsheet(
            spreadsheet_id=self.spreadsheet_id,
            properties=copy.deepcopy(self.properties),
            sheets=[sheet.clone() for sheet in self.sheets],
            created_time=self.created_time,
            modified_time=self.modified_time,
            developer_metadata=copy.deepcopy(self.developer_metadata),
        )

    def reindex(self) -> None:
        """Keep each sheet's ``index`` equal to its tab position."""
        for index, sheet in enumerate(self.sheets):
            sheet.properties["index"] = index

    def sheet_by_id(self, sheet_id: int) -> Sheet | None:
        """The sheet with this id, if any."""
        return next((s for s in self.sheets if s.sheet_id == sheet_id), None)

    def sheet_by_title(self, title: str) -> Sheet | None:
        """The sheet with this title; like Sheets, case-insensitive when not exact."""
        exact = next((s for s in self.sheets if s.title == title), None)
        if exact is not None:
            return exact
        folded = title.casefold()
        return next((s for s in self.sheets if s.title.casefold() == folded), None)

    def grid(self, sheet_id: int) -> Sheet:
        """The sheet a GridRange or DimensionRange names; 400 if it does not exist."""
        sheet = self.sheet_by_id(sheet_id)
        if sheet is None:
            raise invalid(f"No grid with id: {sheet_id}")
        return sheet

    def first_visible(self) -> Sheet:
        """The sheet an A1 range without a sheet name refers to."""
        return next((s for s in self.sheets if not s.properties.get("hidden")), self.sheets[0])

    def cell_count(self) -> int:
        """Cells across every grid, the quantity Google's 10 million limit counts."""
        return sum(s.row_count * s.column_count for s in self.sheets)

    def check_cell_limit(self) -> None:
        """Refuse a change that takes the spreadsheet past 10 million cells."""
        if self.cell_count() > MAX_CELLS:
            raise invalid(
                f"This action would increase the number of cells in the workbook above the limit of {MAX_CELLS} cells."
            )

    def resolve(self, text: str) -> Box:
        """Resolve an A1 range against this spreadsheet, as every values method does."""
        ref = split_range(text)
        span: CellSpan | None
        if ref.sheet is None:
            assert ref.cells is not None
            named = self.sheet_by_title(ref.cells)
            if named is not None:
                return Box(named, 0, 0, named.row_count, named.column_count)
            span = parse_cells(ref.cells)
            if span is None:
                raise unparsable(text)
            sheet = self.first_visible()
        else:
            found = self.sheet_by_title(ref.sheet)
            if found is None:
                raise unparsable(text)
            sheet = found
            if ref.cells is None:
                return Box(sheet, 0, 0, sheet.row_count, sheet.column_count)
            span = parse_cells(ref.cells)
            if span is None:
                raise unparsable(text)
        return bounded(sheet, span)


def bounded(sheet: Sheet, span: CellSpan) -> Box:
    """Close the open ends of a span at the grid edge; 400 if it reaches past the grid."""
    start_row = span.start_row or 0
    start_col = span.start_col or 0
    end_row = sheet.row_count if span.end_row is None else span.end_row
    end_col = sheet.column_count if span.end_col is None else span.end_col
    if (
        end_row > sheet.row_count
        or end_col > sheet.column_count
        or start_row >= sheet.row_count
        or start_col >= sheet.column_count
    ):
        raise exceeds_grid(sheet, span.text)
    return Box(sheet, start_row, start_col, end_row, end_col, single_cell=span.single_cell)


GRID_RANGE_FIELDS = frozenset({"sheetId", "startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex"})


def grid_box(spreadsheet: Spreadsheet, grid: Any, where: str) -> Box:
    """A ``GridRange`` as a box; missing bounds mean the grid edge, as documented."""
    check_body(grid, GRID_RANGE_FIELDS, where)
    sheet = spreadsheet.grid(integer(grid.get("sheetId"), f"{where}.sheet_id"))
    start_row = integer(grid.get("startRowIndex"), f"{where}.start_row_index")
    start_col = integer(grid.get("startColumnIndex"), f"{where}.start_column_index")
    end_row = integer(grid.get("endRowIndex"), f"{where}.end_row_index", sheet.row_count)
    end_col = integer(grid.get("endColumnIndex"), f"{where}.end_column_index", sheet.column_count)
    if min(start_row, start_col) < 0 or end_row < start_row or end_col < start_col:
        raise invalid(f"Invalid range: start index must be >= 0 and <= end index ({where})")
    if end_row > sheet.row_count or end_col > sheet.column_count:
        raise exceeds_grid(sheet, format_cells(start_row, start_col, end_row, end_col))
    return Box(sheet, start_row, start_col, end_row, end_col)
