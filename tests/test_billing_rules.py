"""The billing rules of issue 12, each on cases built from its source (cited beside the case),
typed into a practice's workbook and read back from the sync, the Alerts tab and the CLI.

Service lines (CMS-1500 item 24), ICD-10-CM by date of service, HCPCS sections and payers,
diagnosis rules, timely filing by payer type, appeal deadlines, overpayments and credit
balances, status moves and corrected claims, and who may bill.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from clinicops.core import operations
from clinicops.core.cli import cli
from clinicops.plugins.billing import deadlines

from .conftest import PATIENTS, PROVIDERS, Clinic, write_config
from .sheet_drivers import XlsxDriver
from .test_plugin_billing import claim_row, days_ago, errors_by_row, on, open_alerts, sent

TODAY = dt.date(2026, 3, 2)  # a Monday
LATE_2026 = dt.date(2026, 11, 23)  # after the packaged April 2026 ICD-10-CM release's last day
ENTITIES = ["provider", "patient", "claim", "credential", "billing_summary"]
SETTINGS = {"timely_filing_days": 90, "medicaid_filing_days": 365, "payer_types": {}, "self_pay_payers": ["Self-pay"]}


def open_clinic(folder: Path, day: dt.date, extra: str = "") -> Clinic:
    write_config(folder, plugins=["billing", "credentials"], entities=ENTITIES, extra=extra)
    with on(day):
        c = Clinic(folder, XlsxDriver(folder / "clinic.xlsx"))
        operations.lay_out(c.practice)
        c.sheet.append("Providers", PROVIDERS)
        c.sheet.append("Patients", [{**PATIENTS[0], "Sex": "female"}, {**PATIENTS[1], "Sex": "male"}, PATIENTS[2]])
    return c


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[Clinic]:
    c = open_clinic(tmp_path, TODAY)
    with on(TODAY):
        yield c
        c.practice.close()


@pytest.fixture
def late_clinic(tmp_path: Path) -> Iterator[Clinic]:
    c = open_clinic(tmp_path, LATE_2026)
    with on(LATE_2026):
        yield c
        c.practice.close()


def billing_cli(folder: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "-p", str(folder)])
    assert result.exit_code == 0, result.output
    return result.output


def line(claim: str, number: int, code: str, charge: str | None, **cells: Any) -> dict[str, Any]:
    return {"Claim": claim, "Line": number, "CPT/HCPCS": code, "Units": 1, "Charge": charge, **cells}


# --------------------------------------------------------------------------- 5. service lines


def test_a_claim_bills_its_lines_and_each_line_is_checked(clinic: Clinic) -> None:
    """CMS-1500 item 24: a line per service, up to 4 modifiers (24D) and 4 pointers A–L into
    item 21's 12 diagnoses (24E); item 28, the total charge, is the sum of the line charges."""
    clinic.sheet.append(
        "Claims",
        [
            claim_row(cpt_codes="99214, 36415", icd10_codes="I10, E78.5", billed="190.00"),  # CLM000001 draft
            claim_row(
                cpt_codes="99213, 90471", billed="150.00", status="submitted", submitted=days_ago(8), patient="P000002"
            ),  # CLM000002, sent; its lines add up to 160.00
        ],
    )
    clinic.sync()
    clinic.sheet.append(
        "Claim lines",
        [
            line("CLM000001", 1, "99214", "165.00", **{"Modifiers": "25", "Dx pointers": "A, B"}),
            line("CLM000001", 2, "36415", "25.00", **{"Dx pointers": "A"}),
            line("CLM000002", 1, "99213", "135.00", **{"Dx pointers": "A"}),
            line("CLM000002", 2, "90471", "25.00", **{"Dx pointers": "A"}),
            # a draft's line: five modifiers (24D holds four) and a pointer to a 3rd diagnosis it lacks
            line("CLM000001", 3, "93000", "45.00", **{"Modifiers": "25, 59, 76, 77, 91", "Dx pointers": "C"}),
            # a sent claim's line with a modifier not on the list: the claim has left the office
            line("CLM000002", 3, "36415", "0.00", **{"Modifiers": "ZZ", "Dx pointers": "A"}),
        ],
    )
    report = clinic.sync()
    errors = {(e.row, e.column): e.problem for e in report.errors if e.entity == "claim_line"}
    assert errors == {
        (6, "Modifiers"): "a line carries at most 4 modifiers",
        (6, "Dx pointers"): "C points to diagnosis 3, and the claim lists 2",
    }
    alerts = open_alerts(clinic)
    assert "ZZ is not a modifier on the practice's list" in alerts["billing:CLM000002:codes"]["message"]
    assert "line 3 (36415)" in alerts["billing:CLM000002:codes"]["message"]
    total = alerts["billing:CLM000002:lines-total"]
    assert total["severity"] == "critical" and "bills 150.00, and its 3 lines" in total["message"]
    assert "add up to 160.00" in total["message"]
    assert "billing:CLM000001:lines-total" not in alerts  # 165.00 + 25.00 = 190.00 (the held-back line aside)
    assert "the sum of the line charges" in billing_cli(clinic.folder, "alerts", "--plugin", "billing")

    clinic.sheet.edit("Claims", 3, "Billed", "160.00")
    assert clinic.sync().alerts_resolved == 1


