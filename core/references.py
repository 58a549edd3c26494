"""A reference typed as a name: ``Dr. Nguyen``, ``Alice Nguyen`` or ``Nguyen, Alice`` for a provider's id.

Staff write who they mean, not an id. A name that fits exactly one record resolves to
its id (the cell keeps what was typed; the store keeps the id); a name that fits several,
or none, is a cell error listing the candidates. Names are compared as sets of words,
without titles (``Dr.``), credentials (``MD``) or punctuation, so word order and commas
do not matter. A last name alone is enough for entities without protected health
information (providers, staff); a patient needs first and last name, and a patient's
candidates are listed by id only, never by name. ``ReferenceCheck`` answers both questions
a sync asks of a reference: does the record exist, and which record does a name mean.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from clinicops.core.records import Records
from clinicops.core.schema_registry import Entity, SchemaRegistry

TITLES = frozenset({"dr", "doctor", "mr", "mrs", "ms", "miss", "prof"})
CREDENTIALS = frozenset({"md", "do", "np", "pa", "pac", "rn", "lpn", "dds", "dmd", "phd", "fnp", "aprn", "crna", "ma"})
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class Resolution:
    """What a name stands for: one id, or none with the candidates a person could mean."""

    record_id: str | None
    candidates: tuple[str, ...] = ()
    ambiguous: bool = False  # several records have exactly this name


def name_key(text: str) -> str:
    """``Dr. Alice Nguyen, MD`` and ``nguyen alice`` both give ``alice nguyen``."""
    words = [w.replace("-", "") for w in _WORD.findall(text.casefold())]
    kept = [w for w in words if w not in TITLES and w not in CREDENTIALS]
    return " ".join(sorted(kept))


def display_name(record: dict[str, Any]) -> str:
    """How a person names the record: ``Alice Nguyen`` (or its ``name``)."""
    full = " ".join(str(record[k]) for k in ("first_name", "last_name") if record.get(k))
    return full or str(record.get("name") or "")


class NameIndex:
    """Every record of one entity by the names people use for it."""

    def __init__(self, entity: Entity, records: Iterable[dict[str, Any]]) -> None:
        self.entity = entity
        self.private = entity.has_phi
        self.names: dict[str, str] = {}  # id -> display name
        self.keys: dict[str, set[str]] = {}
        pk = entity.primary_key
        for record in records:
            rid = str(record[pk])
            name = display_name(record)
            if not name:
                continue
            self.names[rid] = name
            self._add(name_key(name), rid)
            if not self.private and record.get("last_name"):
                self._add(name_key(str(record["last_name"])), rid)

    def _add(self, key: str, rid: str) -> None:
        if key:
            self.keys.setdefault(key, set()).add(rid)

    def resolve(self, text: str) -> Resolution:
        found = sorted(self.keys.get(name_key(text), ()))
        if len(found) == 1:
            return Resolution(found[0])
        if found:
            return Resolution(None, tuple(self._label(rid) for rid in found), ambiguous=True)
        return Resolution(None, tuple(self._label(rid) for rid in self._close(text)))

    def _close(self, text: str, limit: int = 3) -> list[str]:
        """Records whose name is close to ``text`` (a typo, a missing first name)."""
        matches = process.extract(text, self.names, scorer=fuzz.token_set_ratio, limit=limit, score_cutoff=70)
        return sorted(rid for _, _, rid in matches)

    def _label(self, rid: str) -> str:
        return rid if self.private else f"{self.names[rid]} ({rid})"


def describe(target: str, resolution: Resolution) -> tuple[str, str]:
    """The problem and what is expected, for a reference to ``target`` that did not resolve."""
    noun = target.replace("_", " ")
    if resolution.ambiguous:
        listed = ", ".join(resolution.candidates)
        return f"several {noun}s have this name: {listed}", f"the id, or a name only one {noun} has"
    if resolution.candidates:
        return (
            f"no {noun} has this id or name; did you mean {', '.join(resolution.candidates)}?",
            f"the id or the name of an existing {noun}",
        )
    return f"no {noun} has this id or name", f"the id or the name of an existing {noun}"


class ReferenceCheck:
    """Whether a reference points at a record, and which record a typed name means, for one sync.

    Each target's ids and names are read from the store when first asked for, and forgotten
    once the tab that may change them has been read (:meth:`forget`). A self-reference (a
    patient's guarantor) may also point at a row of the tab being read, not yet stored
    (:meth:`reading`). Targets the practice does not keep are not checked.
    """

    def __init__(self, registry: SchemaRegistry, records: Records) -> None:
        self.registry = registry
        self.records = records
        self._known: dict[str, set[str]] = {}
        self._names: dict[str, NameIndex] = {}
        self._reading = ""
        self._sheet_ids: set[str] = set()

    def reading(self, entity: str, sheet_ids: set[str]) -> None:
        """The tab of ``entity`` is being read; ``sheet_ids`` are the ids typed in it."""
        self._reading = entity
        self._sheet_ids = sheet_ids

    def forget(self, entity: str) -> None:
        """``entity``'s records may have changed: read its ids and names again when next asked."""
        self._known.pop(entity, None)
        self._names.pop(entity, None)

    def exists(self, target: str, value: str) -> bool:
        """References point at records the store holds, or (self-references) rows of the same tab."""
        if target not in self.registry:
            return True
        if target == self._reading and value in self._sheet_ids:
            return True
        known = self._known.get(target)
        if known is None:
            known = {k for k, (_, deleted) in self.records.index(target).items() if not deleted}
            self._known[target] = known
        return value in known

    def resolve(self, target: str, text: str) -> Resolution:
        """A reference typed as a name: the one record of ``target`` it fits, or the candidates."""
        index = self._names.get(target)
        if index is None:
            index = NameIndex(self.registry[target], (r.data for r in self.records.all(target)))
            self._names[target] = index
        return index.resolve(text)
