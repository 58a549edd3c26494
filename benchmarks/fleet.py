"""A fleet of simulated practices synced by 1, 2 and 4 workers sharing one service account.

Practices (a mix of 75% on Google Sheets, 20% on Airtable, 5% on
workbooks; sizes ~2k rows, ~1k records and ~20k rows times ``--scale``) are made against
the loopback emulators, which count quotas the way the services do (Sheets: 300 reads and
300 writes a minute per project, 60 of each per user, and every practice here is one
user; Airtable: 5 requests a second per base, 5 tokens shared by the bases). For each
worker count a fresh set of practices is made, registered in a fleet of its own on Redis,
and one first-import sync of each is enqueued to ``clinicops worker`` processes.

While practices are being made, the emulators' clocks jump a minute per request, so setting
up spends no quota; the runs are in real time.

Figures per worker count: syncs completed per minute; queue wait p50/p95 (enqueue to the
sync's start); requests per minute per quota against the quota: Sheets reads and writes
against the account's 60 a minute (the one service account is also its project's only
user, so the project's 300 never binds first), and the busiest Airtable base's requests
per minute against its 300 (5 a second), with its busiest second; 429s received (goal 0);
and the quota-imposed floor of the run's time (the Sheets requests at 60 a minute, the
busiest base's at 5 a second) as a share of the time taken (goal >= 90% once quota-bound),
and the least time the account's quota allows the Sheets requests (in a moving minute, request
i + 60 comes a minute after request i) over the time they took, first to last: how close the
fleet came to the ceiling while that quota bound it.
``--kill-every S`` adds a run with two workers where one is killed (SIGKILL) every S
seconds and replaced, then checks every practice converged with no record lost: the store
holds exactly the rows the practice was made with, and another sync changes nothing.

    python benchmarks/fleet.py [--practices 200] [--scale 1] [--workers 1 2 4] [--kill-every 30] [--kill-first]

Prints a table, then one JSON object with every figure as the last line. Needs the fleet
extras and Redis (``CLINICOPS_REDIS_URL`` or ``--redis``).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
from pyairtable import Api

from clinicops.connectors.airtable import pacing
from clinicops.connectors.airtable.config import make_api
from clinicops.connectors.emulators.airtable import AirtableEmulator
from clinicops.connectors.emulators.setup_clock import SetupThenRealTime
from clinicops.connectors.emulators.sheets import SheetsEmulator, gspread_client
from clinicops.core import operations
from clinicops.core.fleet.registry import Fleet
from clinicops.core.fleet.settings import from_environment
from clinicops.core.fleet.tasks import enqueue_sync, make_app
from clinicops.core.practice import Practice

TOKENS = [f"patFleetBenchmark{i}" for i in range(5)]
EXE = str(Path(sys.executable).parent / "clinicops")
SHEETS_PER_USER = 60
SHEETS_PER_PROJECT = 300
AIRTABLE_PER_BASE_MINUTE = 300


def rows(n: int, seed: int, born: str = "1/2/1980") -> list[dict[str, Any]]:
    return [{"First name": f"Pat{seed}x{i}", "Last name": f"Many{i:05d}", "Date of birth": born} for i in range(n)]


def config(folder: Path, backend: str) -> None:
    folder.mkdir(parents=True)
    (folder / "practice.toml").write_text(
        textwrap.dedent(f"""
        [practice]
        name = "Fleet Clinic {folder.name}"
        [backend]
        {{backend}}
        [sync]
        entities = ["patient"]
        [plugins]
        enabled = []
        [plugins.access_log]
        export_every_days = 0
        """).replace("{backend}", backend)
    )


def sheets_practice(folder: Path, emulator: SheetsEmulator, n: int) -> None:
    gc = gspread_client(emulator.base_url)
    sid = gc.http_client.request("post", "https://sheets.googleapis.com/v4/spreadsheets", json={}).json()
    config(folder, f'type = "gsheets"\nspreadsheet_id = "{sid["spreadsheetId"]}"\nendpoint_url = "{emulator.base_url}"')
    practice = Practice.open(folder)
    operations.lay_out(practice)
    practice.close()
    ws = gc.open_by_key(sid["spreadsheetId"]).worksheet("Patients")
    header = ws.row_values(1)
    ws.append_rows([[r.get(h, "") for h in header] for r in rows(n, hash(folder.name) % 1000)])


def airtable_practice(folder: Path, emulator: AirtableEmulator, clock: SetupThenRealTime, n: int, i: int) -> None:
    token = TOKENS[i % len(TOKENS)]
    bucket = pacing.TokenBucket(clock=clock, sleep=lambda s: None)
    api, _ = make_api(token, emulator.endpoint_url, bucket)
    base = api.post(
        api.urls.bases,
        json={
            "name": folder.name,
            "workspaceId": "wspFleet",
            "tables": [{"name": "Table 1", "fields": [{"name": "Name", "type": "singleLineText"}]}],
        },
    )["id"]
    config(
        folder,
        f'type = "airtable"\nbase_id = "{base}"\ntoken_env = "FLEET_BENCH_TOKEN_{i % 5}"\n'
        f'endpoint_url = "{emulator.endpoint_url}"',
    )
    os.environ[f"FLEET_BENCH_TOKEN_{i % 5}"] = token
    pacing.install(base, bucket)
    practice = Practice.open(folder)
    operations.lay_out(practice)
    practice.close()
    Api(token, endpoint_url=emulator.endpoint_url).table(base, "Patients").batch_create(rows(n, i, "1980-01-02"))
    pacing.release(base)


def xlsx_practice(folder: Path, n: int) -> None:
    config(folder, 'type = "xlsx"\npath = "clinic.xlsx"')
    practice = Practice.open(folder)
    operations.lay_out(practice)
    practice.close()
    book = openpyxl.load_workbook(folder / "clinic.xlsx")
    ws = book["Patients"]
    header = [c.value for c in ws[1]]
    for r in rows(n, 7):
        ws.append([r.get(h) for h in header])
    book.save(folder / "clinic.xlsx")


def make_practices(root: Path, args: argparse.Namespace, emus: dict[str, Any], clocks: list[Any]) -> dict[Path, int]:
    """The practices' folders, each with how many patients it was made with."""
    for clock in clocks:
        clock.setup()
    n_air = round(args.practices * 0.2)
    n_xlsx = max(1, round(args.practices * 0.05))
    n_sheets = args.practices - n_air - n_xlsx
    made = {}
    for i in range(args.practices):
        folder = root / f"p{i:03d}"
        if i < n_sheets:
            made[folder] = max(1, round(2000 * args.scale))
            sheets_practice(folder, emus["sheets"], made[folder])
        elif i < n_sheets + n_air:
            made[folder] = max(1, round(1000 * args.scale))
            airtable_practice(folder, emus["airtable"], clocks[1], made[folder], i)
        else:
            made[folder] = max(1, round(20000 * args.scale))
            xlsx_practice(folder, made[folder])
    return made


