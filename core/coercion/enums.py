"""Pick-list columns (appointment status, sex, preferred channel).

Staff rarely type a member exactly: ``No-Show``, ``  no show `` and ``NO_SHOW`` all
mean ``no-show``. A cell matches a member when both are equal after case folding and
dropping spaces, hyphens (and the dashes autocorrect puts in their place) and
underscores; then the schema's ``x-aliases`` (normalised
the same way) map other words staff use (``canceled`` → ``cancelled``).

The normalised forms are checked when the coercer is built: two members or aliases that
normalise alike would make a cell's meaning depend on luck, so that schema is refused.
"""

from __future__ import annotations

from typing import Any, Final

from ._base import SPACE, CellError, CoerceContext, Coercer, Writer, scalar_text

_DROP: Final = str.maketrans("", "", SPACE + "-_\u2010\u2011\u2012\u2013")
"""Spaces of every kind, underscores, and the hyphens and en dash that autocorrect makes."""


def normalise(text: str) -> str:
    """The form in which a cell and a member are compared."""
    return text.casefold().translate(_DROP)


def expected_for(members: list[str]) -> str:
    """The ``expected`` text of an enum column: its allowed values, in schema order."""
    return "one of: " + ", ".join(members)


def _lookup(schema: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    members = schema.get("enum")
    if not isinstance(members, list) or not members:
        raise ValueError("an enum field needs a non-empty list of values")
    if not all(isinstance(m, str) for m in members):
        raise ValueError("only enums of text values can be read from cells")
    table: dict[str, str] = {}
    for member in members:
        key = normalise(member)
        if table.get(key, member) != member:
            raise ValueError(f"enum values {table[key]!r} and {member!r} cannot be told apart in a cell")
        table[key] = member
    aliases = schema.get("x-aliases") or {}
    if not isinstance(aliases, dict):
        raise ValueError("x-aliases must map words to enum values")
    for alias, target in aliases.items():
        if target not in members:
            raise ValueError(f"x-aliases maps {alias!r} to {target!r}, which is not an enum value")
        key = normalise(alias)
        if table.get(key, target) != target:
            raise ValueError(f"x-aliases {alias!r} would also read as {table[key]!r}")
        table[key] = target
    return table, members


def coercer(schema: dict[str, Any], ctx: CoerceContext) -> Coercer:
    """A coercer for a pick-list column: the canonical member, or ``None`` when blank."""
    table, members = _lookup(schema)
    exact = {member: member for member in members}
    expected = expected_for(members)

    def coerce_enum(raw: Any) -> str | None:
        if raw.__class__ is str:
            member = exact.get(raw)
            if member is not None:
                return member
            text = raw.strip(SPACE)
        elif raw is None:
            return None
        else:
            text = scalar_text(raw, expected)
        member = table.get(normalise(text))
        if member is not None:
            return member
        if not text:
            return None
        raise CellError("this is not one of the allowed values", expected)

    return coerce_enum


def writer(schema: dict[str, Any], ctx: CoerceContext) -> Writer:
    """Members are written as they are spelled in the schema (what the drop-down offers)."""

    def write_enum(value: Any) -> str | None:
        return None if value is None else str(value)

    return write_enum
