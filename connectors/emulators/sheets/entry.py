"""Turning written values into cell contents, per ``valueInputOption``.

``RAW`` stores what was sent: a JSON string stays a string even if it reads
``=IMPORTXML(...)`` or ``0123``. ``USER_ENTERED`` parses a string as if it were typed
into the UI: numbers (dropping leading zeros), ``TRUE``/``FALSE``, percentages,
currency, dates and times (stored as serial numbers with a date format), a leading
``=`` makes a formula and a leading ``'`` forces text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from .dates import to_serial
from .errors import ApiError, invalid

#: Google's per-cell content limit.
MAX_CELL_CHARS = 50_000

_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+"
_PLAIN_NUMBER = re.compile(rf"^([+-]?)({_NUMBER})(?:[eE]([+-]?\d+))?$")
_PERCENT = re.compile(rf"^([+-]?)({_NUMBER})\s*%$")
_CURRENCY = re.compile(rf"^([+-]?)\$\s*({_NUMBER})$")
_ISO_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](.+))?$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?:\s+(.+))?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*([AaPp][Mm])?$")


@dataclass(frozen=True)
class Entry:
    """What a written value becomes: the entered value, and a number format to apply.

    ``value`` is ``None`` when the write clears the cell's value (an empty string).
    """

    value: dict[str, Any] | None
    number_format: dict[str, str] | None = None


def too_long() -> ApiError:
    """The 400 for a cell over the 50,000-character limit."""
    return invalid(f"Your input contains more than the maximum of {MAX_CELL_CHARS} characters in a single cell.")


def check_length(text: str) -> None:
    """Refuse cell content longer than Google allows."""
    if len(text) > MAX_CELL_CHARS:
        raise too_long()


def parse_value(value: Any, option: str, where: str) -> Entry:
    """The cell content for one written value under ``RAW`` or ``USER_ENTERED``."""
    if isinstance(value, bool):
        return Entry({"boolValue": value})
    if isinstance(value, int | float):
        return Entry({"numberValue": float(value)})
    if not isinstance(value, str):
        kind = "list_value" if isinstance(value, list) else "struct_value"
        raise invalid(f"Invalid {where}: {kind}")
    check_length(value)
    if value == "":
        return Entry(None)
    if option == "RAW":
        return Entry({"stringValue": value})
    return parse_user_entered(value)


def parse_user_entered(text: str) -> Entry:
    """Interpret ``text`` the way the Sheets UI interprets typing."""
    if text.startswith("'"):
        return Entry({"stringValue": text[1:]}) if len(text) > 1 else Entry(None)
    if text.startswith("=") and len(text) > 1:
        return Entry({"formulaValue": text})
    stripped = text.strip()
    upper = stripped.upper()
    if upper in ("TRUE", "FALSE"):
        return Entry({"boolValue": upper == "TRUE"})
    for parser in (_number, _percent, _currency, _date_time, _time_of_day):
        entry = parser(stripped)
        if entry is not None:
            return entry
    return Entry({"stringValue": text})


def _to_float(sign: str, digits: str) -> float:
    number = float(digits.replace(",", ""))
    return -number if sign == "-" else number


def _decimals(digits: str) -> int:
    return len(digits.split(".", 1)[1]) if "." in digits else 0


def _number(text: str) -> Entry | None:
    match = _PLAIN_NUMBER.match(text)
    if not match:
        return None
    sign, digits, exponent = match.groups()
    number = _to_float(sign, digits)
    if exponent is not None:
        number *= 10 ** int(exponent)
        return Entry({"numberValue": number}, {"type": "SCIENTIFIC", "pattern": "0.00E+00"})
    if "," in digits:
        pattern = "#,##0.00" if _decimals(digits) else "#,##0"
        return Entry({"numberValue": number}, {"type": "NUMBER", "pattern": pattern})
    return Entry({"numberValue": number})


def _percent(text: str) -> Entry | None:
    match = _PERCENT.match(text)
    if not match:
        return None
    sign, digits = match.groups()
    pattern = "0.00%" if _decimals(digits) else "0%"
    return Entry({"numberValue": _to_float(sign, digits) / 100}, {"type": "PERCENT", "pattern": pattern})


def _currency(text: str) -> Entry | None:
    match = _CURRENCY.match(text)
    if not match:
        return None
    sign, digits = match.groups()
    return Entry(
        {"numberValue": _to_float(sign, digits)},
        {"type": "CURRENCY", "pattern": '"$"#,##0.00'},
    )


def _clock(text: str) -> dt.time | None:
    match = _TIME.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    second = int(match.group(3) or 0)
    micro = int((match.group(4) or "0")[:6].ljust(6, "0"))
    meridiem = (match.group(5) or "").upper()
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "PM" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return dt.time(hour, minute, second, micro)


def _date_time(text: str) -> Entry | None:
    iso = _ISO_DATE.match(text)
    us = _US_DATE.match(text)
    if iso:
        year, month, day, rest = int(iso[1]), int(iso[2]), int(iso[3]), iso[4]
        date_pattern = "yyyy-mm-dd"
    elif us:
        month, day, year, rest = int(us[1]), int(us[2]), int(us[3]), us[4]
        if len(us[3]) == 2:
            year += 2000 if year < 30 else 1900
        date_pattern = "M/d/yyyy"
    else:
        return None
    try:
        day_value = dt.date(year, month, day)
    except ValueError:
        return None
    if rest is None:
        return Entry(
            {"numberValue": float(to_serial(day_value))},
            {"type": "DATE", "pattern": date_pattern},
        )
    clock = _clock(rest.strip())
    if clock is None:
        return None
    moment = dt.datetime.combine(day_value, clock)
    time_pattern = "h:mm:ss am/pm" if re.search(r"[AaPp][Mm]$", rest.strip()) else "H:mm:ss"
    return Entry(
        {"numberValue": float(to_serial(moment))},
        {"type": "DATE_TIME", "pattern": f"{date_pattern} {time_pattern}"},
    )


def _time_of_day(text: str) -> Entry | None:
    clock = _clock(text)
    if clock is None:
        return None
    seconds = clock.hour * 3600 + clock.minute * 60 + clock.second + clock.microsecond / 1e6
    return Entry({"numberValue": seconds / 86400}, {"type": "TIME", "pattern": "h:mm:ss am/pm"})
