"""Adopting a practice's own workbook, Google Sheet or Airtable base as it is.

``clinicops adopt`` reads every tab, proposes which tab holds which entity and which
header holds which field, and shows what the first sync would do; the column map is
written only once the proposal is accepted. A header is bound when it names a field
(its title, name or an alias, ignoring case and punctuation), or closely enough
(rapidfuzz) *and* the column's values read as that field's kind. Two layouts get a
computed binding (see :mod:`.computed_columns`): a ``Last, First`` column holds last and
first name; a date column beside a time column holds an appointment's start. Fields with
no column are listed under ``skip``, so sync never adds them: it adds only an id column
(when there is none) and the Errors column, at the right end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from clinicops.connectors.base import SheetTable
from clinicops.core.coercion import CellError, CoerceContext, coercer_for
from clinicops.core.column_map import TabMap, bind, loose, names_of
from clinicops.core.schema_registry import Entity, Field

FUZZY_CUTOFF = 85
SAMPLE = 30


@dataclass
class TabProposal:
    """One tab: the entity it holds, and which column holds which field."""

    tab: str
    entity: str | None
    columns: dict[str, str] = field(default_factory=dict)  # field -> header
    split: dict[str, list[str]] = field(default_factory=dict)
    joined: dict[str, list[str]] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)  # headers left to the staff
    missing_required: list[str] = field(default_factory=list)  # required fields with no column
    score: float = 0.0
    likely: bool = False  # enough columns (or a telling tab name) to hold this entity

    def tab_map(self, entity: Entity) -> TabMap:
        covered = {*self.columns, *self.joined, *(f for fs in self.split.values() for f in fs)}
        skip = {f.name for f in entity.fields if f.name not in covered and f.name != entity.primary_key}
        return TabMap(entity.name, self.tab, dict(self.columns), skip, {}, dict(self.split), dict(self.joined))

    def as_dict(self) -> dict[str, Any]:
        return {
            "tab": self.tab,
            "entity": self.entity,
            "columns": self.columns,
            "split": self.split,
            "joined": self.joined,
            "unmapped": self.unmapped,
            "missing_required": self.missing_required,
        }


def propose(entities: list[Entity], tables: dict[str, SheetTable], ctx: CoerceContext) -> list[TabProposal]:
    """The best entity for each tab (each entity at most once), with its column bindings."""
    candidates = [_bindings(entity, title, table, ctx) for title, table in tables.items() for entity in entities]
    chosen: dict[str, TabProposal] = {}
    used: set[str] = set()
    for proposal in sorted(candidates, key=lambda p: -p.score):
        if not proposal.likely or proposal.tab in chosen or proposal.entity in used:
            continue
        chosen[proposal.tab] = proposal
        used.add(str(proposal.entity))
    out = []
    for title, table in tables.items():
        out.append(chosen.get(title) or TabProposal(title, None, unmapped=[h for h in table.header if h]))
    return out


def _bindings(entity: Entity, title: str, table: SheetTable, ctx: CoerceContext) -> TabProposal:
    header = [h for h in table.header if h]
    proposal = TabProposal(title, entity.name)
    proposal.columns = dict(bind(entity, TabMap(entity.name, title), header).headers)
    free = [h for h in header if h not in proposal.columns.values()]
    _computed(entity, proposal, free)
    free = [h for h in free if h not in _used(proposal)]
    _fuzzy(entity, proposal, free, _samples(table), ctx)
    used = _used(proposal)
    proposal.unmapped = [h for h in header if h not in used]
    covered = {*proposal.columns, *proposal.joined, *(f for fs in proposal.split.values() for f in fs)}
    proposal.missing_required = [
        f.title for f in entity.fields if f.required and f.name != entity.primary_key and f.name not in covered
    ]
    likeness = _tab_likeness(entity, title)
    bound = len(covered - {entity.primary_key})
    proposal.score = bound + 3 * likeness
    proposal.likely = bound >= 2 or (bound >= 1 and likeness >= 0.8)
    return proposal


def _used(proposal: TabProposal) -> set[str]:
    return {*proposal.columns.values(), *proposal.split, *(c for cs in proposal.joined.values() for c in cs)}


def _tab_likeness(entity: Entity, title: str) -> float:
    names = [entity.name, entity.title, *(entity.schema.get("x-tab-aliases") or [])]
    return max(fuzz.ratio(loose(title), loose(n)) for n in names) / 100


def _computed(entity: Entity, proposal: TabProposal, free: list[str]) -> None:
    """``Last, First`` (a header naming two fields, comma between) and a date + a time column."""
    for header in free:
        parts = [p for p in header.replace("/", ",").split(",") if p.strip()]
        if len(parts) < 2:
            continue
        fields = [_named(entity, p, proposal) for p in parts]
        if all(fields) and len(set(fields)) == len(fields):
            proposal.split[header] = [str(f) for f in fields]
    dates = [h for h in free if "date" in loose(h) and h not in proposal.split]
    times = [h for h in free if "time" in loose(h) and h not in proposal.split and h not in dates]
    for f in entity.fields:
        if f.kind == "date-time" and f.name not in proposal.columns and dates and times and f.required:
            proposal.joined[f.name] = [dates.pop(0), times.pop(0)]


def _named(entity: Entity, text: str, proposal: TabProposal) -> str | None:
    for f in entity.fields:
        if f.name not in proposal.columns and loose(text) in names_of(f):
            return f.name
    return None


def _samples(table: SheetTable) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {h: [] for h in table.header if h}
    for row in table.rows[: SAMPLE * 3]:
        for h, value in zip(table.header, row.values, strict=False):
            if h and value not in (None, "") and len(out[h]) < SAMPLE:
                out[h].append(value)
    return out


def _fuzzy(
    entity: Entity, proposal: TabProposal, free: list[str], samples: dict[str, list[Any]], ctx: CoerceContext
) -> None:
    """A header close to a field's names whose values read as that field's kind."""
    for f in entity.fields:
        if f.name in proposal.columns or f.name in proposal.joined or not free:
            continue
        names = names_of(f)
        best = process.extractOne(f.title, free, scorer=fuzz.WRatio, processor=loose, score_cutoff=FUZZY_CUTOFF)
        if best is None or not _reads_as(f, samples.get(best[0], []), ctx):
            best = next(((h, 0, 0) for h in free if any(n and n in loose(h) for n in names)), None)
            if best is None or not _reads_as(f, samples.get(best[0], []), ctx):
                continue
        proposal.columns[f.name] = best[0]
        free.remove(best[0])


def _reads_as(f: Field, values: list[Any], ctx: CoerceContext) -> bool:
    """True when most sampled values of a column coerce to the field's kind."""
    if not values:
        return False  # no evidence: a close header alone is not enough
    coerce = coercer_for(f.schema, ctx)
    good = 0
    for value in values:
        try:
            coerce(value)
            good += 1
        except CellError:
            pass
    return good >= 0.8 * len(values)


def correct(tabs: list[TabProposal], text: str, entities: dict[str, Entity]) -> str:
    """Apply ``TAB:HEADER=field`` (bind) or ``TAB=entity`` (the tab's entity); a sentence saying what changed."""
    where, _, target = text.partition("=")
    title, _, header = where.partition(":")
    tab = next((t for t in tabs if loose(t.tab) == loose(title)), None)
    if tab is None or not target.strip():
        raise ValueError(f"'{text}': give TAB:HEADER=field or TAB=entity, with a tab of this workbook")
    if not header:
        if target.strip() not in entities:
            raise ValueError(f"'{target.strip()}' is not an entity (choose from {', '.join(sorted(entities))})")
        tab.entity = target.strip()
        return f"{tab.tab} holds {tab.entity}"
    entity = entities.get(str(tab.entity))
    if entity is None or target.strip() not in entity.by_name:
        raise ValueError(f"'{target.strip()}' is not a field of {tab.entity}")
    tab.columns = {f: h for f, h in tab.columns.items() if h != header.strip()}
    tab.columns[target.strip()] = header.strip()
    tab.unmapped = [h for h in tab.unmapped if h != header.strip()]
    return f"{tab.tab}: '{header.strip()}' holds {target.strip()}"
