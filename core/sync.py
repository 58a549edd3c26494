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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from filelock import FileLock, Timeout

from clinicops.connectors.base import (
    Backend,
    ColumnSpec,
    SheetChart,
    SheetTable,
    TableSpec,
    TableWrite,
    normalize_header,
)
from clinicops.core import alerts as alert_records
from clinicops.core import computed_fields, lost_store, private_files, row_order
from clinicops.core.access import AccessEvent
from clinicops.core.clock import utc_text
from clinicops.core.column_map import Binding, bind, lost_message
from clinicops.core.computed_columns import ComputedColumns
from clinicops.core.errors import ClinicopsError
from clinicops.core.exports import export_events, phi_written
from clinicops.core.guests import CORE, Guests
from clinicops.core.inbound import InboundPass, skip_untouched
from clinicops.core.practice import Practice, PracticeView
from clinicops.core.problems import CellProblem, FieldProblem
from clinicops.core.records import StoredRecord
from clinicops.core.references import ReferenceCheck
from clinicops.core.row_merge import RowMerger
from clinicops.core.row_parser import RowParser
from clinicops.core.schema_registry import Entity
from clinicops.core.store import StoreTx
from clinicops.core.sync_report import SyncReport
from clinicops.core.table_plan import Inbound, TablePlan, TableRead
from clinicops.core.write_plan import WriteDecision, WritePlanner


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
    charts = sheet_charts(entity, binding) if entity.computed_by_plugins else ()
    return TableSpec(entity=entity.name, title=binding.tab, primary_key=pk, columns=columns, charts=charts)


def sheet_charts(entity: Entity, binding: Binding) -> tuple[SheetChart, ...]:
    """The native charts an entity's schema asks for (``x-charts``), on a tab whose every field a plugin computes.

    Each is ``{"title", "label", "value", "where": {field: value}, "format"}``; a chart whose
    fields have no column in the practice's layout is left out.
    """
    out = []
    for chart in entity.schema.get("x-charts", []):
        [(where, wanted)] = chart["where"].items()
        headers = [binding.header_for(entity.by_name[name]) for name in (chart["label"], chart["value"], where)]
        if None not in headers:
            label, value, test = (str(h) for h in headers)
            out.append(SheetChart(chart["title"], label, value, test, str(wanted), chart.get("format", "General")))
    return tuple(out)


