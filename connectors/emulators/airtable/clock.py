"""Clocks: the emulator measures rate limits and iterator timeouts on an injected clock.

A clock is any callable returning seconds as a float (``time.monotonic`` by default).
Tests pass a :class:`FakeClock` and move it with :meth:`FakeClock.advance`, so a 30-second
rate-limit penalty is checked without sleeping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Clock = Callable[[], float]


class FakeClock:
    """A clock that stands still until told to move; safe to share between threads."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward; moving it backward is refused because real clocks cannot."""
        if seconds < 0:
            raise ValueError("a clock cannot go backward")
        with self._lock:
            self._now += seconds
