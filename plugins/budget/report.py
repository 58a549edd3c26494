"""The budget plugin's part of the manager's report: budget against actual, net, bills to pay.

Definitions (each printed as the figure's footnote):

- The budget is kept by month, so the money figures cover the **whole months the report
  period touches** (a period from 10 March to 8 April counts March and April), with the
  rules of the Budget vs actual tab (:mod:`.spending`): an expense counts in the month of
  its date, paid or not.
- **Budget** and **spent**: all budget lines, and all expenses, of those months.
- **Budget used**: spent ÷ budget, over the same months.
- **Net**: revenue from paid claims in those months, by the date paid (:mod:`.revenue`),
  minus spending.
- **Bills due** and **overdue**: unpaid expenses due within ``due_soon_days`` (7) of the
  report's today, and those past their due date, whatever the period, as the alerts count them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from clinicops import Chart, Definition, Figure, ReportPeriod, ReportSection, Series
from clinicops.plugins.budget import bills, revenue, spending

BUDGET, EXPENSE = "budget_line", "expense"
ZERO = Decimal("0.00")


def months_of(period: ReportPeriod) -> list[str]:
    first = period.start.year * 12 + period.start.month - 1
    last = period.end.year * 12 + period.end.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(first, last + 1)]


def unpaid_by_due(expenses: list[dict[str, Any]], today: dt.date, soon: int) -> tuple[int, int]:
    """(bills due within ``soon`` days, bills overdue) among unpaid ones, by the rule the alerts use."""
    left = [n for bill in expenses if (n := bills.days_to_pay(bill, today)) is not None]
    return sum(1 for n in left if 0 <= n <= soon), sum(1 for n in left if n < 0)


def section(practice: Any, period: ReportPeriod, settings: dict[str, Any]) -> ReportSection:
    expenses = practice.records(EXPENSE)
    table = spending.table(practice.records(BUDGET), expenses)
    income = revenue.by_month(practice)
    months = months_of(period)
    budget = {m: sum((c["budget"] or ZERO for c in table.get(m, {}).values()), ZERO) for m in months}
    spent = {m: sum((c["actual"] for c in table.get(m, {}).values()), ZERO) for m in months}
    total_budget, total_spent = sum(budget.values(), ZERO), sum(spent.values(), ZERO)
    total_income = sum((income.get(m, ZERO) for m in months), ZERO)
    due, overdue = unpaid_by_due(expenses, period.today, settings["due_soon_days"])
    whole = f"the months {months[0]} to {months[-1]}" if len(months) > 1 else f"the month {months[0]}"
    as_of = f"as of {period.today.isoformat()}, whatever the report period"
    figures = (
        Figure("budget.budget", "Budget", float(total_budget), "USD", Definition("all budget lines", period=whole)),
        Figure(
            "budget.spent",
            "Spent",
            float(total_spent),
            "USD",
            Definition("all expenses by their date, paid or not", period=whole, exclusions="nothing; refunds subtract"),
        ),
        Figure(
            "budget.used",
            "Budget used",
            float(total_spent / total_budget) if total_budget > 0 else None,
            "%",
            Definition("expenses", "budget", whole),
        ),
        Figure(
            "budget.net",
            "Net (paid claims − spending)",
            float(total_income - total_spent),
            "USD",
            Definition("amounts paid on claims by the date paid, minus expenses", period=whole),
        ),
        Figure(
            "budget.bills_due",
            f"Bills due in {settings['due_soon_days']} days",
            due,
            "bills",
            Definition(f"unpaid bills due within {settings['due_soon_days']} days", period=as_of),
        ),
        Figure(
            "budget.bills_overdue",
            "Bills overdue",
            overdue,
            "bills",
            Definition("unpaid bills past their due date", period=as_of),
        ),
    )
    versus = Chart(
        "Budget vs actual by month",
        "bar",
        (
            Series("budget", tuple((m, float(budget[m])) for m in months)),
            Series("spent", tuple((m, float(spent[m])) for m in months)),
        ),
        unit="USD",
    )
    net = Chart(
        "Revenue, spending and net by month",
        "line",
        (
            Series("revenue (paid claims)", tuple((m, float(income.get(m, ZERO))) for m in months)),
            Series("spent", tuple((m, float(spent[m])) for m in months)),
            Series("net", tuple((m, float(income.get(m, ZERO) - spent[m])) for m in months)),
        ),
        unit="USD",
    )
    return ReportSection("budget.actual", "Budget and bills", figures, (versus, net), order=230)
