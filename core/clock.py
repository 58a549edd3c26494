"""The practice's clock: the one place clinicops learns what time it is.

Every date a plugin compares with ("expires in 20 days"), every timestamp the store
writes and every job the runner decides is due reads the practice's clock, never the
machine's. That makes time an input: a demo can be pinned to a day and stay true to it
on every later sync, and a test pins the moment it runs at, whatever the date, the hour
or the machine's time zone.

A practice's ``practice.toml`` may pin it::

    [clock]
    today = "2026-11-23"            # this date where the practice is; the time of day is the real one
    # or
    now = "2026-11-23T09:30:00"     # this moment (practice time unless an offset is given)

A pinned clock keeps running from the moment it was pinned to, so durations, the
runner's schedule and the order of versions stay real; only the starting point moves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Protocol


class Clock(Protocol):
    """Anything that tells the current moment as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The machine's own clock, for a practice that is not pinned."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


@dataclass
class PinnedClock:
    """A clock that starts at ``start`` when made and runs forward in real (monotonic) time.

    ``frozen=True`` stops it at ``start``, for tests that compare exact timestamps.
    """

    start: datetime
    frozen: bool = False
    _origin: float = field(default_factory=time.monotonic, repr=False)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("a pinned clock needs an aware datetime")
        self.start = self.start.astimezone(UTC)

    def now(self) -> datetime:
        if self.frozen:
            return self.start
        return self.start + timedelta(seconds=time.monotonic() - self._origin)

    def advance(self, delta: timedelta) -> None:
        """Move the clock on, as a test moves a day forward."""
        self.start += delta


def pinned_to_day(day: date, zone: tzinfo, base: Clock | None = None) -> PinnedClock:
    """A clock on ``day`` where the practice is, at the real time of day now."""
    real = (base or SystemClock()).now().astimezone(zone)
    shifted = real + timedelta(days=(day - real.date()).days)
    return PinnedClock(shifted)


def parse_moment(text: str, zone: tzinfo) -> datetime:
    """``2026-11-23T09:30`` in the practice's zone, or with its own offset."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def clock_from_settings(settings: dict[str, Any], zone: tzinfo) -> Clock:
    """The clock a practice's ``[clock]`` table asks for (checked by the config schema)."""
    if "now" in settings:
        return PinnedClock(parse_moment(str(settings["now"]), zone))
    if "today" in settings:
        return pinned_to_day(date.fromisoformat(str(settings["today"])), zone)
    return SystemClock()


def utc_text(moment: datetime, *, micro: bool = False) -> str:
    """A moment as the store writes it: UTC ISO 8601 with a ``Z``."""
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ"
    return moment.astimezone(UTC).strftime(fmt)
