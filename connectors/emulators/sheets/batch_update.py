"""``spreadsheets.batchUpdate``: the structural and formatting requests a sync needs.

Supported: addSheet, deleteSheet, updateSheetProperties, updateSpreadsheetProperties,
updateCells, repeatCell, setDataValidation, addProtectedRange, deleteProtectedRange,
insertDimension, deleteDimension, appendDimension. Other request kinds the API defines
answer 501 so a connector relying on them finds out in its tests.

The caller applies the batch to a snapshot and keeps it only if every request succeeds:
a batch is atomic at Google too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from . import dimensions
from .a1 import MAX_COLUMNS, format_range
from .entry import check_length
from .errors import ApiError, invalid
from .fields import CELL_DATA, GRID_PROPERTIES, SHEET_PROPERTIES, Mask, overlay, parse_mask
from .fields import validate as validate_mask
from .formats import mirror_mask, normalize_format
from .model import DEFAULT_COLUMNS, DEFAULT_ROWS, Box, Sheet, Spreadsheet, exceeds_grid, random_id
from .params import DIMENSIONS, check_body, enum, flag, integer
from .resource import spreadsheet_resource

#: Every request kind the API defines (``Request`` oneof), so unknown names get a 400.
KNOWN_REQUESTS = frozenset(
    [
        "updateSpreadsheetProperties",
        "updateSheetProperties",
        "updateDimensionProperties",
        "updateNamedRange",
        "repeatCell",
        "addNamedRange",
        "deleteNamedRange",
        "addSheet",
        "deleteSheet",
        "autoFill",
        "cutPaste",
        "copyPaste",
        "mergeCells",
        "unmergeCells",
        "updateBorders",
        "updateCells",
        "addFilterView",
        "appendCells",
        "clearBasicFilter",
        "deleteDimension",
        "deleteEmbeddedObject",
        "deleteFilterView",
        "duplicateFilterView",
        "duplicateSheet",
        "findReplace",
        "insertDimension",
        "insertRange",
        "moveDimension",
        "updateEmbeddedObjectPosition",
        "pasteData",
        "textToColumns",
        "updateFilterView",
        "deleteRange",
        "appendDimension",
        "addConditionalFormatRule",
        "updateConditionalFormatRule",
        "deleteConditionalFormatRule",
        "sortRange",
        "setDataValidation",
        "setBasicFilter",
        "addProtectedRange",
        "updateProtectedRange",
        "deleteProtectedRange",
        "autoResizeDimensions",
        "addChart",
        "updateChartSpec",
        "updateBanding",
        "addBanding",
        "deleteBanding",
        "createDeveloperMetadata",
        "updateDeveloperMetadata",
        "deleteDeveloperMetadata",
        "randomizeRange",
        "addDimensionGroup",
        "deleteDimensionGroup",
        "updateDimensionGroup",
        "trimWhitespace",
        "deleteDuplicates",
        "updateEmbeddedObjectBorder",
        "addSlicer",
        "updateSlicerSpec",
        "addDataSource",
        "updateDataSource",
        "deleteDataSource",
        "refreshDataSource",
        "cancelDataSourceRefresh",
        "addTable",
        "updateTable",
        "deleteTable",
    ]
)
CONDITION_TYPES = frozenset(
    [
        "NUMBER_GREATER",
        "NUMBER_GREATER_THAN_EQ",
        "NUMBER_LESS",
        "NUMBER_LESS_THAN_EQ",
        "NUMBER_EQ",
        "NUMBER_NOT_EQ",
        "NUMBER_BETWEEN",
        "NUMBER_NOT_BETWEEN",
        "TEXT_CONTAINS",
        "TEXT_NOT_CONTAINS",
        "TEXT_STARTS_WITH",
        "TEXT_ENDS_WITH",
        "TEXT_EQ",
        "TEXT_IS_EMAIL",
        "TEXT_IS_URL",
        "DATE_EQ",
        "DATE_BEFORE",
        "DATE_AFTER",
        "DATE_ON_OR_BEFORE",
        "DATE_ON_OR_AFTER",
        "DATE_BETWEEN",
        "DATE_NOT_BETWEEN",
        "DATE_IS_VALID",
        "ONE_OF_RANGE",
        "ONE_OF_LIST",
        "BLANK",
        "NOT_BLANK",
        "CUSTOM_FORMULA",
        "BOOLEAN",
        "TEXT_NOT_EQ",
        "DATE_NOT_EQ",
        "FILTER_EXPRESSION",
    ]
)
GRID_RANGE_FIELDS = frozenset(
    {"sheetId", "startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex"}
)
DIMENSION_RANGE_FIELDS = frozenset({"sheetId", "dimension", "startIndex", "endIndex"})
EXTENDED_VALUE_KINDS = ("numberValue", "stringValue", "boolValue", "formulaValue", "errorValue")

Handler = Callable[[Spreadsheet, dict[str, Any], str], dict[str, Any] | None]


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
        text = format_range(sheet.title, start_row, start_col, end_row, end_col)
        raise exceeds_grid(sheet, text.split("!", 1)[1])
    return Box(sheet, start_row, start_col, end_row, end_col)


def _cells(box: Box) -> list[tuple[int, int]]:
    return [
        (row, col)
        for row in range(box.start_row, box.end_row)
        for col in range(box.start_col, box.end_col)
    ]


def _fields(body: dict[str, Any], where: str) -> Mask:
    text = body.get("fields")
    if not text:
        raise invalid(f"At least one field must be specified in '{where}.fields'.")
    return parse_mask(str(text))


def _extended_value(value: Any, where: str) -> dict[str, Any] | None:
    check_body(value, set(EXTENDED_VALUE_KINDS), where)
    kinds = [kind for kind in EXTENDED_VALUE_KINDS if kind in value]
    if len(kinds) > 1:
        raise invalid(
            f"Invalid value at '{where}': oneof field 'value' is already set. "
            f"Cannot set '{kinds[1]}'"
        )
    if not kinds:
        return None
    kind = kinds[0]
    raw = value[kind]
    if kind == "numberValue":
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise invalid(f"Invalid value at '{where}.number_value' (TYPE_DOUBLE), \"{raw}\"")
        return {"numberValue": float(raw)}
    if kind == "boolValue":
        return {"boolValue": flag(raw, f"{where}.bool_value")}
    if kind == "errorValue":
        return {"errorValue": copy.deepcopy(raw)}
    text = str(raw)
    check_length(text)
    return {kind: text}


def _rule(rule: Any, where: str) -> dict[str, Any]:
    check_body(rule, {"condition", "inputMessage", "strict", "showCustomUi"}, where)
    condition = rule.get("condition")
    if condition is None:
        raise invalid("A data validation rule requires a condition.")
    check_body(condition, {"type", "values"}, f"{where}.condition")
    kind = condition.get("type")
    if kind not in CONDITION_TYPES:
        raise invalid(
            f"Invalid value at '{where}.condition.type' "
            f'(type.googleapis.com/google.apps.sheets.v4.ConditionType), "{kind}"'
        )
    values = condition.get("values") or []
    for i, item in enumerate(values):
        check_body(item, {"userEnteredValue", "relativeDate"}, f"{where}.condition.values[{i}]")
    if kind == "ONE_OF_LIST" and not values:
        raise invalid("ONE_OF_LIST condition must have at least one value.")
    if kind == "ONE_OF_RANGE" and len(values) != 1:
        raise invalid("ONE_OF_RANGE condition must have exactly one value.")
    out: dict[str, Any] = {"condition": {"type": kind}}
    if values:
        out["condition"]["values"] = copy.deepcopy(values)
    for key in ("inputMessage", "strict", "showCustomUi"):
        if rule.get(key) not in (None, False, ""):
            out[key] = copy.deepcopy(rule[key])
    return out


def _cell_source(cell: Any, where: str) -> dict[str, Any]:
    """A request's ``CellData``, checked and stored the way the API stores it."""
    check_body(cell, set(CELL_DATA), where)
    out: dict[str, Any] = {}
    if cell.get("userEnteredValue") is not None:
        value = _extended_value(cell["userEnteredValue"], f"{where}.user_entered_value")
        if value is not None:
            out["userEnteredValue"] = value
    if cell.get("userEnteredFormat"):
        out["userEnteredFormat"] = normalize_format(cell["userEnteredFormat"])
    if cell.get("note"):
        check_length(str(cell["note"]))
        out["note"] = str(cell["note"])
    if cell.get("dataValidation"):
        out["dataValidation"] = _rule(cell["dataValidation"], f"{where}.data_validation")
    return out


