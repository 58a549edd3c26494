"""Yes/no columns (active, required).

Staff tick boxes, type words or put an ``x``. A blank cell is unknown (``None``),
never ``False``: "not filled in" and "no" are different answers.
"""

from __future__ import annotations

import math
from typing import Any, Final

from ._base import SPACE, CellError, CoerceContext, Coercer, Writer, problem_for, unsupported

EXPECTED: Final = "yes or no (also y/n, true/false, 1/0, or x or ✓ for yes)"

_WORDS: Final = {
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
    "x": True,
    "✓": True,
    "✔": True,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
}

_TABLE: Final = {
    **{word.upper(): value for word, value in _WORDS.items()},
    **{word.title(): value for word, value in _WORDS.items()},
    **_WORDS,
}
"""The words in the spellings staff use most, so the common cell needs one lookup."""


def coercer(schema: dict[str, Any], ctx: CoerceContext) -> Coercer:
    """A coercer for a yes/no column: ``True``, ``False``, or ``None`` when blank."""
    table = _TABLE

    def coerce_boolean(raw: Any) -> bool | None:
        if raw is True or raw is False:
            return raw
        if raw.__class__ is str:
            value = table.get(raw)
            if value is not None:
                return value
            text = raw.strip(SPACE)
            value = table.get(text.casefold())
            if value is not None:
                return value
            if not text:
                return None
            raise CellError(problem_for(text, "this is not a yes or no"), EXPECTED)
        if raw is None:
            return None
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            if raw == 1:
                return True
            if raw == 0:
                return False
            problem = "only 1 and 0 mean yes and no" if math.isfinite(raw) else "not a yes or no"
            raise CellError(problem, EXPECTED)
        if isinstance(raw, str):
            return coerce_boolean(str(raw))
        raise unsupported(raw)

    return coerce_boolean


def writer(schema: dict[str, Any], ctx: CoerceContext) -> Writer:
    """Booleans are written as booleans: Sheets and Excel show them as TRUE/FALSE or a box."""

    def write_boolean(value: Any) -> bool | None:
        return value

    return write_boolean
