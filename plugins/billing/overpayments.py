"""Overpayments and credit balances: money the practice holds that is not its own.

A claim is overpaid when its paid amount is more than it billed, when a payment is recorded
as a negative amount (a take-back the payer may still be owed), or when a line was paid more
than its charge (a line balance below zero). Each raises ``CLM…:overpaid`` until the money
is returned (``Refunded on`` filled in) or the amounts are corrected.

The deadline: an overpayment from Medicare or Medicaid must be reported and returned within
60 days after it is identified (Social Security Act section 1128J(d), 42 U.S.C.
1320a-7k(d); 42 CFR 401.305(b) for Medicare Parts A and B); kept longer, it is an obligation
under the False Claims Act. The 60 days are counted here from the paid date, the earliest it
could be identified, so the date shown is never late. Commercial payers' refund terms come
from the contract and state law; the same 60 days are shown as the practice's target.

The A/R (:mod:`.receivables`) shows these credit balances as negative balances rather than
clipping them at zero.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from clinicops import Alert, days_text

from .deadlines import MEDICAID, MEDICARE
from .lines import Line, total_charge
from .receivables import money, payer_name

RETURN_DAYS = 60


def billed(claim: dict[str, Any], lines: list[Line]) -> Decimal:
    """The claim's billed amount, or its lines' total when the Billed cell is blank."""
    if claim.get("billed_amount"):
        return money(claim["billed_amount"])
    return total_charge(lines) or Decimal("0.00")


def why_overpaid(claim: dict[str, Any], lines: list[Line]) -> str | None:
    """What makes the claim overpaid, or None (also once the refund is recorded)."""
    if claim.get("refunded_date"):
        return None
    reasons = []
    if claim.get("paid_amount") not in (None, ""):
        paid, total = money(claim["paid_amount"]), billed(claim, lines)
        if paid < 0:
            reasons.append(f"a payment of {paid:.2f} is recorded (negative: a take-back or a refund owed)")
        elif total and paid > total:
            reasons.append(f"it was paid {paid:.2f} on {total:.2f} billed, a credit balance of {paid - total:.2f}")
    reasons += [
        f"{ln.label} was paid {ln.paid:.2f} on a charge of {ln.charge:.2f}"
        for ln in lines
        if ln.paid is not None and ln.charge is not None and ln.paid > ln.charge
    ]
    return "; ".join(reasons) or None


def alerts(
    claims: list[dict[str, Any]], lines: dict[str, list[Line]], kinds: dict[str, str], today: dt.date
) -> list[Alert]:
    out = []
    for claim in claims:
        why = why_overpaid(claim, lines[claim["id"]])
        if why is None:
            continue
        kind = kinds[claim["id"]]
        paid_on = dt.date.fromisoformat(claim["paid_date"]) if claim.get("paid_date") else None
        law = (
            "report and return it within 60 days of identifying it (42 U.S.C. 1320a-7k(d), 42 CFR 401.305)"
            if kind in (MEDICARE, MEDICAID)
            else "refund it as the payer contract and state law require (the practice's target: 60 days)"
        )
        if paid_on is None:
            when, severity = "", "warning"
        else:
            due = paid_on + dt.timedelta(days=RETURN_DAYS)
            left = (due - today).days
            severity = "critical" if left <= 14 else "warning"
            when = (
                f" The 60 days from the payment end {due.isoformat()} ({days_text(left)} left)."
                if left >= 0
                else f" The 60 days from the payment ended {due.isoformat()} ({days_text(-left)} ago)."
            )
        out.append(
            Alert(
                key=f"{claim['id']}:overpaid",
                severity=severity,
                message=f"Claim {claim['id']} ({payer_name(claim)}) is overpaid: {why}. {law[0].upper()}{law[1:]}, "
                f"then fill in Refunded on.{when}",
                entity="claim",
                record_id=claim["id"],
            )
        )
    return out
