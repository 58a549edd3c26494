"""Every figure of the manager's report against a value worked out by hand on a small fixed practice.

The practice's clock is pinned to 2026-03-31 and the report covers March 2026 (1 March is a
Sunday; the practice is in New York, so 15:00 UTC is 10:00 before 8 March and 11:00 after).
Records are put in the store as a sync would leave them (plugin-computed dates included);
each expected value is computed in the comment beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clinicops.core import metrics
from clinicops.core.practice import Practice

from .conftest import write_config

TODAY = dt.date(2026, 3, 31)
PLUGINS = ["billing", "budget", "credentials", "equipment", "feedback", "inventory", "reminders", "reviews", "schedule"]
ENTITIES = [
    "provider",
    "staff",
    "patient",
    "appointment",
    "claim",
    "credential",
    "inventory_item",
    "performance_review",
    "provider_hours",
    "feedback",
    "budget_line",
    "expense",
    "equipment",
    "compliance_task",
    "temperature_reading",
]


def at(day: str, hour: int = 15) -> str:
    return f"{day}T{hour:02d}:00:00Z"


PROVIDERS = [
    {"id": "PR1", "first_name": "Ada", "last_name": "Lovelace", "credentials": "MD", "npi": "1234567893"},
    {"id": "PR2", "first_name": "Alan", "last_name": "Turing", "credentials": "DO", "npi": "1234567893"},
]
STAFF = [
    {"id": "S1", "first_name": "Grace", "last_name": "Hopper", "status": "active"},
    {"id": "S2", "first_name": "Edsger", "last_name": "Dijkstra", "status": "terminated"},
]
APPOINTMENTS = [
    ("A1", "PR1", "2026-03-02", "completed"),
    ("A2", "PR1", "2026-03-03", "no-show"),
    ("A3", "PR2", "2026-03-04", "completed"),
    ("A4", "PR2", "2026-03-10", "checked-in"),
    ("A5", "PR2", "2026-03-11", "cancelled"),
    ("A6", "PR1", "2026-03-12", "scheduled"),  # past and nobody closed it out
    ("A7", "PR1", "2026-04-02", "scheduled"),  # after the period
    ("A8", "PR2", "2026-02-27", "no-show"),  # before the period
    ("A10", "PR1", "2026-03-12", "scheduled"),  # booked over A6: same provider, same patient
]
# Patient flow (UTC): appointment -> (checked in, seen, checked out); waits 15, 30, 10 and cycles 40, 50
FLOW = {
    "A1": ("14:50", "15:05", "15:30"),
    "A3": ("14:55", "15:25", "15:45"),
    "A4": ("15:00", "15:10", None),
    "A8": ("14:00", "15:00", "15:20"),  # before the period
}
HOURS = [("H1", "PR1", "mon", "09:00", "11:00")]  # PR2 has no hours: unknown, not counted
FEEDBACK = [
    {"id": "FB1", "received": "2026-03-05", "type": "compliment", "rating": 5, "nps": 10, "provider_id": "PR1"},
    {"id": "FB2", "received": "2026-03-10", "type": "complaint", "rating": 2, "nps": 3, "status": "new"},
    {"id": "FB3", "received": "2026-02-20", "type": "complaint", "status": "acknowledged"},  # resolve by 03-22
    {"id": "FB4", "received": "2026-03-15", "type": "suggestion", "rating": 4, "nps": 8},
    {"id": "FB5", "received": "2026-03-20", "type": "grievance", "nps": 9, "status": "resolved",
     "resolved_on": "2026-03-25"},
]  # fmt: skip
BUDGETS = [
    ("B1", "Supplies", "2026-03-01", "1000.00"),
    ("B2", "Rent", "2026-03-01", "3000.00"),
    ("B3", "Supplies", "2026-02-01", "900.00"),  # another month
]
EXPENSES = [
    {"id": "E1", "date": "2026-03-03", "vendor": "Henry Schein", "category": "Supplies", "amount": "400.00",
     "paid_date": "2026-03-10"},
    {"id": "E2", "date": "2026-03-15", "vendor": "McKesson", "category": "supplies", "amount": "700.00",
     "due_date": "2026-04-05"},  # due in 5 days
    {"id": "E3", "date": "2026-03-01", "vendor": "Elm Properties", "category": "Rent", "amount": "3000.00",
     "due_date": "2026-03-05"},  # overdue
    {"id": "E4", "date": "2026-02-10", "vendor": "McKesson", "category": "Supplies", "amount": "100.00",
     "due_date": "2026-03-01"},  # overdue, February's
    {"id": "E5", "date": "2026-03-20", "vendor": "Staples", "category": "Office", "amount": "50.00",
     "paid_date": "2026-03-20"},  # no budget
]  # fmt: skip
EQUIPMENT = [
    {"id": "EQ1", "asset": "Autoclave", "status": "in service", "next_maintenance": "2026-04-10",
     "next_calibration": "2026-03-20"},  # maintenance due in 10 days; calibration overdue
    {"id": "EQ2", "asset": "Vaccine refrigerator", "status": "in service", "next_maintenance": "2026-06-01"},
    {"id": "EQ3", "asset": "ECG", "status": "out of service", "next_maintenance": "2026-03-01"},  # overdue
    {"id": "EQ4", "asset": "Old scale", "status": "retired", "next_maintenance": "2026-01-01"},  # not counted
]  # fmt: skip
TASKS = [
    {"id": "CT1", "task": "Fire extinguishers", "frequency": "monthly", "last_done": "2026-02-25",
     "next_due": "2026-03-25"},  # overdue
    {"id": "CT2", "task": "Eyewash station", "frequency": "weekly", "last_done": "2026-03-27",
     "next_due": "2026-04-03"},  # due in 3 days
    {"id": "CT3", "task": "AED check", "frequency": "monthly"},  # never done: overdue
]  # fmt: skip
READINGS = [
    ("TMP1", "2026-03-10T13:00:00Z", 5.0, 3.0, 7.0, ""),
    ("TMP2", "2026-03-11T13:00:00Z", 6.0, 3.0, 9.1, "Vaccines moved to the spare unit"),  # excursion
    ("TMP3", "2026-03-25T13:00:00Z", 1.5, 1.5, 5.0, ""),  # excursion
    ("TMP4", "2026-02-25T13:00:00Z", 10.0, 4.0, 10.0, ""),  # excursion before the period
]
CLAIMS = [
    {"id": "C1", "payer": "Aetna", "date_of_service": "2026-03-02", "billed_amount": "100.00", "status": "paid",
     "submitted_date": "2026-03-03", "paid_amount": "100.00", "paid_date": "2026-03-20", "cpt_codes": ["99213"]},
    {"id": "C2", "payer": "Aetna", "date_of_service": "2026-03-05", "billed_amount": "200.00", "status": "denied",
     "submitted_date": "2026-03-06", "denial_reason": "CO-16: claim lacks information", "cpt_codes": ["99213"]},
    {"id": "C3", "payer": "Medicare", "date_of_service": "2026-03-10", "billed_amount": "300.00",
     "status": "submitted", "submitted_date": "2026-03-11", "cpt_codes": ["9921"]},  # a code a payer rejects
    {"id": "C4", "payer": "Medicare", "date_of_service": "2026-01-15", "billed_amount": "400.00",
     "status": "submitted", "submitted_date": "2026-01-16", "cpt_codes": ["99213"]},
    {"id": "C5", "payer": "Aetna", "date_of_service": "2026-03-20", "billed_amount": "50.00", "status": "draft"},
    {"id": "C6", "payer": "Medicare", "date_of_service": "2026-02-10", "billed_amount": "150.00", "status": "paid",
     "submitted_date": "2026-02-11", "paid_amount": "120.00", "paid_date": "2026-03-05", "cpt_codes": ["99213"]},
]  # fmt: skip
INVENTORY = [
    {"id": "INV1", "name": "Gauze", "category": "medical", "on_hand": 10, "unit_cost": "2.00"},
    {"id": "INV2", "name": "Flu vaccine", "category": "vaccine", "lot": "L1", "on_hand": 5, "unit_cost": "10.00",
     "expiry": "2026-05-15"},
    {"id": "INV3", "name": "Flu vaccine", "category": "vaccine", "lot": "L2", "on_hand": 3, "unit_cost": "10.00",
     "expiry": "2026-03-01"},
    {"id": "INV4", "name": "Masks", "category": "office", "on_hand": 0, "unit_cost": "1.00"},
    {"id": "INV5", "name": "Syringes", "category": "medical", "on_hand": 4, "expiry": "2026-07-20"},
    {"id": "INV6", "name": "Tape", "category": "medical", "on_hand": 0, "expiry": "2026-04-10"},
]  # fmt: skip
CREDENTIALS = [
    ("CR1", "provider", "PR1", "license", "2026-04-15"),
    ("CR2", "staff", "S1", "cpr-bls", "2026-03-20"),
    ("CR3", "staff", "S1", "hipaa-training", "2026-09-01"),
    ("CR4", "provider", "PR2", "dea", "2026-06-29"),  # exactly 90 days ahead
    ("CR5", "staff", "S2", "license", "2026-04-01"),  # no longer working here
]
REVIEWS = [
    ("R1", "S1", "2026-04-30", "scheduled"),
    ("R2", "S1", "2026-03-15", "in-progress"),
    ("R3", "S2", "2026-05-01", "completed"),
    ("R4", "S1", "2026-07-15", "scheduled"),
]
ALERTS = [
    ("billing:a", "billing", "critical", "open", "2026-03-01T12:00:00Z"),
    ("billing:b", "billing", "warning", "open", "2026-03-20T12:00:00Z"),
    ("inventory:c", "inventory", "info", "acknowledged", "2026-03-10T12:00:00Z"),
    ("inventory:d", "inventory", "critical", "resolved", "2026-02-01T12:00:00Z"),
]


def records() -> Iterator[tuple[str, dict[str, Any]]]:
    yield from (("provider", p) for p in PROVIDERS)
    yield from (("staff", s) for s in STAFF)
    yield "patient", {"id": "P1", "first_name": "Katherine", "last_name": "Johnson", "date_of_birth": "1968-08-26"}
    for rid, provider, day, status in APPOINTMENTS:
        appointment = {"id": rid, "patient_id": "P1", "provider_id": provider, "start": at(day), "status": status}
        for field, time in zip(("checked_in_at", "seen_at", "checked_out_at"), FLOW.get(rid, ()), strict=False):
            if time:
                appointment[field] = f"{day}T{time}:00Z"
        yield "appointment", appointment
    for rid, provider, day, start, end in HOURS:
        yield "provider_hours", {"id": rid, "provider_id": provider, "day": day, "start": start, "end": end}
    yield from (("feedback", f) for f in FEEDBACK)
    for rid, category, month, amount in BUDGETS:
        yield "budget_line", {"id": rid, "category": category, "month": month, "amount": amount}
    yield from (("expense", e) for e in EXPENSES)
    yield from (("equipment", e) for e in EQUIPMENT)
    yield from (("compliance_task", t) for t in TASKS)
    for rid, taken, reading, low, high, action in READINGS:
        row = {"id": rid, "taken_at": taken, "unit_id": "EQ2", "kind": "refrigerator", "reading_c": reading}
        yield "temperature_reading", {**row, "min_c": low, "max_c": high, **({"action": action} if action else {})}
    yield from (("claim", {"patient_id": "P1", "provider_id": "PR1", **c}) for c in CLAIMS)
    yield from (("inventory_item", i) for i in INVENTORY)
    for rid, holder_type, holder, kind, expires in CREDENTIALS:
        cred = {"id": rid, "holder_type": holder_type, "holder_id": holder, "kind": kind, "expires": expires}
        yield "credential", {**cred, "required": True}
    for rid, staff, due, status in REVIEWS:
        yield "performance_review", {"id": rid, "staff_id": staff, "due_date": due, "status": status}
    for rid, plugin, severity, status, seen in ALERTS:
        yield "alert", {"id": rid, "plugin": plugin, "severity": severity, "status": status, "first_seen": seen}


def fixed_practice(folder: Path) -> Path:
    """The practice above in ``folder``, its clock pinned to noon on 2026-03-31, records in its store."""
    write_config(folder, plugins=PLUGINS, entities=ENTITIES, extra='\n[clock]\nnow = "2026-03-31T12:00"\n')
    practice = Practice.open(folder)
    with practice.view() as view:
        for entity, record in records():
            view.save(entity, record, plugin="test")
    practice.close()
    return folder


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> metrics.Metrics:
    practice = Practice.open(fixed_practice(tmp_path_factory.mktemp("figures")))
    assert practice.today() == TODAY
    with practice.view() as view:
        found = metrics.collect(view, metrics.period_for(view.today(), dt.date(2026, 3, 1), TODAY))
    practice.close()
    assert found.failures == ()
    return found


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("reminders.appointments", 6),  # A1, A2, A3, A4, A6, A10: in March and not cancelled
        ("reminders.no_show_rate", 1 / 4),  # A2 ÷ (A1, A2, A3, A4); A6 not closed out
        ("billing.ar_total", 900.0),  # C2 200 + C3 300 + C4 400
        ("billing.days_in_ar", 70.4),  # 900 ÷ ((100+200+300+400+150) ÷ 90)
        ("billing.denial_rate", 1 / 2),  # C2 ÷ (C1, C2): the answered March services
        ("billing.clean_claim_rate", 1 / 3),  # C1 ÷ (C1, C2, C3): C2 denied, C3 a bad code
        ("billing.billed", 600.0),  # C1 + C2 + C3; C5 is a draft
        ("billing.collected", 220.0),  # C1 100 + C6 120, paid in March
        ("billing.collection_rate", 220 / 600),
        ("inventory.value", 70.0),  # Gauze 10×2 + Flu L1 5×10; L2 expired, Syringes no cost
        ("inventory.stock_outs", 2),  # Masks and Tape
        ("inventory.expiring_lots", 1),  # Flu L1 in 45 days; Tape is empty, Syringes in 111 days
        ("credentials.due_90d", 2),  # CR1 in 15 days, CR4 in 90; CR5's holder left
        ("credentials.expired", 1),  # CR2
        ("reviews.due_90d", 1),  # R1; R4 is 106 days away, R3 completed
        ("reviews.overdue", 1),  # R2
        ("alerts.open", 3),  # the resolved one is not counted
        ("alerts.critical", 1),
        ("alerts.oldest_days", 30),  # first seen 2026-03-01
        ("schedule.median_wait", 15),  # A1 15, A3 30, A4 10 minutes; A8 is February's
        ("schedule.median_cycle", 45),  # A1 40, A3 50; A4 never checked out
        ("schedule.double_bookings", 1),  # A6 and A10: same provider and patient, one pair
        ("schedule.utilisation", 15 / 600),  # A1's 15 minutes of PR1's five Mondays × 120 minutes
        ("schedule.gap_days", 4),  # Mondays 9, 16, 23, 30 (120 min free); 2 March has 105
        ("feedback.average_rating", 3.67),  # (5 + 2 + 4) ÷ 3, two decimals
        ("feedback.nps", 25),  # 10, 3, 8, 9: (2 promoters − 1 detractor) ÷ 4
        ("feedback.complaints", 2),  # FB2 and FB5 in March
        ("feedback.complaints_open", 2),  # FB2, FB3; FB5 resolved
        ("feedback.complaints_overdue", 1),  # FB3: resolve by 2026-03-22
        ("budget.budget", 4000.0),  # B1 + B2
        ("budget.spent", 4150.0),  # E1 400 + E2 700 + E3 3000 + E5 50
        ("budget.used", 4150 / 4000),
        ("budget.net", 220 - 4150),  # C1 100 + C6 120 paid in March, less spending
        ("budget.bills_due", 1),  # E2
        ("budget.bills_overdue", 2),  # E3, E4
        ("equipment.due", 2),  # EQ1 maintenance, CT2
        ("equipment.overdue", 4),  # EQ1 calibration, EQ3 maintenance, CT1, CT3 never done
        ("equipment.out_of_service", 1),  # EQ3
        ("equipment.excursions", 2),  # TMP2 (acted on) and TMP3; TMP4 is February's
    ],
)
def test_each_figure_matches_the_hand_count(report: metrics.Metrics, key: str, expected: float) -> None:
    assert report.figures()[key].value == pytest.approx(expected)


def chart(report: metrics.Metrics, title: str) -> dict[str, dict[str, float]]:
    [found] = [c for s in report.sections for c in s.charts if c.title == title]
    return {s.name: dict(s.points) for s in found.series}


def test_the_charts_hold_the_same_counts(report: metrics.Metrics) -> None:
    assert chart(report, "No-show rate by provider") == {
        "no-show rate": {"Ada Lovelace, MD": 0.5, "Alan Turing, DO": 0}
    }
    weeks = chart(report, "Appointments by week")
    assert (weeks["seen"]["2026-W10"], weeks["no-show"]["2026-W10"]) == (2, 1)  # A1, A3; A2
    assert (weeks["seen"]["2026-W11"], weeks["not yet closed out"]["2026-W11"]) == (1, 2)  # A4; A6, A10
    assert chart(report, "Denial rate by reason") == {
        "share of answered claims": {"CO-16: claim lacks information": 0.5}
    }
    aging = chart(report, "A/R by payer and age")
    assert aging["0–30 days"] == {"Aetna": 200, "Medicare": 300} and aging["61–90 days"]["Medicare"] == 400
    assert chart(report, "Collections vs billed by month") == {
        "billed": {"2026-03": 600},
        "collected": {"2026-03": 220},
    }
    assert chart(report, "Median wait by provider") == {
        "median wait": {"Ada Lovelace, MD": 15, "Alan Turing, DO": 20}  # A1; A3 and A4
    }
    assert chart(report, "Budget vs actual by month") == {"budget": {"2026-03": 4000}, "spent": {"2026-03": 4150}}
    assert chart(report, "Upkeep due in the next 90 days, by month") == {
        "equipment": {"overdue": 2, "2026-04": 1, "2026-06": 1},  # EQ1 calibration, EQ3; EQ1; EQ2
        "compliance tasks": {"overdue": 2, "2026-04": 1, "2026-06": 0},  # CT1, CT3; CT2
    }
    assert chart(report, "Temperature excursions by storage unit") == {"excursions": {"EQ2": 2}}
    received = chart(report, "Feedback received by month")
    assert (received["complaints"], received["grievances"]) == ({"2026-03": 1}, {"2026-03": 1})
    alerts = chart(report, "Open alerts by plugin and severity (oldest first)")
    assert list(alerts["critical"]) == ["billing", "inventory"]  # billing's alert is the oldest
    assert alerts["critical"] == {"billing": 1, "inventory": 0} and alerts["info"]["inventory"] == 1


def test_every_figure_has_a_definition_and_no_patient_is_named(report: metrics.Metrics) -> None:
    for figure in report.figures().values():
        assert figure.definition.numerator and figure.definition.period, figure.key
    text = str(report.as_json())
    assert "Katherine" not in text and "Johnson" not in text and "P1'" not in text
