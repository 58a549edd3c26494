"""Date columns (date of birth, date of service, expiry), canonical as ``YYYY-MM-DD``.

Accepted: ISO (``2026-03-04``), numeric dates in the practice's order (``3/4/2026``,
``03/04/2026``, ``3-4-26``; ``MDY`` by default, ``DMY`` and ``YMD`` by context; a
four-digit first part is always the year), month names (``March 4, 2026``,
``4 Mar 2026``, ``Wed, Mar 4th 2026``), the compact ISO form ``20260304``, spreadsheet
serial numbers, and the ``date``/``datetime`` objects readers return. A date written
with a time of midnight (``3/4/2026 12:00:00 AM``, what exports of date cells contain)
is that date; any other time of day is an error, because keeping only the date would
drop what was typed.

Rejected with a reason: impossible dates (``2026-02-30``), a month above 12 (read in
the practice's order, so ``31/12/2026`` is an error under ``MDY``), a missing year
(``3/4``), words (``tomorrow``) and placeholders (``N/A``).

Serial numbers count days from 1899-12-30, as Google Sheets and Excel (for every date
from 1900-03-01 on) do. Any number from a reader, from 1 (1899-12-31) up, is a serial,
because that is how both store dates: a 100-year-old's birth date is serial 9,500. As
text, only a five-digit string without a leading zero is read as a serial (1927-05-18
to 2173-10-14): a shorter one reads as a year, and ``030426`` is someone's ``MMDDYY``,
not day 30426.

Two-digit years are resolved in a 100-year window, as Java's ``SimpleDateFormat`` and
many spreadsheets do: from 80 years before the context's ``reference_year`` to 19
after (2026: 1946 to 2045), so ``3/4/26`` is 2026 and ``7/1/55`` is 1955. A field
marked ``"x-two-digit-year": "past"`` (dates of birth) uses the 100 years up to the
reference year instead (2026: 1927 to 2026), so ``3/4/30`` is 1930. Either way a
birth date more than a century back needs four digits.

A field marked ``"x-month-year": "last-day"`` (an expiry date) also takes a month and a
year alone, as vaccine and drug labels print them (``12/2026``, ``2026-12``,
``Dec 2026``, ``December, 2026``), and reads it as the last day of that month: the CDC's
Vaccine Storage and Handling Toolkit says a vial whose expiration date shows only a month
and year may be used through the last day of that month. Elsewhere a month and a year
are not a date. (A spreadsheet that itself turns ``Dec 2026`` into 1 December stores that
date; clinicops cannot tell, so type such an expiry as text or as the last day.)
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any, Final

from ._base import (
    NOT_FINITE,
    SPACE,
    CellError,
    CoerceContext,
    Coercer,
    DateOrder,
    Writer,
    problem_for,
    unsupported,
)

MONTH_NAMES: Final = (
    "",
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
)
_WEEKDAY_NAMES: Final = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)

_MONTHS: Final = {
    **{name.lower(): number for number, name in enumerate(MONTH_NAMES) if name},
    **{name[:3].lower(): number for number, name in enumerate(MONTH_NAMES) if name},
    "sept": 9,
}
_WEEKDAYS: Final = {
    **{name.lower(): number for number, name in enumerate(_WEEKDAY_NAMES)},
    **{name[:3].lower(): number for number, name in enumerate(_WEEKDAY_NAMES)},
    "tues": 1,
    "thur": 3,
    "thurs": 3,
}

EXAMPLES: Final = {"MDY": "3/14/2026", "DMY": "14/3/2026", "YMD": "2026/3/14"}
_ORDER_HINTS: Final = {
    "MDY": " (dates here are read month first: M/D/YYYY)",
    "DMY": " (dates here are read day first: D/M/YYYY)",
    "YMD": " (dates here are read year first: YYYY/M/D)",
}

SERIAL_EPOCH: Final = date(1899, 12, 30)
_EPOCH_ORDINAL: Final = SERIAL_EPOCH.toordinal()
MAX_SERIAL: Final = date.max.toordinal() - _EPOCH_ORDINAL
"""The serial of 9999-12-31, the last date Python (and Excel) can hold."""

_NUMERIC: Final = re.compile(r"([0-9]{1,4})([/.-])([0-9]{1,2})\2([0-9]{1,4})", re.ASCII)
_NUMERIC_NO_YEAR: Final = re.compile(r"[0-9]{1,2}[/.-][0-9]{1,2}", re.ASCII)
_ORDINAL: Final = r"(?:st|nd|rd|th)?"
_WEEKDAY_PREFIX: Final = r"(?:([a-z]+)\.?,?\s+)?"
_YEAR_SEPARATOR: Final = r"(?:\.?,\s*|\.?[\s-]+)"
_MONTH_FIRST: Final = re.compile(
    rf"{_WEEKDAY_PREFIX}([a-z]+)\.?[\s-]*([0-9]{{1,2}}){_ORDINAL}{_YEAR_SEPARATOR}([0-9]{{2}}|[0-9]{{4}})",
    re.ASCII,
)
_DAY_FIRST: Final = re.compile(
    rf"{_WEEKDAY_PREFIX}([0-9]{{1,2}}){_ORDINAL}(?:\s+of)?[\s-]*([a-z]+){_YEAR_SEPARATOR}([0-9]{{2}}|[0-9]{{4}})",
    re.ASCII,
)
_WITH_TIME: Final = re.compile(r"(.*?[0-9])(?:\s*t\s*|,?\s+)([0-9]{1,2}:[0-9]{2}.*)", re.I | re.A)
_MIDNIGHT: Final = re.compile(
    r"(?:0?0:00(?::00(?:\.0+)?)?|12:00(?::00(?:\.0+)?)?\s*a\.?m\.?)", re.IGNORECASE | re.ASCII
)

_MONTH_YEAR: Final = re.compile(r"([0-9]{1,2})[/.-]([0-9]{4})|([0-9]{4})[/.-]([0-9]{1,2})", re.ASCII)
_NAMED_MONTH_YEAR: Final = re.compile(r"([a-z]+)\.?(?:,\s*|[\s-]*)([0-9]{4})", re.ASCII)
MONTH_YEAR_RULES: Final = ("last-day",)

_MONTH_DAYS: Final = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
"""Days in each month of a common year; only 29 February needs the calendar."""

TWO_DIGIT_YEAR_WINDOWS: Final = {"recent": 80, "past": 99}
"""For each ``x-two-digit-year`` value: how many years before the reference year the
100-year window starts."""

ParseDate = Callable[[str], date]


def window_start(schema: dict[str, Any], ctx: CoerceContext) -> int:
    """The first year of the window two-digit years are read in, for this field."""
    rule = schema.get("x-two-digit-year", "recent")
    if rule not in TWO_DIGIT_YEAR_WINDOWS:
        raise ValueError("x-two-digit-year must be 'recent' or 'past'")
    return ctx.reference_year - TWO_DIGIT_YEAR_WINDOWS[rule]


def month_year_end(text: str, expected: str) -> date | None:
    """The last day of the month a month-and-year text names, or None when it names none."""
    m = _MONTH_YEAR.fullmatch(text)
    if m is not None:
        month, year = (int(m[1]), int(m[2])) if m[1] else (int(m[4]), int(m[3]))
    else:
        m = _NAMED_MONTH_YEAR.fullmatch(text.lower())
        if m is None or m[1] not in _MONTHS:
            return None
        month, year = _MONTHS[m[1]], int(m[2])
    if not 1 <= month <= 12:
        raise CellError("the month must be between 1 and 12", expected)
    if year < 1:
        raise CellError("the year must be between 1 and 9999", expected)
    return date(year, month, calendar.monthrange(year, month)[1])


def expected_date(order: DateOrder) -> str:
    """The ``expected`` text of a date column in the practice's date order."""
    return f"a date such as 2026-03-14 or {EXAMPLES[order]}"


