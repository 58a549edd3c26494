"""``clinicops``: the office manager's command line, a thin face over core.operations."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click
import pluggy

from clinicops.core import adopt as adopt_proposal
from clinicops.core import adoption, hookspecs, operations, private_files, render, runner
from clinicops.core.alerts import SEVERITIES
from clinicops.core.backend_registry import backend_class
from clinicops.core.config import ConfigError, load_config
from clinicops.core.entity_names import find_entity
from clinicops.core.errors import ClinicopsError
from clinicops.core.guests import Guests, describe
from clinicops.core.local_time import shown
from clinicops.core.plugin_manager import (
    ESSENTIAL,
    GROUP,
    available_plugins,
    loadable_plugins,
    plugin_hooks,
)
from clinicops.core.practice import Practice
from clinicops.core.progress import Progress

#: Entry-point group of modules that add commands to ``clinicops`` but are no part of a practice's work.
TOOLS = "clinicops.tools"
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Expected failures (every :class:`ClinicopsError`) become their one sentence and exit code 1.

    Nothing broader is caught: any other exception is a bug and keeps its traceback.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ClinicopsError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


practice_option = click.option(
    "-p",
    "--practice",
    "practice_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    envvar="CLINICOPS_PRACTICE",
    show_default=True,
    help="The practice folder (holding practice.toml).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object for scripts.")
silent_option = click.option("-s", "--silent", is_flag=True, help="Print nothing unless something fails.")


def open_practice(path: Path) -> Practice:
    return Practice.open(path)


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="clinicops")
def cli() -> None:
    """Run a medical practice's back office on the spreadsheets its staff already use."""


