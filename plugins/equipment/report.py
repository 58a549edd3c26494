"""The equipment plugin's part of the manager's report: upkeep due and overdue, temperature excursions.

Definitions (each printed as the figure's footnote):

- **Upkeep due** and **overdue**, as of the report's today whatever the period, by the same
  dates the alerts use: each maintenance and calibration of equipment not retired (its
  ``Next maintenance`` and ``Next calibration``) and each compliance task (``Next due``)
  counts once. Due: within ``warn_days`` (14) from today; overdue: before today, and a
  compliance task never recorded as done counts as overdue.
- **Out of service**: equipment whose status is ``out of service`` today.
- **Temperature excursions**: vaccine refrigerator and freezer log rows taken in the report
  period (local date) with any reading outside the CDC range (:mod:`.storage_range`),
  whether or not their action is recorded.
- **Upkeep by month**: what falls due in the next 90 days, by month, overdue ones first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinicops import Chart, Definition, Figure, ReportPeriod, ReportSection, Series
from clinicops.plugins.equipment.storage_range import excursions

EQUIPMENT, TASK, READING = "equipment", "compliance_task", "temperature_reading"
AHEAD = 90
OVERDUE = "overdue"


def due_dates(practice: Any) -> list[tuple[str, str | None]]:
    """(kind, next due date or None for a task never done) of every upkeep item counted."""
    out: list[tuple[str, str | None]] = []
    for asset in practice.records(EQUIPMENT):
        if asset.get("status") == "retired":
            continue
        out += [("equipment", asset[f]) for f in ("next_maintenance", "next_calibration") if asset.get(f)]
    out += [("compliance tasks", task.get("next_due")) for task in practice.records(TASK)]
    return out


def bucket(due: str | None, today: dt.date) -> str:
    """'overdue', or the month it falls due."""
    return OVERDUE if due is None or dt.date.fromisoformat(due) < today else due[:7]


def section(practice: Any, period: ReportPeriod, settings: dict[str, Any]) -> ReportSection:
    today, window = period.today, settings["warn_days"]
    items = due_dates(practice)
    left = [None if due is None else (dt.date.fromisoformat(due) - today).days for _, due in items]
    readings = [
        r
        for r in practice.records(READING)
        if excursions(r)
        and dt.datetime.fromisoformat(r["taken_at"].replace("Z", "+00:00")).astimezone(practice.timezone).date()
        in period
    ]
    as_of = f"as of {today.isoformat()}, whatever the report period"
    figures = (
        Figure(
            "equipment.due",
            f"Upkeep due in {window} days",
            sum(1 for n in left if n is not None and 0 <= n <= window),
            "items",
            Definition(f"maintenance, calibrations and compliance tasks due within {window} days", period=as_of),
        ),
        Figure(
            "equipment.overdue",
            "Upkeep overdue",
            sum(1 for n in left if n is None or n < 0),
            "items",
            Definition(
                "maintenance, calibrations and compliance tasks past due, and tasks never recorded as done",
                period=as_of,
                exclusions="retired equipment",
            ),
        ),
        Figure(
            "equipment.out_of_service",
            "Out of service",
            sum(1 for a in practice.records(EQUIPMENT) if a.get("status") == "out of service"),
            "assets",
            Definition("equipment marked out of service", period=as_of),
        ),
        Figure(
            "equipment.excursions",
            "Temperature excursions",
            len(readings),
            "readings",
            Definition("vaccine storage log rows with a reading outside the CDC range", period=period.label),
        ),
    )
    return ReportSection(
        "equipment.upkeep", "Equipment and compliance", figures, charts(items, readings, today), order=450
    )


def charts(items: list[tuple[str, str | None]], readings: list[dict[str, Any]], today: dt.date) -> tuple[Chart, ...]:
    horizon = (today + dt.timedelta(days=AHEAD)).isoformat()
    coming = [(kind, bucket(due, today)) for kind, due in items if due is None or due <= horizon]
    labels = sorted({b for _, b in coming}, key=lambda b: (b != OVERDUE, b))
    upkeep = Chart(
        f"Upkeep due in the next {AHEAD} days, by month",
        "stacked",
        tuple(
            Series(kind, tuple((b, float(sum(1 for k, x in coming if k == kind and x == b))) for b in labels))
            for kind in ("equipment", "compliance tasks")
        ),
        unit="items",
    )
    units = sorted({r["unit_id"] for r in readings})
    excursion = Chart(
        "Temperature excursions by storage unit",
        "bar",
        (Series("excursions", tuple((u, float(sum(1 for r in readings if r["unit_id"] == u))) for u in units)),),
        unit="readings",
    )
    return (upkeep, excursion)
