"""Phone columns: any way staff write a number, stored as E.164 (``+16175550101``).

A number is accepted when ``phonenumbers`` says it is valid: a real country and area
code, the right length, an exchange in use. That keeps the fictional 555-0100 to
555-0199 numbers of training sheets (valid in every US area code) while reporting a
number without its area code (``555-0101``), a digit too many, or ``000``.

Nothing typed is dropped silently: an extension cannot be held in E.164, so a number
with one is reported rather than shortened, and a cell must start like a phone number
(a digit, ``+`` or ``(``) so that a label in front of it is not thrown away.

Parsing and validating with ``phonenumbers`` costs about 20 µs a cell. The common
North American forms (``(617) 555-0101``, ``617.555.0101``, ``+16175550101``) are split
with one regular expression instead, and checked against the region's number patterns
from the library's own metadata, combined once into one expression per length: the test
``is_valid_number_for_region`` makes, at a sixth of its cost. A number that fails the
quick check goes to the library, so the quick path can only ever accept what the library
accepts; tests hold both paths to the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time
from functools import cache
from typing import Any, Final

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, ValidationResult

from ._base import SPACE, CellError, CoerceContext, Coercer, Writer, problem_for, scalar_text

EXPECTED: Final = "a phone number with its area code, such as (617) 555-0123 or +44 20 7946 0958"

_NANP_WITH_PREFIX: Final = re.compile(r"(?:\+?1[ .-]*)?\(?([2-9][0-9]{2})\)?[ .-]*([0-9]{3})[ .-]*([0-9]{4})", re.ASCII)
_NANP_INTERNATIONAL: Final = re.compile(r"\+1[ .-]*\(?([2-9][0-9]{2})\)?[ .-]*([0-9]{3})[ .-]*([0-9]{4})", re.ASCII)

_PARSE_PROBLEMS: Final = {
    NumberParseException.INVALID_COUNTRY_CODE: "the country code is not one in use",
    NumberParseException.NOT_A_NUMBER: "this is not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "this has too few digits for a phone number",
    NumberParseException.TOO_SHORT_NSN: "this has too few digits for a phone number",
    NumberParseException.TOO_LONG: "this has too many digits for a phone number",
}

_POSSIBILITY_PROBLEMS: Final = {
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "the area code is missing",
    ValidationResult.INVALID_COUNTRY_CODE: "the country code is not one in use",
    ValidationResult.TOO_SHORT: "this has too few digits for a phone number",
    ValidationResult.TOO_LONG: "this has too many digits for a phone number",
    ValidationResult.INVALID_LENGTH: "this has the wrong number of digits for its country",
}


_NUMBER_TYPES: Final = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)
"""The kinds of number a region's metadata describes; a number of any kind is valid."""


@cache
def region_check(region: str) -> Callable[[str], bool]:
    """A quick test of a national number: ``True`` only when it is valid in ``region``.

    It asks what ``is_valid_number_for_region`` asks of the metadata: the region's
    general pattern and the pattern of at least one kind of number, for numbers of a
    length the metadata lists. ``False`` means "ask the library", not "invalid".
    """
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    general = metadata.general_desc if metadata is not None else None
    patterns: dict[int, tuple[re.Pattern[str], re.Pattern[str]]] = {}
    if general is not None and general.national_number_pattern:
        for length in general.possible_length:
            alternatives = [
                f"(?:{desc.national_number_pattern})"
                for desc in (getattr(metadata, name, None) for name in _NUMBER_TYPES)
                if desc is not None
                and desc.national_number_pattern
                and (not desc.possible_length or length in desc.possible_length)
            ]
            if alternatives:
                patterns[length] = (
                    re.compile(general.national_number_pattern),
                    re.compile("|".join(alternatives)),
                )

    def check(national: str) -> bool:
        pair = patterns.get(len(national))
        return pair is not None and pair[0].fullmatch(national) is not None and pair[1].fullmatch(national) is not None

    return check


def _slow(text: str, region: str) -> str:
    """Parse with the full library: every form it reads, every reason it refuses."""
    if text[0] not in "+(0123456789":
        raise CellError(problem_for(text, "this is not a phone number"), EXPECTED)
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        problem = _PARSE_PROBLEMS.get(exc.error_type, "this is not a phone number")
        raise CellError(problem, EXPECTED) from None
    if number.extension:
        raise CellError(
            "an extension cannot be kept in a phone column; note it in another column",
            EXPECTED,
        )
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if any(c.isalpha() for c in text):
        raise CellError("this is not a phone number; words and labels belong in another column", EXPECTED)
    reason = phonenumbers.is_possible_number_with_reason(number)
    problem = _POSSIBILITY_PROBLEMS.get(reason, "no phone number in use has this country and area")
    raise CellError(problem, EXPECTED)


def coercer(schema: dict[str, Any], ctx: CoerceContext) -> Coercer:
    """A coercer for a phone column: E.164 text, or ``None`` when blank."""
    region = ctx.phone_region
    nanp_region = phonenumbers.country_code_for_region(region) == 1
    match_nanp = (_NANP_WITH_PREFIX if nanp_region else _NANP_INTERNATIONAL).fullmatch
    quick_check = region_check(region if nanp_region else "US")
    is_valid = phonenumbers.is_valid_number

    def coerce_phone(raw: Any) -> str | None:
        if raw.__class__ is str:
            text = raw.strip(SPACE)
        elif raw is None:
            return None
        else:
            if isinstance(raw, bool | date | time):
                raise CellError("a yes/no value or a date is not a phone number", EXPECTED)
            text = scalar_text(raw, EXPECTED)
        m = match_nanp(text)
        if m is not None:
            national = m[1] + m[2] + m[3]
            if quick_check(national) or is_valid(PhoneNumber(country_code=1, national_number=int(national))):
                return "+1" + national
        if not text:
            return None
        return _slow(text, region)

    return coerce_phone


def writer(schema: dict[str, Any], ctx: CoerceContext) -> Writer:
    """Phone numbers are written in E.164, as text, so no spreadsheet turns them into numbers."""

    def write_phone(value: Any) -> str | None:
        return None if value is None else str(value)

    return write_phone