def test_claims_without_lines_are_read_one_line_per_code_and_keep_every_cell(clinic: Clinic) -> None:
    """A workbook from before the Claim lines tab: nothing is lost, duplicates are found by line."""
    clinic.sheet.append(
        "Claims",
        [
            claim_row(cpt_codes="99214, 36415", status="submitted", submitted=days_ago(8)),
            claim_row(cpt_codes="36415", status="submitted", submitted=days_ago(7), billed="25.00"),
        ],
    )
    clinic.sync()
    first = clinic.records("claim")[0]
    assert first["cpt_codes"] == ["99214", "36415"] and first["billed_amount"] == "135.00"
    assert "frequency" not in first and "denied_date" not in first  # new columns: unknown, never blank
    assert clinic.records("claim_line") == []
    # The 36415 on the second claim repeats the first claim's line 2 (CO-18).
    assert "billing:CLM000002:duplicate-of:CLM000001" in open_alerts(clinic)


# --------------------------------------------------------------------------- 6. code sets by date


@pytest.mark.parametrize(
    ("code", "served", "accepted"),
    [
        # FY2026 (in effect 2025-10-01) added E11.A and made G35 a heading with codes under it;
        # S30.1XXA was deleted by the April 2026 release (icd10cm_changes.json, from simple-icd-10-cm
        # 1.4.0's April 2025 and 1.5.0's April 2026 CMS releases).
        ("E11.A", "2025-09-15", False),  # the April 2025 release was in effect: not yet a code
        ("E11.A", "2026-05-01", True),
        ("G35", "2025-09-15", True),  # billable until FY2026
        ("G35", "2026-05-01", False),  # a heading in the April 2026 release
        ("S30.1XXA", "2025-09-15", True),
        ("S30.1XXA", "2026-05-01", False),
        # After the packaged sets (FY2027): a code an older release had stays deleted.
        ("S30.1XXA", "2026-11-05", False),
        # Between two packaged releases (FY2026's first half) the day a code changed is not
        # known: billable in either neighbour is accepted.
        ("E11.A", "2025-12-01", True),
        ("G35", "2025-12-01", True),
        # January 2021 release (simple-icd-10-cm 1.2.0): E11.A did not exist.
        ("E11.A", "2021-06-01", False),
    ],
)
def test_a_diagnosis_is_checked_against_the_set_of_its_date_of_service(
    late_clinic: Clinic, code: str, served: str, accepted: bool
) -> None:
    day = dt.date.fromisoformat(served)
    late_clinic.sheet.append("Claims", [claim_row(date_of_service=day, icd10_codes=code, payer="Medicare")])
    report = late_clinic.sync()
    problems = [e.problem for e in report.errors if e.column == "ICD-10-CM"]
    assert (problems == []) is accepted, problems
    if problems and code != "G35":
        assert problems[0].startswith("the 1st code is not an ICD-10-CM code")
    assert all(code not in p for p in problems), "a diagnosis is PHI: never named"