@dataclass(frozen=True)
class Settled:
    """What is left of one tab's plan once the store committed: enough to write and move the bases."""

    entity: str
    write: TableWrite
    skipped: bool
    carried: Mapping[str, str]
    base_updates: tuple[dict[str, Any], ...]
    drop_base: tuple[str, ...]
    appended_ids: tuple[str, ...]
    digest: str | None  # the tab's fingerprint as read (None: none, or it must be read row by row)
    read_extent: int
    due: bool  # the backend has something to do: cells, rows or a missing tab or column
    marker: int  # the store's marker for the entity as this sync's commit left it
    anchors: tuple[str, ...] = ()  # the ids of the tab's first rows as this sync leaves them (core/row_order.py)
    after_write: str | None = None  # its fingerprint once this sync's write is done, when the backend tells it

    def digest_left(self) -> str | None:
        """The tab's fingerprint as this sync leaves it: as read when it was not written, else as the
        backend says the write left it; None when the tab was read without one or nobody knows it."""
        if self.digest is None:
            return None
        return self.after_write or (None if self.due else self.digest)


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
        self._before_write = fail_after_store_commit
        self.guests = Guests(practice.pm)
        # whether any plugin computes fields: asked once, not once per record of a large import
        self._computing = bool(practice.pm.hook.compute_fields.get_hookimpls())

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
        # A sync holds the whole sheet in memory for its duration, and what it makes (the cells it
        # reads, the rows it parses, the records it stores) is freed by reference counting, not
        # by the cycle collector. Each collection would walk those millions of live objects once
        # more, a twentieth of a large import, to find nothing: the collector rests while a
        # sync runs and is left as it was found.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._run()
        finally:
            if collecting:
                gc.enable()
            lock.release()

    def _run(self) -> SyncReport:
        """Read, decide in one store transaction, write the backend, then move the bases."""
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
        reads = [
            self._read_tab(e, spec, tables.get(e.name), bindings[e.name], report)
            for e, spec in zip(entities, specs, strict=True)
        ]
        found = {name for name, table in tables.items() if table is not None}
        del tables
        report.timings["read"] = time.perf_counter() - clock
        stored = self._in_store(reads, report, clock)
        report.timings["store"] = time.perf_counter() - clock
        del reads
        if stored is None:
            report.requests = self.backend.requests
            report.backend_stats = self.backend.stats()
            return report
        settled = self._write_back(stored[0], report)
        report.timings["write"] = time.perf_counter() - clock
        self._move_bases(settled, stored[1], started, report)
        lost_store.mark(self.practice.store, self.backend, self.key)
        for entity in entities:
            if entity.name in found:
                column_map.record(entity, bindings[entity.name])
        column_map.save()
        report.timings["total"] = time.perf_counter() - clock
        if not report.changes.is_empty():
            self._after_sync(report)
        report.plugin_failures = [f.alert().message for f in self.guests.failures]
        return report

    def _in_store(
        self, reads: list[TableRead], report: SyncReport, clock: float
    ) -> tuple[list[Settled], Exports] | None:
        """Everything the store learns in this sync, in one transaction; None for a dry run (rolled back)."""
        with self.practice.store.engine.connect() as conn:
            trans = conn.begin()
            tx = StoreTx(conn, self.practice.clock)
            try:
                decided = self._decide(tx, reads, report, clock)
                if self.dry_run:
                    trans.rollback()
                    return None
                for plan, decision in decided:
                    if not plan.skipped:
                        reserved = {**plan.inbound.reserved, **plan.inbound.carried}
                        tx.sync.set_pending(self.key, plan.entity.name, reserved)
                        tx.sync.put_base(
                            self.key,
                            plan.entity.name,
                            list(plan.inbound.read_base.values()),
                            existing=plan.inbound.base,
                            settled=decision.settled,
                        )
                # The store as the write will show it: a change another process makes after this
                # commit moves the marker past it, so the next sync does not skip the tab.
                markers = {plan.entity.name: tx.marker(plan.entity.name) for plan, _ in decided}
                trans.commit()
                tx.scope.committed()
                self.practice.store.after_bulk(conn, len(tx.written))
            except BaseException:
                if trans.is_active:
                    trans.rollback()
                raise
        exports = self._exports(decided)
        settled = [_settled(plan, decision, markers[plan.entity.name]) for plan, decision in decided]
        for read in reads:
            if read.table is not None:
                read.table.release()  # the sheet as read is not needed any more: give the writer the memory
        return settled, exports

    def _decide(
        self, tx: StoreTx, reads: list[TableRead], report: SyncReport, clock: float
    ) -> list[tuple[TablePlan, WriteDecision]]:
        """Inbound for every tab, deletes, plugins, then what to write: each tab's plan and write."""
        view = PracticeView(self.practice, tx, source=self.source, actor=self.actor)
        self._check_lost_store(view, reads)
        accesses: list[AccessEvent] = []  # the merge's accesses, reported to the access log in one batch
        merger = RowMerger(
            self.key,
            tx,
            tx.sync,
            lambda entity, record: self._computed(view, entity, record),
            accesses.append,
            source=self.source,
            actor=self.actor,
            stable_refs=self.backend.row_ids_are_stable,
        )
        refs = ReferenceCheck(self.practice.registry, tx)
        passes = InboundPass(
            self.key, tx, tx.sync, refs, merger, self._parser(view, refs), stable_refs=self.backend.row_ids_are_stable
        )
        plans = [self._inbound(passes, tx, read, report) for read in reads]
        report.timings["inbound"] = time.perf_counter() - clock
        self._guard(plans)
        plans = [self._apply_deletes(tx, merger, plan) for plan in plans]
        for plan in plans:
            self._backfill(tx, view, plan.entity)
        _report_accesses(view, accesses)
        self.guests.call("refresh_tables", practice=view)
        self._alerts(tx, view, report)
        plans = [self._revisit(passes, tx, plan, report) for plan in plans]
        _report_accesses(view, accesses)
        planner = WritePlanner(self.key, self.ctx, self.backend.read_back, stable_refs=self.backend.row_ids_are_stable)
        decided = [(plan, planner.plan(tx, tx.sync, plan)) for plan in plans]
        report.timings["plan"] = time.perf_counter() - clock
        for plan, decision in decided:
            self._count(plan, decision, report)
        for kind, by_entity in tx.changed().items():
            for entity, ids in by_entity.items():
                getattr(report.changes, f"store_{kind}")[entity] = ids
        return decided

    def _check_lost_store(self, view: PracticeView, reads: list[TableRead]) -> None:
        """Stop before anything changes when the store is new under a sheet clinicops already filled."""
        entities = [r.entity for r in reads]
        tables = {r.entity.name: r.table for r in reads}
        id_headers = {r.entity.name: r.binding.header_for(r.entity.by_name[r.entity.primary_key]) for r in reads}
        clinicops_tabs = self.practice.computed_entities
        lost_store.check(
            view,
            entities,
            tables,
            id_headers,
            clinicops_tabs=clinicops_tabs,
            adopted_by=self.adopted_by,
            backend_mark=self.backend.store_mark,
            backend_key=self.key,
        )

    def _write_back(self, settled: list[Settled], report: SyncReport) -> list[Settled]:
        """Write what the store decided; a backend that names rows itself tells each new row's name."""
        pending = [s.write for s in settled if s.due]
        if not pending:
            return settled
        if self._before_write is not None:
            self._before_write()
        result = self.backend.write(pending)
        report.wrote = True
        settled = [_after_write(s, result.digests) for s in settled]
        if not self.backend.row_ids_are_stable:
            return settled
        out = []
        for s in settled:
            by_id = dict(zip(s.appended_ids, result.appended_refs.get(s.entity, []), strict=False))
            updates = tuple({**u, "remote_id": str(by_id[u["id"]])} if u["id"] in by_id else u for u in s.base_updates)
            out.append(replace(s, base_updates=updates))
        return out

    def _move_bases(self, settled: list[Settled], exports: Exports, started: str, report: SyncReport) -> None:
        """The backend confirmed: each written row's base moves, and the run is recorded."""
        with self.practice.store.transaction() as tx:
            for s in settled:
                tx.sync.put_base(self.key, s.entity, list(s.base_updates))
                tx.sync.drop_base(self.key, s.entity, s.drop_base)
                if not s.skipped:
                    tx.sync.set_pending(self.key, s.entity, dict(s.carried))
                    self._remember_tab(tx, s, report)
                elif s.digest is not None and s.after_write is not None:
                    tx.sync.move_digest(self.key, s.entity, s.digest, s.after_write)  # the same cells, new bytes
            if report.wrote:
                self._log_exports(tx, exports)
            report.requests = self.backend.requests
            report.backend_stats = self.backend.stats()
            tx.sync.record_run(self.key, started, "ok", report.as_dict())

    @staticmethod
    def _exports(decided: list[tuple[TablePlan, WriteDecision]]) -> Exports:
        """entity -> record id -> the PHI fields this sync's write sends to the backend."""
        out = {}
        for plan, decision in decided:
            if plan.entity.has_phi and not decision.write.is_empty():
                rows = plan.inbound.row_ids()
                out[plan.entity.name] = phi_written(decision.write, list(decision.appended_ids), rows)
        return out

    def _log_exports(self, tx: StoreTx, exports: Exports) -> None:
        """The backend confirmed the write: each record whose PHI it received is an ``export`` in the access log."""
        view = PracticeView(self.practice, tx, source=self.source, actor=self.actor)
        view.accessed_many(
            event
            for entity, written in exports.items()
            for event in export_events(entity, written, self.actor, self.source)
        )

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
    def _read_tab(
        entity: Entity, spec: TableSpec, table: SheetTable | None, binding: Binding, report: SyncReport
    ) -> TableRead:
        """Where each field is in the tab; each bound column that is gone is one error naming it."""
        header_index: dict[str, int] = {}
        for i, h in enumerate(table.header if table else []):
            header_index.setdefault(normalize_header(h), i)
        headers = {c.field: normalize_header(c.header) for c in spec.columns}
        field_cols = tuple(header_index.get(headers[f.name]) if f.name in headers else None for f in entity.fields)
        errors_col = header_index.get(normalize_header(spec.errors_header))
        for name, old in binding.lost.items():
            problem, expected = lost_message(entity, binding, name)
            report.entity(entity.name).errors.append(
                CellProblem(entity.name, binding.tab, 1, old, problem, expected, None, "missing-column")
            )
        lost = MappingProxyType(dict(binding.lost))
        return TableRead(entity, spec, table, field_cols, errors_col, binding, lost)

    # inbound: sheet → store --------------------------------------------------

    def _inbound(
        self, passes: InboundPass, tx: StoreTx, read: TableRead, report: SyncReport, may_skip: bool = True
    ) -> TablePlan:
        """One tab's inbound answer, its problems and notes in the report."""
        if read.entity.primary_key in read.lost:
            inbound = Inbound.skip({"unchanged": 0})  # without ids no row can be matched: the tab waits, whole
        else:
            untouched = skip_untouched(read, tx.sync, tx, self.key) if may_skip else None
            inbound = untouched or passes.run(read)
        er = report.entity(read.entity.name)
        er.errors.extend(inbound.problems)
        er.notes.extend(inbound.notes)
        return TablePlan(read, inbound)

    def _revisit(self, passes: InboundPass, tx: StoreTx, plan: TablePlan, report: SyncReport) -> TablePlan:
        """A skipped tab whose records plugins changed in this sync is planned after all."""
        if not plan.skipped or not any(name == plan.entity.name for name, _ in tx.written):
            return plan
        if plan.entity.primary_key in plan.read.lost:
            return plan
        return self._inbound(passes, tx, plan.read, report, may_skip=False)

    def _parser(self, view: PracticeView, refs: ReferenceCheck) -> Callable[[TableRead], RowParser]:
        """How the rows of a tab are parsed: coercion, references, the schema and plugins' checks."""
        checks = self._plugin_checks(view)

        def parser(read: TableRead) -> RowParser:
            return RowParser(
                read.entity,
                read.spec.title,
                self.ctx,
                refs.exists,
                checks,
                unknown=frozenset(read.lost),
                headers={c.field: c.header for c in read.spec.columns},
                resolve_name=refs.resolve,
            )

        return parser

    def _computed(self, view: PracticeView, entity: Entity, record: dict[str, Any]) -> dict[str, Any]:
        """The record with the fields plugins compute; each plugin sets only the fields it declared.

        ``record`` itself when no plugin sets a field: a large import then keeps one dict per
        record, not a copy of each. Plugins are handed a copy, so none can change it.
        """
        out = record
        if not self._computing:
            return out
        owners = entity.plugin_fields
        answers = self.guests.call("compute_fields", practice=view, entity=entity.name, record=dict(record))
        for plugin, extra in answers.items():
            for key, value in (extra or {}).items():
                if owners.get(key) != plugin:
                    reason = f"it returned a value for {entity.name}.{key}, a field it does not own"
                    self.guests.refused(plugin, "compute_fields", reason)
                    continue
                if out is record:
                    out = dict(record)
                if value is None:
                    out.pop(key, None)
                else:
                    out[key] = value
        return out

    def _backfill(self, tx: StoreTx, view: PracticeView, entity: Entity) -> None:
        """A plugin field new to this store is computed for every record the entity already has."""
        fresh = computed_fields.new(tx.conn, entity)
        if fresh:
            changes = []
            for rec in tx.all(entity.name):
                if (entity.name, rec.id) in tx.written:
                    continue  # created or changed in this sync: computed already
                data = self._computed(view, entity, rec.data)
                if data != rec.data:
                    changes.append((rec, data, None))
            tx.save_many(entity.name, changes, source=self.source, actor=self.actor)
        computed_fields.remember(tx.conn, entity, fresh)

    def _plugin_checks(self, view: PracticeView) -> Callable[[str, dict[str, Any]], list[FieldProblem]] | None:
        hook = self.practice.pm.hook.validate_record
        if not hook.get_hookimpls():
            return None

        def check(entity: str, record: dict[str, Any]) -> list[FieldProblem]:
            answers = self.guests.call("validate_record", practice=view, entity=entity, record=record)
            return [p for found in answers.values() for p in (found or [])]

        return check

    # deletes and the guard ---------------------------------------------------

    def _guard(self, plans: list[TablePlan]) -> None:
        if self.allow_delete:
            return
        limit_share = self.practice.config.max_delete
        for plan in plans:
            inbound = plan.inbound
            # every row synced before, and the records an unfinished sync created whose row is gone
            total = len(inbound.base) + sum(1 for rid in inbound.to_delete if rid not in inbound.base)
            doomed = len(inbound.to_delete)
            if doomed > math.floor(limit_share * total + 1e-9):
                raise DeleteGuardTripped(
                    f"Stopped: this sync would delete {doomed} of {total} rows in '{plan.read.spec.title}' "
                    f"(more than the {limit_share:.0%} limit). If the sheet was cleared, filtered or "
                    "damaged by mistake, put the rows back (the last backup is in the data folder); if the "
                    "deletions are intended, run 'clinicops sync --allow-delete'. Nothing was changed."
                )

    def _apply_deletes(self, tx: StoreTx, merger: RowMerger, plan: TablePlan) -> TablePlan:
        """Records whose row is gone become tombstones (restorable), in one batch."""
        ids = plan.inbound.to_delete
        if not ids:
            return plan
        entity = plan.entity
        current = tx.get_many(entity.name, ids)
        doomed = [(cur, None, REMOVED_NOTE) for rid in ids if (cur := current.get(rid)) is not None and not cur.deleted]
        tx.save_many(entity.name, doomed, source=self.source, actor=self.actor)
        for rid in ids:
            cur = current.get(rid)
            merger.access(entity, "delete", rid, cur.data if cur else None, None)
        return replace(plan, deleted=frozenset(ids))

    # alerts ------------------------------------------------------------------

    def _alerts(self, tx: StoreTx, view: PracticeView, report: SyncReport) -> None:
        if alert_records.ENTITY not in self.practice.registry:
            return
        reported = self.guests.call("collect_alerts", practice=view)
        reported[CORE] = self.guests.alerts()
        stored = {r.id: r for r in tx.all(alert_records.ENTITY, include_deleted=True)}
        current = {rid: r.data for rid, r in stored.items() if not r.deleted}
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
        _save_alerts(tx, stored, changes, removed)
        report.alerts_open = sum(
            1 for r in tx.all(alert_records.ENTITY) if r.data.get("status") in ("open", "acknowledged")
        )

    # after the commit ---------------------------------------------------------

    def _remember_tab(self, tx: StoreTx, s: Settled, report: SyncReport) -> None:
        """Keep the tab's fingerprint as this sync left it (as read, or as the backend says its write
        left it) when nothing was wrong in it, so that the next sync skips it if nobody touched it.

        A tab with problems is always looked at again: a fix elsewhere (the patient an
        appointment points to) can clear them without the tab itself changing.
        """
        er = report.entity(s.entity)
        digest = s.digest_left() if not er.errors else None
        last_row = s.read_extent + len(s.write.appends) - len(s.write.deletes)
        seen = {"unchanged": er.unchanged + er.updated + er.created, "last_row": last_row, "anchors": list(s.anchors)}
        tx.sync.put_table_state(self.key, s.entity, digest, seen, marker=s.marker)

    # reporting ---------------------------------------------------------------

    @staticmethod
    def _count(plan: TablePlan, decision: WriteDecision, report: SyncReport) -> None:
        inbound, name = plan.inbound, plan.entity.name
        created = inbound.created | decision.created
        updated = (inbound.updated | decision.updated) - created
        deleted = plan.deleted | decision.removed
        er = report.entity(name)
        er.created, er.updated, er.deleted = len(created), len(updated), len(deleted)
        touched = created | updated | deleted
        er.conflicts = list(inbound.conflicts)
        er.unchanged = inbound.untouched(touched)
        if inbound.skipped is not None:
            er.unchanged = int(inbound.skipped.get("unchanged", 0))
        er.ids = {"created": sorted(created), "updated": sorted(updated), "deleted": sorted(deleted)}
        er.held = [{"id": plan.read.id_in(row) or None, "row": row.number} for row, _ in inbound.held]
        sheet = (("sheet_appended", decision.created), ("sheet_updated", decision.updated))
        for kind, ids in (*sheet, ("sheet_removed", decision.removed)):
            for rid in sorted(ids):
                report.changes.add(kind, name, rid)


