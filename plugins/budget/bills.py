"""Bills to pay, invoices entered twice, and recurring bills that have not arrived.

- **Due and overdue.** An unpaid expense (no ``Paid`` date) with a due date is due
  within ``due_soon_days`` (7, info) and overdue from the day after (warning).
- **Duplicates.** A later row with the same vendor (any case or spacing) and invoice
  number as an earlier one, or with no invoice number but the same vendor, amount and
  date, is flagged on the later row (warning): paying one invoice twice is the costliest
  typing mistake a front office makes.
- **Recurring bills.** An expense marked ``Repeats`` monthly, quarterly or annual (rent,
  equipment leases, service contracts) expects the vendor's next bill one period after
  its date. The vendor's latest bill decides: when it repeats and is older than a period
  plus ``recurring_grace_days`` (5), the next one was expected but is not entered
  (warning). Entering the next bill (marked to repeat too) clears it; a last bill with
  ``Repeats`` left blank ends the series.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}


def days_to_pay(bill: dict[str, Any], today: dt.date) -> int | None:
    """Days until an unpaid bill is due (negative once overdue); None for a paid bill or one with no due date."""
    if not bill.get("due_date") or bill.get("paid_date"):
        return None
    return (dt.date.fromisoformat(bill["due_date"]) - today).days


def vendor_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def duplicates(expenses: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Later row id -> (earlier row id, what they share)."""
    seen: dict[tuple[str, ...], str] = {}
    out: dict[str, tuple[str, str]] = {}
    for bill in sorted(expenses, key=lambda b: (b["date"], b["id"])):
        vendor = vendor_key(bill["vendor"])
        if bill.get("invoice_number"):
            key: tuple[str, ...] = ("invoice", vendor, bill["invoice_number"].strip().casefold())
            why = f"the same vendor and invoice number {bill['invoice_number']}"
        else:
            key = ("amount", vendor, bill["amount"], bill["date"])
            why = f"the same vendor, amount ${bill['amount']} and date, and no invoice number"
        if key in seen:
            out[bill["id"]] = (seen[key], why)
        else:
            seen[key] = bill["id"]
    return out


def missing_recurring(
    expenses: list[dict[str, Any]], today: dt.date, grace: int
) -> list[tuple[dict[str, Any], dt.date]]:
    """(latest repeating bill of a vendor, the date the next was expected) for each one not entered."""
    latest: dict[str, dict[str, Any]] = {}
    for bill in expenses:
        held = latest.get(vendor_key(bill["vendor"]))
        if held is None or (bill["date"], bill["id"]) > (held["date"], held["id"]):
            latest[vendor_key(bill["vendor"])] = bill
    out = []
    for bill in latest.values():
        if bill.get("repeats") not in MONTHS:
            continue
        expected = add_months(dt.date.fromisoformat(bill["date"]), MONTHS[bill["repeats"]])
        if today > expected + dt.timedelta(days=grace):
            out.append((bill, expected))
    return sorted(out, key=lambda found: found[0]["id"])
