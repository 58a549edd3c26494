"""The demo clinic gives each back-office plugin (schedule, feedback, budget, equipment) one
of every alert it can raise, and billing an alert from each of its claim rules, on a pinned
day, through a real first sync of the demo; its report shows each plugin's section, with the
same figures as ``status --json``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinicops.core import operations

from .duty_clinic import on, run

DEMO_DAY = dt.date(2026, 11, 23)


DUTIES = {
    "schedule": "schedule.flow",
    "feedback": "feedback.satisfaction",
    "budget": "budget.actual",
    "equipment": "equipment.upkeep",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict]]:
    """What ``alerts --json``, ``report --json`` and ``status --json`` print after the demo's first sync."""
    folder: Path = tmp_path_factory.mktemp("demo") / "clinic"
    out: dict[str, dict] = {}
    with on(DEMO_DAY, 9):
        practice = operations.create_demo(folder, today=DEMO_DAY)
        practice.close()
        code, text = run("sync", "-p", str(folder), "--json")
        assert code == 0, text
        for command, *extra in (("alerts",), ("report", "--out", str(folder / "report.html")), ("status",)):
            code, text = run(command, "-p", str(folder), "--json", *extra)
            assert code == 0, text
            out[command] = json.loads(text)
    yield out


@pytest.fixture(scope="module")
def demo_alerts(demo: dict[str, dict]) -> dict[str, str]:
    """Open alert id -> severity after the demo's first sync."""
    return {a["id"]: a["severity"] for a in demo["alerts"]["alerts"] if a["status"] == "open"}


def test_the_demo_report_shows_each_back_office_plugins_section(demo: dict[str, dict]) -> None:
    sections = {s["key"]: s for s in demo["report"]["sections"]}
    for plugin, key in DUTIES.items():
        assert key in sections, f"the demo's report has no {plugin} section"
        figures = sections[key]["figures"]
        assert figures and all(f["key"].startswith(plugin + ".") for f in figures)
        assert any(f["value"] for f in figures), f"every {plugin} figure is empty or zero"
        assert any(series["points"] for chart in sections[key]["charts"] for series in chart["series"])
    assert demo["report"]["failures"] == []


def test_the_demo_report_has_the_figures_of_status_json(demo: dict[str, dict]) -> None:
    report, status = demo["report"], demo["status"]
    assert report["period"] == status["period"] == {"from": "2026-08-26", "to": DEMO_DAY.isoformat()}
    assert report["figures"] == status["figures"]
    assert {key.split(".")[0] for key in report["figures"]} >= set(DUTIES)


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


def listed_plugins(output: str) -> dict[str, dict]:
    """``plugins --json`` by name, whether it prints a list or one object holding ``plugins``."""
    found = json.loads(output)
    return {e["name"]: e for e in (found["plugins"] if isinstance(found, dict) else found)}


def test_plugins_json_lists_the_back_office_plugins_with_their_report_hook() -> None:
    code, out = run("plugins", "--json")
    assert code == 0, out
    listed = listed_plugins(out)
    for plugin in DUTIES:
        assert listed[plugin]["module"] == f"clinicops.plugins.{plugin}"
        assert {"collect_alerts", "register_schemas", "report_sections"} <= set(listed[plugin]["hooks"])


def billing_kind(key: str) -> str:
    """``billing:CLM000004:appeal-14d`` -> ``appeal``; ``billing:CLM…:timely-filing:30d`` -> ``timely-filing``."""
    return key.split(":")[2].split("-")[0] if key.split(":")[2].startswith("appeal") else key.split(":")[2]


def test_the_demo_shows_an_alert_from_each_claim_rule(demo_alerts: dict[str, str]) -> None:
    """Issue 12's claim rules in the demo: service lines (5), the ICD-10-CM set of the date of
    service (6), timely filing by payer type (9), appeal deadlines (10), overpayments (11) and
    who may bill (13)."""
    found = {billing_kind(key) for key in demo_alerts if key.startswith("billing:")}
    assert found >= {
        "lines-total",  # 5: a claim's Billed is not the sum of its lines
        "icd10cm-unverified",  # 6: I42.00 after the packaged April 2026 release's last day
        "timely-filing",  # 9: the commercial slips (90 days); Medicare's claims have a year
        "appeal",  # 10: the Harvard Pilgrim denial with 12 days left
        "overpaid",  # 11: a payment 40.00 over the billed amount
        "who-may-bill",  # 13: PR000003's lapsed license
    }
    assert any(k.endswith(":appeal-14d") for k in demo_alerts)
    assert {demo_alerts[k] for k in demo_alerts if k.endswith(":who-may-bill")} == {"critical", "warning"}
