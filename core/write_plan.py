"""Store → sheet: what one table must be told so it shows the canonical records.

For every row: the fields whose store value differs from what the sheet shows (new ids,
computed fields, changes from plugins or another backend), rows to remove (records deleted
elsewhere) and records to add; then the Errors column and the notes on bad cells. Each
row's fingerprint after the write is predicted, so the next sync recognises it untouched.
The planner reads a ``TablePlan`` and answers with a ``WriteDecision``; it changes neither
the plan nor the store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import attrgetter, ne
from types import MappingProxyType
from typing import Any, NamedTuple

from clinicops.connectors.base import Annotation, TableWrite
from clinicops.core.coercion import CoerceContext, cell_writer_for
from clinicops.core.records import Records, StoredRecord
from clinicops.core.row_parser import content_hash, is_blank
from clinicops.core.sync_state import SyncState
from clinicops.core.table_plan import Inbound, RowState, TablePlan, TableRead, unchanged

_STORE_VERSION = attrgetter("store_version")


@dataclass(frozen=True)
class WriteDecision:
    """What the write planner decided for one tab."""

    write: TableWrite
    appended_ids: tuple[str, ...] = ()  # the record of each appended row, in order
    updated: frozenset[str] = frozenset()  # records whose row gets a changed cell from the store
    removed: frozenset[str] = frozenset()  # records deleted elsewhere whose row is removed
    drop_base: tuple[str, ...] = ()  # their bases
    base_updates: tuple[dict[str, Any], ...] = field(default=())  # each written row's base once confirmed
    # id -> the record's version now, for each merged row the write leaves as it was read: the
    # store's commit writes its base as read at that version (see ``WritePlanner._settle``)
    settled: Mapping[str, int] = field(default_factory=dict)

    @property
    def created(self) -> frozenset[str]:
        return frozenset(self.appended_ids)


class _Columns(NamedTuple):
    """Per entity field, how its value is written; per field with a column, the column's header."""

    writers: list[Callable[[Any], Any]]
    headers: dict[str, str]


@dataclass
class _Decided:
    """The planner's working answer for one tab."""

    write: TableWrite
    appended_ids: list[str] = field(default_factory=list)
    updated: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    base_updates: list[dict[str, Any]] = field(default_factory=list)
    settled: dict[str, int] = field(default_factory=dict)  # id -> the version its base as read is final at

    def frozen(self) -> WriteDecision:
        return WriteDecision(
            self.write,
            tuple(self.appended_ids),
            frozenset(self.updated),
            frozenset(self.removed),
            tuple(sorted(self.removed)),
            tuple(self.base_updates),
            self.settled,
        )