def test_a_code_newer_than_the_packaged_sets_is_accepted_and_checked_with_the_practices_file(tmp_path: Path) -> None:
    """FY2027 (from 2026-10-01): I42.00, the new code the issue names, is not in the April 2026
    release. Before the practice adds the CMS file it is accepted with an alert; the file
    (constructed here in the CMS codes-file layout: code, spaces, description) then decides."""
    c = open_clinic(tmp_path, LATE_2026)
    with on(LATE_2026):
        c.sheet.append(
            "Claims",
            [
                claim_row(date_of_service=dt.date(2026, 11, 5), icd10_codes="I42.00", payer="Medicare"),
                claim_row(date_of_service=dt.date(2026, 9, 30), icd10_codes="I42.00", patient="P000002"),
            ],
        )
        report = c.sync()
        # 2026-09-30 is the April 2026 release's last day: there I42.00 is no code at all.
        assert [(e.row, e.problem) for e in report.errors] == [(3, "the 1st code is not an ICD-10-CM code")]
        assert "April 2026 release" in open_alerts(c)["billing:CLM000001:icd10cm-unverified"]["message"]
        listed = json.loads(billing_cli(tmp_path, "alerts", "--plugin", "billing", "--json"))["alerts"]
        assert [a["id"] for a in listed] == ["billing:CLM000001:icd10cm-unverified"]
        c.practice.close()

        files = tmp_path / "codes"
        files.mkdir()
        (files / "icd10cm-codes-2027.txt").write_text(
            "I10     Essential (primary) hypertension\nI4200   Dilated cardiomyopathy, unspecified\n"
        )
        write_config(
            tmp_path,
            plugins=["billing", "credentials"],
            entities=ENTITIES,
            extra='\n[plugins.billing]\nicd10cm_files = { "2027" = "codes/icd10cm-codes-2027.txt" }\n',
        )
        c.reopen()
        report = c.sync()
        assert report.alerts_resolved == 1 and not open_alerts(c)
        c.sheet.append("Claims", [claim_row(date_of_service=dt.date(2026, 11, 6), icd10_codes="E11.9")])
        report = c.sync()
        # The practice's FY2027 file now decides for November 2026 (this constructed one lacks E11.9).
        assert [e.problem for e in report.errors if e.row == 4] == ["the 1st code is not an ICD-10-CM code"]
        c.practice.close()


# --------------------------------------------------------------------------- 7. HCPCS and payers


@pytest.mark.parametrize(
    ("code", "payer", "problem"),
    [
        # CMS HCPCS Level II: no section uses F, I, N or O.
        ("F1234", "Aetna", "is in no HCPCS Level II section"),
        ("I1234", "Aetna", "is in no HCPCS Level II section"),
        ("N1234", "Aetna", "is in no HCPCS Level II section"),
        ("O1234", "Aetna", "is in no HCPCS Level II section"),
        # D codes are the ADA's CDT: dental claims only.
        ("D0120", "Aetna", "is a dental (CDT) code"),
        # S codes: temporary national codes for private payers and Medicaid, not Medicare.
        ("S9083", "Medicare", "Medicare does not accept S codes"),
        ("S9083", "Aetna", None),
        # T codes: established for state Medicaid agencies.
        ("T1015", "Aetna", "other payers do not accept T codes"),
        ("T1015", "Medicare", "other payers do not accept T codes"),
        ("T1015", "MassHealth", None),
        ("G0439", "Medicare", None),
    ],
)
def test_hcpcs_sections_and_payer_aware_codes(clinic: Clinic, code: str, payer: str, problem: str | None) -> None:
    clinic.sheet.append("Claims", [claim_row(cpt_codes=code, payer=payer)])
    found = [e.problem for e in clinic.sync().errors if e.column == "CPT/HCPCS"]
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0], found


