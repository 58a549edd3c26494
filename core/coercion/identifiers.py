"""Identifier columns: National Provider Identifiers and billing codes.

An NPI is ten digits whose last is a Luhn check digit computed over the card-issuer
prefix ``80840`` followed by the first nine digits (CMS, "Requirements for the NPI check
digit"). The check catches almost every single mistyped digit and swapped pair, so a
typo is reported on the sheet instead of reaching a claim. The first digit is 1 (an
individual provider) or 2 (an organization): the NPI Final Rule (69 FR 3434, 2004) reserves
those two, and NPPES issues nothing else.

Codes (CPT, HCPCS, ICD-10-CM, modifiers) are compared upper-case without spaces;
whether a code exists is checked against the code lists elsewhere.
"""

from __future__ import annotations

from typing import Any, Final

from ._base import SPACE, CellError, CoerceContext, Coercer, Writer, scalar_text

NPI_EXPECTED: Final = "a 10-digit NPI such as 1928374655"
CODE_EXPECTED: Final = "a code such as 99213 or E11.9"

_DOUBLED: Final = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)
"""The digit sum of twice each digit, as the Luhn algorithm adds it."""

_PREFIX_SUM: Final = 24
"""The Luhn sum the prefix 80840 contributes ahead of an NPI's nine digits."""


def npi_check_digit(first_nine: str) -> int:
    """The check digit that ``80840`` + ``first_nine`` needs to pass the Luhn test."""
    d = [ord(c) - 48 for c in first_nine]
    total = (
        _PREFIX_SUM
        + _DOUBLED[d[0]]
        + d[1]
        + _DOUBLED[d[2]]
        + d[3]
        + _DOUBLED[d[4]]
        + d[5]
        + _DOUBLED[d[6]]
        + d[7]
        + _DOUBLED[d[8]]
    )
    return -total % 10


def _npi_problem(text: str) -> str:
    if not (text.isascii() and text.isdigit()):
        return "an NPI has digits only"
    if len(text) != 10:
        return f"an NPI has 10 digits, this has {len(text)}"
    if text[0] not in "12":
        return "an NPI starts with 1 (a person) or 2 (an organization)"
    return "the check digit does not match; a digit is probably mistyped"


def npi_coercer(schema: dict[str, Any], ctx: CoerceContext) -> Coercer:
    """A coercer for an NPI column: the ten digits as text, check digit verified."""

    def coerce_npi(raw: Any) -> str | None:
        if raw.__class__ is str:
            text = raw.strip(SPACE)
        elif raw is None:
            return None
        else:
            if isinstance(raw, bool):
                raise CellError("a yes/no value is not an NPI", NPI_EXPECTED)
            text = scalar_text(raw, NPI_EXPECTED)
        if (
            len(text) == 10
            and text.isascii()
            and text.isdigit()
            and text[0] in "12"
            and npi_check_digit(text[:9]) == ord(text[9]) - 48
        ):
            return text
        if not text:
            return None
        raise CellError(_npi_problem(text), NPI_EXPECTED)

    return coerce_npi


def code_coercer(schema: dict[str, Any], ctx: CoerceContext) -> Coercer:
    """A coercer for a code column: upper-case, inner spaces removed (``e11 .9`` → ``E11.9``)."""

    def coerce_code(raw: Any) -> str | None:
        if raw.__class__ is str:
            text = raw
        elif raw is None:
            return None
        else:
            if isinstance(raw, bool):
                raise CellError("a yes/no value is not a code", CODE_EXPECTED)
            text = scalar_text(raw, CODE_EXPECTED)
        return "".join(text.split()).strip(SPACE).upper() or None

    return coerce_code


def writer(schema: dict[str, Any], ctx: CoerceContext) -> Writer:
    """Identifiers are written as text, so a spreadsheet never drops a leading zero."""

    def write_identifier(value: Any) -> str | None:
        return None if value is None else str(value)

    return write_identifier
