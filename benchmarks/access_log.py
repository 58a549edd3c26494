"""What the HIPAA access log costs a sync: one entry per record that holds PHI.

Run: ``python benchmarks/access_log.py [--events N] [--batch B]``. Writes N events
(default 100,000, one sync's first import of 100,000 patients) in one transaction and
commits: once batched, through ``records_accessed`` with B events per call (default: all
of them, as a sync reports its merge: one hashing loop, one executemany), and once with
one call per event (``practice.accessed(event)``, what a command or a plugin's single
read costs: one INSERT each, the chain's head and the guards looked at once per
transaction). Prints CPU seconds and microseconds per event for each, the ratio, and one
JSON line for scripts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import tempfile
import textwrap
import time
from pathlib import Path

from clinicops.core.access import AccessEvent
from clinicops.core.clock import PinnedClock
from clinicops.core.practice import Practice
from clinicops.plugins.access_log import ledger

FIELDS = ("address", "date_of_birth", "email", "first_name", "id", "last_name", "phone", "zip")


def practice_in(folder: Path) -> Practice:
    (folder / "practice.toml").write_text(
        textwrap.dedent(
            """
            [practice]
            name = "Benchmark Clinic"
            [backend]
            type = "xlsx"
            path = "clinic.xlsx"
            """
        )
    )
    return Practice.open(folder, clock=PinnedClock(dt.datetime(2026, 11, 23, 15, tzinfo=dt.UTC)))


def run(events: int, batch: int) -> float:
    """CPU seconds to log ``events`` events in one transaction, ``batch`` per call, and commit them."""
    with tempfile.TemporaryDirectory() as tmp:
        practice = practice_in(Path(tmp))
        started = time.process_time()
        with practice.view(source="sync:xlsx", actor="sync") as view:
            waiting: list[AccessEvent] = []
            for n in range(events):
                event = AccessEvent("sync", "system", "sync:xlsx", "create", "patient", f"P{n:06d}", FIELDS)
                if batch == 1:
                    view.accessed(event)
                    continue
                waiting.append(event)
                if len(waiting) == batch:
                    view.accessed_many(waiting)
                    waiting = []
            view.accessed_many(waiting)
        spent = time.process_time() - started
        with practice.view() as view:
            assert ledger.head(view.storage("access_log"))[0] == events
        practice.close()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=0, help="events per records_accessed call (0: all)")
    args = parser.parse_args()
    batched = run(args.events, args.batch or args.events)
    single = run(args.events, 1)
    rows = [("batched (records_accessed)", batched), ("one call per event", single)]
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"{args.events:,} access-log events, one transaction ({python})")
    print(f"{'':34}{'CPU s':>8}{'µs/event':>10}")
    for name, spent in rows:
        print(f"{name:34}{spent:8.2f}{spent / args.events * 1e6:10.1f}")
    print(f"one per call / batched: {single / batched:.2f}x")
    figures = {
        "events": args.events,
        "batch": args.batch or args.events,
        "batched_cpu_s": round(batched, 3),
        "single_cpu_s": round(single, 3),
        "batched_us_per_event": round(batched / args.events * 1e6, 2),
        "single_us_per_event": round(single / args.events * 1e6, 2),
        "speedup": round(single / batched, 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
