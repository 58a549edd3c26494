"""Several workers draw from one quota in Redis: however many sync practices on one Google
service account, no minute holds more requests than the quota, and Google (here its emulator,
which counts the way Google's quota system does) refuses none."""

from __future__ import annotations

import os
import time
from collections import Counter
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
PG_URL = os.environ.get("CLINICOPS_TEST_STORE_URL", "")

PER_USER = 3  # requests a minute of each kind for the one account every practice shares
PRACTICES = 4


class SetupThenRealTime:
    """The emulator's clock: a minute passes between requests while the test sets practices up
    (so setting up spends no quota), then real time from a fresh minute on."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.started: float | None = None

    def __call__(self) -> float:
        if self.started is None:
            self.offset += 61.0
            return self.offset
        return self.offset + time.monotonic() - self.started

    def run(self) -> None:
        self.offset += 61.0
        self.started = time.monotonic()


@pytest.fixture
def emulator() -> Iterator[tuple[SheetsEmulator, SetupThenRealTime]]:
    clock = SetupThenRealTime()
    with SheetsEmulator(
        read_quota_per_minute=300, write_quota_per_minute=300, user_quota_per_minute=PER_USER, clock=clock
    ) as found:
        yield found, clock


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[FleetProcesses]:
    with fleet_processes(REDIS_URL, tmp_path / "logs") as found:
        found.env["CLINICOPS_QUOTA_SHEETS_USER"] = f"{PER_USER}/minute"
        yield found


@pytest.fixture
def schemas() -> Iterator[object]:
    if not PG_URL:
        yield None
        return
    with pg_stores.per_test(PG_URL) as schema_for:
        yield schema_for


def practice(folder: Path, emulator: SheetsEmulator, schema_for: object) -> Clinic:
    folder.mkdir()
    sid = create_spreadsheet(gspread_client(emulator.base_url))
    body = f'type = "gsheets"\nspreadsheet_id = "{sid}"\nendpoint_url = "{emulator.base_url}"'
    store = f'\n[store]\nurl = "{PG_URL}"\nschema = "{schema_for(folder)}"\n' if schema_for else ""  # type: ignore[operator]
    write_config(folder, backend=body, extra=store)
    clinic = Clinic(folder, GSheetsDriver(emulator, sid))
    operations.lay_out(clinic.practice)
    clinic.sheet.append("Providers", PROVIDERS)
    clinic.sheet.append("Patients", PATIENTS)
    clinic.practice.close()
    return clinic


def test_several_workers_never_exceed_the_shared_quota_and_receive_no_429(
    procs: FleetProcesses, emulator: tuple[SheetsEmulator, SetupThenRealTime], schemas: object, tmp_path: Path
) -> None:
    from clinicops.core.fleet.registry import Fleet
    from clinicops.core.fleet.settings import from_environment
    from clinicops.core.fleet.tasks import enqueue_sync, make_app

    sheets, clock = emulator
    fleet = Fleet(from_environment(REDIS_URL, procs.name))
    app = make_app(fleet.settings)
    names = [fleet.add(practice(tmp_path / f"clinic{i}", sheets, schemas).folder) for i in range(PRACTICES)]
    clock.run()
    first = len(sheets.requests)
    for _ in range(3):
        procs.worker()
    for name in names:
        assert enqueue_sync(fleet, app, name)
    done = lambda: all(fleet.status(n).get("result") == "ok" for n in names)  # noqa: E731
    wait_for(done, 240, lambda: f"{[fleet.status(n) for n in names]}\n{procs.log_text()}")
    seen = sheets.requests[first:]
    assert [r for r in seen if r.status == 429] == []
    assert fleet.summary()["rate_limited"] == 0
    by_kind = Counter(r.kind for r in seen)
    assert max(by_kind.values()) > PER_USER  # the syncs asked for more than a minute allows: the limiter held them
    for kind in by_kind:
        stamps = sorted(r.time for r in seen if r.kind == kind)
        busiest = max(sum(1 for t in stamps if s <= t < s + 60.0) for s in stamps)
        assert busiest <= PER_USER, (kind, busiest)
