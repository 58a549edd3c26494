"""The billing plugin, through its hooks only: the code checks table, each claim rule on a tiny
practice synced through its workbook, filing deadlines as the calendar moves, the A/R
summary on figures worked out by hand, and the demo practice's deliberate billing slips."""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click.testing import CliRunner

from clinicops.core import operations
from clinicops.core.cli import cli
from clinicops.core.practice import Practice
from clinicops.core.problems import FieldProblem
from clinicops.examples.demo_clinic import generate_workbook

from .conftest import PATIENTS, PROVIDERS, Clinic, write_config
from .sheet_drivers import XlsxDriver

TODAY = dt.date(2026, 3, 2)  # a Monday
DEMO_DAY = dt.date(2026, 11, 23)
ENTITIES = ["provider", "patient", "claim", "billing_summary"]
NEW_YORK = ZoneInfo("America/New_York")


def on(day: dt.date) -> AbstractContextManager[Any]:
    """The clock stopped at noon in the practice's time zone on ``day``."""
    return time_machine.travel(dt.datetime.combine(day, dt.time(12), tzinfo=NEW_YORK), tick=False)


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


# --------------------------------------------------------------------------- the code table


@pytest.fixture
def check(tmp_path: Path) -> Iterator[Callable[..., list[FieldProblem]]]:
    """Run the billing plugin's validate_record hook on a draft claim, with providers and a patient stored."""
    write_config(tmp_path, plugins=["billing"], entities=ENTITIES)
    practice = Practice.open(tmp_path)
    with on(TODAY), practice.view() as view:
        providers = {"PR000001": "1234567893", "PR000002": "1245319599", "PR000003": "1234567890", "PR000004": None}
        for pid, npi in providers.items():
            record = {"id": pid, "first_name": "Ada", "last_name": "Lovelace"} | ({"npi": npi} if npi else {})
            view.save("provider", record, plugin="test")
        patient = {"id": "P000001", "first_name": "Grace", "last_name": "Hopper", "date_of_birth": "1956-12-09"}
        view.save("patient", patient, plugin="test")

        def run(**fields: Any) -> list[FieldProblem]:
            claim = {
                "id": "CLM000001",
                "patient_id": "P000001",
                "provider_id": "PR000001",
                "date_of_service": "2026-02-20",
                "status": "draft",
                **fields,
            }
            found = practice.pm.hook.validate_record(practice=view, entity="claim", record=claim)
            return [p for problems in found for p in problems or []]

        yield run
    practice.close()


# (field, value, valid): diagnoses billable or not, CPT Category I/II/III and PLA, HCPCS,
# modifiers, and the provider's NPI (a provider is picked by id: see the fixture above).
CODES = [
    ("icd10_codes", "E11.9", True),
    ("icd10_codes", "E119", True),
    ("icd10_codes", "I10", True),
    ("icd10_codes", "F32.A", True),
    ("icd10_codes", "J45.909", True),
    ("icd10_codes", "Z3A.20", True),
    ("icd10_codes", "S72.001A", True),
    ("icd10_codes", "E11", False),
    ("icd10_codes", "M54.5", False),
    ("icd10_codes", "S72.001", False),
    ("icd10_codes", "R51", False),
    ("icd10_codes", "E11.99", False),
    ("icd10_codes", "A00-B99", False),
    ("icd10_codes", "XYZ", False),
    ("cpt_codes", "99213", True),
    ("cpt_codes", "3074F", True),
    ("cpt_codes", "0042T", True),
    ("cpt_codes", "0001U", True),
    ("cpt_codes", "J1030", True),
    ("cpt_codes", "G0439", True),
    ("cpt_codes", "A4550", True),
    ("cpt_codes", "9921", False),
    ("cpt_codes", "992134", False),
    ("cpt_codes", "9921A", False),
    ("cpt_codes", "0042X", False),
    ("cpt_codes", "W1234", False),
    ("cpt_codes", "J103", False),
    ("modifiers", "25", True),
    ("modifiers", "59", True),
    ("modifiers", "76", True),
    ("modifiers", "77", True),
    ("modifiers", "91", True),
    ("modifiers", "95", True),
    ("modifiers", "GT", True),
    ("modifiers", "LT", True),
    ("modifiers", "RT", True),
    ("modifiers", "XS", True),
    ("modifiers", "ZZ", False),
    ("modifiers", "9Z", False),
    ("modifiers", "LTR", False),
    ("provider_id", "PR000001", True),
    ("provider_id", "PR000002", True),
    ("provider_id", "PR000003", False),
    ("provider_id", "PR000004", False),
]


