"""The ``spreadsheets.values`` methods: get, batchGet, update, batchUpdate, clear, append.

Reads return ragged arrays — trailing empty cells and rows dropped, empty cells in the
middle as ``""`` — and echo the normalized range. Writes never grow the grid (Google
answers "exceeds grid limits"), except ``append``, which adds rows as Google does.
"""

from __future__ import annotations

from typing import Any

from . import dimensions
from .a1 import column_letters, format_cells, format_range
from .dates import DATE_TYPES
from .entry import parse_value
from .errors import invalid
from .model import Box, Spreadsheet, exceeds_grid
from .params import (
    DATE_RENDER,
    DIMENSIONS,
    INSERT_DATA,
    VALUE_INPUT,
    VALUE_RENDER,
    check_body,
    enum,
    flag,
)
from .render import render_value

VALUE_RANGE_FIELDS = frozenset({"range", "majorDimension", "values"})


def read(box: Box, major: str, value_render: str, date_render: str) -> dict[str, Any]:
    """A ``ValueRange`` for a box, ragged the way the API returns it."""
    sheet = box.sheet
    grid: dict[tuple[int, int], Any] = {}
    for (row, col), cell in sheet.cells.items():
        if box.start_row <= row < box.end_row and box.start_col <= col < box.end_col:
            value = render_value(cell, value_render, date_render)
            if value != "":
                grid[(row - box.start_row, col - box.start_col)] = value
    if major == "COLUMNS":
        grid = {(col, row): value for (row, col), value in grid.items()}
    lines: list[list[Any]] = []
    if grid:
        last_line = max(line for line, _ in grid)
        widths: dict[int, int] = {}
        for line, pos in grid:
            widths[line] = max(widths.get(line, 0), pos + 1)
        for line in range(last_line + 1):
            lines.append([grid.get((line, pos), "") for pos in range(widths.get(line, 0))])
    out: dict[str, Any] = {"range": box.a1, "majorDimension": major}
    if lines:
        out["values"] = lines
    return out


def render_options(value_render: Any, date_render: Any, prefix: str = "") -> tuple[str, str]:
    """Validated (valueRenderOption, dateTimeRenderOption) with the API's defaults."""
    return (
        enum(value_render, VALUE_RENDER, f"{prefix}value_render_option", "FORMATTED_VALUE"),
        enum(date_render, DATE_RENDER, f"{prefix}date_time_render_option", "SERIAL_NUMBER"),
    )


def get(
    spreadsheet: Spreadsheet,
    range_text: str,
    major: Any,
    value_render: Any,
    date_render: Any,
) -> dict[str, Any]:
    """``values.get``."""
    dimension = enum(major, DIMENSIONS, "major_dimension", "ROWS")
    value_option, date_option = render_options(value_render, date_render)
    return read(spreadsheet.resolve(range_text), dimension, value_option, date_option)


def batch_get(
    spreadsheet: Spreadsheet,
    ranges: list[str],
    major: Any,
    value_render: Any,
    date_render: Any,
) -> dict[str, Any]:
    """``values.batchGet``: every range resolved first, so one bad range fails the call."""
    dimension = enum(major, DIMENSIONS, "major_dimension", "ROWS")
    value_option, date_option = render_options(value_render, date_render)
    boxes = [spreadsheet.resolve(text) for text in ranges]
    out: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id}
    if boxes:
        out["valueRanges"] = [read(box, dimension, value_option, date_option) for box in boxes]
    return out


