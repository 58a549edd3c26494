"""The reminders plugin's ``[plugins.reminders]`` settings: their schema and a typed view of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

HHMM = r"([01]\d|2[0-3]):[0-5]\d"

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "offsets_hours": {
            "type": "array",
            "items": {"type": "number", "exclusiveMinimum": 0, "maximum": 24 * 14},
            "minItems": 1,
            "default": [48, 2],
            "description": "Hours before the appointment at which a reminder goes out.",
        },
        "quiet_hours": {
            "type": "string",
            "pattern": f"^({HHMM}-{HHMM})?$",
            "default": "21:00-08:00",
            "description": "Hours with no messages where the patient is (TCPA: 8 a.m. to 9 p.m. at their location); "
            "a reminder due then waits for the end.",
        },
        "check_every_minutes": {"type": "integer", "minimum": 1, "maximum": 60, "default": 5},
        "fallback": {
            "type": "boolean",
            "default": True,
            "description": "Use another consented channel when the preferred one cannot be used.",
        },
        "include_type": {
            "type": "boolean",
            "default": True,
            "description": "Name the kind of visit (follow-up, telehealth…) in the message.",
        },
        "practice_phone": {"type": "string", "default": "", "description": "The number patients call to cancel."},
        "templates_dir": {
            "type": "string",
            "default": "templates",
            "description": "Folder (relative to the practice) with reminder_sms.j2, reminder_email.j2, "
            "reminder_email_subject.j2 overriding the built-in wording.",
        },
        "max_attempts": {"type": "integer", "minimum": 1, "maximum": 50, "default": 5},
        "stuck_after_minutes": {"type": "integer", "minimum": 1, "default": 15},
        "no_show_threshold": {"type": "integer", "minimum": 1, "default": 3},
        "no_show_window_days": {"type": "integer", "minimum": 1, "default": 365},
        "overdue_after_minutes": {
            "type": "integer",
            "minimum": 0,
            "default": 60,
            "description": "Minutes after an appointment's end before one still scheduled/confirmed is flagged.",
        },
        "rate_weeks": {"type": "integer", "minimum": 1, "maximum": 104, "default": 6},
        "sms_max_chars": {
            "type": "integer",
            "minimum": 0,
            "default": 160,
            "description": "Longest reminder text, in characters (one SMS segment; FCC 15-72 asks for concise "
            "messages); a longer one is shortened. 0: no limit.",
        },
    },
}


@dataclass(frozen=True)
class Settings:
    offsets: tuple[dt.timedelta, ...]  # largest first
    quiet: tuple[dt.time, dt.time] | None
    check_every_minutes: int
    fallback: bool
    include_type: bool
    practice_phone: str
    templates_dir: str
    max_attempts: int
    stuck_after: dt.timedelta
    no_show_threshold: int
    no_show_window: dt.timedelta
    overdue_after: dt.timedelta
    rate_weeks: int
    sms_max_chars: int

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Settings:
        quiet = None
        if raw["quiet_hours"]:
            start, end = raw["quiet_hours"].split("-")
            quiet = (dt.time.fromisoformat(start), dt.time.fromisoformat(end))
        return cls(
            offsets=tuple(sorted({dt.timedelta(minutes=round(h * 60)) for h in raw["offsets_hours"]}, reverse=True)),
            quiet=quiet,
            check_every_minutes=raw["check_every_minutes"],
            fallback=raw["fallback"],
            include_type=raw["include_type"],
            practice_phone=raw["practice_phone"],
            templates_dir=raw["templates_dir"],
            max_attempts=raw["max_attempts"],
            stuck_after=dt.timedelta(minutes=raw["stuck_after_minutes"]),
            no_show_threshold=raw["no_show_threshold"],
            no_show_window=dt.timedelta(days=raw["no_show_window_days"]),
            overdue_after=dt.timedelta(minutes=raw["overdue_after_minutes"]),
            rate_weeks=raw["rate_weeks"],
            sms_max_chars=raw["sms_max_chars"],
        )

    @property
    def horizon(self) -> dt.timedelta:
        """How far back the ledger matters: the longest offset, plus a day for late retries."""
        return self.offsets[0] + dt.timedelta(days=1)
