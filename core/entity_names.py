"""An entity named the way people name it: ``patient``, ``Patients`` or the practice's own tab name.

Every command that takes an entity goes through :func:`find_entity`, so ``clinicops
history Patients P000003`` and ``clinicops history "Pt List" P000003`` (an adopted tab)
mean the same as ``clinicops history patient P000003``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clinicops.core.column_map import loose
from clinicops.core.schema_registry import Entity, UnknownEntity

if TYPE_CHECKING:
    from clinicops.core.practice import Practice


def _names(practice: Practice, entity: Entity) -> set[str]:
    kept = practice.column_map.tabs.get(entity.name)
    names = {entity.name, entity.title, *([kept.tab] if kept else [])}
    out = {loose(n) for n in names}
    return out | {n[:-1] for n in out if n.endswith("s")} | {n + "s" for n in out}


def find_entity(practice: Practice, text: str) -> Entity:
    """The entity ``text`` names (its name, its tab's title or the practice's tab); KeyError with the choices."""
    if text in practice.registry:
        return practice.registry[text]
    wanted = loose(text)
    found = [e for e in practice.registry if wanted in _names(practice, e)]
    if len(found) == 1:
        return found[0]
    choices = ", ".join(f"{e.name} ({_tab(practice, e)})" for e in (found or practice.registry))
    if found:
        raise UnknownEntity(f"'{text}' could mean several entities; use one of: {choices}")
    raise UnknownEntity(f"unknown entity '{text}' (no entity or tab has that name); use one of: {choices}")


def _tab(practice: Practice, entity: Entity) -> str:
    kept = practice.column_map.tabs.get(entity.name)
    return kept.tab if kept else entity.title