class WritePlanner:
    """Plans the writes of one sync; ``read_back`` says how the backend reads a written value."""

    def __init__(
        self,
        key: str,
        ctx: CoerceContext,
        read_back: Callable[[Any], Any] | None = None,
        *,
        stable_refs: bool = False,
    ) -> None:
        self.key = key
        self.ctx = ctx
        self._read_back = read_back or _same
        self.stable_refs = stable_refs

    def plan(self, records: Records, state: SyncState, plan: TablePlan) -> WriteDecision:
        read, inbound = plan.read, plan.inbound
        decided = _Decided(TableWrite(spec=read.spec))
        if inbound.skipped is not None:
            return decided.frozen()
        name = read.entity.name
        index = _own_copy(inbound.index)
        index.update((rid, st) for (entity, rid), st in records.written.items() if entity == name)
        todo = _todo(inbound, index)
        written = inbound.written  # what the merge stored: not read back while it is still the record's version
        current = {rid: w for rs in todo if (w := written.get(rid := rs.record_id)) and index.get(rid) == (w[0], False)}
        stored = records.get_many(name, [rs.record_id for rs in todo if rs.record_id not in current])
        base_data = state.base_data(self.key, name, [rs.record_id for rs in todo if rs.parsed is None])
        as_read = inbound.read_base
        columns = _Columns(
            [cell_writer_for(f.schema, self.ctx) for f in read.entity.fields],
            {c.field: c.header for c in read.spec.columns},  # a field without a column is never written
        )
        for rs in todo:
            rid = rs.record_id
            cur = stored.get(rid)
            if (w := current.get(rid)) is not None:
                version, data = w
                if not rs.new and (data is rs.parsed or data == rs.parsed):  # most often the very same dict
                    # the row shows the record as stored (a first import's): no field needs a look
                    self._settle(read, rs, version, data, _unwritten_hash(read, rs), as_read, decided)
                    continue
                cur = StoredRecord(name, rid, version, False, data, "")
            self._row(plan, rs, cur, base_data, as_read, columns, decided)
        _mark_same_data(decided.base_updates, base_data, as_read)
        not_shown = index.keys() - inbound.seen.keys() - inbound.held_ids
        if not read.entity.computed_by_plugins:
            # A staff row gone but kept (deletes held) is not written back; on a tab only
            # clinicops fills, a row staff deleted is the engine's, and comes back.
            not_shown -= inbound.base.keys()
        missing = sorted(rid for rid in not_shown if not index[rid][1])
        for cur in _sorted(records.get_many(name, missing)):
            self._append(read, cur, columns, decided)
        _error_cells(plan, decided.write)
        return decided.frozen()

    def _row(
        self,
        plan: TablePlan,
        rs: RowState,
        cur: StoredRecord | None,
        base_data: Mapping[str, dict[str, Any]],
        as_read: Mapping[str, dict[str, Any]],
        columns: _Columns,
        decided: _Decided,
    ) -> None:
        """The cells of one row the store changed (a new id, computed or edited fields), or its removal."""
        read, rid = plan.read, rs.record_id
        sheet = rs.parsed if rs.parsed is not None else base_data.get(rid, {})
        if cur is None or cur.deleted:
            if rs.parsed is None or (rid in plan.inbound.base and sheet == base_data.get(rid, sheet)):
                decided.write.deletes.append(rs.row.ref)
                decided.removed.add(rid)
            return
        writers, headers = columns
        after: list[Any] | None = list(rs.row.values)
        cells_before = len(decided.write.cells)
        # a row that shows the record as stored (a first import's) needs no look at each field
        fields = read.entity.fields if rs.new or cur.data != sheet else []
        for i, f in enumerate(fields):
            if f.name not in headers:
                continue
            if f.name == read.entity.primary_key:
                if not rs.new:
                    continue
                cell: Any = rid
            else:
                want = cur.data.get(f.name)
                if want == sheet.get(f.name):
                    continue
                cell = None if want is None else writers[i](want)
                if rid not in plan.inbound.created:
                    decided.updated.add(rid)
            decided.write.cells.append((rs.row.ref, headers[f.name], cell))
            after = _predict(after, read.field_cols[i], self._read_back(cell))
        unwritten = len(decided.write.cells) == cells_before
        raw_hash = _after_hash(read, after, rs if unwritten else None)
        if unwritten:
            self._settle(read, rs, cur.version, cur.data, raw_hash, as_read, decided)
            return
        decided.base_updates.append(
            {
                "id": rid,
                "data": cur.data,
                "raw_hash": raw_hash,
                "store_version": cur.version,
                "remote_id": str(rs.row.ref) if self.stable_refs else None,
            }
        )

    def _settle(
        self,
        read: TableRead,
        rs: RowState,
        version: int,
        data: dict[str, Any],
        raw_hash: str | None,
        as_read: Mapping[str, dict[str, Any]],
        decided: _Decided,
    ) -> None:
        """The base of a row the write leaves as it was read.

        A merged row whose base as read holds the record's data and the row's hash already
        is final at the record's version now: the store's commit writes it so, and the base
        is written once, not once with the commit and again after the write. Whatever becomes
        of the write, the sheet shows this version of the record. Any other row's base moves
        once the write is confirmed.
        """
        rid = rs.record_id
        remote_id = str(rs.row.ref) if self.stable_refs else None
        was = as_read.get(rid)
        if (
            was is not None
            and was["raw_hash"] == raw_hash
            and was["remote_id"] == remote_id
            and (was["data"] is data or was["data"] == data)
        ):
            decided.settled[rid] = version
            return
        decided.base_updates.append(
            {"id": rid, "data": data, "raw_hash": raw_hash, "store_version": version, "remote_id": remote_id}
        )

    def _append(self, read: TableRead, cur: StoredRecord, columns: _Columns, decided: _Decided) -> None:
        """A record the sheet lacks becomes a new row at the end."""
        writers, headers = columns
        cells: dict[str, Any] = {}
        after: list[Any] | None = [""] * len(read.table.header) if read.table else None
        for i, f in enumerate(read.entity.fields):
            value = cur.data.get(f.name)
            if value is None or f.name not in headers:
                continue
            cell = value if f.name == read.entity.primary_key else writers[i](value)
            cells[headers[f.name]] = cell
            after = _predict(after, read.field_cols[i], self._read_back(cell))
        decided.write.appends.append(cells)
        decided.appended_ids.append(cur.id)
        decided.base_updates.append(
            {"id": cur.id, "data": cur.data, "raw_hash": _after_hash(read, after), "store_version": cur.version}
        )


