"""The reviews plugin, through its hooks only: review rows it opens for new hires and
for annual cycles (once, however often the practice syncs), manager alerts as the
calendar moves towards and past a due date, the weighted overall score, reviews closed
without goals, and the demo practice's deliberate review slips."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from clinicops.core import operations
from clinicops.core.clock import PinnedClock
from clinicops.core.practice import Practice

from .conftest import Clinic, write_config
from .sheet_drivers import XlsxDriver

TODAY = dt.date(2026, 3, 2)  # a Monday
DEMO_DAY = dt.date(2026, 11, 23)
NEW_YORK = ZoneInfo("America/New_York")
MANAGER = {"ID": "S000001", "First name": "Dana", "Last name": "Reyes", "Role": "manager", "Status": "active"}


def at(day: dt.date) -> PinnedClock:
    """The practice's clock stopped mid-morning in its time zone on ``day``."""
    return PinnedClock(dt.datetime.combine(day, dt.time(10), tzinfo=NEW_YORK), frozen=True)


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def make_clinic(folder: Path, settings: str = "") -> Clinic:
    extra = f"\n[plugins.reviews]\n{settings}\n" if settings else ""
    write_config(folder, plugins=["reviews"], entities=["staff", "performance_review"], extra=extra)
    clinic = Clinic(folder, XlsxDriver(folder / "clinic.xlsx"))
    operations.lay_out(clinic.practice)
    return clinic


@pytest.fixture
def clinic(tmp_path: Path) -> Clinic:
    c = make_clinic(tmp_path)
    c.sheet.append("Staff", [MANAGER])
    return c


def staff(number: int, hired: dt.date | None, **cells: Any) -> dict[str, Any]:
    row = {"ID": f"S{number:06d}", "First name": "Sam", "Last name": f"Case{number}", "Role": "nurse"}
    return row | {"Hire date": hired, "Manager": "S000001", "Status": "active"} | cells


def sync_on(clinic: Clinic, day: dt.date, **kwargs: Any) -> Any:
    practice = Practice.open(clinic.folder, clock=at(day))
    try:
        return operations.sync(practice, **kwargs)
    finally:
        practice.close()


def reviews(clinic: Clinic) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in clinic.records("performance_review")}


def open_alerts(clinic: Clinic) -> dict[str, str]:
    """alert id -> message, for the reviews plugin's open alerts."""
    return {
        a["id"]: a["message"]
        for a in clinic.records("alert")
        if a["plugin"] == "reviews" and a["status"] in ("open", "acknowledged")
    }


# --------------------------------------------------------------------------- cycles


def test_a_new_hire_gets_a_90_day_review_from_the_hire_date(clinic: Clinic) -> None:
    clinic.sheet.append("Staff", [staff(2, ago(40)), staff(3, ago(10))])
    sync_on(clinic, TODAY)
    due = ago(40) + dt.timedelta(days=90)
    assert reviews(clinic) == {
        f"REV-S000002-{due}": {
            "id": f"REV-S000002-{due}",
            "staff_id": "S000002",
            "reviewer_id": "S000001",
            "period_start": str(ago(40)),
            "period_end": str(due),
            "due_date": str(due),
            "status": "scheduled",
        }
    }
    sheet = {r["ID"]: r for r in clinic.sheet.rows("Performance reviews")}
    assert sheet[f"REV-S000002-{due}"]["Status"] == "scheduled"
    # The later hire's row opens once the due date is within 60 days (create_days_before).
    sync_on(clinic, TODAY + dt.timedelta(days=19))
    assert f"REV-S000003-{ago(10) + dt.timedelta(days=90)}" not in reviews(clinic)
    sync_on(clinic, TODAY + dt.timedelta(days=20))
    assert f"REV-S000003-{ago(10) + dt.timedelta(days=90)}" in reviews(clinic)


def test_annual_review_is_due_a_year_after_the_last_one_and_opens_with_its_30_day_alert(clinic: Clinic) -> None:
    clinic.sheet.append("Staff", [staff(3, dt.date(2019, 5, 10))])
    clinic.sheet.append(
        "Performance reviews",
        [
            {
                "Staff member": "S000003",
                "Period start": dt.date(2024, 3, 19),
                "Period end": dt.date(2025, 3, 18),
                "Due": dt.date(2025, 4, 1),
                "Status": "completed",
                "Goals": "Lead the flu clinic",
                "Completed": dt.date(2025, 3, 28),
            }
        ],
    )
    sync_on(clinic, TODAY)
    new = reviews(clinic)["REV-S000003-2026-04-01"]
    assert (new["period_start"], new["period_end"], new["status"]) == ("2025-03-19", "2026-03-18", "scheduled")
    assert open_alerts(clinic) == {
        "reviews:REV-S000003-2026-04-01:within-30d": (
            "The annual review REV-S000003-2026-04-01 of Sam Case3 (S000003) is due on 2026-04-01 (in 30 days); "
            "manager: Dana Reyes (S000001)"
        )
    }


