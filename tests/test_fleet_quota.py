"""Several workers draw from one quota in Redis: however many sync practices on one Google
service account, no minute holds more requests than the quota, and Google (here its emulator,
which counts the way Google's quota system does) refuses none; workers taking turns on one
Airtable base stay inside its 5 requests a second, margin included."""

from __future__ import annotations

import os
import secrets
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from clinicops.connectors.airtable import pacing
from clinicops.connectors.airtable.config import make_api
from clinicops.connectors.emulators.airtable import AirtableEmulator
from clinicops.connectors.emulators.setup_clock import SetupThenRealTime
from clinicops.connectors.emulators.sheets import SheetsEmulator, gspread_client
from clinicops.core import operations
from clinicops.core.practice import Practice

from . import pg_stores
from .backend_gsheets import GSheetsDriver, create_spreadsheet
from .conftest import PATIENTS, PROVIDERS, Clinic, write_config
from .fleet_processes import FleetProcesses, fleet_processes, wait_for

pytest.importorskip("limits", reason="the fleet needs its extras")
redis = pytest.importorskip("redis", reason="the fleet needs its extras")
REDIS_URL = os.environ.get("CLINICOPS_TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs CLINICOPS_TEST_REDIS_URL (Redis)")

PER_USER = 3  # requests a minute of each kind for the one account every practice shares
PRACTICES = 4


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
    with pg_stores.when_asked() as schema_for:
        yield schema_for


def practice(folder: Path, emulator: SheetsEmulator, schema_for: object) -> Clinic:
    folder.mkdir()
    sid = create_spreadsheet(gspread_client(emulator.base_url))
    body = f'type = "gsheets"\nspreadsheet_id = "{sid}"\nendpoint_url = "{emulator.base_url}"'
    store = pg_stores.store_section(folder, schema_for)  # type: ignore[arg-type]
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


AIRTABLE_TOKEN = "patFleetQuotaTest0001"


@pytest.fixture
def airtable() -> Iterator[tuple[AirtableEmulator, SetupThenRealTime]]:
    """Airtable's emulator with its documented limits (5 a second per base, 30 s of 429s after one)."""
    clock = SetupThenRealTime()
    with AirtableEmulator(clock=clock, tokens=[AIRTABLE_TOKEN]) as found:
        yield found, clock


def airtable_practice(folder: Path, emulator: AirtableEmulator, clock: SetupThenRealTime, schema_for: object) -> str:
    """A practice on a base of its own holding ``AIRTABLE_PATIENTS`` patients; the base's id."""
    folder.mkdir()
    bucket = pacing.TokenBucket(clock=clock, sleep=lambda seconds: None)
    api, _ = make_api(AIRTABLE_TOKEN, emulator.endpoint_url, bucket)
    table = [{"name": "Table 1", "fields": [{"name": "Name", "type": "singleLineText"}]}]
    base = api.post(api.urls.bases, json={"name": "Fleet", "workspaceId": "wspFleet", "tables": table})["id"]
    (folder / "airtable.token").write_text(AIRTABLE_TOKEN)
    (folder / "airtable.token").chmod(0o600)
    body = (
        f'type = "airtable"\nbase_id = "{base}"\ntoken_file = "airtable.token"\n'
        f'endpoint_url = "{emulator.endpoint_url}"'
    )
    store = pg_stores.store_section(folder, schema_for)  # type: ignore[arg-type]
    write_config(folder, backend=body, extra=store, entities=["patient"], plugins=[])
    pacing.install(base, bucket)
    try:
        practice = Practice.open(folder)
        operations.lay_out(practice)
        practice.close()
        patients = [
            {"First name": f"Pat{i}", "Last name": f"Many{i:05d}", "Date of birth": "1980-01-02"}
            for i in range(AIRTABLE_PATIENTS)
        ]
        api.table(base, "Patients").batch_create(patients)
    finally:
        pacing.release(base)
    return base


AIRTABLE_PATIENTS = 300


def test_workers_taking_turns_on_one_airtable_base_receive_no_429(
    procs: FleetProcesses, airtable: tuple[AirtableEmulator, SetupThenRealTime], schemas: object, tmp_path: Path
) -> None:
    """One base synced again and again by whichever of three workers is free: each worker paces
    itself, and only the fleet's limiter (with its margin) keeps the hand-overs inside 5 a second."""
    from clinicops.core.fleet.registry import Fleet
    from clinicops.core.fleet.settings import from_environment
    from clinicops.core.fleet.tasks import enqueue_sync, make_app

    emulator, clock = airtable
    fleet = Fleet(from_environment(REDIS_URL, procs.name))
    app = make_app(fleet.settings)
    airtable_practice(tmp_path / "base", emulator, clock, schemas)
    name = fleet.add(tmp_path / "base")
    clock.run()
    first = len(emulator.requests)
    for _ in range(3):
        procs.worker()
    synced = lambda: fleet.summary()["requests"].get("synced", 0)  # noqa: E731
    for round_ in range(1, 9):
        assert enqueue_sync(fleet, app, name)
        wait_for(lambda r=round_: synced() >= r, 120, lambda: f"{fleet.status(name)}\n{procs.log_text()}", every=0.05)
    assert fleet.status(name)["result"] == "ok"
    seen = emulator.requests[first:]
    assert [r for r in seen if r.status == 429] == []
    assert fleet.summary()["rate_limited"] == 0
    logs = [p.read_text() for p in sorted(procs.logs.glob("worker-*.log"))]
    assert sum(1 for log in logs if "clinicops.sync[" in log) >= 2  # the base changed hands
    assert len(seen) > 8 * 3  # every sync read the base's pages (and the first wrote its ids)
    with Practice.open(tmp_path / "base").view() as view:
        assert view.count("patient") == AIRTABLE_PATIENTS


