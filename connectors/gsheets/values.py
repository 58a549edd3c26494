"""Cell values between Python and the Sheets API, both ways, and A1 names.

Values are written RAW, so what is sent is exactly what a later read returns: a string
stays a string even when it reads ``=IMPORTXML(...)``, a date goes as its serial number
(days since 1899-12-30, the fraction being the time of day) and comes back as that
number, a boolean as ``TRUE``/``FALSE``. :func:`to_cell` is therefore also the engine's
``read_back``: the value a row will hold once written, so its hash matches the next read.

A formula staff typed into a data column is read as a :class:`Formula`, not as text and
not as its result: no column kind accepts it, so the row is reported and held back
instead of importing whatever the formula computed.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

SERIAL_EPOCH = dt.date(1899, 12, 30)
_EPOCH_ORDINAL = SERIAL_EPOCH.toordinal()
_SECONDS_PER_DAY = 86_400


@dataclass(frozen=True, slots=True)
class Formula:
    """A live formula found in a data column; only its text is kept, never its result."""

    text: str

    def __str__(self) -> str:
        return self.text


def serial(value: dt.date) -> int | float:
    """A date (whole days) or naive date-time (with the time as a fraction) as a Sheets serial."""
    days = value.toordinal() - _EPOCH_ORDINAL
    if not isinstance(value, dt.datetime):
        return days
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    if not seconds:
        return days
    return days + seconds / _SECONDS_PER_DAY


def to_cell(value: Any) -> Any:
    """The JSON value to send (RAW) for a Python cell value; ``""`` clears the cell.

    Whole floats go as integers because that is how the API returns them.
    """
    if value is None:
        return ""
    cls = value.__class__
    if cls is str or cls is bool or cls is int:
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dt.date):
        return serial(value)
    if isinstance(value, float | Decimal):
        number = float(value)
        if not math.isfinite(number):
            return str(value)
        return int(number) if number.is_integer() else number
    return str(value)


def column_letters(index: int) -> str:
    """Letters of a 0-based column index: 0 → ``A``, 26 → ``AA``."""
    letters = ""
    n = index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def quote_title(title: str) -> str:
    """A tab title as A1 notation needs it: always quoted, embedded quotes doubled."""
    return "'" + title.replace("'", "''") + "'"


def title_of(a1: str) -> str:
    """The tab title of an A1 range the API echoed (``'Front desk'!A1:Z9`` → ``Front desk``)."""
    if a1.startswith("'"):
        out: list[str] = []
        i = 1
        while i < len(a1):
            if a1[i] == "'":
                if a1[i + 1 : i + 2] == "'":
                    out.append("'")
                    i += 2
                    continue
                break
            out.append(a1[i])
            i += 1
        return "".join(out)
    return a1.split("!", 1)[0]


def anchor(title: str, row: int, col: int) -> str:
    """The A1 name of one cell (1-based row, 0-based column), where a block of values starts."""
    return f"{quote_title(title)}!{column_letters(col)}{row}"


def json_size(value: Any) -> int:
    """A quick upper-bound estimate of a value's JSON size, to keep requests under the limit."""
    if value.__class__ is str:
        return len(value) + 3 if value.isascii() else 6 * len(value) + 3
    return 24
