"""What every kind of cell coercion shares: the context, the error, and cell clean-up.

A spreadsheet reader hands over ``str``, ``int``, ``float``, ``bool``, ``date``,
``datetime``, ``time`` or ``None``. Each kind module turns those into one canonical value
or raises :class:`CellError`; the helpers here keep the rules that must be the same for
every kind (what counts as blank, how a number reads as text) in one place.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal
from typing import Any, Final, Literal

import phonenumbers

Coercer = Callable[[Any], Any]
"""Turns one raw cell into its canonical value (``None`` for a blank cell)."""

Writer = Callable[[Any], Any]
"""Turns one canonical value into what a spreadsheet cell should hold."""

DateOrder = Literal["MDY", "DMY", "YMD"]

DATE_ORDERS: Final = ("MDY", "DMY", "YMD")


@dataclass(frozen=True, slots=True)
class CoerceContext:
    """The practice's locale: everything a cell's meaning depends on besides the cell.

    ``timezone`` is the practice's zone, a :class:`zoneinfo.ZoneInfo` (or a fixed
    offset); a date-time typed without an offset is read in it. ``phone_region`` is the
    ISO 3166 region a phone number without a country code belongs to. ``date_order``
    says how ``3/4/2026`` reads (``MDY``: 4 March; ``DMY``: 3 April; ``YMD`` for
    ``26/3/4``). ``reference_year`` anchors two-digit years (see
    :mod:`clinicops.core.coercion.dates`); the caller always gives it (a practice passes its
    clock's year), so coercion never looks at a clock and reads ``3/4/26`` the same on any day.
    """

    timezone: tzinfo = UTC
    phone_region: str = "US"
    date_order: DateOrder = "MDY"
    reference_year: int = field(kw_only=True)

    def __post_init__(self) -> None:
        if self.date_order not in DATE_ORDERS:
            raise ValueError(f"date_order must be one of {', '.join(DATE_ORDERS)}")
        if phonenumbers.country_code_for_region(self.phone_region) == 0:
            raise ValueError("phone_region must be a region code phonenumbers knows, such as US")
        if not 100 <= self.reference_year <= 9980:
            raise ValueError("reference_year must be between 100 and 9980")


class CellError(ValueError):
    """A cell that cannot become a canonical value of its column.

    ``problem`` says what is wrong and ``expected`` what would be accepted. Neither
    contains the typed value: it may be protected health information, and the caller
    decides where the value itself may be shown (the sheet, never the log).
    """

    def __init__(self, problem: str, expected: str) -> None:
        super().__init__(f"{problem}; expected {expected}")
        self.problem = problem
        self.expected = expected


SPACE: Final = "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "\u200b\u200c\u200d\u2060\ufeff"
"""Characters trimmed from both ends of every text cell: Unicode white space (including
the no-break space that copy-paste from web pages brings) and the zero-width characters
and byte-order mark that arrive the same way."""

PLACEHOLDERS: Final = frozenset(
    {"n/a", "na", "n.a.", "none", "null", "nil", "-", "--", "—", "tbd", "tba", "unknown", "?"}
)
"""What staff type when there is no value; reported as such rather than as a bad value."""

PLACEHOLDER_PROBLEM: Final = "this is a placeholder; leave the cell empty when there is no value"


def problem_for(text: str, problem: str) -> str:
    """The problem to report for ``text`` that failed to parse: placeholders get their own."""
    return PLACEHOLDER_PROBLEM if text.casefold() in PLACEHOLDERS else problem


def is_formula_like(text: str) -> bool:
    """Whether ``text`` starts the way a spreadsheet formula does.

    Such text arrives uncalculated (values are read and written raw), so a number
    column explains that rather than saying only "not a number".
    """
    return text[:1] in ("=", "+", "-", "@") and len(text) > 1


def number_text(value: float) -> str:
    """A finite float as a person would write it: ``12345.0`` → ``12345``, never ``1.2e+05``."""
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    if "e" in text:
        return format(Decimal(text), "f")
    return text


def unsupported(raw: object) -> CellError:
    """The error for a reader value no column kind reads (a duration, say)."""
    kind = "a duration" if type(raw).__name__ == "timedelta" else "an unsupported kind of value"
    return CellError(f"the cell holds {kind}", "a value typed as text, a number or a date")


NOT_FINITE: Final = "the cell holds a spreadsheet error or an infinite number"


def scalar_text(raw: object, expected: str) -> str:
    """Any non-blank, non-``str`` reader value as the text a person sees in the cell.

    Booleans read as ``TRUE``/``FALSE`` (what Sheets and Excel show), numbers without a
    float's exponent or trailing ``.0``, dates in ISO form (a midnight ``datetime`` is a
    date, as readers return date-formatted cells that way).
    """
    if isinstance(raw, str):
        return raw.strip(SPACE)
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, int):
        return str(int(raw))
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise CellError(NOT_FINITE, expected)
        return number_text(float(raw))
    if isinstance(raw, datetime):
        if raw.tzinfo is None and raw.time() == time(0):
            return raw.date().isoformat()
        return raw.isoformat(sep=" ")
    if isinstance(raw, date | time):
        return raw.isoformat()
    raise unsupported(raw)
