"""Changed rows into the store: each row's three-way merge, plugins' computed fields, the history.

For every row that differs from its base: the base (what store and sheet last agreed on),
the store now and the sheet meet in ``core/merge.py``; the record's next version, with
the conflict it settled in its note, is stored in one batch per kind of change (creates,
then updates). Each row's base moves, with the commit, to what the sheet showed when read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from clinicops.core.access import AccessEvent
from clinicops.core.merge import merge_record
from clinicops.core.problems import display_value
from clinicops.core.records import Records, StoredRecord
from clinicops.core.row_parser import content_hash
from clinicops.core.schema_registry import Entity
from clinicops.core.sync_state import BaseEntry, SyncState
from clinicops.core.table_plan import RowState, TableRead

#: A record with the fields plugins compute for it.
Compute = Callable[[Entity, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Merged:
    """What merging one tab's changed rows stored."""

    created: frozenset[str] = frozenset()
    updated: frozenset[str] = frozenset()
    conflicts: tuple[dict[str, Any], ...] = ()
    written: Mapping[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)  # id -> (version, data)
    # id -> each merged row's base as the sheet showed it
    read_base: Mapping[str, dict[str, Any]] = field(default_factory=dict)


class RowMerger:
    """Merges changed rows into the store for one sync (``source`` and ``actor`` sign each version)."""

    def __init__(
        self,
        key: str,
        records: Records,
        state: SyncState,
        compute: Compute,
        accessed: Callable[[AccessEvent], None],
        *,
        source: str,
        actor: str,
        stable_refs: bool,
    ) -> None:
        self.key = key
        self.records = records
        self.state = state
        self.compute = compute
        self.accessed = accessed
        self.source = source
        self.actor = actor
        self.stable_refs = stable_refs
        self._touched: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._sorted_fields: dict[tuple[str, ...], tuple[str, ...]] = {}  # a record's keys, in order -> sorted

    def merge(
        self,
        read: TableRead,
        rows: list[RowState],
        base: Mapping[str, BaseEntry],
        index: Mapping[str, tuple[int, bool]],
        reconciled: frozenset[str],
    ) -> Merged:
        """Merge every changed row into its record; the store is written in one batch per kind of change."""
        entity = read.entity
        changed = [rs for rs in rows if rs.parsed is not None]
        if not changed:
            return Merged()
        stored = self.records.get_many(entity.name, [rs.record_id for rs in changed if rs.record_id in index])
        based = [rs.record_id for rs in changed if rs.record_id in base]
        base_data = self.state.base_data(self.key, entity.name, based)
        creates: list[tuple[str, dict[str, Any]]] = []
        updates: list[tuple[StoredRecord, dict[str, Any], str | None]] = []
        read_base: dict[str, dict[str, Any]] = {}
        conflicts: list[dict[str, Any]] = []
        for rs in changed:
            cur = stored.get(rs.record_id)
            was = base_data.get(rs.record_id)
            if was is None and cur is not None and rs.record_id in reconciled and not cur.deleted:
                was = cur.data  # found again after an unfinished sync: the sheet's edits since then win
            sheet = _keep_lost(rs.parsed or {}, read.lost, was if was is not None else cur.data if cur else None)
            if cur is None or not cur.deleted:
                read_base[rs.record_id] = self._as_read(read, base, rs, sheet, cur.version if cur else 0)
            if cur is None:
                creates.append((rs.record_id, self.compute(entity, sheet)))
                continue
            change = self._merge_one(entity, cur, was, sheet, conflicts)
            if change is not None:
                updates.append((cur, *change))
        written = self._store(entity, creates, updates)
        return Merged(
            created=frozenset(rid for rid, _ in creates),
            updated=frozenset(cur.id for cur, _, _ in updates),
            conflicts=tuple(conflicts),
            written=MappingProxyType(written),
            read_base=MappingProxyType(read_base),
        )

    def _store(
        self,
        entity: Entity,
        creates: list[tuple[str, dict[str, Any]]],
        updates: list[tuple[StoredRecord, dict[str, Any], str | None]],
    ) -> dict[str, tuple[int, dict[str, Any]]]:
        """Store the new versions, one batch each for updates and creates; id -> (version, data)."""
        written: dict[str, tuple[int, dict[str, Any]]] = {}
        if updates:
            versions = self.records.save_many(entity.name, updates, source=self.source, actor=self.actor)
            for cur, merged, _ in updates:
                written[cur.id] = (versions[cur.id], merged)
                self.access(entity, "update", cur.id, cur.data, merged)
        if creates:
            self.records.insert_new(entity.name, creates, source=self.source, actor=self.actor)
            written.update((rid, (1, record)) for rid, record in creates)
            for rid, record in creates:
                self.access(entity, "create", rid, None, record)
        return written

    def _merge_one(
        self,
        entity: Entity,
        cur: StoredRecord,
        base: dict[str, Any] | None,
        sheet: dict[str, Any],
        conflicts: list[dict[str, Any]],
    ) -> tuple[dict[str, Any], str | None] | None:
        """The record's next version from one changed row, with its history note; None: no change."""
        note = None
        if cur.deleted:
            if base is not None and sheet == base:
                return None
            merged = sheet
            note = "restored: edited in the sheet after it was deleted elsewhere"
            conflicts.append(_conflict(entity, cur.id, "(record)", "sheet", "restored", "deleted"))
        else:
            result = merge_record(base, cur.data, sheet, entity.plugin_owned_fields)
            merged = result.record
            for c in result.conflicts:
                f = entity.by_name.get(c.field)
                phi = bool(f and f.phi)
                conflicts.append(_conflict(entity, cur.id, c.field, c.winner, _safe(c.kept, phi), _safe(c.lost, phi)))
            if result.conflicts:
                note = "conflict: " + "; ".join(
                    f"{c.field} kept {c.winner} value, lost {c.lost!r}" for c in result.conflicts
                )
        if cur.deleted or merged != cur.data:
            merged = self.compute(entity, merged)
        if cur.deleted or merged != cur.data:
            return merged, note
        return None

    def _as_read(
        self, read: TableRead, base: Mapping[str, BaseEntry], rs: RowState, sheet: dict[str, Any], version: int
    ) -> dict[str, Any]:
        """The base a row moves to with the store's commit: what the sheet showed when read.

        The store took it in, so store and sheet agreed on it whatever becomes of the write
        that follows: an edit staff make next (even back to the old value) is an edit. What
        clinicops writes into the row moves the base again once the write is confirmed;
        ``version`` is the record's before this sync, so that write is still due if the
        first one never happened. A row the write leaves as read is the exception: the write
        planner settles its base at the record's version now (``WritePlanner._settle``).
        """
        b = base.get(rs.record_id)
        pk = read.entity.primary_key
        return {
            "id": rs.record_id,
            # the row's record itself when it carries its id already (a large import keeps no second copy)
            "data": sheet if sheet.get(pk) == rs.record_id else {**sheet, pk: rs.record_id},
            "raw_hash": rs.content or content_hash(rs.row.values),
            "store_version": version,
            "remote_id": b.remote_id if b is not None else (str(rs.row.ref) if self.stable_refs else None),
        }

    def access(
        self, entity: Entity, action: str, rid: str, old: dict[str, Any] | None, new: dict[str, Any] | None
    ) -> None:
        """An access-log entry for a change to a record with PHI, naming the fields it touched."""
        if not entity.has_phi:
            return
        if old is None or new is None:
            touched = self._fields_of(old or new or {})
        else:
            found = tuple(sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k)))
            touched = self._touched.setdefault(found, found)  # one tuple per set of fields, not one per record
        self.accessed(AccessEvent(self.actor, "system", self.source, action, entity.name, rid, touched))

    def _fields_of(self, record: dict[str, Any]) -> tuple[str, ...]:
        """A whole record's field names, sorted once per order of keys: the records of one sheet
        nearly all have the same fields in the same order, so a first import sorts a handful."""
        keys = tuple(record)
        found = self._sorted_fields.get(keys)
        if found is None:
            touched = tuple(sorted(keys))
            found = self._sorted_fields[keys] = self._touched.setdefault(touched, touched)
        return found


def _conflict(entity: Entity, rid: str, field_name: str, winner: str, kept: Any, lost: Any) -> dict[str, Any]:
    f = entity.by_name.get(field_name)
    return {"id": rid, "field": f.title if f else field_name, "winner": winner, "kept": kept, "lost": lost}


def _keep_lost(sheet: dict[str, Any], lost: Mapping[str, str], known: dict[str, Any] | None) -> dict[str, Any]:
    """A field whose column is gone reads as what it last was: unknown, never empty."""
    if not lost or known is None:
        return sheet
    kept = {**sheet}
    for name in lost:
        if known.get(name) is not None:
            kept[name] = known[name]
    return kept


def _safe(value: Any, phi: bool) -> Any:
    if value is None or not phi:
        return value
    return display_value(value, True)