def test_a_sent_claim_with_a_code_for_another_payer_is_an_alert_listed_by_the_cli(clinic: Clinic) -> None:
    """Once sent, a code a payer rejects is an alert: an S code to Medicare (CMS HCPCS: S codes
    are not payable by Medicare)."""
    clinic.sheet.append("Claims", [sent(10, cpt_codes="S9083", payer="Medicare")])
    clinic.sync()
    listed = billing_cli(clinic.folder, "alerts", "--plugin", "billing")
    assert "Medicare does not accept S codes" in listed


def test_real_modifiers_are_on_the_list(clinic: Clinic) -> None:
    """HCPCS Level II A1 (dressing for one wound); CPT Category II 1P, 2P, 3P, 8P."""
    clinic.sheet.append(
        "Claims",
        [claim_row(cpt_codes="3074F", modifiers=m, patient=p) for m, p in [("1P", "P000001"), ("2P", "P000002")]]
        + [
            claim_row(cpt_codes="3074F", modifiers="3P, 8P", patient="P000003"),
            claim_row(cpt_codes="97597", modifiers="A1", date_of_service=days_ago(11)),
        ],
    )
    assert clinic.sync().errors == []


# --------------------------------------------------------------------------- 8. diagnosis rules


def test_external_causes_are_never_first_and_sex_specific_codes_fit_the_patient(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Claims",
        [
            # ICD-10-CM Official Guidelines I.C.20: an external cause is never first-listed.
            claim_row(icd10_codes="W19.XXXA, S52.501A", cpt_codes="99213"),  # row 2: fall listed first
            claim_row(icd10_codes="S52.501A, W19.XXXA", patient="P000002", cpt_codes="99214"),  # row 3: fine
            # Tabular List chapter 15 (O00–O9A) on a patient recorded male (P000002).
            claim_row(icd10_codes="I10, O80", patient="P000002", date_of_service=days_ago(12)),  # row 4
            # N40.0 (male genital organs, N40–N53) on a patient recorded female (P000001).
            claim_row(icd10_codes="N40.0", date_of_service=days_ago(13)),  # row 5
            # P000003 has no recorded sex: not checked.
            claim_row(icd10_codes="O80", patient="P000003"),  # row 6
        ],
    )
    clinic.practice.close()
    synced = json.loads(billing_cli(clinic.folder, "sync", "--json"))
    assert sorted(e["row"] for e in synced["errors"]) == [2, 4, 5]
    assert all("O80" not in e["message"] and "N40" not in e["message"] for e in synced["errors"]), "PHI"
    clinic.reopen()
    errors = errors_by_row(clinic.sync())
    assert errors == {
        2: [
            (
                "ICD-10-CM",
                "the 1st code is an external cause (V00–Y99), which is never listed first: list the injury or "
                "condition first and the external cause after it",
            )
        ],
        4: [("ICD-10-CM", "the 2nd code is for female patients only, and the patient's recorded sex is male")],
        5: [("ICD-10-CM", "the 1st code is for male patients only, and the patient's recorded sex is female")],
    }


def test_an_npi_starts_with_1_or_2_and_a_dea_number_has_its_check_digit(clinic: Clinic) -> None:
    # NPI Final Rule (69 FR 3434): 1 for people, 2 for organizations; 3234567899 passes the Luhn check.
    # DEA: (1+3+5) + 2×(2+4+6) = 33, so AB1234563 is right and AB1234564 a typo.
    clinic.sheet.append(
        "Providers",
        [
            {"First name": "Ida", "Last name": "Rhodes", "NPI": "3234567899"},
            {"First name": "Mary", "Last name": "Keller", "NPI": "1245319599", "DEA number": "AB1234564"},
            {"First name": "Anita", "Last name": "Borg", "NPI": "1215030010", "DEA number": "AB1234563"},
        ],
    )
    errors = errors_by_row(clinic.sync())
    assert errors == {
        3: [("NPI", "an NPI starts with 1 (a person) or 2 (an organization)")],
        4: [("DEA number", "the DEA number's check digit does not match; a digit is probably mistyped")],
    }


