"""From a field's JSON Schema to the coercer and writer of its column.

The schema alone decides the kind: an MRN or a zip code is text because its schema says
``"type": "string"``, however much the cell looks like a number. Everything that
depends on the schema and the context is decided here, once per column, so the closure
that runs for each cell only looks at the cell.

A schema this module cannot read (an object field, an unknown ``x-format``, an enum of
numbers) is refused with :class:`ValueError` when the coercer is built: that is a
mistake in the schema, found at start-up rather than reported on every row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from . import arrays, booleans, dates, datetimes, emails, enums, identifiers, numbers, phones, text
from ._base import CoerceContext, Coercer, Writer
from .cell_text import CONTROL, MAX_CELL_CHARS, check_cell_text, writable

Builder = Callable[[dict[str, Any], CoerceContext], Coercer | Writer]

KINDS: Final[dict[str, tuple[Builder, Builder]]] = {
    "text": (text.coercer, text.writer),
    "date": (dates.coercer, dates.writer),
    "date-time": (datetimes.coercer, datetimes.writer),
    "email": (emails.coercer, emails.writer),
    "phone": (phones.coercer, phones.writer),
    "money": (numbers.money_coercer, numbers.money_writer),
    "npi": (identifiers.npi_coercer, identifiers.writer),
    "code": (identifiers.code_coercer, identifiers.writer),
    "enum": (enums.coercer, enums.writer),
    "integer": (numbers.integer_coercer, numbers.number_writer),
    "number": (numbers.number_coercer, numbers.number_writer),
    "boolean": (booleans.coercer, booleans.writer),
}
"""Every kind of single-valued column: its coercer builder and its writer builder."""

X_FORMATS: Final = ("phone", "money", "npi", "code")
FORMATS: Final = {"date": "date", "date-time": "date-time", "email": "email"}


def _json_type(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        if len(kinds) == 1:
            return kinds[0]
        if set(kinds) == {"integer", "number"}:
            return "number"
        raise ValueError(f"a cell cannot hold a value of types {kind}")
    return kind


def kind_of(schema: dict[str, Any]) -> str:
    """The kind of column a field schema describes: one of :data:`KINDS`, or ``array``."""
    kind = _json_type(schema)
    if kind == "array":
        return "array"
    if kind in ("integer", "number", "boolean"):
        return kind
    if kind not in ("string", None):
        raise ValueError(f"a cell cannot hold a value of type {kind!r}")
    x_format = schema.get("x-format")
    if x_format is not None:
        if x_format not in X_FORMATS:
            raise ValueError(f"unknown x-format {x_format!r}; known: {', '.join(X_FORMATS)}")
        return x_format
    json_format = FORMATS.get(schema.get("format", ""))
    if json_format is not None:
        return json_format
    if "enum" in schema:
        return "enum"
    return "text"


def _item_schema(schema: dict[str, Any]) -> dict[str, Any]:
    items = schema.get("items", {})
    if not isinstance(items, dict):
        raise ValueError("a list field needs one item schema")
    if kind_of(items) == "array":
        raise ValueError("a cell cannot hold a list of lists")
    return items


def coercer_for(schema: dict[str, Any], ctx: CoerceContext, *, cell_checked: bool = True) -> Coercer:
    """The coercer of a column: ``coerce(raw)`` → canonical value, or ``None`` when blank.

    Build it once per column and call it for every cell; it raises
    :class:`~clinicops.core.coercion.CellError` for a cell it cannot read.
    ``cell_checked=False`` leaves out the check of what any cell can hold (``check_cell_text``)
    for a caller that makes it inline, saving a call per cell on a large sheet.
    """
    kind = kind_of(schema)
    if kind == "array":
        items = _item_schema(schema)
        coerce = arrays.coercer(schema, ctx, coercer_for(items, ctx))
    else:
        coerce = KINDS[kind][0](schema, ctx)
    return _checked(coerce) if cell_checked else coerce


def _checked(coerce: Coercer) -> Coercer:
    """A coercer that first refuses text no cell can hold (control characters, over-long text)."""
    has_control = CONTROL.search

    def checked(raw: Any) -> Any:
        # The common cell (short text, nothing to refuse) is passed with one scan in C.
        if isinstance(raw, str) and (len(raw) >= MAX_CELL_CHARS or has_control(raw) is not None):
            check_cell_text(raw)
        return coerce(raw)

    return checked


def cell_writer_for(schema: dict[str, Any], ctx: CoerceContext) -> Writer:
    """The writer of a column: canonical value → the Python value a spreadsheet cell holds.

    Dates become ``date``, date-times naive local ``datetime``, money a float to the
    cent, integers, numbers and booleans stay as they are, lists become one text of
    items joined with ``", "``, everything else text. Reading a written cell back gives
    the same canonical value. Text a cell cannot hold (control characters, more than
    32,767 characters) is cleaned, so a write never fails on a value.
    """
    kind = kind_of(schema)
    if kind == "array":
        _item_schema(schema)
        write = arrays.writer(schema, ctx)
    else:
        write = KINDS[kind][1](schema, ctx)
    return lambda value: writable(write(value))


def cell_value_for(schema: dict[str, Any], canonical: Any, ctx: CoerceContext) -> Any:
    """What to write into a spreadsheet cell for one canonical value.

    For many cells of one column, build :func:`cell_writer_for` once instead.
    """
    return cell_writer_for(schema, ctx)(canonical)
