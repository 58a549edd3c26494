"""Satisfaction by month and provider: average rating and Net Promoter Score.

- Average rating: the mean of the 1–5 ratings given that month, two decimals.
- NPS (Net Promoter Score, Reichheld 2003): of the 0–10 "how likely are you to recommend
  us" answers, the percentage of promoters (9–10) minus the percentage of detractors
  (0–6), from −100 to 100, rounded to a whole number.
- Months are by the feedback's date; each month has one line for every provider named
  that month and one ``All`` line for the whole practice (including feedback about the
  front desk or billing that names no provider). Only the last ``trend_months`` months
  (default 12, counting the current one) are shown.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ALL = "All"


def nps(scores: list[int]) -> int | None:
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return int((Decimal(100 * (promoters - detractors)) / len(scores)).quantize(Decimal(1), ROUND_HALF_UP))


def average(ratings: list[int]) -> float | None:
    if not ratings:
        return None
    return float((Decimal(sum(ratings)) / len(ratings)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def first_month(today: dt.date, months: int) -> str:
    index = today.year * 12 + today.month - 1 - (months - 1)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def lines(rows: list[dict[str, Any]], today: dt.date, months: int) -> list[dict[str, Any]]:
    """One line per month for All, then one per provider named that month, oldest month first."""
    start = first_month(today, months)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        month = row["received"][:7]
        if start <= month <= today.isoformat()[:7]:
            groups.setdefault((month, ALL), []).append(row)
            if row.get("provider_id"):
                groups.setdefault((month, row["provider_id"]), []).append(row)
    out = []
    for (month, provider), found in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] != ALL, kv[0][1])):
        ratings = [r["rating"] for r in found if r.get("rating") is not None]
        scores = [r["nps"] for r in found if r.get("nps") is not None]
        line = {
            "id": f"{month}-{provider}",
            "month": month,
            "provider": provider,
            "responses": len(ratings),
            "average_rating": average(ratings),
            "nps_responses": len(scores),
            "nps": nps(scores),
            "compliments": sum(1 for r in found if r["type"] == "compliment"),
            "complaints": sum(1 for r in found if r["type"] in ("complaint", "grievance")),
        }
        out.append({k: v for k, v in line.items() if v is not None})
    return out
