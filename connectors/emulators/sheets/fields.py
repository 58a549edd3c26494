"""Field masks: the ``fields`` partial-response parameter and ``fields`` in update requests.

Syntax (as Google documents it): a comma-separated list of paths, ``.`` or ``/`` between
names, a parenthesised sub-selection after a path, ``*`` for everything at a level, e.g.
``sheets(properties(sheetId,title),data.rowData.values.note)``. No spaces: Google
rejects ``properties, sheets`` and so does this parser.

A mask is a tree ``{name: subtree}`` where ``None`` selects everything below.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import ApiError, invalid

Mask = dict[str, "Mask | None"]
Schema = dict[str, "Schema | None"]

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_*@$")

CELL_DATA: Schema = dict.fromkeys(
    [
        "userEnteredValue",
        "effectiveValue",
        "formattedValue",
        "userEnteredFormat",
        "effectiveFormat",
        "hyperlink",
        "note",
        "textFormatRuns",
        "dataValidation",
        "pivotTable",
        "dataSourceTable",
        "dataSourceFormula",
        "chipRuns",
    ]
)
GRID_PROPERTIES: Schema = dict.fromkeys(
    [
        "rowCount",
        "columnCount",
        "frozenRowCount",
        "frozenColumnCount",
        "hideGridlines",
        "rowGroupControlAfter",
        "columnGroupControlAfter",
    ]
)
SHEET_PROPERTIES: Schema = {
    **dict.fromkeys(
        [
            "sheetId",
            "title",
            "index",
            "sheetType",
            "hidden",
            "tabColor",
            "tabColorStyle",
            "rightToLeft",
            "dataSourceSheetProperties",
        ]
    ),
    "gridProperties": GRID_PROPERTIES,
}
GRID_DATA: Schema = {
    "startRow": None,
    "startColumn": None,
    "rowData": {"values": CELL_DATA},
    "rowMetadata": None,
    "columnMetadata": None,
}
SHEET: Schema = {
    **dict.fromkeys(
        [
            "merges",
            "conditionalFormats",
            "filterViews",
            "protectedRanges",
            "basicFilter",
            "charts",
            "bandedRanges",
            "developerMetadata",
            "rowGroups",
            "columnGroups",
            "slicers",
            "tables",
        ]
    ),
    "properties": SHEET_PROPERTIES,
    "data": GRID_DATA,
}
SPREADSHEET: Schema = {
    **dict.fromkeys(
        [
            "spreadsheetId",
            "namedRanges",
            "spreadsheetUrl",
            "developerMetadata",
            "dataSources",
            "dataSourceSchedules",
        ]
    ),
    "properties": dict.fromkeys(
        [
            "title",
            "locale",
            "autoRecalc",
            "timeZone",
            "defaultFormat",
            "iterativeCalculationSettings",
            "spreadsheetTheme",
            "importFunctionsExternalUrlAccessAllowed",
        ]
    ),
    "sheets": SHEET,
}


def _bad_mask() -> ApiError:
    return invalid("Request contains an invalid argument.")


def parse_mask(text: str) -> Mask:
    """Parse a field mask into a tree; 400 on anything Google would not accept."""
    if not text:
        raise _bad_mask()
    mask, end = _parse_list(text, 0, closing=None)
    if end != len(text):
        raise _bad_mask()
    return mask


def _parse_list(text: str, i: int, closing: str | None) -> tuple[Mask, int]:
    mask: Mask = {}
    while True:
        path: list[str] = []
        while True:
            start = i
            while i < len(text) and text[i] in _NAME_CHARS:
                i += 1
            if i == start:
                raise _bad_mask()
            path.append(text[start:i])
            if i < len(text) and text[i] in "./":
                i += 1
                continue
            break
        sub: Mask | None = None
        if i < len(text) and text[i] == "(":
            sub, i = _parse_list(text, i + 1, closing=")")
            i += 1
        _insert(mask, path, sub)
        if i == len(text) or text[i] == closing:
            if closing is not None and i == len(text):
                raise _bad_mask()
            return mask, i
        if text[i] != ",":
            raise _bad_mask()
        i += 1


def _insert(mask: Mask, path: list[str], sub: Mask | None) -> None:
    node = mask
    for name in path[:-1]:
        if name in node and node[name] is None:
            return
        child = node.setdefault(name, {})
        assert child is not None
        node = child
    last = path[-1]
    if last in node:
        existing = node[last]
        if existing is None or sub is None:
            node[last] = None
        else:
            for key, value in sub.items():
                _insert(existing, [key], value)
    else:
        node[last] = sub


def validate(mask: Mask, schema: Schema) -> None:
    """Refuse a mask that names fields the resource does not have (Google answers 400)."""
    for name, sub in mask.items():
        if name == "*":
            continue
        if name not in schema:
            raise _bad_mask()
        child = schema[name]
        if sub is not None and child is not None:
            validate(sub, child)


def selects(mask: Mask | None, *path: str) -> bool:
    """True if the mask selects anything at or below ``path``."""
    node = mask
    for name in path:
        if node is None or "*" in node:
            return True
        if name not in node:
            return False
        node = node[name]
    return True


def select(data: Any, mask: Mask | None) -> Any:
    """The partial response: only the fields the mask names (lists are filtered per item)."""
    if mask is None:
        return data
    if isinstance(data, list):
        return [select(item, mask) for item in data]
    if not isinstance(data, dict):
        return data
    if "*" in mask:
        return data
    out: dict[str, Any] = {}
    for name, sub in mask.items():
        if name not in data:
            continue
        value = select(data[name], sub)
        if isinstance(value, dict) and not value and sub is not None:
            continue
        out[name] = value
    return out


def overlay(target: dict[str, Any], source: dict[str, Any], mask: Mask) -> dict[str, Any]:
    """A copy of ``target`` with the masked fields taken from ``source``.

    Update semantics of the API: a masked field absent from ``source`` is cleared.
    """
    if "*" in mask:
        return copy.deepcopy(source)
    out = dict(target)
    for name, sub in mask.items():
        if sub is None:
            if name in source:
                out[name] = copy.deepcopy(source[name])
            else:
                out.pop(name, None)
            continue
        inner_target = out.get(name)
        inner_source = source.get(name)
        merged = overlay(
            inner_target if isinstance(inner_target, dict) else {},
            inner_source if isinstance(inner_source, dict) else {},
            sub,
        )
        if merged:
            out[name] = merged
        else:
            out.pop(name, None)
    return out


def required_mask(body: dict[str, Any], where: str) -> Mask:
    """The ``fields`` mask an update request must carry (Google refuses one without)."""
    text = body.get("fields")
    if not text:
        raise invalid(f"At least one field must be specified in '{where}.fields'.")
    return parse_mask(str(text))
