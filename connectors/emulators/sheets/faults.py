"""Injected failures: make the next requests fail the way Google fails.

Retries and backoff are only tested if 429, 500 and 503 actually happen; a test arms the
emulator (``fail_next(status=503, times=2)``) and the next matching requests get the
documented error body instead of being served.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .errors import DEFAULT_MESSAGES, ApiError
from .quota import QuotaExceeded


@dataclass
class _Fault:
    status: int
    remaining: int
    kind: str | None
    message: str | None


class FaultPlan:
    """Pending injected failures, consumed in the order they were armed."""

    def __init__(self, user_quota: int) -> None:
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._user_quota = user_quota

    def add(self, status: int, times: int, kind: str | None, message: str | None) -> None:
        """Fail the next ``times`` requests (of ``kind``, if given) with ``status``."""
        if status not in DEFAULT_MESSAGES:
            raise ValueError(f"cannot inject status {status}; use one of {sorted(DEFAULT_MESSAGES)}")
        if kind not in (None, "read", "write"):
            raise ValueError("kind must be None, 'read' or 'write'")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append(_Fault(status, times, kind, message))

    def clear(self) -> None:
        """Disarm every pending failure."""
        with self._lock:
            self._faults.clear()

    def take(self, kind: str) -> ApiError | None:
        """The error for this request if a failure is armed for it."""
        with self._lock:
            for fault in self._faults:
                if fault.kind in (None, kind):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    if fault.status == 429 and fault.message is None:
                        return QuotaExceeded(kind, True, self._user_quota)
                    return ApiError(fault.status, fault.message)
        return None
