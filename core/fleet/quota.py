"""The fleet's one limiter of API quotas, in Redis, drawn from by every worker on every machine.

Built on the ``limits`` library's moving window (a window that slides, so no minute, and
no second, ever holds more than the quota, whichever two workers race). What a request
draws on comes from the connector (:mod:`clinicops.connectors.quota`); the quotas are
Google's defaults and Airtable's documented limit, each overridable through the
environment for a project whose quota Google raised:

===============================  ==============  ======================================
variable                         default         counted per
===============================  ==============  ======================================
CLINICOPS_QUOTA_SHEETS_READ      300/minute      Google Cloud project, reads
CLINICOPS_QUOTA_SHEETS_WRITE     300/minute      Google Cloud project, writes
CLINICOPS_QUOTA_SHEETS_USER      60/minute       service account, reads and writes apart
CLINICOPS_QUOTA_AIRTABLE_BASE    5/second        Airtable base
CLINICOPS_QUOTA_AIRTABLE_TOKEN   50/second       Airtable token, over every base it reaches
CLINICOPS_QUOTA_AIRTABLE_MARGIN  0.02            seconds added to each of a base's slots
===============================  ==============  ======================================

A request waits for the most specific quota first (the account's, then the project's; the
base's, then the token's), so a slot taken while waiting for another is the rarer waste.

**Turns.** When a quota is contended, its slots go to practices in turn, the practice
served least recently first: each waiting request joins the quota's queue of practices in
Redis, and only the practice at its head may take the next slot; once served it goes to the
back. A practice with a thousand requests to make (a 50,000-row import) therefore takes one
slot per round like a practice with three, and a small practice's request waits for at most
one slot per other practice waiting, however many requests they have left. A waiter that
stops asking (its worker died) leaves the queue after ``STALE_SECONDS``.

**Airtable's margin.** A window counted where a request is admitted, not where Airtable
receives it, is exact only if every request takes as long to get there: two requests
admitted just over a second apart can arrive just under one. Google's minute windows are
counted ``MARGIN_SECONDS`` longer; Airtable's one second is too short for that (``limits``
counts whole seconds), so besides its 5 a second a base's requests are spaced at least
``1/5 s + CLINICOPS_QUOTA_AIRTABLE_MARGIN`` seconds apart fleet-wide (default 0.02: six
requests then span at least 1.1 s, and a request can be up to 0.1 s later than its
neighbours on the way without a 429, at 9% below the documented rate).

**One token, many bases.** A group that reaches many practices' bases with one token meets
Airtable's second limit, 50 requests a second per token, long before any base's: eleven
busy bases are enough. The token's requests are spaced the same way, by the same share of
their slot (``1/50 s`` plus a tenth of the base's margin by default), so fifty-one of them
span at least 1.1 s too. The token is never sent to Redis: a request names it by a digest
(:func:`clinicops.connectors.airtable.config.token_key`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from clinicops.core.fleet.settings import FleetError, FleetSettings

DEFAULTS = {
    "sheets_read": "300/minute",
    "sheets_write": "300/minute",
    "sheets_user": "60/minute",
    "airtable_base": "5/second",
    "airtable_token": "50/second",
}
LONGEST_PAUSE = 1.0
# A window of a minute or more is counted this many seconds longer than the quota's: a
# request admitted here reaches Google a little later, and by a different delay each time,
# so a window as long as Google's would let two requests land less than a minute apart.
MARGIN_SECONDS = 2
AIRTABLE_MARGIN = 0.02  # seconds added to each of a base's slots (CLINICOPS_QUOTA_AIRTABLE_MARGIN)
STALE_SECONDS = 5.0  # a waiter that has not asked again for this long has left the queue
TURN_POLL = 0.05  # how often a practice not at the head of a queue looks again
SERVED_TTL = 3600  # how long a practice's last turn is remembered

_practice: ContextVar[str | None] = ContextVar("clinicops_fleet_practice", default=None)


@contextmanager
def serving(name: str) -> Iterator[None]:
    """The requests made in the block are the practice ``name``'s when it comes to turns."""
    token = _practice.set(name)
    try:
        yield
    finally:
        _practice.reset(token)


def configured() -> dict[str, str]:
    return {name: os.environ.get(f"CLINICOPS_QUOTA_{name.upper()}", rate) for name, rate in DEFAULTS.items()}


