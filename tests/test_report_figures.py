"""Every figure of the manager's report against a value worked out by hand on a small fixed practice.

The practice's clock is pinned to 2026-03-31 and the report covers March 2026. Records are
put in the store as a sync would leave them; each expected value is computed in the comment
beside it.
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
PLUGINS = ["billing", "credentials", "inventory", "reminders", "reviews"]
ENTITIES = [
    "provider",
    "staff",
    "patient",
    "appointment",
    "claim",
    "credential",
    "inventory_item",
    "performance_review",
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
        yield (
            "appointment",
            {"id": rid, "patient_id": "P1", "provider_id": provider, "start": at(day), "status": status},
        )
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
        ("reminders.appointments", 5),  # A1, A2, A3, A4, A6: in March and not cancelled
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
    assert (weeks["seen"]["2026-W11"], weeks["not yet closed out"]["2026-W11"]) == (1, 1)  # A4; A6
    assert chart(report, "Denial rate by reason") == {
        "share of answered claims": {"CO-16: claim lacks information": 0.5}
    }
    aging = chart(report, "A/R by payer and age")
    assert aging["0–30 days"] == {"Aetna": 200, "Medicare": 300} and aging["61–90 days"]["Medicare"] == 400
    assert chart(report, "Collections vs billed by month") == {
        "billed": {"2026-03": 600},
        "collected": {"2026-03": 220},
    }
    alerts = chart(report, "Open alerts by plugin and severity (oldest first)")
    assert list(alerts["critical"]) == ["billing", "inventory"]  # billing's alert is the oldest
    assert alerts["critical"] == {"billing": 1, "inventory": 0} and alerts["info"]["inventory"] == 1


def test_every_figure_has_a_definition_and_no_patient_is_named(report: metrics.Metrics) -> None:
    for figure in report.figures().values():
        assert figure.definition.numerator and figure.definition.period, figure.key
    text = str(report.as_json())
    assert "Katherine" not in text and "Johnson" not in text and "P1'" not in text
