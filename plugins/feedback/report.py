"""The feedback plugin's part of the manager's report: satisfaction, NPS and complaints.

Definitions (each printed as the figure's footnote):

- **Average rating**: the mean of the 1–5 ratings on feedback dated in the report period,
  two decimals, as on the Satisfaction tab (:mod:`.trend`).
- **NPS**: promoters (9–10) minus detractors (0–6), as a percentage of the 0–10 answers
  dated in the period (Reichheld 2003), −100 to 100.
- **Complaints received**: complaints and grievances dated in the period.
- **Complaints open** and **overdue**: complaints and grievances not resolved (no
  ``Resolved`` date, status not resolved or closed) as of the report's today, whatever
  their date; overdue ones are past their resolve-by date (:mod:`.deadlines`).
- **By month**: months by the feedback's date, those the period touches. No comment text
  and no patient is ever shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinicops import Chart, Definition, Figure, ReportPeriod, ReportSection, Series
from clinicops.plugins.feedback import trend
from clinicops.plugins.feedback.deadlines import NEEDS_ANSWER, deadlines, resolved

ENTITY = "feedback"


def months_of(period: ReportPeriod) -> list[str]:
    """Every month ('YYYY-MM') the period touches, oldest first."""
    first = period.start.year * 12 + period.start.month - 1
    last = period.end.year * 12 + period.end.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(first, last + 1)]


def section(practice: Any, period: ReportPeriod, settings: dict[str, Any]) -> ReportSection:
    rows = practice.records(ENTITY)
    found = [r for r in rows if dt.date.fromisoformat(r["received"]) in period]
    ratings = [r["rating"] for r in found if r.get("rating") is not None]
    scores = [r["nps"] for r in found if r.get("nps") is not None]
    open_rows = [r for r in rows if r.get("type") in NEEDS_ANSWER and not resolved(r)]
    overdue = [r for r in open_rows if (due := deadlines(r, settings)[1]) and dt.date.fromisoformat(due) < period.today]
    as_of = f"as of {period.today.isoformat()}, whatever the report period"
    figures = (
        Figure(
            "feedback.average_rating",
            "Average rating",
            trend.average(ratings),
            "out of 5",
            Definition("sum of 1–5 ratings", "ratings given", period.label),
        ),
        Figure(
            "feedback.nps",
            "Net Promoter Score",
            trend.nps(scores),
            "NPS",
            Definition("% of promoters (9–10) − % of detractors (0–6)", "0–10 answers given", period.label),
        ),
        Figure(
            "feedback.complaints",
            "Complaints received",
            sum(1 for r in found if r.get("type") in NEEDS_ANSWER),
            "complaints",
            Definition("complaints and grievances dated in the period", period=period.label),
        ),
        Figure(
            "feedback.complaints_open",
            "Complaints open",
            len(open_rows),
            "complaints",
            Definition("complaints and grievances not resolved or closed", period=as_of),
        ),
        Figure(
            "feedback.complaints_overdue",
            "Complaints overdue",
            len(overdue),
            "complaints",
            Definition("open complaints and grievances past their resolve-by date", period=as_of),
        ),
    )
    return ReportSection("feedback.satisfaction", "Patient feedback", figures, charts(found, period), order=600)


def charts(found: list[dict[str, Any]], period: ReportPeriod) -> tuple[Chart, ...]:
    months = months_of(period)
    by_month: dict[str, list[dict[str, Any]]] = {m: [] for m in months}
    for row in found:
        by_month[row["received"][:7]].append(row)
    rating = Chart(
        "Average rating by month",
        "line",
        (
            Series(
                "average rating",
                tuple(
                    (m, float(avg))
                    for m in months
                    if (avg := trend.average([r["rating"] for r in by_month[m] if r.get("rating") is not None]))
                    is not None
                ),
            ),
        ),
        unit="out of 5",
    )
    promoters = Chart(
        "NPS by month",
        "line",
        (
            Series(
                "NPS",
                tuple(
                    (m, float(score))
                    for m in months
                    if (score := trend.nps([r["nps"] for r in by_month[m] if r.get("nps") is not None])) is not None
                ),
            ),
        ),
        unit="NPS",
    )
    kinds = ("compliment", "suggestion", "complaint", "grievance")
    received = Chart(
        "Feedback received by month",
        "stacked",
        tuple(
            Series(kind + "s", tuple((m, float(sum(1 for r in by_month[m] if r.get("type") == kind))) for m in months))
            for kind in kinds
        ),
        unit="responses",
    )
    return (rating, promoters, received)
