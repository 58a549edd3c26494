"""One sync of a practice with its backend, step by step as ``docs/architecture.md#one-sync-step-by-step`` tells it.

read (one batched call) → coerce + validate → three-way merge into the store → plugins
(computed fields, alerts) → write back (ids, computed fields, error notes, alerts) in as
few calls as the backend allows → move the sync base.

Safety: everything the store learns is one transaction; the backend is written only
after it commits; the base moves only after the backend confirmed. A sync killed at any
point converges on the next run: ids reserved for new rows are remembered with the
row's content, so a row whose id never reached the sheet is found again and gets the
same id, even after staff edited or moved it (``core/reservations.py``).
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from typing import Any

from filelock import FileLock, Timeout

from clinicops.connectors.base import (
    Backend,
    ColumnSpec,
    SheetRow,
    SheetTable,
    TableSpec,
    TableWrite,
    normalize_header,
)
from clinicops.core import alerts as alert_records
from clinicops.core import computed_fields, lost_store, private_files
from clinicops.core.access import AccessEvent
from clinicops.core.clock import utc_text
from clinicops.core.column_map import Binding, bind, lost_message
from clinicops.core.computed_columns import ComputedColumns
from clinicops.core.errors import ClinicopsError
from clinicops.core.exports import export_events, phi_written, ref_ids
from clinicops.core.guests import CORE, Guests
from clinicops.core.ids import IdMinter
from clinicops.core.merge import merge_record
from clinicops.core.practice import Practice, PracticeView
from clinicops.core.problems import CellProblem, FieldProblem, display_value
from clinicops.core.records import StoredRecord
from clinicops.core.references import NameIndex, Resolution
from clinicops.core.reservations import match_reserved
from clinicops.core.row_parser import RowParser, clean_id, content_hash, is_blank
from clinicops.core.schema_registry import Entity
from clinicops.core.store import StoreTx
from clinicops.core.sync_report import SyncReport
from clinicops.core.table_plan import RowState, TablePlan
from clinicops.core.write_plan import WritePlanner


class SyncError(ClinicopsError, RuntimeError):
    """A sync that stopped on purpose; the message says why and what to do."""


class SyncBusy(SyncError):
    """Another sync of the same practice holds the lock."""


class DeleteGuardTripped(SyncError):
    """The sync would delete more than the configured share of a table."""


def choice_sources(entities: list[Entity], bindings: dict[str, Binding]) -> dict[str, tuple[str, str]]:
    """Each entity's tab and id column: where a reference column's drop-down takes its choices."""
    out = {}
    for e in entities:
        binding = bindings.get(e.name) or Binding(e.title, {})
        header = binding.header_for(e.by_name[e.primary_key])
        if header is not None:
            out[e.name] = (binding.tab, header)
    return out


def table_spec(
    entity: Entity, binding: Binding | None = None, sources: dict[str, tuple[str, str]] | None = None
) -> TableSpec:
    """How the entity's tab should look: the template's, or the practice's own layout when bound.

    Lost and skipped fields have no column here, so no backend ever adds one for them.
    ``sources`` (see :func:`choice_sources`) gives reference columns a drop-down.
    """
    binding = binding or Binding(entity.title, {})
    sources = sources or {}
    pk = entity.primary_key
    columns = tuple(
        ColumnSpec(
            header=header,
            field=f.name,
            kind=f.kind,
            options=tuple(f.enum or ()),
            plugin_owned=f.plugin_owned,
            phi=f.phi,
            required=f.required and f.name != pk,
            text_format=f.identifier or f.name == pk,
            choices_from=sources.get(f.ref) if f.ref else None,
        )
        for f in entity.fields
        if (header := binding.header_for(f)) is not None
    )
    return TableSpec(entity=entity.name, title=binding.tab, primary_key=pk, columns=columns)


class SyncEngine:
    """Runs one sync; build a new engine per run."""

    def __init__(
        self,
        practice: Practice,
        backend: Backend,
        *,
        dry_run: bool = False,
        allow_delete: bool = False,
        fail_after_store_commit: Callable[[], None] | None = None,
        adopted_by: str | None = None,
    ) -> None:
        self.practice = practice
        self.adopted_by = adopted_by  # who rebuilds an empty store from the sheet's ids on purpose
        self.backend = ComputedColumns(backend, practice.column_map.tabs) if _computes(practice) else backend
        self.dry_run = dry_run
        self.allow_delete = allow_delete
        self.key = backend.key
        self.source = f"sync:{backend.key.split(':', 1)[0]}"
        self.actor = practice.config.actor
        self.ctx = practice.coerce_context
        self._known_ids: dict[str, set[str]] = {}
        self._names: dict[str, NameIndex] = {}
        self._sheet_ids: dict[str, set[str]] = {}
        self._before_write = fail_after_store_commit
        self._current = ""
        self._tx: StoreTx
        self.guests = Guests(practice.pm)

    # entry -------------------------------------------------------------------

    def run(self) -> SyncReport:
        data_dir = self.practice.config.data_dir
        private_files.make_dir(data_dir)
        lock = FileLock(str(data_dir / "sync.lock"), mode=private_files.FILE_MODE)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise SyncBusy(
                f"Another sync of {self.practice.config.name} is running; this one stopped without changing anything."
            ) from None
        # A sync holds the whole sheet in memory for its duration: keep the collector from
        # walking those millions of long-lived cells again and again while rows are parsed.
        gc.freeze()
        try:
            return self._run()
        finally:
            gc.unfreeze()
            lock.release()

    def _run(self) -> SyncReport:
        started = utc_text(self.practice.now(), micro=True)
        clock = time.perf_counter()
        report = SyncReport(self.practice.config.name, self.key, self.dry_run)
        if not self.dry_run:
            self.backend.check_writable()
            self.backend.tidy()
        entities = self.practice.entities()
        column_map = self.practice.column_map
        kept = {e.name: bind(e, column_map.tab_for(e), None) for e in entities}
        sources = choice_sources(entities, kept)
        specs = [table_spec(e, kept[e.name], sources) for e in entities]
        tables = self.backend.read(specs)
        bindings, specs = self._bind(entities, specs, tables)
        found = {name for name, table in tables.items() if table is not None}
        report.timings["read"] = time.perf_counter() - clock
        store = self.practice.store
        with store.engine.connect() as conn:
            trans = conn.begin()
            tx = StoreTx(conn, self.practice.clock)
            self._tx = tx
            view = PracticeView(self.practice, tx, source=self.source, actor=self.actor)
            try:
                id_headers = {e.name: bindings[e.name].header_for(e.by_name[e.primary_key]) for e in entities}
                clinicops_tabs = {"alert", *self.practice.plugin_entities}
                lost_store.check(
                    view, entities, tables, id_headers, clinicops_tabs=clinicops_tabs, adopted_by=self.adopted_by
                )
                plans = [
                    self._inbound(tx, view, e, spec, tables.get(e.name), report, bindings[e.name])
                    for e, spec in zip(entities, specs, strict=True)
                ]
                report.timings["inbound"] = time.perf_counter() - clock
                self._guard(plans)
                for plan in plans:
                    self._apply_deletes(tx, view, plan)
                for plan in plans:
                    self._backfill(tx, view, plan.entity)
                self.guests.call("refresh_tables", practice=view)
                self._alerts(tx, view, report)
                plans = [self._revisit(tx, view, plan, report) for plan in plans]
                planner = WritePlanner(
                    self.key, self.ctx, self.backend.read_back, stable_refs=self.backend.row_ids_are_stable
                )
                writes = [planner.plan(tx, plan) for plan in plans]
                report.timings["plan"] = time.perf_counter() - clock
                for plan in plans:
                    self._count(plan, report)
                if self.dry_run:
                    trans.rollback()
                    report.requests = self.backend.requests
                    report.backend_stats = self.backend.stats()
                    return report
                for plan in plans:
                    if plan.skipped is None:
                        tx.sync.set_pending(self.key, plan.entity.name, {**plan.reserved, **plan.carried})
                        tx.sync.put_base(self.key, plan.entity.name, plan.read_base)
                trans.commit()
            except BaseException:
                if trans.is_active:
                    trans.rollback()
                raise
        pending_writes = [
            w for w, p in zip(writes, plans, strict=True) if not w.is_empty() or (p.layout_missing and not p.vanished)
        ]
        del tables
        exports = self._exports(plans, writes)
        for plan in plans:
            plan.rows.clear()  # the sheet as read is not needed any more: give the writer the memory
            if plan.table is not None:
                plan.table.release()
        if pending_writes:
            if self._before_write is not None:
                self._before_write()
            result = self.backend.write(pending_writes)
            report.wrote = True
            for plan in plans:
                refs = result.appended_refs.get(plan.entity.name, [])
                if self.backend.row_ids_are_stable:
                    by_id = dict(zip(plan.appended_ids, refs, strict=False))
                    for update in plan.base_updates:
                        if update["id"] in by_id:
                            update["remote_id"] = str(by_id[update["id"]])
        report.timings["write"] = time.perf_counter() - clock
        with store.transaction() as tx:
            for plan, tw in zip(plans, writes, strict=True):
                name = plan.entity.name
                tx.sync.put_base(self.key, name, plan.base_updates)
                tx.sync.drop_base(self.key, name, plan.drop_base)
                if plan.skipped is None:
                    tx.sync.set_pending(self.key, name, plan.carried)
                    self._remember_tab(tx, plan, tw, report)
            if report.wrote:
                self._log_exports(tx, exports)
            report.requests = self.backend.requests
            report.backend_stats = self.backend.stats()
            tx.sync.record_run(self.key, started, "ok", report.as_dict())
        for entity in entities:
            if entity.name in found:
                column_map.record(entity, bindings[entity.name])
        column_map.save()
        report.timings["total"] = time.perf_counter() - clock
        if not report.changes.is_empty():
            self._after_sync(report)
        report.plugin_failures = [f.alert().message for f in self.guests.failures]
        return report

    @staticmethod
    def _exports(plans: list[TablePlan], writes: list[TableWrite]) -> dict[str, dict[str, tuple[str, ...]]]:
        """entity -> record id -> the PHI fields this sync's write sends to the backend."""
        out = {}
        for plan, tw in zip(plans, writes, strict=True):
            if plan.entity.has_phi and not tw.is_empty():
                out[plan.entity.name] = phi_written(tw, plan.appended_ids, ref_ids(plan.rows))
        return out

    def _log_exports(self, tx: StoreTx, exports: dict[str, dict[str, tuple[str, ...]]]) -> None:
        """The backend confirmed the write: each record whose PHI it received is an ``export`` in the access log."""
        view = PracticeView(self.practice, tx, source=self.source, actor=self.actor)
        for entity, written in exports.items():
            for event in export_events(entity, written, self.actor, self.source):
                view.accessed(event)

    def _after_sync(self, report: SyncReport) -> None:
        """Plugins act on what the committed sync changed; a failure there is an alert of its own."""
        with self.practice.view(source=self.source, actor=self.actor) as after:
            already = len(self.guests.failures)
            self.guests.call("after_sync", practice=after, changes=report.changes)
            for failure in self.guests.failures[already:]:
                alert = failure.alert()
                data = {"id": alert.alert_id(CORE), "severity": alert.severity, "plugin": CORE}
                data |= {"message": alert.message, "status": "open", "first_seen": utc_text(after.now())}
                after.save(alert_records.ENTITY, data, plugin=CORE)

    # columns: which column holds which field ----------------------------------

    def _bind(
        self, entities: list[Entity], specs: list[TableSpec], tables: dict[str, SheetTable | None]
    ) -> tuple[dict[str, Binding], list[TableSpec]]:
        """Bind each tab's headers to fields; a tab read without a column now bound is read again.

        Only a backend that reads just the columns it is asked for (Airtable) needs the
        second read, and only in the sync that finds a renamed column.
        """
        column_map = self.practice.column_map
        bindings: dict[str, Binding] = {}
        for entity in entities:
            table = tables.get(entity.name)
            header = None if table is None else [*table.header, *table.other_headers]
            bindings[entity.name] = bind(entity, column_map.tab_for(entity), header)
        sources = choice_sources(entities, bindings)
        out: list[TableSpec] = []
        again: list[TableSpec] = []
        for entity, old in zip(entities, specs, strict=True):
            table = tables.get(entity.name)
            spec = table_spec(entity, bindings[entity.name], sources)
            out.append(spec)
            unread = {normalize_header(h) for h in table.other_headers} if table is not None else set()
            if spec != old and any(normalize_header(c.header) in unread for c in spec.columns):
                again.append(spec)
        if again:
            tables.update(self.backend.read(again))
        return bindings, out

    @staticmethod
    def _lost_columns(plan: TablePlan, binding: Binding, report: SyncReport | None) -> None:
        """Each bound column that is gone is one error naming the tab, the old header and what is there."""
        for name, old in binding.lost.items():
            plan.lost[name] = old
            if report is None:
                continue
            problem, expected = lost_message(plan.entity, binding, name)
            report.entity(plan.entity.name).errors.append(
                CellProblem(plan.entity.name, binding.tab, 1, old, problem, expected, None, "missing-column")
            )

    # inbound: sheet → store --------------------------------------------------

    def _inbound(
        self,
        tx: StoreTx,
        view: PracticeView,
        entity: Entity,
        spec: TableSpec,
        table: SheetTable | None,
        report: SyncReport,
        binding: Binding,
        may_skip: bool = True,
    ) -> TablePlan:
        plan = self._new_plan(entity, spec, table, binding)
        self._lost_columns(plan, binding, report if may_skip else None)
        if entity.primary_key in binding.lost:
            plan.skipped = {"unchanged": 0}  # without ids no row can be matched: the tab waits, whole
            return plan
        if may_skip and self._untouched(tx, plan):
            return plan
        plan.base = tx.sync.base(self.key, entity.name)
        if table is None and plan.base:
            return self._vanished(plan, report)
        state = tx.sync.table_state(self.key, entity.name)
        plan.last_row = state[2].get("last_row") if state else None
        self._current = entity.name
        plan.index = tx.index(entity.name)
        reservations = tx.sync.pending(self.key, entity.name)
        pk_col = plan.field_cols[[f.name for f in entity.fields].index(entity.primary_key)]
        rows = plan.table.rows if plan.table else []
        plan.read_extent = rows[-1].number if rows else 1
        if any(f.ref == entity.name for f in entity.fields):
            self._sheet_ids[entity.name] = self._ids_in(rows, pk_col)
        parser = RowParser(
            entity,
            spec.title,
            self.ctx,
            self._ref_exists,
            self._plugin_checks(view),
            unknown=frozenset(plan.lost),
            headers={c.field: c.header for c in spec.columns},
            resolve_name=self._resolve_name,
        )
        for row in rows:
            self._take_row(plan, parser, row, pk_col, reservations)
        self._assign_ids(tx, plan, self._ids_in(rows, pk_col), reservations)
        self._merge_changed(tx, view, plan, plan.index)
        self._plan_deletes(plan, report)
        self._known_ids.pop(entity.name, None)
        self._names.pop(entity.name, None)
        report.entity(entity.name).errors.extend(p for _, probs in plan.held for p in probs)
        return plan

    def _new_plan(self, entity: Entity, spec: TableSpec, table: SheetTable | None, binding: Binding) -> TablePlan:
        header_index: dict[str, int] = {}
        for i, h in enumerate(table.header if table else []):
            header_index.setdefault(normalize_header(h), i)
        headers = {c.field: normalize_header(c.header) for c in spec.columns}
        field_cols = [header_index.get(headers[f.name]) if f.name in headers else None for f in entity.fields]
        return TablePlan(
            entity=entity,
            spec=spec,
            table=table,
            field_cols=field_cols,
            errors_col=header_index.get(normalize_header(spec.errors_header)),
            base={},
            binding=binding,
        )

    def _vanished(self, plan: TablePlan, report: SyncReport) -> TablePlan:
        """A tab synced before and missing now is unknown, never empty: nothing in it is deleted or written."""
        plan.vanished = True
        plan.skipped = {"unchanged": len(plan.base)}
        report.entity(plan.entity.name).notes.append(
            f"The tab '{plan.spec.title}' is missing or was renamed: its {len(plan.base)} records were kept and "
            "nothing was written to it; rename it back (or restore the workbook from the backups in the data "
            "folder) and sync again."
        )
        return plan

    def _take_row(
        self, plan: TablePlan, parser: RowParser, row: SheetRow, pk_col: int | None, reservations: dict[str, str]
    ) -> None:
        """Decide what one sheet row is: the record as last synced, a changed record, a new one, or held back.

        Every check that keeps deletes back (an id nobody knows) runs whatever else is wrong
        with the row, so a bad cell never hides an edited id.
        """
        values = row.values
        rid = clean_id(values[pk_col]) if pk_col is not None and pk_col < len(values) else ""
        content = content_hash(values)
        if rid in plan.seen and not self._duplicate_row(plan, row, rid, content):
            return
        b = plan.base.get(rid) if rid else None
        if b is not None and b.raw_hash == content:
            plan.add(RowState(row, rid, None))
            return
        vals = self._field_values(plan, values)
        if vals is None:
            return
        record, problems = parser.parse(row.number, rid, vals)
        if plan.table is not None and plan.table.uncached:
            problems = self._with_uncached(plan, row, problems)
        known = b is not None or rid in plan.index
        if b is None and rid in reservations and rid in plan.index:
            plan.reconciled.add(rid)  # created from this row by a sync that did not finish: its base is the record
        if not problems and not known:
            problems = [self._waiting(plan, row, n) for n in plan.lost if plan.entity.by_name[n].required]
        if rid and not known and not (not plan.base or rid in reservations):
            problems = [self._unknown_id(plan.entity, plan.spec, row, rid), *problems]
            plan.hold_deletes = True
        elif rid and problems and b is None and (not known or rid in reservations):
            plan.carried[rid] = content  # a new row's own id waits, reserved, until its cells are fixed
        if problems:
            if rid:
                plan.seen[rid] = row.number
            else:
                plan.held_fresh.append((row, record, content))
            plan.hold(row, problems, rid)
        elif rid:
            plan.add(RowState(row, rid, record))
        else:
            plan.fresh.append((row, record, content))

    def _with_uncached(self, plan: TablePlan, row: SheetRow, problems: list[CellProblem]) -> list[CellProblem]:
        """A formula the file holds without its computed value reads as empty: it is reported, never stored."""
        assert plan.table is not None
        headers = {c.field: c.header for c in plan.spec.columns}
        found = [
            CellProblem(
                plan.entity.name,
                plan.spec.title,
                row.number,
                headers.get(f.name, f.title),
                "is a formula without a computed value (the program that saved the file did not calculate it)",
                "the value itself, or the workbook saved again from Excel or LibreOffice, which calculate it",
                None,
                "formula-without-value",
            )
            for f, col in zip(plan.entity.fields, plan.field_cols, strict=True)
            if col is not None and (row.number, col) in plan.table.uncached
        ]
        columns = {p.column for p in found}
        return [*found, *(p for p in problems if p.column not in columns)]

    def _assign_ids(self, tx: StoreTx, plan: TablePlan, sheet_ids: set[str], reservations: dict[str, str]) -> None:
        """Ids for rows with a blank id: the one reserved for the row earlier, else a new one."""
        entity = plan.entity
        pk = entity.primary_key
        open_ids = {i: h for i, h in reservations.items() if i not in plan.seen}
        created = [i for i in open_ids if i in plan.index and not plan.index[i][1]]
        stored = {i: r.data for i, r in tx.get_many(entity.name, created).items()} if created else {}
        blank = [(record, content) for _, record, content in (*plan.fresh, *plan.held_fresh)]
        matched = match_reserved(blank, open_ids, stored, pk)
        minter: IdMinter | None = None
        for n, (row, record, content) in enumerate(plan.fresh):
            rid = matched.get(n, "")
            if not rid:
                if minter is None:
                    minter = IdMinter(entity.id_prefix, [*plan.index, *sheet_ids, *reservations])
                rid = minter.next()
            elif rid in stored:
                plan.reconciled.add(rid)
            record[pk] = rid
            plan.reserved[rid] = content
            plan.add(RowState(row, rid, record, new=True))
        for n, (_, _, content) in enumerate(plan.held_fresh, start=len(plan.fresh)):
            rid = matched.get(n, "")
            if rid in stored:
                plan.carried[rid] = content
                plan.held_ids.add(rid)
        found = set(matched.values())
        plan.orphans = [rid for rid in created if rid not in found and rid not in plan.base]

    def _plan_deletes(self, plan: TablePlan, report: SyncReport) -> None:
        """Records whose row is gone from the sheet are deleted, unless an edited id may be that row."""
        missing = False
        for rid in plan.base:
            if rid in plan.seen or rid in plan.held_ids:
                continue
            state = plan.index.get(rid)
            if state is None or state[1]:
                plan.drop_base.append(rid)
            elif plan.hold_deletes:
                missing = True
            else:
                plan.to_delete.append(rid)
        if not plan.hold_deletes:
            plan.to_delete.extend(plan.orphans)
        if missing or (plan.hold_deletes and plan.orphans):
            report.entity(plan.entity.name).notes.append(
                "Rows missing from the sheet were kept, not deleted, because a row has an id that does not exist; "
                "fix that id and sync again."
            )

    def _duplicate_row(self, plan: TablePlan, row: SheetRow, rid: str, content: str) -> bool:
        """A second row with an id already seen: one of them is a copy, and the copy is the error.

        Returns True when this later row is the original (the earlier one is then held as the
        copy and this one is read as the record's row). The original is, in this order: the
        row the backend itself identifies as the record's (Airtable's record id); not a row
        added below the end of the tab since the last sync; the row still exactly as last
        synced. Otherwise the later row is the copy. Nothing of the copy is ever merged.
        """
        entity, spec = plan.entity, plan.spec
        at = plan.row_at.get(rid)
        earlier = plan.rows[at] if at is not None else None
        if earlier is None or not self._is_original(plan, earlier, row, content):
            plan.hold(row, [self._duplicate(entity, spec, row, rid, plan.seen[rid])])
            return False
        plan.demote(rid)
        plan.hold(earlier.row, [self._duplicate(entity, spec, earlier.row, rid, row.number)])
        return True

    def _is_original(self, plan: TablePlan, earlier: RowState, later: SheetRow, content: str) -> bool:
        """Whether ``later`` rather than ``earlier`` is the row a record was synced from."""
        b = plan.base.get(earlier.record_id)
        if b is None:
            return False
        stable = b.remote_id is not None and self.backend.row_ids_are_stable
        if stable and b.remote_id in (str(later.ref), str(earlier.row.ref)):
            return str(later.ref) == b.remote_id
        if plan.last_row is not None and earlier.row.number <= plan.last_row < later.number:
            return False
        return earlier.parsed is not None and b.raw_hash == content

    def _revisit(self, tx: StoreTx, view: PracticeView, plan: TablePlan, report: SyncReport) -> TablePlan:
        """A skipped tab whose records plugins changed in this sync is planned after all."""
        if plan.skipped is None or not any(name == plan.entity.name for name, _ in tx.written):
            return plan
        if plan.entity.primary_key in plan.binding.lost:
            return plan
        return self._inbound(tx, view, plan.entity, plan.spec, plan.table, report, plan.binding, may_skip=False)

    def _remember_tab(self, tx: StoreTx, plan: TablePlan, tw: TableWrite, report: SyncReport) -> None:
        """Keep the tab's fingerprint when this sync left it as read and found nothing wrong in it.

        A tab with problems is always looked at again: a fix elsewhere (the patient an
        appointment points to) can clear them without the tab itself changing.
        """
        er = report.entity(plan.entity.name)
        keep = plan.table is not None and tw.is_empty() and not plan.layout_missing and not er.errors
        digest = plan.table.digest if keep and plan.table else None
        last_row = plan.read_extent + len(tw.appends) - len(tw.deletes)
        tx.sync.put_table_state(
            self.key,
            plan.entity.name,
            digest,
            {"unchanged": er.unchanged + er.updated + er.created, "last_row": last_row},
            marker=tx.marker(plan.entity.name),
        )

    def _untouched(self, tx: StoreTx, plan: TablePlan) -> bool:
        """True when the tab is cell for cell as last synced and the store has not changed since.

        Its rows are then not even looked at.
        """
        table = plan.table
        if table is None or table.digest is None or plan.layout_missing:
            return False
        state = tx.sync.table_state(self.key, plan.entity.name)
        if state is None or state[0] != table.digest or state[1] != tx.marker(plan.entity.name):
            return False
        plan.skipped = state[2]
        return True

    @staticmethod
    def _ids_in(rows: list[SheetRow], pk_col: int | None) -> set[str]:
        if pk_col is None:
            return set()
        return {clean_id(r.values[pk_col]) for r in rows if pk_col < len(r.values)} - {""}

    @staticmethod
    def _field_values(plan: TablePlan, values: list[Any]) -> list[Any] | None:
        """The row's cells in entity field order, or None for a blank row."""
        width = len(values)
        vals = [values[c] if c is not None and c < width else None for c in plan.field_cols]
        if not any(vals) or all(is_blank(v) for v in vals):
            return None
        return vals

    def _merge_changed(
        self, tx: StoreTx, view: PracticeView, plan: TablePlan, index: dict[str, tuple[int, bool]]
    ) -> None:
        """Merge every changed row into its record; the store is written in one batch per kind of change."""
        entity = plan.entity
        changed = [rs for rs in plan.rows if rs.parsed is not None]
        if not changed:
            return
        stored = tx.get_many(entity.name, [rs.record_id for rs in changed if rs.record_id in index])
        based = [rs.record_id for rs in changed if rs.record_id in plan.base]
        base_data = tx.sync.base_data(self.key, entity.name, based)
        creates: list[tuple[str, dict[str, Any]]] = []
        updates: list[tuple[StoredRecord, dict[str, Any], str | None]] = []
        for rs in changed:
            rid = rs.record_id
            cur = stored.get(rid)
            base = base_data.get(rid)
            if base is None and cur is not None and rid in plan.reconciled and not cur.deleted:
                base = cur.data  # found again after an unfinished sync: the sheet's edits since then win
            sheet = _keep_lost(rs.parsed or {}, plan.lost, base if base is not None else cur.data if cur else None)
            if cur is None or not cur.deleted:
                plan.read_base.append(self._as_read(plan, rs, sheet, cur.version if cur else 0))
            if cur is None:
                creates.append((rid, self._computed(view, entity, sheet)))
                plan.created.add(rid)
                continue
            change = self._merge_one(view, plan, cur, base, sheet)
            if change is not None:
                updates.append((cur, *change))
        if updates:
            versions = tx.save_many(entity.name, updates, source=self.source, actor=self.actor)
            for cur, merged, _ in updates:
                plan.written[cur.id] = (versions[cur.id], merged)
                plan.updated.add(cur.id)
                self._access(view, entity, "update", cur.id, cur.data, merged)
        if creates:
            tx.insert_new(entity.name, creates, source=self.source, actor=self.actor)
            plan.written.update((rid, (1, record)) for rid, record in creates)
            for rid, record in creates:
                self._access(view, entity, "create", rid, None, record)

    def _merge_one(
        self,
        view: PracticeView,
        plan: TablePlan,
        cur: StoredRecord,
        base: dict[str, Any] | None,
        sheet: dict[str, Any],
    ) -> tuple[dict[str, Any], str | None] | None:
        """The record's next version from one changed row, with its history note; None: no change."""
        entity, rid = plan.entity, cur.id
        note = None
        if cur.deleted:
            if base is not None and sheet == base:
                return None
            merged = sheet
            note = "restored: edited in the sheet after it was deleted elsewhere"
            self._conflict(plan, rid, "(record)", "sheet", "restored", "deleted")
        else:
            result = merge_record(base, cur.data, sheet, entity.plugin_owned_fields)
            merged = result.record
            for c in result.conflicts:
                f = entity.by_name.get(c.field)
                phi = bool(f and f.phi)
                self._conflict(plan, rid, c.field, c.winner, _safe(c.kept, phi), _safe(c.lost, phi))
            if result.conflicts:
                note = "conflict: " + "; ".join(
                    f"{c.field} kept {c.winner} value, lost {c.lost!r}" for c in result.conflicts
                )
        if cur.deleted or merged != cur.data:
            merged = self._computed(view, entity, merged)
        if cur.deleted or merged != cur.data:
            return merged, note
        return None

    def _as_read(self, plan: TablePlan, rs: RowState, sheet: dict[str, Any], version: int) -> dict[str, Any]:
        """The base a row moves to with the store's commit: what the sheet showed when read.

        The store took it in, so store and sheet agreed on it whatever becomes of the write
        that follows: an edit staff make next (even back to the old value) is an edit. What
        clinicops writes into the row moves the base again once the write is confirmed;
        ``version`` is the record's before this sync, so that write is still due if the
        first one never happened.
        """
        b = plan.base.get(rs.record_id)
        stable = getattr(self.backend, "row_ids_are_stable", False)
        return {
            "id": rs.record_id,
            "data": {**sheet, plan.entity.primary_key: rs.record_id},
            "raw_hash": content_hash(rs.row.values),
            "store_version": version,
            "remote_id": b.remote_id if b is not None else (str(rs.row.ref) if stable else None),
        }

    def _computed(self, view: PracticeView, entity: Entity, record: dict[str, Any]) -> dict[str, Any]:
        """The record with the fields plugins compute; each plugin sets only the fields it declared."""
        out = dict(record)
        owners = entity.plugin_fields
        answers = self.guests.call("compute_fields", practice=view, entity=entity.name, record=dict(record))
        for plugin, extra in answers.items():
            for key, value in (extra or {}).items():
                if owners.get(key) != plugin:
                    reason = f"it returned a value for {entity.name}.{key}, a field it does not own"
                    self.guests.refused(plugin, "compute_fields", reason)
                elif value is None:
                    out.pop(key, None)
                else:
                    out[key] = value
        return out

    def _backfill(self, tx: StoreTx, view: PracticeView, entity: Entity) -> None:
        """A plugin field new to this store is computed for every record the entity already has."""
        fresh = computed_fields.new(tx.conn, entity)
        if fresh:
            for rec in tx.all(entity.name):
                if (entity.name, rec.id) in tx.written:
                    continue  # created or changed in this sync: computed already
                data = self._computed(view, entity, rec.data)
                if data != rec.data:
                    tx.save(entity.name, rec.id, data, source=self.source, actor=self.actor, current=rec)
        computed_fields.remember(tx.conn, entity, fresh)

    def _plugin_checks(self, view: PracticeView) -> Callable[[str, dict[str, Any]], list[FieldProblem]] | None:
        hook = self.practice.pm.hook.validate_record
        if not hook.get_hookimpls():
            return None

        def check(entity: str, record: dict[str, Any]) -> list[FieldProblem]:
            answers = self.guests.call("validate_record", practice=view, entity=entity, record=record)
            return [p for found in answers.values() for p in (found or [])]

        return check

    def _resolve_name(self, target: str, text: str) -> Resolution:
        """A reference typed as a name: the one record of ``target`` it fits, or the candidates."""
        index = self._names.get(target)
        if index is None:
            entity = self.practice.registry[target]
            index = self._names[target] = NameIndex(entity, (r.data for r in self._tx.all(target)))
        return index.resolve(text)

    def _ref_exists(self, target: str, value: str) -> bool:
        """References point at records the store holds, or (self-references) rows of the same sheet."""
        if target not in self.practice.registry:
            return True
        if value in self._sheet_ids.get(target, ()) and target == self._current:
            return True
        known = self._known_ids.get(target)
        if known is None:
            known = {k for k, (_, deleted) in self._tx.index(target).items() if not deleted}
            self._known_ids[target] = known
        return value in known

    # deletes and the guard ---------------------------------------------------

    def _guard(self, plans: list[TablePlan]) -> None:
        if self.allow_delete:
            return
        limit_share = self.practice.config.max_delete
        for plan in plans:
            total = len(plan.base) + len(plan.orphans)
            doomed = len(plan.to_delete)
            if doomed > math.floor(limit_share * total + 1e-9):
                raise DeleteGuardTripped(
                    f"Stopped: this sync would delete {doomed} of {total} rows in '{plan.spec.title}' "
                    f"(more than the {limit_share:.0%} limit). If the sheet was cleared, filtered or "
                    "damaged by mistake, put the rows back (the last backup is in the data folder); if the "
                    "deletions are intended, run 'clinicops sync --allow-delete'. Nothing was changed."
                )

    def _apply_deletes(self, tx: StoreTx, view: PracticeView, plan: TablePlan) -> None:
        if not plan.to_delete:
            return
        current = tx.get_many(plan.entity.name, plan.to_delete)
        for rid in plan.to_delete:
            cur = current.get(rid)
            tx.save(
                plan.entity.name,
                rid,
                None,
                source=self.source,
                actor=self.actor,
                current=cur,
                note="removed from the sheet; restore with 'clinicops restore'",
            )
            plan.deleted.add(rid)
            plan.drop_base.append(rid)
            self._access(view, plan.entity, "delete", rid, cur.data if cur else None, None)

    # alerts ------------------------------------------------------------------

    def _alerts(self, tx: StoreTx, view: PracticeView, report: SyncReport) -> None:
        if alert_records.ENTITY not in self.practice.registry:
            return
        reported = self.guests.call("collect_alerts", practice=view)
        reported[CORE] = self.guests.alerts()
        current = {r.id: r.data for r in tx.all(alert_records.ENTITY)}
        changes, removed = alert_records.reconcile(
            current,
            reported,
            self.practice.enabled_plugins() | {CORE},
            now=utc_text(self.practice.now()),
            failed=self.guests.failed_plugins("collect_alerts"),
        )
        for alert_id, data in changes.items():
            old = current.get(alert_id)
            if data["status"] == "open" and (old is None or old.get("status") == "resolved"):
                report.alerts_opened += 1
            if data["status"] == "resolved":
                report.alerts_resolved += 1
            tx.save(alert_records.ENTITY, alert_id, data, source=f"plugin:{data['plugin']}", actor=data["plugin"])
        for alert_id in removed:
            tx.save(
                alert_records.ENTITY, alert_id, None, source="core", actor="core", note="its plugin was switched off"
            )
        report.alerts_open = sum(
            1 for r in tx.all(alert_records.ENTITY) if r.data.get("status") in ("open", "acknowledged")
        )

    # reporting ---------------------------------------------------------------

    def _count(self, plan: TablePlan, report: SyncReport) -> None:
        er = report.entity(plan.entity.name)
        er.created = len(plan.created)
        er.updated = len(plan.updated - plan.created)
        er.deleted = len(plan.deleted)
        touched = plan.created | plan.updated | plan.deleted
        er.conflicts = list(plan.conflicts)
        er.unchanged = sum(1 for rs in plan.rows if rs.record_id not in touched)
        if plan.skipped is not None:
            er.unchanged = int(plan.skipped.get("unchanged", 0))
        er.ids = {
            "created": sorted(plan.created),
            "updated": sorted(plan.updated - plan.created),
            "deleted": sorted(plan.deleted),
        }
        er.held = [{"id": _held_id(plan, row), "row": row.number} for row, _ in plan.held]
        for rid in plan.created:
            report.changes.add("created", plan.entity.name, rid)
        for rid in plan.updated - plan.created:
            report.changes.add("updated", plan.entity.name, rid)
        for rid in plan.deleted:
            report.changes.add("deleted", plan.entity.name, rid)

    def _conflict(self, plan: TablePlan, rid: str, field_name: str, winner: str, kept: Any, lost: Any) -> None:
        f = plan.entity.by_name.get(field_name)
        plan.conflicts.append(
            {"id": rid, "field": f.title if f else field_name, "winner": winner, "kept": kept, "lost": lost}
        )

    def _access(
        self,
        view: PracticeView,
        entity: Entity,
        action: str,
        rid: str,
        old: dict[str, Any] | None,
        new: dict[str, Any] | None,
    ) -> None:
        if not entity.has_phi:
            return
        if old is None or new is None:
            touched = tuple(sorted(old or new or {}))
        else:
            touched = tuple(sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k)))
        view.accessed(AccessEvent(self.actor, "system", self.source, action, entity.name, rid, touched))

    def _duplicate(self, entity: Entity, spec: TableSpec, row: SheetRow, rid: str, first: int) -> CellProblem:
        return CellProblem(
            entity.name,
            spec.title,
            row.number,
            _pk_header(entity, spec),
            f"this id is already used on row {first}",
            "a blank id for a new record (clinicops assigns one), or this record's own id",
            display_value(rid, False),
            "duplicate-id",
        )

    def _waiting(self, plan: TablePlan, row: SheetRow, name: str) -> CellProblem:
        f = plan.entity.by_name[name]
        return CellProblem(
            plan.entity.name,
            plan.spec.title,
            row.number,
            f.title,
            f"its column '{plan.lost[name]}' is gone, so this new row waits until it is back",
            f"a column named '{plan.lost[name]}' (or another name for {f.title})",
            None,
            "missing-column",
        )

    def _unknown_id(self, entity: Entity, spec: TableSpec, row: SheetRow, rid: str) -> CellProblem:
        return CellProblem(
            entity.name,
            spec.title,
            row.number,
            _pk_header(entity, spec),
            "no record has this id (was it edited by hand?)",
            "the record's original id, or a blank id for a new record",
            display_value(rid, False),
            "unknown-id",
        )


def _computes(practice: Practice) -> bool:
    """True when a tab of the practice has split or joined columns."""
    return any(tab.split or tab.joined for tab in practice.column_map.tabs.values())


def _held_id(plan: TablePlan, row: SheetRow) -> str | None:
    """The id typed on a held-back row, if it has one."""
    col = plan.field_cols[next(i for i, f in enumerate(plan.entity.fields) if f.name == plan.entity.primary_key)]
    return (clean_id(row.values[col]) if col is not None and col < len(row.values) else "") or None


def _pk_header(entity: Entity, spec: TableSpec) -> str:
    pk = entity.primary_key
    return next((c.header for c in spec.columns if c.field == pk), entity.by_name[pk].title)


def _keep_lost(sheet: dict[str, Any], lost: dict[str, str], known: dict[str, Any] | None) -> dict[str, Any]:
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