# --------------------------------------------------------------------------- 9. timely filing


@pytest.mark.parametrize(
    ("served", "kind", "last_day"),
    [
        # 42 CFR 424.44(a)(1): one calendar year after the date of service.
        ("2025-03-02", "medicare", "2026-03-02"),
        # Pub. 100-04 ch. 1 §70: a February 29 service is due February 28.
        ("2024-02-29", "medicare", "2025-02-28"),
        # A last day on a Saturday rolls to Monday.
        ("2025-02-28", "medicare", "2026-03-02"),
        # New Year's Day 2026 (5 U.S.C. 6103) rolls to Friday January 2.
        ("2025-01-01", "medicare", "2026-01-02"),
        # July 4, 2026 is a Saturday (observed Friday the 3rd): rolls to Monday July 6.
        ("2025-07-04", "medicare", "2026-07-06"),
        # Thanksgiving 2026 is November 26, the 4th Thursday: rolls to Friday.
        ("2025-11-26", "medicare", "2026-11-27"),
        # Medicaid: 42 CFR 447.45(d) — 12 months; the practice's state limit, 365 days by default.
        ("2025-03-02", "medicaid", "2026-03-02"),
        # Commercial: the contract's, 90 days by default; not rolled.
        ("2025-12-02", "commercial", "2026-03-02"),
    ],
)
def test_filing_limits_by_payer_type(served: str, kind: str, last_day: str) -> None:
    limit = deadlines.filing_limit(dt.date.fromisoformat(served), "", kind, SETTINGS | {"timely_filing_by_payer": {}})
    assert limit is not None and limit.last_day.isoformat() == last_day


def test_payer_types_come_from_the_name_or_the_practices_list() -> None:
    settings = SETTINGS | {"payer_types": {"Tufts Medicare Preferred": "commercial", "Neighborhood Health": "medicaid"}}
    assert deadlines.payer_type("Medicare", settings) == "medicare"
    assert deadlines.payer_type("medicare part b", settings) == "medicare"
    assert deadlines.payer_type("Aetna Medicare Advantage", settings) == "commercial"
    assert deadlines.payer_type("Tufts Medicare Preferred", settings) == "commercial"
    assert deadlines.payer_type("Medicaid (MassHealth)", settings) == "medicaid"
    assert deadlines.payer_type("Neighborhood Health", settings) == "medicaid"
    assert deadlines.payer_type("Self-pay", settings) == "self-pay"
    assert deadlines.payer_type("Aetna", settings) == "commercial"


def test_timely_filing_alerts_follow_the_payer_type(clinic: Clinic) -> None:
    dos = dt.date(2025, 3, 17)
    clinic.sheet.append(
        "Claims",
        [
            claim_row(date_of_service=dos, payer="Medicare"),  # last day 2026-03-17: 15 days, the 30-day window
            claim_row(date_of_service=dos, payer="MassHealth", patient="P000002"),  # 365 days: 2026-03-17
            claim_row(date_of_service=dos, payer="Aetna", patient="P000003"),  # 90 days: long missed
            sent(30, status="denied", payer="Medicare", denial_reason="CO-29: time limit expired"),
            sent(30, status="denied", payer="Aetna", denial_reason="CO-29", patient="P000002"),
        ],
    )
    clinic.sync()
    alerts = open_alerts(clinic)
    assert {k for k in alerts if ":timely-filing:" in k} == {
        "billing:CLM000001:timely-filing:30d",
        "billing:CLM000002:timely-filing:30d",
        "billing:CLM000003:timely-filing:missed",
    }
    assert (
        "one calendar year from the date of service, 42 CFR 424.44"
        in alerts["billing:CLM000001:timely-filing:30d"]["message"]
    )
    assert "cannot be appealed" in alerts["billing:CLM000004:denied"]["message"]
    assert "cannot be appealed" not in alerts["billing:CLM000005:denied"]["message"]
    assert not any(k.startswith("billing:CLM000004:appeal") for k in alerts)  # no appeal rights, no deadline


