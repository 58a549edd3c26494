"""Times as people in the practice read them: its own zone, with the zone's abbreviation.

The store and ``--json`` keep UTC ISO 8601; only what a person reads goes through here,
so a New York office sees ``2026-12-06 20:03 EST`` for ``2026-12-07T01:03:53.094345Z``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def parse_utc(value: str | datetime) -> datetime:
    """A stored timestamp (ISO 8601, ``Z`` or an offset; naive means UTC) as an aware datetime."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def shown(value: str | datetime | None, zone: ZoneInfo) -> str:
    """``2026-12-06 20:03 EST``: minutes are what people read; an unreadable value as it is."""
    if value is None or value == "":
        return ""
    try:
        moment = parse_utc(value).astimezone(zone)
    except ValueError:
        return str(value)
    return moment.strftime("%Y-%m-%d %H:%M %Z")
