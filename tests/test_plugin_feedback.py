"""The feedback plugin through the sheet: complaint deadlines in business days, alerts as they
near and pass, escalation, privacy grievances, the Satisfaction tab, and PHI in comments."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import BACKENDS, PROVIDERS, Clinic
from .duty_clinic import STAFF, as_date, cells, duty_clinic, on, open_alerts, run

TODAY = dt.date(2026, 3, 5)  # a Thursday


def day(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def clinic(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Clinic]:
    with duty_clinic(
        tmp_path, "feedback", TODAY, entities=["provider", "staff"], extra=getattr(request, "param", "")
    ) as c:
        c.sheet.append("Providers", PROVIDERS)
        c.sheet.append("Staff", STAFF)
        yield c


def entry(kind: str = "complaint", received: dt.date = TODAY, **cells: Any) -> dict[str, Any]:
    titles = {
        "rating": "Rating (1-5)",
        "nps": "Recommend (0-10)",
        "text": "Comments",
        "privacy": "Privacy concern",
        "owner": "Owner",
        "status": "Status",
        "acknowledged": "Acknowledged",
        "resolved": "Resolved",
        "provider": "Provider",
        "area": "Area",
    }
    return {"Date": received.isoformat(), "Channel": "phone", "Type": kind} | {titles[k]: v for k, v in cells.items()}


def alerts(clinic: Clinic) -> dict[str, dict[str, Any]]:
    return open_alerts(clinic, "feedback")


# --------------------------------------------------------------------------- the tab, on every backend


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_deadlines_are_written_beside_what_staff_typed_on_every_backend(tmp_path: Path, backend: str) -> None:
    with duty_clinic(tmp_path, "feedback", TODAY, backend=backend, entities=["provider", "staff"]) as clinic:
        clinic.sheet.append("Feedback", [entry(area="Front desk", rating=2), entry("compliment", rating=5, nps=10)])
        clinic.sync()
        complaint, compliment = clinic.sheet.rows("Feedback")
        # Thursday + 2 business days is Monday; 30 days for the resolution.
        assert (as_date(complaint["Acknowledge by"]), as_date(complaint["Resolve by"])) == (day(4), day(30))
        assert complaint["Area"] == "Front desk"
        assert compliment.get("Acknowledge by") in (None, "") and compliment.get("Resolve by") in (None, "")
        [line] = clinic.sheet.rows("Satisfaction")
        assert (line["Month"], line["Provider"], float(line["Average rating"]), float(line["NPS"])) == (
            "2026-03",
            "All",
            3.5,
            100.0,
        )


# --------------------------------------------------------------------------- deadlines and escalation


def test_a_complaint_is_followed_from_acknowledgment_to_escalation(clinic: Clinic) -> None:
    clinic.sheet.append("Feedback", [entry(owner="S000002", area="Billing")])
    expected = [
        (0, {"acknowledge"}),
        (4, {"acknowledge"}),  # Monday: the last day to acknowledge
        (5, {"acknowledge-overdue"}),
        (22, {"acknowledge-overdue"}),
        (23, {"acknowledge-overdue", "resolve-soon"}),
        (31, {"acknowledge-overdue", "overdue"}),
    ]
    for n, kinds in expected:
        with on(day(n)):
            clinic.sync()
            assert {k.rsplit(":", 1)[1] for k in alerts(clinic)} == kinds, n
    found = alerts(clinic)
    assert found["feedback:FB000001:overdue"]["severity"] == "critical"
    assert found["feedback:FB000001:overdue"]["message"] == (
        "The complaint FB000001 received 2026-03-05 about Billing (owner: Sam Safety (S000002)) is unresolved past "
        "its deadline 2026-04-04 (1 day ago); escalated to the practice manager Mary Major (S000001)."
    )
    with on(day(31)):
        clinic.sheet.edit("Feedback", 2, "Status", "resolved")
        clinic.sync()
    assert alerts(clinic) == {}


def test_acknowledging_clears_the_acknowledgment_alert_only(clinic: Clinic) -> None:
    clinic.sheet.append("Feedback", [entry(received=day(-27), acknowledged=day(-26).isoformat())])
    clinic.sync()
    assert list(alerts(clinic)) == ["feedback:FB000001:resolve-soon"]


def test_compliments_and_suggestions_have_no_deadline(clinic: Clinic) -> None:
    clinic.sheet.append("Feedback", [entry("compliment", received=day(-90)), entry("suggestion", received=day(-90))])
    clinic.sync()
    assert alerts(clinic) == {}


@pytest.mark.parametrize(
    "clinic",
    ['\n[plugins.feedback]\nacknowledge_business_days = 1\nresolve_days = 10\nmanager = "S000002"\n'],
    indirect=True,
)
def test_deadlines_and_the_manager_are_settings(clinic: Clinic) -> None:
    clinic.sheet.append("Feedback", [entry("grievance", received=day(-11))])
    clinic.sync()
    found = alerts(clinic)
    assert sorted(found) == ["feedback:FB000001:acknowledge-overdue", "feedback:FB000001:overdue"]
    assert found["feedback:FB000001:overdue"]["message"].endswith(
        "escalated to the practice manager Sam Safety (S000002)."
    )
    assert clinic.record("feedback", "FB000001")["acknowledge_by"] == day(-10).isoformat()


# --------------------------------------------------------------------------- privacy


def test_a_grievance_alleging_a_privacy_breach_is_critical_and_never_quoted(clinic: Clinic) -> None:
    secret = "The receptionist read my HIV result aloud, everyone overheard it"
    clinic.sheet.append(
        "Feedback",
        [
            entry("grievance", text=secret),
            entry("complaint", privacy=True, text="Unhappy"),
            entry("compliment", text="No privacy worries, great staff"),
            entry("complaint", text="Waited an hour"),
        ],
    )
    report = clinic.sync()
    found = alerts(clinic)
    privacy = sorted(k for k in found if k.endswith(":privacy"))
    assert privacy == ["feedback:FB000001:privacy", "feedback:FB000002:privacy"]
    message = found["feedback:FB000001:privacy"]["message"]
    assert found["feedback:FB000001:privacy"]["severity"] == "critical"
    assert message.startswith("The grievance FB000001 received 2026-03-05 (no owner named) alleges a privacy breach.")
    assert "45 CFR 164.402" in message and "within 60 days of discovery" in message
    shown = json.dumps([a["message"] for a in clinic.records("alert")]) + json.dumps(report.as_dict(), default=str)
    assert "HIV" not in shown and "receptionist" not in shown


def test_comments_are_masked_in_history(clinic: Clinic) -> None:
    clinic.sheet.append("Feedback", [entry(text="Dr Lovelace was rude about my diabetes")])
    clinic.sync()
    code, out = run("history", "-p", str(clinic.folder), "Feedback", "FB000001", "--json")
    assert code == 0 and "diabetes" not in out and "<phi:" in out


# --------------------------------------------------------------------------- the Satisfaction tab


def test_satisfaction_by_month_and_provider_with_nps(clinic: Clinic) -> None:
    march = [
        entry("compliment", provider="PR000001", rating=5, nps=10),
        entry("compliment", provider="PR000001", rating=4, nps=9),
        entry("complaint", provider="PR000001", rating=1, nps=3, status="resolved"),
        entry("suggestion", area="Front desk", nps=7),
    ]
    february = [
        entry("compliment", received=day(-20), rating=5),
        entry("compliment", received=dt.date(2025, 2, 1), rating=1),
    ]
    clinic.sheet.append("Feedback", march + february)
    clinic.sync()
    lines = cells(clinic.sheet.rows("Satisfaction"))
    assert [(r["Month"], r["Provider"]) for r in lines] == [
        ("2026-02", "All"),
        ("2026-03", "All"),
        ("2026-03", "PR000001"),
    ]
    _, everyone, ada = lines
    # 2 promoters, 1 detractor, 1 passive of 4 answers: 50 % - 25 % = 25.
    assert (everyone["Ratings"], float(everyone["Average rating"]), everyone["NPS answers"], everyone["NPS"]) == (
        3,
        3.33,
        4,
        25,
    )
    assert (float(ada["Average rating"]), ada["NPS"], ada["Complaints"], ada["Compliments"]) == (3.33, 33, 1, 2)


# --------------------------------------------------------------------------- the command line


def test_open_complaints_in_status_on_the_command_line(clinic: Clinic) -> None:
    clinic.sheet.append("Feedback", [entry(), entry("complaint", status="closed"), entry("compliment")])
    code, out = run("sync", "-p", str(clinic.folder))
    assert code == 0
    code, out = run("status", "-p", str(clinic.folder), "--json")
    sections = {s["title"]: s["rows"] for s in json.loads(out)["sections"]}
    assert sections["Open complaints"] == [["FB000001", "complaint", "2026-03-05", "new", "2026-03-09", "2026-04-04"]]