#: A new version of a stored record: (the record now, its new data or None for a tombstone, the note).
Change = tuple[StoredRecord, dict[str, Any] | None, str | None]

REMOVED_NOTE = "removed from the sheet; restore with 'clinicops restore'"

#: entity -> record id -> the PHI fields a write sends to the backend.
Exports = dict[str, dict[str, tuple[str, ...]]]


def _settled(plan: TablePlan, decision: WriteDecision, marker: int) -> Settled:
    read, inbound = plan.read, plan.inbound
    keep = read.table is not None and not read.layout_missing
    return Settled(
        entity=plan.entity.name,
        write=decision.write,
        skipped=plan.skipped,
        carried=inbound.carried,
        base_updates=decision.base_updates,
        drop_base=(*inbound.drop_base, *sorted(plan.deleted), *decision.drop_base),
        appended_ids=decision.appended_ids,
        digest=read.table.digest if keep and read.table else None,
        read_extent=inbound.read_extent,
        due=not decision.write.is_empty() or (read.layout_missing and not inbound.vanished),
        marker=marker,
        anchors=() if plan.skipped else tuple(row_order.anchors(plan, decision)),  # a skipped tab's stay
    )


def _after_write(s: Settled, digests: Mapping[str, str]) -> Settled:
    return replace(s, after_write=digests.get(s.entity)) if s.entity in digests else s