def serial_parts(value: float, expected: str) -> tuple[date, int]:
    """A spreadsheet serial number as a date and the seconds into that day.

    The fraction is rounded to the second, which absorbs the binary noise in serials
    like 46085.6041666667.
    """
    if not math.isfinite(value):
        raise CellError(NOT_FINITE, expected)
    if 0 < value < 1:
        raise CellError("there is a time but no date", expected)
    days, seconds = divmod(round(value * 86400), 86400)
    if not 1 <= days <= MAX_SERIAL:
        raise CellError(
            "this number is not a date (date serial numbers count days from 1899-12-30)",
            expected,
        )
    return date.fromordinal(_EPOCH_ORDINAL + days), seconds


def make_parser(order: DateOrder, first_year: int, expected: str, noun: str) -> ParseDate:
    """A parser of date text for one column; it raises :class:`CellError` with a reason.

    ``first_year`` starts the window for two-digit years; ``noun`` names what the column
    holds ("a date", "a date and time") in the generic problem.
    """
    return _DateParser(order, first_year, expected, noun).parse


class _DateParser:
    """Date text of one column's settings: numeric in the practice's order, digits, or month names."""

    def __init__(self, order: DateOrder, first_year: int, expected: str, noun: str) -> None:
        self.order = order
        self.hint = _ORDER_HINTS[order]
        self.first_year = first_year
        self.expected = expected
        self.noun = noun

    def parse(self, text: str) -> date:
        m = _NUMERIC.fullmatch(text)
        if m is not None:
            return self.numeric(m)
        if text.isdigit() and text.isascii():
            return self.digits(text)
        lowered = text.lower()
        m = _MONTH_FIRST.fullmatch(lowered)
        if m is not None:
            weekday, month_name, day, year = m.groups()
            return self.named(weekday, month_name, day, year)
        m = _DAY_FIRST.fullmatch(lowered)
        if m is not None:
            weekday, day, month_name, year = m.groups()
            return self.named(weekday, month_name, day, year)
        if _NUMERIC_NO_YEAR.fullmatch(text):
            raise CellError("the year is missing", self.expected)
        raise CellError(problem_for(text, f"this is not {self.noun}"), self.expected)

    def full_year(self, text: str) -> int:
        if len(text) == 4:
            return int(text)
        if len(text) == 2:
            return self.first_year + (int(text) - self.first_year) % 100
        raise CellError("the year needs four digits (or two)", self.expected)

    def build(self, year: int, month: int, day: int, month_hint: str = "") -> date:
        expected = self.expected
        if not 1 <= month <= 12:
            raise CellError(f"the month must be between 1 and 12{month_hint}", expected)
        if not 1 <= day <= 31:
            raise CellError("the day must be between 1 and 31", expected)
        if year < 1:
            raise CellError("the year must be between 1 and 9999", expected)
        if day > _MONTH_DAYS[month] and day > calendar.monthrange(year, month)[1]:
            raise CellError(f"{MONTH_NAMES[month]} {year} has no day {day}", expected)
        return date(year, month, day)

    def numeric(self, m: re.Match[str]) -> date:
        first, _, middle, last = m.groups()
        hint = self.hint
        if len(first) == 4:
            if len(last) > 2:
                raise CellError(f"this is not {self.noun}", self.expected)
            return self.build(int(first), int(middle), int(last), " (year/month/day)")
        if self.order == "MDY":
            return self.build(self.full_year(last), int(first), int(middle), hint)
        if self.order == "DMY":
            return self.build(self.full_year(last), int(middle), int(first), hint)
        if len(last) > 2:
            raise CellError(f"this is not {self.noun}{hint}", self.expected)
        return self.build(self.full_year(first), int(middle), int(last), hint)

    def named(self, weekday: str | None, month_name: str, day: str, year: str) -> date:
        month = _MONTHS.get(month_name)
        if month is None:
            raise CellError(f"this is not {self.noun}", self.expected)
        result = self.build(self.full_year(year), month, int(day))
        if weekday is not None:
            number = _WEEKDAYS.get(weekday)
            if number is None:
                raise CellError(f"this is not {self.noun}", self.expected)
            if number != result.weekday():
                raise CellError(
                    f"the weekday does not match the date, which is a {_WEEKDAY_NAMES[result.weekday()]}",
                    self.expected,
                )
        return result

    def digits(self, text: str) -> date:
        if len(text) == 5 and text[0] != "0":
            return serial_parts(int(text), self.expected)[0]
        if len(text) == 8:
            return self.build(int(text[:4]), int(text[4:6]), int(text[6:]), " (YYYYMMDD)")
        raise CellError(f"a number alone is not {self.noun}; type the full date", self.expected)