class RedisQuotaGate:
    """A :class:`clinicops.connectors.quota.QuotaGate` whose counts live in the fleet's Redis."""

    def __init__(
        self,
        settings: FleetSettings,
        rates: dict[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import redis
        from limits import parse
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        try:
            self.limits = {name: with_margin(parse(rate)) for name, rate in (rates or configured()).items()}
        except ValueError as exc:
            raise FleetError(f"A CLINICOPS_QUOTA_ setting is not a rate such as 60/minute ({exc})") from None
        base_slot = _slot(self.limits["airtable_base"])
        self.airtable_spacing = base_slot + airtable_margin()
        # the token's slots carry the same share of margin as the base's
        self.token_spacing = _slot(self.limits["airtable_token"]) * self.airtable_spacing / base_slot
        self.limiter = MovingWindowRateLimiter(storage_from_string(settings.redis_url))
        self.redis = redis.Redis.from_url(settings.redis_url)
        self.namespace = f"{settings.prefix}:quota"
        self.refusals = f"{settings.prefix}:rate_limited"
        self.sleep = sleep

    def wait(self, service: str, scope: dict[str, str]) -> float:
        waited = sum(self._take(limit, keys) for limit, keys in self._draws(service, scope))
        if service == "airtable":
            waited += self._space(scope.get("base", ""), self.airtable_spacing)
            waited += self._space(f"token:{scope.get('token', '')}", self.token_spacing)
        return waited

    def refused(self, service: str) -> None:
        self.redis.incr(self.refusals)

    def _draws(self, service: str, scope: dict[str, str]) -> list[tuple[Any, tuple[str, ...]]]:
        if service == "sheets":
            kind = scope.get("kind", "read")
            return [
                (self.limits["sheets_user"], ("sheets", kind, "user", scope.get("user", "default"))),
                (self.limits[f"sheets_{kind}"], ("sheets", kind, "project", scope.get("project", "default"))),
            ]
        if service == "airtable":
            return [
                (self.limits["airtable_base"], ("airtable", "base", scope.get("base", ""))),
                (self.limits["airtable_token"], ("airtable", "token", scope.get("token", ""))),
            ]
        return []

    def _take(self, limit: Any, keys: tuple[str, ...]) -> float:
        """A slot of ``limit`` for this practice, when its turn comes; the seconds waited."""
        me = _practice.get() or f"process-{os.getpid()}"
        queue = ":".join((self.namespace, "turns", *keys))
        waited = 0.0
        while True:
            first = self._head(queue, me)
            if first and self.limiter.hit(limit, self.namespace, *keys):
                self._served(queue, me)
                return waited
            if first:  # our turn, but the window is full: ask again when its oldest request leaves it
                reset = self.limiter.get_window_stats(limit, self.namespace, *keys).reset_time
                pause = min(max(reset - time.time(), 0.005), LONGEST_PAUSE)
            else:
                pause = TURN_POLL
            self.sleep(pause)
            waited += pause

    def _head(self, queue: str, me: str) -> bool:
        """Join ``queue`` (once), drop waiters gone quiet, and say whether ``me`` is first in it."""
        now = time.time()
        alive = f"{queue}:alive"
        last = self.redis.hget(f"{queue}:served", me)
        pipe = self.redis.pipeline()
        pipe.zadd(queue, {me: float(last or 0)}, nx=True)
        pipe.zadd(alive, {me: now + STALE_SECONDS})
        pipe.zrangebyscore(alive, "-inf", now)
        gone = pipe.execute()[2]
        pipe = self.redis.pipeline()
        if gone:
            pipe.zrem(queue, *gone)
            pipe.zrem(alive, *gone)
        pipe.zrange(queue, 0, 0)
        head = pipe.execute()[-1]
        return bool(head) and head[0].decode() == me

    def _served(self, queue: str, me: str) -> None:
        pipe = self.redis.pipeline()
        pipe.zrem(queue, me)
        pipe.zrem(f"{queue}:alive", me)
        pipe.hset(f"{queue}:served", me, f"{time.time()}")
        pipe.expire(f"{queue}:served", SERVED_TTL)
        pipe.execute()

    def _space(self, what: str, spacing: float) -> float:
        """Wait until the last request of ``what`` (a base's id, or ``token:`` and a token's
        digest) is ``spacing`` seconds old, fleet-wide; the seconds waited."""
        key = f"{self.namespace}:airtable:spacing:{what}"
        waited = 0.0
        while not self.redis.set(key, "1", nx=True, px=max(1, round(spacing * 1000))):
            pause = max(self.redis.pttl(key), 1) / 1000
            self.sleep(pause)
            waited += pause
        return waited


def _slot(limit: Any) -> float:
    """Seconds per request at ``limit``'s rate."""
    return float(limit.get_expiry()) / limit.amount


def airtable_margin() -> float:
    raw = os.environ.get("CLINICOPS_QUOTA_AIRTABLE_MARGIN", "")
    try:
        value = float(raw) if raw else AIRTABLE_MARGIN
    except ValueError:
        raise FleetError(f"CLINICOPS_QUOTA_AIRTABLE_MARGIN: '{raw}' is not a number of seconds") from None
    if value < 0:
        raise FleetError("CLINICOPS_QUOTA_AIRTABLE_MARGIN: must be 0 or more seconds")
    return value


def with_margin(limit: Any) -> Any:
    """The limit over a window ``MARGIN_SECONDS`` longer (for windows of a minute or more)."""
    from limits import RateLimitItemPerSecond

    seconds = limit.get_expiry()
    return RateLimitItemPerSecond(limit.amount, seconds + MARGIN_SECONDS) if seconds >= 60 else limit


def install(settings: FleetSettings) -> None:
    """Make this process's Sheets and Airtable requests draw from the fleet's limiter
    (``CLINICOPS_FLEET_QUOTAS=off`` leaves each worker to pace itself)."""
    from clinicops.connectors import quota

    if os.environ.get("CLINICOPS_FLEET_QUOTAS", "on").lower() != "off":
        quota.install(RedisQuotaGate(settings))
