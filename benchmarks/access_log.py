"""What the HIPAA access log costs a sync: one entry per record that holds PHI.

Run: ``python benchmarks/access_log.py [--events N]``. Writes N events (default 100,000,
one sync's first import of 100,000 patients) through the ``record_accessed`` hook in one
transaction, as a sync does, and commits: once with entries batched (one hashing loop,
one executemany per 10,000 entries, the way the log works) and once with a write per
entry (the baseline: what one INSERT per record costs). Prints CPU seconds and
microseconds per event for each, the ratio, and one JSON line for scripts.
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


def run(events: int, flush_every: int) -> float:
    """CPU seconds to log ``events`` events in one transaction and commit them."""
    ledger.FLUSH_EVERY = flush_every
    with tempfile.TemporaryDirectory() as tmp:
        practice = practice_in(Path(tmp))
        started = time.process_time()
        with practice.view(source="sync:xlsx", actor="sync") as view:
            for n in range(events):
                view.accessed(AccessEvent("sync", "system", "sync:xlsx", "create", "patient", f"P{n:06d}", FIELDS))
        spent = time.process_time() - started
        with practice.view() as view:
            assert ledger.head(view.tx.conn)[0] == events
        practice.close()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    default = ledger.FLUSH_EVERY
    batched = run(args.events, default)
    single = run(args.events, 1)
    ledger.FLUSH_EVERY = default
    rows = [("batched (the log)", batched), ("one write per entry (baseline)", single)]
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"{args.events:,} access-log events, one transaction ({python})")
    print(f"{'':34}{'CPU s':>8}{'µs/event':>10}")
    for name, spent in rows:
        print(f"{name:34}{spent:8.2f}{spent / args.events * 1e6:10.1f}")
    print(f"baseline / batched: {single / batched:.2f}x")
    figures = {
        "events": args.events,
        "batched_cpu_s": round(batched, 3),
        "single_cpu_s": round(single, 3),
        "batched_us_per_event": round(batched / args.events * 1e6, 2),
        "speedup": round(single / batched, 2),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