def _input_option(value: Any) -> str:
    if value is None or value == "" or value == "INPUT_VALUE_OPTION_UNSPECIFIED":
        raise invalid("Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
    return enum(value, VALUE_INPUT, "value_input_option", "RAW")


def _matrix(values: Any, major: str, where: str) -> dict[tuple[int, int], Any]:
    """Written values by (row, column) offset; ``null`` entries are skipped, as documented."""
    if values is None:
        return {}
    if not isinstance(values, list):
        raise invalid(f"Invalid value at '{where}' (type.googleapis.com/google.protobuf.ListValue)")
    cells: dict[tuple[int, int], Any] = {}
    for i, line in enumerate(values):
        if not isinstance(line, list):
            raise invalid(f"Invalid value at '{where}[{i}]' (type.googleapis.com/google.protobuf.ListValue)")
        for j, value in enumerate(line):
            if value is None:
                continue
            cells[(i, j) if major == "ROWS" else (j, i)] = value
    return cells


def _dims(values: Any, major: str) -> tuple[int, int]:
    """(rows, columns) spanned by a written 2-D array."""
    if not isinstance(values, list) or not values:
        return 0, 0
    lines = len(values)
    width = max((len(line) for line in values if isinstance(line, list)), default=0)
    return (lines, width) if major == "ROWS" else (width, lines)


def write(
    spreadsheet: Spreadsheet,
    box: Box,
    values: Any,
    major: str,
    option: str,
    where: str,
) -> tuple[dict[str, Any], Box | None]:
    """Write a 2-D array into a box, or from a single-cell anchor.

    Returns the ``UpdateValuesResponse`` and the box the array covered (``None`` if empty).
    """
    sheet = box.sheet
    rows, cols = _dims(values, major)
    cells = _matrix(values, major, where)
    end_row, end_col = box.start_row + rows, box.start_col + cols
    if box.single_cell:
        if end_row > sheet.row_count or end_col > sheet.column_count:
            raise exceeds_grid(sheet, format_cells(box.start_row, box.start_col, end_row, end_col))
    else:
        if end_row > box.end_row:
            raise invalid(f"Requested writing within range [{box.a1}], but tried writing to row [{end_row}]")
        if end_col > box.end_col:
            raise invalid(
                f"Requested writing within range [{box.a1}], but tried writing to column "
                f"[{column_letters(end_col - 1)}]"
            )
    touched_rows: set[int] = set()
    touched_cols: set[int] = set()
    for (i, j), value in cells.items():
        entry = parse_value(value, option, f"{where}[{i}][{j}]")
        row, col = box.start_row + i, box.start_col + j
        cell = dict(sheet.cell(row, col) or {})
        if entry.value is None:
            cell.pop("userEnteredValue", None)
        else:
            cell["userEnteredValue"] = entry.value
        if entry.number_format is not None:
            fmt = dict(cell.get("userEnteredFormat") or {})
            current = (fmt.get("numberFormat") or {}).get("type")
            wanted = entry.number_format["type"]
            if current is None or (wanted in DATE_TYPES) != (current in DATE_TYPES):
                fmt["numberFormat"] = dict(entry.number_format)
                cell["userEnteredFormat"] = fmt
        sheet.put(row, col, cell)
        touched_rows.add(row)
        touched_cols.add(col)
    out: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id}
    written = Box(sheet, box.start_row, box.start_col, end_row, end_col) if rows and cols else None
    out["updatedRange"] = (written or box).a1
    if cells:
        out["updatedRows"] = len(touched_rows)
        out["updatedColumns"] = len(touched_cols)
        out["updatedCells"] = len(cells)
    return out, written


def _with_data(
    response: dict[str, Any],
    written: Box | None,
    include: bool,
    value_render: str,
    date_render: str,
) -> dict[str, Any]:
    """Add ``updatedData`` (the written cells read back) when the caller asked for it."""
    if include:
        data: dict[str, Any] = {"range": response["updatedRange"], "majorDimension": "ROWS"}
        if written is not None:
            data = read(written, "ROWS", value_render, date_render)
        response["updatedData"] = data
    return response


def update(spreadsheet: Spreadsheet, range_text: str, body: Any, query: dict[str, Any]) -> dict[str, Any]:
    """``values.update`` (PUT)."""
    option = _input_option(query.get("valueInputOption"))
    include = flag(query.get("includeValuesInResponse"), "include_values_in_response")
    value_render, date_render = render_options(
        query.get("responseValueRenderOption"),
        query.get("responseDateTimeRenderOption"),
        prefix="response_",
    )
    check_body(body, VALUE_RANGE_FIELDS)
    major = enum(body.get("majorDimension"), DIMENSIONS, "Dimension", "ROWS", where="major_dimension")
    box = spreadsheet.resolve(range_text)
    if body.get("range") not in (None, range_text):
        body_box = spreadsheet.resolve(body["range"])
        if body_box.a1 != box.a1:
            raise invalid(f"Requested writing within range [{box.a1}], but the request body has range [{body_box.a1}]")
    response, written = write(spreadsheet, box, body.get("values"), major, option, "data.values")
    return _with_data(response, written, include, value_render, date_render)


def batch_update(spreadsheet: Spreadsheet, body: Any) -> dict[str, Any]:
    """``values.batchUpdate``; the caller runs it on a snapshot so it is all-or-nothing."""
    check_body(
        body,
        {
            "valueInputOption",
            "data",
            "includeValuesInResponse",
            "responseValueRenderOption",
            "responseDateTimeRenderOption",
        },
    )
    option = _input_option(body.get("valueInputOption"))
    include = flag(body.get("includeValuesInResponse"), "include_values_in_response")
    value_render, date_render = render_options(
        body.get("responseValueRenderOption"),
        body.get("responseDateTimeRenderOption"),
        prefix="response_",
    )
    data = body.get("data") or []
    if not isinstance(data, list):
        raise invalid("Invalid value at 'data' (type.googleapis.com/google.protobuf.ListValue)")
    responses = []
    sheets: set[int] = set()
    for i, item in enumerate(data):
        check_body(item, VALUE_RANGE_FIELDS, f"data[{i}]")
        if not item.get("range"):
            raise invalid(f"Invalid data[{i}]: Unable to parse range: ")
        major = enum(
            item.get("majorDimension"),
            DIMENSIONS,
            "Dimension",
            "ROWS",
            where=f"data[{i}].major_dimension",
        )
        box = spreadsheet.resolve(item["range"])
        response, written = write(spreadsheet, box, item.get("values"), major, option, f"data[{i}].values")
        responses.append(_with_data(response, written, include, value_render, date_render))
        if response.get("updatedCells"):
            sheets.add(box.sheet.sheet_id)
    out: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id}
    totals = {
        "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
        "totalUpdatedColumns": sum(r.get("updatedColumns", 0) for r in responses),
        "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
        "totalUpdatedSheets": len(sheets),
    }
    out.update({key: value for key, value in totals.items() if value})
    if responses:
        out["responses"] = responses
    return out


