"""List columns (CPT codes, ICD-10 codes, modifiers): several values in one cell.

Staff separate items with commas, semicolons or line breaks; each item is read with the
item schema and empty items are dropped (``99213, , 99214;`` is two codes). Airtable
returns real lists, which are read item by item. A bad item is reported by its position
(``item 2``), never by its value.

Written back, items are joined with ``", "``. An item that itself contains a comma,
semicolon or line break cannot survive that round trip, so list items should be codes,
numbers without thousands separators, dates and the like, not free text.
"""

from __future__ import annotations

import re
from typing import Any, Final

from ._base import CellError, CoerceContext, Coercer, Writer, number_text

_SEPARATORS: Final = re.compile(r"[,;\r\n]")


def coercer(schema: dict[str, Any], ctx: CoerceContext, item: Coercer) -> Coercer:
    """A coercer for a list column: a list of canonical items, or ``None`` when empty.

    ``item`` is the coercer of the item schema, built once by the caller.
    """
    split = _SEPARATORS.split

    def coerce_items(parts: list[Any] | tuple[Any, ...]) -> list[Any] | None:
        values = []
        for position, part in enumerate(parts, 1):
            try:
                value = item(part)
            except CellError as exc:
                raise CellError(f"item {position}: {exc.problem}", f"{exc.expected}, for each item") from None
            if value is not None:
                values.append(value)
        return values or None

    def coerce_array(raw: Any) -> list[Any] | None:
        if raw.__class__ is str:
            return coerce_items(split(raw))
        if raw is None:
            return None
        if isinstance(raw, list | tuple):
            return coerce_items(raw)
        if isinstance(raw, str):
            return coerce_items(split(str(raw)))
        return coerce_items([raw])

    return coerce_array


def item_text(value: Any) -> str:
    """One canonical item as the text that reads back as the same item."""
    if value is True or value is False:
        return "yes" if value else "no"
    if isinstance(value, float):
        return number_text(value)
    return str(value)


def writer(schema: dict[str, Any], ctx: CoerceContext) -> Writer:
    """Lists are written as one text cell, items joined with ``", "``."""

    def write_array(value: Any) -> str | None:
        if not value:
            return None
        return ", ".join(item_text(v) for v in value)

    return write_array
