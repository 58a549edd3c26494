"""Billing checks: catch what a clearinghouse or payer would bounce, and the deadlines and
money a billing office must not miss, before they cost the practice.

A claim is billed by **service lines** (:mod:`.lines`, the ``Claim lines`` tab: CMS-1500
item 24, 837P loop 2400); a claim without lines there is read as one line per code.

**Cell errors** (``validate_record``: the row is held back, the typed value stays in the
sheet with a note, the last valid version stays in the store). These are things the biller
fixes in the cell:

- Dates: a date of service in the future or before the patient's date of birth; a
  submitted date in the future or before the date of service; a paid date in the future or
  before the submitted date. Whatever the status: such a date is a typo (:mod:`.cells`).
- A billed amount of 0.00 or less.
- Required fields per status. A draft needs only what every claim needs (patient,
  provider, date of service). Once ``submitted`` it needs the submitted date, payer, billed
  amount, CPT/HCPCS and ICD-10-CM codes; ``paid`` adds the paid amount and paid date;
  ``denied`` and ``appealed`` add the denial reason.
- Status moves that lose track of money (:mod:`.transitions`): a paid claim set back to draft
  or submitted, a denied one set back to submitted, unless the row is marked a corrected
  claim (``Frequency`` replacement, code 7, with the ``Original ref. no.``, NUCC item 22).
- While the claim is a **draft**, its codes (:mod:`.checks`): every CPT/HCPCS code
  well-formed, in a HCPCS Level II section in use (no F, I, N, O) and right for the payer (no
  D codes on a medical claim, no S codes to Medicare, T codes only to Medicaid; :mod:`.codes`);
  every modifier on the list (data: ``modifiers.txt`` plus the practice's); at most 12
  diagnoses (CMS-1500 item 21), each billable in the ICD-10-CM set in effect on the date of
  service (:mod:`.icd10cm`), an external cause (V00–Y99) never first and no diagnosis for the
  other sex than the patient's recorded one (:mod:`.diagnoses`); and the provider's NPI
  present and valid, its first digit 1 or 2. The Providers sheet already refuses a bad NPI;
  this catches a provider record that reached the store some other way (the fix is on the
  Providers sheet, and the claim row is re-checked on every sync until then).
- On a line: at most four modifiers and four diagnosis pointers, each a letter A–L naming a
  diagnosis the claim lists, and no future date, whatever the status; its code and
  modifiers as above while the claim is a draft.

**Alerts** (``collect_alerts``: work for the billing office, one per condition, kept while
it lasts):

- ``CLM…:codes``: a claim already with the payer (submitted, denied, appealed) whose codes,
  or whose lines' codes, are wrong. It has left the office, so its row is not held back
  (payments must still be recorded on it); the biller sends a corrected claim. Paid claims
  are closed: no alert.
- ``CLM…:icd10cm-unverified``: a diagnosis dated after the newest ICD-10-CM set the practice
  has, and unknown to it: accepted, to be checked, with the CMS file for that year to add.
- ``CLM…:lines-total``: a claim whose billed amount is not the sum of its lines' charges
  (CMS-1500 item 28, total charge).
- ``CLM…:duplicate-of:CLM…`` and ``CLM…:duplicate-line``: the same service billed twice,
  line by line (:mod:`.duplicates`).
- ``CLM…:timely-filing:30d`` / ``14d`` / ``7d`` / ``missed`` / ``filed-late``: the filing limit
  by payer type, Medicare's one calendar year (42 CFR 424.44) rolled past weekends and
  federal holidays (:mod:`.deadlines`, :mod:`.filing`). Self-pay claims have no limit.
- ``CLM…:denied``: a denied claim waiting for rework, with what to do for the common
  claim adjustment reason codes (``alert_denials = false`` turns these off); a Medicare
  timely-filing denial (CO-29) is said to have no appeal rights.
- ``CLM…:appeal-30d`` / ``14d`` / ``7d`` / ``appeal-missed``: a denied claim's appeal deadline
  (Medicare redetermination 120 days from receipt of the notice, 42 CFR 405.942; others
  per payer type or payer).
- ``CLM…:overpaid``: paid more than billed, a negative payment, or a line paid more than its
  charge, with the 60-day report-and-return deadline (42 U.S.C. 1320a-7k(d), 42 CFR 401.305;
  :mod:`.overpayments`).
- ``CLM…:who-may-bill``: a line whose rendering provider had no active license, or not the
  credential its service needs, on its date of service (:mod:`.who_may_bill`).

**The ``Billing summary`` tab** is the plugin's own table, rebuilt every sync (staff edits
to it are overwritten): A/R aging by payer with credit balances shown as such, days in A/R
and denial rates; how each figure is computed is in
:mod:`clinicops.plugins.billing.receivables`.

Diagnoses and dates of service are protected health information: no message names a
diagnosis code, a patient or a date of service. Messages name claims, providers, payers
and CPT/HCPCS codes, and say which diagnosis is wrong by its position on the claim.
"""