# --------------------------------------------------------------------------- 10. appeal deadlines


def test_a_denied_claim_has_an_appeal_deadline(tmp_path: Path) -> None:
    extra = '\n[plugins.billing]\nappeal_days_by_payer = { "Tufts Health Plan" = 60 }\n'
    c = open_clinic(tmp_path, TODAY, extra)
    with on(TODAY):
        rows = [
            # 42 CFR 405.942(a): 120 days from receipt, presumed 5 days after the notice: 2025-11-01 + 125 = 2026-03-06.
            {**sent(150, status="denied", payer="Medicare", denial_reason="CO-50"), "Denied on": dt.date(2025, 11, 1)},
            # Commercial default 180 days (29 CFR 2560.503-1(h)(3)(i)): 2025-09-15 + 180 = 2026-03-14.
            {
                **sent(200, status="denied", payer="Aetna", denial_reason="CO-16", patient="P000002"),
                "Denied on": dt.date(2025, 9, 15),
            },
            # The payer's own 60 days: 2025-12-15 + 60 = 2026-02-13, passed.
            {
                **sent(100, status="denied", payer="Tufts Health Plan", denial_reason="CO-16", patient="P000003"),
                "Denied on": dt.date(2025, 12, 15),
            },
            # No denial date: counted from the submitted date (never late): 2025-09-01 + 180 = 2026-02-28, passed.
            claim_row(
                date_of_service=dt.date(2025, 8, 28),
                status="denied",
                submitted=dt.date(2025, 9, 1),
                denial_reason="CO-16",
            ),
        ]
        c.sheet.append("Claims", rows)
        c.sync()
        alerts = open_alerts(c)
        assert {k: a["severity"] for k, a in alerts.items() if ":appeal" in k} == {
            "billing:CLM000001:appeal-7d": "critical",
            "billing:CLM000002:appeal-14d": "warning",
            "billing:CLM000003:appeal-missed": "warning",
            "billing:CLM000004:appeal-missed": "warning",
        }
        assert (
            "4 days left to appeal (last day 2026-03-06; Medicare redetermination"
            in alerts["billing:CLM000001:appeal-7d"]["message"]
        )
        assert "counted from the submitted date" in alerts["billing:CLM000004:appeal-missed"]["message"]
        listed = billing_cli(tmp_path, "alerts", "--plugin", "billing", "--json")
        assert {a["id"] for a in json.loads(listed)["alerts"]} >= set(alerts)
        c.sheet.edit("Claims", 2, "Status", "appealed")
        assert c.sync().alerts_resolved == 2  # its deadline and its denial: the appeal is on its way
        c.practice.close()


# --------------------------------------------------------------------------- 11. overpayments