# The margin the next two tests' clients run with. Their emulator shares one interpreter with
# three busy client threads, which at times holds a request up on its way for longer than the
# default margin allows for (a tenth of a second); the margin is the setting made for that, as
# a group whose link to Airtable is that uneven would set it. With it, three bases still let
# their clients ask at more than 11 a second between them, so in the second test it is still
# the token's own spacing that holds them to its 10.
CLIENT_MARGIN = "0.06"


def test_clients_drawing_on_one_base_through_the_fleets_limiter_receive_no_429(
    airtable: tuple[AirtableEmulator, SetupThenRealTime], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three clients with no pacing of their own, each asking as fast as it may: the limiter's
    spacing (1/5 s plus the margin) is all that stands between them and Airtable's 429."""
    from clinicops.core.fleet import quota
    from clinicops.core.fleet.settings import from_environment

    emulator, clock = airtable
    bucket = pacing.TokenBucket(clock=clock, sleep=lambda seconds: None)
    api, _ = make_api(AIRTABLE_TOKEN, emulator.endpoint_url, bucket)
    table = [{"name": "Patients", "fields": [{"name": "Name", "type": "singleLineText"}]}]
    base = api.post(api.urls.bases, json={"name": "Fleet", "workspaceId": "wspFleet", "tables": table})["id"]
    url = f"{emulator.endpoint_url}/v0/{base}/Patients"
    monkeypatch.setenv("CLINICOPS_QUOTA_AIRTABLE_MARGIN", CLIENT_MARGIN)
    settings = from_environment(REDIS_URL, f"t{secrets.token_hex(4)}")
    clock.run()
    first = len(emulator.requests)
    statuses: list[int] = []

    def client(k: int) -> None:
        gate = quota.RedisQuotaGate(settings)
        with quota.serving(f"client{k}"), requests.Session() as session:
            for _ in range(8):
                gate.wait("airtable", {"base": base})
                answer = session.get(url, headers={"Authorization": f"Bearer {AIRTABLE_TOKEN}"}, timeout=10)
                statuses.append(answer.status_code)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(3)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        client_ = redis.Redis.from_url(REDIS_URL)
        client_.delete(*client_.scan_iter(f"*{settings.prefix}:*"))
    assert statuses == [200] * 24
    stamps = sorted(r.time for r in emulator.requests[first:])
    assert max(sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps) <= 5


TOKEN_RATE = 10  # the emulator's limit per token here, and the fleet's quota to match (Airtable's is 50)


def test_clients_on_several_bases_reached_with_one_token_stay_inside_the_tokens_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three unpaced clients, each on a base of its own, all with one token: each base allows
    them its 5 a second less the margin's spacing, over 11 in all, but the token only 10; the
    limiter's draw on the token (under its digest) keeps them inside it, so Airtable refuses
    none."""
    from clinicops.connectors.airtable.config import token_key
    from clinicops.core.fleet import quota
    from clinicops.core.fleet.settings import from_environment

    clock = SetupThenRealTime()
    with AirtableEmulator(clock=clock, tokens=[AIRTABLE_TOKEN], per_token_rps=TOKEN_RATE) as emulator:
        bucket = pacing.TokenBucket(clock=clock, sleep=lambda seconds: None)
        api, _ = make_api(AIRTABLE_TOKEN, emulator.endpoint_url, bucket)
        table = [{"name": "Patients", "fields": [{"name": "Name", "type": "singleLineText"}]}]
        bases = [
            api.post(api.urls.bases, json={"name": f"Fleet {k}", "workspaceId": "wspFleet", "tables": table})["id"]
            for k in range(3)
        ]
        monkeypatch.setenv("CLINICOPS_QUOTA_AIRTABLE_MARGIN", CLIENT_MARGIN)
        settings = from_environment(REDIS_URL, f"t{secrets.token_hex(4)}")
        rates = {**quota.configured(), "airtable_token": f"{TOKEN_RATE}/second"}
        clock.run()
        first = len(emulator.requests)
        statuses: list[int] = []

        def client(base: str) -> None:
            gate = quota.RedisQuotaGate(settings, rates)
            url = f"{emulator.endpoint_url}/v0/{base}/Patients"
            with quota.serving(base), requests.Session() as session:
                for _ in range(8):
                    gate.wait("airtable", {"base": base, "token": token_key(AIRTABLE_TOKEN)})
                    answer = session.get(url, headers={"Authorization": f"Bearer {AIRTABLE_TOKEN}"}, timeout=10)
                    statuses.append(answer.status_code)

        threads = [threading.Thread(target=client, args=(base,)) for base in bases]
        store = redis.Redis.from_url(REDIS_URL)
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            keys = list(store.scan_iter(f"*{settings.prefix}:*"))
        finally:
            store.delete(*store.scan_iter(f"*{settings.prefix}:*"))
        assert statuses == [200] * 24
        assert any(token_key(AIRTABLE_TOKEN).encode() in key for key in keys)
        assert not any(AIRTABLE_TOKEN.encode() in key for key in keys)  # the token never reaches Redis
        stamps = sorted(r.time for r in emulator.requests[first:])
        assert max(sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps) <= TOKEN_RATE
