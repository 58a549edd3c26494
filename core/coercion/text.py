"""Plain text columns: names, notes, MRNs, zip codes, member ids.

Text is kept as typed, trimmed at both ends. Nothing is evaluated: a cell that starts
with ``=``, ``+``, ``-`` or ``@`` is literal text, because values are read and written
raw, never as formulas.

A number in a text column is what the spreadsheet made of the typed digits; it is
turned back into the digits a person sees (``12345.0`` → ``"12345"``), never into
``1.2e+05``. Leading zeros the spreadsheet already dropped cannot be recovered:
``02134`` typed into a number-formatted cell arrives as ``2134.0`` and becomes
``"2134"``, which the zip column's pattern then reports. Identifier columns (zip, MRN,
member id) belong in text-formatted cells.
"""

from __future__ import annotations

from typing import Any, Final

from ._base import SPACE, CoerceContext, Coercer, Writer, scalar_text

EXPECTED: Final = "text"


def coercer(schema: dict[str, Any], ctx: CoerceContext) -> Coercer:
    """A coercer for a plain text column: trimmed text, or ``None`` when blank."""

    def coerce_text(raw: Any) -> str | None:
        if raw.__class__ is str:
            return raw.strip(SPACE) or None
        if raw is None:
            return None
        return scalar_text(raw, EXPECTED) or None

    return coerce_text


def writer(schema: dict[str, Any], ctx: CoerceContext) -> Writer:
    """Text is written as text; the connector writes it raw so it is never a formula."""

    def write_text(value: Any) -> str | None:
        return None if value is None else str(value)

    return write_text
