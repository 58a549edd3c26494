"""Sync speed and memory on a 100,000-patient workbook (14 columns), local xlsx backend.

The workbook has the tabs and columns `clinicops init` lays out; 14 patient columns are
filled. Prints a table, then one JSON object with every figure as the last line. Figures, in one
run on the same file: the bare python-calamine read (the baseline), the first import, a
no-change re-sync, a re-sync after editing 1% of rows, validation throughput (coercion +
schema check per record) and the process's peak memory.

Targets: no-change re-sync ≤ 2× the bare read; validation ≥ 100,000 records/s; peak ≤ 1 GiB.

    python benchmarks/sync_xlsx.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import random
import resource
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from openpyxl import Workbook
from python_calamine import CalamineWorkbook
from synthetic_patients import CITIES, FIRST, HEADERS, LAST, PAYERS

from clinicops.core import operations
from clinicops.core.practice import Practice
from clinicops.core.row_parser import RowParser

# The tab as `clinicops init` lays it out has every schema column; these three stay empty.
UNFILLED = ["Member ID", "Primary provider", "Last visit"]
ALERT_HEADERS = ["ID", "Severity", "Plugin", "About", "Record", "Message", "Status", "First seen", "Resolved", "Errors"]


def patient_row(i: int, rng: random.Random, edited: bool = False) -> list:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    dob = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 30000))
    return [
        f"P{i:06d}",
        first,
        last + ("-Jones" if edited else ""),
        dob,
        rng.choice(["female", "male"]),
        f"(617) 555-{i % 10000:04d}",
        f"{first.lower()}.{i}@example.org",
        f"{rng.randrange(1, 999)} Main St",
        rng.choice(CITIES),
        "MA",
        f"0{rng.randrange(1000, 2800)}",
        rng.choice(["sms", "email", "phone"]),
        rng.choice(["sms", "email", "both", "none"]),
        rng.choice(PAYERS),
    ]


def build_workbook(path: Path, rows: int, edit_every: int = 0) -> None:
    """Write-only openpyxl: the same rows for the same seed; every Nth row edited if asked."""
    rng = random.Random(7)
    book = Workbook(write_only=True)
    ws = book.create_sheet("Patients")
    ws.append([*HEADERS, *UNFILLED, "Errors"])
    for i in range(1, rows + 1):
        ws.append(patient_row(i, rng, edited=bool(edit_every) and i % edit_every == 0))
    alerts = book.create_sheet("Alerts")
    alerts.append(ALERT_HEADERS)
    book.save(path)


def measure_validation(practice: Practice, book: Path) -> tuple[float, float]:
    """Seconds to coerce + check every row as read from the file, and for the compiled check alone.

    Run as the sync engine runs it, with the collector not walking the sheet's cells; the
    rows are this function's own, so they are gone before the syncs are measured.
    """
    entity = practice.registry["patient"]
    grid = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Patients").to_python()[1:]
    width = len(entity.fields)
    rows = [[*r[:width], *[""] * (width - len(r[:width]))] for r in grid]
    row_parser = RowParser(entity, entity.title, practice.coerce_context, lambda *_: True)
    gc.freeze()
    parse_time, parsed = timed(lambda: [row_parser.parse(i, r[0], r) for i, r in enumerate(rows)])
    gc.unfreeze()
    records = [record for record, _ in parsed]
    check_time, _ = timed(lambda: [entity.fast_validate(r) for r in records])
    return parse_time, check_time


def timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    n = args.rows
    folder = Path(tempfile.mkdtemp(prefix="clinicops-bench-"))
    (folder / "practice.toml").write_text(
        textwrap.dedent("""
        [practice]
        name = "Benchmark Clinic"
        [backend]
        type = "xlsx"
        path = "clinic.xlsx"
        [sync]
        entities = ["patient"]
        backups = 1
    """)
    )
    book = folder / "clinic.xlsx"
    build_time, _ = timed(lambda: build_workbook(book, n))
    practice = Practice.open(folder)

    def bare_read() -> int:
        return len(CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Patients").to_python())

    read_time = min(timed(bare_read)[0] for _ in range(3))
    parse_time, check_time = measure_validation(practice, book)

    first_time, first = timed(lambda: operations.sync(practice))
    assert first.entities["patient"].created == n, first.entities["patient"].as_dict()
    assert not first.errors, first.errors[:3]
    resync_runs = [timed(lambda: operations.sync(practice)) for _ in range(3)]
    resync_time = min(t for t, _ in resync_runs)
    assert all(r.total_changes == 0 and not r.wrote for _, r in resync_runs)

    build_workbook(book, n, edit_every=100)
    edit_time, edited = timed(lambda: operations.sync(practice))
    assert edited.entities["patient"].updated == n // 100, edited.entities["patient"].as_dict()

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "rows": n,
        "columns": len(HEADERS),
        "build_workbook_s": round(build_time, 3),
        "calamine_read_s": round(read_time, 3),
        "first_import_s": round(first_time, 3),
        "first_import_rows_per_s": round(n / first_time),
        "first_import_write_back_s": round(first.timings.get("write", 0) - first.timings.get("plan", 0), 3),
        "first_import_wrote": first.wrote,
        "no_change_resync_s": round(resync_time, 3),
        "no_change_vs_calamine": round(resync_time / read_time, 2),
        "resync_after_1pct_edit_s": round(edit_time, 3),
        "resync_after_1pct_edit_rows_per_s": round(n / edit_time),
        "validation_records_per_s": round(n / parse_time),
        "schema_check_only_records_per_s": round(n / check_time),
        "peak_rss_mib": round(peak_mib, 1),
        "targets": {
            "no_change_vs_calamine_max": 2.0,
            "validation_records_per_s_min": 100_000,
            "peak_rss_mib_max": 1024,
        },
    }
    rows_out = [
        ("bare calamine read (baseline)", f"{read_time:.2f} s", ""),
        ("first import", f"{first_time:.2f} s", f"{n / first_time:,.0f} rows/s"),
        (
            "  of which writing the workbook back",
            f"{first.timings.get('write', 0) - first.timings.get('plan', 0):.2f} s",
            "openpyxl rewrites the whole file when anything (here: a new alert) goes back" if first.wrote else "",
        ),
        (
            "no-change re-sync",
            f"{resync_time:.2f} s",
            f"{resync_time / read_time:.2f}× the bare read (target ≤ 2×)",
        ),
        ("re-sync after editing 1% of rows", f"{edit_time:.2f} s", f"{n / edit_time:,.0f} rows/s"),
        (
            "validation (coerce + check)",
            f"{parse_time:.2f} s",
            f"{n / parse_time:,.0f} records/s (target ≥ 100,000)",
        ),
        ("schema check only (compiled)", f"{check_time:.2f} s", f"{n / check_time:,.0f} records/s"),
        ("peak memory (process RSS)", f"{peak_mib:,.0f} MiB", "target ≤ 1,024 MiB"),
    ]
    print(f"clinicops xlsx sync, {n:,} patients × {len(HEADERS)} columns (python {sys.version.split()[0]})")
    width = max(len(r[0]) for r in rows_out)
    for label, value, note in rows_out:
        print(f"  {label:<{width}}  {value:>10}  {note}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