def _todo(inbound: Inbound, index: Mapping[str, tuple[int, bool]]) -> list[RowState]:
    """The rows that may need a write, in the order the inbound pass took them (rows with ids, then new rows).

    A row as last synced needs nothing while its record is the version its base matches: only
    those whose record moved in the store since (another backend, a plugin) get a ``RowState``.
    """
    base, same = inbound.base, inbound.same
    # per row as last synced, whether its record is no longer (its base's version, live): C loops only
    agreed = zip(map(_STORE_VERSION, map(base.__getitem__, same)), repeat(False))
    moved = [
        unchanged(row, rid, base[rid]) for rid, row in compress(same.items(), map(ne, map(index.get, same), agreed))
    ]
    todo = [
        rs
        for rs in inbound.rows
        if rs.parsed is not None or index.get(rs.record_id) != (base[rs.record_id].store_version, False)
    ]
    if not moved:
        return todo
    known = [rs for rs in todo if not rs.new]
    return [*sorted([*known, *moved], key=lambda rs: rs.row.number), *(rs for rs in todo if rs.new)]


def _own_copy(mapping: Mapping[str, tuple[int, bool]]) -> dict[str, tuple[int, bool]]:
    """A dict of ``mapping``: a read-only view's is copied by its dict (``dict(view)`` takes a
    look-up per key, ten times as long for a 100k-record index)."""
    return mapping.copy() if isinstance(mapping, MappingProxyType) else dict(mapping)


def _mark_same_data(
    updates: list[dict[str, Any]], base_data: Mapping[str, dict[str, Any]], as_read: Mapping[str, dict[str, Any]]
) -> None:
    """Mark the rows whose base already holds their data (what each row's base holds once the store's
    commit is in: the sheet as read for a merged row, else as last synced): only their hash and version move."""
    for u in updates:
        rid = u["id"]
        was = as_read[rid]["data"] if rid in as_read else base_data.get(rid)
        u["same_data"] = was is not None and was == u["data"]


def _unwritten_hash(read: TableRead, rs: RowState) -> str | None:
    """:func:`_after_hash` of a row no field of which is written, without copying its cells
    when its Errors cell is empty already (the commonest case)."""
    values, col = rs.row.values, read.errors_col
    if rs.content and not read.layout_missing and col is not None and (col >= len(values) or values[col] == ""):
        return rs.content
    return _after_hash(read, list(values), rs)


def _after_hash(read: TableRead, after: list[Any] | None, was: RowState | None = None) -> str | None:
    """The hash the row will have once written: valid rows end with an empty Errors cell.

    None when it cannot be known (a column is being added); the next sync then checks
    the row once and remembers its real hash. A row the write leaves as it was (``was``)
    keeps the hash it was read with.
    """
    if after is None or read.layout_missing:
        return None
    col = read.errors_col
    if col is not None and col < len(after):
        after[col] = ""
    if was is not None and was.content and after == was.row.values:
        return was.content
    return content_hash(after)


def _sorted(records: dict[str, StoredRecord]) -> list[StoredRecord]:
    return [records[k] for k in sorted(records)]


def _error_cells(plan: TablePlan, tw: TableWrite) -> None:
    """Make the Errors column say what is wrong on each row, and nothing on the others."""
    read = plan.read
    if read.table is None:
        return
    wanted = {row.number: "; ".join(p.message for p in probs) for row, probs in plan.inbound.held}
    col = read.errors_col
    mismatch = False
    for row in read.table.rows:
        have = row.values[col] if col is not None and col < len(row.values) else None
        if (have is None or have == "") and row.number not in wanted:
            continue  # the commonest case, decided without a call: empty and meant to be
        have_text = "" if is_blank(have) else str(have).strip()
        want = wanted.get(row.number, "")
        if have_text != want:
            tw.cells.append((row.ref, read.spec.errors_header, want or None))
            mismatch = True
    if mismatch:
        tw.annotations = [Annotation(row.ref, p.column, p.message) for row, probs in plan.inbound.held for p in probs]


def _same(value: Any) -> Any:
    return value


def _predict(after: list[Any] | None, col: int | None, cell: Any) -> list[Any] | None:
    """A row's cells as a reader will return them after a write (empty cells read as "")."""
    if after is None or col is None or col >= len(after):
        return None
    after[col] = "" if cell is None else cell
    return after