def start_worker(env: dict[str, str], logs: Path, k: int) -> subprocess.Popen[bytes]:
    out = (logs / f"worker-{k}.log").open("wb")
    return subprocess.Popen(
        [EXE, "worker", "--pool", "solo"], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(procs: list[subprocess.Popen[bytes]], sig: int = signal.SIGTERM) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, sig)
    for p in procs:
        p.wait(timeout=60)


def run(
    args: argparse.Namespace, workers: int, emus: dict[str, Any], clocks: list[Any], kill_every: float = 0
) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="clinicops-fleet-bench-"))
    setup_started = time.monotonic()
    folders = make_practices(root, args, emus, clocks)
    name = f"bench{secrets.token_hex(3)}"
    env = {
        **os.environ,
        "CLINICOPS_FLEET": name,
        "CLINICOPS_REDIS_URL": args.redis,
        "CLINICOPS_FLEET_LOCK_SECONDS": "10",
        # Longer than the longest sync here (a 20k-row workbook, a 1k-record base at 5 a second),
        # or Redis would deliver a running sync's task again; a killed worker's task comes back after it.
        "CLINICOPS_FLEET_VISIBILITY_SECONDS": str(args.visibility),
    }
    fleet = Fleet(from_environment(args.redis, name))
    app = make_app(fleet.settings)
    names = [fleet.add(f) for f in folders]
    made_at = time.monotonic()
    marks = {k: len(e.requests) for k, e in emus.items()}
    for clock in clocks:
        clock.run()
    procs = [start_worker(env, root, k) for k in range(workers)]
    started = time.monotonic()
    for n in names:
        enqueue_sync(fleet, app, n)
    kills, last_kill, last_note = 0, started, started
    while not all(fleet.status(n).get("result") for n in names):
        time.sleep(0.5)
        if time.monotonic() - last_note >= 60:
            done = sum(1 for n in names if fleet.status(n).get("result"))
            took = time.monotonic() - started
            print(f"  {workers} workers: {done}/{len(names)} synced after {took:.0f} s", file=sys.stderr)
            last_note = time.monotonic()
        if kill_every and time.monotonic() - last_kill >= kill_every:
            stop([procs[0]], signal.SIGKILL)
            procs[0] = start_worker(env, root, len(procs) + kills)
            kills, last_kill = kills + 1, time.monotonic()
        if time.monotonic() - started > args.timeout:
            break
    elapsed = time.monotonic() - started
    stop(procs)
    for clock in clocks:
        clock.setup()
    out = figures(fleet, names, emus, marks, elapsed, workers)
    out["kills"] = kills
    out["setup_seconds"] = round(made_at - setup_started, 1)
    if kill_every:
        out["converged"] = converged(folders)
    fleet.redis.delete(*fleet.redis.keys(f"{fleet.settings.prefix}:*"), fleet.settings.queue)
    shutil.rmtree(root, ignore_errors=True)
    return out


