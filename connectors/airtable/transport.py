"""The HTTP session pyairtable sends through: paced, counted, and patient with Airtable.

pyairtable sends every request through ``Api.session``; giving it this session (rather
than patching the client) adds, for every call:

- a slot from the base's token bucket before sending, so normal operation never meets a 429
  (and from the fleet's shared limiter, :mod:`clinicops.connectors.quota`, when one is installed);
- a 429 that still comes (another client on the same base, a clock far off) is what
  Airtable documents it to be — 30 seconds in which the base refuses everything — so the
  session holds the bucket shut for the penalty and sends the same request again. A 429
  means Airtable did nothing, so the retry is safe for every method;
- 502/503/504 are retried with exponential backoff and jitter (Airtable's advice for
  ``SERVICE_UNAVAILABLE``); a dropped connection is retried for reads only, because a
  write may have landed before the connection dropped;
- counts of requests by kind, 429s and 5xx answers, and the time spent waiting, for
  ``sync --json``.

pyairtable's own retry adapter is switched off (it sleeps ~3 s on a 429 and gives up).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception, retry_if_result, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from .. import quota
from .pacing import TokenBucket

#: Airtable's penalty after a 429, in seconds.
PENALTY_SECONDS = 30.0
#: Answers that mean "try again later"; Airtable did not apply the request.
RETRIABLE_STATUS = frozenset({502, 503, 504})


@dataclass
class CallStats:
    """What one session did; ``rate_limit_wait_s`` includes the 30 s penalties."""

    requests: int = 0
    reads: int = 0
    writes: int = 0
    meta: int = 0
    http_429: int = 0
    http_5xx: int = 0
    retries: int = 0
    rate_limit_wait_s: float = 0.0
    backoff_wait_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["rate_limit_wait_s"] = round(self.rate_limit_wait_s, 3)
        out["backoff_wait_s"] = round(self.backoff_wait_s, 3)
        return out


def request_kind(method: str, url: str) -> str:
    """``meta`` (schema), ``read`` (listing records) or ``write``."""
    if "/v0/meta/" in url:
        return "meta"
    path = url.split("?", 1)[0]
    if method.upper() == "GET" or path.endswith("/listRecords"):
        return "read"
    return "write"


class PacedSession(requests.Session):
    """A ``requests.Session`` for pyairtable that paces, retries and counts every call."""

    def __init__(
        self,
        bucket: TokenBucket,
        *,
        penalty_seconds: float = PENALTY_SECONDS,
        max_penalties: int = 4,
        attempts: int = 6,
        base_id: str = "",
        token_key: str = "",
    ) -> None:
        super().__init__()
        self.bucket = bucket
        self.base_id = base_id
        self.token_key = token_key
        self.penalty_seconds = penalty_seconds
        self.max_penalties = max_penalties
        self.attempts = attempts
        self.stats = CallStats()

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        verb = method.decode() if isinstance(method, bytes) else method
        target = url.decode() if isinstance(url, bytes) else url
        reading = verb.upper() == "GET" or request_kind(verb, target) == "read"
        retrying = Retrying(
            retry=retry_if_result(lambda r: r.status_code in RETRIABLE_STATUS)
            | retry_if_exception(lambda e: reading and isinstance(e, requests.ConnectionError | requests.Timeout)),
            wait=wait_exponential_jitter(initial=1, max=32, jitter=1),
            stop=stop_after_attempt(self.attempts),
            sleep=self._back_off,
            before_sleep=self._count_retry,
            retry_error_callback=_last_outcome,
        )
        return retrying(self._send_through_penalties, verb, target, *args, **kwargs)

    def _send_through_penalties(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        penalties = 0
        while True:
            self.stats.rate_limit_wait_s += self.bucket.acquire()
            self.stats.rate_limit_wait_s += quota.before_request("airtable", base=self.base_id, token=self.token_key)
            response = super().request(method, url, *args, **kwargs)
            self.stats.requests += 1
            counter = _counter(request_kind(method, url))
            setattr(self.stats, counter, getattr(self.stats, counter) + 1)
            if response.status_code in RETRIABLE_STATUS:
                self.stats.http_5xx += 1
            if response.status_code != 429:
                return response
            self.stats.http_429 += 1
            quota.refused("airtable")
            penalties += 1
            if penalties > self.max_penalties:
                return response
            self.stats.retries += 1
            self.bucket.penalize(self.penalty_seconds)

    def _back_off(self, seconds: float) -> None:
        self.stats.backoff_wait_s += seconds
        self.bucket.sleep(seconds)

    def _count_retry(self, state: RetryCallState) -> None:
        self.stats.retries += 1


def _counter(kind: str) -> str:
    return "meta" if kind == "meta" else f"{kind}s"


def _last_outcome(state: RetryCallState) -> Any:
    """When retries run out, hand back the last answer (or raise its error) as it was."""
    assert state.outcome is not None
    return state.outcome.result()