def clear_box(box: Box) -> None:
    """Remove values (not formats, notes or validation) from a box."""
    sheet = box.sheet
    for row, col in list(sheet.cells):
        if box.start_row <= row < box.end_row and box.start_col <= col < box.end_col:
            cell = dict(sheet.cells[(row, col)])
            cell.pop("userEnteredValue", None)
            sheet.put(row, col, cell)


def clear(spreadsheet: Spreadsheet, range_text: str, body: Any) -> dict[str, Any]:
    """``values.clear``."""
    check_body(body or {}, set())
    box = spreadsheet.resolve(range_text)
    clear_box(box)
    return {"spreadsheetId": spreadsheet.spreadsheet_id, "clearedRange": box.a1}


def batch_clear(spreadsheet: Spreadsheet, body: Any) -> dict[str, Any]:
    """``values.batchClear``."""
    check_body(body, {"ranges"})
    boxes = [spreadsheet.resolve(text) for text in body.get("ranges") or []]
    for box in boxes:
        clear_box(box)
    out: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id}
    if boxes:
        out["clearedRanges"] = [box.a1 for box in boxes]
    return out


def _table(box: Box) -> tuple[int, int] | None:
    """First and last row of the table that starts at the range's top, if there is one.

    A table is a block of consecutive rows with content in the range's columns (for a
    single cell, in any column from it rightwards). It must start on the range's first
    row — at the very cell, for a single-cell range: when that is empty there is no table
    and values go right there, which gspread's ``insert_rows``/``insert_cols`` rely on.
    Rows below a gap are not part of the table, so appended rows land in the gap
    (gspread issue #537).
    """
    sheet = box.sheet
    end_col = sheet.column_count if box.single_cell else box.end_col
    first_end_col = box.start_col + 1 if box.single_cell else box.end_col
    filled: set[int] = set()
    starts = False
    for (row, col), cell in sheet.cells.items():
        if row < box.start_row or not box.start_col <= col < end_col or not cell.get("userEnteredValue"):
            continue
        filled.add(row)
        starts = starts or (row == box.start_row and col < first_end_col)
    if not starts:
        return None
    last = box.start_row
    while last + 1 in filled:
        last += 1
    return box.start_row, last


def append(spreadsheet: Spreadsheet, range_text: str, body: Any, query: dict[str, Any]) -> dict[str, Any]:
    """``values.append``: write after the table found in the range, growing the grid."""
    option = _input_option(query.get("valueInputOption"))
    insert_option = enum(query.get("insertDataOption"), INSERT_DATA, "insert_data_option", "OVERWRITE")
    include = flag(query.get("includeValuesInResponse"), "include_values_in_response")
    value_render, date_render = render_options(
        query.get("responseValueRenderOption"),
        query.get("responseDateTimeRenderOption"),
        prefix="response_",
    )
    check_body(body, VALUE_RANGE_FIELDS)
    major = enum(body.get("majorDimension"), DIMENSIONS, "Dimension", "ROWS", where="major_dimension")
    box = spreadsheet.resolve(range_text)
    sheet = box.sheet
    table = _table(box)
    start_row = box.start_row if table is None else table[1] + 1
    rows, cols = _dims(body.get("values"), major)
    if insert_option == "INSERT_ROWS" and rows and start_row < sheet.row_count:
        dimensions.insert(sheet, "ROWS", start_row, start_row + rows, inherit_from_before=False)
    missing_rows = start_row + rows - sheet.row_count
    if missing_rows > 0:
        dimensions.append(sheet, "ROWS", missing_rows)
    missing_cols = box.start_col + cols - sheet.column_count
    if missing_cols > 0:
        dimensions.append(sheet, "COLUMNS", missing_cols)
    spreadsheet.check_cell_limit()
    anchor = Box(sheet, start_row, box.start_col, start_row + 1, box.start_col + 1, True)
    updates, written = write(spreadsheet, anchor, body.get("values"), major, option, "data.values")
    out: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id}
    if table is not None:
        table_end_col = max(
            (col + 1 for (row, col) in sheet.cells if table[0] <= row <= table[1]),
            default=box.start_col + 1,
        )
        out["tableRange"] = format_range(
            sheet.title,
            table[0],
            box.start_col,
            table[1] + 1,
            max(table_end_col, box.start_col + 1),
        )
    out["updates"] = _with_data(updates, written, include, value_render, date_render)
    return out
