"""The Spreadsheet resource as ``spreadsheets.get`` and ``create`` return it.

Grid data follows the API: one ``GridData`` per requested range (or per sheet), rows up
to the last one with content, cells up to the last one with content in each row (empty
cells as ``{}``), and row/column metadata for every row and column of the range.
"""

from __future__ import annotations

import copy
from typing import Any

from .formats import DEFAULT_FORMAT, effective_format
from .model import Box, Sheet, Spreadsheet
from .render import effective_value, formatted_value, json_number

ROW_PIXELS = 21
COLUMN_PIXELS = 100


def _extended(value: dict[str, Any]) -> dict[str, Any]:
    if "numberValue" in value:
        return {"numberValue": json_number(value["numberValue"])}
    return dict(value)


def cell_data(cell: dict[str, Any]) -> dict[str, Any]:
    """A stored cell as the API's ``CellData``."""
    out: dict[str, Any] = {}
    entered = cell.get("userEnteredValue")
    if entered:
        out["userEnteredValue"] = _extended(entered)
        effective = effective_value(cell)
        if effective is not None:
            out["effectiveValue"] = _extended(effective)
        text = formatted_value(cell)
        if text is not None:
            out["formattedValue"] = text
    if cell.get("userEnteredFormat"):
        out["userEnteredFormat"] = copy.deepcopy(cell["userEnteredFormat"])
    if entered or cell.get("userEnteredFormat"):
        out["effectiveFormat"] = effective_format(cell.get("userEnteredFormat"))
    if cell.get("note"):
        out["note"] = cell["note"]
    if cell.get("dataValidation"):
        out["dataValidation"] = copy.deepcopy(cell["dataValidation"])
    return out


def grid_data(box: Box) -> dict[str, Any]:
    """``GridData`` for one box of a sheet."""
    sheet = box.sheet
    by_row: dict[int, dict[int, dict[str, Any]]] = {}
    for (row, col), cell in sheet.cells.items():
        if box.start_row <= row < box.end_row and box.start_col <= col < box.end_col:
            by_row.setdefault(row, {})[col] = cell
    rows: list[dict[str, Any]] = []
    last_row = max(by_row, default=box.start_row - 1)
    for row in range(box.start_row, last_row + 1):
        cells = by_row.get(row)
        if not cells:
            rows.append({})
            continue
        last_col = max(cells)
        values = [cell_data(cells[col]) if col in cells else {} for col in range(box.start_col, last_col + 1)]
        rows.append({"values": values})
    out: dict[str, Any] = {}
    if box.start_row:
        out["startRow"] = box.start_row
    if box.start_col:
        out["startColumn"] = box.start_col
    if rows:
        out["rowData"] = rows
    out["rowMetadata"] = [{"pixelSize": ROW_PIXELS}] * (box.end_row - box.start_row)
    out["columnMetadata"] = [{"pixelSize": COLUMN_PIXELS}] * (box.end_col - box.start_col)
    return out


def whole(sheet: Sheet) -> Box:
    """The box covering a sheet's entire grid."""
    return Box(sheet, 0, 0, sheet.row_count, sheet.column_count)


def sheet_resource(sheet: Sheet, boxes: list[Box] | None) -> dict[str, Any]:
    """The ``Sheet`` resource; ``boxes`` adds grid data for those ranges."""
    out: dict[str, Any] = {"properties": copy.deepcopy(sheet.properties)}
    if boxes is not None:
        out["data"] = [grid_data(box) for box in boxes]
    if sheet.protected_ranges:
        out["protectedRanges"] = copy.deepcopy(sheet.protected_ranges)
    if sheet.charts:
        out["charts"] = copy.deepcopy(sheet.charts)
    return out


def spreadsheet_resource(spreadsheet: Spreadsheet, ranges: list[Box] | None, include_grid: bool) -> dict[str, Any]:
    """The ``Spreadsheet`` resource.

    With ``ranges``, only the sheets they touch are returned, each with one ``GridData``
    per range on it; without, every sheet, with whole-sheet grid data if ``include_grid``.
    """
    sheets: list[dict[str, Any]] = []
    if ranges:
        for sheet in spreadsheet.sheets:
            mine = [box for box in ranges if box.sheet is sheet]
            if mine:
                sheets.append(sheet_resource(sheet, mine if include_grid else None))
    else:
        for sheet in spreadsheet.sheets:
            sheets.append(sheet_resource(sheet, [whole(sheet)] if include_grid else None))
    properties = copy.deepcopy(spreadsheet.properties)
    properties.setdefault("defaultFormat", copy.deepcopy(DEFAULT_FORMAT))
    out = {
        "spreadsheetId": spreadsheet.spreadsheet_id,
        "properties": properties,
        "sheets": sheets,
        "spreadsheetUrl": spreadsheet.url,
    }
    if spreadsheet.developer_metadata:
        out["developerMetadata"] = copy.deepcopy(spreadsheet.developer_metadata)
    return out
