"""Number columns: counts (integer), scores (number) and amounts of money.

Typed numbers may carry thousands separators (``1,200``, groups of three only) and a
decimal point; nothing else. An exponent, a decimal comma or a unit is an error rather
than a guess, because a wrong guess in a dose count or a bill is worse than a note on
the cell.

Money is canonical as text with exactly two decimals (``"1200.50"``): exact, as JSON
Schema and the store keep it, and computed with :class:`decimal.Decimal` or integer
cents, never with float arithmetic. Amounts stop short of ten trillion, the most a
spreadsheet's float can carry to the cent.
"""

from __future__ import annotations

import math
import re
from datetime import date, time
from decimal import Decimal
from typing import Any, Final

from ._base import (
    NOT_FINITE,
    SPACE,
    CellError,
    CoerceContext,
    Coercer,
    Writer,
    is_formula_like,
    problem_for,
    unsupported,
)

INTEGER_EXPECTED: Final = "a whole number such as 12 or 1,200"
NUMBER_EXPECTED: Final = "a number such as 12, 1,200 or 4.75"
MONEY_EXPECTED: Final = "an amount such as 1200.00 or 1,200.50; (50.00) or -50.00 when negative"

_NUMBER: Final = re.compile(r"([+-]?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.([0-9]*))?", re.ASCII)
_MONEY: Final = re.compile(
    r"(\()?\s*([+-]?)\s*\$?\s*([+-]?)\s*"
    r"([0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.([0-9]*))?\s*(\))?",
    re.ASCII,
)
_CANONICAL_MONEY: Final = re.compile(r"-?(?:0|[1-9][0-9]{0,12})\.[0-9]{2}", re.ASCII)
_DECIMAL_COMMA: Final = re.compile(r"[$]?\s*[0-9]{1,3}(?:\.[0-9]{3})*,[0-9]{1,2}", re.ASCII)

_CENT: Final = Decimal("0.01")
_NOISE: Final = Decimal("1e-8")
_MAX_CENTS: Final = 10**15
"""Ten trillion: below it a float holds every amount exactly to the cent, so the number
written to a cell reads back as the same text."""
_MAX_FLOAT: Final = 1e13

_FORMULA_PROBLEM: Final = "formulas typed into a cell are not calculated; type the number itself"


def _text_problem(text: str, default: str) -> str:
    if is_formula_like(text) and _NUMBER.fullmatch(text) is None:
        return _FORMULA_PROBLEM
    return problem_for(text, default)


