"""Plain text columns: names, notes, MRNs, zip codes, member ids.

Text is kept as typed, trimmed at both ends. Nothing is evaluated: a cell that starts
with ``=``, ``+``, ``-`` or ``@`` is literal text, because values are read and written
raw, never as formulas.

A number in a text column is what the spreadsheet made of the typed digits; it is
turned back into the digits a person sees (``12345.0`` → ``"12345"``), never into
``1.2e+05``. Leading zeros the spreadsheet already dropped cannot be recovered:
``02134`` typed into a number-formatted cell arrives as ``2134.0`` and becomes
``"2134"``. So in an identifier column (``x-identifier``: zip, member id, license
number) a number is never taken as it comes: a ZIP code of 3 or 4 digits gets its leading
zeros back (US ZIP codes lose nothing else), and any other number is reported with the
value as it arrived and how to type it as text. ``clinicops init`` lays those columns out
with the Text format, so typed digits stay as typed.
"""

from __future__ import annotations

from typing import Any, Final

from ._base import SPACE, CellError, CoerceContext, Coercer, Writer, scalar_text

EXPECTED: Final = "text"
TYPED_AS_TEXT: Final = "the value typed as text: start it with an apostrophe ('0012345678) or format the column as Text"
ZIP_PATTERN: Final = "^\\d{5}"


def coercer(schema: dict[str, Any], ctx: CoerceContext) -> Coercer:
    """A coercer for a plain text column: trimmed text, or ``None`` when blank."""

    identifier = bool(schema.get("x-identifier"))
    is_zip = identifier and str(schema.get("pattern", "")).startswith(ZIP_PATTERN)

    def coerce_text(raw: Any) -> str | None:
        if raw.__class__ is str:
            return raw.strip(SPACE) or None
        if raw is None:
            return None
        if identifier and isinstance(raw, int | float) and not isinstance(raw, bool):
            return _identifier_from_number(raw, is_zip)
        return scalar_text(raw, EXPECTED) or None

    return coerce_text


def _identifier_from_number(raw: float, is_zip: bool) -> str:
    """Digits the spreadsheet turned into a number: a short ZIP code is padded, anything else reported."""
    digits = scalar_text(raw, EXPECTED)
    if is_zip and digits.isdigit() and 3 <= len(digits) <= 5:
        return digits.zfill(5)
    raise CellError(
        f"{digits} arrived as a number, so the spreadsheet may have dropped leading zeros or changed it",
        TYPED_AS_TEXT,
    )


def writer(schema: dict[str, Any], ctx: CoerceContext) -> Writer:
    """Text is written as text; the connector writes it raw so it is never a formula."""

    def write_text(value: Any) -> str | None:
        return None if value is None else str(value)

    return write_text
