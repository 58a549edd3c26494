"""The demo clinic's Budget and Expenses tabs: six months of budget lines and bills.

Dated relative to `today`, so the budget plugin always has one of each alert: medical
supplies at about 93 % of this month's budget, office supplies over it, an unpaid bill
due within the week and one overdue, an invoice entered twice, and the IT support
contract's monthly bill missing since last month. Revenue comes from the demo's paid
claims, so the Budget vs actual tab shows the net by month.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from clinicops.examples.demo_common import Row

# category -> monthly budget
BUDGET: dict[str, Decimal] = {
    "Rent": Decimal("6500.00"),
    "Medical supplies": Decimal("4200.00"),
    "Office supplies": Decimal("600.00"),
    "Utilities": Decimal("900.00"),
    "Equipment leases": Decimal("1200.00"),
    "IT and software": Decimal("1100.00"),
    "Lab fees": Decimal("1800.00"),
}
# vendor, category, low, high (a typical month's bill)
VENDORS = (
    ("McKesson Medical-Surgical", "Medical supplies", 700, 1400),
    ("Henry Schein Medical", "Medical supplies", 300, 900),
    ("Staples Business", "Office supplies", 60, 180),
    ("Eversource", "Utilities", 380, 520),
    ("National Grid", "Utilities", 120, 260),
    ("Quest Diagnostics", "Lab fees", 600, 1500),
)
RENT = ("Maple Street Realty Trust", "Rent", Decimal("6500.00"))
LEASE = ("Olympus Financial Services", "Equipment leases", Decimal("1150.00"))
IT = ("Bay State IT Support", "IT and software", Decimal("950.00"))


def _month_start(today: dt.date, back: int) -> dt.date:
    index = today.year * 12 + today.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _bill(day: dt.date, vendor: str, category: str, amount: Decimal, rng: random.Random, **cells: object) -> Row:
    row: Row = {
        "date": day,
        "vendor": vendor,
        "category": category,
        "amount": float(amount),
        "invoice_number": f"{vendor[:3].upper()}-{rng.randint(10000, 99999)}",
        "due_date": day + dt.timedelta(days=30),
        "paid_date": day + dt.timedelta(days=rng.randint(10, 25)),
        "method": rng.choice(("ach", "check", "card")),
    }
    return row | cells


def _past_months(today: dt.date, rng: random.Random) -> list[Row]:
    rows = []
    for back in range(6, 0, -1):
        start = _month_start(today, back)
        rows.append(_bill(start, *RENT, rng, repeats="monthly", method="autopay"))
        if back % 3 == 0:
            rows.append(_bill(start + dt.timedelta(days=9), *LEASE, rng, repeats="quarterly"))
        if back >= 2:
            rows.append(_bill(start + dt.timedelta(days=4), *IT, rng, repeats="monthly"))
        for vendor, category, low, high in VENDORS:
            amount = Decimal(rng.randint(low * 100, high * 100)) / 100
            rows.append(_bill(start + dt.timedelta(days=rng.randint(2, 25)), vendor, category, amount, rng))
    return rows


def _this_month(today: dt.date, rng: random.Random) -> list[Row]:
    """This month so far: rent, supplies near and over budget, bills due and overdue, a duplicate."""
    start = today.replace(day=1)
    unpaid = {"paid_date": None, "method": None}
    supplies = _bill(today, "McKesson Medical-Surgical", "Medical supplies", Decimal("3900.00"), rng)
    office = _bill(start, "Staples Business", "Office supplies", Decimal("642.18"), rng)
    duplicate = dict(office) | {"date": today}
    return [
        _bill(start, *RENT, rng, repeats="monthly", method="autopay"),
        supplies | unpaid | {"due_date": today + dt.timedelta(days=5)},
        office,
        _bill(start, "Eversource", "Utilities", Decimal("455.20"), rng)
        | unpaid
        | {"due_date": today - dt.timedelta(days=3)},
        duplicate,
    ]


def budget_tabs(today: dt.date, rng: random.Random) -> dict[str, list[Row]]:
    """Rows for the Budget and Expenses tabs."""
    budget = [
        {"category": category, "month": _month_start(today, back), "amount": float(amount)}
        for back in range(6, -1, -1)
        for category, amount in BUDGET.items()
    ]
    bills = _past_months(today, rng) + _this_month(today, rng)
    bills.sort(key=lambda r: r["date"])
    return {
        "budget_line": [{"id": f"BUD{n:06d}", **r} for n, r in enumerate(budget, 1)],
        "expense": [{"id": f"EXP{n:06d}", **r} for n, r in enumerate(bills, 1)],
    }
