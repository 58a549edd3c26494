"""Inserting, deleting and appending rows or columns.

Cells move with their row or column — values, notes, formats and data validation alike —
and protected ranges, and the data ranges of the sheet's own charts, stretch, shift or
vanish the way they do in Sheets, so a connector that addresses rows by position sees the
same drift it would see against Google.
"""

from __future__ import annotations

import copy
from typing import Any

from .model import Sheet

_KEYS = {
    "ROWS": ("rowCount", "startRowIndex", "endRowIndex", 0),
    "COLUMNS": ("columnCount", "startColumnIndex", "endColumnIndex", 1),
}


def count(sheet: Sheet, dimension: str) -> int:
    """Rows or columns in the sheet's grid."""
    return sheet.row_count if dimension == "ROWS" else sheet.column_count


def _set_count(sheet: Sheet, dimension: str, value: int) -> None:
    sheet.properties["gridProperties"][_KEYS[dimension][0]] = value


def append(sheet: Sheet, dimension: str, length: int) -> None:
    """Grow the grid by ``length`` empty rows or columns at the end."""
    _set_count(sheet, dimension, count(sheet, dimension) + length)


def insert(sheet: Sheet, dimension: str, start: int, end: int, inherit_from_before: bool) -> None:
    """Insert ``end - start`` rows/columns before index ``start``.

    New cells inherit the format of the row/column before (``inheritFromBefore``) or
    after the insertion point, as Sheets does.
    """
    axis = _KEYS[dimension][3]
    width = end - start
    moved: dict[tuple[int, int], dict[str, Any]] = {}
    for key, cell in sheet.cells.items():
        if key[axis] >= start:
            key = (key[0] + width, key[1]) if axis == 0 else (key[0], key[1] + width)
        moved[key] = cell
    source = start - 1 if inherit_from_before else end
    for key, cell in list(moved.items()):
        if key[axis] != source or not cell.get("userEnteredFormat"):
            continue
        for offset in range(start, end):
            target = (offset, key[1]) if axis == 0 else (key[0], offset)
            moved[target] = {"userEnteredFormat": copy.deepcopy(cell["userEnteredFormat"])}
    sheet.cells = moved
    _set_count(sheet, dimension, count(sheet, dimension) + width)
    _, start_key, end_key, _ = _KEYS[dimension]
    for grid in [p["range"] for p in sheet.protected_ranges] + _chart_ranges(sheet):
        if start_key in grid and grid[start_key] >= start:
            grid[start_key] += width
        if end_key in grid and grid[end_key] > start:
            grid[end_key] += width


def _chart_data(sheet: Sheet) -> list[list[list[dict[str, Any]]]]:
    """Per chart on the sheet, the source range lists of its domains and series."""
    out = []
    for chart in sheet.charts:
        basic = chart["spec"].get("basicChart") or {}
        datas = [d.get("domain") or {} for d in basic.get("domains", [])]
        datas += [s.get("series") or {} for s in basic.get("series", [])]
        out.append([(d.get("sourceRange") or {}).get("sources", []) for d in datas])
    return out


def _chart_ranges(sheet: Sheet) -> list[dict[str, Any]]:
    """The GridRanges of the sheet's charts that lie on the sheet itself."""
    return [
        g for chart in _chart_data(sheet) for sources in chart for g in sources if g.get("sheetId") == sheet.sheet_id
    ]


def delete(sheet: Sheet, dimension: str, start: int, end: int) -> None:
    """Delete rows/columns ``[start, end)``, shifting the rest back."""
    axis = _KEYS[dimension][3]
    width = end - start
    kept: dict[tuple[int, int], dict[str, Any]] = {}
    for key, cell in sheet.cells.items():
        index = key[axis]
        if start <= index < end:
            continue
        if index >= end:
            key = (key[0] - width, key[1]) if axis == 0 else (key[0], key[1] - width)
        kept[key] = cell
    sheet.cells = kept
    _set_count(sheet, dimension, count(sheet, dimension) - width)

    def shifted(index: int) -> int:
        if index <= start:
            return index
        return index - width if index >= end else start

    _, start_key, end_key, _ = _KEYS[dimension]
    survivors = []
    for protected in sheet.protected_ranges:
        grid = protected["range"]
        if start_key in grid:
            grid[start_key] = shifted(grid[start_key])
        if end_key in grid:
            grid[end_key] = shifted(grid[end_key])
        if grid.get(start_key, 0) >= grid.get(end_key, count(sheet, dimension) + 1):
            continue
        survivors.append(protected)
    sheet.protected_ranges = survivors
    for grid in _chart_ranges(sheet):
        if start_key in grid:
            grid[start_key] = shifted(grid[start_key])
        if end_key in grid:
            grid[end_key] = shifted(grid[end_key])
    for chart in _chart_data(sheet):  # a source range whose cells are all gone leaves the chart, with its pair
        empty = {n for sources in chart for n, g in enumerate(sources) if g.get(start_key, 0) >= g.get(end_key, 1)}
        for sources in chart:
            sources[:] = [g for n, g in enumerate(sources) if n not in empty]