def _cell_mask(body: dict[str, Any], where: str) -> Mask:
    mask = _fields(body, where)
    validate_mask(mask, CELL_DATA)
    fmt = mask.get("userEnteredFormat")
    if isinstance(fmt, dict):
        mask = {**mask, "userEnteredFormat": mirror_mask(fmt)}
    return mask


def _apply(sheet: Sheet, row: int, col: int, source: dict[str, Any], mask: Mask) -> None:
    sheet.put(row, col, overlay(sheet.cell(row, col) or {}, source, mask))


def update_cells(spreadsheet: Spreadsheet, body: dict[str, Any], where: str) -> None:
    """``updateCells``: rows of CellData from ``start``, or over ``range`` (clearing the rest)."""
    check_body(body, {"rows", "fields", "start", "range"}, where)
    mask = _cell_mask(body, where)
    rows = body.get("rows") or []
    if "start" in body and "range" in body:
        raise invalid("Only one of 'start' or 'range' may be set.")
    if "range" in body:
        box = grid_box(spreadsheet, body["range"], f"{where}.range")
    else:
        start = body.get("start") or {}
        check_body(start, {"sheetId", "rowIndex", "columnIndex"}, f"{where}.start")
        sheet = spreadsheet.grid(integer(start.get("sheetId"), f"{where}.start.sheet_id"))
        row0 = integer(start.get("rowIndex"), f"{where}.start.row_index")
        col0 = integer(start.get("columnIndex"), f"{where}.start.column_index")
        width = max((len((r or {}).get("values") or []) for r in rows), default=0)
        end_row, end_col = row0 + len(rows), col0 + width
        if end_row > sheet.row_count or end_col > sheet.column_count or row0 < 0 or col0 < 0:
            text = format_range(sheet.title, row0, col0, max(end_row, row0 + 1), max(end_col, 1))
            raise exceeds_grid(sheet, text.split("!", 1)[1])
        box = Box(sheet, row0, col0, end_row, end_col)
    written: set[tuple[int, int]] = set()
    for i, row_data in enumerate(rows):
        check_body(row_data or {}, {"values"}, f"{where}.rows[{i}]")
        for j, cell in enumerate((row_data or {}).get("values") or []):
            row, col = box.start_row + i, box.start_col + j
            if row >= box.end_row or col >= box.end_col:
                raise invalid(
                    f"Attempting to write row: {row}, column: {col}, beyond the range {box.a1}"
                )
            source = _cell_source(cell or {}, f"{where}.rows[{i}].values[{j}]")
            _apply(box.sheet, row, col, source, mask)
            written.add((row, col))
    if "range" in body:
        for row, col in _cells(box):
            if (row, col) not in written:
                _apply(box.sheet, row, col, {}, mask)