def test_overpayments_raise_the_60_day_deadline_and_ar_shows_credit_balances(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Claims",
        [
            # Paid more than billed, Medicare: 42 CFR 401.305(b), 60 days from identification
            # (counted from the paid date 2026-02-20): 2026-04-21.
            sent(40, status="paid", payer="Medicare", billed="100.00", paid_amount="130.00", paid_on=days_ago(10)),
            # A negative payment recorded.
            sent(40, status="paid", billed="100.00", paid_amount="-20.00", paid_on=days_ago(5), patient="P000002"),
            # A clean payment: nothing owed.
            sent(40, status="paid", billed="100.00", paid_amount="80.00", paid_on=days_ago(5), patient="P000003"),
            sent(20, billed="90.00", patient="P000003", cpt_codes="99212"),  # CLM000004, in A/R with a line overpaid
        ],
    )
    clinic.sync()
    clinic.sheet.append("Claim lines", [line("CLM000004", 1, "99212", "90.00", **{"Paid": "95.00"})])
    clinic.sync()
    alerts = open_alerts(clinic)
    overpaid = {k: a for k, a in alerts.items() if k.endswith(":overpaid")}
    assert sorted(overpaid) == [
        "billing:CLM000001:overpaid",
        "billing:CLM000002:overpaid",
        "billing:CLM000004:overpaid",
    ]
    first = overpaid["billing:CLM000001:overpaid"]["message"]
    assert "paid 130.00 on 100.00 billed, a credit balance of 30.00" in first
    assert "within 60 days of identifying it (42 U.S.C. 1320a-7k(d), 42 CFR 401.305)" in first
    assert "end 2026-04-21 (50 days left)" in first
    assert "negative" in overpaid["billing:CLM000002:overpaid"]["message"]
    assert "line 1 (99212) was paid 95.00 on a charge of 90.00" in overpaid["billing:CLM000004:overpaid"]["message"]

    summary = {r["Payer or reason"]: r for r in clinic.sheet.rows("Billing summary")}
    assert Decimal(str(summary["Medicare"]["A/R total"])) == Decimal("-30.00")
    assert Decimal(str(summary["Medicare"]["Credit balances"])) == Decimal("-30.00")
    # CLM000004's line was paid 95.00 on 90.00 (its own Paid cell blank): a credit of 5.00 in the A/R.
    assert Decimal(str(summary["Aetna"]["A/R total"])) == Decimal("-5.00")
    status = billing_cli(clinic.folder, "status", "--full")
    assert "-30.00" in status

    clinic.sheet.edit("Claims", 2, "Refunded on", days_ago(1))
    assert clinic.sync().alerts_resolved == 1
    summary = {r["Payer or reason"]: r for r in clinic.sheet.rows("Billing summary")}
    assert Decimal(str(summary["Medicare"]["Credit balances"])) == 0


# --------------------------------------------------------------------------- 12. status moves


def test_a_paid_or_denied_claim_does_not_go_back_without_a_corrected_claim_marker(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Claims",
        [
            sent(40, status="paid", paid_amount="90.00", paid_on=days_ago(10)),
            sent(40, status="denied", denial_reason="CO-16", patient="P000002"),
        ],
    )
    clinic.sync()
    clinic.sheet.edit("Claims", 2, "Status", "submitted")
    clinic.sheet.edit("Claims", 3, "Status", "submitted")
    clinic.practice.close()
    synced = json.loads(billing_cli(clinic.folder, "sync", "--json"))
    assert [(e["row"], e["column"]) for e in synced["errors"]] == [(2, "Status"), (3, "Status")]
    clinic.reopen()
    report = clinic.sync()
    assert errors_by_row(report) == {
        2: [
            (
                "Status",
                "was paid; a paid claim does not go back: record a refund or a recoupment as one, and send a "
                "change as a corrected claim",
            )
        ],
        3: [
            (
                "Status",
                "was denied; sending a denied claim again as it was is a duplicate (CO-18): mark it as a "
                "corrected claim",
            )
        ],
    }
    assert [c["status"] for c in clinic.records("claim")] == ["paid", "denied"]  # the store keeps what was true

    # NUCC item 22: resubmission code 7 (replacement) with the original reference number.
    clinic.sheet.edit("Claims", 3, "Frequency", 7)
    report = clinic.sync()
    assert [(e.row, e.column) for e in report.errors] == [(2, "Status"), (3, "Status"), (3, "Original ref. no.")]
    clinic.sheet.edit("Claims", 3, "Original ref. no.", "22026001234567")
    report = clinic.sync()
    assert [(e.row, e.column) for e in report.errors] == [(2, "Status")]
    assert clinic.records("claim")[1]["status"] == "submitted"
    assert clinic.records("claim")[1]["frequency"] == "replacement"


# --------------------------------------------------------------------------- 13. who may bill


