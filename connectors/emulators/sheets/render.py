"""How a stored cell reads back: effective value, formatted text, values-API rendering.

A cell keeps what was entered (``userEnteredValue``) and its format; everything a reader
sees is derived here, so every endpoint renders a cell the same way.
"""

from __future__ import annotations

import re
from typing import Any

from .dates import DATE_TYPES, format_serial

#: Patterns Sheets uses when a date-like number format carries no pattern of its own.
DEFAULT_PATTERNS = {"DATE": "M/d/yyyy", "TIME": "h:mm:ss am/pm", "DATE_TIME": "M/d/yyyy H:mm:ss"}

_PLACEHOLDERS = re.compile(r"[0#?][0#?,]*(?:\.[0#?]*)?(?:[eE][+-][0#]+)?")
_QUOTED = re.compile(r'"([^"]*)"|\\(.)')


def json_number(value: float) -> int | float:
    """A number as the API serialises it: whole numbers without a trailing ``.0``."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def number_format(cell: dict[str, Any]) -> dict[str, Any]:
    """The cell's ``userEnteredFormat.numberFormat`` (empty when automatic)."""
    return (cell.get("userEnteredFormat") or {}).get("numberFormat") or {}


def is_date_cell(cell: dict[str, Any]) -> bool:
    """True if the cell's number format makes its number a date, time or date-time."""
    return number_format(cell).get("type") in DATE_TYPES


def effective_value(cell: dict[str, Any]) -> dict[str, Any] | None:
    """The computed value. Formulas are kept, not evaluated, so they have none."""
    entered = cell.get("userEnteredValue")
    if not entered or "formulaValue" in entered:
        return None
    return dict(entered)


def formatted_value(cell: dict[str, Any]) -> str | None:
    """The text the cell shows in the UI, or ``None`` for an empty (or unevaluated) cell."""
    value = effective_value(cell)
    if value is None:
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return "TRUE" if value["boolValue"] else "FALSE"
    if "errorValue" in value:
        return value["errorValue"].get("message", "#ERROR!")
    return format_number(float(value["numberValue"]), number_format(cell))


def render_value(cell: dict[str, Any] | None, value_render: str, date_render: str) -> Any:
    """One cell as ``values.get`` returns it; ``""`` stands for an empty cell."""
    if not cell:
        return ""
    entered = cell.get("userEnteredValue") or {}
    if value_render == "FORMULA" and "formulaValue" in entered:
        return entered["formulaValue"]
    if value_render == "FORMATTED_VALUE":
        text = formatted_value(cell)
        return "" if text is None else text
    value = effective_value(cell)
    if value is None:
        return ""
    if "numberValue" in value:
        if date_render == "FORMATTED_STRING" and is_date_cell(cell):
            return formatted_value(cell)
        return json_number(value["numberValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "errorValue" in value:
        return value["errorValue"].get("message", "#ERROR!")
    return value["stringValue"]


def format_number(value: float, fmt: dict[str, Any]) -> str:
    """A number rendered with a number format (automatic when ``fmt`` is empty)."""
    kind = fmt.get("type")
    pattern = fmt.get("pattern") or ""
    if kind in DATE_TYPES:
        return format_serial(value, pattern or DEFAULT_PATTERNS[kind])
    if kind == "TEXT" or not pattern:
        return _automatic(value)
    return _with_pattern(value, pattern.split(";")[0])


def _automatic(value: float) -> str:
    """Sheets' automatic format: whole numbers in full, others to 10 significant digits."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.10g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}E{exponent[0]}{int(exponent[1:]):02d}"
    return text


def _with_pattern(value: float, pattern: str) -> str:
    """A number through a ``#,##0.00``-style pattern with literal prefix/suffix and ``%``."""
    match = _PLACEHOLDERS.search(pattern)
    if match is None:
        return _QUOTED.sub(lambda m: m.group(1) or m.group(2) or "", pattern)
    prefix = _QUOTED.sub(lambda m: m.group(1) or m.group(2) or "", pattern[: match.start()])
    suffix = _QUOTED.sub(lambda m: m.group(1) or m.group(2) or "", pattern[match.end() :])
    body = match.group(0)
    if "%" in pattern:
        value *= 100
    integer_part, _, rest = body.partition(".")
    scientific = re.search(r"[eE]", rest or integer_part)
    decimals_part = re.split(r"[eE]", rest)[0] if rest else ""
    decimals = len(decimals_part)
    negative = value < 0
    magnitude = abs(value)
    if scientific:
        text = f"{magnitude:.{decimals}E}"
        mantissa, exponent = text.split("E")
        text = f"{mantissa}E{exponent[0]}{int(exponent[1:]):02d}"
    else:
        text = f"{magnitude:,.{decimals}f}" if "," in integer_part else f"{magnitude:.{decimals}f}"
        required = decimals_part.count("0")
        if "." in text and required < decimals:
            whole, frac = text.split(".")
            frac = frac.rstrip("0").ljust(required, "0")
            text = f"{whole}.{frac}" if frac else whole
        if integer_part.replace(",", "").startswith("#") and text.startswith("0."):
            text = text[1:]
    sign = "-" if negative and float(text.replace(",", "").split("E")[0] or 0) != 0 else ""
    return f"{sign}{prefix}{text}{suffix}"
