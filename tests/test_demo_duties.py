"""The demo clinic gives each back-office plugin (schedule, feedback, budget, equipment) one
of every alert it can raise, on a pinned day, through a real first sync of the demo."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinicops.core import operations

from .duty_clinic import on, run

DEMO_DAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def demo_alerts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Open alert id -> severity after the demo's first sync."""
    folder: Path = tmp_path_factory.mktemp("demo") / "clinic"
    with on(DEMO_DAY, 9):
        practice = operations.create_demo(folder, today=DEMO_DAY)
        practice.close()
        code, out = run("sync", "-p", str(folder), "--json")
        assert code == 0, out
        code, out = run("alerts", "-p", str(folder), "--json")
    yield {a["id"]: a["severity"] for a in json.loads(out)["alerts"] if a["status"] == "open"}


def kinds(alerts: dict[str, str], plugin: str) -> set[str]:
    """The last part of each of the plugin's alert keys: the kind of condition."""
    return {key.rsplit(":", 1)[-1] for key in alerts if key.startswith(plugin + ":")}


def test_the_demo_shows_every_equipment_alert(demo_alerts: dict[str, str]) -> None:
    assert kinds(demo_alerts, "equipment") == {
        "maintenance-due",
        "maintenance-overdue",
        "calibration-due",
        "calibration-overdue",
        "warranty-ends",
        "contract-ends",
        "contract-ended",
        "out-of-service",
        "due",
        "overdue",
        "never-done",
        "excursion",
    }
    # Two excursions in the log; the earlier one has its action written down.
    assert [v for k, v in demo_alerts.items() if k.endswith(":excursion")] == ["critical"]


def test_the_demo_shows_every_feedback_alert(demo_alerts: dict[str, str]) -> None:
    assert kinds(demo_alerts, "feedback") == {
        "acknowledge",
        "acknowledge-overdue",
        "resolve-soon",
        "overdue",
        "privacy",
    }
    assert [v for k, v in demo_alerts.items() if k.startswith("feedback:") and k.endswith(":privacy")] == ["critical"]


def test_the_demo_shows_every_budget_alert(demo_alerts: dict[str, str]) -> None:
    assert kinds(demo_alerts, "budget") == {"near", "over", "due", "overdue", "duplicate", "next-missing"}
    assert (
        "budget:2026-11:medical-supplies:near" in demo_alerts and "budget:2026-11:office-supplies:over" in demo_alerts
    )


def test_the_demo_shows_every_schedule_alert(demo_alerts: dict[str, str]) -> None:
    found = {
        key.split(":")[2] if key.count(":") >= 2 else key.split(":")[1]
        for key in demo_alerts
        if key.startswith("schedule:")
    }
    assert found >= {
        "double-booked",
        "room-double-booked",
        "patient-double-booked",
        "day-off",
        "outside-hours",
        "median-wait",
    }
    assert any(key.startswith("schedule:gap:") for key in demo_alerts)
