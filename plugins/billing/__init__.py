"""Billing checks: catch what a clearinghouse or payer would bounce, before it costs money.

**Cell errors** (``validate_record``: the row is held back, the typed value stays in the
sheet with a note, the last valid version stays in the store). These are things the biller
fixes in the cell:

- Dates: a date of service in the future or before the patient's date of birth; a
  submitted date in the future or before the date of service; a paid date in the future or
  before the submitted date. Whatever the status: such a date is a typo.
- A billed amount of 0.00 or less.
- Required fields per status. A draft needs only what every claim needs (patient,
  provider, date of service). Once ``submitted`` it needs the submitted date, payer, billed
  amount, CPT/HCPCS and ICD-10-CM codes; ``paid`` adds the paid amount and paid date;
  ``denied`` and ``appealed`` add the denial reason.
- While the claim is a **draft**: every CPT/HCPCS code well-formed, every ICD-10-CM code a
  billable (leaf) code, at most 12 diagnoses (the CMS-1500 limit), every modifier on the
  list, and the provider's NPI present and valid. The Providers sheet already refuses a bad
  NPI; this catches a provider record that reached the store some other way (the fix is on
  the Providers sheet, and the claim row is re-checked on every sync until then).

**Alerts** (``collect_alerts``: work for the billing office, one per condition, kept while
it lasts):

- ``CLM…:codes``: a claim already with the payer (submitted, denied, appealed) whose codes
  are wrong. It has left the office, so its row is not held back (payments must still be
  recorded on it); the biller sends a corrected claim. Paid claims are closed: no alert.
- ``CLM…:duplicate-of:CLM…``: the same patient, provider, date of service, CPT/HCPCS codes
  and modifiers as an earlier claim (lower id) to the same payer. The same service billed to
  another payer is a secondary claim, not a duplicate. Denied claims are left out:
  re-billing a denial on a new row is how a spreadsheet office sends a corrected claim.
  Modifiers 76, 77 and 91 mark a real repeat, so a claim carrying them is not a duplicate
  of one without.
- ``CLM…:timely-filing:30d`` / ``14d`` / ``7d``: a draft whose payer's filing limit
  (``timely_filing_days`` from the date of service, or ``timely_filing_by_payer``) is that
  close, at the tightest threshold reached, so the key changes once per threshold;
  ``CLM…:timely-filing:missed`` once it has passed; ``CLM…:timely-filing:filed-late`` for a
  submitted claim sent after its limit (a denial is coming). Self-pay claims have no limit.
- ``CLM…:denied``: a denied claim waiting for rework, with what to do for the common
  claim adjustment reason codes (``alert_denials = false`` turns these off).

**The ``Billing summary`` tab** is the plugin's own table, rebuilt every sync (staff edits
to it are overwritten): A/R aging by payer, days in A/R and denial rates; how each figure
is computed is in :mod:`clinicops.plugins.billing.receivables`.

Diagnoses and dates of service are protected health information: no message names a
diagnosis code, a patient or a date of service. Messages name claims, providers, payers
and CPT/HCPCS codes, and say which diagnosis is wrong by its position on the claim.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinicops import Alert, FieldProblem, ReportSection, StatusSection, days_text, hookimpl

from . import codes, receivables, report
from .receivables import NO_PAYER, payer_name, reason_key

NAME = "billing"
SUMMARY = "billing_summary"
AT_PAYER = ("submitted", "denied", "appealed")
MAX_DIAGNOSES = 12

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
COLUMN = {"cpt_codes": "CPT/HCPCS", "icd10_codes": "ICD-10-CM", "modifiers": "Modifiers"}

# What to do about a denial, by claim adjustment reason code (the number after CO-, PR-…).
DENIAL_NEXT_STEP = {
    "4": "fix the modifier and send a corrected claim",
    "11": "the diagnosis does not support the procedure: check the coding and send a corrected claim",
    "16": "add the missing information and resubmit",
    "18": "it repeats a claim already processed: check that claim before resubmitting anything",
    "22": "bill the primary payer first, then this one with the primary's remittance",
    "27": "coverage had ended: check eligibility, then bill the right payer or the patient",
    "29": "it was filed late: appeal only with proof it was sent in time",
    "50": "appeal with the visit notes that show medical necessity",
    "97": "it is bundled into another service: check the NCCI edits, and add 59 or XS only if truly separate",
    "109": "this payer does not cover it: bill the right payer",
    "167": "the diagnosis is not covered: check the coding",
    "197": "get the authorization (retroactive, if the payer allows it) and appeal",
}
DEFAULT_NEXT_STEP = "correct and resubmit, appeal, or write it off"


@hookimpl
def plugin_settings_schema() -> dict[str, Any]:
    days = {"type": "integer", "minimum": 1, "maximum": 3650}
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "timely_filing_days": {
                **days,
                "default": 90,
                "description": "Days after the date of service a payer accepts a claim, unless listed below.",
            },
            "timely_filing_by_payer": {
                "type": "object",
                "additionalProperties": days,
                "default": {},
                "description": "Payer name as in the Payer column (any case) -> its filing limit in days, "
                "e.g. Medicare = 365.",
            },
            "warn_days_left": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": 365},
                "minItems": 1,
                "default": [30, 14, 7],
                "description": "Days left to file at which a draft is flagged.",
            },
            "modifiers": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[0-9A-Za-z]{2}$"},
                "default": [],
                "description": "Modifiers accepted besides the shipped list.",
            },
            "self_pay_payers": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["Self-pay", "Self pay", "Cash"],
                "description": "Payer names that mean the patient pays: no filing limit.",
            },
            "alert_denials": {
                "type": "boolean",
                "default": True,
                "description": "Raise an alert for each denied claim waiting for rework.",
            },
        },
    }


@hookimpl
def register_schemas() -> list[dict[str, Any]]:
    return [receivables.schema()]


@hookimpl
def validate_record(practice: Any, entity: str, record: dict[str, Any]) -> list[FieldProblem] | None:
    if entity != "claim":
        return None
    problems = [*_missing_for_status(record), *_date_problems(practice, record)]
    if record.get("billed_amount") is not None and receivables.money(record["billed_amount"]) <= 0:
        problems.append(
            FieldProblem("billed_amount", "a claim bills more than 0.00", "the total charge, such as 135.00")
        )
    if record.get("status") == "draft":
        problems += [FieldProblem(f, problem, expected) for f, problem, expected in _code_problems(practice, record)]
        npi = _npi_problem(practice.get("provider", record.get("provider_id", "")))
        if npi:
            problems.append(
                FieldProblem(
                    "provider_id",
                    f"{record['provider_id']} has {npi} on the Providers sheet, and a claim needs it",
                    "a provider whose NPI is filled in on the Providers sheet",
                )
            )
    return problems


@hookimpl
def collect_alerts(practice: Any) -> list[Alert]:
    settings = practice.settings(NAME)
    claims = practice.records("claim")
    alerts = [
        *_sent_with_bad_codes(practice, claims),
        *_duplicates(claims),
        *_timely_filing(claims, settings, practice.today()),
    ]
    if settings["alert_denials"]:
        alerts += _denials(claims)
    return alerts


@hookimpl
def refresh_tables(practice: Any) -> None:
    practice.replace_table(SUMMARY, receivables.summary_rows(practice.records("claim"), practice.today()), plugin=NAME)


@hookimpl
def report_sections(practice: Any, period: Any) -> list[ReportSection]:
    return report.sections(practice.records("claim"), period, lambda claim: bool(_code_problems(practice, claim)))


@hookimpl
def status_sections(practice: Any) -> list[StatusSection]:
    rows = receivables.status_rows(practice.records("claim"), practice.today())
    return [StatusSection("Accounts receivable", ("Payer", "Open claims", "A/R", "Over 90 days", "Days in A/R"), rows)]


# --------------------------------------------------------------------------- cell checks


def _missing_for_status(record: dict[str, Any]) -> list[FieldProblem]:
    status = record.get("status", "")
    return [
        FieldProblem(name, f"a {status} claim needs {NEEDS[name]}")
        for name in REQUIRED_BY_STATUS.get(status, ())
        if record.get(name) in (None, "", [])
    ]


def _date_problems(practice: Any, record: dict[str, Any]) -> list[FieldProblem]:
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
    patient = practice.get("patient", record.get("patient_id", "")) if dos else None
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


def _code_problems(practice: Any, record: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field, problem, expected) for each code a payer would reject; diagnoses by position only."""
    out = []
    for code in record.get("cpt_codes") or []:
        problem = codes.procedure_problem(code)
        if problem:
            out.append(("cpt_codes", problem, codes.PROCEDURE_EXPECTED))
    extra = frozenset(m.upper() for m in practice.settings(NAME)["modifiers"])
    for code in record.get("modifiers") or []:
        problem = codes.modifier_problem(code, extra)
        if problem:
            out.append(("modifiers", problem, codes.MODIFIER_EXPECTED))
    diagnoses = record.get("icd10_codes") or []
    if len(diagnoses) > MAX_DIAGNOSES:
        out.append(("icd10_codes", f"a claim carries at most {MAX_DIAGNOSES} diagnoses", "the 12 most relevant"))
    if diagnoses:
        code_set = codes.icd10cm(practice.data_dir / "cache")
        for n, code in enumerate(diagnoses, start=1):
            problem = code_set.problem(code)
            if problem:
                out.append(("icd10_codes", f"the {codes.ordinal(n)} code {problem}", codes.ICD_EXPECTED))
    return out