@pytest.mark.parametrize(("field", "value", "valid"), CODES, ids=[f"{f}-{v}" for f, v, _ in CODES])
def test_codes_on_a_draft_claim(check: Callable[..., list[FieldProblem]], field: str, value: str, valid: bool) -> None:
    given = value if field == "provider_id" else [value]
    problems = [p for p in check(**{field: given}) if p.field == field]
    assert (problems == []) is valid, problems
    if field == "icd10_codes":
        assert all(value not in p.problem for p in problems), "a diagnosis is PHI: never named in a message"


def test_a_category_is_told_apart_from_an_unknown_code(check: Callable[..., list[FieldProblem]]) -> None:
    [heading, unknown] = check(icd10_codes=["I10", "E11", "E11.99"])
    assert heading.problem.startswith("the 2nd code is a heading with more specific codes under it")
    assert unknown.problem == "the 3rd code is not an ICD-10-CM code"


def test_a_claim_carries_at_most_twelve_diagnoses(check: Callable[..., list[FieldProblem]]) -> None:
    [problem] = check(icd10_codes=["I10"] * 13)
    assert "at most 12 diagnoses" in problem.problem


def test_the_practice_adds_its_own_modifiers(tmp_path: Path) -> None:
    write_config(tmp_path, plugins=["billing"], entities=ENTITIES, extra='\n[plugins.billing]\nmodifiers = ["cg"]\n')
    practice = Practice.open(tmp_path)
    with on(TODAY), practice.view() as view:
        claim = {
            "id": "C1",
            "patient_id": "P1",
            "provider_id": "PR1",
            "date_of_service": "2026-02-20",
            "status": "draft",
        }
        found = practice.pm.hook.validate_record(practice=view, entity="claim", record={**claim, "modifiers": ["CG"]})
    assert [p for problems in found for p in problems or []] == []


# --------------------------------------------------------------------------- a tiny practice


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    """Billing enabled, one provider, three patients, the clock at noon on TODAY."""
    write_config(tmp_path, plugins=["billing"], entities=ENTITIES)
    with on(TODAY):
        c = Clinic(tmp_path, XlsxDriver(tmp_path / "clinic.xlsx"))
        operations.lay_out(c.practice)
        c.sheet.append("Providers", PROVIDERS)
        c.sheet.append("Patients", PATIENTS[:3])
        yield c
        c.practice.close()


HEADERS = {
    "patient": "Patient",
    "provider": "Provider",
    "date_of_service": "Date of service",
    "cpt_codes": "CPT/HCPCS",
    "icd10_codes": "ICD-10-CM",
    "modifiers": "Modifiers",
    "payer": "Payer",
    "billed": "Billed",
    "status": "Status",
    "submitted": "Submitted",
    "paid_amount": "Paid",
    "paid_on": "Paid on",
    "denial_reason": "Denial reason",
}


def claim_row(**cells: Any) -> dict[str, Any]:
    """A clean draft claim as typed in the Claims sheet, with the given cells (see HEADERS) changed."""
    row = {
        "patient": "P000001",
        "provider": "PR000001",
        "date_of_service": days_ago(10),
        "cpt_codes": "99213",
        "icd10_codes": "I10",
        "payer": "Aetna",
        "billed": "135.00",
        "status": "draft",
    }
    return {HEADERS[key]: value for key, value in {**row, **cells}.items()}


def sent(age: int, status: str = "submitted", **cells: Any) -> dict[str, Any]:
    """A claim ``age`` days after its date of service, submitted two days after the visit."""
    return claim_row(date_of_service=days_ago(age), status=status, submitted=days_ago(age - 2), **cells)


