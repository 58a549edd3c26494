"""How a clinicops tab looks: headers, drop-downs, marked plugin columns, widths, Text columns.

A brand-new workbook is laid out with openpyxl (nothing of the staff's exists yet); columns and
tabs added later to a workbook people have worked in are added by the in-place writer, with the
same look, from the descriptions here.
"""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from clinicops.connectors.base import ColumnSpec, TableSpec, normalize_header
from clinicops.connectors.xlsx import styles
from clinicops.connectors.xlsx.notes import AUTHOR, MARKER

LAST_ROW = 1048576
TEXT_FORMAT = "@"
NUMBER_FORMATS = {"date": "yyyy-mm-dd", "date-time": "yyyy-mm-dd hh:mm", "money": "#,##0.00"}
ERRORS_NOTE = "Filled in by clinicops: what to fix on this row. Cleared once the row is valid."
PLUGIN_NOTE = "Filled in by clinicops; edits here are replaced on the next sync."

# Widths in characters: wide enough for what the kind of value shows, capped so one long
# message does not push every other column off screen (longer text wraps instead).
KIND_WIDTHS = {"date": 11, "date-time": 17, "money": 12, "boolean": 8, "email": 26, "phone": 16, "npi": 12}
MIN_WIDTH = 8
MAX_WIDTH = 50
MAX_ERRORS_WIDTH = 60


def header_note(column: ColumnSpec | None) -> str | None:
    if column is None:
        return ERRORS_NOTE
    return PLUGIN_NOTE if column.plugin_owned else None


def header_look(column: ColumnSpec | None) -> styles.Look:
    """Bold header; plugin-owned and Errors columns greyed, the Errors header in dark red."""
    owned = column is None or column.plugin_owned
    return styles.Look(
        bold=True,
        font_rgb=styles.ERRORS_HEADER_FONT_RGB if column is None else None,
        fill_rgb=styles.PLUGIN_RGB if owned else styles.HEADER_RGB,
    )


def column_format(column: ColumnSpec | None) -> str | None:
    """The number format a column is laid out with: Text for identifiers, so 02134 stays 02134."""
    if column is None:
        return None
    if column.text_format:
        return TEXT_FORMAT
    return NUMBER_FORMATS.get(column.kind)


def column_width(column: ColumnSpec | None, header: str, values: list[Any]) -> float:
    """From the header and the longest value written (capped): what the column needs to be read."""
    if column is None:
        longest = max((len(str(v)) for v in values if v not in (None, "")), default=0)
        return float(min(MAX_ERRORS_WIDTH, max(len(header) + 4, longest + 2, 12)))
    by_kind = KIND_WIDTHS.get(column.kind, 0)
    longest = 0
    if column.kind not in KIND_WIDTHS:
        longest = max((len(str(v)) for v in values if v not in (None, "")), default=0)
    return float(min(MAX_WIDTH, max(MIN_WIDTH, len(header) + 3, by_kind, longest + 2)))


def wraps(column: ColumnSpec | None, width: float, values: list[Any]) -> bool:
    """Messages longer than the column is wide wrap within it."""
    limit = MAX_ERRORS_WIDTH if column is None else MAX_WIDTH
    return column is None or (any(len(str(v)) > limit for v in values if isinstance(v, str)) and width >= limit)


def validation_spec(column: ColumnSpec, source: str | None = None) -> dict[str, str] | None:
    """Drop-downs for enums and for references (``source``: the target tab's id column as a
    formula); a warning on plugin-owned columns so nobody types there by accident.

    Validation is warning-style on purpose: staff can still type anything, and clinicops
    reports what it cannot use instead of the spreadsheet silently refusing it.
    """
    if column.plugin_owned:
        return {
            "type": "custom",
            "formula1": "FALSE",
            "errorTitle": "Filled in by clinicops",
            "error": "This column is filled in by clinicops; your edit will be replaced on the next sync.",
        }
    if column.choices_from is not None and source is not None:
        return {
            "type": "list",
            "formula1": source,
            "errorTitle": column.header,
            "error": "Choose from the list, or type the id or the name of an existing record.",
        }
    if column.kind == "enum" and column.options:
        listing = ",".join(column.options)
        if len(listing) > 250:
            return None
        return {
            "type": "list",
            "formula1": f'"{listing}"',
            "errorTitle": column.header,
            "error": f"Choose one of: {', '.join(column.options)}",
        }
    return None


# A brand-new workbook --------------------------------------------------------------------


def new_workbook(specs: list[TableSpec], contents: dict[str, list[dict[str, Any]]]) -> Workbook:
    """Every tab laid out; ``contents`` (rows about to be written) only sizes the columns."""
    book = Workbook()
    book.remove(book.active)
    for spec in specs:
        new_sheet_layout(book.create_sheet(spec.title), spec, contents.get(spec.entity, []), specs)
    return book


def choices_source(column: ColumnSpec, specs: list[TableSpec]) -> str | None:
    """A reference column's choices, ``'Providers'!$A$2:$A$1048576``, when its target tab is laid out too."""
    if column.choices_from is None:
        return None
    title, header = column.choices_from
    target = next((s for s in specs if normalize_header(s.title) == normalize_header(title)), None)
    headers = [normalize_header(h) for h in target.headers()] if target else []
    if normalize_header(header) not in headers:
        return None
    letter = get_column_letter(headers.index(normalize_header(header)) + 1)
    quoted = target.title.replace("'", "''") if target else ""
    return f"'{quoted}'!${letter}$2:${letter}${LAST_ROW}"


def new_sheet_layout(ws: Worksheet, spec: TableSpec, rows: list[dict[str, Any]], specs: list[TableSpec]) -> None:
    headers = spec.headers()
    ws.append(headers)
    columns: list[ColumnSpec | None] = [*spec.columns, None]
    for i, (header, column) in enumerate(zip(headers, columns, strict=True), start=1):
        cell = ws.cell(row=1, column=i)
        look = header_look(column)
        cell.font = Font(bold=True, color=look.font_rgb)
        cell.fill = PatternFill("solid", start_color=look.fill_rgb, end_color=look.fill_rgb)
        note = header_note(column)
        if note:
            cell.comment = _note(note)
        letter = get_column_letter(i)
        values = [row.get(header) for row in rows]
        width = column_width(column, header, values)
        dimension = ws.column_dimensions[letter]
        dimension.width = width
        fmt = column_format(column)
        if fmt:
            dimension.number_format = fmt
        if wraps(column, width, values):
            dimension.alignment = Alignment(wrap_text=True, vertical="top")
        if column is not None:
            rule = validation_spec(column, choices_source(column, specs))
            if rule:
                dv = DataValidation(
                    type=rule["type"],
                    formula1=rule["formula1"],
                    allow_blank=True,
                    errorStyle="warning",
                    showErrorMessage=True,
                    errorTitle=rule["errorTitle"],
                    error=rule["error"],
                )
                dv.add(f"{letter}2:{letter}{LAST_ROW}")
                ws.add_data_validation(dv)
    ws.freeze_panes = "A2"


def _note(text: str) -> Comment:
    note = Comment(MARKER + text, AUTHOR)
    note.width = 320
    note.height = 90
    return note
