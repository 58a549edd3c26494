"""Where the fleet lives and how it paces itself, from the environment (each a ``CLINICOPS_`` variable).

A worker, the beat and the ``clinicops fleet`` commands must agree on these, and they run
on different machines under a process manager: the environment is what they share.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from clinicops.core.errors import ClinicopsError

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class FleetError(ClinicopsError, RuntimeError):
    """The fleet cannot do what was asked; the message says why and what to do."""


@dataclass(frozen=True)
class FleetSettings:
    redis_url: str
    fleet: str  # the name of this fleet: its keys and queue in Redis
    tick_seconds: float  # how often the beat looks for what is due
    lock_seconds: float  # a practice's lock lapses this long after its holder stops renewing it
    visibility_seconds: float  # a task a dead worker took is delivered again after this long

    @property
    def prefix(self) -> str:
        return f"clinicops:{self.fleet}"

    @property
    def queue(self) -> str:
        return f"clinicops.{self.fleet}"


def from_environment(redis_url: str | None = None, fleet: str | None = None) -> FleetSettings:
    env = os.environ
    name = fleet or env.get("CLINICOPS_FLEET", "default")
    if not _NAME.match(name):
        raise FleetError(f"CLINICOPS_FLEET: '{name}' is not a fleet name (letters, digits, . _ -, at most 64)")
    return FleetSettings(
        redis_url=redis_url or env.get("CLINICOPS_REDIS_URL", "redis://127.0.0.1:6379/0"),
        fleet=name,
        tick_seconds=_seconds("CLINICOPS_FLEET_TICK_SECONDS", 30),
        lock_seconds=_seconds("CLINICOPS_FLEET_LOCK_SECONDS", 60),
        visibility_seconds=_seconds("CLINICOPS_FLEET_VISIBILITY_SECONDS", 3600),
    )


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise FleetError(f"{name}: '{raw}' is not a number of seconds") from None
    if value <= 0:
        raise FleetError(f"{name}: must be more than 0 seconds")
    return value
