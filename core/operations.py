"""The manager's jobs as Python functions; the CLI is a thin face over these."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from clinicops.connectors.base import Backend, TableWrite
from clinicops.core import lost_store, masking, metrics, private_files, report_core
from clinicops.core.access import AccessEvent
from clinicops.core.alerts import SEVERITIES
from clinicops.core.backend_registry import open_backend
from clinicops.core.config import CONFIG_NAME, pin_clock, replace_backend
from clinicops.core.entity_names import find_entity
from clinicops.core.errors import ClinicopsError, NotFound
from clinicops.core.exports import export_events, phi_written
from clinicops.core.practice import Practice, store_tx
from clinicops.core.progress import Progress, ReportingBackend
from clinicops.core.records import Version
from clinicops.core.sync import SyncEngine, choice_sources, table_spec
from clinicops.core.sync_report import SyncReport

CONFIG_TEMPLATE = """\
# clinicops practice configuration. Secrets never go here: name an env var or a file.

[practice]
name = "{name}"
timezone = "{timezone}"     # IANA name; appointment times in sheets are in this zone
phone_region = "US"         # default country for phone numbers typed without +code
date_order = "MDY"          # how 3/4/2026 is read: MDY (US), DMY or YMD

[backend]
{backend}

[store]
data_dir = "data"           # store, backups and the sync lock live here
# url = "postgresql+psycopg://clinicops@db/clinic"   # default: SQLite in data_dir

[sync]
max_delete = 0.2            # stop a sync that would delete more than this share of a table
backups = 10                # workbook backups to keep

[plugins]
enabled = ["credentials"]

[plugins.credentials]
warn_days = [90, 60, 30]
"""


WORKBOOK_BACKEND = '''type = "xlsx"               # xlsx (local workbook), gsheets or airtable
path = "clinic.xlsx"'''


def make_folder(path: Path) -> None:
    """The practice's folder, or one sentence saying why the system would not make it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ClinicopsError(f"Cannot create the folder {path}: {exc.strerror or exc}") from None


class PracticeExists(ClinicopsError, FileExistsError):
    pass


def backend_table(kind: str, settings: dict[str, str]) -> str:
    """The body of ``[backend]`` for a new practice: names of secrets' places, never secrets."""
    if kind == "xlsx":
        return WORKBOOK_BACKEND
    lines = [f'type = "{kind}"'] + [f"{key} = {json.dumps(value)}" for key, value in settings.items() if value]
    return "\n".join(lines)


def init_practice(
    path: Path,
    name: str = "My Practice",
    timezone: str = "America/New_York",
    backend: str = "xlsx",
    backend_settings: dict[str, str] | None = None,
) -> Practice:
    """A new practice folder with its config, and the backend laid out: a workbook with every
    tab and header, or the tabs of a Google Sheet, or the tables and fields of an Airtable base."""
    path = Path(path)
    if (path / CONFIG_NAME).exists():
        raise PracticeExists(f"{path / CONFIG_NAME} already exists; edit it or choose another folder")
    make_folder(path)
    body = backend_table(backend, backend_settings or {})
    config = CONFIG_TEMPLATE.format(name=name, timezone=timezone, backend=body)
    (path / CONFIG_NAME).write_text(config, encoding="utf-8")
    try:
        practice = Practice.open(path)
        lay_out(practice)
    except Exception:
        (path / CONFIG_NAME).unlink()  # a practice that could not be set up is not left half made
        raise
    return practice


def lay_out(practice: Practice) -> None:
    backend = open_backend(practice.config)
    entities = practice.entities()
    sources = choice_sources(entities, {})
    try:
        backend.ensure_layout([table_spec(e, None, sources) for e in entities])
        lost_store.mark(practice.store, backend, backend.key, after_sync=False)
    finally:
        backend.close()


def rebuild_workbook(practice: Practice) -> int:
    """Write the practice's workbook afresh from the store: every tab laid out, every record a row.

    For a workbook that was lost; refuses to replace one that exists. Returns the rows written.
    """
    from clinicops.core.coercion import cell_writer_for

    if practice.config.backend["type"] != "xlsx":
        raise NotFound("--rebuild writes the local workbook; this practice uses another backend")
    backend = open_backend(practice.config)
    if backend.path.exists():
        raise PracticeExists(f"{backend.path} exists; move it away first if it should be written afresh")
    writes = []
    ids: list[list[str]] = []
    with practice.view() as view:
        for entity in practice.entities():
            writers = {f.name: (f.title, cell_writer_for(f.schema, practice.coerce_context)) for f in entity.fields}
            records = view.records(entity.name)
            appends = [
                {writers[k][0]: writers[k][1](v) for k, v in record.items() if k in writers and v is not None}
                for record in records
            ]
            writes.append(TableWrite(spec=table_spec(entity), appends=appends))
            ids.append([str(record[entity.primary_key]) for record in records])
    backend.write(writes, force=True)
    lost_store.mark(practice.store, backend, backend.key, after_sync=False)
    actor = current_user()
    with practice.view(source="cli", actor=actor) as view:
        view.accessed_many(
            event
            for tw, written in zip(writes, ids, strict=True)
            for event in export_events(tw.spec.entity, phi_written(tw, written, {}), actor, "cli", role="user")
        )
    return sum(len(tw.appends) for tw in writes)