def repeat_cell(spreadsheet: Spreadsheet, body: dict[str, Any], where: str) -> None:
    """``repeatCell``: the same CellData over every cell of a range."""
    check_body(body, {"range", "cell", "fields"}, where)
    mask = _cell_mask(body, where)
    box = grid_box(spreadsheet, body.get("range") or {}, f"{where}.range")
    source = _cell_source(body.get("cell") or {}, f"{where}.cell")
    for row, col in _cells(box):
        _apply(box.sheet, row, col, source, mask)


def set_data_validation(spreadsheet: Spreadsheet, body: dict[str, Any], where: str) -> None:
    """``setDataValidation``: a rule on every cell of a range; no rule clears it."""
    check_body(body, {"range", "rule", "filteredRowsIncluded"}, where)
    box = grid_box(spreadsheet, body.get("range") or {}, f"{where}.range")
    source = {}
    if body.get("rule"):
        source["dataValidation"] = _rule(body["rule"], f"{where}.rule")
    for row, col in _cells(box):
        _apply(box.sheet, row, col, source, {"dataValidation": None})


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
            f"This action would increase the number of columns in the sheet above the limit "
            f"of {MAX_COLUMNS} columns."
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
    mask = _fields(body, where)
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
    sheet.properties = merged
    if "index" in mask or "*" in mask:
        index = max(0, min(integer(merged.get("index"), "index"), len(spreadsheet.sheets) - 1))
        spreadsheet.sheets.remove(sheet)
        spreadsheet.sheets.insert(index, sheet)
    spreadsheet.reindex()
    _check_properties(spreadsheet, sheet)
    sheet.drop_outside_grid()
    spreadsheet.check_cell_limit()


