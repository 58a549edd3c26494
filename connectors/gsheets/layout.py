"""How a clinicops tab looks in Google Sheets, as ``spreadsheets:batchUpdate`` requests.

The same look as the workbook: a bold, frozen header; plugin-owned columns and the
Errors column greyed, with a header note saying clinicops fills them, and protected with
warning-only ranges (staff can still type, Sheets asks first); enum columns with a
drop-down (``ONE_OF_LIST``, not strict: clinicops reports a wrong value rather than
Sheets refusing it); date, date-time and money columns formatted so serial numbers show
as dates and amounts, and text columns formatted as plain text so an MRN, zip code or
phone number typed by staff keeps its leading zeros and ``+``.

Error notes start with :data:`NOTE_PREFIX`: that is how a later sync tells its own notes
(to update or clear) from notes staff wrote.
"""

from __future__ import annotations

from typing import Any

from clinicops.connectors.base import ColumnSpec

from .values import column_letters, quote_title

NOTE_PREFIX = "clinicops: "
PROTECTION_PREFIX = "clinicops: "
ERROR_FILL = {"red": 0.957, "green": 0.8, "blue": 0.8}
HEADER_FILL = {"red": 0.867, "green": 0.922, "blue": 0.969}
OWNED_FILL = {"red": 0.906, "green": 0.902, "blue": 0.902}
DEFAULT_ROWS = 200
DEFAULT_COLUMNS = 26
OWNED_NOTE = "Filled in by clinicops; edits here are replaced on the next sync."
ERRORS_NOTE = "Filled in by clinicops: what to fix on this row. Cleared once the row is valid."
FORMULA_HINT = "This cell holds a formula: clinicops takes values, not formulas, so type the value itself."

NUMBER_FORMATS: dict[str, dict[str, str]] = {
    "date": {"type": "DATE", "pattern": "yyyy-mm-dd"},
    "date-time": {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm"},
    "money": {"type": "NUMBER", "pattern": "#,##0.00"},
}
TEXT_KINDS = frozenset({"string", "email", "phone", "npi", "code", "enum", "list"})


def number_format(column: ColumnSpec) -> dict[str, str] | None:
    """The number format a column's cells get, or None to leave Sheets' automatic one."""
    if column.kind in NUMBER_FORMATS:
        return NUMBER_FORMATS[column.kind]
    if column.kind in TEXT_KINDS:
        return {"type": "TEXT"}
    return None


def same_color(a: dict[str, Any] | None, b: dict[str, float]) -> bool:
    """Colours as Google returns them (zero components left out, float noise) compared."""
    if not a:
        return False
    return all(abs(float(a.get(key, 0)) - float(b.get(key, 0))) < 0.002 for key in ("red", "green", "blue"))


def _cols(sheet_id: int, col: int, start_row: int | None = None, end_row: int | None = None) -> dict[str, int]:
    """A GridRange of one column; rows open-ended unless given (open means to the grid's edge)."""
    grid = {"sheetId": sheet_id, "startColumnIndex": col, "endColumnIndex": col + 1}
    if start_row is not None:
        grid["startRowIndex"] = start_row
    if end_row is not None:
        grid["endRowIndex"] = end_row
    return grid


def add_sheet(sheet_id: int, title: str, rows: int, columns: int) -> dict[str, Any]:
    """A new tab with a frozen header row."""
    grid = {"rowCount": rows, "columnCount": columns, "frozenRowCount": 1}
    return {"addSheet": {"properties": {"sheetId": sheet_id, "title": title, "gridProperties": grid}}}


def freeze_header(sheet_id: int) -> dict[str, Any]:
    return {
        "updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": 1}},
            "fields": "gridProperties.frozenRowCount",
        }
    }


def append_columns(sheet_id: int, count: int) -> dict[str, Any]:
    return {"appendDimension": {"sheetId": sheet_id, "dimension": "COLUMNS", "length": count}}


