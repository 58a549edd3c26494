"""Streaming a large Patients tab against python-calamine's whole-tab read: speed and peak memory.

The workbooks are built once by ``sync_xlsx.build_workbook`` (text in the shared-strings table,
dates with a date style, as Excel saves them) into a folder kept between runs, since a
million rows take minutes to build. Each read runs in a process of its own, so each peak
resident memory (Linux's ``VmHWM``) is its own; every read is run ``--repeat`` times,
alternating the two readers, and the least CPU time is kept (the machine is shared).
The stream's rows are checked against calamine's for the smaller size.

Target for a chunked import built on the stream: peak memory independent of the row count
(apart from the shared-strings table), at no more than 5x calamine's CPU time.

    python benchmarks/stream_xlsx.py [--rows 100000 1000000] [--repeat 3] [--folder /tmp/clinicops-stream]

Prints a table, then one JSON object with every figure as the last line.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from python_calamine import CalamineWorkbook
from sync_xlsx import build_workbook, peak_rss_mib

from clinicops.connectors.xlsx.package import Package
from clinicops.connectors.xlsx.sheet_stream import SheetStream


def read_once(reader: str, path: Path) -> dict[str, float]:
    """One read in this process: CPU and wall seconds, rows, peak MiB (and the table's size for the stream)."""
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    strings, setup_peak = 0, 0.0
    if reader == "calamine":
        rows = len(CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Patients").to_python(skip_empty_area=False))
    else:
        package = Package(str(path))
        part = next(e.part for e in package.sheets() if e.title == "Patients")
        stream = SheetStream(package, part)
        strings = len(stream.strings)
        setup_peak = peak_rss_mib()  # the shared-strings table and the styles, before any row
        rows = sum(len(chunk) for chunk in stream.chunks(10_000))
    return {
        "cpu_s": round(time.process_time() - start_cpu, 2),
        "wall_s": round(time.perf_counter() - start_wall, 2),
        "rows": rows,
        "peak_mib": round(peak_rss_mib(), 1),
        "shared_strings": strings,
        "setup_peak_mib": round(setup_peak, 1),
    }


def in_child(reader: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--read", reader, str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def same_rows(path: Path) -> bool:
    wanted = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Patients").to_python(skip_empty_area=False)
    package = Package(str(path))
    part = next(e.part for e in package.sheets() if e.title == "Patients")
    got = SheetStream(package, part).rows()
    return all([(type(v), v) for v in a] == [(type(v), v) for v in b] for a, b in zip(got, wanted, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/clinicops-stream"))
    parser.add_argument("--read", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        print(json.dumps(read_once(args.read[0], Path(args.read[1]))))
        return
    args.folder.mkdir(parents=True, exist_ok=True)
    figures: dict[str, dict[str, float | bool]] = {}
    for n in args.rows:
        path = args.folder / f"patients_{n}.xlsx"
        if not path.exists():
            started = time.perf_counter()
            build_workbook(path, n)
            print(f"built {path} in {time.perf_counter() - started:.0f} s", flush=True)
        runs: dict[str, list[dict[str, float]]] = {"calamine": [], "stream": []}
        for _ in range(args.repeat):
            for reader in runs:
                runs[reader].append(in_child(reader, path))
        best = {reader: min(r, key=lambda x: x["cpu_s"]) for reader, r in runs.items()}
        cal, ours = best["calamine"], best["stream"]
        assert cal["rows"] == ours["rows"], (cal, ours)
        figures[str(n)] = {
            "calamine_cpu_s": cal["cpu_s"],
            "stream_cpu_s": ours["cpu_s"],
            "ratio_cpu": round(ours["cpu_s"] / cal["cpu_s"], 2),
            "calamine_rows_per_s": round(cal["rows"] / cal["cpu_s"]),
            "stream_rows_per_s": round(ours["rows"] / ours["cpu_s"]),
            "calamine_peak_mib": max(r["peak_mib"] for r in runs["calamine"]),
            "stream_peak_mib": max(r["peak_mib"] for r in runs["stream"]),
            "shared_strings": ours["shared_strings"],
            "stream_peak_before_rows_mib": max(r["setup_peak_mib"] for r in runs["stream"]),
        }
        if n == min(args.rows):
            figures[str(n)]["same_rows"] = same_rows(path)
        f = figures[str(n)]
        print(
            f"{n:>9,} rows  calamine {f['calamine_cpu_s']:6.2f} s CPU {f['calamine_rows_per_s']:>9,} rows/s "
            f"peak {f['calamine_peak_mib']:7.1f} MiB | stream {f['stream_cpu_s']:6.2f} s CPU "
            f"{f['stream_rows_per_s']:>9,} rows/s peak {f['stream_peak_mib']:7.1f} MiB "
            f"({f['stream_peak_before_rows_mib']:.1f} MiB before the first row: {f['shared_strings']:,} shared "
            f"strings) | {f['ratio_cpu']}x calamine's CPU",
            flush=True,
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