def update_spreadsheet_properties(
    spreadsheet: Spreadsheet, body: dict[str, Any], where: str
) -> None:
    """``updateSpreadsheetProperties`` (title, locale, time zone) with a field mask."""
    check_body(body, {"properties", "fields"}, where)
    mask = _fields(body, where)
    allowed = {"title", "locale", "autoRecalc", "timeZone", "defaultFormat"}
    check_body(body.get("properties") or {}, allowed, f"{where}.properties")
    validate_mask(mask, dict.fromkeys(allowed))
    spreadsheet.properties = overlay(spreadsheet.properties, body.get("properties") or {}, mask)


def _dimension_range(
    spreadsheet: Spreadsheet, body: Any, where: str
) -> tuple[Sheet, str, int, int]:
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
    sheet, dimension, start, end = _dimension_range(
        spreadsheet, body.get("range"), f"{where}.range"
    )
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
            f"This action would increase the number of columns in the sheet above the limit "
            f"of {MAX_COLUMNS} columns."
        )
    spreadsheet.check_cell_limit()


def delete_dimension(spreadsheet: Spreadsheet, body: dict[str, Any], where: str) -> None:
    """``deleteDimension``: remove rows/columns, shifting later ones back."""
    check_body(body, {"range"}, where)
    sheet, dimension, start, end = _dimension_range(
        spreadsheet, body.get("range"), f"{where}.range"
    )
    size = dimensions.count(sheet, dimension)
    if end > size:
        raise invalid(
            f"Invalid dimension range: endIndex {end} is after the last "
            f"{dimension.lower()[:-1]} ({size})."
        )
    if start == 0 and end == size:
        raise invalid(f"You can't delete all the {dimension.lower()} on the sheet.")
    dimensions.delete(sheet, dimension, start, end)
    grid = sheet.properties["gridProperties"]
    frozen_key = "frozenRowCount" if dimension == "ROWS" else "frozenColumnCount"
    if grid.get(frozen_key, 0) >= dimensions.count(sheet, dimension):
        grid[frozen_key] = dimensions.count(sheet, dimension) - 1


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
            f"This action would increase the number of columns in the sheet above the limit "
            f"of {MAX_COLUMNS} columns."
        )
    spreadsheet.check_cell_limit()


