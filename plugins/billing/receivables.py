"""Accounts receivable aging and denial rates, the figures of the ``Billing summary`` tab.

- **In A/R** are claims sent to a payer and not paid: ``submitted``, ``denied`` (until it is
  reworked) and ``appealed``. The balance is the billed amount less anything already paid.
  Drafts are not receivables yet; paid claims are closed (contractual adjustments and patient
  balances are not tracked here), except a **credit balance**: a claim paid more than it
  billed owes money back until ``Refunded on`` is filled in, so its balance stays in the
  A/R as a negative amount, never clipped at 0, and the ``Credit balances`` column sums
  them (CMS asks providers to find and return credit balances; see :mod:`.overpayments`).
- **Lines**: a claim whose ``Billed`` or ``Paid`` cell is blank counts its lines' charges or
  payments from the Claim lines tab (a claim paid line by line has a balance per line).
- **Age** counts days from the date of service, as practice-management A/R reports do, into
  the buckets 0–30, 31–60, 61–90, 91–120 and over 120 days.
- **Days in A/R** = A/R total ÷ average daily charges, the charges being the billed amounts
  of claims (drafts excluded) with a date of service in the last 90 days, divided by 90.
  Blank when there were no such charges.
- **Denial rate** = claims denied ÷ claims the payer has answered (paid, denied or
  appealed), as a percentage. A claim counts as denied when it carries a denial reason,
  so one that was denied and later paid on appeal still counts. Reasons are grouped by
  their claim adjustment reason code (``CO-16: …`` and ``co 16`` are one reason), or by
  their text when they have none; each reason's rate is its share of answered claims, so
  the reasons add up to the overall rate.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

IN_AR = ("submitted", "denied", "appealed")
ANSWERED = ("paid", "denied", "appealed")
BUCKETS = (
    ("days_0_30", "0–30 days", 30),
    ("days_31_60", "31–60 days", 60),
    ("days_61_90", "61–90 days", 90),
    ("days_91_120", "91–120 days", 120),
    ("days_over_120", "Over 120 days", None),
)
CHARGE_WINDOW_DAYS = 90
CARC = re.compile(r"(CO|PR|OA|PI|CR)\s*-?\s*([A-Z]?\d+)\b", re.IGNORECASE)
ZERO = Decimal("0.00")
NO_PAYER = "(no payer)"


def money(text: str | None) -> Decimal:
    return Decimal(text) if text else ZERO


def reason_key(reason: str) -> str:
    found = CARC.match(reason.strip())
    return f"{found[1].upper()}-{found[2].upper()}" if found else " ".join(reason.split()).casefold()


def payer_name(claim: dict[str, Any]) -> str:
    return " ".join((claim.get("payer") or "").split()) or NO_PAYER


@dataclass
class Tally:
    """One payer's (or every payer's) receivables and answers."""

    name: str
    buckets: list[Decimal] = field(default_factory=lambda: [ZERO] * len(BUCKETS))
    open_claims: int = 0
    charges: Decimal = ZERO
    answered: int = 0
    denied: int = 0
    credits: Decimal = ZERO

    def add(self, claim: dict[str, Any], today: dt.date, line_amounts: tuple[Decimal, Decimal] | None = None) -> None:
        status = claim.get("status")
        age = max(0, (today - dt.date.fromisoformat(claim["date_of_service"])).days)
        billed = money(claim.get("billed_amount"))
        paid = money(claim.get("paid_amount"))
        if (
            line_amounts is not None
        ):  # the claim's lines: their charges when Billed is blank, their payments when Paid is
            billed = billed if claim.get("billed_amount") else line_amounts[0]
            paid = paid if claim.get("paid_amount") not in (None, "") else line_amounts[1]
        if status != "draft" and age < CHARGE_WINDOW_DAYS:
            self.charges += billed
        balance = billed - paid
        owed_back = status == "paid" and balance < 0 and not claim.get("refunded_date")
        if status in IN_AR or owed_back:
            self.open_claims += status in IN_AR
            bucket = next(i for i, (_, _, limit) in enumerate(BUCKETS) if limit is None or age <= limit)
            self.buckets[bucket] += balance
            if balance < 0:
                self.credits += balance
        if status in ANSWERED:
            self.answered += 1
            self.denied += bool(claim.get("denial_reason"))

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, ZERO)

    @property
    def days_in_ar(self) -> float | None:
        if not self.charges:
            return None
        return round(float(self.total * CHARGE_WINDOW_DAYS / self.charges), 1)

    def row(self) -> dict[str, Any]:
        out: dict[str, Any] = {"section": "A/R by payer", "name": self.name, "open_claims": self.open_claims}
        out |= {key: f"{amount:.2f}" for (key, _, _), amount in zip(BUCKETS, self.buckets, strict=True)}
        out["ar_total"] = f"{self.total:.2f}"
        out["credit_balances"] = f"{self.credits:.2f}"
        out["days_in_ar"] = self.days_in_ar
        out |= {"answered": self.answered, "denied": self.denied, "denial_rate": rate(self.denied, self.answered)}
        return {k: v for k, v in out.items() if v is not None}


def rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


LineAmounts = dict[str, tuple[Decimal, Decimal]]


def tallies(
    claims: list[dict[str, Any]], today: dt.date, lines: LineAmounts | None = None
) -> tuple[list[Tally], Tally]:
    """Each payer's tally, by name, and the practice's; ``lines`` gives each claim's line
    charges and payments (kept on the Claim lines tab) where its own cells are blank."""
    payers: dict[str, Tally] = {}
    everyone = Tally("All payers")
    for claim in claims:
        name = payer_name(claim)
        amounts = (lines or {}).get(claim["id"])
        payers.setdefault(name.casefold(), Tally(name)).add(claim, today, amounts)
        everyone.add(claim, today, amounts)
    return sorted(payers.values(), key=lambda t: t.name.casefold()), everyone


def summary_rows(
    claims: list[dict[str, Any]], today: dt.date, lines: LineAmounts | None = None
) -> list[dict[str, Any]]:
    """The Billing summary tab: A/R by payer, all payers, then denials by reason, numbered."""
    payers, everyone = tallies(claims, today, lines)
    reasons: dict[str, list[Any]] = {}
    for claim in claims:
        reason = (claim.get("denial_reason") or "").strip()
        if claim.get("status") in ANSWERED and reason:
            reasons.setdefault(reason_key(reason), [reason, 0])[1] += 1
    denial_rows = [
        {
            "section": "Denials by reason",
            "name": label,
            "answered": everyone.answered,
            "denied": count,
            "denial_rate": rate(count, everyone.answered),
        }
        for label, count in sorted(reasons.values(), key=lambda r: (-r[1], r[0].casefold()))
    ]
    rows = [*(t.row() for t in payers), everyone.row(), *denial_rows]
    return [{"id": f"{n:03d}", **row} for n, row in enumerate(rows, start=1)]


def status_rows(
    claims: list[dict[str, Any]], today: dt.date, lines: LineAmounts | None = None
) -> list[tuple[Any, ...]]:
    """``clinicops status``: per payer, open claims, A/R, the part over 90 days, days in A/R."""
    payers, everyone = tallies(claims, today, lines)
    return [
        (
            t.name,
            t.open_claims,
            f"{t.total:,.2f}",
            f"{t.buckets[3] + t.buckets[4]:,.2f}",
            "" if t.days_in_ar is None else f"{t.days_in_ar:.1f}",
        )
        for t in [*payers, everyone]
        if t.open_claims or t.credits or t is everyone
    ]


def schema() -> dict[str, Any]:
    """The plugin-owned ``billing_summary`` entity: every column is the plugin's, staff edits are replaced."""

    def owned(kind: dict[str, Any], title: str) -> dict[str, Any]:
        return {**kind, "x-title": title, "x-owner": "plugin"}

    money_col = {"type": "string", "x-format": "money", "pattern": r"^-?\d+\.\d{2}$"}
    props = {
        "id": owned({"type": "string"}, "Line"),
        "section": owned({"type": "string"}, "Section"),
        "name": owned({"type": "string"}, "Payer or reason"),
        "open_claims": owned({"type": "integer", "minimum": 0}, "Open claims"),
        **{key: owned(money_col, title) for key, title, _ in BUCKETS},
        "ar_total": owned(money_col, "A/R total"),
        "credit_balances": owned(money_col, "Credit balances"),
        "days_in_ar": owned({"type": "number"}, "Days in A/R"),
        "answered": owned({"type": "integer", "minimum": 0}, "Claims answered"),
        "denied": owned({"type": "integer", "minimum": 0}, "Denied"),
        "denial_rate": owned({"type": "number"}, "Denial rate %"),
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "billing_summary",
        "description": "A/R aging by payer, days in A/R and denial rates; rebuilt by the billing plugin every sync.",
        "type": "object",
        "x-title": "Billing summary",
        "x-primary-key": "id",
        "x-id-prefix": "BS",
        "properties": props,
        "required": ["id", "section", "name"],
        "additionalProperties": False,
    }