def open_alerts(clinic: Clinic) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in clinic.records("alert") if a["status"] == "open"}


def errors_by_row(report: Any) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = {}
    for e in report.errors:
        out.setdefault(e.row, []).append((e.column, e.problem))
    return out


def test_a_draft_with_a_bad_code_is_held_back_with_the_typed_value_and_a_note(clinic: Clinic) -> None:
    clinic.sheet.append("Claims", [claim_row(cpt_codes="9921"), claim_row(icd10_codes="E11", patient="P000002")])
    report = clinic.sync()
    assert errors_by_row(report) == {
        2: [
            (
                "CPT/HCPCS",
                "9921 is neither a CPT code (four digits, then a digit, F, T or U) nor a HCPCS code (A–V, four digits)",
            )
        ],
        3: [("ICD-10-CM", "the 1st code is a heading with more specific codes under it, not a billable code")],
    }
    assert {e.kind for e in report.errors} == {"plugin-check"}
    assert clinic.records("claim") == []
    rows = clinic.sheet.rows("Claims")
    assert rows[0]["CPT/HCPCS"] == "9921" and rows[1]["ICD-10-CM"] == "E11"
    assert "neither a CPT code" in (clinic.sheet.note("Claims", 2, "CPT/HCPCS") or "")
    assert all("E11" not in e.message for e in report.errors)

    clinic.sheet.edit("Claims", 3, "ICD-10-CM", "E11.9")
    report = clinic.sync()
    assert list(errors_by_row(report)) == [2]
    assert [c["icd10_codes"] for c in clinic.records("claim")] == [["E11.9"]]


def test_required_fields_depend_on_the_status(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Claims",
        [
            claim_row(cpt_codes=None, icd10_codes=None, payer=None, billed=None),
            claim_row(status="submitted", payer=None),
            claim_row(status="paid", submitted=days_ago(8)),
            claim_row(status="denied", submitted=days_ago(8)),
            claim_row(status="appealed", submitted=days_ago(8), denial_reason="CO-50"),
        ],
    )
    report = clinic.sync()
    assert {row: sorted(col for col, _ in cells) for row, cells in errors_by_row(report).items()} == {
        3: ["Payer", "Submitted"],
        4: ["Paid", "Paid on"],
        5: ["Denial reason"],
    }
    [(_, problem)] = [c for c in errors_by_row(report)[5]]
    assert problem == "a denied claim needs the denial reason from the remittance, such as CO-16"
    assert sorted(c["status"] for c in clinic.records("claim")) == ["appealed", "draft"]


def test_impossible_dates_and_amounts_are_cell_errors_whatever_the_status(clinic: Clinic) -> None:
    tomorrow = TODAY + dt.timedelta(days=1)
    clinic.sheet.append(
        "Claims",
        [
            claim_row(date_of_service=tomorrow),
            claim_row(patient="P000003", date_of_service=dt.date(1968, 8, 1)),  # born 1968-08-26
            claim_row(billed="0.00"),
            claim_row(status="submitted", submitted=days_ago(12)),
            claim_row(status="submitted", submitted=tomorrow),
            sent(20, status="paid", paid_amount="90.00", paid_on=days_ago(19)),
        ],
    )
    report = clinic.sync()
    assert errors_by_row(report) == {
        2: [("Date of service", "is in the future; a claim is for a visit that took place")],
        3: [("Date of service", "is before the patient's date of birth")],
        4: [("Billed", "a claim bills more than 0.00")],
        5: [("Submitted", "is before the date of service")],
        6: [("Submitted", "is in the future")],
        7: [("Paid on", "is before the claim was submitted")],
    }
    assert "1968" not in " ".join(e.line() for e in report.errors)