def test_after_the_90_day_review_the_next_is_due_on_the_hire_anniversary(clinic: Clinic) -> None:
    hired = dt.date(2025, 6, 1)
    clinic.sheet.append("Staff", [staff(4, hired)])
    first = {"Staff member": "S000004", "Due": dt.date(2025, 8, 30), "Status": "completed", "Goals": "Learn EHR"}
    clinic.sheet.append("Performance reviews", [first])
    sync_on(clinic, TODAY)
    assert len(reviews(clinic)) == 1
    sync_on(clinic, dt.date(2026, 4, 15))
    assert "REV-S000004-2026-06-01" in reviews(clinic)


def test_long_serving_staff_with_no_review_on_file_are_due_on_their_next_anniversary(clinic: Clinic) -> None:
    clinic.sheet.append("Staff", [staff(5, dt.date(2021, 4, 15)), staff(6, dt.date(2021, 9, 1)), staff(7, None)])
    sync_on(clinic, TODAY)
    assert list(reviews(clinic)) == ["REV-S000005-2026-04-15"]


def test_staff_on_leave_or_terminated_get_no_new_review(clinic: Clinic) -> None:
    clinic.sheet.append("Staff", [staff(2, ago(40), Status="on-leave"), staff(3, ago(40), Status="terminated")])
    sync_on(clinic, TODAY)
    assert reviews(clinic) == {}


def test_repeated_syncs_never_open_a_second_review_for_the_same_cycle(clinic: Clinic) -> None:
    clinic.sheet.append("Staff", [staff(2, ago(40))])
    sync_on(clinic, TODAY)
    for later in (0, 1, 15):
        again = sync_on(clinic, TODAY + dt.timedelta(days=later))
        assert again.entities["performance_review"].created == 0
        assert again.entities["performance_review"].updated == 0
    [rid] = reviews(clinic)
    assert len(operations.history(clinic.practice, "performance_review", rid)) == 1
    assert len(clinic.sheet.rows("Performance reviews")) == 1


def test_a_cancelled_or_deleted_review_is_not_opened_again(clinic: Clinic) -> None:
    clinic.sheet.append("Staff", [staff(2, ago(40)), staff(3, ago(45))])
    sync_on(clinic, TODAY)
    rows = {r["Staff member"]: r["_row"] for r in clinic.sheet.rows("Performance reviews")}
    clinic.sheet.edit("Performance reviews", rows["S000002"], "Status", "cancelled")
    clinic.sheet.delete_row("Performance reviews", rows["S000003"])
    sync_on(clinic, TODAY, allow_delete=True)  # one of two reviews: above the delete guard's share
    sync_on(clinic, TODAY + dt.timedelta(days=1))
    left = reviews(clinic)
    assert [r["status"] for r in left.values()] == ["cancelled"]
    assert open_alerts(clinic) == {}


# --------------------------------------------------------------------------- alerts


def test_manager_is_alerted_30_and_7_days_before_and_when_overdue(clinic: Clinic) -> None:
    due = TODAY + dt.timedelta(days=40)
    clinic.sheet.append("Staff", [staff(2, dt.date(2018, 1, 8))])
    clinic.sheet.append("Performance reviews", [{"Staff member": "S000002", "Due": due, "Status": "in-progress"}])
    seen = {}
    for days_before in (31, 30, 8, 7, 0, -1, -9):
        sync_on(clinic, due - dt.timedelta(days=days_before))
        seen[days_before] = open_alerts(clinic)
    assert seen[31] == {}
    assert list(seen[30]) == list(seen[8]) == ["reviews:REV000001:within-30d"]
    assert list(seen[7]) == list(seen[0]) == ["reviews:REV000001:within-7d"]
    assert list(seen[-1]) == list(seen[-9]) == ["reviews:REV000001:overdue"]
    assert (
        "is due on 2026-04-11 (in 30 days); manager: Dana Reyes (S000001)" in seen[30]["reviews:REV000001:within-30d"]
    )
    assert "(today)" in seen[0]["reviews:REV000001:within-7d"]
    assert seen[-1]["reviews:REV000001:overdue"] == (
        "The annual review REV000001 of Sam Case2 (S000002) is overdue: it was due on 2026-04-11 (1 day ago); "
        "manager: Dana Reyes (S000001)"
    )
    severities = {a["id"]: a["severity"] for a in clinic.records("alert")}
    assert severities["reviews:REV000001:within-30d"] == "info"
    assert severities["reviews:REV000001:overdue"] == "warning"
    row = clinic.sheet.rows("Performance reviews")[0]["_row"]
    clinic.sheet.edit("Performance reviews", row, "Status", "completed")
    clinic.sheet.edit("Performance reviews", row, "Goals", "Precept a new nurse")
    sync_on(clinic, due)
    assert open_alerts(clinic) == {}