@cli.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default="My Practice", show_default=True, help="The practice's name.")
@click.option("--timezone", default="America/New_York", show_default=True, help="IANA time zone.")
@click.option(
    "--backend",
    type=click.Choice(["xlsx", "gsheets", "airtable"]),
    default="xlsx",
    show_default=True,
    help="Where the staff's sheets live.",
)
@click.option("--spreadsheet-id", default="", help="gsheets: the spreadsheet's id or address.")
@click.option("--credentials-file", default="", help="gsheets: path of the service-account key file.")
@click.option("--base-id", default="", help="airtable: the base id (app...).")
@click.option("--token-env", default="", help="airtable: the environment variable holding the token.")
@click.option("--token-file", default="", help="airtable: a file holding the token (mode 600).")
@click.option("--endpoint-url", default="", help="gsheets/airtable: a loopback emulator's URL instead of the service.")
@click.option(
    "--rebuild", is_flag=True, help="For an existing practice: write its lost workbook afresh from the store."
)
@json_option
@friendly
def init(path: Path, name: str, timezone: str, backend: str, rebuild: bool, as_json: bool, **settings: str) -> None:
    """Create a practice folder with its practice.toml, and lay out its sheets: a workbook
    with every tab, or a Google Sheet's tabs, or an Airtable base's tables and fields.

    Example: clinicops init ./maple-street --name "Maple Street Family Medicine"
    """
    if rebuild:
        practice = open_practice(path)
        rows = operations.rebuild_workbook(practice)
        book = practice.config.backend.get("path", "clinic.xlsx")
        if as_json:
            click.echo(json.dumps({"practice": str(path), "rebuilt": book, "rows": rows}, indent=2))
            return
        click.echo(f"Wrote {book} afresh from the store ({rows} rows)")
        return
    wanted = [k for k in settings if k in backend_class(backend).settings_schema.get("properties", {})]
    stray = sorted(k for k, v in settings.items() if v and k not in wanted)
    if stray:
        raise click.UsageError(f"--{stray[0].replace('_', '-')} does not apply to the {backend} backend")
    practice = operations.init_practice(
        path, name=name, timezone=timezone, backend=backend, backend_settings={k: settings[k] for k in wanted}
    )
    where = practice.config.backend.get("path", "clinic.xlsx") if backend == "xlsx" else f"the {backend} backend"
    if as_json:
        config = str(path / "practice.toml")
        click.echo(
            json.dumps({"practice": str(path), "config": config, "backend": backend, "laid_out": where}, indent=2)
        )
        return
    click.echo(f"Created {path / 'practice.toml'} and laid out {where}")
    click.echo(f"Next: fill in the sheets, then run 'clinicops sync -p {path}'")


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option(
    "-p",
    "--practice",
    "practice_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The practice folder (default: the workbook's folder, or the current one).",
)
@click.option("--backend", type=click.Choice(["xlsx", "gsheets", "airtable"]), default="xlsx", show_default=True)
@click.option("--spreadsheet-id", default="", help="gsheets: the spreadsheet's id or address.")
@click.option("--credentials-file", default="", help="gsheets: path of the service-account key file.")
@click.option("--base-id", default="", help="airtable: the base id (app...).")
@click.option("--token-env", default="", help="airtable: the environment variable holding the token.")
@click.option("--token-file", default="", help="airtable: a file holding the token (mode 600).")
@click.option("--endpoint-url", default="", help="gsheets/airtable: a loopback emulator's URL instead of the service.")
@click.option("--name", default="", help="The practice's name (a new practice).")
@click.option("--timezone", default="America/New_York", show_default=True, help="IANA time zone (a new practice).")
@click.option("--yes", is_flag=True, help="Accept the proposal without asking.")
@json_option
@friendly
def adopt(
    path: Path | None,
    practice_dir: Path | None,
    backend: str,
    name: str,
    timezone: str,
    yes: bool,
    as_json: bool,
    **settings: str,
) -> None:
    """Take on the practice's own workbook, Google Sheet or Airtable base as it is: propose which tab
    holds which entity and which column which field, preview the first sync, write the column map
    once accepted.

    Example: clinicops adopt ./front-desk.xlsx --yes
    """
    if (path is None) == (backend == "xlsx"):
        raise click.UsageError("give the workbook's PATH, or --backend gsheets/airtable with its id, not both")
    folder = practice_dir or (path.parent if path is not None else Path("."))
    if not (folder / "practice.toml").exists():
        if path is not None:
            where = path.resolve()
            shown = where.relative_to(folder.resolve()) if where.is_relative_to(folder.resolve()) else where
            body = f'type = "xlsx"\npath = {json.dumps(str(shown))}'
        else:
            body = operations.backend_table(backend, {k: v for k, v in settings.items() if v})
        adoption.write_config(folder, name or (path.stem if path else "My Practice"), timezone, body)
    practice = open_practice(folder)
    found = adoption.examine(practice)
    if as_json:
        accepted = yes
        if accepted:
            adoption.accept(practice, found)
        click.echo(json.dumps({**found.as_dict(), "accepted": accepted}, indent=2, default=str))
        return
    click.echo(render.adoption(found.as_dict()))
    if not yes:
        entities = {e.name: e for e in practice.registry}
        while text := click.prompt(
            "Correct a binding (TAB:HEADER=field or TAB=entity; Enter when done)", default="", show_default=False
        ):
            try:
                click.echo(adopt_proposal.correct(found.tabs, text, entities))
            except ValueError as exc:
                click.echo(str(exc))
        if not click.confirm(f"Write the column map to {folder / 'columns.toml'}?", default=False):
            click.echo("Nothing was written.")
            return
    adoption.accept(practice, found)
    click.echo(f"Wrote {folder / 'columns.toml'}; run 'clinicops sync -p {folder}' to import the rows.")


@cli.command()
@practice_option
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--allow-delete", is_flag=True, help="Allow a sync that deletes more than sync.max_delete of a table.")
@click.option(
    "--adopt-ids",
    is_flag=True,
    help="Rebuild an empty store from a sheet clinicops filled before (access-logged); a backup keeps history.",
)
@json_option
@silent_option
@friendly
def sync(practice_dir: Path, dry_run: bool, allow_delete: bool, adopt_ids: bool, as_json: bool, silent: bool) -> None:
    """Sync the practice's sheets with its store, run plugins and write back ids, notes and alerts.

    Example: clinicops sync -p ./maple-street --dry-run
    """
    practice = open_practice(practice_dir)
    with Progress(enabled=not silent) as progress:
        report = operations.sync(
            practice, dry_run=dry_run, allow_delete=allow_delete, adopt_ids=adopt_ids, progress=progress
        )
    _print_report(practice, report, as_json, silent)
    if not silent:
        _warn_loose_modes(practice)


