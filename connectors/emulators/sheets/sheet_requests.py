"""Requests that shape sheets: add, delete, properties, and row/column counts.

Grid sizes are checked as Google checks them — at least one row and column, at most
18,278 columns, 10 million cells per spreadsheet — after the change, so a batch that
breaks a limit is refused whole.
"""

from __future__ import annotations

import copy
from typing import Any

from . import dimensions
from .a1 import MAX_COLUMNS
from .errors import invalid
from .fields import GRID_PROPERTIES, SHEET_PROPERTIES, overlay, required_mask
from .fields import validate as validate_mask
from .model import DEFAULT_COLUMNS, DEFAULT_ROWS, Sheet, Spreadsheet, random_id
from .params import DIMENSIONS, check_body, enum, flag, integer

DIMENSION_RANGE_FIELDS = frozenset({"sheetId", "dimension", "startIndex", "endIndex"})


def _title_taken(spreadsheet: Spreadsheet, title: str, sheet: Sheet | None = None) -> bool:
    folded = title.casefold()
    return any(s.title.casefold() == folded and s is not sheet for s in spreadsheet.sheets)


def _check_properties(spreadsheet: Spreadsheet, sheet: Sheet) -> None:
    title = sheet.properties.get("title")
    if not isinstance(title, str) or not title.strip():
        raise invalid("Sheet title must not be empty.")
    if _title_taken(spreadsheet, title, sheet):
        raise invalid(f'A sheet with the name "{title}" already exists. Please enter another name.')
    grid = sheet.properties["gridProperties"]
    if sheet.row_count < 1 or sheet.column_count < 1:
        raise invalid("A sheet must have at least one row and one column.")
    if sheet.column_count > MAX_COLUMNS:
        raise invalid(
            f"This action would increase the number of columns in the sheet above the limit of {MAX_COLUMNS} columns."
        )
    if grid.get("frozenRowCount", 0) >= sheet.row_count:
        raise invalid("You can't freeze all visible rows on the sheet.")
    if grid.get("frozenColumnCount", 0) >= sheet.column_count:
        raise invalid("You can't freeze all visible columns on the sheet.")
    if all(s.properties.get("hidden") for s in spreadsheet.sheets):
        raise invalid("You can't hide all the sheets in a document.")


def sheet_properties(given: dict[str, Any], sheet_id: int, index: int, title: str) -> dict:
    """``SheetProperties`` in the order and with the defaults the API reports."""
    grid_given = given.get("gridProperties") or {}
    grid: dict[str, Any] = {
        "rowCount": integer(grid_given.get("rowCount"), "row_count", DEFAULT_ROWS),
        "columnCount": integer(grid_given.get("columnCount"), "column_count", DEFAULT_COLUMNS),
    }
    for key in GRID_PROPERTIES:
        if key not in grid and grid_given.get(key) not in (None, 0, False):
            grid[key] = grid_given[key]
    out: dict[str, Any] = {
        "sheetId": sheet_id,
        "title": title,
        "index": index,
        "sheetType": "GRID",
        "gridProperties": grid,
    }
    for key in ("hidden", "tabColor", "tabColorStyle", "rightToLeft"):
        if given.get(key):
            out[key] = copy.deepcopy(given[key])
    return out


def _drop_defaults(properties: dict[str, Any]) -> None:
    """Omit zero counts and false flags, as the API leaves them out of responses."""
    for key in ("frozenRowCount", "frozenColumnCount", "hidden", "hideGridlines", "rightToLeft"):
        if key in properties and not properties[key]:
            del properties[key]


def _check_sheet_properties_body(given: Any, where: str) -> None:
    check_body(given, set(SHEET_PROPERTIES), where)
    if "gridProperties" in given:
        check_body(given["gridProperties"], set(GRID_PROPERTIES), f"{where}.grid_properties")


