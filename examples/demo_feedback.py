"""The demo clinic's Feedback tab: six months of compliments, suggestions, complaints and one
privacy grievance, dated relative to `today`.

Ratings and "would you recommend us" answers spread over every provider, so the
Satisfaction tab has a trend; the open complaints are placed so that the feedback plugin
shows each of its alerts: one to acknowledge, one whose acknowledgment is late, one due
for resolution within a week, one past its 30 days (escalated), and a grievance alleging
a privacy breach. Comments are short invented phrases; about a third name no patient.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from clinicops.examples.demo_common import Row

PRAISE = (
    "Very kind and took time to explain everything",
    "Front desk was friendly and quick",
    "Thank you for fitting me in the same day",
    "The nurse made my daughter feel at ease",
)
IDEAS = ("Please offer evening hours", "Online check-in would help", "More parking spaces would be nice")
GRIPES = (
    "Waited over an hour past my appointment time",
    "Bill was sent to the wrong insurance",
    "Phone line always busy",
)
AREAS = ("Front desk", "Billing", "Phones", "Waiting room")


def _business_days_before(day: dt.date, n: int) -> dt.date:
    while n > 0:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def _everyday(rng: random.Random, today: dt.date, patients: list[str], providers: list[str]) -> list[Row]:
    """Compliments and suggestions, with ratings, over the past six months; settled complaints too."""
    rows = []
    for _ in range(48):
        kind = rng.choices(("compliment", "suggestion", "complaint"), weights=(6, 2, 2))[0]
        rating = {
            "compliment": rng.choice((4, 5, 5)),
            "suggestion": rng.choice((3, 4)),
            "complaint": rng.choice((1, 2)),
        }
        nps = {
            "compliment": rng.choice((8, 9, 10)),
            "suggestion": rng.choice((6, 7, 8)),
            "complaint": rng.randint(0, 5),
        }
        received = today - dt.timedelta(days=rng.randint(40, 180))
        text = rng.choice({"compliment": PRAISE, "suggestion": IDEAS, "complaint": GRIPES}[kind])
        row: dict[str, Any] = {
            "received": received,
            "channel": rng.choice(("survey", "survey", "web form", "phone", "in person")),
            "patient_id": rng.choice(patients) if rng.random() < 0.65 else None,
            "provider_id": rng.choice(providers) if kind != "suggestion" else None,
            "area": rng.choice(AREAS) if kind == "suggestion" else None,
            "type": kind,
            "rating": rating[kind],
            "nps": nps[kind] if rng.random() < 0.8 else None,
            "text": text,
            "owner_id": "S000001" if kind == "complaint" else None,
            "status": "resolved" if kind == "complaint" else "closed",
        }
        if kind == "complaint":
            row["acknowledged_on"] = received + dt.timedelta(days=1)
            row["resolved_on"] = received + dt.timedelta(days=rng.randint(3, 20))
        rows.append(row)
    return sorted(rows, key=lambda r: r["received"])


def _open_cases(today: dt.date, patients: list[str], providers: list[str]) -> list[Row]:
    """One complaint for each deadline alert, and the privacy grievance."""

    def case(received: dt.date, **cells: Any) -> Row:
        base = {"received": received, "channel": "phone", "type": "complaint", "owner_id": "S000002", "status": "new"}
        return base | cells

    return [
        case(
            today - dt.timedelta(days=35),
            patient_id=patients[0],
            area="Billing",
            text=GRIPES[1],
            status="in progress",
            acknowledged_on=today - dt.timedelta(days=34),
            rating=1,
        ),
        case(
            today - dt.timedelta(days=25),
            provider_id=providers[1],
            text=GRIPES[0],
            status="acknowledged",
            acknowledged_on=today - dt.timedelta(days=24),
            rating=2,
            nps=3,
        ),
        case(_business_days_before(today, 4), area="Phones", text=GRIPES[2]),
        case(today, channel="in person", patient_id=patients[1], provider_id=providers[0], text=GRIPES[0]),
        case(
            today - dt.timedelta(days=2),
            type="grievance",
            channel="letter",
            patient_id=patients[2],
            area="Front desk",
            text="Staff discussed my test results at the front desk where others overheard",
            owner_id="S000001",
            privacy=True,
        ),
    ]


def feedback_tabs(today: dt.date, tables: dict[str, list[Row]], rng: random.Random) -> dict[str, list[Row]]:
    """Rows for the Feedback tab, oldest first, ids assigned in that order."""
    patients = [r["id"] for r in tables["patient"] if r["id"] and r.get("email") and "(at)" not in r["email"]]
    providers = [r["id"] for r in tables["provider"]]
    rows = _everyday(rng, today, patients, providers) + _open_cases(today, rng.sample(patients, 3), providers)
    rows.sort(key=lambda r: r["received"])
    return {"feedback": [{"id": f"FB{n:06d}", **r} for n, r in enumerate(rows, 1)]}
