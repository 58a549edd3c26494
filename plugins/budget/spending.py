"""Budget against actual, per category and month.

- An expense counts in the month of its date (the invoice or bill date), paid or not:
  a bill received is money committed. A refund or credit is a negative amount.
- Categories match whatever their case or spacing ("Medical supplies" = "medical
  supplies"); lines show the budget's spelling. An expense with no category is under
  ``(uncategorised)``; spending in a category with no budget that month shows a budget of
  nothing and no percentage.
- Variance is budget minus actual: negative means over budget. ``Used %`` is actual as a
  share of budget, one decimal.
- Each month ends with a ``Total`` line: all budgets, all spending, and beside them the
  revenue from paid claims (see :mod:`.revenue`) and the net (revenue minus spending).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

NONE = "(uncategorised)"
TOTAL = "Total"
ZERO = Decimal("0.00")


def norm(name: str | None) -> str:
    return " ".join((name or NONE).split()).casefold()


def month_of(value: str) -> str:
    return str(value)[:7]


def table(budgets: list[dict[str, Any]], expenses: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """month -> category key -> {name, budget, actual}."""
    out: dict[str, dict[str, dict[str, Any]]] = {}

    def cell(month: str, name: str | None) -> dict[str, Any]:
        return out.setdefault(month, {}).setdefault(norm(name), {"name": name or NONE, "budget": None, "actual": ZERO})

    for line in budgets:
        entry = cell(month_of(line["month"]), line["category"])
        entry["name"] = line["category"]
        entry["budget"] = (entry["budget"] or ZERO) + Decimal(line["amount"])
    for bill in expenses:
        cell(month_of(bill["date"]), bill.get("category"))["actual"] += Decimal(bill["amount"])
    return out


def used(budget: Decimal | None, actual: Decimal) -> float | None:
    if not budget or budget <= 0:
        return None
    return float((actual * 100 / budget).quantize(Decimal("0.1"), ROUND_HALF_UP))


def lines(
    months: dict[str, dict[str, dict[str, Any]]], revenue: dict[str, Decimal], shown: list[str]
) -> list[dict[str, Any]]:
    """The Budget vs actual tab: each month's categories by name, then its total line."""
    out = []
    for month in shown:
        cats = months.get(month, {})
        for key, c in sorted(cats.items(), key=lambda kv: kv[0]):
            out.append(_line(f"{month}-{key}", month, c["name"], c["budget"], c["actual"]))
        budget = sum((c["budget"] or ZERO for c in cats.values()), ZERO)
        actual = sum((c["actual"] for c in cats.values()), ZERO)
        total = _line(f"{month}-~total", month, TOTAL, budget, actual)
        income = revenue.get(month, ZERO)
        out.append(total | {"revenue": f"{income:.2f}", "net": f"{income - actual:.2f}"})
    return out


def _line(line_id: str, month: str, name: str, budget: Decimal | None, actual: Decimal) -> dict[str, Any]:
    line = {"id": line_id, "month": month, "category": name, "actual": f"{actual:.2f}"}
    if budget is not None:
        line |= {"budget": f"{budget:.2f}", "variance": f"{budget - actual:.2f}"}
        share = used(budget, actual)
        if share is not None:
            line["used"] = share
    return line
