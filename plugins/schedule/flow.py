"""Patient flow: wait and cycle times, per provider, week and hour of day.

- Wait: from check-in to being seen by the provider (``Checked in`` → ``Seen by
  provider``), the figure patients feel and the one the alert watches.
- Cycle time: from check-in to check-out, the whole visit.
- Medians, in whole minutes (half up), because one patient who waited two hours while
  the provider handled an emergency should not move the figure the way a mean would.
- A visit counts when both times of a measure are filled in and in order; times out of
  order are a cell error on the row (see ``validate_record``).
- Utilisation: booked minutes within a provider's hours (completed, scheduled, no-shows:
  every slot that was taken) as a share of their open minutes, per ISO week (Monday
  start).
"""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from clinicops.plugins.schedule.booking import Slot, local

ORDER = (
    ("checked_in_at", "Checked in"),
    ("roomed_at", "Roomed"),
    ("seen_at", "Seen by provider"),
    ("checked_out_at", "Checked out"),
)


def span(slot: Slot, first: str, last: str, zone: ZoneInfo) -> float | None:
    a, b = slot.record.get(first), slot.record.get(last)
    if not a or not b:
        return None
    minutes = (local(b, zone) - local(a, zone)).total_seconds() / 60
    return minutes if minutes >= 0 else None


def wait(slot: Slot, zone: ZoneInfo) -> float | None:
    return span(slot, "checked_in_at", "seen_at", zone)


def cycle(slot: Slot, zone: ZoneInfo) -> float | None:
    return span(slot, "checked_in_at", "checked_out_at", zone)


def median(values: list[float]) -> int | None:
    if not values:
        return None
    return int(Decimal(str(statistics.median(values))).quantize(Decimal(1), ROUND_HALF_UP))


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def check_in_hour(slot: Slot, zone: ZoneInfo) -> int:
    return local(slot.record["checked_in_at"], zone).hour
