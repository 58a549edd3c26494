"""Date-time columns (appointment start, reminder sent), canonical in UTC.

The canonical form is ``YYYY-MM-DDTHH:MM:SSZ``: UTC, to the second, so records sort
and compare the same in every practice and across daylight-saving changes.

Staff type the practice's local time. A value without an offset (``2026-03-04 14:30``,
``3/4/2026 2:30 PM``, a naive ``datetime``, a serial number with a fraction) is read in
the context's time zone; an explicit offset or ``Z`` is honoured. Across the
daylight-saving changes:

* a local time that does not exist (the hour skipped when clocks go forward, e.g.
  2026-03-08 02:30 in New York) is an error; moving it silently would book a visit at a
  time nobody typed;
* a local time that happens twice (the hour repeated when clocks go back) is the first
  occurrence, the one before the change, unless a ``datetime`` object says otherwise
  with ``fold=1``. Writing back gives the same local time, so a cell's meaning is
  stable from one sync to the next.

A date alone is not a date-time (``2026-03-04`` says nothing of the hour), nor is a time
alone. A ``date`` object is the exception: readers return a date-time cell at exactly
midnight as a ``date``, so it is read as local midnight.

Seconds are rounded; the sub-second noise of serial numbers is not information.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Final

from ._base import SPACE, CellError, CoerceContext, Coercer, Writer, unsupported
from .dates import MAX_SERIAL, make_parser, serial_parts, window_start

EXAMPLES: Final = {
    "MDY": "3/14/2026 9:15 AM",
    "DMY": "14/3/2026 09:15",
    "YMD": "2026/3/14 09:15",
}

_CANONICAL: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", re.ASCII)
_DATE_AND_TIME: Final = re.compile(
    r"(.*?[0-9])(?:\s*t\s*|\s+at\s+|,?\s+)"
    r"([0-9]{1,2})(?::([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?)?"
    r"(?:\s*([ap])\.?m\.?)?"
    r"\s*(z|utc|gmt|[+-][0-9]{2}(?::?[0-9]{2})?)?",
    re.IGNORECASE | re.ASCII,
)
_NUMERIC_LOCAL: Final = re.compile(
    r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}),? +([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?"
    r" *(?:([AaPp])\.?[Mm]\.?)?",
    re.ASCII,
)
"""The form staff type most (``3/4/2026 2:30 PM``), read without the general parser."""
_TIME_ONLY: Final = re.compile(
    r"[0-9]{1,2}(?::[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?)?\s*(?:[ap]\.?m\.?)?",
    re.IGNORECASE | re.ASCII,
)
_ONE_SECOND: Final = timedelta(seconds=1)
_SERIAL_EPOCH: Final = datetime(1899, 12, 30)
_MONTH_DAYS: Final = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
"""Days in each month of a common year; 29 February takes the general parser."""

NONEXISTENT: Final = "this local time does not exist: the clocks go forward over it; use the time after the change"


def expected_datetime(ctx: CoerceContext) -> str:
    """The ``expected`` text of a date-time column."""
    return f"a date and time such as 2026-03-14 09:15 or {EXAMPLES[ctx.date_order]}"


def _clock(
    hour: str, minute: str | None, second: str | None, fraction: str | None, half: str | None
) -> tuple[time, bool] | str:
    """The time of day and whether its fraction rounds up a second; or why it is no time."""
    h = int(hour)
    m = int(minute or 0)
    s = int(second or 0)
    if half is not None:
        if not 1 <= h <= 12:
            return "with AM or PM the hour must be between 1 and 12"
        h = h % 12 + (12 if half in "pP" else 0)
    elif h > 23:
        return "the hour must be between 0 and 23"
    if m > 59:
        return "the minutes must be between 0 and 59"
    if s > 59:
        return "the seconds must be between 0 and 59"
    return time(h, m, s), bool(fraction) and fraction[0] >= "5"


def _offset(text: str) -> timedelta | None:
    """A written UTC offset (``Z``, ``-05:00``, ``+0530``), or ``None`` if impossible."""
    if text[0] not in "+-":
        return timedelta(0)
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return -delta if text[0] == "-" else delta


def _naive_utc(moment: datetime) -> datetime:
    """An aware datetime as naive UTC: an explicit offset is honoured."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def coercer(schema: dict[str, Any], ctx: CoerceContext) -> Coercer:
    """A coercer for a date-time column: UTC ``YYYY-MM-DDTHH:MM:SSZ``, or ``None`` if blank."""
    expected = expected_datetime(ctx)
    canonical = _canonical_for(ctx.timezone, expected)
    from_text = _text_reader(ctx, schema, canonical, expected)
    from_iso = datetime.fromisoformat

    def coerce_datetime(raw: Any) -> str | None:
        if raw.__class__ is str:
            if raw[-1:] == "Z" and _CANONICAL.fullmatch(raw):
                try:
                    from_iso(raw[:-1])
                    return raw
                except ValueError:
                    pass
            elif len(raw) >= 16 and raw[4] == "-" and raw[10] in "T ":
                try:
                    moment = from_iso(raw)
                except ValueError:
                    moment = None
                if moment is not None:
                    return canonical(moment)
            text = raw.strip(SPACE)
            if not text:
                return None
            return from_text(text)
        if raw.__class__ is datetime:
            return canonical(raw)
        if raw is None:
            return None
        if isinstance(raw, str):
            return coerce_datetime(str(raw))
        return _from_value(raw, canonical, expected)

    return coerce_datetime


