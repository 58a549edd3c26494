"""The billing plugin's part of the manager's report: receivables, denials, clean claims, collections.

Definitions (each printed as the figure's footnote; A/R and denial terms as in
:mod:`.receivables`, which the ``Billing summary`` tab also uses):

- **Days in A/R** and **A/R by payer and age**: as of today, whatever the report period,
  because a claim's status is only known as it is now: A/R total ÷ (billed amounts of
  non-draft claims with a date of service in the last 90 days ÷ 90).
- **Denial rate**: claims with a denial reason ÷ claims the payer has answered (paid,
  denied or appealed), over claims with a date of service in the period. **By reason**:
  each reason's claims ÷ the same answered claims, so the reasons add up to the rate.
- **Clean-claim rate**: claims sent in the period (submitted date in it) that were not
  denied and whose codes pass the plugin's checks ÷ claims sent in the period, the
  share a payer takes on the first pass (the HFMA MAP key of the same name counts claims
  passing the clearinghouse edits; the codes checked here are the edits this office has).
- **Billed** and **collected by month**: billed amounts of non-draft claims by month of
  their date of service; paid amounts by month of their paid date. **Collection rate**:
  collected in the period ÷ billed in the period (payments may be for earlier services, so
  the rate can pass 100%).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from clinicops import Chart, Definition, Figure, ReportPeriod, ReportSection, Series
from clinicops.plugins.billing.receivables import ANSWERED, BUCKETS, ZERO, money, reason_key, tallies

NOT_CLAIMS = "draft claims"


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def receivables_section(claims: list[dict[str, Any]], period: ReportPeriod) -> ReportSection:
    payers, everyone = tallies(claims, period.today)
    as_of = f"as of {period.today.isoformat()}"
    figures = (
        Figure(
            "billing.days_in_ar",
            "Days in A/R",
            everyone.days_in_ar,
            "days",
            Definition(
                "A/R total (balances of submitted, denied and appealed claims)",
                "average daily charges (non-draft billed amounts, date of service in the last 90 days, ÷ 90)",
                as_of,
                "drafts and paid claims",
            ),
        ),
        Figure(
            "billing.ar_total",
            "A/R total",
            float(everyone.total),
            "USD",
            Definition("billed less paid, over submitted, denied and appealed claims", period=as_of),
        ),
    )
    aging = Chart(
        "A/R by payer and age",
        "stacked",
        tuple(
            Series(label, tuple((t.name, float(t.buckets[i])) for t in payers if t.open_claims))
            for i, (_, label, _) in enumerate(BUCKETS)
        ),
        unit="USD",
    )
    return ReportSection("billing.receivables", "Accounts receivable", figures, (aging,), order=200)


def denials_section(
    claims: list[dict[str, Any]], period: ReportPeriod, code_problem: Callable[[dict[str, Any]], bool]
) -> ReportSection:
    served = [c for c in claims if (d := _day(c.get("date_of_service"))) and d in period]
    answered = [c for c in served if c.get("status") in ANSWERED]
    denied = [c for c in answered if c.get("denial_reason")]
    reasons: dict[str, list[Any]] = {}
    for claim in denied:
        reason = claim["denial_reason"].strip()
        reasons.setdefault(reason_key(reason), [reason, 0])[1] += 1
    sent = [c for c in claims if (d := _day(c.get("submitted_date"))) and d in period and c.get("status") != "draft"]
    clean = [c for c in sent if not c.get("denial_reason") and not code_problem(c)]
    figures = (
        Figure(
            "billing.denial_rate",
            "Denial rate",
            _share(len(denied), len(answered)),
            "%",
            Definition(
                "claims with a denial reason",
                "claims paid, denied or appealed",
                f"date of service {period.label}",
                "drafts and claims still awaiting an answer",
            ),
        ),
        Figure(
            "billing.clean_claim_rate",
            "Clean-claim rate",
            _share(len(clean), len(sent)),
            "%",
            Definition(
                "claims sent that were not denied and whose codes pass the checks",
                "claims sent",
                f"submitted {period.label}",
                NOT_CLAIMS,
            ),
        ),
    )
    by_reason = Chart(
        "Denial rate by reason",
        "bar",
        (
            Series(
                "share of answered claims",
                tuple(
                    (label, count / len(answered))
                    for label, count in sorted(reasons.values(), key=lambda r: (-r[1], r[0].casefold()))
                ),
            ),
        ),
        unit="%",
    )
    notes = () if answered else ("No claim with a date of service in the period has been answered yet.",)
    return ReportSection("billing.denials", "Denials and clean claims", figures, (by_reason,), order=210, notes=notes)


def collections_section(claims: list[dict[str, Any]], period: ReportPeriod) -> ReportSection:
    months = months_between(period.start, period.end)
    billed = dict.fromkeys(months, ZERO)
    collected = dict.fromkeys(months, ZERO)
    for claim in claims:
        served, paid = _day(claim.get("date_of_service")), _day(claim.get("paid_date"))
        if served and served in period and claim.get("status") != "draft":
            billed[f"{served:%Y-%m}"] += money(claim.get("billed_amount"))
        if paid and paid in period:
            collected[f"{paid:%Y-%m}"] += money(claim.get("paid_amount"))
    total_billed, total_collected = sum(billed.values(), ZERO), sum(collected.values(), ZERO)
    figures = (
        Figure(
            "billing.billed",
            "Billed",
            float(total_billed),
            "USD",
            Definition("billed amounts", period=f"date of service {period.label}", exclusions=NOT_CLAIMS),
        ),
        Figure(
            "billing.collected",
            "Collected",
            float(total_collected),
            "USD",
            Definition("paid amounts", period=f"paid {period.label}"),
        ),
        Figure(
            "billing.collection_rate",
            "Collection rate",
            float(total_collected / total_billed) if total_billed else None,
            "%",
            Definition("collected in the period", "billed in the period", period.label, NOT_CLAIMS),
        ),
    )
    chart = Chart(
        "Collections vs billed by month",
        "bar",
        (
            Series("billed", tuple((m, float(billed[m])) for m in months)),
            Series("collected", tuple((m, float(collected[m])) for m in months)),
        ),
        unit="USD",
    )
    return ReportSection("billing.collections", "Collections", figures, (chart,), order=220)


def months_between(start: dt.date, end: dt.date) -> list[str]:
    """``2026-01``-style months from start's to end's, both included."""
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def sections(
    claims: list[dict[str, Any]], period: ReportPeriod, code_problem: Callable[[dict[str, Any]], bool]
) -> list[ReportSection]:
    return [
        receivables_section(claims, period),
        denials_section(claims, period, code_problem),
        collections_section(claims, period),
    ]
