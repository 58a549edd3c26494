"""Sheet → store for one tab: which row is which record, which rows wait, which records are gone.

Each row is, in this order of checks: a second row with an id already seen (one of the
two is a copy, and the copy is held back); the record exactly as last synced (its
content hash equals its base's); a changed record; a new record (a blank id, or an id
reserved for it by a sync that did not finish); or held back for its problems. Rows with
a blank id get the id reserved for them earlier, else a new one (``core/reservations.py``).
Records whose row is gone are to be deleted, unless a row carries an id nobody knows
(an edited id may be that row). The changed rows are then merged into the store
(``core/row_merge.py``). The answer is one immutable ``Inbound``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import attrgetter, eq, not_
from types import MappingProxyType
from typing import Any

from clinicops.connectors.base import SheetRow
from clinicops.core.ids import IdMinter
from clinicops.core.problems import CellProblem, display_value
from clinicops.core.records import Records
from clinicops.core.references import ReferenceCheck
from clinicops.core.repeats import Repeats
from clinicops.core.reservations import match_reserved
from clinicops.core.retyped_ids import retyped_ids
from clinicops.core.row_merge import RowMerger
from clinicops.core.row_order import kept
from clinicops.core.row_parser import RowParser, clean_id, content_hash
from clinicops.core.sync_state import BaseEntry, SyncState
from clinicops.core.table_plan import Inbound, RowState, TableRead, unchanged

_VALUES, _NUMBER, _RAW_HASH = attrgetter("values"), attrgetter("number"), attrgetter("raw_hash")
_NO_BASE = BaseEntry(None, 0, None)  # what a row without a base is compared with: no hash equals None

Fresh = tuple[SheetRow, dict[str, Any], str]  # a row with a blank id: the row, its record, its content hash


@dataclass
class _Sorting:
    """The inbound pass's working state for one tab, frozen into an ``Inbound`` at the end."""

    read: TableRead
    base: dict[str, BaseEntry]
    index: dict[str, tuple[int, bool]]
    reservations: dict[str, str]  # id -> content hash, reserved by an earlier, unfinished sync
    last_row: int | None  # the tab's last row as the previous sync left it
    rows: list[RowState] = field(default_factory=list)  # rows to decide
    row_at: dict[str, int] = field(default_factory=dict)  # id -> its position in rows
    same: dict[str, SheetRow] = field(default_factory=dict)  # id -> its row, exactly as last synced
    seen: dict[str, int] = field(default_factory=dict)
    held: list[tuple[SheetRow, tuple[CellProblem, ...]]] = field(default_factory=list)
    held_ids: set[str] = field(default_factory=set)
    copies: list[SheetRow] = field(default_factory=list)  # rows held as copies of another row (a shared id)
    reserved: dict[str, str] = field(default_factory=dict)
    carried: dict[str, str] = field(default_factory=dict)
    fresh: list[Fresh] = field(default_factory=list)  # valid rows with a blank id
    held_fresh: list[Fresh] = field(default_factory=list)  # held-back rows with a blank id
    reconciled: set[str] = field(default_factory=set)  # rows found again for records an unfinished sync created
    orphans: list[str] = field(default_factory=list)  # records an unfinished sync created whose row is gone
    hold_deletes: bool = False
    repeats: Repeats = field(default_factory=Repeats)

    def hold(self, row: SheetRow, problems: Sequence[CellProblem], record_id: str = "") -> None:
        self.held.append((row, tuple(problems)))
        if record_id:
            self.held_ids.add(record_id)

    def add(self, state: RowState) -> None:
        """A row that stands for its record in this sync."""
        self.seen[state.record_id] = state.row.number
        self.row_at[state.record_id] = len(self.rows)
        self.rows.append(state)

    def standing(self, record_id: str) -> RowState | None:
        """The row that stands for a record so far, if any."""
        row = self.same.get(record_id)
        if row is not None:
            return unchanged(row, record_id, self.base[record_id])
        at = self.row_at.get(record_id)
        return self.rows[at] if at is not None else None

    def demote(self, record_id: str) -> RowState:
        """Take back the row that stood for a record (it turned out to be a copy)."""
        del self.seen[record_id]
        row = self.same.pop(record_id, None)
        if row is not None:
            return unchanged(row, record_id, self.base[record_id])
        at = self.row_at.pop(record_id)
        state = self.rows.pop(at)
        for rid, pos in self.row_at.items():
            if pos > at:
                self.row_at[rid] = pos - 1
        return state


