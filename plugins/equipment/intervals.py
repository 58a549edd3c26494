"""How often a compliance task recurs, and the date it is next due.

Months are calendar months (a monthly check done on 31 January is next due on 28 or 29
February), so "monthly" means what an inspector means by it, not every 30 days.
"""

from __future__ import annotations

import calendar
import datetime as dt

# frequency -> (months, days) until the task is due again
FREQUENCIES: dict[str, tuple[int, int]] = {
    "twice daily": (0, 1),
    "daily": (0, 1),
    "weekly": (0, 7),
    "monthly": (1, 0),
    "quarterly": (3, 0),
    "semiannual": (6, 0),
    "annual": (12, 0),
    "biennial": (24, 0),
}


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or that month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_due(last_done: dt.date, frequency: str) -> dt.date:
    months, days = FREQUENCIES[frequency]
    return add_months(last_done, months) + dt.timedelta(days=days)


def after_days(last: str | None, days: int | None) -> str | None:
    """``last`` plus an interval in days, as ISO text; unknown when either is missing."""
    if not last or not days:
        return None
    return (dt.date.fromisoformat(last) + dt.timedelta(days=days)).isoformat()