def figures(
    fleet: Fleet, names: list[str], emus: dict[str, Any], marks: dict[str, int], elapsed: float, workers: int
) -> dict[str, Any]:
    statuses = [fleet.status(n) for n in names]
    waits = sorted(s.get("queue_wait_s") or 0.0 for s in statuses)
    sheets = emus["sheets"].requests[marks["sheets"] :]
    air = emus["airtable"].requests[marks["airtable"] :]
    kinds = Counter(r.kind for r in sheets if r.status != 429)
    per_second: Counter[tuple[str, int]] = Counter()
    for r in air:
        if r.base_id:
            per_second[(r.base_id, int(r.time))] += 1
    per_base = Counter(r.base_id for r in air if r.base_id)
    times: dict[str, list[float]] = {}
    for r in air:
        if r.base_id:
            times.setdefault(r.base_id, []).append(r.time)
    spans = {b: max(t) - min(t) for b, t in times.items()}
    # The busiest base's own pace, over the time it was being synced (its quota is per base).
    busiest = max(per_base, key=lambda b: per_base[b], default=None)
    floor = max(max(kinds.values(), default=0) / SHEETS_PER_USER * 60, max(per_base.values(), default=0) / 5)
    # How close the Sheets requests came to the ceiling the account's quota sets: in a moving
    # minute, request i + 60 comes at least a minute after request i, so n requests span at least
    # (n - 1) // 60 minutes; that floor over the span they took (first to last request).
    stamps = [r.time for r in sheets if r.status != 429]
    sheets_span = max(stamps) - min(stamps) if len(stamps) > 1 else 0.0
    minutes = elapsed / 60
    return {
        "workers": workers,
        "practices": len(names),
        "ok": sum(1 for s in statuses if s.get("result") == "ok"),
        "seconds": round(elapsed, 1),
        "syncs_per_minute": round(len(names) / minutes, 1),
        "queue_wait_p50_s": round(statistics.median(waits), 2) if waits else None,
        "queue_wait_p95_s": round(waits[min(len(waits) - 1, int(0.95 * len(waits)))], 2) if waits else None,
        "sheets_reads_per_minute": round(kinds["read"] / minutes, 1),
        "sheets_writes_per_minute": round(kinds["write"] / minutes, 1),
        "sheets_quota_per_minute": SHEETS_PER_USER,
        "sheets_span_s": round(sheets_span, 1),
        "sheets_quota_use": round((max(kinds.values(), default=1) - 1) // SHEETS_PER_USER * 60 / sheets_span, 3)
        if sheets_span
        else None,
        "sheets_project_quota_per_minute": SHEETS_PER_PROJECT,
        "airtable_requests": sum(per_base.values()),
        "airtable_busiest_base_requests": per_base[busiest] if busiest else 0,
        "airtable_busiest_base_per_minute": round(per_base[busiest] / max(spans[busiest], 1.0) * 60, 1)
        if busiest
        else 0.0,
        "airtable_quota_per_base_minute": AIRTABLE_PER_BASE_MINUTE,
        "airtable_busiest_base_second": max(per_second.values(), default=0),
        "http_429": sum(1 for r in [*sheets, *air] if r.status == 429),
        "quota_floor_share": round(floor / elapsed, 3) if elapsed else None,
    }


def converged(folders: dict[Path, int]) -> bool:
    """Every practice's store holds exactly the patients it was made with, and a sync changes nothing."""
    for folder, patients in folders.items():
        practice = Practice.open(folder)
        try:
            if operations.sync(practice).total_changes != 0:
                return False
            with practice.view() as view:
                if view.count("patient") != patients:
                    return False
        finally:
            practice.close()
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=20)
    parser.add_argument(
        "--scale",
        type=float,
        default=0.05,
        help="row counts as a share of the full sizes (2k rows, 1k records, 20k rows)",
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--kill-every", type=float, default=30.0, help="0: no run with killed workers")
    parser.add_argument("--kill-first", action="store_true", help="the run with killed workers before the others")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds a run may take before it is cut")
    parser.add_argument("--visibility", type=float, default=90.0, help="seconds before a task is delivered again")
    parser.add_argument("--redis", default=os.environ.get("CLINICOPS_REDIS_URL", "redis://127.0.0.1:6379/15"))
    args = parser.parse_args()
    clocks = [SetupThenRealTime(), SetupThenRealTime()]
    with SheetsEmulator(clock=clocks[0]) as sheets, AirtableEmulator(clock=clocks[1], tokens=TOKENS) as air:
        emus = {"sheets": sheets, "airtable": air}
        plan = [(w, 0.0) for w in args.workers]
        killing = [(2, args.kill_every)] if args.kill_every else []
        plan = killing + plan if args.kill_first else plan + killing
        results = []
        for workers, kill_every in plan:
            results.append(run(args, workers, emus, clocks, kill_every=kill_every))
            print(f"  run: {json.dumps(results[-1])}", file=sys.stderr)  # a long run's figures so far
    head = [
        "workers",
        "ok",
        "seconds",
        "syncs/min",
        "wait p50",
        "wait p95",
        "reads/min",
        "writes/min",
        "air base/min",
        "air max/s",
        "429s",
        "floor share",
        "sheets quota use",
        "kills",
        "converged",
    ]
    print(" | ".join(head))
    for r in results:
        print(
            " | ".join(
                str(v)
                for v in (
                    r["workers"],
                    f"{r['ok']}/{r['practices']}",
                    r["seconds"],
                    r["syncs_per_minute"],
                    r["queue_wait_p50_s"],
                    r["queue_wait_p95_s"],
                    f"{r['sheets_reads_per_minute']}/{SHEETS_PER_USER}",
                    f"{r['sheets_writes_per_minute']}/{SHEETS_PER_USER}",
                    f"{r['airtable_busiest_base_per_minute']}/{AIRTABLE_PER_BASE_MINUTE}",
                    f"{r['airtable_busiest_base_second']}/5",
                    r["http_429"],
                    r["quota_floor_share"],
                    r["sheets_quota_use"],
                    r["kills"],
                    r.get("converged", "-"),
                )
            )
        )
    print(json.dumps({"practices": args.practices, "scale": args.scale, "runs": results}))


if __name__ == "__main__":
    main()
