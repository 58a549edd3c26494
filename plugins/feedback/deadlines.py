"""When a complaint must be acknowledged and resolved, and whether it has been.

No federal rule sets these times for a physician practice, so they are settings with
defaults a practice can defend: acknowledge within 2 business days (Monday to Friday;
holidays are not known to clinicops, so a practice that closes for one may want 3), and
resolve within 30 calendar days, the time Medicare Advantage plans are given to resolve a
grievance (42 CFR 422.564(e)) and the usual promise of a practice's complaint policy.
Compliments and suggestions have no deadline.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

NEEDS_ANSWER = ("complaint", "grievance")
ACKNOWLEDGED = ("acknowledged", "in progress", "resolved", "closed")
RESOLVED = ("resolved", "closed")


def add_business_days(day: dt.date, n: int) -> dt.date:
    """``n`` working days (Monday to Friday) after ``day``."""
    while n > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def deadlines(record: dict[str, Any], settings: dict[str, Any]) -> tuple[str | None, str | None]:
    """(acknowledge by, resolve by) as ISO dates; both None for what needs no answer."""
    if record.get("type") not in NEEDS_ANSWER:
        return None, None
    received = dt.date.fromisoformat(record["received"])
    ack = add_business_days(received, settings["acknowledge_business_days"])
    return ack.isoformat(), (received + dt.timedelta(days=settings["resolve_days"])).isoformat()


def acknowledged(record: dict[str, Any]) -> bool:
    return bool(record.get("acknowledged_on")) or record.get("status") in ACKNOWLEDGED or resolved(record)


def resolved(record: dict[str, Any]) -> bool:
    return bool(record.get("resolved_on")) or record.get("status") in RESOLVED