class InboundPass:
    """The inbound pass of one sync, run tab by tab inside the sync's transaction."""

    def __init__(
        self,
        key: str,
        records: Records,
        state: SyncState,
        refs: ReferenceCheck,
        merger: RowMerger,
        make_parser: Callable[[TableRead], RowParser],
        *,
        stable_refs: bool,
    ) -> None:
        self.key = key
        self.records = records
        self.state = state
        self.refs = refs
        self.merger = merger
        self.make_parser = make_parser
        self.stable_refs = stable_refs  # the backend names a row by an id of its own (Airtable)

    def run(self, read: TableRead) -> Inbound:
        """Sort the tab's rows, store what changed, and say what it all became."""
        entity = read.entity
        base = self.state.base(self.key, entity.name)
        if read.table is None and base:
            return _vanished(read, base)
        left = table_state[2] if (table_state := self.state.table_state(self.key, entity.name)) else {}
        rows = read.table.rows if read.table else []
        # sorted, or rows moved: the old end no longer tells added rows apart
        last_row = left.get("last_row") if kept(rows, read.pk_col, left.get("anchors")) else None
        work = _Sorting(
            read, base, self.records.index(entity.name), self.state.pending(self.key, entity.name), last_row
        )
        ids = _ids_in(rows, read.pk_col)
        sheet_ids = set(ids) - {""}
        self.refs.reading(entity.name, sheet_ids if any(f.ref == entity.name for f in entity.fields) else set())
        parser = self.make_parser(read)
        contents = list(map(content_hash, map(_VALUES, rows)))
        if len(sheet_ids) == len(ids) - ids.count("") and "" not in base:
            self._take_unique(work, parser, rows, ids, contents)
        else:
            self._take_rows(work, parser, rows, ids, contents)
        self._assign_ids(work, sheet_ids)
        merged = self.merger.merge(read, work.rows, work.base, work.index, frozenset(work.reconciled))
        self.refs.forget(entity.name)
        to_delete, drop_base, notes = _deletes(work, lambda ids: self.state.base_data(self.key, entity.name, ids))
        return Inbound(
            base=MappingProxyType(work.base),
            index=MappingProxyType(work.index),
            rows=tuple(work.rows),
            same=MappingProxyType(work.same),
            held=tuple(work.held),
            held_ids=frozenset(work.held_ids),
            seen=MappingProxyType(work.seen),
            reserved=MappingProxyType(work.reserved),
            carried=MappingProxyType(work.carried),
            to_delete=to_delete,
            drop_base=drop_base,
            notes=notes,
            created=merged.created,
            updated=merged.updated,
            conflicts=merged.conflicts,
            written=merged.written,
            read_base=merged.read_base,
            read_extent=rows[-1].number if rows else 1,
            problems=tuple(p for _, probs in work.held for p in probs),
        )

    def _take_rows(
        self, work: _Sorting, parser: RowParser, rows: list[SheetRow], ids: list[str], contents: list[str]
    ) -> None:
        """Decide every row in sheet order (``ids``: the id typed on each, ``contents``: its content hash)."""
        base, seen, same = work.base, work.seen, work.same
        for row, rid, content in zip(rows, ids, contents, strict=True):
            # the common case first, inline: a row seen once, with its own id, exactly as last synced
            b = base.get(rid) if rid else None
            if b is not None and b.raw_hash == content and rid not in seen:
                seen[rid] = row.number
                same[rid] = row
            else:
                self._take_row(work, parser, row, rid, content)

    def _take_unique(
        self, work: _Sorting, parser: RowParser, rows: list[SheetRow], ids: list[str], contents: list[str]
    ) -> None:
        """:meth:`_take_rows` for a tab where no id is on two rows, deciding the same.

        No row is then a copy, so no decision looks at the rows before it: the rows exactly as
        last synced are found and kept by the interpreter's C loops, with no Python frame per row
        (most of a re-synced tab), and only the others are decided one by one. Every row with an
        id is seen on its own row, so ``seen`` is made at the end, in sheet order as the loop
        would have made it.
        """
        synced = map(_RAW_HASH, map(work.base.get, ids, repeat(_NO_BASE)))
        as_synced = list(map(eq, synced, contents))  # a blank id has no base: never as synced
        work.same.update(compress(zip(ids, rows, strict=True), as_synced))
        for row, rid, content in compress(zip(rows, ids, contents, strict=True), map(not_, as_synced)):
            self._take_row(work, parser, row, rid, content)
        work.seen = dict(zip(ids, map(_NUMBER, rows), strict=True))
        work.seen.pop("", None)

    def _take_row(self, work: _Sorting, parser: RowParser, row: SheetRow, rid: str, content: str) -> None:
        """Decide what one sheet row is: the record as last synced, a changed record, a new one, or held back.

        ``rid`` is the id typed on the row, ``content`` its content hash. Every check that keeps
        deletes back (an id nobody knows) runs whatever else is wrong with the row, so a bad
        cell never hides an edited id.
        """
        read = work.read
        if rid in work.seen and not self._duplicate_row(work, row, rid, content):
            return
        b = work.base.get(rid) if rid else None
        if b is not None and b.raw_hash == content:
            work.seen[rid] = row.number
            work.same[rid] = row
            return
        work.repeats.share(row.values)  # this row is parsed, and kept with its record until the write
        vals = _field_values(read, row.values)
        if vals is None:
            return
        record, problems = parser.parse(row.number, rid, vals)
        problems = self._other_problems(work, row, rid, b, content, problems)
        if problems:
            if rid:
                work.seen[rid] = row.number
            else:
                work.held_fresh.append((row, record, content))
            work.hold(row, problems, rid)
        elif rid:
            work.add(RowState(row, rid, record, content=content))
        else:
            work.fresh.append((row, record, content))

    @staticmethod
    def _other_problems(
        work: _Sorting, row: SheetRow, rid: str, b: BaseEntry | None, content: str, problems: Sequence[CellProblem]
    ) -> Sequence[CellProblem]:
        """The row's problems beyond its cells: formulas without a value, lost columns, an unknown id."""
        read = work.read
        if read.table is not None and read.table.uncached:
            problems = _with_uncached(read, row, problems)
        known = b is not None or rid in work.index
        if b is None and rid in work.reservations and rid in work.index:
            work.reconciled.add(rid)  # created from this row by a sync that did not finish: its base is the record
        if not problems and not known:
            problems = [_waiting(read, row, n) for n in read.lost if read.entity.by_name[n].required]
        if rid and not known and not (not work.base or rid in work.reservations):
            problems = [_unknown_id(read, row, rid), *problems]
            work.hold_deletes = True
        elif rid and problems and b is None and (not known or rid in work.reservations):
            work.carried[rid] = content  # a new row's own id waits, reserved, until its cells are fixed
        return problems

    def _assign_ids(self, work: _Sorting, sheet_ids: set[str]) -> None:
        """Ids for rows with a blank id: the one reserved for the row earlier, else a new one."""
        entity = work.read.entity
        pk = entity.primary_key
        open_ids = {i: h for i, h in work.reservations.items() if i not in work.seen}
        created = [i for i in open_ids if i in work.index and not work.index[i][1]]
        stored = {i: r.data for i, r in self.records.get_many(entity.name, created).items()} if created else {}
        blank = [(record, content) for _, record, content in (*work.fresh, *work.held_fresh)]
        matched = match_reserved(blank, open_ids, stored, pk)
        minter: IdMinter | None = None
        for n, (row, record, content) in enumerate(work.fresh):
            rid = matched.get(n, "")
            if not rid:
                if minter is None:
                    minter = IdMinter(entity.id_prefix, [*work.index, *sheet_ids, *work.reservations])
                rid = minter.next()
            elif rid in stored:
                work.reconciled.add(rid)
            record[pk] = rid
            work.reserved[rid] = content
            work.add(RowState(row, rid, record, new=True, content=content))
        for n, (_, _, content) in enumerate(work.held_fresh, start=len(work.fresh)):
            rid = matched.get(n, "")
            if rid in stored:
                work.carried[rid] = content
                work.held_ids.add(rid)
        found = set(matched.values())
        work.orphans = [rid for rid in created if rid not in found and rid not in work.base]

    def _duplicate_row(self, work: _Sorting, row: SheetRow, rid: str, content: str) -> bool:
        """A second row with an id already seen: one of them is a copy, and the copy is the error.

        Returns True when this later row is the original (the earlier one is then held as the
        copy and this one is read as the record's row). The original is, in this order: the
        row the backend itself identifies as the record's (Airtable's record id); not a row
        added below the end of the tab since the last sync; the row still exactly as last
        synced. Otherwise the later row is the copy. Nothing of the copy is ever merged.
        """
        earlier = work.standing(rid)
        if earlier is None or not self._is_original(work, earlier, row, content):
            work.hold(row, [_duplicate(work.read, row, rid, work.seen[rid])])
            work.copies.append(row)
            return False
        work.demote(rid)
        work.hold(earlier.row, [_duplicate(work.read, earlier.row, rid, row.number)])
        work.copies.append(earlier.row)
        return True

    def _is_original(self, work: _Sorting, earlier: RowState, later: SheetRow, content: str) -> bool:
        """Whether ``later`` rather than ``earlier`` is the row a record was synced from."""
        b = work.base.get(earlier.record_id)
        if b is None:
            return False
        stable = b.remote_id is not None and self.stable_refs
        if stable and b.remote_id in (str(later.ref), str(earlier.row.ref)):
            return str(later.ref) == b.remote_id
        if work.last_row is not None and earlier.row.number <= work.last_row < later.number:
            return False
        return earlier.parsed is not None and b.raw_hash == content


