"""Appointments as the schedule rules see them: local start and end, who, where, what.

An appointment without a length (``Minutes`` blank) is taken as ``default_minutes`` long
(15). Cancelled appointments hold no time. No-shows held their slot when it was booked,
so they count for utilisation but not for conflicts to fix (the time is past).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

ACTIVE = ("scheduled", "confirmed", "checked-in", "completed")


@dataclass(frozen=True)
class Slot:
    id: str
    provider: str
    patient: str
    room: str | None
    kind: str | None
    status: str
    start: dt.datetime  # naive, the practice's local time
    end: dt.datetime
    record: dict[str, Any]

    @property
    def day(self) -> dt.date:
        return self.start.date()


def local(value: str, zone: ZoneInfo) -> dt.datetime:
    """A stored UTC date-time as the practice's wall-clock time, naive."""
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(zone).replace(tzinfo=None)


def slots(records: list[dict[str, Any]], zone: ZoneInfo, default_minutes: int) -> list[Slot]:
    out = []
    for r in records:
        if r.get("status") == "cancelled" or not r.get("start"):
            continue
        start = local(r["start"], zone)
        minutes = r.get("duration_min") or default_minutes
        out.append(
            Slot(
                r["id"],
                r["provider_id"],
                r["patient_id"],
                (r.get("room") or "").strip() or None,
                r.get("type"),
                r["status"],
                start,
                start + dt.timedelta(minutes=minutes),
                r,
            )
        )
    return sorted(out, key=lambda s: (s.start, s.id))


def overlaps(found: list[Slot], key: str) -> list[tuple[Slot, Slot]]:
    """(earlier, later) pairs with the same ``key`` (provider, room or patient) whose times overlap.

    Rooms are the same whatever the case or spacing staff typed ("Exam 1" = "exam  1 ").
    """
    groups: dict[str, list[Slot]] = {}
    for slot in found:
        value = getattr(slot, key)
        if value:
            groups.setdefault(" ".join(value.split()).casefold(), []).append(slot)
    pairs = []
    for group in groups.values():
        running: list[Slot] = []
        for slot in group:  # in start order
            running = [s for s in running if s.end > slot.start]
            pairs += [(s, slot) for s in running]
            running.append(slot)
    return sorted(pairs, key=lambda p: (p[1].start, p[1].id, p[0].id))
