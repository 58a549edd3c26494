"""The demo clinic's schedule extras: provider hours, rooms, patient-flow times, and a few
bookings that need fixing, dated relative to `today`.

- Provider hours: 08:00–12:00 and 13:00–17:00 on every weekday a provider sees patients
  in the demo's book (so the NP's and PA's day off is a day off here too).
- Rooms: each provider works from their own exam room.
- Flow times on the completed visits of the last two weeks: checked in a few minutes
  before the start, roomed, seen, checked out. Waits run long enough this week that the
  median passes the 20 minutes the schedule plugin watches.
- On the next working day: one patient booked into a provider's slot that is already
  taken (a double booking, in the same room), one patient booked with two providers at
  once and a visit after hours; within the week, a visit on a provider's day off. The
  last provider of that day has everything from 10:00 on cancelled, leaving a gap to fill.
"""

from __future__ import annotations

import datetime as dt
import random

from clinicops.examples.demo_common import Row

BLOCKS = (("08:00", "12:00"), ("13:00", "17:00"))
DAYS = ("mon", "tue", "wed", "thu", "fri")


def _next_workday(today: dt.date) -> dt.date:
    day = today + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _hours(appointments: list[Row]) -> list[Row]:
    worked: dict[str, set[int]] = {}
    for row in appointments:
        worked.setdefault(row["provider_id"], set()).add(row["start"].weekday())
    rows = []
    for provider in sorted(worked):
        for weekday in sorted(worked[provider]):
            rows += [{"provider_id": provider, "day": DAYS[weekday], "start": a, "end": b} for a, b in BLOCKS]
    return [{"id": f"PH{n:06d}", **r} for n, r in enumerate(rows, 1)]


def _flow_times(appointments: list[Row], today: dt.date, rng: random.Random) -> None:
    for row in appointments:
        days_ago = (today - row["start"].date()).days
        if row["status"] != "completed" or not 0 <= days_ago <= 13:
            continue
        checked_in = row["start"] - dt.timedelta(minutes=rng.randint(0, 12))
        wait = rng.randint(12, 45) if days_ago < 7 else rng.randint(5, 25)
        roomed = checked_in + dt.timedelta(minutes=rng.randint(3, min(10, wait - 2)))
        seen = checked_in + dt.timedelta(minutes=wait)
        row.update(
            checked_in_at=checked_in,
            roomed_at=roomed,
            seen_at=seen,
            checked_out_at=seen + dt.timedelta(minutes=(row["duration_min"] or 15) + rng.randint(0, 10)),
        )


def _to_fix(appointments: list[Row], hours: list[Row], today: dt.date) -> list[Row]:
    """New bookings on the next working day that the schedule plugin should flag."""
    day = _next_workday(today)
    booked = sorted((r for r in appointments if r["start"].date() == day), key=lambda r: (r["start"], r["id"]))
    first = next(r for r in booked if r["room"])
    other = next(r for r in booked if r["provider_id"] != first["provider_id"])
    used = {r["patient_id"] for r in booked}
    free = [r["patient_id"] for r in appointments if r["patient_id"] not in used]
    works = {(h["provider_id"], h["day"]) for h in hours}
    off, off_day = next(
        (p, d)
        for d in (day + dt.timedelta(days=n) for n in range(7))
        for p in sorted({h["provider_id"] for h in hours})
        if d.weekday() < 5 and (p, DAYS[d.weekday()]) not in works
    )
    at = dt.datetime.combine(off_day, dt.time(10))
    rows = [
        dict(first, patient_id=free[0], reason="Rash", type="follow-up"),  # double-booked, same room
        dict(first, patient_id=other["patient_id"], start=other["start"], reason="Cough"),  # patient twice at once
        dict(first, provider_id=off, patient_id=free[1], start=at, room=None, reason="Knee pain"),  # day off
        dict(first, patient_id=free[2], start=dt.datetime.combine(day, dt.time(17, 30)), reason="Flu shot"),
    ]
    # The last provider of the day loses all but their first two hours to cancellations: a gap to fill.
    gone = booked[-1]["provider_id"]
    for row in booked:
        if row["provider_id"] == gone and row["start"].hour >= 10:
            row["status"] = "cancelled"
    number = len(appointments)
    for row in rows:
        number += 1
        row.update(id=f"A{number:06d}", status="scheduled")
    return rows


def flow_tabs(today: dt.date, tables: dict[str, list[Row]], rng: random.Random) -> dict[str, list[Row]]:
    """Provider hours rows, and the appointment rows with rooms, flow times and the bookings to fix."""
    appointments = [dict(r) for r in tables["appointment"]]
    rooms = {p["id"]: f"Exam {n}" for n, p in enumerate(tables["provider"], 1)}
    for row in appointments:
        row["room"] = rooms.get(row["provider_id"]) if row.get("type") != "telehealth" else None
    _flow_times(appointments, today, rng)
    hours = _hours(appointments)
    return {"provider_hours": hours, "appointment": appointments + _to_fix(appointments, hours, today)}