def test_a_claim_already_at_the_payer_with_a_bad_code_is_an_alert_not_a_cell_error(clinic: Clinic) -> None:
    clinic.sheet.append("Claims", [sent(12, cpt_codes="9921", icd10_codes="I10, E11", modifiers="ZZ")])
    report = clinic.sync()
    assert report.errors == []
    alert = open_alerts(clinic)["billing:CLM000001:codes"]
    assert alert["severity"] == "critical"
    assert alert["message"] == (
        "Claim CLM000001 (submitted, Aetna) has codes a payer rejects: CPT/HCPCS: 9921 is neither a CPT code "
        "(four digits, then a digit, F, T or U) nor a HCPCS code (A–V, four digits); Modifiers: ZZ is not a "
        "modifier on the practice's list; ICD-10-CM: the 2nd code is a heading with more specific codes under it, "
        "not a billable code. Correct them and send a corrected claim."
    )

    clinic.sheet.edit("Claims", 2, "Status", "paid")
    clinic.sheet.edit("Claims", 2, "Paid", "80.00")
    clinic.sheet.edit("Claims", 2, "Paid on", days_ago(1))
    report = clinic.sync()
    assert report.alerts_resolved == 1 and open_alerts(clinic) == {}


def test_a_duplicate_claim_is_flagged_on_the_later_one(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Claims",
        [
            sent(20, cpt_codes="99214, 36415"),
            sent(20, cpt_codes="36415, 99214"),  # the same codes in another order
            claim_row(date_of_service=days_ago(20), cpt_codes="99214, 36415"),  # and keyed in a third time
            sent(20, cpt_codes="99214, 36415", modifiers="76"),  # a real repeat
            sent(20, cpt_codes="99214, 36415", patient="P000002"),  # someone else
            sent(20, cpt_codes="99214, 36415", payer="Medicare"),  # the secondary payer's claim
            sent(20, status="denied", cpt_codes="99214, 36415", denial_reason="CO-16"),  # re-billed below
        ],
    )
    clinic.sync()
    duplicates = {k: a for k, a in open_alerts(clinic).items() if ":duplicate-of:" in k}
    assert sorted(duplicates) == [
        "billing:CLM000002:duplicate-of:CLM000001",
        "billing:CLM000003:duplicate-of:CLM000001",
    ]
    assert duplicates["billing:CLM000002:duplicate-of:CLM000001"]["severity"] == "critical"  # both sent
    assert duplicates["billing:CLM000003:duplicate-of:CLM000001"]["severity"] == "warning"  # a draft

    # Duplicates are found line by line: 99214 alone still repeats the first claim's 99214 line.
    clinic.sheet.edit("Claims", 3, "CPT/HCPCS", "99214")
    clinic.sync()
    assert "billing:CLM000002:duplicate-of:CLM000001" in open_alerts(clinic)
    clinic.sheet.edit("Claims", 3, "CPT/HCPCS", "99215")
    clinic.sheet.edit("Claims", 4, "Modifiers", "91")
    report = clinic.sync()
    assert report.alerts_resolved == 2
    assert not any(":duplicate-of:" in k for k in open_alerts(clinic))


def test_timely_filing_alerts_move_through_the_thresholds_as_days_pass(clinic: Clinic) -> None:
    dos = TODAY - dt.timedelta(days=50)
    clinic.sheet.append("Claims", [claim_row(date_of_service=dos)])
    deadline = dos + dt.timedelta(days=90)
    expected = [
        (31, set()),
        (30, {"billing:CLM000001:timely-filing:30d"}),
        (15, {"billing:CLM000001:timely-filing:30d"}),
        (14, {"billing:CLM000001:timely-filing:14d"}),
        (7, {"billing:CLM000001:timely-filing:7d"}),
        (0, {"billing:CLM000001:timely-filing:7d"}),
        (-1, {"billing:CLM000001:timely-filing:missed"}),
    ]
    opened = 0
    for left, keys in expected:
        with on(deadline - dt.timedelta(days=left)):
            report = clinic.sync()
            opened += report.alerts_opened
            assert set(open_alerts(clinic)) == keys, left
            assert clinic.sync().alerts_opened == 0  # the same day again: nothing re-opened
    assert opened == 4
    alerts = {a["id"]: a for a in clinic.records("alert")}
    assert alerts["billing:CLM000001:timely-filing:30d"]["status"] == "resolved"
    assert alerts["billing:CLM000001:timely-filing:7d"]["severity"] == "critical"
    assert "today is the last day to file it" in alerts["billing:CLM000001:timely-filing:7d"]["message"]
    missed = alerts["billing:CLM000001:timely-filing:missed"]
    assert missed["severity"] == "critical" and "1 day past its filing limit" in missed["message"]