def _from_value(raw: Any, canonical: Callable[[datetime], str], expected: str) -> str:
    """A cell that is not text: a date-time, a date (at midnight) or a serial number."""
    if isinstance(raw, datetime):
        return canonical(raw)
    if isinstance(raw, date):
        return canonical(datetime.combine(raw, time(0)))
    if isinstance(raw, bool):
        raise CellError("a yes/no value is not a date and time", expected)
    if isinstance(raw, int | float):
        if 1 <= raw < MAX_SERIAL:
            return canonical(_SERIAL_EPOCH + timedelta(0, round(raw * 86400)))
        day, seconds = serial_parts(raw, expected)
        return canonical(datetime.combine(day, time(0)) + timedelta(seconds=seconds))
    if isinstance(raw, time):
        raise CellError("there is a time but no date", expected)
    raise unsupported(raw)


def _canonical_for(zone: tzinfo, expected: str) -> Callable[[datetime], str]:
    """A moment as the store keeps it: UTC to the second; a naive one is a time in ``zone``."""
    fixed_offset = zone.utcoffset(None)

    def to_utc(local: datetime) -> datetime:
        """A naive local time as naive UTC, refusing a time the clocks skip.

        ``zone.utcoffset`` reads a naive datetime's fields and fold directly, and the
        twin with the other fold is built with the constructor: together about a fifth
        of what ``replace(tzinfo=...)`` costs, which matters at a million cells.
        """
        if fixed_offset is not None:
            return local - fixed_offset
        offset = zone.utcoffset(local)
        other = zone.utcoffset(
            datetime(
                local.year,
                local.month,
                local.day,
                local.hour,
                local.minute,
                local.second,
                local.microsecond,
                fold=1 - local.fold,
            )
        )
        if offset == other:
            return local - offset  # type: ignore[operator]
        before, after = (other, offset) if local.fold else (offset, other)
        if before > after:  # type: ignore[operator]
            return local - offset  # type: ignore[operator]
        raise CellError(NONEXISTENT, expected)

    def canonical(moment: datetime) -> str:
        try:
            moment = to_utc(moment) if moment.tzinfo is None else _naive_utc(moment)
            if moment.microsecond:
                carry = moment.microsecond >= 500_000
                moment = moment.replace(microsecond=0)
                if carry:
                    moment += _ONE_SECOND
        except OverflowError:
            raise CellError("the year must be between 1 and 9999", expected) from None
        return moment.isoformat() + "Z"

    return canonical


def _text_reader(
    ctx: CoerceContext, schema: dict[str, Any], canonical: Callable[[datetime], str], expected: str
) -> Callable[[str], str]:
    """Date-time text as typed: the common numeric form fast, anything else part by part."""
    parse_date = make_parser(ctx.date_order, window_start(schema, ctx), expected, "a date and time")
    match_numeric = _NUMERIC_LOCAL.fullmatch if ctx.date_order != "YMD" else None
    month_group, day_group = (0, 1) if ctx.date_order == "MDY" else (1, 0)

    def quick(text: str) -> datetime | None:
        """The common numeric form when every part is plainly in range; else ``None``."""
        m = match_numeric(text) if match_numeric is not None else None
        if m is None:
            return None
        parts = m.groups()
        month, day = int(parts[month_group]), int(parts[day_group])
        hour, minute, second, half = int(parts[3]), int(parts[4]), int(parts[5] or 0), parts[6]
        if half is not None:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if half in "pP" else 0)
        if 1 <= month <= 12 and 1 <= day <= _MONTH_DAYS[month] and hour < 24 and minute < 60:
            if second > 59:
                return None
            year = int(parts[2])
            if year:
                return datetime(year, month, day, hour, minute, second)
        return None

    def from_text(text: str) -> str:
        moment = quick(text)
        if moment is not None:
            return canonical(moment)
        m = _DATE_AND_TIME.fullmatch(text)
        if m is None or (m[3] is None and m[6] is None):
            if _TIME_ONLY.fullmatch(text):
                raise CellError("there is a time but no date", expected)
            parse_date(text)
            raise CellError("there is a date but no time", expected)
        day = parse_date(m[1])
        clock = _clock(m[2], m[3], m[4], m[5], m[6])
        if isinstance(clock, str):
            raise CellError(clock, expected)
        moment = datetime.combine(day, clock[0])
        if clock[1]:
            moment += _ONE_SECOND
        if m[7] is not None:
            offset = _offset(m[7])
            if offset is None:
                raise CellError("the time zone offset is not valid", expected)
            return canonical(moment - offset)
        return canonical(moment)

    return from_text


def writer(schema: dict[str, Any], ctx: CoerceContext) -> Writer:
    """Date-times are written as naive ``datetime`` in the practice's local time.

    That is what staff read and type; the conversion follows daylight saving, and a
    time in the repeated hour carries ``fold=1`` when it is the second occurrence.
    """
    zone = ctx.timezone

    def write_datetime(value: Any) -> datetime | None:
        if value is None:
            return None
        return datetime.fromisoformat(value).astimezone(zone).replace(tzinfo=None)

    return write_datetime
