"""When each staff member's next performance review is due.

The rules, in HR terms:

- A new hire's first review is due ``new_hire_days`` (90) after the hire date.
- After that, reviews are annual (``cycle_months``, 12): the first on the anniversary of
  the hire date, each later one a cycle after the previous review's due date, so a
  review held late does not push every later one back.
- A staff member who already has an open review (scheduled or in progress) has their
  next cycle covered; a completed or cancelled review ends its cycle. Cancelling a
  review therefore skips that cycle, which is how a manager says "not this time".
- Someone with no review on file who was hired more than a cycle ago (a practice that
  starts using clinicops) is next due on their hire anniversary, not years overdue.
- Nobody on leave or terminated gets a new review; nobody without a hire date or a past
  review can be scheduled (there is nothing to count from).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

OPEN = ("scheduled", "in-progress")
PAUSED = ("on-leave", "terminated")


@dataclass(frozen=True)
class Cycle:
    new_hire: bool
    due: dt.date
    period_start: dt.date
    period_end: dt.date


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day (Feb 29 + 12 months → Feb 28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def date_of(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def is_new_hire_review(review: dict[str, Any], hired: dt.date | None, new_hire_days: int) -> bool:
    """A review due within the new-hire window is that staff member's new-hire review."""
    due = date_of(review.get("due_date"))
    return hired is not None and due is not None and due <= hired + dt.timedelta(days=new_hire_days)


def next_cycle(
    staff: dict[str, Any], reviews: list[dict[str, Any]], today: dt.date, *, cycle_months: int, new_hire_days: int
) -> Cycle | None:
    """The cycle that needs a review row now, or None if it is covered or cannot be known."""
    if staff.get("status") in PAUSED or any(r.get("status") in OPEN for r in reviews):
        return None
    hired = date_of(staff.get("hire_date"))
    dated = [r for r in reviews if r.get("due_date")]
    if dated:
        latest = max(dated, key=lambda r: r["due_date"])
        last_due = dt.date.fromisoformat(latest["due_date"])
        if hired is not None and is_new_hire_review(latest, hired, new_hire_days):
            due = add_months(hired, cycle_months)
        else:
            due = add_months(last_due, cycle_months)
        start = (date_of(latest.get("period_end")) or last_due) + dt.timedelta(days=1)
        end = min(add_months(start, cycle_months) - dt.timedelta(days=1), due)
        return Cycle(False, due, start, max(end, start))
    if hired is None:
        return None
    if today < add_months(hired, cycle_months):
        due = hired + dt.timedelta(days=new_hire_days)
        return Cycle(True, due, hired, due)
    cycles = 1
    while add_months(hired, cycles * cycle_months) < today:
        cycles += 1
    due = add_months(hired, cycles * cycle_months)
    return Cycle(False, due, add_months(hired, (cycles - 1) * cycle_months), due)


def review_id(staff_id: str, due: dt.date) -> str:
    """One id per staff member and due date: saving it again can never make a second row."""
    return f"REV-{staff_id}-{due.isoformat()}"
