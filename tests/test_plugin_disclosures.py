"""Accounting of disclosures (45 CFR 164.528): disclosures recorded in the Disclosures tab, and a
patient's six-year accounting from the command line, kept apart from the access report."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click.testing import CliRunner

from clinicops.core import operations

from .conftest import Clinic, write_config
from .test_plugin_reminders import clinicops

TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def clinic(xlsx_clinic: Clinic) -> Iterator[Clinic]:
    moment = dt.datetime.combine(TODAY, dt.time(12), tzinfo=ZoneInfo("America/New_York"))
    with time_machine.travel(moment, tick=False):
        write_config(xlsx_clinic.folder, plugins=["disclosures"], entities=["provider", "patient", "disclosure"])
        xlsx_clinic.reopen()
        xlsx_clinic.sync()
        operations.lay_out(xlsx_clinic.practice)
        yield xlsx_clinic


def disclosure(day: dt.date, recipient: str, what: str, purpose: str, category: str, **more: Any) -> dict[str, Any]:
    row = {"Patient": "P000001", "Date": day, "Recipient": recipient, "Information disclosed": what}
    return row | {"Purpose": purpose, "Category": category} | more


def accounting(clinic: Clinic, patient: str = "P000001", *more: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        clinicops(), ["disclosures", "accounting", patient, "-p", str(clinic.folder), "--json", *more]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


ROWS = [
    # 164.528(a)(1), 164.512(b): a report to the health department is accounted for.
    disclosure(
        dt.date(2024, 3, 5),
        "Massachusetts DPH, 250 Washington St, Boston",
        "Pertussis case report",
        "Reportable disease",
        "public health",
    ),
    # 164.512(e): a court order (typed as "subpoena") is accounted for.
    disclosure(
        dt.date(2025, 7, 14),
        "Suffolk County Superior Court",
        "Visit notes 2025-01 to 2025-06",
        "Court order in a civil case",
        "subpoena",
    ),
    # 164.528(a)(1)(i): treatment is left out.
    disclosure(dt.date(2025, 8, 1), "Dr. Lee, cardiology", "Referral letter", "Consultation", "treatment"),
    # 164.528(a)(1)(iv): under the patient's authorization, left out.
    disclosure(
        dt.date(2025, 9, 1),
        "Acme Life Insurance",
        "Last physical",
        "Life insurance application",
        "authorized by the patient",
    ),
    # 164.528(a)(1): older than six years before the request, left out of the period.
    disclosure(
        dt.date(2020, 11, 30), "Boston Police Department", "Visit date", "Missing person inquiry", "law enforcement"
    ),
    # 164.528(a)(2): suspended at a health oversight agency's request until 2027.
    disclosure(
        dt.date(2026, 10, 2),
        "CMS Office of Inspector General",
        "Claims and notes 2026",
        "Audit",
        "health oversight",
        **{"Suspended until": dt.date(2027, 2, 1)},
    ),
    # Another patient's disclosure is not in this one's accounting.
    disclosure(
        dt.date(2026, 1, 9),
        "Massachusetts DPH",
        "Measles case report",
        "Reportable disease",
        "public health",
        Patient="P000002",
    ),
]


def test_a_patients_accounting_lists_six_years_of_disclosures_outside_treatment_payment_and_operations(
    clinic: Clinic,
) -> None:
    clinic.sheet.append("Disclosures", ROWS)
    report = clinic.sync()
    assert not report.errors
    answer = accounting(clinic)
    assert (answer["from"], answer["to"]) == ("2020-12-01", "2026-12-01")
    assert answer["disclosures"] == [
        {
            "disclosed_on": "2024-03-05",
            "recipient": "Massachusetts DPH, 250 Washington St, Boston",
            "what": "Pertussis case report",
            "purpose": "Reportable disease",
            "category": "public health",
        },
        {
            "disclosed_on": "2025-07-14",
            "recipient": "Suffolk County Superior Court",
            "what": "Visit notes 2025-01 to 2025-06",
            "purpose": "Court order in a civil case",
            "category": "court order",
        },
    ]
    assert answer["left_out"] == 3  # treatment, authorized, suspended
    assert answer["previous_within_12_months"] is None


def test_a_suspension_ends_and_the_period_is_six_years_from_the_request(clinic: Clinic) -> None:
    clinic.sheet.append("Disclosures", ROWS)
    clinic.sync()
    later = accounting(clinic, "P000001", "--as-of", "2027-02-01")
    assert [e["recipient"] for e in later["disclosures"]][-1] == "CMS Office of Inspector General"
    earlier = accounting(clinic, "P000001", "--as-of", "2026-11-29")
    assert "Boston Police Department" in [e["recipient"] for e in earlier["disclosures"]]  # 2020-11-30 is inside
    assert earlier["previous_within_12_months"] is not None  # 164.528(c)(2): only the first in 12 months is free


def test_the_accounting_reads_as_a_table_and_is_an_access_to_the_record_but_not_the_access_report(
    clinic: Clinic,
) -> None:
    clinic.sheet.append("Disclosures", ROWS[:1])
    clinic.sync()
    result = CliRunner().invoke(clinicops(), ["disclosures", "accounting", "P000001", "-p", str(clinic.folder)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Accounting of disclosures for patient P000001, 2020-12-01 to 2026-12-01"
    assert "Pertussis case report" in lines[2] and lines[1].split() == [
        "Date",
        "Recipient",
        "Information",
        "disclosed",
        "Purpose",
        "Category",
    ]
    missing = CliRunner().invoke(clinicops(), ["disclosures", "accounting", "P999999", "-p", str(clinic.folder)])
    assert missing.exit_code == 1 and "No patient P999999" in missing.output
    window = ["--from", "2026-12-01", "--to", "2026-12-01", "--patient", "P000001"]
    audit = CliRunner().invoke(clinicops(), ["audit", "report", "-p", str(clinic.folder), *window])
    assert audit.exit_code == 0, audit.output
    assert "Pertussis" not in audit.output and "accounting of disclosures" in audit.output


def test_a_disclosure_dated_after_today_is_flagged(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Disclosures", [disclosure(dt.date(2027, 1, 5), "DPH", "Report", "Reportable", "public health")]
    )
    clinic.sync()
    [alert] = [a for a in clinic.records("alert") if a["plugin"] == "disclosures"]
    assert alert["message"] == "Disclosure DSC000001 is dated 2027-01-05, after today: check the date."
