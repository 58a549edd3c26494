"""Store → sheet: what one table must be told so it shows the canonical records.

For every row: the fields whose store value differs from what the sheet shows (new ids,
computed fields, changes from plugins or another backend), rows to remove (records deleted
elsewhere) and records to add; then the Errors column and the notes on bad cells. Each
row's fingerprint after the write is predicted, so the next sync recognises it untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clinicops.connectors.base import Annotation, TableWrite
from clinicops.core.coercion import CoerceContext, cell_writer_for
from clinicops.core.records import StoredRecord
from clinicops.core.row_parser import content_hash, is_blank
from clinicops.core.store import StoreTx
from clinicops.core.table_plan import RowState, TablePlan


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

    def plan(self, tx: StoreTx, plan: TablePlan) -> TableWrite:
        if plan.skipped is not None:
            return TableWrite(spec=plan.spec)
        entity, spec = plan.entity, plan.spec
        pk = entity.primary_key
        fields = entity.fields
        index = dict(plan.index)
        index.update((rid, state) for (name, rid), state in tx.written.items() if name == entity.name)
        tw = TableWrite(spec=spec)
        todo: list[RowState] = []
        for rs in plan.rows:
            state = index.get(rs.record_id)
            if rs.parsed is None:
                b = plan.base[rs.record_id]
                if state == (b.store_version, False):
                    continue
            todo.append(rs)
        known = {
            rid: StoredRecord(entity.name, rid, version, False, data, "")
            for rid, (version, data) in plan.written.items()
            if index.get(rid) == (version, False)
        }
        stored = {**known, **tx.get_many(entity.name, [rs.record_id for rs in todo if rs.record_id not in known])}
        base_data = tx.sync.base_data(self.key, entity.name, [rs.record_id for rs in todo if rs.parsed is None])
        stable = self.stable_refs
        writers = [cell_writer_for(f.schema, self.ctx) for f in fields]
        headers = {c.field: c.header for c in spec.columns}  # a field without a column is never written
        for rs in todo:
            rid = rs.record_id
            sheet = rs.parsed if rs.parsed is not None else base_data.get(rid, {})
            cur = stored.get(rid)
            if cur is None or cur.deleted:
                if rs.parsed is None or (rid in plan.base and sheet == base_data.get(rid, sheet)):
                    tw.deletes.append(rs.row.ref)
                    plan.deleted.add(rid)
                    plan.drop_base.append(rid)
                continue
            after: list[Any] | None = list(rs.row.values)
            for i, f in enumerate(fields):
                if f.name not in headers:
                    continue
                if f.name == pk:
                    cell = rid if rs.new else None
                    if cell is None:
                        continue
                else:
                    want = cur.data.get(f.name)
                    if want == sheet.get(f.name):
                        continue
                    cell = None if want is None else writers[i](want)
                    if rid not in plan.created:
                        plan.updated.add(rid)
                tw.cells.append((rs.row.ref, headers[f.name], cell))
                after = _predict(after, plan.field_cols[i], self._read_back(cell))
            plan.base_updates.append(
                {
                    "id": rid,
                    "data": cur.data,
                    "raw_hash": self._after_hash(plan, after),
                    "store_version": cur.version,
                    "remote_id": str(rs.row.ref) if stable else None,
                }
            )
        in_sheet = set(plan.seen) | plan.held_ids | set(plan.base)
        missing = [rid for rid, (_, deleted) in index.items() if not deleted and rid not in in_sheet]
        width = len(plan.table.header) if plan.table else 0
        for cur in self._sorted(tx.get_many(entity.name, missing)):
            cells: dict[str, Any] = {}
            row_after: list[Any] | None = [""] * width if plan.table else None
            for i, f in enumerate(fields):
                value = cur.data.get(f.name)
                if value is None or f.name not in headers:
                    continue
                cell = value if f.name == pk else writers[i](value)
                cells[headers[f.name]] = cell
                row_after = _predict(row_after, plan.field_cols[i], self._read_back(cell))
            tw.appends.append(cells)
            plan.appended_ids.append(cur.id)
            plan.created.add(cur.id)
            plan.base_updates.append(
                {
                    "id": cur.id,
                    "data": cur.data,
                    "raw_hash": self._after_hash(plan, row_after),
                    "store_version": cur.version,
                }
            )
        self._error_cells(plan, tw)
        return tw

    @staticmethod
    def _after_hash(plan: TablePlan, after: list[Any] | None) -> str | None:
        """The hash the row will have once written: valid rows end with an empty Errors cell.

        None when it cannot be known (a column is being added); the next sync then checks
        the row once and remembers its real hash.
        """
        if after is None or plan.layout_missing:
            return None
        col = plan.errors_col
        if col is not None and col < len(after):
            after[col] = ""
        return content_hash(after)

    @staticmethod
    def _sorted(records: dict[str, StoredRecord]) -> list[StoredRecord]:
        return [records[k] for k in sorted(records)]

    def _error_cells(self, plan: TablePlan, tw: TableWrite) -> None:
        """Make the Errors column say what is wrong on each row, and nothing on the others."""
        if plan.table is None:
            return
        wanted = {row.number: "; ".join(p.message for p in probs) for row, probs in plan.held}
        col = plan.errors_col
        mismatch = False
        for row in plan.table.rows:
            have = row.values[col] if col is not None and col < len(row.values) else None
            have_text = "" if is_blank(have) else str(have).strip()
            want = wanted.get(row.number, "")
            if have_text != want:
                tw.cells.append((row.ref, plan.spec.errors_header, want or None))
                mismatch = True
        if mismatch:
            tw.annotations = [Annotation(row.ref, p.column, p.message) for row, probs in plan.held for p in probs]


def _same(value: Any) -> Any:
    return value


def _predict(after: list[Any] | None, col: int | None, cell: Any) -> list[Any] | None:
    """A row's cells as a reader will return them after a write (empty cells read as "")."""
    if after is None or col is None or col >= len(after):
        return None
    after[col] = "" if cell is None else cell
    return after
