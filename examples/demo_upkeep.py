"""The demo clinic's equipment, compliance tasks and vaccine storage temperature log.

Dated relative to `today`, so the equipment plugin always has one of each alert to show:
maintenance and calibration due soon and overdue, a warranty and a service contract
ending, a contract that has lapsed, the otoscope out of service, compliance tasks due,
overdue and never recorded, and one vaccine-refrigerator reading above 8 °C with no
action written down (another excursion, a week earlier, has its action recorded).
"""

from __future__ import annotations

import datetime as dt
import random

from clinicops.examples.demo_common import Row

# asset, location, vendor, maintenance every, maintained days ago, calibrate every, calibrated days ago,
# warranty ends in, contract ends in (days from today), status
ASSETS: tuple[
    tuple[str, str, str, int | None, int | None, int | None, int | None, int | None, int | None, str], ...
] = (
    ("Autoclave (Tuttnauer 2540M)", "Sterilization room", "Tuttnauer", 90, 84, None, None, None, 200, "in service"),
    ("Vaccine refrigerator", "Clean utility", "Helmer Scientific", 180, 40, None, None, 45, None, "in service"),
    ("Vaccine freezer", "Clean utility", "Helmer Scientific", 180, 100, None, None, None, None, "in service"),
    (
        "Digital data logger (fridge)",
        "Clean utility",
        "Fisher Scientific",
        None,
        None,
        365,
        358,
        None,
        None,
        "in service",
    ),
    ("ECG machine", "Exam room 3", "GE Healthcare", 365, 380, None, None, None, 30, "in service"),
    ("Spirometer", "Exam room 2", "MGC Diagnostics", 365, 100, 365, 372, None, -12, "in service"),
    ("AED (Philips HeartStart)", "Front hallway", "Philips", 30, 12, None, None, 700, None, "in service"),
    ("Otoscope wall set", "Exam room 1", "Welch Allyn", None, None, None, None, None, None, "out of service"),
    ("Centrifuge", "Lab", "Drucker", 365, 200, 365, 200, None, 300, "in service"),
    ("Blood pressure monitor", "Triage", "Omron", None, None, 365, 120, None, None, "in service"),
    ("Exam table (Midmark 626)", "Exam room 4", "Midmark", 365, 150, None, None, None, None, "in service"),
    ("Old centrifuge", "Storage", "Drucker", 365, 900, None, None, None, None, "retired"),
)

# task, standard, frequency, owner, done days ago (None: never recorded)
TASKS: tuple[tuple[str, str, str, str, int | None], ...] = (
    ("Fire extinguisher inspection", "OSHA 29 CFR 1910.157(e)(2)", "monthly", "S000001", 20),
    ("Exposure control plan review", "OSHA 29 CFR 1910.1030(c)(1)(iv)", "annual", "S000001", 372),
    ("Eyewash station flush", "ANSI/ISEA Z358.1", "weekly", "S000005", 3),
    ("Vaccine refrigerator temperature log", "CDC Vaccine Storage and Handling Toolkit", "twice daily", "S000005", 1),
    ("CLIA proficiency testing", "42 CFR 493 subpart H", "semiannual", "S000012", 176),
    ("AED check", "Manufacturer's instructions", "monthly", "S000008", None),
    ("Hazard communication training", "OSHA 29 CFR 1910.1200(h)", "annual", "S000001", 200),
)


def _asset_rows(today: dt.date) -> list[Row]:
    def ago(n: int | None) -> dt.date | None:
        return None if n is None else today - dt.timedelta(days=n)

    def ahead(n: int | None) -> dt.date | None:
        return None if n is None else today + dt.timedelta(days=n)

    rows = []
    for n, (name, where, vendor, every, done, cal_every, calibrated, warranty, contract, status) in enumerate(
        ASSETS, 1
    ):
        rows.append(
            {
                "id": f"EQ{n:06d}",
                "asset": name,
                "location": where,
                "serial": f"SN{7300 + n * 37:06d}",
                "vendor": vendor,
                "purchase_date": today - dt.timedelta(days=400 + 150 * n),
                "warranty_end": ahead(warranty),
                "contract_end": ahead(contract),
                "maintenance_days": every,
                "last_maintained": ago(done),
                "calibration_days": cal_every,
                "last_calibrated": ago(calibrated),
                "status": status,
            }
        )
    return rows


def _task_rows(today: dt.date) -> list[Row]:
    return [
        {
            "id": f"CT{n:06d}",
            "task": task,
            "standard": standard,
            "frequency": frequency,
            "owner_id": owner,
            "last_done": None if done is None else today - dt.timedelta(days=done),
        }
        for n, (task, standard, frequency, owner, done) in enumerate(TASKS, 1)
    ]


def _temperature_rows(today: dt.date, rng: random.Random) -> list[Row]:
    """Two readings a workday for the two weeks before today, fridge and freezer; two fridge excursions."""
    rows: list[Row] = []
    for back in range(14, 0, -1):
        day = today - dt.timedelta(days=back)
        if day.weekday() >= 5:
            continue
        for hour in (8, 16):
            at = dt.datetime.combine(day, dt.time(hour, rng.randint(0, 20)))
            fridge = {"reading_c": round(rng.uniform(3.5, 6.0), 1), "min_c": 3.1, "max_c": 6.8}
            freezer = {"reading_c": round(rng.uniform(-22, -18), 1), "min_c": -24.0, "max_c": -17.0}
            rows.append({"taken_at": at, "unit_id": "EQ000002", "kind": "refrigerator", "initials": "JT", **fridge})
            rows.append({"taken_at": at, "unit_id": "EQ000003", "kind": "freezer", "initials": "JT", **freezer})
    fridge_rows = [r for r in rows if r["kind"] == "refrigerator"]
    fridge_rows[4].update(
        max_c=9.1, action="Door left ajar 20 min; vaccines labelled Do Not Use, Merck confirmed viable"
    )
    fridge_rows[-1].update(max_c=8.9)
    return [{"id": f"TMP{n:06d}", **r} for n, r in enumerate(rows, 1)]


def upkeep_tabs(today: dt.date, rng: random.Random) -> dict[str, list[Row]]:
    """Rows for the Equipment, Compliance tasks and Temperature log tabs."""
    return {
        "equipment": _asset_rows(today),
        "compliance_task": _task_rows(today),
        "temperature_reading": _temperature_rows(today, rng),
    }