def test_a_line_needs_its_rendering_provider_licensed_on_its_date_of_service(clinic: Clinic) -> None:
    """42 CFR 410.20(b): services by a practitioner legally authorized (licensed) by the state."""
    clinic.sheet.append(
        "Providers",
        [{"First name": "Mary", "Last name": "Keller", "NPI": "1245319599", "Credentials": "NP"}],  # PR000002
    )
    clinic.sheet.append(
        "Credentials",
        [
            {
                "Holder type": "provider",
                "Holder": "PR000001",
                "Kind": "license",
                "Issued": dt.date(2024, 2, 1),
                "Expires": dt.date(2026, 1, 31),
                "Required": "yes",
            },
            {
                "Holder type": "provider",
                "Holder": "PR000001",
                "Kind": "license",
                "Issued": dt.date(2026, 2, 20),
                "Expires": dt.date(2028, 1, 31),
                "Required": "yes",
            },  # renewed late: nothing from Feb 1 to 19
        ],
    )
    clinic.sheet.append(
        "Claims",
        [
            claim_row(date_of_service=dt.date(2026, 1, 20)),  # licensed: fine
            claim_row(date_of_service=dt.date(2026, 2, 10), patient="P000002"),  # the lapse: a draft
            claim_row(
                date_of_service=dt.date(2026, 2, 10),
                patient="P000003",
                status="submitted",
                submitted=dt.date(2026, 2, 12),
            ),  # the lapse, already sent
            claim_row(date_of_service=dt.date(2026, 2, 24), provider="PR000002"),  # no license recorded: not checked
            # ACC/AHA clinical competence statement on stress testing: supervising needs ACLS.
            claim_row(date_of_service=dt.date(2026, 2, 25), cpt_codes="93015", patient="P000002", provider="PR000002"),
        ],
    )
    clinic.sync()
    alerts = {k: a for k, a in open_alerts(clinic).items() if k.endswith(":who-may-bill")}
    assert {k: a["severity"] for k, a in alerts.items()} == {
        "billing:CLM000002:who-may-bill": "critical",
        "billing:CLM000003:who-may-bill": "warning",
        "billing:CLM000005:who-may-bill": "critical",
    }
    assert (
        "PR000001 had no active license on the date of service of line 1 (99213)"
        in alerts["billing:CLM000002:who-may-bill"]["message"]
    )
    assert (
        "PR000002 held no ACLS certification, which 93015 requires"
        in alerts["billing:CLM000005:who-may-bill"]["message"]
    )
    assert "bills services its provider could not bill that day" in billing_cli(
        clinic.folder, "alerts", "--plugin", "billing"
    )


def test_a_claim_read_as_one_line_keeps_to_four_modifiers(clinic: Clinic) -> None:
    """CMS-1500 item 24D: four modifiers a line; a one-code claim without lines is that line."""
    clinic.sheet.append("Claims", [claim_row(modifiers="25, 59, 76, 77, 91")])
    assert errors_by_row(clinic.sync()) == {2: [("Modifiers", "a line carries at most 4 modifiers")]}


def test_a_claims_tab_from_before_the_new_columns_loses_nothing(tmp_path: Path) -> None:
    """A workbook laid out before Frequency, Original ref. no., Denied on and Refunded on: its
    claims sync whole, and the missing columns are unknown, never blanks written over data."""
    import openpyxl

    c = open_clinic(tmp_path, TODAY)
    with on(TODAY):
        c.practice.close()
        book = openpyxl.load_workbook(tmp_path / "clinic.xlsx")
        sheet = book["Claims"]
        headers = [cell.value for cell in sheet[1]]
        for title in ("Refunded on", "Denied on", "Original ref. no.", "Frequency"):
            sheet.delete_cols(headers.index(title) + 1)
        book.save(tmp_path / "clinic.xlsx")
        c.reopen()
        c.sheet.append("Claims", [sent(30, status="denied", denial_reason="CO-16"), claim_row(patient="P000002")])
        report = c.sync()
        assert report.errors == []
        [denied, draft] = c.records("claim")
        assert denied["denial_reason"] == "CO-16" and denied["cpt_codes"] == ["99213"] and "denied_date" not in denied
        assert draft["icd10_codes"] == ["I10"] and draft["billed_amount"] == "135.00"
        assert c.sync().errors == [] and c.records("claim") == [denied, draft]
        c.practice.close()
