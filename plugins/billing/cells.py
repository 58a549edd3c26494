"""The claim row's own cells: required fields by status and dates that cannot be."""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinicops import FieldProblem

_SENT_NEEDS = ("submitted_date", "payer", "billed_amount", "cpt_codes", "icd10_codes")
REQUIRED_BY_STATUS = {
    "submitted": _SENT_NEEDS,
    "paid": (*_SENT_NEEDS, "paid_amount", "paid_date"),
    "denied": (*_SENT_NEEDS, "denial_reason"),
    "appealed": (*_SENT_NEEDS, "denial_reason"),
}
NEEDS = {
    "submitted_date": "the date it was submitted",
    "payer": "the payer it was sent to",
    "billed_amount": "the billed amount",
    "cpt_codes": "its CPT/HCPCS codes",
    "icd10_codes": "its ICD-10-CM diagnosis codes",
    "paid_amount": "the amount paid (0.00 when it all went to the deductible)",
    "paid_date": "the date it was paid",
    "denial_reason": "the denial reason from the remittance, such as CO-16",
}


def missing_for_status(record: dict[str, Any]) -> list[FieldProblem]:
    status = record.get("status", "")
    return [
        FieldProblem(name, f"a {status} claim needs {NEEDS[name]}")
        for name in REQUIRED_BY_STATUS.get(status, ())
        if record.get(name) in (None, "", [])
    ]


def date_problems(practice: Any, record: dict[str, Any], patient_of: Any = None) -> list[FieldProblem]:
    """Dates that cannot be; ``patient_of`` looks a patient up (default: the store, one read each)."""
    today = practice.today()
    dos = _date(record.get("date_of_service"))
    submitted = _date(record.get("submitted_date"))
    paid = _date(record.get("paid_date"))
    problems = []
    if dos and dos > today:
        problems.append(
            FieldProblem(
                "date_of_service", "is in the future; a claim is for a visit that took place", "today or earlier"
            )
        )
    lookup = patient_of or (lambda pid: practice.get("patient", pid))
    patient = lookup(record.get("patient_id", "")) if dos else None
    born = _date((patient or {}).get("date_of_birth"))
    if dos and born and dos < born:
        problems.append(
            FieldProblem(
                "date_of_service", "is before the patient's date of birth", "a date on or after the date of birth"
            )
        )
    if submitted and submitted > today:
        problems.append(FieldProblem("submitted_date", "is in the future", "the date the claim was sent"))
    elif submitted and dos and submitted < dos:
        problems.append(
            FieldProblem("submitted_date", "is before the date of service", "a date on or after the date of service")
        )
    if paid and paid > today:
        problems.append(FieldProblem("paid_date", "is in the future", "the date the payment arrived"))
    elif paid and submitted and paid < submitted:
        problems.append(
            FieldProblem("paid_date", "is before the claim was submitted", "a date on or after the submitted date")
        )
    return problems


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None
