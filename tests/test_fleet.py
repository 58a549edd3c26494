"""The fleet with real worker and beat processes on real Redis: a practice added runs without a
restart, one practice never syncs twice at once and requests made meanwhile coalesce, and a
worker killed mid-sync has its task delivered again with the practice converging."""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from clinicops.core import operations

from . import pg_stores, stores
from .conftest import PATIENTS, PROVIDERS, Clinic, write_config, xlsx_backend
from .fleet_processes import FleetProcesses, fleet_processes, wait_for

pytest.importorskip("celery", reason="the fleet needs its extras")
REDIS_URL = os.environ.get("CLINICOPS_TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs CLINICOPS_TEST_REDIS_URL (Redis)")
PG_URL = os.environ.get("CLINICOPS_TEST_STORE_URL", "")

SCHEDULE = '\n[schedule]\nsync_every_minutes = 1\noffice_hours = "00:00-24:00"\ndays = "daily"\n'


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[FleetProcesses]:
    with fleet_processes(REDIS_URL, tmp_path / "logs") as found:
        yield found


@pytest.fixture
def store_section() -> Iterator[Callable[[Path], str]]:
    """The [store] a practice's workers use too: its PostgreSQL schema in a PostgreSQL run, else SQLite."""
    if not PG_URL:
        yield lambda folder: ""
        return
    with pg_stores.per_test(PG_URL) as schema_for:
        yield lambda folder: f'\n[store]\nurl = "{PG_URL}"\nschema = "{schema_for(folder)}"\n'


@pytest.fixture
def make_practice(tmp_path: Path, store_section: Callable[[Path], str]) -> Callable[..., Clinic]:
    def make(name: str, more_patients: int = 0) -> Clinic:
        folder = tmp_path / name
        folder.mkdir()
        with xlsx_backend(folder) as (backend, sheet):
            write_config(folder, backend=backend, extra=SCHEDULE + store_section(folder))
            clinic = Clinic(folder, sheet)
            operations.lay_out(clinic.practice)
            sheet.append("Providers", PROVIDERS)
            extra = [
                {"First name": f"Pat{i}", "Last name": f"Many{i:05d}", "Date of birth": "1/2/1980"}
                for i in range(more_patients)
            ]
            sheet.append("Patients", PATIENTS + extra)
        clinic.practice.close()  # the fleet's workers own it now
        return clinic

    return make


def fleet_of(procs: FleetProcesses) -> Any:
    from clinicops.core.fleet.registry import Fleet
    from clinicops.core.fleet.settings import from_environment

    return Fleet(from_environment(REDIS_URL, procs.name))


def app_of(procs: FleetProcesses) -> Any:
    from clinicops.core.fleet.tasks import make_app

    return make_app(fleet_of(procs).settings)


def converged(clinic: Clinic, patients: int) -> None:
    """Every row has an id, no id twice, the store holds each once, and another sync changes nothing."""
    rows = clinic.sheet.rows("Patients")
    ids = [r["MRN"] for r in rows]
    assert len(rows) == patients and all(ids) and len(set(ids)) == patients
    clinic.reopen()
    assert len(clinic.records("patient")) == patients
    assert clinic.sync().total_changes == 0
    clinic.practice.close()


def stored_patients(clinic: Clinic) -> int:
    with stores.connect(clinic.folder) as conn:
        return int(conn.execute(text("SELECT count(*) FROM records WHERE entity = 'patient'")).scalar_one())


def sync_runs(clinic: Clinic) -> list[tuple[str, str]]:
    with stores.connect(clinic.folder) as conn:
        return [tuple(r) for r in conn.execute(text("SELECT started_at, finished_at FROM sync_runs ORDER BY seq"))]


def test_a_practice_added_to_a_running_fleet_is_synced_without_a_restart(
    procs: FleetProcesses, make_practice: Callable[..., Clinic]
) -> None:
    procs.worker()
    procs.beat()
    fleet = fleet_of(procs)
    for name in ("eastside", "westside"):  # the second joins a fleet that is already running it the first
        clinic = make_practice(name)
        added = procs.clinicops("fleet", "add", "--config", str(clinic.folder / "practice.toml"))
        assert added.returncode == 0, added.stderr
        assert f"Added {name}" in added.stdout
        wait_for(lambda n=name: fleet.status(n).get("result") == "ok", 90, procs.log_text)
        converged(clinic, len(PATIENTS))
    listed = procs.clinicops("fleet", "list")
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["eastside", "westside"]
    shown = procs.clinicops("fleet", "status")
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"eastside: last sync \S+ ok, waited [\d.]+ s, next \S+, 0 critical alert", shown.stdout)
    for command in (["list"], ["status"]):
        assert isinstance(json.loads(procs.clinicops("fleet", *command, "--json").stdout), dict)
    removed = procs.clinicops("fleet", "remove", "westside", "--json")
    assert json.loads(removed.stdout) == {"removed": "westside", "fleet": fleet_of(procs).settings.fleet}
    assert procs.clinicops("fleet", "list").stdout.split("\t")[0] == "eastside"


