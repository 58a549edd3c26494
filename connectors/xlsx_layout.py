"""How a clinicops tab looks in Excel: headers, drop-downs, marked plugin columns, error notes.

Kept apart from reading and writing so the look can change without touching the sync path.
"""

from __future__ import annotations

from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from clinicops.connectors.base import ColumnSpec, TableSpec

AUTHOR = "clinicops"
ERROR_FILL = PatternFill("solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
NO_FILL = PatternFill(fill_type=None)
HEADER_FILL = PatternFill("solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
PLUGIN_FILL = PatternFill("solid", start_color="FFE7E6E6", end_color="FFE7E6E6")
LAST_ROW = 1048576

NUMBER_FORMATS = {
    "date": "yyyy-mm-dd",
    "date-time": "yyyy-mm-dd hh:mm",
    "money": "#,##0.00",
}


def style_header(ws: Worksheet, col: int, column: ColumnSpec | None, is_errors: bool = False) -> None:
    """Bold header; plugin-owned and Errors columns greyed with a note saying who fills them."""
    cell = ws.cell(row=1, column=col)
    cell.font = Font(bold=True, color="FF9C0006" if is_errors else None)
    owned = is_errors or (column is not None and column.plugin_owned)
    cell.fill = PLUGIN_FILL if owned else HEADER_FILL
    if is_errors:
        cell.comment = _note("Filled in by clinicops: what to fix on this row. Cleared once the row is valid.")
    elif column is not None and column.plugin_owned:
        cell.comment = _note("Filled in by clinicops; edits here are replaced on the next sync.")
    width = max(12, min(40, len(str(cell.value or "")) + 4))
    ws.column_dimensions[get_column_letter(col)].width = width


def add_validation(ws: Worksheet, col: int, column: ColumnSpec) -> None:
    """Drop-downs for enums; a warning on plugin-owned columns so nobody types there by accident.

    Validation is warning-style on purpose: staff can still type anything, and clinicops
    reports what it cannot use instead of Excel silently refusing it.
    """
    letter = get_column_letter(col)
    area = f"{letter}2:{letter}{LAST_ROW}"
    if column.plugin_owned:
        dv = DataValidation(
            type="custom",
            formula1="FALSE",
            errorStyle="warning",
            showErrorMessage=True,
            errorTitle="Filled in by clinicops",
            error="This column is filled in by clinicops; your edit will be replaced on the next sync.",
        )
    elif column.kind == "enum" and column.options:
        listing = ",".join(column.options)
        if len(listing) > 250:
            return
        dv = DataValidation(
            type="list",
            formula1=f'"{listing}"',
            allow_blank=True,
            errorStyle="warning",
            showErrorMessage=True,
            errorTitle=column.header,
            error=f"Choose one of: {', '.join(column.options)}",
        )
    else:
        return
    dv.add(area)
    ws.add_data_validation(dv)


def new_sheet_layout(ws: Worksheet, spec: TableSpec) -> None:
    ws.append(spec.headers())
    for i, column in enumerate(spec.columns, start=1):
        style_header(ws, i, column)
        add_validation(ws, i, column)
    style_header(ws, len(spec.columns) + 1, None, is_errors=True)
    ws.column_dimensions[get_column_letter(len(spec.columns) + 1)].width = 60
    ws.freeze_panes = "A2"


def mark_error(cell: Cell, message: str) -> None:
    cell.comment = _note(message)
    cell.fill = ERROR_FILL


def clear_error(cell: Cell) -> None:
    """Remove a note and highlight clinicops set; a person's own comments stay."""
    if cell.comment is not None and cell.comment.author == AUTHOR:
        cell.comment = None
        if cell.fill == ERROR_FILL:
            cell.fill = NO_FILL


def _note(text: str) -> Comment:
    note = Comment(text, AUTHOR)
    note.width = 320
    note.height = 90
    return note
