"""Serial dates and date/time number-format patterns, as Sheets computes them.

Sheets stores a date as a number of days since 1899-12-30 (the Lotus 1-2-3 epoch), the
time of day as the fraction. The cell's number format (``type`` DATE, TIME or DATE_TIME
and a ``pattern`` such as ``yyyy-mm-dd``) decides how it is shown.
"""

from __future__ import annotations

import datetime as dt
import re

EPOCH = dt.datetime(1899, 12, 30)
DATE_TYPES = frozenset({"DATE", "TIME", "DATE_TIME"})

_TOKEN = re.compile(
    r'"[^"]*"|\\.|am/pm|AM/PM|a/p|A/P|[dD]+|[mM]+|[yY]+|[hH]+|[sS]+|\.0+|.',
)
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def to_serial(value: dt.date | dt.datetime) -> float | int:
    """Serial number of a date (an int) or a date-time (a float)."""
    if isinstance(value, dt.datetime):
        delta = value - EPOCH
        return delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000
    return (value - EPOCH.date()).days


def from_serial(serial: float) -> dt.datetime:
    """The date-time a serial number stands for, rounded to the millisecond."""
    return EPOCH + dt.timedelta(milliseconds=round(serial * 86_400_000))


def format_serial(serial: float, pattern: str) -> str:
    """Render a serial with a Sheets date/time pattern (``M/d/yyyy``, ``h:mm:ss am/pm``...)."""
    moment = from_serial(serial)
    tokens = _TOKEN.findall(pattern)
    kinds = [_kind(token) for token in tokens]
    twelve_hour = any(kind == "ampm" for kind in kinds)
    out: list[str] = []
    for i, (token, kind) in enumerate(zip(tokens, kinds, strict=True)):
        if kind == "m" and (_previous_is(kinds, i, "h") or _next_is(kinds, i, "s")):
            kind = "minute"
        out.append(_render(token, kind, moment, twelve_hour))
    return "".join(out)


def _kind(token: str) -> str:
    lower = token.lower()
    if lower in ("am/pm", "a/p"):
        return "ampm"
    if token.startswith('"') or token.startswith("\\"):
        return "literal"
    if token.startswith(".0"):
        return "fraction"
    if lower[0] in "dmyhs" and len(set(lower)) == 1:
        return lower[0]
    return "literal"


def _previous_is(kinds: list[str], i: int, wanted: str) -> bool:
    for kind in reversed(kinds[:i]):
        if kind != "literal":
            return kind == wanted
    return False


def _next_is(kinds: list[str], i: int, wanted: str) -> bool:
    for kind in kinds[i + 1 :]:
        if kind != "literal":
            return kind == wanted
    return False


def _render(token: str, kind: str, moment: dt.datetime, twelve_hour: bool) -> str:
    n = len(token)
    if kind == "literal":
        if token.startswith('"'):
            return token[1:-1]
        return token[1:] if token.startswith("\\") else token
    if kind == "d":
        if n >= 4:
            return _DAYS[moment.weekday()]
        if n == 3:
            return _DAYS[moment.weekday()][:3]
        return f"{moment.day:02d}" if n == 2 else str(moment.day)
    if kind == "m":
        if n >= 5:
            return _MONTHS[moment.month - 1][0]
        if n == 4:
            return _MONTHS[moment.month - 1]
        if n == 3:
            return _MONTHS[moment.month - 1][:3]
        return f"{moment.month:02d}" if n == 2 else str(moment.month)
    if kind == "minute":
        return f"{moment.minute:02d}" if n >= 2 else str(moment.minute)
    if kind == "y":
        return f"{moment.year % 100:02d}" if n <= 2 else f"{moment.year:04d}"
    if kind == "h":
        hour = moment.hour
        if twelve_hour:
            hour = hour % 12 or 12
        return f"{hour:02d}" if n >= 2 else str(hour)
    if kind == "s":
        return f"{moment.second:02d}" if n >= 2 else str(moment.second)
    if kind == "fraction":
        digits = len(token) - 1
        return "." + f"{moment.microsecond:06d}"[:digits]
    if kind == "ampm":
        pm = moment.hour >= 12
        if token.lower() == "a/p":
            return "p" if pm else "a"
        return "PM" if pm else "AM"
    return token
