"""The equipment plugin through the sheet: maintenance, calibration, warranties and service
contracts, equipment out of service, compliance tasks, and vaccine storage temperatures."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import BACKENDS, Clinic
from .duty_clinic import STAFF, as_date, cells, duty_clinic, on, open_alerts, run

TODAY = dt.date(2026, 3, 2)  # a Monday


def day(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def clinic(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Clinic]:
    with duty_clinic(tmp_path, "equipment", TODAY, entities=["staff"], extra=getattr(request, "param", "")) as c:
        c.sheet.append("Staff", STAFF)
        yield c


def asset(name: str = "Autoclave", **cells: Any) -> dict[str, Any]:
    titles = {
        "maintenance_days": "Maintenance every (days)",
        "last_maintained": "Last maintained",
        "calibration_days": "Calibrate every (days)",
        "last_calibrated": "Last calibrated",
        "warranty_end": "Warranty end",
        "contract_end": "Service contract end",
        "status": "Status",
        "vendor": "Vendor",
    }
    return {"Asset": name, "Location": "Sterilization room"} | {titles[k]: v for k, v in cells.items()}


def alerts(clinic: Clinic) -> dict[str, dict[str, Any]]:
    return open_alerts(clinic, "equipment")


# --------------------------------------------------------------------------- the tabs, on every backend


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_the_tabs_are_laid_out_and_next_dates_written_back_on_every_backend(tmp_path: Path, backend: str) -> None:
    with duty_clinic(tmp_path, "equipment", TODAY, backend=backend, entities=["staff"]) as clinic:
        clinic.sheet.append("Equipment", [asset(maintenance_days=90, last_maintained="2026-01-15")])
        clinic.sheet.append(
            "Compliance tasks",
            [{"Task": "Fire extinguisher inspection", "Frequency": "monthly", "Last done": "2026-01-31"}],
        )
        clinic.sync()
        [row] = clinic.sheet.rows("Equipment")
        assert as_date(row["Next maintenance"]) == dt.date(2026, 4, 15)
        [task] = clinic.sheet.rows("Compliance tasks")
        assert as_date(task["Next due"]) == dt.date(2026, 2, 28)  # calendar months: 31 January + 1 month
        assert clinic.sheet.rows("Temperature log") == []  # laid out, empty
        assert list(alerts(clinic)) == ["equipment:CT000001:overdue"]


# --------------------------------------------------------------------------- maintenance and calibration


def test_maintenance_is_shown_when_due_and_warned_about_when_overdue(clinic: Clinic) -> None:
    clinic.sheet.append("Equipment", [asset(maintenance_days=30, last_maintained=day(-10).isoformat())])
    expected = [(5, set()), (6, {"equipment:EQ000001:maintenance-due"}), (20, {"equipment:EQ000001:maintenance-due"})]
    expected.append((21, {"equipment:EQ000001:maintenance-overdue"}))
    for n, keys in expected:
        with on(day(n)):
            clinic.sync()
            assert set(alerts(clinic)) == keys, n
    [alert] = alerts(clinic).values()
    assert alert["severity"] == "warning"
    assert alert["message"] == (
        "Autoclave (EQ000001, Sterilization room) maintenance is overdue: it was due on 2026-03-22 (1 day overdue)."
    )
    with on(day(21)):
        clinic.sheet.edit("Equipment", 2, "Last maintained", day(21).isoformat())
        report = clinic.sync()
    assert report.alerts_resolved == 1 and alerts(clinic) == {}
    assert clinic.record("equipment", "EQ000001")["next_maintenance"] == day(51).isoformat()


def test_calibration_has_its_own_interval(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Equipment",
        [asset("Vaccine fridge thermometer", calibration_days=365, last_calibrated=day(-360).isoformat())],
    )
    clinic.sync()
    [(key, alert)] = alerts(clinic).items()
    assert key == "equipment:EQ000001:calibration-due" and alert["severity"] == "info"
    assert "calibration is due on 2026-03-07 (in 5 days)" in alert["message"]


def test_without_an_interval_or_a_last_date_nothing_is_computed_or_raised(clinic: Clinic) -> None:
    clinic.sheet.append("Equipment", [asset(maintenance_days=30), asset("ECG machine", last_maintained="2025-01-01")])
    clinic.sync()
    assert [r.get("Next maintenance") for r in clinic.sheet.rows("Equipment")] == [None, None]
    assert alerts(clinic) == {}


# --------------------------------------------------------------------------- warranty, contract, status


def test_warranty_and_service_contract_ends_are_announced(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Equipment",
        [
            asset("Exam table", warranty_end=day(60).isoformat(), contract_end=day(61).isoformat()),
            asset("Spirometer", warranty_end=day(-1).isoformat(), contract_end=day(-1).isoformat(), vendor="MedServ"),
        ],
    )
    clinic.sync()
    found = alerts(clinic)
    assert sorted(found) == ["equipment:EQ000001:warranty-ends", "equipment:EQ000002:contract-ended"]
    assert found["equipment:EQ000002:contract-ended"]["message"] == (
        "Spirometer (EQ000002, Sterilization room) service contract with MedServ ended on 2026-03-01: "
        "renew it or record the new end date."
    )
    with on(day(1)):
        clinic.sync()
        assert "equipment:EQ000001:contract-ends" in alerts(clinic)


def test_out_of_service_equipment_is_flagged_and_retired_equipment_is_quiet(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Equipment",
        [
            asset("Otoscope", status="broken"),
            asset("Old centrifuge", status="retired", maintenance_days=30, last_maintained="2024-01-01"),
        ],
    )
    clinic.sync()
    [(key, alert)] = alerts(clinic).items()
    assert key == "equipment:EQ000001:out-of-service"
    assert (
        alert["message"]
        == "Otoscope (EQ000001, Sterilization room) is out of service: arrange its repair or replacement."
    )
    clinic.sheet.edit("Equipment", 2, "Status", "in service")
    assert clinic.sync().alerts_resolved == 1


# --------------------------------------------------------------------------- compliance tasks


def test_compliance_tasks_fall_due_by_their_frequency_and_name_their_owner(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Compliance tasks",
        [
            {
                "Task": "Eyewash station flush",
                "Rule or standard": "ANSI Z358.1",
                "Frequency": "weekly",
                "Owner": "S000002",
                "Last done": day(-8).isoformat(),
            },
            {
                "Task": "Exposure control plan review",
                "Rule or standard": "OSHA 29 CFR 1910.1030",
                "Frequency": "annual",
                "Owner": "S000001",
                "Last done": "2025-03-10",
            },
            {"Task": "AED check", "Frequency": "monthly"},
            {"Task": "CLIA proficiency testing", "Frequency": "semiannual", "Last done": "2026-01-05"},
        ],
    )
    clinic.sync()
    found = alerts(clinic)
    assert sorted(found) == ["equipment:CT000001:overdue", "equipment:CT000002:due", "equipment:CT000003:never-done"]
    assert found["equipment:CT000001:overdue"]["message"] == (
        "Eyewash station flush (CT000001, weekly, ANSI Z358.1) is overdue: it was due on 2026-03-01 (1 day overdue); "
        "owner: Sam Safety (S000002)."
    )
    assert found["equipment:CT000002:due"]["message"].endswith(
        "is due on 2026-03-10 (in 8 days); owner: Mary Major (S000001)."
    )
    assert found["equipment:CT000003:never-done"]["message"] == (
        "AED check (CT000003, monthly) has no date it was last done: do it and record the date; no owner named."
    )


@pytest.mark.parametrize("clinic", ["\n[plugins.equipment]\nwarn_days = 3\n"], indirect=True)
def test_the_warning_window_is_a_setting(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Compliance tasks",
        [
            {"Task": "Fire extinguisher inspection", "Frequency": "monthly", "Last done": "2026-02-06"},
            {"Task": "AED check", "Frequency": "monthly", "Last done": "2026-02-05"},
        ],
    )
    clinic.sync()
    assert list(alerts(clinic)) == ["equipment:CT000002:due"]


# --------------------------------------------------------------------------- vaccine storage temperatures


def reading(at: str, kind: str = "refrigerator", **values: Any) -> dict[str, Any]:
    titles = {"reading_c": "Reading °C", "min_c": "Min °C", "max_c": "Max °C", "action": "Action taken"}
    return {"Time": at, "Unit": "EQ000001", "Kind": kind, "Initials": "SS"} | {titles[k]: v for k, v in values.items()}


def test_a_vaccine_fridge_reading_outside_2_to_8_degrees_is_critical_until_action_is_recorded(clinic: Clinic) -> None:
    clinic.sheet.append("Equipment", [asset("Vaccine refrigerator", status="in service")])
    clinic.sheet.append(
        "Temperature log",
        [
            reading("2026-03-02 08:00", reading_c=4.5, min_c=2.0, max_c=8.0),
            reading("2026-03-02 16:00", reading_c=5.1, min_c=3.2, max_c=9.4),
            reading("2026-03-02 16:05", "freezer", reading_c=-20, min_c=-25, max_c=-14.5),
        ],
    )
    clinic.sync()
    found = alerts(clinic)
    assert sorted(found) == ["equipment:TMP000002:excursion", "equipment:TMP000003:excursion"]
    fridge = found["equipment:TMP000002:excursion"]
    assert fridge["severity"] == "critical"
    assert fridge["message"] == (
        "Temperature excursion in vaccine refrigerator EQ000001 at 2026-03-02 16:00 (TMP000002): maximum 9.4 °C, "
        "outside 2 to 8 °C. Label the vaccines 'Do Not Use', keep them cold, call the manufacturers before using "
        "them, and write what was done under Action taken."
    )
    assert "maximum -14.5 °C, outside -50 to -15 °C" in found["equipment:TMP000003:excursion"]["message"]
    clinic.sheet.edit("Temperature log", 3, "Action taken", "Vaccines quarantined; Merck called, all viable")
    clinic.sync()
    assert list(alerts(clinic)) == ["equipment:TMP000003:excursion"]


# --------------------------------------------------------------------------- the command line


def test_sync_status_and_plugins_on_the_command_line(clinic: Clinic) -> None:
    clinic.sheet.append("Equipment", [asset(maintenance_days=30, last_maintained=day(-25).isoformat())])
    folder = str(clinic.folder)
    code, out = run("sync", "-p", folder)
    assert code == 0 and "Equipment" in out
    code, out = run("status", "-p", folder, "--json")
    sections = {s["title"]: s["rows"] for s in json.loads(out)["sections"]}
    assert sections["Equipment and compliance due"] == [
        ["EQ000001", "Autoclave maintenance", "2026-03-07", "in 5 days"]
    ]
    code, out = run("plugins", "-p", folder, "--json")
    listed = json.loads(out)
    names = [p["name"] for p in listed["plugins"]]
    assert "equipment" in names
    assert cells(clinic.sheet.rows("Equipment"))[0]["Next maintenance"] is not None
