"""Which tab holds each entity and which column holds each field: the practice's column map.

Columns are bound to fields by meaning, never by position or by the exact header text.
The map lives in ``columns.toml`` beside ``practice.toml`` (see :mod:`.column_map_file`).
A field is bound to a column the first time a sync finds a header that names it — its
title, its name, one of the schema's ``x-header-aliases`` or one the practice added — and
the binding is recorded, so that later:

- a bound header renamed to another name of the same field is bound again (recorded);
- a bound header that disappears, or changes to something no field answers to, makes
  the field *lost*: an error names the tab, the old header and what the tab holds now;
  the field is left untouched in the store (missing is unknown, never empty) and no
  column is added for it;
- a column no field answers to is the staff's own and is never touched;
- a field with no binding and no matching header gets its column added (a new template
  tab, or a field the schema gained), unless the practice lists it under ``skip``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from clinicops.core.schema_registry import Entity, Field

_LOOSE = re.compile(r"[^0-9a-z]+")


def loose(text: object) -> str:
    """A header reduced to letters and digits: ``E-mail`` and ``email`` are one name."""
    return _LOOSE.sub("", str(text or "").casefold())


@dataclass
class TabMap:
    """What the practice keeps for one entity: its tab, the bound columns, skipped fields, aliases."""

    entity: str
    tab: str
    columns: dict[str, str] = field(default_factory=dict)  # field -> header
    skip: set[str] = field(default_factory=set)  # fields this tab keeps no column for
    aliases: dict[str, list[str]] = field(default_factory=dict)  # field -> the practice's own headers for it
    split: dict[str, list[str]] = field(default_factory=dict)  # column -> the fields it holds ("Last, First")
    joined: dict[str, list[str]] = field(default_factory=dict)  # field -> the columns holding it (date + time)

    def computed(self) -> dict[str, str]:
        """field -> the virtual header a split or joined column is read under (see computed_columns)."""
        out = {f: f"{column} [{f}]" for column, fields in self.split.items() for f in fields}
        out.update({f: f"{' + '.join(columns)} [{f}]" for f, columns in self.joined.items()})
        return out

    def computed_sources(self) -> set[str]:
        """The real columns behind split and joined fields (never the staff's own)."""
        return {*self.split, *(c for columns in self.joined.values() for c in columns)}


@dataclass
class Binding:
    """One tab's columns as found by one sync: what is bound, what was lost, what changed."""

    tab: str
    headers: dict[str, str]  # field -> header present in the tab now
    lost: dict[str, str] = field(default_factory=dict)  # field -> the header it had, now gone
    rebound: dict[str, tuple[str, str]] = field(default_factory=dict)  # field -> (old header, new header)
    unclaimed: list[str] = field(default_factory=list)  # headers no field answers to (the staff's own)
    skip: frozenset[str] = frozenset()

    def header_for(self, f: Field) -> str | None:
        """The header the field's column has (or gets); None when it must not be added."""
        if f.name in self.lost or f.name in self.skip:
            return None
        return self.headers.get(f.name, f.title)


def names_of(f: Field, extra: Iterable[str] = ()) -> list[str]:
    """Every header that means this field, loosely normalised, its title first."""
    aliases = f.schema.get("x-header-aliases") or []
    return list(dict.fromkeys(loose(n) for n in (f.title, f.name, *aliases, *extra) if loose(n)))


def bind(entity: Entity, kept: TabMap, header: list[str] | None) -> Binding:
    """Bind the entity's fields to the tab's ``header`` (None: the tab is not there, keep the map)."""
    if header is None:
        return Binding(kept.tab, dict(kept.columns), skip=frozenset(kept.skip))
    present = {loose(h): h for h in reversed(header) if loose(h)}
    taken: set[str] = {loose(c) for c in kept.computed_sources()}
    headers: dict[str, str] = {}
    for name, old in {**kept.columns, **kept.computed()}.items():
        if name in entity.by_name and loose(old) in present and loose(old) not in taken:
            headers[name] = present[loose(old)]
            taken.add(loose(old))
    out = Binding(kept.tab, headers, skip=frozenset(kept.skip))
    for f in entity.fields:
        if f.name in headers:
            continue
        found = next((n for n in names_of(f, kept.aliases.get(f.name, ())) if n in present and n not in taken), None)
        old = kept.columns.get(f.name) or kept.computed().get(f.name)
        if f.name in kept.computed():
            found = None
        if found is not None:
            headers[f.name] = present[found]
            taken.add(found)
            if old is not None:
                out.rebound[f.name] = (old, present[found])
        elif old is not None:
            out.lost[f.name] = old
    out.unclaimed = [h for h in header if loose(h) and loose(h) not in taken and loose(h) != loose("Errors")]
    return out


def lost_message(entity: Entity, binding: Binding, name: str) -> tuple[str, str]:
    """What is wrong with a lost column and what to do, for the sync report."""
    old = binding.lost[name]
    title = entity.by_name[name].title
    found = ", ".join(f"'{h}'" for h in binding.unclaimed) or "no column clinicops does not know"
    problem = (
        f"the column '{old}' ({title}) is gone from the tab '{binding.tab}'; found instead: {found}. "
        f"{title} is left as it was for every row"
    )
    expected = f"a column named '{old}' (or another name for {title}), or a binding in columns.toml"
    return problem, expected