def _npi_problem(provider: dict[str, Any] | None) -> str | None:
    """What is wrong with a provider's NPI, or None (also for an unknown provider: the core reports that)."""
    if provider is None or codes.npi_is_valid(provider.get("npi")):
        return None
    return "an NPI that fails its check digit" if provider.get("npi") else "no NPI"


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


# --------------------------------------------------------------------------- alerts


def _sent_with_bad_codes(practice: Any, claims: list[dict[str, Any]]) -> list[Alert]:
    alerts = []
    for claim in claims:
        if claim.get("status") not in AT_PAYER:
            continue
        problems = _code_problems(practice, claim)
        if not problems:
            continue
        listed = "; ".join(f"{COLUMN[f]}: {problem}" for f, problem, _ in problems)
        alerts.append(
            Alert(
                key=f"{claim['id']}:codes",
                severity="critical" if claim["status"] == "submitted" else "warning",
                message=f"Claim {claim['id']} ({claim['status']}, {payer_name(claim)}) has codes a payer rejects: "
                f"{listed}. Correct them and send a corrected claim.",
                entity="claim",
                record_id=claim["id"],
            )
        )
    return alerts


def _duplicates(claims: list[dict[str, Any]]) -> list[Alert]:
    first_of: dict[tuple[Any, ...], dict[str, Any]] = {}
    alerts = []
    for claim in claims:  # in id order: the earlier claim is the original
        if claim.get("status") == "denied" or not claim.get("cpt_codes"):
            continue
        key = (
            claim["patient_id"],
            claim["provider_id"],
            claim["date_of_service"],
            payer_name(claim).casefold(),
            tuple(sorted(claim["cpt_codes"])),
            tuple(sorted(claim.get("modifiers") or [])),
        )
        original = first_of.setdefault(key, claim)
        if original is claim:
            continue
        both_sent = claim["status"] != "draft" and original["status"] != "draft"
        alerts.append(
            Alert(
                key=f"{claim['id']}:duplicate-of:{original['id']}",
                severity="critical" if both_sent else "warning",
                message=f"Claim {claim['id']} repeats {original['id']}: same patient, provider, date of service, "
                "payer and CPT/HCPCS codes. Payers deny the second as a duplicate (CO-18): delete one, or add "
                "modifier 76, 77 or 91 if the service really was repeated.",
                entity="claim",
                record_id=claim["id"],
            )
        )
    return alerts