def add_protected_range(
    spreadsheet: Spreadsheet, body: dict[str, Any], where: str
) -> dict[str, Any]:
    """``addProtectedRange``; replies with the stored range and its new id."""
    check_body(body, {"protectedRange"}, where)
    given = body.get("protectedRange") or {}
    check_body(
        given,
        {
            "protectedRangeId",
            "range",
            "namedRangeId",
            "description",
            "warningOnly",
            "requestingUserCanEdit",
            "unprotectedRanges",
            "editors",
            "table",
        },
        f"{where}.protected_range",
    )
    if "range" not in given:
        raise invalid("A protected range must specify a range.")
    box = grid_box(spreadsheet, given["range"], f"{where}.protected_range.range")
    warning_only = flag(given.get("warningOnly"), f"{where}.protected_range.warning_only")
    if warning_only and given.get("editors"):
        raise invalid("ProtectedRange with warningOnly cannot have editors.")
    taken = {p["protectedRangeId"] for s in spreadsheet.sheets for p in s.protected_ranges}
    if "protectedRangeId" in given:
        range_id = integer(given["protectedRangeId"], f"{where}.protected_range.protected_range_id")
        if range_id in taken:
            raise invalid(f"A protected range with id {range_id} already exists.")
    else:
        range_id = random_id()
        while range_id in taken:
            range_id = random_id()
    grid = {"sheetId": box.sheet.sheet_id}
    grid.update({k: v for k, v in given["range"].items() if k != "sheetId"})
    stored: dict[str, Any] = {"protectedRangeId": range_id, "range": grid}
    if given.get("description"):
        stored["description"] = str(given["description"])
    if warning_only:
        stored["warningOnly"] = True
    stored["requestingUserCanEdit"] = True
    for key in ("unprotectedRanges", "editors"):
        if given.get(key):
            stored[key] = copy.deepcopy(given[key])
    box.sheet.protected_ranges.append(stored)
    return {"addProtectedRange": {"protectedRange": copy.deepcopy(stored)}}


def delete_protected_range(spreadsheet: Spreadsheet, body: dict[str, Any], where: str) -> None:
    """``deleteProtectedRange`` by id."""
    check_body(body, {"protectedRangeId"}, where)
    range_id = integer(body.get("protectedRangeId"), f"{where}.protected_range_id")
    for sheet in spreadsheet.sheets:
        for protected in sheet.protected_ranges:
            if protected["protectedRangeId"] == range_id:
                sheet.protected_ranges.remove(protected)
                return
    raise invalid(f"No protected range with id: {range_id}")


HANDLERS: dict[str, Handler] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "updateCells": update_cells,
    "repeatCell": repeat_cell,
    "setDataValidation": set_data_validation,
    "addProtectedRange": add_protected_range,
    "deleteProtectedRange": delete_protected_range,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
    "appendDimension": append_dimension,
}


def apply(spreadsheet: Spreadsheet, body: Any) -> dict[str, Any]:
    """Run a batch on ``spreadsheet`` (a snapshot); replies in request order."""
    check_body(
        body,
        {
            "requests",
            "includeSpreadsheetInResponse",
            "responseRanges",
            "responseIncludeGridData",
        },
    )
    requests = body.get("requests")
    if not requests:
        raise invalid("Invalid requests: Must specify at least one request.")
    if not isinstance(requests, list):
        raise invalid("Invalid value at 'requests' (type.googleapis.com/google.protobuf.ListValue)")
    replies: list[dict[str, Any]] = []
    for i, request in enumerate(requests):
        check_body(request, KNOWN_REQUESTS, f"requests[{i}]")
        if len(request) != 1:
            names = sorted(request)
            raise invalid(
                f"Invalid value at 'requests[{i}]': oneof field 'kind' is already set. "
                f"Cannot set '{names[-1]}'"
            )
        kind, payload = next(iter(request.items()))
        handler = HANDLERS.get(kind)
        if handler is None:
            raise ApiError(501, f"Invalid requests[{i}]: {kind} is not supported by the emulator.")
        try:
            reply = handler(spreadsheet, payload or {}, f"requests[{i}].{kind}")
        except ApiError as error:
            if error.code != 400 or error.message.startswith("Invalid JSON payload"):
                raise
            raise ApiError(400, f"Invalid requests[{i}].{kind}: {error.message}") from error
        replies.append(reply or {})
    out: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id, "replies": replies}
    if flag(body.get("includeSpreadsheetInResponse"), "include_spreadsheet_in_response"):
        ranges = [spreadsheet.resolve(text) for text in body.get("responseRanges") or []]
        include_grid = flag(body.get("responseIncludeGridData"), "response_include_grid_data")
        out["updatedSpreadsheet"] = spreadsheet_resource(spreadsheet, ranges or None, include_grid)
    return out
