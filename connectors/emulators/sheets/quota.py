"""Per-minute request quotas, counted the way Google's quota system answers.

Sheets has separate read and write quotas, each per project (default 300/min) and per
user per project (default 60/min). A request over either gets 429 RESOURCE_EXHAUSTED.
The window slides over the last 60 seconds of an injectable clock, so tests can move
time forward instead of sleeping; a sliding window never allows more than the limit in
any minute, so a client that passes here also stays inside Google's refill-per-minute.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from .errors import ApiError

WINDOW_SECONDS = 60.0
PROJECT_NUMBER = "000000000000"


class QuotaExceeded(ApiError):
    """429 RESOURCE_EXHAUSTED with the message and ``ErrorInfo`` details Google sends."""

    def __init__(self, kind: str, per_user: bool, limit: int) -> None:
        metric = f"{kind.capitalize()} requests"
        limit_name = f"{metric} per minute" + (" per user" if per_user else "")
        quota_limit = f"{kind.capitalize()}RequestsPerMinute" + ("PerUser" if per_user else "")
        message = (
            f"Quota exceeded for quota metric '{metric}' and limit '{limit_name}' of service "
            f"'sheets.googleapis.com' for consumer 'project_number:{PROJECT_NUMBER}'."
        )
        details = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "RATE_LIMIT_EXCEEDED",
                "domain": "googleapis.com",
                "metadata": {
                    "service": "sheets.googleapis.com",
                    "quota_metric": f"sheets.googleapis.com/{kind}_requests",
                    "quota_limit": quota_limit,
                    "quota_limit_value": str(limit),
                    "quota_location": "global",
                    "consumer": f"projects/{PROJECT_NUMBER}",
                },
            },
            {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [
                    {
                        "description": "Request a higher quota limit.",
                        "url": "https://cloud.google.com/docs/quotas/help/request_increase",
                    }
                ],
            },
        ]
        super().__init__(429, message, details=details)


class QuotaTracker:
    """Counts requests per (kind, user) and per kind in a sliding one-minute window."""

    def __init__(
        self,
        clock: Callable[[], float],
        read_per_minute: int,
        write_per_minute: int,
        user_per_minute: int,
    ) -> None:
        self._clock = clock
        self._project_limits = {"read": read_per_minute, "write": write_per_minute}
        self._user_limit = user_per_minute
        self._project: dict[str, deque[float]] = {"read": deque(), "write": deque()}
        self._users: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _trim(self, stamps: deque[float], now: float) -> None:
        while stamps and stamps[0] <= now - WINDOW_SECONDS:
            stamps.popleft()

    def charge(self, kind: str, user: str) -> None:
        """Count one request, or raise ``QuotaExceeded`` (without counting it)."""
        with self._lock:
            now = self._clock()
            project = self._project[kind]
            mine = self._users.setdefault((kind, user), deque())
            self._trim(project, now)
            self._trim(mine, now)
            if len(mine) >= self._user_limit:
                raise QuotaExceeded(kind, True, self._user_limit)
            limit = self._project_limits[kind]
            if len(project) >= limit:
                raise QuotaExceeded(kind, False, limit)
            project.append(now)
            mine.append(now)