def _or_month_end(parse: ParseDate, expected: str) -> ParseDate:
    def parse_or_month_end(text: str) -> date:
        end = month_year_end(text, expected)
        return parse(text) if end is None else end

    return parse_or_month_end


def _month_year_rule(schema: dict[str, Any]) -> str | None:
    """The column's ``x-month-year`` rule, refused when it is not one clinicops knows."""
    rule = schema.get("x-month-year")
    if rule is not None and rule not in MONTH_YEAR_RULES:
        raise ValueError("x-month-year must be 'last-day'")
    return rule


def coercer(schema: dict[str, Any], ctx: CoerceContext) -> Coercer:
    """A coercer for a date column: ``YYYY-MM-DD`` text, or ``None`` when blank."""
    expected = expected_date(ctx.date_order)
    month_year = _month_year_rule(schema)
    if month_year:
        expected += ", or a month and year such as 12/2026 (its last day)"
    parse = make_parser(ctx.date_order, window_start(schema, ctx), expected, "a date")
    if month_year:
        parse = _or_month_end(parse, expected)
    from_iso = date.fromisoformat
    zone = ctx.timezone
    time_of_day = "this column holds a date only, without a time of day"

    def from_text(text: str) -> str:
        m = _WITH_TIME.fullmatch(text) if ":" in text else None
        if m is not None:
            if _MIDNIGHT.fullmatch(m[2]) is None:
                parse(m[1])
                raise CellError(time_of_day, expected)
            text = m[1]
        return parse(text).isoformat()

    def coerce_date(raw: Any) -> str | None:
        if raw.__class__ is str:
            if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
                try:
                    return from_iso(raw).isoformat()
                except ValueError:
                    pass
            text = raw.strip(SPACE)
            if not text:
                return None
            return from_text(text)
        if raw.__class__ is date:
            return raw.isoformat()
        if raw is None:
            return None
        if isinstance(raw, datetime):
            if raw.tzinfo is not None:
                raw = raw.astimezone(zone)
            if raw.time() != time(0):
                raise CellError(time_of_day, expected)
            return raw.date().isoformat()
        if isinstance(raw, date):
            return date(raw.year, raw.month, raw.day).isoformat()
        if isinstance(raw, str):
            return coerce_date(str(raw))
        if isinstance(raw, bool):
            raise CellError("a yes/no value is not a date", expected)
        if isinstance(raw, int | float):
            day, seconds = serial_parts(raw, expected)
            if seconds:
                raise CellError(time_of_day, expected)
            return day.isoformat()
        if isinstance(raw, time):
            raise CellError("there is a time but no date", expected)
        raise unsupported(raw)

    return coerce_date


def writer(schema: dict[str, Any], ctx: CoerceContext) -> Writer:
    """Dates are written as ``datetime.date``, so the spreadsheet shows and sorts a date."""

    def write_date(value: Any) -> date | None:
        return None if value is None else date.fromisoformat(value)

    return write_date