def test_thresholds_come_from_settings(tmp_path: Path) -> None:
    clinic = make_clinic(tmp_path, "warn_days = [14]")
    clinic.sheet.append("Staff", [MANAGER, staff(2, dt.date(2018, 1, 8))])
    due = TODAY + dt.timedelta(days=20)
    clinic.sheet.append("Performance reviews", [{"Staff member": "S000002", "Due": due, "Status": "scheduled"}])
    sync_on(clinic, TODAY)
    assert open_alerts(clinic) == {}
    sync_on(clinic, due - dt.timedelta(days=14))
    assert list(open_alerts(clinic)) == ["reviews:REV000001:within-14d"]


def test_a_completed_review_without_goals_is_flagged_until_goals_are_added(clinic: Clinic) -> None:
    clinic.sheet.append("Staff", [staff(2, dt.date(2018, 1, 8)), staff(3, dt.date(2018, 1, 8))])
    done = {"Status": "completed", "Completed": ago(20)}
    clinic.sheet.append(
        "Performance reviews",
        [
            {"Staff member": "S000002", "Due": ago(400), "Status": "completed"},  # an old one: history
            {"Staff member": "S000002", "Due": ago(30), "Goals": "Cross-train on billing", **done},
            {"Staff member": "S000003", "Due": ago(30), **done},
        ],
    )
    sync_on(clinic, TODAY)
    assert open_alerts(clinic) == {
        "reviews:REV000003:no-goals": (
            f"The annual review REV000003 of Sam Case3 (S000003), completed {ago(20)}, has no goals for the year "
            "ahead; manager: Dana Reyes (S000001)"
        )
    }
    row = next(r["_row"] for r in clinic.sheet.rows("Performance reviews") if r["ID"] == "REV000003")
    clinic.sheet.edit("Performance reviews", row, "Goals", "Finish phlebotomy certificate")
    sync_on(clinic, TODAY)
    assert open_alerts(clinic) == {}


# --------------------------------------------------------------------------- overall score


def scored(**scores: int | None) -> dict[str, Any]:
    titles = {
        "communication": "Communication (1-5)",
        "clinical_skills": "Clinical skills (1-5)",
        "teamwork": "Teamwork (1-5)",
        "reliability": "Reliability (1-5)",
        "professionalism": "Professionalism (1-5)",
    }
    row = {"Staff member": "S000001", "Due": ago(10), "Status": "completed", "Goals": "Keep it up"}
    return row | {titles[k]: v for k, v in scores.items() if v is not None}


def overall_scores(clinic: Clinic) -> list[float | None]:
    return [r.get("overall_score") for r in sorted(reviews(clinic).values(), key=lambda r: r["id"])]


def test_overall_is_the_mean_once_every_required_competency_is_scored(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Performance reviews",
        [
            scored(communication=4, clinical_skills=5, teamwork=3, reliability=5, professionalism=4),
            scored(communication=4, teamwork=3, reliability=5, professionalism=4),  # clinical skills: optional
            scored(communication=4, teamwork=3, reliability=4, professionalism=4),
            scored(communication=4, teamwork=3, professionalism=4),  # reliability missing: no overall yet
        ],
    )
    sync_on(clinic, TODAY)
    assert overall_scores(clinic) == [4.2, 4.0, 3.75, None]
    assert [r["Overall"] for r in clinic.sheet.rows("Performance reviews")] == [4.2, 4.0, 3.75, None]
    row = clinic.sheet.rows("Performance reviews")[3]["_row"]
    clinic.sheet.edit("Performance reviews", row, "Reliability (1-5)", 2)
    sync_on(clinic, TODAY)
    assert overall_scores(clinic)[3] == 3.25


