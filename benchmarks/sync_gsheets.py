"""Requests, wall time and bytes per sync on Google Sheets (the emulator), against a naive gspread loop.

For each size (10,000 / 50,000 / 100,000 patients, 14 columns typed by staff, ids blank)
one run measures three clinicops syncs against a Sheets emulator on loopback:

- first import: every row gets an id, written back (one changed cell per row);
- after a plugin changed 1% of the records in the store (one changed cell each);
- a no-change re-sync right after that sync that wrote, and a second one: with the digest of
  what each tab holds after a write kept, both skip the untouched tab without parsing a row
  (``parse_s``: the engine's time from the end of the read to the end of the inbound pass).

The baseline, measured in the same run on the same spreadsheet, is the loop people
write first with gspread: open the spreadsheet, read the tab, then ``update_cell`` for
each changed cell. Its request count is exact (3 + one per changed cell). Its time and
bytes are measured on a sample of changed cells (``--sample``) and extrapolated to all
of them; the output says so. Bytes are HTTP bodies (requests + answers) as the emulator
logged them, for both. The emulator's per-request cost is not Google's (Google answers
in ~0.1–0.5 s and allows 60 write requests a minute per user), so the table also shows
the minimum time each approach needs under that quota.

    python benchmarks/sync_gsheets.py [--sizes 10000 50000 100000] [--sample 100]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import gspread
from synthetic_patients import CITIES, FIRST, HEADERS, LAST, PAYERS

from clinicops.connectors.emulators.sheets import SheetsEmulator, gspread_client
from clinicops.connectors.gsheets.values import column_letters
from clinicops.core import operations
from clinicops.core.practice import Practice

WRITE_QUOTA_PER_MINUTE = 60
API = "https://sheets.googleapis.com/v4/spreadsheets"


def patient_row(i: int, rng: random.Random) -> list[Any]:
    """One patient as staff type it: MRN blank, date of birth as the serial Sheets stores."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return [
        "",
        first,
        last,
        14_611 + rng.randrange(0, 30_000),
        rng.choice(["female", "male"]),
        f"(617) 555-{i % 10000:04d}",
        f"{first.lower()}.{i}@example.org",
        f"{rng.randrange(1, 999)} Main St",
        rng.choice(CITIES),
        "MA",
        f"0{rng.randrange(1000, 2800)}",
        rng.choice(["sms", "email", "phone"]),
        rng.choice(["sms", "email", "both"]),
        rng.choice(PAYERS),
    ]


def practice_folder(base_url: str, spreadsheet_id: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="clinicops-gsheets-bench-"))
    (folder / "practice.toml").write_text(
        textwrap.dedent(f"""
        [practice]
        name = "Benchmark Clinic"
        [backend]
        type = "gsheets"
        spreadsheet_id = "{spreadsheet_id}"
        endpoint_url = "{base_url}"
        [sync]
        entities = ["patient"]
        [plugins]
        enabled = []
    """)
    )
    return folder


def traffic(emulator: SheetsEmulator, since: int) -> tuple[int, int, int]:
    """(requests, write requests, body bytes both ways) the emulator logged since a mark."""
    logged = emulator.requests[since:]
    return (
        len(logged),
        sum(1 for r in logged if r.kind == "write"),
        sum(r.request_bytes + r.response_bytes for r in logged),
    )


def clinicops_sync(practice: Practice, emulator: SheetsEmulator) -> dict[str, Any]:
    mark = len(emulator.requests)
    start = time.perf_counter()
    report = operations.sync(practice)
    wall = time.perf_counter() - start
    requests, writes, size = traffic(emulator, mark)
    assert requests == report.requests, (requests, report.requests)
    assert not report.errors, report.errors[:3]
    parse = report.timings.get("inbound", 0.0) - report.timings.get("read", 0.0)
    return {
        "requests": requests,
        "write_requests": writes,
        "wall_s": round(wall, 3),
        "parse_s": round(parse, 3),
        "bytes": size,
    }


def naive_loop(
    gc: gspread.Client, spreadsheet_id: str, emulator: SheetsEmulator, changed: list[tuple[int, int, Any]], sample: int
) -> dict[str, Any]:
    """Open, read the tab, then ``update_cell`` per changed cell — timed on a sample, extrapolated."""
    mark = len(emulator.requests)
    start = time.perf_counter()
    ws = gc.open_by_key(spreadsheet_id).worksheet("Patients")
    ws.get_all_values()
    read_wall = time.perf_counter() - start
    read_requests, _, read_bytes = traffic(emulator, mark)
    picked = changed[:sample]
    mark = len(emulator.requests)
    start = time.perf_counter()
    for row, col, value in picked:
        ws.update_cell(row, col, value)
    per_cell_wall = (time.perf_counter() - start) / max(1, len(picked))
    _, _, sample_bytes = traffic(emulator, mark)
    per_cell_bytes = sample_bytes / max(1, len(picked))
    return {
        "requests": read_requests + len(changed),
        "write_requests": len(changed),
        "wall_s": round(read_wall + per_cell_wall * len(changed), 3),
        "bytes": round(read_bytes + per_cell_bytes * len(changed)),
        "sampled_cells": len(picked),
        "extrapolated": len(picked) < len(changed),
    }


