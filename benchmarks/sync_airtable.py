"""Requests per sync and time against Airtable's 5 requests/s, for 1k, 10k and 50k patients.

Every figure comes from one run against the Airtable emulator (in this process, with
Airtable's limits: 5 requests/s per base, a 30 s penalty after a 429). The emulator and
the token bucket share a virtual clock, so waiting for the rate limit costs no real time
while every request keeps its place in (virtual) time.

The job, for each size: staff typed N patients into the base without MRNs; a sync
imports them and writes each new MRN back. Then a sync with nothing to do.

- clinicops: ``clinicops sync`` (100 records a read, 10 a write, paced).
- baseline, in the same run, on a second base with the same rows: a naive loop — list
  the table with pyairtable's ``all()`` (pages of 100, as any client gets) and write each
  MRN with its own ``update()``. It is paced by the same bucket; unpaced it would meet
  429s and their 30 s penalties.

Figures: requests per sync and the floor (``ceil(n/100)`` reads per table +
``ceil(k/10)`` writes); virtual wall time as a ratio of the rate-limit floor
(requests ÷ 5/s); 429s received; and the real wall and CPU seconds this machine spent
(CPU includes the in-process emulator). Prints a table, then one JSON object with every
figure as the last line.

    python benchmarks/sync_airtable.py [--sizes 1000 10000 50000]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from pyairtable import Api

from clinicops.connectors.airtable import pacing
from clinicops.connectors.airtable.config import make_api
from clinicops.connectors.emulators.airtable import AirtableEmulator, FakeClock
from clinicops.core import operations
from clinicops.core.practice import Practice

TOKEN = "patBenchmarkClinicops"
FIRST = ["Ava", "Liam", "Noah", "Emma", "Mia", "Lucas", "Zoe", "Omar", "Priya", "Chen"]
LAST = ["Smith", "Nguyen", "Garcia", "Patel", "Kim", "Okafor", "Rossi", "Cohen", "Silva", "Murphy"]
CITIES = ["Boston", "Cambridge", "Somerville", "Brookline", "Quincy", "Newton"]


def staff_rows(n: int) -> list[dict[str, Any]]:
    """Patients as staff type them: no MRN yet, ten columns filled."""
    return [
        {
            "First name": FIRST[i % 10],
            "Last name": f"{LAST[i // 10 % 10]}-{i}",
            "Date of birth": f"{1 + i % 12}/{1 + i % 28}/{1940 + i % 60}",
            "Sex": ["female", "male"][i % 2],
            "Phone": f"(617) 555-{i % 10000:04d}",
            "Email": f"p{i}@example.org",
            "City": CITIES[i % 6],
            "State": "MA",
            "ZIP": f"0{2100 + i % 700}",
            "Reminder consent": ["sms", "email", "both", "none"][i % 4],
        }
        for i in range(n)
    ]


def new_base(api: Api, name: str) -> str:
    placeholder = {"name": "Table 1", "fields": [{"name": "Name", "type": "singleLineText"}]}
    body = {"name": name, "workspaceId": "wspBenchmark", "tables": [placeholder]}
    return str(api.post(api.urls.bases, json=body)["id"])


def practice_for(folder: Path, base_id: str, endpoint: str) -> Practice:
    folder.mkdir(parents=True)
    token = folder / "airtable.token"
    token.write_text(TOKEN)
    token.chmod(0o600)
    (folder / "practice.toml").write_text(
        textwrap.dedent(f"""
        [practice]
        name = "Benchmark Clinic"
        [backend]
        type = "airtable"
        base_id = "{base_id}"
        token_file = "airtable.token"
        endpoint_url = "{endpoint}"
        [sync]
        entities = ["patient"]
        [plugins]
        enabled = []
    """)
    )
    return Practice.open(folder)


def naive_loop(api: Api, base_id: str, first_id: int) -> int:
    """List the table, then give each row its MRN with one request per record."""
    table = api.table(base_id, "Patients")
    records = table.all()
    for offset, record in enumerate(records):
        table.update(record["id"], {"MRN": f"P{first_id + offset:06d}"})
    return len(records)


def measure(clock: FakeClock, fn: Any) -> tuple[Any, float, float, float]:
    """(result, virtual seconds, real wall seconds, CPU seconds)."""
    virtual, wall, cpu = clock(), time.perf_counter(), time.process_time()
    result = fn()
    return result, clock() - virtual, time.perf_counter() - wall, time.process_time() - cpu


def run(n: int, root: Path) -> dict[str, Any]:
    clock = FakeClock()
    with AirtableEmulator(clock=clock, tokens=[TOKEN]) as emulator:
        bucket = pacing.TokenBucket(clock=clock, sleep=clock.advance)
        staff, _ = make_api(TOKEN, emulator.endpoint_url, bucket)
        ours, theirs = new_base(staff, "clinicops"), new_base(staff, "naive")
        for base_id in (ours, theirs):
            pacing.install(base_id, bucket)
        practice = practice_for(root / f"n{n}", ours, emulator.endpoint_url)
        twin = practice_for(root / f"n{n}-naive", theirs, emulator.endpoint_url)
        rows = staff_rows(n)
        for each, base_id in ((practice, ours), (twin, theirs)):
            operations.lay_out(each)
            staff.table(base_id, "Patients").batch_create(rows, typecast=True)
        twin.close()

        report, virtual, wall, cpu = measure(clock, lambda: operations.sync(practice))
        assert report.entities["patient"].created == n and not report.errors, report.as_dict()["entities"]
        again, again_virtual, again_wall, _ = measure(clock, lambda: operations.sync(practice))
        assert again.total_changes == 0 and not again.wrote

        naive_api, naive_session = make_api(TOKEN, emulator.endpoint_url, bucket)
        _, naive_virtual, naive_wall, _ = measure(clock, lambda: naive_loop(naive_api, theirs, 1))
        log = emulator.requests
        practice.close()
    floor = math.ceil(n / 100) + 1 + math.ceil(n / 10)
    stats = report.backend_stats
    return {
        "records": n,
        "clinicops": {
            "requests": report.requests,
            "floor": floor,
            "reads": stats["reads"],
            "writes": stats["writes"],
            "http_429": stats["http_429"],
            "virtual_s": round(virtual, 1),
            "floor_s": round(report.requests / pacing.REQUESTS_PER_SECOND, 1),
            "time_vs_floor": round(virtual / (report.requests / pacing.REQUESTS_PER_SECOND), 3),
            "real_wall_s": round(wall, 2),
            "real_cpu_s": round(cpu, 2),
            "no_change_requests": again.requests,
            "no_change_virtual_s": round(again_virtual, 1),
            "no_change_real_wall_s": round(again_wall, 2),
        },
        "naive": {
            "requests": naive_session.stats.requests,
            "http_429": naive_session.stats.http_429,
            "virtual_s": round(naive_virtual, 1),
            "time_vs_floor": round(naive_virtual / (naive_session.stats.requests / pacing.REQUESTS_PER_SECOND), 3),
            "real_wall_s": round(naive_wall, 2),
        },
        "requests_saved": round(naive_session.stats.requests / report.requests, 1),
        "emulator_429s": sum(1 for entry in log if entry.status == 429),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="clinicops-airtable-bench-"))
    started = time.perf_counter()
    results = [run(n, root) for n in args.sizes]
    total = time.perf_counter() - started

    print(f"clinicops airtable sync vs a naive one-record-per-request loop (python {sys.version.split()[0]})")
    print("virtual = time on the emulator's clock at Airtable's 5 requests/s; real = this machine")
    header = (
        f"{'records':>8}  {'who':<9} {'requests':>9} {'floor':>7} {'429s':>5} "
        f"{'virtual':>11} {'vs floor':>8} {'real wall':>9} {'real cpu':>8}  {'no-change':>9}"
    )
    print(header)
    for r in results:
        c, b = r["clinicops"], r["naive"]
        print(
            f"{r['records']:>8,}  {'clinicops':<9} {c['requests']:>9,} {c['floor']:>7,} {c['http_429']:>5} "
            f"{c['virtual_s']:>10,.0f}s {c['time_vs_floor']:>7.3f}x {c['real_wall_s']:>8.2f}s {c['real_cpu_s']:>7.2f}s"
            f"  {c['no_change_requests']:>9,}"
        )
        print(
            f"{'':>8}  {'naive':<9} {b['requests']:>9,} {'':>7} {b['http_429']:>5} "
            f"{b['virtual_s']:>10,.0f}s {b['time_vs_floor']:>7.3f}x {b['real_wall_s']:>8.2f}s"
            f"  ({r['requests_saved']}x the requests of clinicops)"
        )
    print(f"total real time {total:.1f} s")
    print(json.dumps({"sizes": results, "total_real_s": round(total, 1)}))


if __name__ == "__main__":
    main()