def test_filing_limits_per_payer_and_self_pay(tmp_path: Path) -> None:
    extra = "\n[plugins.billing]\ntimely_filing_days = 60\ntimely_filing_by_payer = { medicare = 365 }\n"
    write_config(tmp_path, plugins=["billing"], entities=ENTITIES, extra=extra)
    with on(TODAY):
        c = Clinic(tmp_path, XlsxDriver(tmp_path / "clinic.xlsx"))
        operations.lay_out(c.practice)
        c.sheet.append("Providers", PROVIDERS)
        c.sheet.append("Patients", PATIENTS[:3])
        c.sheet.append(
            "Claims",
            [
                claim_row(date_of_service=days_ago(40), payer="Medicare"),
                claim_row(date_of_service=days_ago(40), payer="Aetna"),
                claim_row(date_of_service=days_ago(40), payer="Self-pay"),
                claim_row(date_of_service=days_ago(40), payer=None),
            ],
        )
        c.sync()
        alerts = open_alerts(c)
        c.practice.close()
    assert sorted(alerts) == ["billing:CLM000002:timely-filing:30d", "billing:CLM000004:timely-filing:30d"]
    assert "20 days left" in alerts["billing:CLM000002:timely-filing:30d"]["message"]
    assert "with no payer yet" in alerts["billing:CLM000004:timely-filing:30d"]["message"]


def test_a_claim_submitted_after_its_limit_expects_a_late_filing_denial(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Claims",
        [
            claim_row(date_of_service=days_ago(100), status="submitted", submitted=days_ago(4)),
            claim_row(date_of_service=days_ago(100), status="submitted", submitted=days_ago(10), patient="P000002"),
        ],
    )
    clinic.sync()
    [(key, alert)] = open_alerts(clinic).items()
    assert key == "billing:CLM000001:timely-filing:filed-late"
    assert alert["message"].startswith("Claim CLM000001 was submitted to Aetna 6 days after its filing limit")


def test_denied_claims_are_work_with_a_next_step_and_can_be_switched_off(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Claims",
        [
            sent(30, status="denied", denial_reason="CO-197: precertification/authorization absent"),
            sent(30, status="denied", denial_reason="Patient not eligible", patient="P000002"),
            sent(30, status="appealed", denial_reason="CO-50", patient="P000003"),
        ],
    )
    clinic.sync()
    alerts = open_alerts(clinic)
    assert sorted(alerts) == ["billing:CLM000001:denied", "billing:CLM000002:denied"]
    assert alerts["billing:CLM000001:denied"]["message"] == (
        "Claim CLM000001 was denied by Aetna (CO-197: precertification/authorization absent): "
        "get the authorization (retroactive, if the payer allows it) and appeal."
    )
    assert alerts["billing:CLM000002:denied"]["message"].endswith("correct and resubmit, appeal, or write it off.")

    write_config(
        clinic.folder, plugins=["billing"], entities=ENTITIES, extra="\n[plugins.billing]\nalert_denials = false\n"
    )
    clinic.reopen()
    assert clinic.sync().alerts_resolved == 2


# --------------------------------------------------------------------------- the Billing summary tab


