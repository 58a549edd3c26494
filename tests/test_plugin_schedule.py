"""The schedule plugin through the sheet: double bookings of a provider, a room and a patient,
working hours and days off, unbooked gaps, wait times, the Patient flow tab, flow times out
of order, and the command line."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import BACKENDS, PATIENTS, PROVIDERS, Clinic
from .duty_clinic import cells, duty_clinic, on, open_alerts, run

TODAY = dt.date(2026, 3, 9)  # a Monday
ENTITIES = ["provider", "patient", "appointment"]
SECOND = {"ID": "PR000002", "First name": "Alan", "Last name": "Kay", "Credentials": "NP", "NPI": "1987654328"}


def at(days: int, clock: str) -> str:
    return f"{TODAY + dt.timedelta(days=days)} {clock}"


@pytest.fixture
def clinic(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Clinic]:
    with duty_clinic(tmp_path, "schedule", TODAY, entities=ENTITIES, extra=getattr(request, "param", "")) as c:
        c.sheet.append("Providers", [*PROVIDERS, SECOND])
        c.sheet.append("Patients", PATIENTS[:3])
        yield c


def visit(
    start: str, patient: str = "P000001", provider: str = "PR000001", minutes: int = 30, **cells: Any
) -> dict[str, Any]:
    titles = {"type": "Type", "status": "Status", "room": "Room", "checked_in": "Checked in", "roomed": "Roomed"}
    titles |= {"seen": "Seen by provider", "out": "Checked out"}
    row = {"Patient": patient, "Provider": provider, "Start": start, "Minutes": minutes, "Status": "scheduled"}
    return row | {titles[k]: v for k, v in cells.items()}


def hours(provider: str, *days: str, start: str = "08:00", end: str = "12:00") -> list[dict[str, Any]]:
    return [{"Provider": provider, "Day": day, "From": start, "To": end} for day in days]


def alerts(clinic: Clinic) -> dict[str, dict[str, Any]]:
    return open_alerts(clinic, "schedule")


# --------------------------------------------------------------------------- the tabs, on every backend


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_hours_rooms_and_flow_times_are_read_and_the_flow_tab_written_on_every_backend(
    tmp_path: Path, backend: str
) -> None:
    with duty_clinic(tmp_path, "schedule", TODAY, backend=backend, entities=ENTITIES) as clinic:
        clinic.sheet.append("Providers", PROVIDERS)
        clinic.sheet.append("Patients", PATIENTS[:3])
        clinic.sheet.append("Provider hours", hours("PR000001", "Monday", "tue"))
        clinic.sheet.append(
            "Appointments",
            [
                visit(
                    at(0, "08:00"),
                    status="completed",
                    room="Exam 1",
                    checked_in="2026-03-09 07:55",
                    seen="2026-03-09 08:10",
                    out="2026-03-09 08:40",
                ),
                visit(at(1, "09:00"), patient="P000002", room="Exam 1", minutes=60),
                visit(at(1, "09:30"), patient="P000003", room="Exam 1"),
            ],
        )
        report = clinic.sync()
        assert all(not r.errors for r in report.entities.values())
        assert sorted(alerts(clinic)) == [
            "schedule:A000003:double-booked:A000002",
            "schedule:A000003:room-double-booked:A000002",
            "schedule:gap:PR000001:2026-03-10",  # 3 of Tuesday's 4 hours unbooked
        ]
        this_week = [
            r
            for r in cells(clinic.sheet.rows("Patient flow"))
            if r["Week of"] in ("2026-03-09", dt.datetime(2026, 3, 9))
        ]
        [line] = this_week
        assert (float(line["Open hours"]), float(line["Booked hours"]), line["Visits"]) == (8.0, 2.0, 1)
        assert (float(line["Utilisation %"]), float(line["Median wait (min)"]), float(line["Median cycle (min)"])) == (
            25.0,
            15.0,
            45.0,
        )


# --------------------------------------------------------------------------- double bookings


def test_a_provider_booked_twice_at_once_is_flagged_on_the_later_appointment(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Appointments",
        [
            visit(at(1, "09:00")),
            visit(at(1, "09:15"), patient="P000002"),
            visit(at(1, "09:30"), patient="P000003"),  # starts as the first ends: no overlap with it
            visit(at(1, "09:00"), patient="P000002", provider="PR000002", status="cancelled"),
            visit(at(-7, "09:00")),
            visit(at(-7, "09:00"), patient="P000002"),  # in the past: history, not work
        ],
    )
    clinic.sync()
    found = alerts(clinic)
    assert sorted(found) == ["schedule:A000002:double-booked:A000001", "schedule:A000003:double-booked:A000002"]
    assert found["schedule:A000002:double-booked:A000001"]["message"] == (
        "Provider PR000001 is double-booked: A000002 (2026-03-10 09:15–09:45) overlaps "
        "A000001 (2026-03-10 09:00–09:30). Move one of them."
    )
    clinic.sheet.edit("Appointments", 3, "Start", at(1, "10:00"))
    clinic.sync()
    assert alerts(clinic) == {}


@pytest.mark.parametrize("clinic", ['\n[plugins.schedule]\noverlap_types = ["telehealth"]\n'], indirect=True)
def test_an_allowed_overlap_type_is_not_a_double_booking(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Appointments", [visit(at(1, "09:00")), visit(at(1, "09:00"), patient="P000002", type="telehealth")]
    )
    clinic.sync()
    assert alerts(clinic) == {}


def test_a_room_and_a_patient_booked_twice_at_once(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Appointments",
        [
            visit(at(2, "14:00"), room="Procedure room"),
            visit(at(2, "14:20"), patient="P000002", provider="PR000002", room="procedure room "),
            visit(at(3, "10:00"), patient="P000003"),
            visit(at(3, "10:10"), patient="P000003", provider="PR000002"),
        ],
    )
    clinic.sync()
    found = alerts(clinic)
    assert sorted(found) == [
        "schedule:A000002:room-double-booked:A000001",
        "schedule:A000004:patient-double-booked:A000003",
    ]
    assert found["schedule:A000004:patient-double-booked:A000003"]["message"] == (
        "Patient P000003 is booked twice at once: A000004 (2026-03-12 10:10–10:40) with PR000002 overlaps "
        "A000003 (2026-03-12 10:00–10:30) with PR000001."
    )


# --------------------------------------------------------------------------- working hours


def test_appointments_on_a_day_off_or_outside_hours(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Provider hours", hours("PR000001", "mon", "tue", "wed") + hours("PR000001", "tue", start="13:00", end="17:00")
    )
    clinic.sheet.append(
        "Appointments",
        [
            visit(at(1, "11:45")),  # Tuesday, runs past noon into lunch
            visit(at(1, "13:00"), patient="P000002"),  # Tuesday afternoon block
            visit(at(3, "09:00"), patient="P000003"),  # Thursday: a day off
            visit(at(3, "09:00"), patient="P000002", provider="PR000002"),  # no hours known: not checked
        ],
    )
    with on(TODAY, 7):
        clinic.sync()
    found = {k: v for k, v in alerts(clinic).items() if not k.startswith("schedule:gap:")}
    assert sorted(found) == ["schedule:A000001:outside-hours", "schedule:A000003:day-off"]
    assert found["schedule:A000001:outside-hours"]["message"] == (
        "A000001 (2026-03-10 11:45–12:15) is outside PR000001's hours on Tuesdays (08:00–12:00, 13:00–17:00)."
    )
    assert found["schedule:A000003:day-off"]["message"] == (
        "A000003 (2026-03-12 09:00–09:30) is on Thursday, a day PR000001 does not work (Provider hours)."
    )


@pytest.mark.parametrize("clinic", ["\n[plugins.schedule]\ngap_minutes = 150\ngap_days_ahead = 1\n"], indirect=True)
def test_unbooked_open_time_over_the_threshold_is_a_gap_to_fill(clinic: Clinic) -> None:
    clinic.sheet.append("Provider hours", hours("PR000001", "mon", "tue", "wed"))
    clinic.sheet.append(
        "Appointments",
        [
            visit(at(0, "10:00"), minutes=60),
            visit(at(1, "08:00"), minutes=60),
            visit(at(1, "09:00"), patient="P000002"),
        ],
    )
    with on(TODAY, 8):  # today: 3 h free from now; tomorrow: 2.5 h; Wednesday is beyond gap_days_ahead
        clinic.sync()
    found = alerts(clinic)
    assert sorted(found) == ["schedule:gap:PR000001:2026-03-09", "schedule:gap:PR000001:2026-03-10"]
    assert found["schedule:gap:PR000001:2026-03-09"]["severity"] == "info"
    assert found["schedule:gap:PR000001:2026-03-10"]["message"] == (
        "PR000001 has 2 h 30 min unbooked on Tue 2026-03-10: fill it from the wait list or recalls."
    )
    with on(
        TODAY,
        9,
    ):
        clinic.sync()  # an hour later, today has 2 h free: under 150 minutes
    assert sorted(alerts(clinic)) == ["schedule:gap:PR000001:2026-03-10"]


# --------------------------------------------------------------------------- patient flow


def timed(days: int, patient: str, checked_in: str, seen: str, provider: str = "PR000001") -> dict[str, Any]:
    day = TODAY + dt.timedelta(days=days)
    return visit(
        f"{day} {checked_in}",
        patient,
        provider,
        status="completed",
        checked_in=f"{day} {checked_in}",
        seen=f"{day} {seen}",
    )


def test_the_weeks_median_wait_over_the_setting_is_flagged(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Appointments",
        [
            timed(-1, "P000001", "09:00", "09:15"),
            timed(-2, "P000002", "09:00", "09:25"),
            timed(-3, "P000003", "09:00", "09:30"),
            timed(-8, "P000001", "09:00", "11:00"),  # more than 7 days ago
            timed(-1, "P000002", "10:00", "11:30", provider="PR000002"),
        ],
    )
    clinic.sync()
    found = alerts(clinic)
    assert sorted(found) == ["schedule:median-wait", "schedule:median-wait:PR000001"]
    assert found["schedule:median-wait"]["message"] == (
        "Patients waited a median 28 min from check-in to being seen over the last 7 days (4 visits timed), "
        "above the 20 min the practice aims for."
    )
    assert found["schedule:median-wait:PR000001"]["message"].startswith("PR000001's patients waited a median 25 min")


def test_flow_times_out_of_order_are_a_cell_error(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Appointments", [visit(at(-1, "09:00"), status="completed", checked_in=at(-1, "09:10"), seen=at(-1, "09:05"))]
    )
    report = clinic.sync()
    [error] = report.entities["appointment"].errors
    assert (error.column, error.problem) == ("Seen by provider", "Seen by provider is before Checked in")
    assert clinic.records("appointment") == []


# --------------------------------------------------------------------------- the command line


def test_waits_by_hour_in_status_on_the_command_line(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Appointments",
        [
            timed(-1, "P000001", "09:00", "09:15"),
            timed(-1, "P000002", "09:40", "10:20"),
            timed(-2, "P000003", "14:00", "14:05"),
        ],
    )
    assert run("sync", "-p", str(clinic.folder))[0] == 0
    _, out = run("status", "-p", str(clinic.folder), "--json")
    sections = {s["title"]: s["rows"] for s in json.loads(out)["sections"]}
    assert sections["Waits by hour of check-in (last 28 days)"] == [["09:00", 2, 28, ""], ["14:00", 1, 5, ""]]