def _timely_filing(claims: list[dict[str, Any]], settings: dict[str, Any], today: dt.date) -> list[Alert]:
    limits = {name.casefold(): days for name, days in settings["timely_filing_by_payer"].items()}
    self_pay = {name.casefold() for name in settings["self_pay_payers"]}
    thresholds = sorted(set(settings["warn_days_left"]))
    alerts = []
    for claim in claims:
        status = claim.get("status")
        payer = payer_name(claim)
        if status not in ("draft", "submitted") or payer.casefold() in self_pay:
            continue
        limit = limits.get(payer.casefold(), settings["timely_filing_days"])
        deadline = dt.date.fromisoformat(claim["date_of_service"]) + dt.timedelta(days=limit)
        whose = "with no payer yet" if payer == NO_PAYER else f"to {payer}"
        rule = f"the filing limit is {limit} days from the date of service"
        if status == "submitted":
            submitted = _date(claim.get("submitted_date"))
            if submitted is None or submitted <= deadline:
                continue
            key, severity = "filed-late", "critical"
            message = (
                f"Claim {claim['id']} was submitted {whose} {days_text((submitted - deadline).days)} after its filing "
                f"limit ({limit} days from the date of service): expect a timely-filing denial (CO-29); appeal "
                "only with proof it was sent in time."
            )
        else:
            left = (deadline - today).days
            if left < 0:
                key, severity = "missed", "critical"
                message = (
                    f"Claim {claim['id']} {whose} is still a draft, {days_text(-left)} past its filing limit ({rule}): "
                    "the payer will deny it as late unless an exception applies (such as retroactive eligibility)."
                )
            else:
                reached = [t for t in thresholds if left <= t]
                if not reached:
                    continue
                window = min(reached)
                key, severity = f"{window}d", "critical" if window <= 7 else "warning"
                when = "today is the last day" if left == 0 else f"{days_text(left)} left"
                message = f"Claim {claim['id']} {whose} is still a draft: {when} to file it ({rule})."
        alerts.append(
            Alert(
                key=f"{claim['id']}:timely-filing:{key}",
                severity=severity,
                message=message,
                entity="claim",
                record_id=claim["id"],
            )
        )
    return alerts


def _denials(claims: list[dict[str, Any]]) -> list[Alert]:
    alerts = []
    for claim in claims:
        if claim.get("status") != "denied":
            continue
        reason = (claim.get("denial_reason") or "").strip()
        code = reason_key(reason).partition("-")[2] if reason else ""
        step = DENIAL_NEXT_STEP.get(code, DEFAULT_NEXT_STEP)
        alerts.append(
            Alert(
                key=f"{claim['id']}:denied",
                message=f"Claim {claim['id']} was denied by {payer_name(claim)} ({reason or 'no reason recorded'}): "
                f"{step}.",
                severity="warning",
                entity="claim",
                record_id=claim["id"],
            )
        )
    return alerts