@cli.command()
@practice_option
@json_option
@friendly
def validate(practice_dir: Path, as_json: bool) -> None:
    """Check every row and report bad cells without changing anything (exit 1 if any).

    Example: clinicops validate -p ./maple-street
    """
    practice = open_practice(practice_dir)
    report = operations.sync(practice, dry_run=True)
    errors = report.errors
    if as_json:
        click.echo(json.dumps({"errors": [e.as_dict() for e in errors]}, indent=2))
    elif errors:
        click.echo(f"{len(errors)} cell(s) to fix:")
        for e in errors:
            click.echo(f"  {e.line()}")
    else:
        click.echo("Every row is valid.")
    sys.exit(1 if errors else 0)


@cli.command()
@practice_option
@click.option("--full", is_flag=True, help="Also print each plugin's tables (A/R by payer, purchase orders…).")
@json_option
@friendly
def status(practice_dir: Path, full: bool, as_json: bool) -> None:
    """Last sync, record counts, open alerts by plugin and severity, cells still waiting to be fixed.

    --json adds the report's headline figures (those of 'clinicops report') and the plugins'
    tables, which --full prints.

    Example: clinicops status -p ./maple-street
    """
    practice = open_practice(practice_dir)
    info = operations.status(practice)
    if as_json:
        click.echo(json.dumps(info, indent=2, default=str))
        return
    last = info["last_sync"]
    click.echo(f"{info['practice']}")
    zone = practice.config.timezone
    click.echo(f"Last sync: {shown(last['finished_at'], zone)} ({last['outcome']})" if last else "Last sync: never")
    titles = {e.name: e.title for e in practice.entities()}
    click.echo(render.table(["Table", "records"], [[titles.get(k, k), v] for k, v in info["records"].items()]))
    click.echo(f"\nOpen alerts: {info['open_alerts']}")
    if info["alerts_by_plugin"]:
        click.echo(render.alert_counts(info["alerts_by_plugin"]))
        click.echo(f"  list them with 'clinicops alerts --open -p {practice_dir}'")
    for section in info["sections"] if full else []:
        click.echo(f"\n{section['title']}")
        click.echo(render.table(section["headers"], section["rows"]) if section["rows"] else "  none")
    if info["errors"]:
        click.echo(f"\nCells to fix: {len(info['errors'])} (see the Errors column in the sheet)")
    _warn_loose_modes(practice)


@cli.command()
@practice_option
@click.option("--plugin", default=None, help="Only this plugin's alerts (core for the engine's own).")
@click.option("--severity", type=click.Choice(SEVERITIES), default=None, help="Only alerts of this severity.")
@click.option("--open", "open_only", is_flag=True, help="Only alerts still open (open or acknowledged).")
@json_option
@friendly
def alerts(practice_dir: Path, plugin: str | None, severity: str | None, open_only: bool, as_json: bool) -> None:
    """Alerts, most severe first, oldest first within a severity.

    Example: clinicops alerts --open --plugin billing -p ./maple-street
    """
    practice = open_practice(practice_dir)
    found = operations.alerts(practice, plugin=plugin, severity=severity, open_only=open_only)
    if as_json:
        click.echo(json.dumps({"count": len(found), "alerts": found}, indent=2, default=str))
        return
    click.echo(f"{len(found)} alert{'' if len(found) == 1 else 's'}")
    if found:
        click.echo(render.alerts_table(found, limit=len(found)))


