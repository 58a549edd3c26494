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
===============================  ==============  ======================================

A request waits for the most specific quota first (the account's, then the project's), so
a slot taken while waiting for another is the rarer waste. Waiting is polling: each request
asks again when the oldest request in the window leaves it, so a practice with many
requests to make takes its turn with the rest instead of holding a queue.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from clinicops.core.fleet.settings import FleetError, FleetSettings

DEFAULTS = {
    "sheets_read": "300/minute",
    "sheets_write": "300/minute",
    "sheets_user": "60/minute",
    "airtable_base": "5/second",
}
LONGEST_PAUSE = 1.0
# A window of a minute or more is counted this many seconds longer than the quota's: a
# request admitted here reaches Google a little later, and by a different delay each time,
# so a window as long as Google's would let two requests land less than a minute apart.
MARGIN_SECONDS = 2


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
        self.limiter = MovingWindowRateLimiter(storage_from_string(settings.redis_url))
        self.redis = redis.Redis.from_url(settings.redis_url)
        self.namespace = f"{settings.prefix}:quota"
        self.refusals = f"{settings.prefix}:rate_limited"
        self.sleep = sleep

    def wait(self, service: str, scope: dict[str, str]) -> float:
        return sum(self._take(limit, keys) for limit, keys in self._draws(service, scope))

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
            return [(self.limits["airtable_base"], ("airtable", "base", scope.get("base", "")))]
        return []

    def _take(self, limit: Any, keys: tuple[str, ...]) -> float:
        waited = 0.0
        while not self.limiter.hit(limit, self.namespace, *keys):
            reset = self.limiter.get_window_stats(limit, self.namespace, *keys).reset_time
            pause = min(max(reset - time.time(), 0.005), LONGEST_PAUSE)
            self.sleep(pause)
            waited += pause
        return waited


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