from __future__ import annotations

from typing import Any

from clinicops import Alert, FieldProblem, ReportSection, StatusSection, hookimpl

from . import (
    cells,
    checks,
    codes,
    duplicates,
    filing,
    lines,
    overpayments,
    receivables,
    report,
    transitions,
    who_may_bill,
)
from .deadlines import payer_type
from .lines import Line
from .receivables import payer_name

NAME = "billing"
SUMMARY = "billing_summary"
AT_PAYER = ("submitted", "denied", "appealed")
MAX_DIAGNOSES = checks.MAX_DIAGNOSES


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
                "description": "Days after the date of service a commercial payer accepts a claim, unless listed "
                "in timely_filing_by_payer.",
            },
            "medicaid_filing_days": {
                **days,
                "default": 365,
                "description": "The state Medicaid program's filing limit in days "
                "(42 CFR 447.45(d): at most 12 months).",
            },
            "payer_types": {
                "type": "object",
                "additionalProperties": {"type": "string", "enum": ["medicare", "medicaid", "commercial", "self-pay"]},
                "default": {},
                "description": "Payer name (any case) -> medicare, medicaid, commercial or self-pay, where the name "
                "alone does not say (a Medicare Advantage plan is commercial unless listed).",
            },
            "appeal_days_by_type": {
                "type": "object",
                "properties": {"medicaid": days, "commercial": days},
                "additionalProperties": False,
                "default": {},
                "description": "Days from a denial notice to appeal, for Medicaid (default 90) and commercial payers "
                "(default 180); Medicare's is set by 42 CFR 405.942.",
            },
            "appeal_days_by_payer": {
                "type": "object",
                "additionalProperties": days,
                "default": {},
                "description": "Payer name (any case) -> days from its denial notice to appeal, from its contract.",
            },
            "icd10cm_files": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "default": {},
                "description": 'CMS ICD-10-CM code files the practice adds: the fiscal year ("2027", from '
                "2026-10-01) or the first day in effect -> the file's path, relative to the practice folder.",
            },
            "credentials_for_codes": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "default": {},
                "description": "CPT/HCPCS code -> the credential kind (as on the Credentials tab) the rendering "
                "provider needs on the date of service, over the built-in ones (ACLS for stress tests).",
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
    return [receivables.schema(), lines.schema(), transitions.schema_extension()]


@hookimpl
def validate_record(practice: Any, entity: str, record: dict[str, Any]) -> list[FieldProblem] | None:
    if entity == lines.ENTITY:
        return _line_cells(practice, record)
    if entity != "claim":
        return None
    ctx = checks.context(practice)
    problems = [*cells.missing_for_status(record), *cells.date_problems(practice, record, ctx.patient)]
    if record.get("billed_amount") is not None and receivables.money(record["billed_amount"]) <= 0:
        problems.append(
            FieldProblem("billed_amount", "a claim bills more than 0.00", "the total charge, such as 135.00")
        )
    moved_back = record.get("status") in transitions.BACK_TO  # only these can be a move back: look up the rest never
    problems += transitions.problems(practice.get("claim", record.get("id", "")) if moved_back else None, record)
    if record.get("status") == "draft":
        problems += [FieldProblem(f, problem, expected) for f, problem, expected in checks.claim_problems(ctx, record)]
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


def _line_cells(practice: Any, record: dict[str, Any]) -> list[FieldProblem]:
    claim = practice.get("claim", record.get("claim_id", ""))
    line = lines.from_row(record, claim)
    found = checks.line_shape_problems(line, claim, practice.today())
    if claim is not None and claim.get("status") == "draft":
        found += checks.line_code_problems(checks.context(practice), line, claim)
    return [FieldProblem(f, problem, expected) for f, problem, expected in found]


@hookimpl
def collect_alerts(practice: Any) -> list[Alert]:
    ctx = checks.context(practice)
    settings, today = ctx.settings, practice.today()
    claims = practice.records("claim")
    by_claim = lines.by_claim(claims, practice.records(lines.ENTITY))
    kinds = {c["id"]: payer_type(c.get("payer") or "", settings) for c in claims}
    alerts = [
        *_sent_with_bad_codes(ctx, claims, by_claim),
        *_unverified(ctx, claims, by_claim),
        *_lines_total(claims, by_claim),
        *duplicates.alerts(claims, by_claim),
        *filing.timely_filing(claims, by_claim, kinds, settings, today),
        *filing.appeal_deadlines(claims, kinds, settings, today),
        *overpayments.alerts(claims, by_claim, kinds, today),
        *who_may_bill.alerts(claims, by_claim, practice, settings),
    ]
    if settings["alert_denials"]:
        alerts += filing.denials(claims, kinds)
    return alerts