def sync(
    practice: Practice,
    *,
    dry_run: bool = False,
    allow_delete: bool = False,
    adopt_ids: bool = False,
    backend: Backend | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    """One sync of the practice with the backend its config names (or ``backend``, opened and closed by the caller);
    ``adopt_ids`` rebuilds an empty store from a sheet clinicops filled before (see core.lost_store);
    ``progress`` (optional) is told what is being done, for a spinner on a terminal."""
    adopted_by = current_user() if adopt_ids else None
    if backend is not None:
        return SyncEngine(
            practice,
            _reporting(backend, practice, progress),
            dry_run=dry_run,
            allow_delete=allow_delete,
            adopted_by=adopted_by,
        ).run()
    opened = open_backend(practice.config)
    try:
        return SyncEngine(
            practice,
            _reporting(opened, practice, progress),
            dry_run=dry_run,
            allow_delete=allow_delete,
            adopted_by=adopted_by,
        ).run()
    finally:
        opened.close()


def _reporting(backend: Backend, practice: Practice, progress: Progress | None) -> Backend:
    if progress is None:
        return backend
    kind = practice.config.backend["type"]
    where = str(practice.config.backend.get("path", "clinic.xlsx")) if kind == "xlsx" else f"the {kind} backend"
    return ReportingBackend(backend, progress, where)  # type: ignore[return-value]


def create_demo(path: Path, today: dt.date | None = None, backend: dict[str, Any] | None = None) -> Practice:
    """Copy the demo practice into ``path`` and fill its sheets with the demo clinic's rows.

    ``backend`` replaces the demo's ``[backend]`` table (its workbook) with another, e.g. a
    spreadsheet on an emulator started for the demo.
    """
    from clinicops.examples.demo_care import demo_files, full_dates
    from clinicops.examples.demo_clinic import generate_workbook

    path = Path(path)
    if (path / CONFIG_NAME).exists():
        raise PracticeExists(f"{path} already holds a practice; choose an empty folder for the demo")
    make_folder(path)
    source = resources.files("clinicops.examples").joinpath("demo", CONFIG_NAME)
    with resources.as_file(source) as src:
        shutil.copyfile(src, path / CONFIG_NAME)
    if backend is not None:
        replace_backend(path / CONFIG_NAME, backend)
    if today is not None:
        pin_clock(path / CONFIG_NAME, today)
    practice = Practice.open(path)
    rows = generate_workbook(practice.today())
    if backend is not None:  # typed fields take full dates only
        full_dates(rows)
    write_demo_rows(practice, rows)
    for name, text in demo_files(rows, practice.today()).items():
        target = practice.config.data_dir / name
        private_files.make_dir(practice.config.data_dir)
        private_files.make_dir(target.parent)
        private_files.create_file(target).write_text(text, encoding="utf-8")
    return practice


def write_demo_rows(practice: Practice, rows: dict[str, list[dict[str, Any]]]) -> None:
    """The demo clinic's rows, typed into its new sheets as staff would have."""
    backend = open_backend(practice.config)
    writes = []
    entities = practice.entities()
    sources = choice_sources(entities, {})
    for entity in entities:
        spec = table_spec(entity, None, sources)
        titles = {f.name: f.title for f in entity.fields}
        appends = [
            {titles[k]: v for k, v in row.items() if k in titles and v is not None} for row in rows.get(entity.name, [])
        ]
        writes.append(TableWrite(spec=spec, appends=appends))
    try:
        backend.write(writes, force=True)
        lost_store.mark(practice.store, backend, backend.key, after_sync=False)
    finally:
        backend.close()


def status(practice: Practice) -> dict[str, Any]:
    """Last sync, record counts, open alerts by plugin and severity, the errors still waiting in
    the sheet, and the report's headline figures for its default period (the same numbers as
    ``clinicops report``)."""
    with practice.view() as view:
        last = store_tx(view).sync.last_run()
        counts = {e.name: store_tx(view).count(e.name) for e in practice.entities() if e.name != "alert"}
        alerts = report_core.open_alerts(view)
        sections = [s for found in practice.pm.hook.status_sections(practice=view) for s in (found or [])]
        found = metrics.collect(view, metrics.period_for(view.today()))
    summary = (last or {}).get("summary", {})
    return {
        "practice": practice.config.name,
        "last_sync": {k: last[k] for k in ("finished_at", "outcome", "backend")} if last else None,
        "records": counts,
        "open_alerts": len(alerts),
        "alerts_by_plugin": report_core.alert_counts(alerts),
        "errors": summary.get("errors", []),
        "figures": {k: f.value for k, f in found.figures().items()},
        "period": {"from": found.period.start.isoformat(), "to": found.period.end.isoformat()},
        "sections": [
            {"title": s.title, "headers": list(s.headers), "rows": [list(r) for r in s.rows]} for s in sections
        ],
        "warnings": private_files.loose_modes(practice.config.data_dir),
    }


def alerts(
    practice: Practice, *, plugin: str | None = None, severity: str | None = None, open_only: bool = False
) -> list[dict[str, Any]]:
    """Alerts, most severe first and oldest first within a severity; filtered by plugin,
    severity, and to those still open (``open`` or ``acknowledged``)."""
    with practice.view() as view:
        found = view.records("alert")
    rank = {name: n for n, name in enumerate(reversed(SEVERITIES))}
    chosen = [
        a
        for a in found
        if (plugin is None or a.get("plugin") == plugin)
        and (severity is None or a.get("severity") == severity)
        and (not open_only or a.get("status") in report_core.OPEN)
    ]
    return sorted(chosen, key=lambda a: (rank.get(a.get("severity", ""), 9), a.get("first_seen") or "", a["id"]))


def report(practice: Practice, start: dt.date | None = None, end: dt.date | None = None) -> tuple[metrics.Metrics, str]:
    """The report's figures for a period (default: the 90 days to today) and its page."""
    from clinicops.core import report_page  # draws with matplotlib: loaded only for a report

    with practice.view() as view:
        found = metrics.collect(view, metrics.period_for(view.today(), start, end))
    return found, report_page.render(found, practice.now(), practice.config.timezone)


def current_user() -> str:
    """Who is at the keyboard, for the access log: $CLINICOPS_USER, else the login name."""
    try:
        return os.environ.get("CLINICOPS_USER") or getpass.getuser()
    except OSError:
        return "unknown"


def history(
    practice: Practice,
    entity: str,
    record_id: str,
    actor: str | None = None,
    *,
    reveal: bool = False,
    purpose: str | None = None,
) -> list[Version]:
    """Every version of a record, PHI masked; ``reveal`` shows it, logged as a read of those fields for ``purpose``."""
    actor = actor or current_user()
    ent = find_entity(practice, entity)
    entity = ent.name
    if reveal and ent.has_phi and not (purpose or "").strip():
        raise ValueError("Say why the PHI is needed (--purpose); revealing it is recorded in the access log")
    with practice.view(source="cli", actor=actor) as view:
        versions = store_tx(view).history(entity, record_id)
        if versions and ent.has_phi:
            if reveal:
                shown = tuple(sorted(masking.phi_fields(ent) & {k for v in versions for k in v.data}))
                event = AccessEvent(actor, "user", "cli", "read", entity, record_id, shown, str(purpose).strip())
            else:
                event = AccessEvent(actor, "user", "cli", "read", entity, record_id, ("history",), "review")
            view.accessed(event)
    return versions if reveal else [masking.mask_version(v, ent) for v in versions]


def restore(
    practice: Practice, entity: str, record_id: str, version: int | None = None, actor: str | None = None
) -> int:
    """Bring back a deleted record, or an earlier version of one; the next sync shows it in the sheet."""
    actor = actor or current_user()
    ent = find_entity(practice, entity)
    entity = ent.name
    with practice.view(source="cli", actor=actor) as view:
        versions = store_tx(view).history(entity, record_id)
        if not versions:
            raise NotFound(f"No {entity} with id {record_id} in the store")
        live = [v for v in versions if not v.deleted]
        if version is None:
            target = live[-1] if live else None
        else:
            target = next((v for v in versions if v.version == version), None)
            if target is None:
                raise NotFound(f"{entity} {record_id} has no version {version} (it has 1–{versions[-1].version})")
            if target.deleted:
                raise NotFound(f"version {version} of {entity} {record_id} is a deletion; pick an earlier one")
        if target is None:
            raise NotFound(f"{entity} {record_id} has no version to restore")
        new_version = store_tx(view).save(
            entity, record_id, target.data, source="cli", actor=actor, note=f"restored version {target.version}"
        )
        if ent.has_phi:
            view.accessed(AccessEvent(actor, "user", "cli", "restore", entity, record_id, tuple(sorted(target.data))))
        return new_version
