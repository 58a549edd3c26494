"""Airtable's rate limits as a pure policy: a sliding one-second window and a penalty."""

from __future__ import annotations

import pytest

from clinicops.connectors.emulators.airtable import FakeClock
from clinicops.connectors.emulators.airtable.ratelimit import RateLimiter


def test_five_requests_per_second_per_base_then_refused() -> None:
    limiter = RateLimiter(per_base_rps=5, per_token_rps=50, penalty_seconds=30)
    admitted = [limiter.admit("appA", "tok", 0.1 * n) for n in range(6)]
    assert admitted == [True] * 5 + [False]


def test_the_oldest_request_leaves_the_window_after_exactly_one_second() -> None:
    limiter = RateLimiter(per_base_rps=5, per_token_rps=None, penalty_seconds=30)
    assert all(limiter.admit("appA", "tok", moment) for moment in (0.0, 0.25, 0.5, 0.75, 0.875))
    assert limiter.admit("appA", "tok", 1.0)
    assert not limiter.admit("appA", "tok", 1.0)


def test_the_penalty_refuses_everything_for_its_length_and_is_not_extended() -> None:
    limiter = RateLimiter(per_base_rps=1, per_token_rps=None, penalty_seconds=30)
    assert limiter.admit("appA", "tok", 0.0)
    assert not limiter.admit("appA", "tok", 0.5)
    assert not limiter.admit("appA", "tok", 20.0)
    assert not limiter.admit("appA", "tok", 30.49)
    assert limiter.admit("appA", "tok", 30.5)


def test_bases_are_limited_separately_and_tokens_across_bases() -> None:
    limiter = RateLimiter(per_base_rps=5, per_token_rps=8, penalty_seconds=30)
    assert all(limiter.admit("appA", "tok", 0.0) for _ in range(5))
    assert all(limiter.admit("appB", "tok", 0.0) for _ in range(3))
    assert not limiter.admit("appC", "tok", 0.0)
    assert not limiter.admit("appD", "tok", 10.0)
    assert limiter.admit("appD", "other", 10.0)


def test_requests_without_a_base_count_only_against_the_token() -> None:
    limiter = RateLimiter(per_base_rps=1, per_token_rps=3, penalty_seconds=30)
    assert all(limiter.admit(None, "tok", 0.0) for _ in range(3))
    assert not limiter.admit(None, "tok", 0.0)


def test_switched_off_limits_admit_everything_but_a_forced_penalty_still_holds() -> None:
    limiter = RateLimiter(per_base_rps=None, per_token_rps=None, penalty_seconds=30)
    assert all(limiter.admit("appA", "tok", 0.0) for _ in range(1000))
    limiter.penalize("appA", "tok", 1.0)
    assert not limiter.admit("appA", "tok", 30.9)
    assert limiter.admit("appB", "tok", 2.0)
    assert limiter.admit("appA", "tok", 31.0)


def test_fake_clock_moves_only_forward() -> None:
    clock = FakeClock(start=5.0)
    clock.advance(2.5)
    assert clock() == 7.5
    with pytest.raises(ValueError):
        clock.advance(-1)