def quota_minutes(write_requests: int) -> float:
    """The least time Google's default write quota (60 a minute per user) allows for these writes."""
    return round(write_requests / WRITE_QUOTA_PER_MINUTE, 2)


def run_size(n: int, sample: int) -> dict[str, Any]:
    quota = 10_000_000
    with SheetsEmulator(
        read_quota_per_minute=quota, write_quota_per_minute=quota, user_quota_per_minute=quota
    ) as emulator:
        gc = gspread_client(emulator.base_url)
        spreadsheet_id = str(
            gc.http_client.request("post", API, json={"properties": {"title": "Bench"}}).json()["spreadsheetId"]
        )
        practice = Practice.open(practice_folder(emulator.base_url, spreadsheet_id))
        operations.lay_out(practice)
        sh = gc.open_by_key(spreadsheet_id)
        ws = sh.worksheet("Patients")
        header = ws.row_values(1)
        order = [header.index(h) for h in HEADERS]
        rng = random.Random(7)
        ws.add_rows(n)
        rows = []
        for i in range(1, n + 1):
            values = patient_row(i, rng)
            line: list[Any] = [None] * (max(order) + 1)
            for position, value in zip(order, values, strict=True):
                line[position] = value
            rows.append(line)
        sh.values_batch_update({"valueInputOption": "RAW", "data": [{"range": "'Patients'!A2", "values": rows}]})

        first = clinicops_sync(practice, emulator)
        mrn_col = header.index("MRN") + 1
        letter = column_letters(mrn_col - 1)
        ids = [r[0] for r in sh.values_get(f"'Patients'!{letter}2:{letter}")["values"]]
        assert len(ids) == n
        changed = [(row, mrn_col, mrn) for row, mrn in enumerate(ids, start=2)]
        naive_first = naive_loop(gc, spreadsheet_id, emulator, changed, sample)

        city_col = header.index("City") + 1
        edited = list(range(1, n + 1, 100))
        with practice.view(source="plugin:bench", actor="bench") as view:
            for i in edited:
                record = view.get("patient", f"P{i:06d}")
                view.save("patient", {**record, "city": "Salem"}, plugin="bench")
        store_change = clinicops_sync(practice, emulator)
        naive_change = naive_loop(gc, spreadsheet_id, emulator, [(i + 1, city_col, "Salem") for i in edited], sample)

        quiet = clinicops_sync(practice, emulator)
        naive_quiet = naive_loop(gc, spreadsheet_id, emulator, [], sample)
        again = clinicops_sync(practice, emulator)
        practice.close()
        assert quiet["write_requests"] == 0 and again["write_requests"] == 0
    return {
        "rows": n,
        "first_import": {"changed_cells": n, "clinicops": first, "naive": naive_first},
        "store_change_1pct": {"changed_cells": len(edited), "clinicops": store_change, "naive": naive_change},
        "no_change": {"changed_cells": 0, "clinicops": quiet, "naive": naive_quiet},
        "no_change_again": {"changed_cells": 0, "clinicops": again, "naive": naive_quiet},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--sample", type=int, default=100, help="changed cells the naive loop really writes")
    args = parser.parse_args()
    started = time.perf_counter()
    results = [run_size(n, args.sample) for n in args.sizes]
    print(f"clinicops Google Sheets sync vs a naive gspread loop (emulator; python {sys.version.split()[0]})")
    print(
        f"naive time and bytes are extrapolated from {args.sample} cells written per scenario; "
        "its request counts are exact"
    )
    line = "{:>7}  {:<18} {:>8} {:>9} {:>11} {:>10} {:>8} {:>12} {:>14} {:>14}"
    print(
        line.format(
            "rows", "sync", "changed", "requests", "naive req", "wall s", "parse s", "naive wall s", "MB", "naive MB"
        )
    )
    for result in results:
        for scenario in ("first_import", "store_change_1pct", "no_change", "no_change_again"):
            s = result[scenario]
            ours, naive = s["clinicops"], s["naive"]
            print(
                line.format(
                    f"{result['rows']:,}",
                    scenario,
                    f"{s['changed_cells']:,}",
                    ours["requests"],
                    f"{naive['requests']:,}",
                    f"{ours['wall_s']:.2f}",
                    f"{ours['parse_s']:.2f}",
                    f"{naive['wall_s']:.2f}" + ("*" if naive["extrapolated"] else ""),
                    f"{ours['bytes'] / 1e6:.2f}",
                    f"{naive['bytes'] / 1e6:.2f}" + ("*" if naive["extrapolated"] else ""),
                )
            )
            s["quota_minutes"] = {
                "clinicops": quota_minutes(ours["write_requests"]),
                "naive": quota_minutes(naive["write_requests"]),
            }
    print("* extrapolated from the sample")
    worst = max(results, key=lambda r: r["rows"])["first_import"]["quota_minutes"]
    print(
        f"at Google's default 60 write requests/min per user, the largest first import needs "
        f"{worst['clinicops']} min of write quota with clinicops and {worst['naive']:,} min with the naive loop"
    )
    figures = {
        "sizes": args.sizes,
        "naive_sample_cells": args.sample,
        "naive_time_and_bytes_extrapolated": True,
        "results": results,
        "benchmark_wall_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
