"""Pacing requests to one Airtable base: a token bucket, 5 requests a second, shared.

Airtable answers the sixth request to a base within one second with 429 and then refuses
every request to that base for 30 seconds. A sync that lets that happen spends 30 s
doing nothing, so the connector paces itself instead of relying on retries.

The bucket is kept in its GCRA form (a "theoretical arrival time" per bucket), which is
the same algorithm as a token bucket and needs no background refill. Its capacity is one
token on purpose: a bucket holding five tokens would let five requests out at once and a
sixth 0.2 s later — six in one second, which Airtable refuses. Each slot is also a little
longer than 1/5 s (``margin``) so that network jitter cannot squeeze six requests into
Airtable's window.

The clock and the sleep are injectable: tests and the benchmark pass a virtual clock
(the emulator's ``FakeClock`` and its ``advance``), so waiting costs no real time while
every request still keeps its place in (virtual) time.

One bucket per base is shared process-wide (``shared_bucket``), by every table and every
backend object of that base: two syncs in one process, or a sync right after another,
never add up to more than the base allows.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

#: Airtable's documented limit per base.
REQUESTS_PER_SECOND = 5.0
#: Extra seconds per slot, so that jitter between here and Airtable stays under the limit.
DEFAULT_MARGIN = 0.01


class TokenBucket:
    """Hands out request slots at ``rate`` per second; ``acquire`` waits for the next one."""

    def __init__(
        self,
        rate: float = REQUESTS_PER_SECOND,
        *,
        capacity: int = 1,
        margin: float = DEFAULT_MARGIN,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or capacity < 1 or margin < 0:
            raise ValueError("a token bucket needs a positive rate, a capacity of at least 1 and a margin >= 0")
        self.interval = 1.0 / rate + margin
        self.margin = margin
        self.tolerance = (capacity - 1) * self.interval
        self.clock = clock
        self.sleep = sleep
        self._next = -math.inf
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for a slot; return the seconds waited (on this bucket's clock)."""
        with self._lock:
            now = self.clock()
            due = max(self._next, now)
            wait = max(0.0, due - self.tolerance - now)
            self._next = due + self.interval
        if wait > 0:
            self.sleep(wait)
        return wait

    def penalize(self, seconds: float) -> None:
        """No slot for ``seconds`` (and the margin) from now: the penalty after a 429 holds the whole base."""
        with self._lock:
            self._next = max(self._next, self.clock() + seconds + self.margin)


_shared: dict[str, TokenBucket] = {}
_shared_lock = threading.Lock()


def shared_bucket(base_id: str) -> TokenBucket:
    """The process-wide bucket of a base (a real-time one unless ``install`` put another)."""
    with _shared_lock:
        bucket = _shared.get(base_id)
        if bucket is None:
            bucket = _shared[base_id] = TokenBucket()
        return bucket


def install(base_id: str, bucket: TokenBucket) -> None:
    """Use ``bucket`` for every client of ``base_id`` in this process (virtual time in tests)."""
    with _shared_lock:
        _shared[base_id] = bucket


def release(base_id: str) -> None:
    """Forget a base's bucket (a test's base that no longer exists)."""
    with _shared_lock:
        _shared.pop(base_id, None)
