"""Demo rows for the supply rules that follow the CDC's storage and handling guidance.

Each function changes a few cells of rows the demo already made, so the demo practice
shows these rules at work without reshuffling anything else:

- an expiry typed as a month and year, as a drug label prints it, read as the last day
  of that month (CDC Vaccine Storage and Handling Toolkit), close enough to warn about;
- a multi-dose vial opened 26 days ago, two days before its 28-day beyond-use date and
  months before its expiry (CDC Injection Safety, multi-dose vials).
"""

from __future__ import annotations

import calendar
import datetime as dt

from clinicops.examples.demo_common import Row

MONTH_YEAR_ITEM = "Ketorolac 30 mg/mL, 1 mL vial"
OPENED_VIAL_ITEM = "Methylprednisolone acetate 40 mg/mL, 1 mL vial"
OPENED_DAYS_AGO = 26


def _stock_row(tables: dict[str, list[Row]], name: str) -> Row:
    return next(r for r in tables["inventory_item"] if r["name"] == name)


def type_expiry_as_month_and_year(tables: dict[str, list[Row]], today: dt.date) -> None:
    """One lot's expiry typed like ``1/2027``: the month that is 25 days ahead, so it ends within 60 days."""
    row = _stock_row(tables, MONTH_YEAR_ITEM)
    month = today + dt.timedelta(days=25)
    row["expiry"] = f"{month.month}/{month.year}"


def full_dates(tables: dict[str, list[Row]]) -> None:
    """Expiries typed as a month and year, as the last day of that month: for a database whose date fields
    take only full dates (Airtable), where nobody could have typed one."""
    for row in tables["inventory_item"]:
        if isinstance(row["expiry"], str):
            month, year = map(int, row["expiry"].split("/"))
            row["expiry"] = dt.date(year, month, calendar.monthrange(year, month)[1])


def open_a_multi_dose_vial(tables: dict[str, list[Row]], today: dt.date) -> None:
    """The methylprednisolone multi-dose vial was first punctured 26 days ago; it expires months later."""
    row = _stock_row(tables, OPENED_VIAL_ITEM)
    row["opened"] = today - dt.timedelta(days=OPENED_DAYS_AGO)
