"""Provider working hours, and the open time left on a day.

A provider with rows on the Provider hours tab works only in those blocks; a weekday
with no row is their day off. A provider with no rows at all has unknown hours: nothing
is checked for them (a missing tab or row is unknown, never "never works").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinicops.plugins.schedule.schemas import DAYS

Blocks = list[tuple[int, int]]  # (start, end) in minutes after midnight


def minutes(text: str) -> int:
    hours, mins = text.split(":")[:2]
    return int(hours) * 60 + int(mins)


def clock(mins: int) -> str:
    return f"{mins // 60:02d}:{mins % 60:02d}"


def weekly(rows: list[dict[str, Any]]) -> dict[str, dict[int, Blocks]]:
    """provider id -> weekday (0 = Monday) -> sorted blocks."""
    out: dict[str, dict[int, Blocks]] = {}
    for row in rows:
        start, end = minutes(row["start"]), minutes(row["end"])
        if end > start:
            out.setdefault(row["provider_id"], {}).setdefault(DAYS.index(row["day"]), []).append((start, end))
    for days in out.values():
        for blocks in days.values():
            blocks.sort()
    return out


def within(blocks: Blocks, start: dt.datetime, end: dt.datetime) -> bool:
    """True when the whole visit falls inside one block of the day (visits do not straddle lunch)."""
    s = start.hour * 60 + start.minute
    e = s + int((end - start).total_seconds() // 60)
    return any(b <= s and e <= f for b, f in blocks)


def unbooked(blocks: Blocks, booked: list[tuple[dt.datetime, dt.datetime]], day: dt.date, after: int = 0) -> int:
    """Minutes of the day's blocks (from ``after`` on) that no appointment covers."""
    free = 0
    for b, f in blocks:
        b = max(b, after)
        if f <= b:
            continue
        covered = []
        for start, end in booked:
            if start.date() != day:
                continue
            s, e = start.hour * 60 + start.minute, end.hour * 60 + end.minute if end.date() == day else 24 * 60
            s, e = max(s, b), min(e, f)
            if e > s:
                covered.append((s, e))
        used, edge = 0, b
        for s, e in sorted(covered):
            s = max(s, edge)
            if e > s:
                used += e - s
                edge = e
        free += (f - b) - used
    return free


def open_minutes(blocks: Blocks) -> int:
    return sum(f - b for b, f in blocks)