def test_weights_shape_the_overall_and_round_half_up_to_two_decimals(tmp_path: Path) -> None:
    clinic = make_clinic(
        tmp_path, "weights = { communication = 7, teamwork = 1, reliability = 0, professionalism = 0 }"
    )
    clinic.sheet.append("Staff", [MANAGER])
    clinic.sheet.append(
        "Performance reviews",
        [
            scored(communication=3, teamwork=4, reliability=1, professionalism=1),  # (7*3 + 4) / 8 = 3.125
            scored(communication=3, clinical_skills=5, teamwork=4),  # (21 + 5 + 4) / 9 = 3.333…
        ],
    )
    sync_on(clinic, TODAY)
    assert overall_scores(clinic) == [3.13, 3.33]


def test_changing_the_weights_rescores_reviews_on_the_next_sync(clinic: Clinic) -> None:
    clinic.sheet.append("Performance reviews", [scored(communication=5, teamwork=3, reliability=4, professionalism=4)])
    sync_on(clinic, TODAY)
    assert overall_scores(clinic) == [4.0]
    write_config(
        clinic.folder,
        plugins=["reviews"],
        entities=["staff", "performance_review"],
        extra="\n[plugins.reviews]\nweights = { communication = 3 }\n",
    )
    clinic.reopen()
    sync_on(clinic, TODAY)
    assert overall_scores(clinic) == [4.33]
    assert clinic.sheet.rows("Performance reviews")[0]["Overall"] == 4.33


def test_a_weight_for_an_unknown_competency_is_reported(tmp_path: Path) -> None:
    clinic = make_clinic(tmp_path, "weights = { comunication = 2 }")
    sync_on(clinic, TODAY)
    [message] = open_alerts(clinic).values()
    assert message.startswith("plugins.reviews.weights names 'comunication', which is not a review competency")


# --------------------------------------------------------------------------- the demo practice


@pytest.fixture(scope="module")
def demo_master(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo practice after its first sync with reviews on, kept aside, and the folder it
    was synced in: the workbook backend is keyed by its path, so each test gets its copy
    back in that same folder and carries on exactly where the first sync left off."""
    root = tmp_path_factory.mktemp("demo")
    work, master = root / "clinic", root / "master"
    operations.create_demo(work, today=DEMO_DAY).close()
    assert '"reviews"' in (work / "practice.toml").read_text()  # the demo has reviews on
    practice = Practice.open(work, clock=at(DEMO_DAY))
    operations.sync(practice)
    practice.close()
    shutil.copytree(work, master)
    return master, work


@pytest.fixture
def demo(demo_master: tuple[Path, Path]) -> Iterator[Clinic]:
    master, work = demo_master
    shutil.rmtree(work)
    shutil.copytree(master, work)
    c = Clinic(work, XlsxDriver(work / "clinic.xlsx"))
    yield c
    c.practice.close()


def test_demo_shows_the_overdue_due_soon_and_goal_less_reviews(demo: Clinic) -> None:
    assert sorted(open_alerts(demo)) == [
        "reviews:REV000010:no-goals",  # S000012, completed without goals
        "reviews:REV000011:overdue",  # S000003
        "reviews:REV000012:within-7d",  # S000002
        "reviews:REV000013:within-30d",  # S000007's 90-day review
        "reviews:REV000014:within-30d",  # S000009
        "reviews:REV000015:within-30d",  # S000011
    ]
    assert "90-day review REV000013" in open_alerts(demo)["reviews:REV000013:within-30d"]
    demo_reviews = reviews(demo)
    completed = [r for r in demo_reviews.values() if r["status"] == "completed"]
    assert completed and all(1 <= r["overall_score"] <= 5 for r in completed)
    assert len(demo_reviews) == 17  # nothing opened yet: the next reviews are more than 60 days out
    sections = operations.status(demo.practice)["sections"]
    due = next(s for s in sections if s["title"] == "Performance reviews due")
    assert [row[0] for row in due["rows"]] == ["REV000011", "REV000012", "REV000013", "REV000014", "REV000015"]


def test_demo_opens_the_office_managers_review_as_it_comes_due(demo: Clinic) -> None:
    sync_on(demo, DEMO_DAY + dt.timedelta(days=40))
    opened = [r for r in reviews(demo) if r.startswith("REV-")]
    assert opened == [f"REV-S000001-{DEMO_DAY + dt.timedelta(days=95)}"]


def test_disabling_reviews_removes_its_alerts_and_keeps_the_others(demo: Clinic) -> None:
    config = demo.folder / "practice.toml"
    text = config.read_text()
    assert '"reviews", ' in text
    config.write_text(text.replace('"reviews", ', ""))
    demo.reopen()
    sync_on(demo, DEMO_DAY)
    plugins = {a["plugin"] for a in demo.records("alert")}
    assert "reviews" not in plugins and {"credentials", "billing"} <= plugins
    assert all(row["Plugin"] != "reviews" for row in demo.sheet.rows("Alerts"))