def _save_alerts(
    tx: StoreTx, stored: dict[str, StoredRecord], changes: dict[str, dict[str, Any]], removed: list[str]
) -> None:
    """Store the alerts' changes, one batch per plugin that reported them, and the removed ones as tombstones."""
    by_plugin: dict[str, tuple[list[tuple[str, dict[str, Any]]], list[Change]]] = {}
    for alert_id, data in changes.items():
        cur = stored.get(alert_id)
        if cur is not None and not cur.deleted and cur.data == data:
            continue
        creates, updates = by_plugin.setdefault(data["plugin"], ([], []))
        if cur is None:
            creates.append((alert_id, data))
        else:
            updates.append((cur, data, None))
    for plugin, (creates, updates) in by_plugin.items():
        tx.insert_new(alert_records.ENTITY, creates, source=f"plugin:{plugin}", actor=plugin)
        tx.save_many(alert_records.ENTITY, updates, source=f"plugin:{plugin}", actor=plugin)
    gone = [
        (cur, None, "its plugin was switched off") for rid in removed if (cur := stored.get(rid)) and not cur.deleted
    ]
    tx.save_many(alert_records.ENTITY, gone, source="core", actor="core")


def _report_accesses(view: PracticeView, accesses: list[AccessEvent]) -> None:
    """Tell the access log what the merge touched, in one call, before plugins look at the store."""
    view.accessed_many(accesses)
    accesses.clear()


def _computes(practice: Practice) -> bool:
    """True when a tab of the practice has split or joined columns."""
    return any(tab.split or tab.joined for tab in practice.column_map.tabs.values())