@cli.command()
@practice_option
@click.option(
    "--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (default: 90 days before --to)."
)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (default: today).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default="report.html",
    show_default=True,
    help="The page to write.",
)
@json_option
@friendly
def report(practice_dir: Path, start: dt.datetime | None, end: dt.datetime | None, out: Path, as_json: bool) -> None:
    """The manager's report: figures and charts on one page, for a phone, a screen or print.

    The page needs no network and names no patient. --json prints its figures, sections and
    chart data as one object (the page is written too).

    Example: clinicops report -p ./maple-street --from 2026-01-01 --to 2026-03-31 --out q1.html
    """
    practice = open_practice(practice_dir)
    try:
        found, page = operations.report(practice, start.date() if start else None, end.date() if end else None)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--from/--to") from None
    try:
        out.write_text(page, encoding="utf-8")  # no PHI on the page: an ordinary file
    except OSError as exc:
        raise ClinicopsError(f"Cannot write the report to {out}: {exc.strerror or exc}") from None
    if as_json:
        click.echo(json.dumps({**found.as_json(), "page": str(out)}, indent=2, default=str))
        return
    click.echo(f"{found.practice}: report for {found.period.label} written to {out}")
    rows = [[f.label, f.shown()] for s in found.sections for f in s.figures]
    click.echo(render.table(["Figure", "value"], rows))


@cli.command()
@click.option(
    "-p",
    "--practice",
    "practice_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    envvar="CLINICOPS_PRACTICE",
    help="Show which plugins this practice has enabled.",
)
@json_option
@friendly
def plugins(practice_dir: Path | None, as_json: bool) -> None:
    """List installed plugins, the hooks each implements, and whether the practice enables it.

    Example: clinicops plugins --json
    """
    loaded, problems = loadable_plugins()
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    for name, plugin in loaded.items():
        pm.register(plugin, name=name)
    hooks = plugin_hooks(pm)
    broken = {name: p for name in available_plugins() for p in problems if f"'{name}'" in p}
    enabled: set[str] | None = None
    if practice_dir is not None and (practice_dir / "practice.toml").exists():
        enabled = open_practice(practice_dir).enabled_plugins()
    entries = []
    for name, ep in sorted(available_plugins().items()):
        entries.append(
            {
                "name": name,
                "module": ep.value,
                "enabled": (name in enabled) if enabled is not None else None,
                "essential": name in ESSENTIAL,
                "hooks": hooks.get(name, []),
            }
            | ({"problem": broken[name]} if name in broken else {})
        )
    if as_json:
        click.echo(json.dumps({"plugins": entries}, indent=2))
        return
    for e in entries:
        state = "" if e["enabled"] is None else ("enabled " if e["enabled"] else "disabled ")
        essential = "essential " if e["essential"] else ""
        what = e.get("problem") or f"hooks: {', '.join(e['hooks'])}"
        click.echo(f"{e['name']}: {state}{essential}— {what}")


@cli.command()
@click.argument("entity")
@click.argument("record_id")
@practice_option
@click.option("--reveal", is_flag=True, help="Show PHI values too (recorded in the access log; needs --purpose).")
@click.option("--purpose", default=None, help="Why the PHI is needed, for the access log (with --reveal).")
@json_option
@friendly
def history(entity: str, record_id: str, practice_dir: Path, reveal: bool, purpose: str | None, as_json: bool) -> None:
    """Every version of one record: when (practice time), from where, by whom, which fields changed;
    PHI shows as <phi: N chars> unless revealed.

    ENTITY is the entity or its tab's name.

    Example: clinicops history Patients P000012 --reveal --purpose "billing dispute"
    """
    if reveal and not (purpose or "").strip():
        raise click.UsageError("--reveal needs --purpose: say why the PHI is needed (it goes in the access log)")
    if purpose and not reveal:
        raise click.UsageError("--purpose goes with --reveal")
    practice = open_practice(practice_dir)
    ent = find_entity(practice, entity)
    versions = operations.history(practice, ent.name, record_id, reveal=reveal, purpose=purpose)
    if not versions:
        raise click.ClickException(f"No {ent.name} with id {record_id} in the store")
    if as_json:
        shown_versions = [v.__dict__ for v in versions]
        click.echo(json.dumps({"entity": ent.name, "id": record_id, "versions": shown_versions}, indent=2, default=str))
        return
    zone = practice.config.timezone
    for v in versions:
        fields = ", ".join(ent.by_name[k].title if k in ent.by_name else k for k in v.diff)
        what = "deleted" if v.deleted else (fields or "created")
        click.echo(f"v{v.version}  {shown(v.at, zone)}  {v.source:<16} {v.actor:<12} {what or 'no field changes'}")
        if v.note:
            click.echo(f"     {v.note}")


