"""When to try a Sheets request again, how long to wait, and what to say when it fails for good.

Google answers an exhausted quota with 429 (and sometimes with a 403 whose reason is a
rate limit, gspread #1326) and a passing fault with 5xx: those are retried with
truncated exponential backoff and full jitter (up to 64 s between tries, as Google
asks). A request that is not safe to repeat — a batch that deletes rows, where a 5xx
might hide a change already made — is retried only when Google refused it outright
(429), never on an answer that leaves it unknown.

Everything else is permanent, and becomes one sentence naming the spreadsheet and what
to do: share it with the service account, fix the id, wait for the quota.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from gspread.exceptions import APIError
from tenacity import wait_none, wait_random_exponential
from tenacity.wait import wait_base

from clinicops.connectors.base import BackendError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RATE_LIMIT_REASONS = frozenset({"RATE_LIMIT_EXCEEDED", "rateLimitExceeded", "userRateLimitExceeded"})


class RangeNotFound(BackendError):
    """A range named a tab the spreadsheet does not have (400 ``Unable to parse range``)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How many tries a request gets and the wait between them.

    ``wait`` is a tenacity wait strategy and ``sleep`` the function that waits, so tests
    can run the whole backoff path without waiting (``RetryPolicy.immediate()``).
    """

    attempts: int = 7
    wait: wait_base = field(default_factory=lambda: wait_random_exponential(multiplier=1, max=64))
    sleep: Callable[[float], None] = time.sleep

    @classmethod
    def immediate(cls, attempts: int = 7) -> RetryPolicy:
        """The same retries with no waiting, for tests."""
        return cls(attempts=attempts, wait=wait_none(), sleep=lambda _seconds: None)


def _error(exc: APIError) -> dict[str, Any]:
    error = exc.error if isinstance(exc.error, dict) else {}
    return dict(error)


def is_rate_limit(exc: APIError) -> bool:
    """429, or a 403 that is really a quota answer (Google sends both)."""
    if exc.code == 429:
        return True
    error = _error(exc)
    if error.get("status") == "RESOURCE_EXHAUSTED" or "quota exceeded" in str(error.get("message", "")).lower():
        return True
    reasons = {d.get("reason") for d in error.get("details", []) if isinstance(d, dict)}
    reasons |= {e.get("reason") for e in error.get("errors", []) if isinstance(e, dict)}
    return bool(reasons & RATE_LIMIT_REASONS)


def transient(exc: BaseException, safe_to_repeat: bool) -> bool:
    """True when trying the same request again can succeed without doing anything twice."""
    if isinstance(exc, APIError):
        if is_rate_limit(exc):
            return True
        return safe_to_repeat and exc.code in RETRY_STATUSES
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return safe_to_repeat
    return False


@dataclass(frozen=True)
class Where:
    """What a failing request was about, for the message: the spreadsheet, the account, the phase."""

    spreadsheet_id: str
    account: str | None
    writing: bool
    tries: int

    @property
    def outcome(self) -> str:
        if self.writing:
            return "the store is saved and the next sync writes the sheet again"
        return "nothing was changed"

    @property
    def share_with(self) -> str:
        return self.account or "the account clinicops uses"


def explain(exc: BaseException, where: Where) -> BackendError:
    """One sentence for a request that failed for good."""
    sid = where.spreadsheet_id
    if isinstance(exc, requests.RequestException):
        return BackendError(
            f"Could not reach Google Sheets for spreadsheet {sid} after {where.tries} tries "
            f"({exc.__class__.__name__}); check the network connection and sync again — {where.outcome}."
        )
    if not isinstance(exc, APIError):
        return BackendError(f"Google Sheets failed for spreadsheet {sid}: {exc}; {where.outcome}.")
    error = _error(exc)
    code = exc.code
    status = error.get("status") or ""
    message = str(error.get("message") or "").strip().rstrip(".")
    if is_rate_limit(exc):
        return BackendError(
            f"Google Sheets kept refusing spreadsheet {sid} for exceeding its request quota "
            f"({code} {status}) after {where.tries} tries; wait a minute and sync again — {where.outcome}."
        )
    if code == 403:
        return BackendError(
            f"Google Sheets denied access to spreadsheet {sid} (403 {status}): share it with "
            f"{where.share_with} as an editor, then sync again — {where.outcome}."
        )
    if code == 404:
        return BackendError(
            f"Google Sheets has no spreadsheet {sid} (404 {status}): check backend.spreadsheet_id in "
            "practice.toml (the id between /d/ and /edit in the sheet's address) and that the sheet is "
            f"shared with {where.share_with} — {where.outcome}."
        )
    if code == 401:
        return BackendError(
            f"Google Sheets did not accept the credentials for spreadsheet {sid} (401 {status}): the "
            f"service account key may be revoked; create a new key and sync again — {where.outcome}."
        )
    if code == 400 and message.startswith("Unable to parse range"):
        return RangeNotFound(
            f"Google Sheets could not find a tab in spreadsheet {sid} ({message}): was a tab renamed or "
            f"deleted during the sync? Sync again — {where.outcome}."
        )
    if code in RETRY_STATUSES:
        return BackendError(
            f"Google Sheets failed on spreadsheet {sid} ({code} {status}: {message}) after {where.tries} "
            f"tries; sync again later — {where.outcome}."
        )
    return BackendError(
        f"Google Sheets refused a request on spreadsheet {sid} ({code} {status}: {message}); "
        f"check that nobody changed the tabs' layout during the sync and sync again — {where.outcome}."
    )