def skip_untouched(read: TableRead, state: SyncState, records: Records, key: str) -> Inbound | None:
    """The tab's answer when it is cell for cell as last synced and the store has not changed
    since (its rows are then not even looked at); None when it has to be read."""
    table = read.table
    if table is None or table.digest is None or read.layout_missing:
        return None
    found = state.table_state(key, read.entity.name)
    if found is None or found[0] != table.digest or found[1] != records.marker(read.entity.name):
        return None
    return Inbound.skip(found[2])


def _vanished(read: TableRead, base: dict[str, BaseEntry]) -> Inbound:
    """A tab synced before and missing now is unknown, never empty: nothing in it is deleted or written."""
    note = (
        f"The tab '{read.spec.title}' is missing or was renamed: its {len(base)} records were kept and "
        "nothing was written to it; rename it back (or restore the workbook from the backups in the data "
        "folder) and sync again."
    )
    return Inbound.skip({"unchanged": len(base)}, base=MappingProxyType(base), vanished=True, notes=(note,))


def _deletes(
    work: _Sorting, base_data: Callable[[list[str]], Mapping[str, dict[str, Any]]]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Records whose row is gone from the sheet are deleted, unless an edited id may be that row.

    Returns the ids to delete, the bases to drop (their record is gone already) and notes.
    """
    to_delete: list[str] = []
    drop: list[str] = []
    missing = False
    gone_ids = work.base.keys() - work.seen.keys()
    gone = [rid for rid in work.base if rid in gone_ids] if gone_ids else []
    retyped = retyped_ids(work.read, work.base, work.copies, gone, base_data)
    work.held_ids |= retyped.found
    hold = work.hold_deletes or retyped.unexplained > 0
    for rid in gone:
        if rid in work.held_ids:
            continue
        state = work.index.get(rid)
        if state is None or state[1]:
            drop.append(rid)
        elif hold:
            missing = True
        else:
            to_delete.append(rid)
    if not hold:
        to_delete.extend(work.orphans)
    notes: tuple[str, ...] = ()
    if missing or (hold and work.orphans):
        why = "has an id that does not exist" if work.hold_deletes else "repeats another row's id"
        notes = (
            f"Rows missing from the sheet were kept, not deleted, because a row {why}; fix that id and sync again.",
        )
    return tuple(to_delete), tuple(drop), notes


def _ids_in(rows: list[SheetRow], pk_col: int | None) -> list[str]:
    """The id typed on each row, "" when blank (``clean_id``, with its commonest case, text, inline)."""
    if pk_col is None:
        return [""] * len(rows)
    out = []
    for r in rows:
        values = r.values
        value = values[pk_col] if pk_col < len(values) else ""
        out.append(value.strip() if value.__class__ is str else clean_id(value))
    return out


def _field_values(read: TableRead, values: list[Any]) -> list[Any] | None:
    """The row's cells in entity field order, or None for a blank row."""
    width = len(values)
    picker = read.field_picker
    if picker is not None and width >= picker[0]:
        vals = list(picker[1](values))
    else:
        vals = [values[c] if c is not None and c < width else None for c in read.field_cols]
    if any(vals):
        for v in vals:  # ``not is_blank(v)``, inline: most rows say so at their first cell
            if v is not None and (not isinstance(v, str) or (v and not v.isspace())):
                return vals
    return None


def _with_uncached(read: TableRead, row: SheetRow, problems: Sequence[CellProblem]) -> list[CellProblem]:
    """A formula the file holds without its computed value reads as empty: it is reported, never stored."""
    assert read.table is not None
    headers = {c.field: c.header for c in read.spec.columns}
    found = [
        CellProblem(
            read.entity.name,
            read.spec.title,
            row.number,
            headers.get(f.name, f.title),
            "is a formula without a computed value (the program that saved the file did not calculate it)",
            "the value itself, or the workbook saved again from Excel or LibreOffice, which calculate it",
            None,
            "formula-without-value",
        )
        for f, col in zip(read.entity.fields, read.field_cols, strict=True)
        if col is not None and (row.number, col) in read.table.uncached
    ]
    columns = {p.column for p in found}
    return [*found, *(p for p in problems if p.column not in columns)]


def _pk_header(read: TableRead) -> str:
    pk = read.entity.primary_key
    return next((c.header for c in read.spec.columns if c.field == pk), read.entity.by_name[pk].title)


def _duplicate(read: TableRead, row: SheetRow, rid: str, first: int) -> CellProblem:
    return CellProblem(
        read.entity.name,
        read.spec.title,
        row.number,
        _pk_header(read),
        f"this id is already used on row {first}",
        "a blank id for a new record (clinicops assigns one), or this record's own id",
        display_value(rid, False),
        "duplicate-id",
    )


def _waiting(read: TableRead, row: SheetRow, name: str) -> CellProblem:
    f = read.entity.by_name[name]
    return CellProblem(
        read.entity.name,
        read.spec.title,
        row.number,
        f.title,
        f"its column '{read.lost[name]}' is gone, so this new row waits until it is back",
        f"a column named '{read.lost[name]}' (or another name for {f.title})",
        None,
        "missing-column",
    )


def _unknown_id(read: TableRead, row: SheetRow, rid: str) -> CellProblem:
    return CellProblem(
        read.entity.name,
        read.spec.title,
        row.number,
        _pk_header(read),
        "no record has this id (was it edited by hand?)",
        "the record's original id, or a blank id for a new record",
        display_value(rid, False),
        "unknown-id",
    )