@cli.command()
@click.argument("entity")
@click.argument("record_id")
@click.option(
    "--version", "version", type=int, default=None, help="The version to bring back (default: the last live one)."
)
@practice_option
@json_option
@friendly
def restore(entity: str, record_id: str, version: int | None, practice_dir: Path, as_json: bool) -> None:
    """Bring back a deleted record or an earlier version; the next sync puts it in the sheet.

    ENTITY is the entity or its tab's name. Example: clinicops restore Patients P000012 --version 3
    """
    practice = open_practice(practice_dir)
    entity = find_entity(practice, entity).name
    new_version = operations.restore(practice, entity, record_id, version)
    if as_json:
        click.echo(json.dumps({"entity": entity, "id": record_id, "version": new_version}, indent=2))
        return
    click.echo(f"Restored {entity} {record_id} as version {new_version}; run 'clinicops sync' to show it in the sheet.")


@cli.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path), default="clinicops-demo")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Pin the practice's clock to this date (kept in its practice.toml as [clock] today).",
)
@json_option
@silent_option
@friendly
def demo(path: Path, today: dt.datetime | None, as_json: bool, silent: bool) -> None:
    """Create the demo clinic in PATH (synthetic data) and run its first sync.

    With --today the practice's clock is pinned to that date for this and every later
    command, so the demo's alerts stay as they were on that day.

    Example: clinicops demo ./my-clinic
    """
    run_demo(path, today.date() if today else None, as_json, silent)


def run_demo(
    path: Path, today: dt.date | None, as_json: bool, silent: bool, backend: dict[str, Any] | None = None
) -> None:
    """Create the demo practice (on the workbook, or on the ``backend`` given) and print its first sync."""
    talk = not silent and not as_json
    with Progress(enabled=not silent) as progress:
        progress.update("Creating the demo clinic…")
        practice = operations.create_demo(path, today=today, backend=backend)
        if talk:
            click.echo(f"Created the demo practice '{practice.config.name}' in {path}\n")
        report = operations.sync(practice, progress=progress)
    _print_report(practice, report, as_json, silent)
    if not talk:
        return
    click.echo(render.alerts_by_plugin(operations.alerts(practice, open_only=True), per_plugin=2))
    if backend is None:
        click.echo(f"\nOpen {path / 'clinic.xlsx'} to see the notes on bad cells and the Alerts tab;")
        click.echo(f"edit it and run 'clinicops sync -p {path}' again.")


@cli.command()
@practice_option
@click.option("--task", "job_id", default=None, help="Run one job now and exit (for cron): sync or PLUGIN:TASK.")
@click.option("-v", "--verbose", is_flag=True, help="Also log the scheduler's own steps.")
@friendly
def run(practice_dir: Path, job_id: str | None, verbose: bool) -> None:
    """Run the practice's schedule in the foreground: syncs and plugins' tasks, until SIGTERM or Ctrl-C.

    A failing sync is logged and retried later (backing off); two syncs never overlap.
    'clinicops schedule' shows the plan.

    Example: clinicops run -p ./maple-street
    """
    practice = open_practice(practice_dir)
    runner.configure_logging(verbose, practice)
    if job_id is None:
        runner.serve(practice)
        return
    scheduled = runner.Runner(practice)
    outcome = scheduled.run_job(scheduled.job(job_id))
    sys.exit(0 if outcome in ("ok", "busy") else 1)