def delete_rows(sheet_id: int, start: int, end: int) -> dict[str, Any]:
    """Delete 0-based rows ``[start, end)``."""
    grid = {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": start, "endIndex": end}
    return {"deleteDimension": {"range": grid}}


def insert_rows(sheet_id: int, start: int, end: int) -> dict[str, Any]:
    """Insert blank rows before 0-based row ``start``.

    New rows are inserted rather than written over the blank rows below the table, so a
    row a person added after clinicops read the sheet is pushed down, never overwritten.
    """
    grid = {"sheetId": sheet_id, "dimension": "ROWS", "startIndex": start, "endIndex": end}
    return {"insertDimension": {"range": grid, "inheritFromBefore": False}}


def header_cell(column: ColumnSpec | None) -> dict[str, Any]:
    """Bold header; plugin-owned and Errors headers greyed, with a note saying who fills them."""
    owned = column is None or column.plugin_owned
    cell: dict[str, Any] = {
        "userEnteredFormat": {
            "textFormat": {"bold": True},
            "backgroundColor": OWNED_FILL if owned else HEADER_FILL,
        }
    }
    if column is None:
        cell["note"] = ERRORS_NOTE
    elif column.plugin_owned:
        cell["note"] = OWNED_NOTE
    return cell


def header_cells(sheet_id: int, first_col: int, columns: list[ColumnSpec | None]) -> dict[str, Any]:
    """Formats and notes for consecutive header cells starting at ``first_col``."""
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": first_col},
            "rows": [{"values": [header_cell(c) for c in columns]}],
            "fields": "userEnteredFormat(textFormat.bold,backgroundColor),note",
        }
    }


def column_format(
    sheet_id: int, col: int, column: ColumnSpec, start_row: int = 1, end_row: int | None = None
) -> list[dict[str, Any]]:
    """Number format and drop-down for a column's data cells (rows ``[start_row, end_row)``)."""
    out: list[dict[str, Any]] = []
    fmt = number_format(column)
    if fmt is not None:
        out.append(
            {
                "repeatCell": {
                    "range": _cols(sheet_id, col, start_row, end_row),
                    "cell": {"userEnteredFormat": {"numberFormat": fmt}},
                    "fields": "userEnteredFormat.numberFormat",
                }
            }
        )
    if column.kind == "enum" and column.options and not column.plugin_owned:
        out.append(
            {
                "setDataValidation": {
                    "range": _cols(sheet_id, col, start_row, end_row),
                    "rule": {
                        "condition": {
                            "type": "ONE_OF_LIST",
                            "values": [{"userEnteredValue": option} for option in column.options],
                        },
                        "inputMessage": f"Choose one of: {', '.join(column.options)}",
                        "strict": False,
                        "showCustomUi": True,
                    },
                }
            }
        )
    return out


def reference_list(sheet_id: int, col: int, source_title: str, source_col: int) -> dict[str, Any]:
    """A reference column's drop-down: the ids in the target tab's column (``ONE_OF_RANGE``, not strict,
    so a name clinicops can match may be typed too)."""
    letter = column_letters(source_col)
    source = f"={quote_title(source_title)}!{letter}2:{letter}"
    return {
        "setDataValidation": {
            "range": _cols(sheet_id, col, 1),
            "rule": {
                "condition": {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": source}]},
                "inputMessage": "Choose from the list, or type the id or the name of an existing record.",
                "strict": False,
                "showCustomUi": True,
            },
        }
    }


def protect_column(sheet_id: int, col: int, header: str) -> dict[str, Any]:
    """A warning-only protected range over a whole column clinicops fills.

    The range has no row bounds, so rows inserted later are covered too.
    """
    return {
        "addProtectedRange": {
            "protectedRange": {
                "range": _cols(sheet_id, col),
                "description": f"{PROTECTION_PREFIX}'{header}' is filled in by clinicops; edits are replaced "
                "on the next sync.",
                "warningOnly": True,
            }
        }
    }


def set_note(sheet_id: int, row: int, col: int, text: str) -> dict[str, Any]:
    """An error note on a cell (0-based), highlighted."""
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": row, "columnIndex": col},
            "rows": [{"values": [{"note": text, "userEnteredFormat": {"backgroundColor": ERROR_FILL}}]}],
            "fields": "note,userEnteredFormat.backgroundColor",
        }
    }


def clear_note(sheet_id: int, row: int, col: int, clear_fill: bool) -> dict[str, Any]:
    """Remove clinicops' note from a cell, and its highlight when the cell still has it."""
    return {
        "updateCells": {
            "start": {"sheetId": sheet_id, "rowIndex": row, "columnIndex": col},
            "rows": [{"values": [{}]}],
            "fields": "note,userEnteredFormat.backgroundColor" if clear_fill else "note",
        }
    }