def test_one_practice_never_syncs_twice_at_once_and_requests_made_meanwhile_coalesce(
    procs: FleetProcesses, make_practice: Callable[..., Clinic]
) -> None:
    from clinicops.core.fleet.tasks import enqueue_sync

    clinic = make_practice("busy", more_patients=1500)
    fleet, app = fleet_of(procs), app_of(procs)
    fleet.add(clinic.folder)
    # Asked for five times before any worker runs: one task waits in the queue.
    assert [enqueue_sync(fleet, app, "busy") for _ in range(5)] == [True, False, False, False, False]
    assert fleet.redis.llen(fleet.settings.queue) == 1
    for _ in range(11):  # and eleven more delivered straight to the workers, as a burst of retries would be
        app.send_task("clinicops.sync", args=["busy", fleet.now()], queue=fleet.settings.queue)
    for _ in range(3):
        procs.worker()
    requests = lambda: fleet.summary()["requests"]  # noqa: E731
    wait_for(lambda: sum(requests().values()) == 12, 120, lambda: f"{requests()}\n{procs.log_text()}")
    runs = sync_runs(clinic)
    assert all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(runs)), runs
    assert 1 <= len(runs) < 12 and requests()["coalesced"] >= 2, (runs, requests())
    converged(clinic, len(PATIENTS) + 1500)


def test_a_worker_killed_mid_sync_has_its_task_delivered_again_and_the_practice_converges(
    procs: FleetProcesses, make_practice: Callable[..., Clinic]
) -> None:
    from clinicops.core.fleet.tasks import enqueue_sync

    clinic = make_practice("crashy", more_patients=3000)
    fleet, app = fleet_of(procs), app_of(procs)
    fleet.add(clinic.folder)
    first = procs.worker()
    assert enqueue_sync(fleet, app, "crashy")
    wait_for(lambda: fleet.status("crashy").get("state") == "syncing", 60, procs.log_text)
    # Killed once the store has committed the import and the ids are being written back: the
    # moment a crash costs the most (the store knows ids the workbook does not have yet).
    wait_for(lambda: stored_patients(clinic) > 0, 60, procs.log_text, every=0.02)
    procs.kill(first)
    assert fleet.status("crashy").get("state") == "syncing"  # it died with the sync unfinished
    procs.worker()
    wait_for(lambda: fleet.status("crashy").get("result") == "ok", 120, procs.log_text)
    logs = [p.read_text() for p in sorted(procs.logs.glob("worker-*.log"))]
    [task_id] = re.findall(r"clinicops\.sync\[([0-9a-f-]+)\] received", logs[0])
    assert f"clinicops.sync[{task_id}] received" in logs[1]  # the same task, delivered again
    converged(clinic, len(PATIENTS) + 3000)


def test_a_sync_asked_for_while_a_dead_workers_lock_lingers_runs_once_the_lock_lapses(
    procs: FleetProcesses, make_practice: Callable[..., Clinic]
) -> None:
    """The request finds the lock held and gives its worker back, but looks again a lock's lapse
    later and syncs: the practice does not wait for the dead worker's task to come back."""
    from clinicops.core.fleet.tasks import enqueue_sync

    procs.env["CLINICOPS_FLEET_VISIBILITY_SECONDS"] = "600"  # the dead worker's task comes back only after the test
    fleet, app = fleet_of(procs), app_of(procs)
    # Killed between the store's commit and the end of the write: a worker that finished the
    # sync before the kill landed leaves no lock behind, so that practice is set aside for another.
    for attempt in range(3):
        name = f"orphaned{attempt}"
        clinic = make_practice(name, more_patients=3000)
        fleet.add(clinic.folder)
        first = procs.worker()
        assert enqueue_sync(fleet, app, name)
        wait_for(lambda: stored_patients(clinic) > 0, 60, procs.log_text, every=0.02)  # noqa: B023
        procs.kill(first)
        if fleet.status(name).get("state") == "syncing":
            break
    else:
        pytest.fail("every worker finished its sync before it could be killed")
    procs.worker()
    assert enqueue_sync(fleet, app, name)  # while the dead worker's lock still holds
    # the worker records the sync's result a moment before it counts the request: wait for both
    synced = lambda: fleet.summary()["requests"].get("synced", 0)  # noqa: E731
    wait_for(lambda: fleet.status(name).get("result") == "ok" and synced() > attempt, 90, procs.log_text)
    assert fleet.summary()["requests"] == {"synced": attempt + 1}  # a practice set aside had synced once
    converged(clinic, len(PATIENTS) + 3000)


def test_a_second_practice_on_the_same_store_is_refused(procs: FleetProcesses, tmp_path: Path) -> None:
    from clinicops.core.fleet.settings import FleetError

    fleet = fleet_of(procs)
    store = '\n[store]\nurl = "postgresql+psycopg://clinicops@db/clinics"\nschema = "maple"\n'
    for name in ("maple", "maple-copy"):
        (tmp_path / name).mkdir()
        write_config(tmp_path / name, extra=store)
    assert fleet.add(tmp_path / "maple") == "maple"
    with pytest.raises(FleetError, match="keeps its store where maple does; give it a \\[store\\] schema of its own"):
        fleet.add(tmp_path / "maple-copy")
    assert list(fleet.practices()) == ["maple"]
