"""The fleet's shared state in Redis: which practices it runs, and how each one's syncs went.

Every worker, the beat and the ``clinicops fleet`` commands read and write the same keys
(``clinicops:<fleet>:…``), so a practice added on one machine is scheduled by the beat and
synced by any worker at once, without a restart. Times the fleet measures for itself (queue
wait, syncs per minute) come from the Redis server's clock, the one clock all machines
share; what a sync did and when, in the practice's terms, comes from the practice's clock.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from clinicops.core.config import load_config
from clinicops.core.fleet.settings import FleetError, FleetSettings

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class Fleet:
    """The fleet's keys in Redis."""

    def __init__(self, settings: FleetSettings) -> None:
        import redis

        self.settings = settings
        self.redis = redis.Redis.from_url(settings.redis_url, decode_responses=True)

    def key(self, *parts: str) -> str:
        return ":".join((self.settings.prefix, *parts))

    def now(self) -> float:
        """Seconds since the epoch by the Redis server's clock (shared by every machine of the fleet)."""
        seconds, micros = self.redis.time()
        return seconds + micros / 1e6

    # the practices ------------------------------------------------------------

    def add(self, folder: Path, name: str | None = None) -> str:
        """Register the practice in ``folder`` (its practice.toml is checked first); returns its name."""
        config = load_config(folder)
        name = name or config.root.name
        if not _NAME.match(name):
            raise FleetError(f"'{name}' is not a practice name the fleet uses (letters, digits, . _ -); pass --name")
        for other, path in self.practices().items():
            if other == name and Path(path) != config.root:
                raise FleetError(f"The fleet already has a practice named {name} (in {path}); pass another --name")
            if other != name and _same_store(config, Path(path)):
                raise FleetError(
                    f"{config.root} keeps its store where {other} does; give it a [store] schema of its own"
                )
        self.redis.hset(self.key("practices"), name, json.dumps({"path": str(config.root)}))
        return name

    def remove(self, name: str) -> bool:
        removed = bool(self.redis.hdel(self.key("practices"), name))
        self.redis.delete(self.key("status", name), self.key("last_look", name), self.key("queued", name))
        return removed

    def practices(self) -> dict[str, str]:
        """Name -> practice folder, for every practice of the fleet."""
        raw = self.redis.hgetall(self.key("practices"))
        return {name: json.loads(value)["path"] for name, value in sorted(raw.items())}

    # what happened ----------------------------------------------------------

    def record(self, name: str, fields: dict[str, Any]) -> None:
        self.redis.hset(self.key("status", name), mapping={k: json.dumps(v) for k, v in fields.items()})

    def finished(self, name: str, ok: bool) -> None:
        """Count one sync (the fleet's syncs per minute) and, if it failed, one failure."""
        now = self.now()
        pipe = self.redis.pipeline()
        pipe.zadd(self.key("done"), {f"{name}:{now:.6f}": now})
        pipe.zremrangebyscore(self.key("done"), 0, now - 3600)
        if not ok:
            pipe.incr(self.key("failures"))
        pipe.execute()

    def status(self, name: str) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.redis.hgetall(self.key("status", name)).items()}

    def summary(self) -> dict[str, Any]:
        now = self.now()
        return {
            "fleet": self.settings.fleet,
            "practices": len(self.practices()),
            "syncs_last_minute": self.redis.zcount(self.key("done"), now - 60, now),
            "failures": int(self.redis.get(self.key("failures")) or 0),
            "rate_limited": int(self.redis.get(self.key("rate_limited")) or 0),
            "queued": self.redis.llen(self.settings.queue),
            # sync requests a worker handled: "synced" ran one or more syncs, "coalesced" was
            # served by the sync that held the practice's lock
            "requests": {k: int(v) for k, v in self.redis.hgetall(self.key("requests")).items()},
        }


def _same_store(config: Any, other_folder: Path) -> bool:
    try:
        other = load_config(other_folder)
    except Exception:
        return False
    return (config.store_url, config.store_schema) == (other.store_url, other.store_schema)