def add_sheet(spreadsheet: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    """``addSheet``: a new tab (1000x26 unless told otherwise); replies with its properties."""
    check_body(body, {"properties"}, where)
    given = body.get("properties") or {}
    _check_sheet_properties_body(given, f"{where}.properties")
    if "sheetId" in given:
        sheet_id = integer(given["sheetId"], f"{where}.properties.sheet_id")
        if sheet_id < 0 or spreadsheet.sheet_by_id(sheet_id) is not None:
            raise invalid(f"A sheet with the id {sheet_id} already exists or is invalid.")
    else:
        sheet_id = random_id()
        while spreadsheet.sheet_by_id(sheet_id) is not None:
            sheet_id = random_id()
    title = given.get("title")
    if not title:
        n = len(spreadsheet.sheets) + 1
        while _title_taken(spreadsheet, f"Sheet{n}"):
            n += 1
        title = f"Sheet{n}"
    index = integer(given.get("index"), f"{where}.properties.index", len(spreadsheet.sheets))
    index = max(0, min(index, len(spreadsheet.sheets)))
    sheet = Sheet(sheet_properties(given, sheet_id, index, str(title)))
    spreadsheet.sheets.insert(index, sheet)
    spreadsheet.reindex()
    _check_properties(spreadsheet, sheet)
    spreadsheet.check_cell_limit()
    return {"addSheet": {"properties": copy.deepcopy(sheet.properties)}}


def delete_sheet(spreadsheet: Spreadsheet, body: dict[str, Any], where: str) -> None:
    """``deleteSheet``; a spreadsheet keeps at least one sheet."""
    check_body(body, {"sheetId"}, where)
    sheet = spreadsheet.grid(integer(body.get("sheetId"), f"{where}.sheet_id"))
    if len(spreadsheet.sheets) == 1:
        raise invalid("You can't remove all the sheets in a document.")
    spreadsheet.sheets.remove(sheet)
    spreadsheet.reindex()


def update_sheet_properties(spreadsheet: Spreadsheet, body: dict[str, Any], where: str) -> None:
    """``updateSheetProperties`` with a field mask (title, frozen rows, grid size...)."""
    check_body(body, {"properties", "fields"}, where)
    given = body.get("properties") or {}
    _check_sheet_properties_body(given, f"{where}.properties")
    mask = required_mask(body, where)
    validate_mask(mask, SHEET_PROPERTIES)
    mask = {key: sub for key, sub in mask.items() if key not in ("sheetId", "sheetType")}
    sheet = spreadsheet.grid(integer(given.get("sheetId"), f"{where}.properties.sheet_id"))
    merged = overlay(sheet.properties, given, mask)
    merged["sheetId"] = sheet.sheet_id
    merged["sheetType"] = "GRID"
    grid = merged.setdefault("gridProperties", {})
    grid.setdefault("rowCount", sheet.row_count)
    grid.setdefault("columnCount", sheet.column_count)
    for key in ("rowCount", "columnCount", "frozenRowCount", "frozenColumnCount"):
        if key in grid:
            grid[key] = integer(grid[key], f"{where}.properties.grid_properties.{key}")
    _drop_defaults(merged)
    _drop_defaults(grid)
    sheet.properties = merged
    if "index" in mask or "*" in mask:
        index = max(0, min(integer(merged.get("index"), "index"), len(spreadsheet.sheets) - 1))
        spreadsheet.sheets.remove(sheet)
        spreadsheet.sheets.insert(index, sheet)
    spreadsheet.reindex()
    _check_properties(spreadsheet, sheet)
    sheet.drop_outside_grid()
    spreadsheet.check_cell_limit()


def update_spreadsheet_properties(spreadsheet: Spreadsheet, body: dict[str, Any], where: str) -> None:
    """``updateSpreadsheetProperties`` (title, locale, time zone) with a field mask."""
    check_body(body, {"properties", "fields"}, where)
    mask = required_mask(body, where)
    allowed = {"title", "locale", "autoRecalc", "timeZone", "defaultFormat"}
    check_body(body.get("properties") or {}, allowed, f"{where}.properties")
    validate_mask(mask, dict.fromkeys(allowed))
    spreadsheet.properties = overlay(spreadsheet.properties, body.get("properties") or {}, mask)


def _dimension_range(spreadsheet: Spreadsheet, body: Any, where: str) -> tuple[Sheet, str, int, int]:
    check_body(body, DIMENSION_RANGE_FIELDS, where)
    sheet = spreadsheet.grid(integer(body.get("sheetId"), f"{where}.sheet_id"))
    dimension = enum(body.get("dimension"), DIMENSIONS, "Dimension", "", where=f"{where}.dimension")
    if not dimension:
        raise invalid("Dimension must be specified (ROWS or COLUMNS).")
    size = dimensions.count(sheet, dimension)
    start = integer(body.get("startIndex"), f"{where}.start_index")
    end = integer(body.get("endIndex"), f"{where}.end_index", size)
    if start < 0 or end <= start:
        raise invalid(f"Invalid dimension range: startIndex {start}, endIndex {end}.")
    return sheet, dimension, start, end


def insert_dimension(spreadsheet: Spreadsheet, body: dict[str, Any], where: str) -> None:
    """``insertDimension``: blank rows/columns before ``startIndex``."""
    check_body(body, {"range", "inheritFromBefore"}, where)
    sheet, dimension, start, end = _dimension_range(spreadsheet, body.get("range"), f"{where}.range")
    inherit = flag(body.get("inheritFromBefore"), f"{where}.inherit_from_before")
    if start > dimensions.count(sheet, dimension):
        raise invalid(
            f"Cannot insert at index {start}: the sheet has only "
            f"{dimensions.count(sheet, dimension)} {dimension.lower()}."
        )
    if inherit and start == 0:
        raise invalid("Cannot inherit properties from before when inserting at index 0.")
    dimensions.insert(sheet, dimension, start, end, inherit)
    if sheet.column_count > MAX_COLUMNS:
        raise invalid(
            f"This action would increase the number of columns in the sheet above the limit of {MAX_COLUMNS} columns."
        )
    spreadsheet.check_cell_limit()


def delete_dimension(spreadsheet: Spreadsheet, body: dict[str, Any], where: str) -> None:
    """``deleteDimension``: remove rows/columns, shifting later ones back."""
    check_body(body, {"range"}, where)
    sheet, dimension, start, end = _dimension_range(spreadsheet, body.get("range"), f"{where}.range")
    size = dimensions.count(sheet, dimension)
    if end > size:
        raise invalid(f"Invalid dimension range: endIndex {end} is after the last {dimension.lower()[:-1]} ({size}).")
    if start == 0 and end == size:
        raise invalid(f"You can't delete all the {dimension.lower()} on the sheet.")
    dimensions.delete(sheet, dimension, start, end)
    grid = sheet.properties["gridProperties"]
    frozen_key = "frozenRowCount" if dimension == "ROWS" else "frozenColumnCount"
    if grid.get(frozen_key, 0) >= dimensions.count(sheet, dimension):
        grid[frozen_key] = dimensions.count(sheet, dimension) - 1
    _drop_defaults(grid)


def append_dimension(spreadsheet: Spreadsheet, body: dict[str, Any], where: str) -> None:
    """``appendDimension``: rows/columns added at the end of the grid."""
    check_body(body, {"sheetId", "dimension", "length"}, where)
    sheet = spreadsheet.grid(integer(body.get("sheetId"), f"{where}.sheet_id"))
    dimension = enum(body.get("dimension"), DIMENSIONS, "Dimension", "", where=f"{where}.dimension")
    if not dimension:
        raise invalid("Dimension must be specified (ROWS or COLUMNS).")
    length = integer(body.get("length"), f"{where}.length")
    if length < 1:
        raise invalid("length must be greater than 0.")
    dimensions.append(sheet, dimension, length)
    if sheet.column_count > MAX_COLUMNS:
        raise invalid(
            f"This action would increase the number of columns in the sheet above the limit of {MAX_COLUMNS} columns."
        )
    spreadsheet.check_cell_limit()


def auto_resize_dimensions(spreadsheet: Spreadsheet, body: dict[str, Any], where: str) -> None:
    """``autoResizeDimensions``: checked, then nothing to do — pixel sizes are not modelled."""
    check_body(body, {"dimensions", "dataSourceSheetDimensions"}, where)
    if "dimensions" not in body:
        raise invalid("autoResizeDimensions requires 'dimensions'.")
    sheet, dimension, _start, end = _dimension_range(spreadsheet, body["dimensions"], f"{where}.dimensions")
    if end > dimensions.count(sheet, dimension):
        raise invalid(f"Invalid dimension range: endIndex {end} is after the last {dimension.lower()[:-1]}.")