def test_ar_aging_days_in_ar_and_denial_rates_worked_out_by_hand(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Claims",
        [
            sent(30, billed="100.00"),  # Aetna, 0–30, a charge of the last 90 days
            sent(31, status="denied", billed="200.00", denial_reason="CO-16: claim lacks information"),  # 31–60
            sent(50, status="paid", billed="300.00", paid_amount="210.00", paid_on=days_ago(20)),  # closed
            sent(120, status="appealed", billed="400.00", payer="Medicare", denial_reason="co 50"),  # 91–120
            sent(121, billed="50.00", payer="Medicare", patient="P000002"),  # over 120
            sent(
                20,
                status="paid",
                billed="150.00",
                paid_amount="100.00",
                paid_on=days_ago(2),
                payer="Medicare",
                denial_reason="CO-16 claim lacks information",
            ),  # paid on appeal: still a denial
            claim_row(date_of_service=days_ago(5), billed="80.00", payer="Medicare"),  # a draft: no A/R, no charge
            sent(90, billed="120.00", payer="Medicare", patient="P000003"),  # 61–90, too old to be a recent charge
        ],
    )
    report = clinic.sync()
    assert report.errors == [] and len(clinic.records("claim")) == 8
    rows = {r["Payer or reason"]: r for r in clinic.sheet.rows("Billing summary")}
    assert list(rows) == [
        "Aetna",
        "Medicare",
        "All payers",
        "CO-16: claim lacks information",
        "co 50",
    ]
    columns = ["Open claims", "0–30 days", "31–60 days", "61–90 days", "91–120 days", "Over 120 days", "A/R total"]
    assert [rows["Aetna"][c] for c in columns] == [2, 100, 200, 0, 0, 0, 300]
    assert [rows["Medicare"][c] for c in columns] == [3, 0, 0, 120, 400, 50, 570]
    assert [rows["All payers"][c] for c in columns] == [5, 100, 200, 120, 400, 50, 870]
    # Days in A/R = A/R ÷ (charges with a date of service in the last 90 days ÷ 90).
    assert rows["Aetna"]["Days in A/R"] == 45.0  # 300 ÷ (600 ÷ 90)
    assert rows["Medicare"]["Days in A/R"] == 342.0  # 570 ÷ (150 ÷ 90)
    assert rows["All payers"]["Days in A/R"] == 104.4  # 870 ÷ (750 ÷ 90)
    # Denial rate = claims with a denial reason ÷ claims answered (paid, denied, appealed).
    rates = ["Claims answered", "Denied", "Denial rate %"]
    assert [rows["Aetna"][c] for c in rates] == [2, 1, 50.0]
    assert [rows["Medicare"][c] for c in rates] == [2, 2, 100.0]
    assert [rows["All payers"][c] for c in rates] == [4, 3, 75.0]
    assert [rows["CO-16: claim lacks information"][c] for c in rates] == [4, 2, 50.0]
    assert [rows["co 50"][c] for c in rates] == [4, 1, 25.0]
    assert {r["Section"] for r in rows.values()} == {"A/R by payer", "Denials by reason"}


def test_the_summary_tab_is_rebuilt_over_staff_edits_and_follows_the_calendar(clinic: Clinic) -> None:
    clinic.sheet.append("Claims", [sent(28, billed="100.00")])
    clinic.sync()
    [aetna] = [r for r in clinic.sheet.rows("Billing summary") if r["Payer or reason"] == "Aetna"]
    assert aetna["0–30 days"] == 100
    clinic.sheet.edit("Billing summary", aetna["_row"], "A/R total", 999)
    clinic.sync()
    [aetna] = [r for r in clinic.sheet.rows("Billing summary") if r["Payer or reason"] == "Aetna"]
    assert aetna["A/R total"] == 100
    with on(TODAY + dt.timedelta(days=3)):
        clinic.sync()
        [aetna] = [r for r in clinic.sheet.rows("Billing summary") if r["Payer or reason"] == "Aetna"]
    assert (aetna["0–30 days"], aetna["31–60 days"]) == (0, 100)


