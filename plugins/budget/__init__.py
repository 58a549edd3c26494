"""Budget, expenses and bills: budget vs actual, bills to pay, duplicate invoices, recurring bills.

Staff keep a **Budget** tab (category, month, amount) and an **Expenses** tab (date,
vendor, category, amount, invoice number, due date, paid date, method, and whether the
bill repeats); see :mod:`.schemas`. Every sync rebuilds **Budget vs actual**: per month
and category the budget, actual spending, variance and share used, and per month a
total with the revenue from paid claims and the net (rules in :mod:`.spending`,
revenue in :mod:`.revenue`), for the last ``months_shown`` (12) months.

Alerts:

- ``budget:YYYY-MM:category:near`` (warning) when a category's spending this month
  reaches ``warn_share`` (0.9) of its budget, ``…:over`` (warning) once it passes it.
  Only the current month: a past month's overspend is history, shown on the tab.
- ``EXP…:due`` (info) for an unpaid bill due within ``due_soon_days`` (7),
  ``EXP…:overdue`` (warning) after its due date.
- ``EXP…:duplicate`` (warning): the same vendor and invoice number as an earlier row, or
  the same vendor, amount and date without an invoice number.
- ``EXP…:next-missing`` (warning): a repeating bill (rent, a lease, a service contract)
  whose next one has not been entered ``recurring_grace_days`` (5) after it was expected.
  Rules for both in :mod:`.bills`.

The manager's report has a **Budget and bills** section: budget, spending, the share used
and the net over the months the period touches, and bills due and overdue (definitions in
:mod:`.report`).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from clinicops import Alert, ReportPeriod, ReportSection, StatusSection, days_text, hookimpl
from clinicops.plugins.budget import bills, report, revenue, schemas, spending

NAME = "budget"
BUDGET, EXPENSE, LINES = "budget_line", "expense", "budget_month"


@hookimpl
def plugin_settings_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "warn_share": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.9},
            "due_soon_days": {"type": "integer", "minimum": 0, "maximum": 90, "default": 7},
            "recurring_grace_days": {"type": "integer", "minimum": 0, "maximum": 60, "default": 5},
            "months_shown": {"type": "integer", "minimum": 1, "maximum": 60, "default": 12},
        },
    }


@hookimpl
def register_schemas() -> list[dict[str, Any]]:
    return [schemas.budget_line(), schemas.expense(), schemas.budget_month()]


@hookimpl
def refresh_tables(practice: Any) -> None:
    practice.replace_table(LINES, month_lines(practice), plugin=NAME)


def month_lines(practice: Any) -> list[dict[str, Any]]:
    """The Budget vs actual lines of the months shown (public to the plugin's report section too)."""
    months = spending.table(practice.records(BUDGET), practice.records(EXPENSE))
    income = revenue.by_month(practice)
    return spending.lines(months, income, shown_months(practice.today(), practice.settings(NAME)["months_shown"]))


def shown_months(today: dt.date, count: int) -> list[str]:
    index = today.year * 12 + today.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


@hookimpl
def collect_alerts(practice: Any) -> list[Alert]:
    settings, today = practice.settings(NAME), practice.today()
    expenses = practice.records(EXPENSE)
    alerts = _budget_alerts(practice, settings["warn_share"])
    alerts += [a for bill in expenses if (a := _due_alert(bill, today, settings["due_soon_days"])) is not None]
    by_id = {bill["id"]: bill for bill in expenses}
    for later, (earlier, why) in bills.duplicates(expenses).items():
        bill = by_id[later]
        message = f"The bill {later} from {bill['vendor']} looks entered twice: {why} as {earlier}."
        alerts.append(_alert(bill, "duplicate", "warning", message + " Pay it once; delete the extra row."))
    for bill, expected in bills.missing_recurring(expenses, today, settings["recurring_grace_days"]):
        message = (
            f"The {bill['repeats']} bill from {bill['vendor']} expected about {expected} is not entered "
            f"(the last one is {bill['id']}, dated {bill['date']}). "
            f"Enter it, or clear Repeats on {bill['id']} if it has stopped."
        )
        alerts.append(_alert(bill, "next-missing", "warning", message))
    return alerts


def _due_alert(bill: dict[str, Any], today: dt.date, soon: int) -> Alert | None:
    left = bills.days_to_pay(bill, today)
    if left is None:
        return None
    what = f"The bill {bill['id']} from {bill['vendor']} for ${Decimal(bill['amount']):,.2f}"
    if left < 0:
        message = f"{what} was due on {bill['due_date']} ({days_text(-left)} ago) and is not marked paid."
        return _alert(bill, "overdue", "warning", message)
    if left <= soon:
        when = "today" if left == 0 else f"in {days_text(left)}"
        return _alert(bill, "due", "info", f"{what} is due on {bill['due_date']} ({when}).")
    return None


def _budget_alerts(practice: Any, warn_share: float) -> list[Alert]:
    month = practice.today().isoformat()[:7]
    found = spending.table(practice.records(BUDGET), practice.records(EXPENSE)).get(month, {})
    out = []
    for key, c in sorted(found.items()):
        share = spending.used(c["budget"], c["actual"])
        if share is None or share < warn_share * 100:
            continue
        over = c["actual"] > c["budget"]
        state = f"is over budget by ${c['actual'] - c['budget']:,.2f}" if over else f"has used {share:g}% of its budget"
        message = f"{c['name']} {state} for {month}: ${c['actual']:,.2f} spent of ${c['budget']:,.2f}."
        slug = re.sub(r"[^a-z0-9]+", "-", key).strip("-")
        out.append(Alert(key=f"{month}:{slug}:{'over' if over else 'near'}", severity="warning", message=message))
    return out


def _alert(bill: dict[str, Any], key: str, severity: str, message: str) -> Alert:
    return Alert(key=f"{bill['id']}:{key}", severity=severity, message=message, entity=EXPENSE, record_id=bill["id"])


@hookimpl
def report_sections(practice: Any, period: ReportPeriod) -> list[ReportSection]:
    return [report.section(practice, period, practice.settings(NAME))]


@hookimpl
def status_sections(practice: Any) -> list[StatusSection]:
    rows = [
        (line["month"], line.get("budget", ""), line["actual"], line.get("revenue", ""), line.get("net", ""))
        for line in month_lines(practice)
        if line["category"] == spending.TOTAL and line["month"] >= shown_months(practice.today(), 3)[0]
    ]
    return [StatusSection("Budget and net by month", ("Month", "Budget", "Spent", "Revenue", "Net"), rows)]