def _reader_number(raw: Any, expected: str) -> int | float:
    """A non-text reader value as a number: a checkbox or a date is not one."""
    if isinstance(raw, bool):
        raise CellError("a yes/no value is not a number", expected)
    if isinstance(raw, int):
        return int(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise CellError(NOT_FINITE, expected)
        return float(raw)
    if isinstance(raw, date | time):
        raise CellError("a date or time is not a number", expected)
    raise unsupported(raw)


def integer_coercer(schema: dict[str, Any], ctx: CoerceContext) -> Coercer:
    """A coercer for a whole-number column: an ``int``, or ``None`` when blank.

    Range checks (``minimum``, ``maximum``) are left to JSON Schema validation.
    """
    match_number = _NUMBER.fullmatch

    def coerce_integer(raw: Any) -> int | None:
        if raw.__class__ is str:
            text = raw.strip(SPACE)
            if text.isdigit() and text.isascii():
                return int(text)
            if not text:
                return None
            m = match_number(text)
            if m is None or not (m[2] or m[3]):
                raise CellError(_text_problem(text, "this is not a number"), INTEGER_EXPECTED)
            if m[3] and m[3].strip("0"):
                raise CellError("this is not a whole number", INTEGER_EXPECTED)
            return int(m[1] + (m[2].replace(",", "") or "0"))
        if raw is None:
            return None
        if isinstance(raw, str):
            return coerce_integer(str(raw))
        value = _reader_number(raw, INTEGER_EXPECTED)
        if value.__class__ is float:
            if not value.is_integer():
                raise CellError("this is not a whole number", INTEGER_EXPECTED)
            return int(value)
        return value  # type: ignore[return-value]

    return coerce_integer


def number_coercer(schema: dict[str, Any], ctx: CoerceContext) -> Coercer:
    """A coercer for a number column: an ``int`` when whole, else a ``float``."""
    match_number = _NUMBER.fullmatch

    def coerce_number(raw: Any) -> int | float | None:
        if raw.__class__ is str:
            text = raw.strip(SPACE)
            if text.isdigit() and text.isascii():
                return int(text)
            if not text:
                return None
            m = match_number(text)
            if m is None or not (m[2] or m[3]):
                raise CellError(_text_problem(text, "this is not a number"), NUMBER_EXPECTED)
            whole = m[2].replace(",", "") or "0"
            if not (m[3] and m[3].strip("0")):
                return int(m[1] + whole)
            return float(f"{m[1]}{whole}.{m[3]}")
        if raw is None:
            return None
        if isinstance(raw, str):
            return coerce_number(str(raw))
        value = _reader_number(raw, NUMBER_EXPECTED)
        if value.__class__ is float and value.is_integer():
            return int(value)
        return value

    return coerce_number


def _cents_text(cents: int) -> str:
    """Whole cents as canonical money text; amounts a float cannot carry to the cent are refused."""
    if abs(cents) >= _MAX_CENTS:
        raise CellError("the amount is too large (ten trillion or more)", MONEY_EXPECTED)
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def _money_from_float(value: float) -> str:
    """A float amount from a reader, to the cent, with decimal arithmetic only.

    The float's shortest representation is what the spreadsheet shows (``1200.5``). A
    computed cell carries binary noise (``0.1 + 0.2`` is ``0.30000000000000004``); an
    amount within a millionth of a cent (or a few units of float precision) of a whole
    cent is that cent. A genuine third decimal is an error, as it is in text.
    """
    if not abs(value) < _MAX_FLOAT:
        raise CellError("the amount is too large (ten trillion or more)", MONEY_EXPECTED)
    text = repr(value)
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    if "e" not in text and len(fraction) <= 2:
        cents = int(whole) * 100 + int(fraction.ljust(2, "0"))
        return _cents_text(-cents if negative else cents)
    exact = Decimal(text)
    rounded = exact.quantize(_CENT)
    if abs(exact - rounded) > max(_NOISE, Decimal(4 * math.ulp(value))):
        raise CellError("an amount has at most two decimal places (cents)", MONEY_EXPECTED)
    return _cents_text(int(rounded.scaleb(2)))


def _money_from_text(text: str) -> str:
    m = _MONEY.fullmatch(text)
    if m is None:
        if _DECIMAL_COMMA.fullmatch(text):
            raise CellError("a comma cannot mark the cents; use a point, as in 1200.00", MONEY_EXPECTED)
        raise CellError(_text_problem(text, "this is not an amount of money"), MONEY_EXPECTED)
    open_paren, sign, late_sign, whole, fraction, close_paren = m.groups()
    if not (whole or fraction):
        raise CellError("there is no amount in the cell", MONEY_EXPECTED)
    if bool(open_paren) != bool(close_paren) or (sign and late_sign):
        raise CellError("this is not an amount of money", MONEY_EXPECTED)
    negative = (sign or late_sign) == "-"
    if open_paren:
        if sign or late_sign:
            raise CellError("use either parentheses or a minus sign, not both", MONEY_EXPECTED)
        negative = True
    fraction = fraction or ""
    if len(fraction) > 2:
        raise CellError("an amount has at most two decimal places (cents)", MONEY_EXPECTED)
    cents = int(whole.replace(",", "") or "0") * 100 + int(fraction.ljust(2, "0"))
    return _cents_text(-cents if negative else cents)


def money_coercer(schema: dict[str, Any], ctx: CoerceContext) -> Coercer:
    """A coercer for a money column: text with exactly two decimals, or ``None`` when blank."""
    match_canonical = _CANONICAL_MONEY.fullmatch

    def coerce_money(raw: Any) -> str | None:
        if raw.__class__ is str:
            if match_canonical(raw) and raw != "-0.00":
                return raw
            text = raw.strip(SPACE)
            if not text:
                return None
            return _money_from_text(text)
        if raw is None:
            return None
        if isinstance(raw, str):
            return coerce_money(str(raw))
        value = _reader_number(raw, MONEY_EXPECTED)
        if value.__class__ is int:
            return _cents_text(value * 100)  # type: ignore[operator]
        return _money_from_float(value)  # type: ignore[arg-type]

    return coerce_money


def number_writer(schema: dict[str, Any], ctx: CoerceContext) -> Writer:
    """Integers and numbers are written as they are; the spreadsheet formats them."""

    def write_number(value: Any) -> int | float | None:
        return value

    return write_number


def money_writer(schema: dict[str, Any], ctx: CoerceContext) -> Writer:
    """Money is written as a number rounded to the cent, for the writer to format.

    A float holds every amount below 10^13 dollars exactly to the cent, so reading the
    cell back gives the same canonical text.
    """

    def write_money(value: Any) -> float | None:
        return None if value is None else round(float(value), 2)

    return write_money
