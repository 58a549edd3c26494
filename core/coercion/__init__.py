"""Turning what staff typed into a cell into a typed canonical value, and back.

Every column gets a coercer built once from its field's JSON Schema and the practice's
:class:`CoerceContext`::

    ctx = CoerceContext(timezone=ZoneInfo("America/New_York"), phone_region="US", reference_year=2026)
    coerce = coercer_for({"type": "string", "format": "date"}, ctx)
    coerce("3/4/2026")      # "2026-03-04"
    coerce("  ")            # None: a blank cell
    coerce("2026-02-30")    # raises CellError("February 2026 has no day 30", ...)

A :class:`CellError` carries what is wrong and what would be valid, never the typed
value, which may be protected health information. :func:`cell_value_for` (or, per
column, :func:`cell_writer_for`) gives the value to write back into a cell; reading it
again gives the same canonical value.

Everything here is pure: no I/O, no clock (the context carries the reference year), so
a sync of 100,000 rows can run the coercers as fast as Python allows.
"""

from ._base import CellError, CoerceContext, Coercer, DateOrder, Writer
from .fields import cell_value_for, cell_writer_for, coercer_for, kind_of

__all__ = [
    "CellError",
    "CoerceContext",
    "Coercer",
    "DateOrder",
    "Writer",
    "cell_value_for",
    "cell_writer_for",
    "coercer_for",
    "kind_of",
]
