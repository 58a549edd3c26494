"""No-show tracking, pure: what is overdue, who keeps missing visits, and the weekly rates.

- *Overdue*: an appointment still ``scheduled`` or ``confirmed`` once its end (start plus
  its minutes, 30 if blank) and a grace period have passed. Someone has to say what
  happened; the plugin flags it and never changes the status itself.
- *Per-patient count*: appointments marked ``no-show`` by staff within a window.
- *Rate*: per provider and per ISO week of the local date, no-shows divided by visits that
  were due to happen (no-shows plus completed or checked-in). Cancelled visits and those
  not yet closed out are left out of both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from clinicops.plugins.reminders.planning import ACTIVE, parse_start

ATTENDED = ("completed", "checked-in")
NO_SHOW = "no-show"
DEFAULT_MINUTES = 30
ALL = "all"


@dataclass(frozen=True)
class WeekRate:
    week: str  # ISO week, like 2026-W47
    provider_id: str  # or "all" for the practice
    no_shows: int
    kept: int

    @property
    def rate(self) -> float | None:
        total = self.no_shows + self.kept
        return self.no_shows / total if total else None


@dataclass(frozen=True)
class RepeatNoShow:
    patient_id: str
    count: int
    last: dt.datetime


def overdue(appointments: Iterable[dict[str, Any]], now: dt.datetime, grace: dt.timedelta) -> list[dict[str, Any]]:
    """Appointments past their end (plus grace) that nobody closed out, oldest first."""
    out = []
    for appt in appointments:
        start = parse_start(appt.get("start"))
        if appt.get("status") not in ACTIVE or start is None:
            continue
        end = start + dt.timedelta(minutes=appt.get("duration_min") or DEFAULT_MINUTES)
        if end + grace < now:
            out.append(appt)
    return sorted(out, key=lambda a: (a["start"], a["id"]))


def repeat_no_shows(
    appointments: Iterable[dict[str, Any]], now: dt.datetime, window: dt.timedelta, threshold: int
) -> list[RepeatNoShow]:
    """Patients with at least ``threshold`` no-shows in the window, most first."""
    seen: dict[str, list[dt.datetime]] = {}
    for appt in appointments:
        start = parse_start(appt.get("start"))
        if appt.get("status") == NO_SHOW and start is not None and now - window <= start <= now:
            seen.setdefault(appt.get("patient_id") or "", []).append(start)
    out = [RepeatNoShow(pid, len(times), max(times)) for pid, times in seen.items() if pid and len(times) >= threshold]
    return sorted(out, key=lambda r: (-r.count, r.patient_id))


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_rates(appointments: Iterable[dict[str, Any]], tz: ZoneInfo, now: dt.datetime, weeks: int) -> list[WeekRate]:
    """No-show rate per provider and for the practice (``all``), for the last ``weeks`` weeks."""
    today = now.astimezone(tz).date()
    first_day = today - dt.timedelta(days=today.weekday() + 7 * (weeks - 1))
    tally: dict[tuple[str, str], list[int]] = {}
    for appt in appointments:
        start = parse_start(appt.get("start"))
        status = appt.get("status")
        if start is None or start > now or status not in (NO_SHOW, *ATTENDED):
            continue
        day = start.astimezone(tz).date()
        if day < first_day:
            continue
        for who in (appt.get("provider_id") or "?", ALL):
            counts = tally.setdefault((iso_week(day), who), [0, 0])
            counts[0 if status == NO_SHOW else 1] += 1
    rows = [WeekRate(week, who, n, kept) for (week, who), (n, kept) in tally.items()]
    return sorted(rows, key=lambda r: (r.week, r.provider_id == ALL, r.provider_id))