def test_status_shows_the_alerts_and_accounts_receivable(clinic: Clinic) -> None:
    clinic.sheet.append("Claims", [sent(40, billed="1234.50"), claim_row(date_of_service=days_ago(85))])
    clinic.sync()
    result = CliRunner().invoke(cli, ["status", "--full", "-p", str(clinic.folder)])
    assert result.exit_code == 0, result.output
    assert "still a draft" not in result.output  # status counts alerts; 'clinicops alerts' lists them
    listed = CliRunner().invoke(cli, ["alerts", "--open", "--plugin", "billing", "-p", str(clinic.folder)]).output
    assert "still a draft: 5 days left to file it" in listed
    ar = result.output.split("Accounts receivable\n", 1)[1].splitlines()
    assert ar[1].split() == ["Aetna", "1", "1,234.50", "0.00", "90.0"]  # its only charge is its A/R
    info = json.loads(CliRunner().invoke(cli, ["alerts", "--open", "--json", "-p", str(clinic.folder)]).output)
    assert [a["id"] for a in info["alerts"] if a["plugin"] == "billing"] == ["billing:CLM000002:timely-filing:7d"]
    status = json.loads(CliRunner().invoke(cli, ["status", "--json", "-p", str(clinic.folder)]).output)
    assert sum(status["alerts_by_plugin"]["billing"].values()) == 1


def test_disabling_billing_removes_its_alerts(clinic: Clinic) -> None:
    clinic.sheet.append("Claims", [claim_row(date_of_service=days_ago(85))])
    clinic.sync()
    assert list(open_alerts(clinic)) == ["billing:CLM000001:timely-filing:7d"]
    write_config(clinic.folder, plugins=[], entities=["provider", "patient", "claim"])
    clinic.reopen()
    clinic.sync()
    assert clinic.records("alert") == []
    assert clinic.sheet.rows("Alerts") == []


def test_plugins_json_lists_billing_with_its_hooks() -> None:
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    entries = {e["name"]: e for e in json.loads(result.output)["plugins"]}
    assert set(entries["billing"]["hooks"]) >= {
        "plugin_settings_schema",
        "register_schemas",
        "validate_record",
        "collect_alerts",
        "refresh_tables",
        "status_sections",
    }


# --------------------------------------------------------------------------- the demo practice


def set_plugin(folder: Path, name: str, enabled: bool) -> None:
    """Switch a plugin on or off in a practice.toml, keeping the rest of it as it is."""
    path = folder / "practice.toml"
    text = path.read_text()
    names = [n for n in tomllib.loads(text)["plugins"]["enabled"] if n != name] + ([name] if enabled else [])
    text = re.sub(r"(?m)^enabled = \[.*\]$", f"enabled = {json.dumps(names)}", text)
    if not enabled:
        text = re.sub(rf"(?ms)^\[plugins\.{name}\]\n.*?(?=^\[|\Z)", "", text)
    path.write_text(text)


def held_back(claims: list[dict[str, Any]]) -> set[str]:
    """The demo's two claims a sync holds back: the CPT typo "9921" and the category "E11"."""
    return {c["id"] for c in claims if "9921" in c["cpt_codes"].split(", ") or "E11" in c["icd10_codes"].split(", ")}


def money(cell: Any) -> Decimal:
    return Decimal(str(cell).replace("$", "").replace(",", "")) if cell not in (None, "") else Decimal(0)


