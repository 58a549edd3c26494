"""Airtable's rate limits: 5 requests per second per base, 50 per second per token.

A request over either limit is answered 429, and from then on every request to that base
(or with that token) is answered 429 until the penalty — 30 seconds, per Airtable's docs —
has passed. Requests refused during the penalty do not extend it, and only admitted
requests count toward the sliding one-second window.
"""

from __future__ import annotations

from collections import deque

#: A limited thing: ("base", base id) or ("token", token).
Key = tuple[str, str]


class SlidingWindow:
    """Counts admitted requests per key over the last ``window`` seconds."""

    def __init__(self, limit: int, window: float = 1.0) -> None:
        self.limit = limit
        self.window = window
        self._times: dict[Key, deque[float]] = {}

    def _recent(self, key: Key, now: float) -> deque[float]:
        times = self._times.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def is_full(self, key: Key, now: float) -> bool:
        """Whether one more request now would exceed the limit."""
        return len(self._recent(key, now)) >= self.limit

    def record(self, key: Key, now: float) -> None:
        """Count an admitted request."""
        self._recent(key, now).append(now)


class RateLimiter:
    """Both Airtable limits and their penalty; ``None`` for a limit switches it off."""

    def __init__(
        self,
        per_base_rps: int | None,
        per_token_rps: int | None,
        penalty_seconds: float,
    ) -> None:
        self.penalty_seconds = penalty_seconds
        self._windows: dict[str, SlidingWindow | None] = {
            "base": SlidingWindow(per_base_rps) if per_base_rps else None,
            "token": SlidingWindow(per_token_rps) if per_token_rps else None,
        }
        self._penalized_until: dict[Key, float] = {}

    @staticmethod
    def _keys(base_id: str | None, token: str) -> list[Key]:
        keys: list[Key] = [("base", base_id)] if base_id is not None else []
        keys.append(("token", token))
        return keys

    def _in_penalty(self, key: Key, now: float) -> bool:
        until = self._penalized_until.get(key)
        if until is None:
            return False
        if now >= until:
            del self._penalized_until[key]
            return False
        return True

    def admit(self, base_id: str | None, token: str, now: float) -> bool:
        """Count the request and say whether it may proceed (False means answer 429)."""
        keys = self._keys(base_id, token)
        if any(self._in_penalty(key, now) for key in keys):
            return False
        for key in keys:
            window = self._windows[key[0]]
            if window is not None and window.is_full(key, now):
                self._penalized_until[key] = now + self.penalty_seconds
                return False
        for key in keys:
            window = self._windows[key[0]]
            if window is not None:
                window.record(key, now)
        return True

    def penalize(self, base_id: str | None, token: str, now: float) -> None:
        """Start the penalty a 429 brings: for the base if the request named one, else
        for the token. Used for forced 429s, so they behave exactly like real ones —
        also when the limits themselves are switched off."""
        key = self._keys(base_id, token)[0]
        self._penalized_until[key] = now + self.penalty_seconds
