"""Fair between practices: a practice whose syncs are long and many does not starve the small
ones. Its repeated requests never hold a second worker (they coalesce at once instead of
waiting for its lock), and the shared quota's slots go to the waiting practices in turn, so a
practice with many requests to make takes one slot per round like the rest."""

from __future__ import annotations

import itertools
import os
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinicops.connectors.emulators.sheets import SheetsEmulator, gspread_client
from clinicops.core import operations

from . import pg_stores
from .backend_gsheets import GSheetsDriver, create_spreadsheet
from .conftest import PATIENTS, PROVIDERS, Clinic, write_config
from .fleet_processes import FleetProcesses, fleet_processes, wait_for

pytest.importorskip("limits", reason="the fleet needs its extras")
REDIS_URL = os.environ.get("CLINICOPS_TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs CLINICOPS_TEST_REDIS_URL (Redis)")

# The account's quota scaled down from 60 a minute, so a few requests contend for it.
PER_USER = "1/second"
SMALL = 4
# What a worker may spend on a sync besides the sync itself (taking the task, opening the
# practice, recording its status), and far less than the lock's lapse a worker waiting for
# a busy practice's lock would spend.
OVERHEAD_S = 2.0


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[FleetProcesses]:
    with fleet_processes(REDIS_URL, tmp_path / "logs") as found:
        found.env["CLINICOPS_QUOTA_SHEETS_USER"] = PER_USER
        yield found


@pytest.fixture
def schemas() -> Iterator[object]:
    with pg_stores.when_asked() as schema_for:
        yield schema_for


def sheets_practice(folder: Path, emulator: SheetsEmulator, schema_for: object, more_patients: int = 0) -> Clinic:
    folder.mkdir()
    sid = create_spreadsheet(gspread_client(emulator.base_url))
    body = f'type = "gsheets"\nspreadsheet_id = "{sid}"\nendpoint_url = "{emulator.base_url}"'
    store = pg_stores.store_section(folder, schema_for)  # type: ignore[arg-type]
    write_config(folder, backend=body, extra=store)
    clinic = Clinic(folder, GSheetsDriver(emulator, sid))
    operations.lay_out(clinic.practice)
    clinic.sheet.append("Providers", PROVIDERS)
    extra = [
        {"First name": f"Pat{i}", "Last name": f"Many{i:05d}", "Date of birth": "1/2/1980"}
        for i in range(more_patients)
    ]
    clinic.sheet.append("Patients", PATIENTS + extra)
    clinic.practice.close()
    return clinic


def test_small_practices_keep_syncing_while_a_large_one_syncs_again_and_again(
    procs: FleetProcesses, schemas: object, tmp_path: Path
) -> None:
    from clinicops.core.fleet.registry import Fleet
    from clinicops.core.fleet.settings import from_environment
    from clinicops.core.fleet.tasks import enqueue_sync, make_app

    with SheetsEmulator(user_quota_per_minute=600) as sheets:
        fleet = Fleet(from_environment(REDIS_URL, procs.name))
        app = make_app(fleet.settings)
        big = fleet.add(sheets_practice(tmp_path / "big", sheets, schemas, more_patients=1500).folder)
        small = [fleet.add(sheets_practice(tmp_path / f"small{i}", sheets, schemas).folder) for i in range(SMALL)]
        for _ in range(2):
            procs.worker()
        asking = threading.Event()

        def ask_for_big() -> None:  # as a beat would, every tick, while its syncs take longer than a tick
            while not asking.wait(0.3):
                enqueue_sync(fleet, app, big)

        assert enqueue_sync(fleet, app, big)
        wait_for(lambda: fleet.status(big).get("state") == "syncing", 60, procs.log_text)
        asker = threading.Thread(target=ask_for_big)
        asker.start()
        try:
            time.sleep(1.0)  # the big practice's next request is queued ahead of the small ones
            for name in small:
                assert enqueue_sync(fleet, app, name)
            done = lambda: all(fleet.status(n).get("result") == "ok" for n in small)  # noqa: E731
            wait_for(done, 180, lambda: f"{[fleet.status(n) for n in [big, *small]]}\n{procs.log_text()}")
            big_syncs = fleet.summary()["requests"]
        finally:
            asking.set()
            asker.join()
        statuses = sorted((fleet.status(n) for n in small), key=lambda s: s["queue_wait_s"])
        # Each small practice waited for the small syncs before it on the free worker, and no more.
        ahead = 0.0
        for place, status in enumerate(statuses):
            assert status["queue_wait_s"] <= ahead + OVERHEAD_S * (place + 2), (place, statuses, big_syncs)
            ahead += status["duration_s"]
        assert fleet.status(big).get("state") == "syncing"  # the large practice was syncing all along
        assert [r for r in sheets.requests if r.status == 429] == []


def test_a_contended_quota_serves_the_waiting_practices_in_turn() -> None:
    """Four practices on one account's quota, one with many more requests to make: each
    round of slots serves each waiting practice once, the large one included."""
    from clinicops.core.fleet import quota
    from clinicops.core.fleet.settings import from_environment

    settings = from_environment(REDIS_URL, f"t{secrets.token_hex(4)}")
    granted: list[str] = []
    lock = threading.Lock()

    def practice(name: str, requests: int) -> None:
        gate = quota.RedisQuotaGate(settings, rates={**quota.DEFAULTS, "sheets_user": "5/second"})
        with quota.serving(name):
            for _ in range(requests):
                gate.wait("sheets", {"kind": "read", "user": "one-account"})
                with lock:
                    granted.append(name)

    wanted = {"large": 20, "small-a": 3, "small-b": 3, "small-c": 3}
    threads = [threading.Thread(target=practice, args=item) for item in wanted.items()]
    try:
        for thread in threads[1:]:  # the small ones are waiting when the large one starts asking
            thread.start()
        time.sleep(0.1)
        threads[0].start()
        for thread in threads:
            thread.join(60)
    finally:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        client.delete(*client.scan_iter(f"*{settings.prefix}:*"))
    assert sorted(granted) == sorted(n for n, k in wanted.items() for _ in range(k))
    last_small = max(i for i, name in enumerate(granted) if name != "large")
    # Until the small practices were done, the large one never had two slots in a row.
    while_small = granted[: last_small + 1]
    assert not any(a == b == "large" for a, b in itertools.pairwise(while_small)), granted
    assert while_small.count("large") <= 4, granted


def test_a_plugin_task_for_a_practice_in_a_sync_gives_its_worker_back_at_once(tmp_path: Path) -> None:
    """A practice's reminders fall due during its long sync: the task says it is busy at once (and
    Celery retries it later) rather than holding a worker until the sync ends."""
    import redis

    from clinicops.core.fleet import serial
    from clinicops.core.fleet.registry import Fleet
    from clinicops.core.fleet.settings import from_environment
    from clinicops.core.fleet.tasks import run_task

    fleet = Fleet(from_environment(REDIS_URL, f"t{secrets.token_hex(4)}"))
    (tmp_path / "maple").mkdir()
    write_config(tmp_path / "maple")
    name = fleet.add(tmp_path / "maple")
    try:
        with serial.practice_lock(fleet, name) as held:
            assert held
            started = time.monotonic()
            assert run_task(fleet, name, "reminders") == "busy"
            assert time.monotonic() - started < fleet.settings.lock_seconds / 10
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        client.delete(*client.scan_iter(f"{fleet.settings.prefix}:*"))