def test_the_demo_practice_shows_its_billing_slips_and_loses_them_when_billing_is_off(tmp_path: Path) -> None:
    tables = generate_workbook(DEMO_DAY)
    claims = tables["claim"]
    drafts = [c for c in claims if c["status"] == "draft"]
    with on(DEMO_DAY):
        operations.create_demo(tmp_path, today=DEMO_DAY)
        set_plugin(tmp_path, "billing", True)
        practice = Practice.open(tmp_path)
        report = operations.sync(practice)

        errors = [(e.column, e.problem) for e in report.errors if e.entity in ("claim", "claim_line")]
        assert sorted(column for column, _ in errors) == ["CPT/HCPCS", "ICD-10-CM"]  # "9921" and "E11"
        with practice.view() as view:
            alerts = {a["id"]: a for a in view.records("alert") if a["plugin"] == "billing"}
        kinds: dict[str, list[str]] = {}
        for key in alerts:
            kinds.setdefault(key.split(":", 2)[2].split(":")[0], []).append(key)

        [duplicate] = kinds.pop("duplicate-of")
        earlier = {(c["patient_id"], c["date_of_service"], c["cpt_codes"]): c["id"] for c in reversed(claims)}
        pairs = [(c["id"], earlier[(c["patient_id"], c["date_of_service"], c["cpt_codes"])]) for c in claims]
        assert [duplicate] == [f"billing:{a}:duplicate-of:{b}" for a, b in pairs if a != b]

        # The slips are for commercial payers: 90 days to file (Medicare's year and MassHealth's
        # 365 days leave every other claim of the demo in time).
        late = [
            c["id"] for c in claims if c["submitted_date"] and (c["submitted_date"] - c["date_of_service"]).days > 90
        ]
        aging = {
            c["id"]: 90 - (DEMO_DAY - c["date_of_service"]).days
            for c in drafts
            if (DEMO_DAY - c["date_of_service"]).days >= 60
        }
        assert len(late) == 1 and sorted(aging.values()) == [7, 16, 24]
        windows = {cid: 7 if left <= 7 else 14 if left <= 14 else 30 for cid, left in aging.items()}
        assert sorted(kinds.pop("timely-filing")) == sorted(
            [f"billing:{late[0]}:timely-filing:filed-late"]
            + [f"billing:{c}:timely-filing:{w}d" for c, w in windows.items()]
        )
        denied = [c["id"] for c in claims if c["status"] == "denied"]
        assert sorted(kinds.pop("denied")) == [f"billing:{c}:denied" for c in denied]
        [late_denial] = [c["id"] for c in claims if (c["denial_reason"] or "").startswith("CO-29")]
        assert "cannot be appealed" in alerts[f"billing:{late_denial}:denied"]["message"]

        # Appeals: 90 days for MassHealth (Medicaid default) and the two plans (the demo's contracts).
        appeals = {k: a for k, a in alerts.items() if ":appeal-" in k}
        for kind in [k for k in kinds if k.startswith("appeal-")]:
            kinds.pop(kind)
        assert any("12 days left to appeal" in a["message"] for a in appeals.values())
        [overpaid] = kinds.pop("overpaid")
        assert "a credit balance of 40.00" in alerts[overpaid]["message"]
        [lines_total] = kinds.pop("lines-total")
        assert "add up to" in alerts[lines_total]["message"]
        [unverified] = kinds.pop("icd10cm-unverified")
        assert "April 2026 release" in alerts[unverified]["message"]
        lapsed = DEMO_DAY - dt.timedelta(days=4)  # PR000003's license (demo_people.EXPIRY_OVERRIDES)
        after = {c["id"] for c in claims if c["provider_id"] == "PR000003" and c["date_of_service"] > lapsed}
        assert sorted(kinds.pop("who-may-bill")) == sorted(
            f"billing:{c}:who-may-bill" for c in after - held_back(claims)
        )
        assert after - held_back(claims), "the lapsed license shows on at least one claim"
        assert kinds == {}, "nothing else: no other sent claim in the demo has a bad code"

        summary = {r["Payer or reason"]: r for r in XlsxDriver(tmp_path / "clinic.xlsx").rows("Billing summary")}
        in_ar = [c for c in claims if c["status"] in ("submitted", "denied", "appealed")]
        credit = [c for c in claims if c["status"] == "paid" and money(c["paid_amount"]) > money(c["billed_amount"])]
        assert summary["All payers"]["Open claims"] == len(in_ar)
        assert money(summary["All payers"]["Credit balances"]) == Decimal("-40.00")
        assert money(summary["All payers"]["A/R total"]) == sum(money(c["billed_amount"]) for c in in_ar) + sum(
            money(c["billed_amount"]) - money(c["paid_amount"]) for c in credit
        )

        result = CliRunner().invoke(cli, ["status", "--full", "-p", str(tmp_path)])
        assert "Accounts receivable" in result.output
        listed = CliRunner().invoke(cli, ["alerts", "--plugin", "billing", "-p", str(tmp_path)])
        assert "days left to file it" in listed.output

        practice.close()
        set_plugin(tmp_path, "billing", False)
        practice = Practice.open(tmp_path)
        operations.sync(practice)
        with practice.view() as view:
            assert [a for a in view.records("alert") if a["plugin"] == "billing"] == []
            assert any(a["plugin"] == "credentials" for a in view.records("alert"))
        practice.close()
