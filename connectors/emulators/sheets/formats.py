"""Cell formats: what is stored from a request and what ``effectiveFormat`` reports.

Google echoes colours without zero components (black is ``{}``) and mirrors a plain
``backgroundColor`` into ``backgroundColorStyle.rgbColor`` (and back); the emulator does
the same so a connector compares formats the way it will have to against Google.
"""

from __future__ import annotations

import copy
from typing import Any

_COLOR_PAIRS = (
    ("backgroundColor", "backgroundColorStyle"),
    ("foregroundColor", "foregroundColorStyle"),
)

#: The spreadsheet's ``properties.defaultFormat``; every cell's effective format starts here.
DEFAULT_FORMAT: dict[str, Any] = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}


def normalize_color(color: dict[str, Any]) -> dict[str, Any]:
    """A colour as Google returns it: zero red/green/blue components omitted."""
    return {key: value for key, value in color.items() if not (key in ("red", "green", "blue") and not value)}


def _mirror(fmt: dict[str, Any], plain: str, style: str) -> None:
    if plain in fmt and isinstance(fmt[plain], dict):
        fmt[plain] = normalize_color(fmt[plain])
        fmt[style] = {"rgbColor": dict(fmt[plain])}
    elif style in fmt and isinstance(fmt[style], dict) and "rgbColor" in fmt[style]:
        fmt[style] = {**fmt[style], "rgbColor": normalize_color(fmt[style]["rgbColor"])}
        fmt[plain] = dict(fmt[style]["rgbColor"])


def normalize_format(fmt: dict[str, Any]) -> dict[str, Any]:
    """A ``CellFormat`` as stored: colours normalized and mirrored into their styles."""
    out = copy.deepcopy(fmt)
    _mirror(out, *_COLOR_PAIRS[0])
    text = out.get("textFormat")
    if isinstance(text, dict):
        _mirror(text, *_COLOR_PAIRS[1])
    return out


def mirror_mask(mask: dict[str, Any]) -> dict[str, Any]:
    """A ``userEnteredFormat`` mask that also names each selected colour's twin.

    Selecting ``backgroundColor`` must update ``backgroundColorStyle`` too (and back),
    or the stale twin would be reported next to the new colour.
    """
    out = dict(mask)
    for plain, style in _COLOR_PAIRS:
        if plain in out and style not in out:
            out[style] = None
        elif style in out and plain not in out:
            out[plain] = None
    text = out.get("textFormat")
    if isinstance(text, dict):
        out["textFormat"] = mirror_mask(text)
    return out


def effective_format(user_format: dict[str, Any] | None) -> dict[str, Any]:
    """The format a cell renders with: the default, overridden by what the user set."""
    out = copy.deepcopy(DEFAULT_FORMAT)
    for key, value in (user_format or {}).items():
        if key == "textFormat" and isinstance(value, dict):
            out["textFormat"].update(copy.deepcopy(value))
        else:
            out[key] = copy.deepcopy(value)
    return out
