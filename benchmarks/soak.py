"""Soak: the sync against a model of what staff meant, for thousands of random steps.

The same state machine the suite runs a few examples of (``tests/sync_model.py``): staff
edits, plugin writes, syncs, crashes raised inside a step of a sync, killed sync
processes (workbook only), and the invariants checked after every finished sync. Here
it runs until ``--steps`` steps have been taken, half on the workbook and half on the
Google Sheets emulator, counting violations instead of stopping at the first.

Prints a progress line to stderr every ``--progress`` steps (steps, syncs, crashes,
violations so far, steps per second), then a table, then one JSON object as its last line:
steps, syncs, crashes injected, violations (0 when every invariant held), seconds.

    python benchmarks/soak.py [--steps 10000] [--progress 250]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from hypothesis.stateful import run_state_machine_as_test

from tests.test_sync_state_machine import SheetsModel, WorkbookModel

TOTALS: Counter[str] = Counter()
FOUND: list[str] = []
STEPS_PER_RUN = 50
LIVE: dict[str, Any] = {"machine": None}  # the example under way, whose figures are not in TOTALS yet
PROGRESS = {"every": 250, "steps": 0, "left": 0, "started": time.perf_counter()}


def progress(stats: dict[str, int], violations: int) -> None:
    """One line to stderr every ``PROGRESS["every"]`` steps, so a long soak shows it is alive."""
    PROGRESS["steps"] += 1
    if PROGRESS["every"] and PROGRESS["steps"] % PROGRESS["every"] == 0:
        done = {k: TOTALS[k] + stats[k] for k in ("syncs", "crashes")}
        found = TOTALS["violations"] + violations
        rate = PROGRESS["steps"] / max(time.perf_counter() - PROGRESS["started"], 1e-9)
        print(
            f"soak: {PROGRESS['steps']} steps, {done['syncs']} syncs, {done['crashes']} crashes,"
            f" {found} violations, {rate:.1f} steps/s",
            file=sys.stderr,
            flush=True,
        )


def soaking(model: type) -> type:
    """The model, counting instead of stopping, adding its figures to the totals when torn down."""

    class Soaking(model):  # type: ignore[misc, valid-type]
        strict = False

        def _step(self) -> None:
            if PROGRESS["left"] <= 0:
                raise TargetReached
            PROGRESS["left"] -= 1
            super()._step()
            LIVE["machine"] = self
            progress(self.stats, len(self.violations))

        def teardown(self) -> None:
            LIVE["machine"] = None
            TOTALS.update(self.stats)
            TOTALS["violations"] += len(self.violations)
            FOUND.extend(f"{v.rule}: {v.detail}" for v in self.violations)
            super().teardown()

    Soaking.__name__ = f"Soaking{model.__name__}"
    return Soaking


class TargetReached(BaseException):
    """Raised at the first step past the target; Hypothesis lets it through and tears the example down."""


def soak(model: type, steps: int) -> dict[str, int]:
    """Run the model until it has taken exactly ``steps`` steps (each example ends at a random length)."""
    before = Counter(TOTALS)
    machine = soaking(model)
    runs = 0
    PROGRESS["left"] = steps
    try:
        while PROGRESS["left"] > 0:
            runs += 1
            run_state_machine_as_test(
                machine,
                settings=settings(
                    max_examples=max(2, PROGRESS["left"] // (STEPS_PER_RUN // 2)),
                    stateful_step_count=STEPS_PER_RUN,
                    deadline=None,
                    database=None,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                ),
            )
    except (TargetReached, Flaky):
        pass  # the target reached mid-example: Hypothesis replays that example to report it, and finds it shorter
    return {k: TOTALS[k] - before[k] for k in ("steps", "syncs", "crashes", "violations")} | {"runs": runs}


def report(figures: dict[str, dict[str, int]], seconds: float, stopped: bool = False) -> None:
    """The table, the violations found, and the last-line JSON."""
    print(f"{'backend':<10}{'steps':>8}{'syncs':>8}{'crashes':>9}{'violations':>12}")
    for name, f in figures.items():
        print(f"{name:<10}{f['steps']:>8}{f['syncs']:>8}{f['crashes']:>9}{f['violations']:>12}")
    for line in FOUND[:20]:
        print(f"  violation: {line}")
    total = {k: sum(f[k] for f in figures.values()) for k in ("steps", "syncs", "crashes", "violations")}
    print(
        json.dumps({**total, "seconds": round(seconds, 1), "stopped_early": stopped, "backends": figures}), flush=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000, help="steps in all (default 10,000)")
    parser.add_argument("--progress", type=int, default=250, help="a stderr line every N steps (0: none)")
    args = parser.parse_args()
    started = time.perf_counter()
    PROGRESS.update(every=args.progress, steps=0, started=started)
    figures: dict[str, dict[str, int]] = {}
    current = {"name": ""}

    def stop(signum: int, _frame: object) -> None:
        """Stopped (SIGTERM, Ctrl-C): the figures so far, counting the example under way, still end the output."""
        done = dict(figures)
        if current["name"] and current["name"] not in done:
            live = LIVE["machine"]
            so_far = TOTALS + Counter(live.stats if live else {}) - current["before"]
            so_far["violations"] += len(live.violations) if live else 0
            done[current["name"]] = {k: so_far[k] for k in ("steps", "syncs", "crashes", "violations")}
        report(done, time.perf_counter() - started, stopped=True)
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for name, model in (("xlsx", WorkbookModel), ("gsheets", SheetsModel)):
        current.update(name=name, before=Counter(TOTALS))
        figures[name] = soak(model, args.steps // 2)
    report(figures, time.perf_counter() - started)


if __name__ == "__main__":
    main()
