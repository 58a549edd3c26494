"""``clinicops fleet``, ``clinicops worker`` and ``clinicops beat``: the fleet from the command line.

Celery and Redis are imported inside each command, so ``clinicops`` itself starts (and the
single-practice commands run) without the fleet extras installed.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import click

from clinicops.core.cli import CONTEXT, friendly, json_option
from clinicops.core.fleet.settings import FleetError, FleetSettings, from_environment

redis_option = click.option(
    "--redis", "redis_url", envvar="CLINICOPS_REDIS_URL", help="The fleet's Redis (default redis://127.0.0.1:6379/0)."
)
fleet_option = click.option(
    "--fleet", "fleet_name", envvar="CLINICOPS_FLEET", help="The fleet's name (default: default)."
)


def _settings(redis_url: str | None, fleet_name: str | None) -> FleetSettings:
    try:
        import celery  # noqa: F401
        import redis  # noqa: F401
    except ImportError:
        raise FleetError("The fleet needs its extras: pip install 'clinicops[fleet]'") from None
    return from_environment(redis_url, fleet_name)


def _fleet(redis_url: str | None, fleet_name: str | None) -> Any:
    from clinicops.core.fleet.registry import Fleet

    return Fleet(_settings(redis_url, fleet_name))


@click.group("fleet", context_settings=CONTEXT)
def fleet_group() -> None:
    """Many practices on one Celery fleet with Redis: add, list, remove, status (docs/fleet.md)."""


@fleet_group.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--name", help="The practice's name in the fleet (default: its folder's name).")
@redis_option
@fleet_option
@json_option
@friendly
def add(
    folder: Path | None, config_file: Path | None, name: str | None, redis_url: str, fleet_name: str, as_json: bool
) -> None:
    """Add the practice in FOLDER (or the one --config names) to the fleet; the beat schedules it
    at its next tick, no restart needed.

    Example: clinicops fleet add /srv/practices/eastside
    """
    if (folder is None) == (config_file is None):
        raise click.UsageError("Name the practice's FOLDER or its --config file, one of them")
    where = folder if folder is not None else Path(str(config_file)).parent
    fleet = _fleet(redis_url, fleet_name)
    added = fleet.add(where, name)
    if as_json:
        click.echo(json.dumps({"added": added, "fleet": fleet.settings.fleet, "folder": str(where.resolve())}))
        return
    click.echo(f"Added {added}; the beat schedules it at its next tick.")


@fleet_group.command("list")
@redis_option
@fleet_option
@json_option
@friendly
def list_(redis_url: str, fleet_name: str, as_json: bool) -> None:
    """The fleet's practices and their folders."""
    found = _fleet(redis_url, fleet_name).practices()
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    for name, folder in found.items():
        click.echo(f"{name}\t{folder}")


@fleet_group.command()
@click.argument("name")
@redis_option
@fleet_option
@json_option
@friendly
def remove(name: str, redis_url: str, fleet_name: str, as_json: bool) -> None:
    """Take a practice out of the fleet (its folder and store stay as they are)."""
    fleet = _fleet(redis_url, fleet_name)
    if not fleet.remove(name):
        raise FleetError(f"The fleet has no practice named {name}; 'clinicops fleet list' shows them")
    if as_json:
        click.echo(json.dumps({"removed": name, "fleet": fleet.settings.fleet}))
        return
    click.echo(f"Removed {name} from the fleet; its folder and store are untouched.")


@fleet_group.command()
@redis_option
@fleet_option
@json_option
@friendly
def status(redis_url: str, fleet_name: str, as_json: bool) -> None:
    """Per practice: last sync, result, queue wait, next run, open critical alerts; and the fleet's
    syncs per minute, rate-limited responses and failures."""
    fleet = _fleet(redis_url, fleet_name)
    practices = {name: fleet.status(name) for name in fleet.practices()}
    found = {"fleet": fleet.summary(), "practices": practices}
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    s = found["fleet"]
    click.echo(
        f"Fleet {s['fleet']}: {s['practices']} practices, {s['syncs_last_minute']} syncs in the last minute, "
        f"{s['queued']} queued, {s['failures']} failed syncs, {s['rate_limited']} rate-limited responses"
    )
    for name, st in practices.items():
        click.echo(
            f"  {name}: last sync {st.get('last_sync') or 'never'} {st.get('result') or ''}, "
            f"waited {st.get('queue_wait_s', '-')} s, next {st.get('next_run') or '-'}, "
            f"{st.get('critical_alerts', 0)} critical alert(s)" + (f" — {st['error']}" if st.get("error") else "")
        )


@click.command(context_settings=CONTEXT)
@click.option("-c", "--concurrency", type=int, default=None, help="Worker processes (default: one per CPU).")
@click.option("--pool", default="prefork", show_default=True, help="Celery's pool: prefork, solo or threads.")
@click.option("--log-json", is_flag=True, help="Log one JSON object a line (no PHI, no tracebacks).")
@redis_option
@fleet_option
@friendly
def worker(concurrency: int | None, pool: str, log_json: bool, redis_url: str, fleet_name: str) -> None:
    """A Celery worker with the clinicops tasks: syncs practices and runs their scheduled tasks,
    every Sheets and Airtable request drawing from the fleet's shared quota."""
    settings = _settings(redis_url, fleet_name)  # first: says how to install the extras when they are missing
    from clinicops.core.fleet import quota
    from clinicops.core.fleet.tasks import make_app

    quota.install(settings)
    app = make_app(settings)
    if log_json:
        from celery.signals import setup_logging

        from clinicops.core.fleet import logs

        setup_logging.connect(lambda **_: logs.install(), weak=False)
    argv = ["worker", "--loglevel=INFO", f"--queues={settings.queue}", f"--pool={pool}", "--without-gossip"]
    argv += ["--without-mingle", f"--hostname=clinicops-{os.getpid()}@%h"]
    app.worker_main([*argv, *([f"--concurrency={concurrency}"] if concurrency else [])])


@click.command(context_settings=CONTEXT)
@click.option("--schedule-file", type=click.Path(dir_okay=False, path_type=Path), help="Celery beat's own state file.")
@redis_option
@fleet_option
@friendly
def beat(schedule_file: Path | None, redis_url: str, fleet_name: str) -> None:
    """Celery beat: every tick, enqueue what each practice's [schedule] made due (one beat per fleet)."""
    settings = _settings(redis_url, fleet_name)
    from clinicops.core.fleet.tasks import make_app

    state = schedule_file or Path(tempfile.gettempdir()) / f"clinicops-beat-{settings.fleet}"
    make_app(settings).Beat(loglevel="INFO", schedule=str(state)).run()
