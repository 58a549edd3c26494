"""Requests that write cell contents: updateCells, repeatCell, setDataValidation, sortRange.

Each writes ``CellData`` through a field mask: masked fields are replaced (or cleared
when the request leaves them out), everything else in the cell is kept — so a note can
be set without touching the value typed next to it.
"""

from __future__ import annotations

import copy
from typing import Any

from .a1 import format_cells
from .entry import check_length
from .errors import invalid
from .fields import CELL_DATA, Mask, overlay, required_mask
from .fields import validate as validate_mask
from .formats import mirror_mask, normalize_format
from .model import Box, Sheet, Spreadsheet, exceeds_grid, grid_box
from .params import check_body, enum, flag, integer
from .render import effective_value

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
EXTENDED_VALUE_KINDS = ("numberValue", "stringValue", "boolValue", "formulaValue", "errorValue")


def _cells(box: Box) -> list[tuple[int, int]]:
    return [(row, col) for row in range(box.start_row, box.end_row) for col in range(box.start_col, box.end_col)]


def _extended_value(value: Any, where: str) -> dict[str, Any] | None:
    check_body(value, set(EXTENDED_VALUE_KINDS), where)
    kinds = [kind for kind in EXTENDED_VALUE_KINDS if kind in value]
    if len(kinds) > 1:
        raise invalid(f"Invalid value at '{where}': oneof field 'value' is already set. Cannot set '{kinds[1]}'")
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
    mask = required_mask(body, where)
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
            raise exceeds_grid(sheet, format_cells(row0, col0, max(end_row, row0 + 1), max(end_col, col0 + 1)))
        box = Box(sheet, row0, col0, end_row, end_col)
    written: set[tuple[int, int]] = set()
    for i, row_data in enumerate(rows):
        check_body(row_data or {}, {"values"}, f"{where}.rows[{i}]")
        for j, cell in enumerate((row_data or {}).get("values") or []):
            row, col = box.start_row + i, box.start_col + j
            if row >= box.end_row or col >= box.end_col:
                raise invalid(f"Attempting to write row: {row}, column: {col}, beyond the range {box.a1}")
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


def _sort_key(cell: dict[str, Any] | None, column: int) -> tuple[int, Any]:
    """Sheets' ascending order: numbers, then text (ignoring case), then booleans."""
    value = effective_value(cell or {}) or {}
    if "numberValue" in value:
        return 0, value["numberValue"]
    if "stringValue" in value:
        return 1, value["stringValue"].casefold()
    if "boolValue" in value:
        return 2, value["boolValue"]
    return 3, 0


def sort_range(spreadsheet: Spreadsheet, body: dict[str, Any], where: str) -> None:
    """``sortRange``: reorder the rows of a range by columns; whole cells move together.

    Empty cells sort last in either order, as in Sheets; the sort is stable.
    """
    check_body(body, {"range", "sortSpecs"}, where)
    box = grid_box(spreadsheet, body.get("range") or {}, f"{where}.range")
    sheet = box.sheet
    specs: list[tuple[int, bool]] = []
    for i, spec in enumerate(body.get("sortSpecs") or []):
        at = f"{where}.sort_specs[{i}]"
        check_body(spec, {"dimensionIndex", "sortOrder", "foregroundColor", "backgroundColor"}, at)
        column = integer(spec.get("dimensionIndex"), f"{at}.dimension_index")
        if not box.start_col <= column < box.end_col:
            raise invalid(f"Sort column {column} is outside the range {box.a1}.")
        order = enum(spec.get("sortOrder"), ("ASCENDING", "DESCENDING"), "SortOrder", "ASCENDING", where=at)
        specs.append((column, order == "DESCENDING"))
    if not specs:
        raise invalid("At least one sort spec is required.")
    rows = list(range(box.start_row, box.end_row))
    for column, descending in reversed(specs):
        filled = [r for r in rows if _sort_key(sheet.cell(r, column), column)[0] < 3]
        empty = [r for r in rows if r not in set(filled)]
        filled.sort(key=lambda r, c=column: _sort_key(sheet.cell(r, c), c), reverse=descending)
        rows = filled + empty
    moved = {
        (box.start_row + i, col): sheet.cell(source, col)
        for i, source in enumerate(rows)
        for col in range(box.start_col, box.end_col)
    }
    for (row, col), cell in moved.items():
        sheet.put(row, col, cell or {})
