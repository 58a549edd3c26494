"""A first import of a 1,000,000-patient workbook saved the way Excel saves one.

The workbook (14 filled columns, text in the shared-strings table, dates as serial
numbers) is written row by row in a process of its own, so building it costs the import
no memory. The import runs in another process, a plain ``clinicops sync`` of a new
practice: every statement must stay under SQLite's variable limit and every row must
arrive. With ``--blank-ids`` no row has an id yet: each gets one, reserved in the store
and written back into the workbook, the heaviest first import there is.

Prints the rows imported, wall and CPU seconds, the import's peak memory (``VmHWM``
of its process) and, with ``--compare N``, the same import at N rows, so the growth of
memory with rows can be read off; then one JSON object with every figure as its last line.

    python benchmarks/import_million.py [--rows 1000000] [--blank-ids] [--compare 250000]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from excel_like_workbook import write_workbook
from sync_xlsx import ALERT_HEADERS, UNFILLED, patient_row, peak_rss_mib, practice_folder
from synthetic_patients import HEADERS


def build(path: Path, rows: int, blank_ids: bool) -> None:
    """The same rows for the same seed; with ``blank_ids`` the MRN column is left empty."""
    rng = random.Random(7)

    def patients() -> Iterator[list]:
        yield [*HEADERS, *UNFILLED, "Errors"]
        for i in range(1, rows + 1):
            row = patient_row(i, rng)
            if blank_ids:
                row[0] = None
            yield row

    write_workbook(path, {"Patients": patients(), "Alerts": [ALERT_HEADERS]})


def import_once(folder: Path) -> dict:
    """The first sync of the practice in ``folder``, in this process: its figures."""
    from clinicops.core import operations
    from clinicops.core.practice import Practice

    practice = Practice.open(folder)
    wall, cpu = time.perf_counter(), time.process_time()
    report = operations.sync(practice)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    patients = report.entities["patient"]
    practice.close()
    return {
        "rows_imported": patients.created,
        "errors": len(patients.errors),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "wrote_back": report.wrote,
        "timings_s": {k: round(v, 1) for k, v in report.timings.items()},
    }


def child(*args: str) -> str:
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args[:1])} failed:\n{out.stderr[-4000:]}")
    return out.stdout.strip().splitlines()[-1]


def measure(rows: int, blank_ids: bool, keep: bool) -> dict:
    """Build in one child process, import in another; the figures of both."""
    folder = practice_folder()
    started = time.perf_counter()
    child("--build-only", str(folder), "--rows", str(rows), *(["--blank-ids"] if blank_ids else []))
    built = time.perf_counter() - started
    size = (folder / "clinic.xlsx").stat().st_size
    print(f"built {rows:,} rows in {built:.0f} s ({size / 2**20:.0f} MiB); importing…", file=sys.stderr, flush=True)
    figures = json.loads(child("--import-only", str(folder)))
    db = folder / "data" / "clinicops.db"
    figures |= {"rows": rows, "build_s": round(built, 1), "workbook_mib": round(size / 2**20, 1)}
    figures["store_mib"] = round(db.stat().st_size / 2**20, 1) if db.exists() else None
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    else:
        figures["folder"] = str(folder)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--blank-ids", action="store_true", help="no row has an id yet: each is given one")
    parser.add_argument("--compare", type=int, default=0, help="also import this many rows, for memory growth")
    parser.add_argument("--keep", action="store_true", help="keep the practice folder (its path is printed)")
    parser.add_argument("--build-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--import-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build(args.build_only / "clinic.xlsx", args.rows, args.blank_ids)
        print("built")
        return
    if args.import_only:
        print(json.dumps(import_once(args.import_only)))
        return
    runs = [measure(args.rows, args.blank_ids, args.keep)]
    if args.compare:
        runs.append(measure(args.compare, args.blank_ids, keep=False))
    print(f"{'rows':>10}{'imported':>10}{'wall s':>9}{'CPU s':>9}{'peak MiB':>10}{'store MiB':>11}")
    for f in runs:
        print(
            f"{f['rows']:>10,}{f['rows_imported']:>10,}{f['wall_s']:>9}{f['cpu_s']:>9}"
            f"{f['peak_rss_mib']:>10}{f['store_mib'] or 0:>11}"
        )
    result = {**runs[0], "blank_ids": args.blank_ids}
    if len(runs) > 1:
        small = runs[1]
        result["compare"] = {k: small[k] for k in ("rows", "rows_imported", "wall_s", "cpu_s", "peak_rss_mib")}
        result["peak_mib_per_100k_rows"] = round(
            (runs[0]["peak_rss_mib"] - small["peak_rss_mib"]) / ((runs[0]["rows"] - small["rows"]) / 100_000), 1
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