@hookimpl
def refresh_tables(practice: Any) -> None:
    claims = practice.records("claim")
    rows = receivables.summary_rows(claims, practice.today(), _line_amounts(practice, claims))
    practice.replace_table(SUMMARY, rows, plugin=NAME)


@hookimpl
def report_sections(practice: Any, period: Any) -> list[ReportSection]:
    ctx = checks.context(practice)
    return report.sections(practice.records("claim"), period, lambda claim: bool(checks.claim_problems(ctx, claim)))


@hookimpl
def status_sections(practice: Any) -> list[StatusSection]:
    claims = practice.records("claim")
    rows = receivables.status_rows(claims, practice.today(), _line_amounts(practice, claims))
    return [StatusSection("Accounts receivable", ("Payer", "Open claims", "A/R", "Over 90 days", "Days in A/R"), rows)]


def _line_amounts(practice: Any, claims: list[dict[str, Any]]) -> receivables.LineAmounts:
    """Each claim with rows on the Claim lines tab: the sum of their charges and of their payments."""
    rows = practice.records(lines.ENTITY)
    if not rows:
        return {}
    out = {}
    for claim_id, kept in lines.by_claim(claims, rows).items():
        if lines.kept_on_tab(kept):
            charges = sum((ln.charge or receivables.ZERO for ln in kept), receivables.ZERO)
            out[claim_id] = (charges, sum((ln.paid or receivables.ZERO for ln in kept), receivables.ZERO))
    return out


def _npi_problem(provider: dict[str, Any] | None) -> str | None:
    """What is wrong with a provider's NPI, or None (also for an unknown provider: the core reports that)."""
    if provider is None or codes.npi_is_valid(provider.get("npi")):
        return None
    return "an NPI that fails its check" if provider.get("npi") else "no NPI"


# --------------------------------------------------------------------------- alerts


def _sent_with_bad_codes(
    ctx: checks.Context, claims: list[dict[str, Any]], by_claim: dict[str, list[Line]]
) -> list[Alert]:
    alerts = []
    for claim in claims:
        if claim.get("status") not in AT_PAYER:
            continue
        found = checks.listed(checks.claim_problems(ctx, claim))
        on_lines = [
            f"{line.label}: {checks.listed(problems)}"
            for line in by_claim[claim["id"]]
            if line.record_id and (problems := checks.line_code_problems(ctx, line, claim))
        ]
        listed = "; ".join(p for p in (found, *on_lines) if p)
        if not listed:
            continue
        alerts.append(
            Alert(
                key=f"{claim['id']}:codes",
                severity="critical" if claim["status"] == "submitted" else "warning",
                message=f"Claim {claim['id']} ({checks.who(claim)}) has codes a payer rejects: "
                f"{listed}. Correct them and send a corrected claim.",
                entity="claim",
                record_id=claim["id"],
            )
        )
    return alerts


def _unverified(ctx: checks.Context, claims: list[dict[str, Any]], by_claim: dict[str, list[Line]]) -> list[Alert]:
    alerts = []
    for claim in claims:
        if claim.get("status") == "paid":
            continue
        found = checks.unverified_diagnoses(ctx, claim, by_claim[claim["id"]])
        if not found:
            continue
        which = ", ".join(codes.ordinal(n) for n, _ in found)
        alerts.append(
            Alert(
                key=f"{claim['id']}:icd10cm-unverified",
                severity="warning",
                message=f"Claim {claim['id']} ({checks.who(claim)}): its {which} diagnosis is not in {found[0][1]} of "
                "ICD-10-CM, the newest this practice has, and its date of service is after that set's last day. It "
                "may be a code new that October 1: check it, and add CMS's ICD-10-CM code file for that fiscal year "
                "under [plugins.billing] icd10cm_files.",
                entity="claim",
                record_id=claim["id"],
            )
        )
    return alerts


def _lines_total(claims: list[dict[str, Any]], by_claim: dict[str, list[Line]]) -> list[Alert]:
    alerts = []
    for claim in claims:
        kept = by_claim[claim["id"]]
        total = lines.total_charge(kept) if lines.kept_on_tab(kept) else None
        if total is None or not claim.get("billed_amount"):
            continue
        billed = receivables.money(claim["billed_amount"])
        if billed == total:
            continue
        alerts.append(
            Alert(
                key=f"{claim['id']}:lines-total",
                severity="warning" if claim.get("status") == "draft" else "critical",
                message=f"Claim {claim['id']} ({checks.who(claim)}) bills {billed:.2f}, and its {len(kept)} lines "
                f"on the Claim lines tab add up to {total:.2f}: the total charge is the sum of the line charges "
                "(CMS-1500 item 28). Correct the Billed cell or the line charges.",
                entity="claim",
                record_id=claim["id"],
            )
        )
    return alerts


__all__ = ["MAX_DIAGNOSES", "NAME", "payer_name"]