@cli.command()
@practice_option
@click.option("--cron", is_flag=True, help="Print the schedule as crontab lines.")
@json_option
@friendly
def schedule(practice_dir: Path, cron: bool, as_json: bool) -> None:
    """Show when 'clinicops run' syncs and runs each plugin's tasks (practice-local times).

    Example: clinicops schedule --cron
    """
    if cron and as_json:
        raise click.UsageError("Give --cron or --json, not both.")
    practice = open_practice(practice_dir)
    jobs = runner.plan_for(practice)
    if cron:
        lines = runner.crontab(jobs, practice.config.root, practice.config.timezone, runner.executable())
        click.echo("\n".join(lines))
    elif as_json:
        rules = [{"job": j.id, "cron": " ".join(r.cron_fields())} for j in jobs for r in j.rules]
        click.echo(json.dumps({"timezone": practice.config.timezone.key, "jobs": rules}, indent=2))
    else:
        rows = [[j.id, runner.describe(r)] for j in jobs for r in j.rules]
        click.echo(f"Times are {practice.config.timezone.key}.")
        click.echo(render.table(["Job", "When"], rows))


def _print_report(practice: Practice, report: Any, as_json: bool, silent: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, default=str))
    elif not silent:
        titles = {e.name: e.title for e in practice.entities()}
        click.echo(render.sync_summary(report, titles))


def _warn_loose_modes(practice: Practice) -> None:
    """The data folder holds PHI: say so when other accounts can open any of it."""
    for sentence in private_files.loose_modes(practice.config.data_dir):
        click.echo(f"Warning: {sentence}", err=True)


def main() -> None:
    """The ``clinicops`` command: the core's commands plus those of the plugins that load.

    With a practice at hand (``-p``, ``CLINICOPS_PRACTICE`` or the current folder) only its
    enabled plugins add commands; without one, every installed plugin does. A plugin that
    cannot be imported is named in one sentence and every other command still works.
    """
    plugins, problems = loadable_plugins(_command_plugins(sys.argv[1:]))
    for problem in problems:
        click.echo(f"clinicops: {problem}; its commands are unavailable.", err=True)
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    for name, plugin in plugins.items():
        pm.register(plugin, name=name)
    Guests(pm).call("register_commands", cli=cli)
    for problem in add_tool_commands(cli):
        click.echo(f"clinicops: {problem}; its commands are unavailable.", err=True)
    try:
        cli()
    except BrokenPipeError:
        # Point stdout at nothing so the interpreter's final flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)


def add_tool_commands(group: click.Group) -> list[str]:
    """Commands of the installed tools (``clinicops.tools`` entry points, e.g. the API emulators):
    each module's ``register_commands(cli)`` adds its own. One sentence per tool that fails to load."""
    problems = []
    for ep in sorted(entry_points(group=TOOLS), key=lambda ep: ep.name):
        try:
            ep.load().register_commands(group)
        except Exception as exc:
            problems.append(f"the tool '{ep.name}' ({ep.value}) could not be loaded ({describe(exc)})")
    return problems


def _command_plugins(argv: list[str]) -> set[str] | None:
    """The plugins whose commands to offer: the practice's enabled ones, or None for all installed."""
    folder = os.environ.get("CLINICOPS_PRACTICE", ".")
    for i, arg in enumerate(argv):
        if arg in ("-p", "--practice") and i + 1 < len(argv):
            folder = argv[i + 1]
        elif arg.startswith("--practice="):
            folder = arg.split("=", 1)[1]
    try:
        config = load_config(Path(folder))
    except (ConfigError, OSError):
        return None
    return set(config.enabled_plugins) - set(config.disabled_plugins) | set(ESSENTIAL)


# Command groups kept in modules of their own (they use the helpers above).
from clinicops.core.store_cli import store_group  # noqa: E402

cli.add_command(store_group)

from clinicops.core.fleet.cli import beat, fleet_group, worker  # noqa: E402

cli.add_command(fleet_group)
cli.add_command(worker)
cli.add_command(beat)
