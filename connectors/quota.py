"""Quotas shared beyond this process: a gate every Sheets and Airtable request passes first.

A practice on its own paces itself (the Airtable token bucket, Sheets' retries), which is
enough when it is the only client of its service account or base. Many practices on many
machines share one Google service account (300 reads and 300 writes a minute per project,
60 of each a minute per user) and Airtable bases and tokens (5 requests a second per base,
50 per token over all the bases it reaches): then
only a limiter all of them draw from keeps every request inside the quota. The fleet
installs one (Redis-backed, see clinicops.core.fleet.quota); without one installed the
gate costs nothing.

The connectors name what a request draws on, never how it is counted:
``before_request("sheets", kind="read", project=..., user=...)`` or
``before_request("airtable", base=..., token=...)`` (a digest of the token, never the
token), and report a 429 that still came with :func:`refused`.
"""

from __future__ import annotations

import threading
from typing import Protocol


class QuotaGate(Protocol):
    def wait(self, service: str, scope: dict[str, str]) -> float:
        """Block until a request in ``scope`` fits every quota it draws on; the seconds waited."""

    def refused(self, service: str) -> None:
        """Count a 429 that came anyway."""


_gate: QuotaGate | None = None
_lock = threading.Lock()


def install(gate: QuotaGate | None) -> None:
    """Every request of this process passes ``gate`` from now on (None: no shared quota)."""
    global _gate
    with _lock:
        _gate = gate


def before_request(service: str, **scope: str) -> float:
    gate = _gate
    return gate.wait(service, scope) if gate is not None else 0.0


def refused(service: str) -> None:
    gate = _gate
    if gate is not None:
        gate.refused(service)


def google_project(account: str | None) -> str:
    """The Google Cloud project of a service account (``name@project.iam.gserviceaccount.com``)."""
    if account and account.endswith(".iam.gserviceaccount.com") and "@" in account:
        return account.split("@", 1)[1].split(".", 1)[0]
    return "default"
