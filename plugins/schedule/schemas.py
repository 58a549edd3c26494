"""The schedule plugin's columns and tabs.

- On **Appointments**, staff columns the plugin adds: the room, and the patient-flow
  times (checked in, roomed, seen by the provider, checked out), each optional.
- **Provider hours**, kept by staff: a provider's working hours per weekday, one row per
  block (two rows for a day with a lunch break).
- **Patient flow**, rebuilt every sync: per provider and week, open and booked hours,
  utilisation, visits, median wait and cycle times.
"""

from __future__ import annotations

from typing import Any

SCHEMA = "https://json-schema.org/draft/2020-12/schema"
TEXT = {"type": "string"}
MOMENT = {"type": "string", "format": "date-time"}
CLOCK = {"type": "string", "pattern": r"^([01]?\d|2[0-3]):[0-5]\d(:00)?$"}
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _f(kind: dict[str, Any], title: str, **extra: Any) -> dict[str, Any]:
    return {**kind, "x-title": title, **extra}


def _owned(kind: dict[str, Any], title: str) -> dict[str, Any]:
    return {**kind, "x-title": title, "x-owner": "plugin"}


def appointment_flow() -> dict[str, Any]:
    return {
        "title": "appointment",
        "properties": {
            "room": _f(TEXT, "Room", **{"x-header-aliases": ["Exam room"]}),
            "checked_in_at": _f(MOMENT, "Checked in", **{"x-header-aliases": ["Check-in", "Arrived"]}),
            "roomed_at": _f(MOMENT, "Roomed", **{"x-header-aliases": ["In room"]}),
            "seen_at": _f(MOMENT, "Seen by provider", **{"x-header-aliases": ["Seen", "Provider in"]}),
            "checked_out_at": _f(MOMENT, "Checked out", **{"x-header-aliases": ["Check-out", "Left"]}),
        },
    }


def provider_hours() -> dict[str, Any]:
    aliases = dict(zip(DAY_NAMES, DAYS, strict=True)) | {"tues": "tue", "thur": "thu", "thurs": "thu"}
    return {
        "$schema": SCHEMA,
        "title": "provider_hours",
        "description": "When each provider works: one row per weekday and block of hours.",
        "type": "object",
        "x-title": "Provider hours",
        "x-tab-aliases": ["Hours", "Working hours", "Provider schedule"],
        "x-primary-key": "id",
        "x-id-prefix": "PH",
        "properties": {
            "id": _f(TEXT, "ID", description="Assigned by clinicops when left blank; never reuse or edit it."),
            "provider_id": _f(TEXT, "Provider", **{"x-ref": "provider"}),
            "day": _f(TEXT, "Day", enum=DAYS, **{"x-aliases": aliases, "x-header-aliases": ["Weekday"]}),
            "start": _f(CLOCK, "From", description="24-hour clock, e.g. 08:00", **{"x-header-aliases": ["Start"]}),
            "end": _f(CLOCK, "To", description="24-hour clock, e.g. 17:00", **{"x-header-aliases": ["End", "Until"]}),
        },
        "required": ["id", "provider_id", "day", "start", "end"],
        "additionalProperties": False,
    }


def patient_flow() -> dict[str, Any]:
    number = {"type": "number"}
    count = {"type": "integer", "minimum": 0}
    return {
        "$schema": SCHEMA,
        "title": "flow_week",
        "description": "Utilisation and patient flow per provider and week; rebuilt by the schedule plugin every sync.",
        "type": "object",
        "x-title": "Patient flow",
        "x-primary-key": "id",
        "x-id-prefix": "FLW",
        "properties": {
            "id": _owned(TEXT, "Line"),
            "week": _owned(TEXT, "Week of"),
            "provider": _owned(TEXT, "Provider"),
            "open_hours": _owned(number, "Open hours"),
            "booked_hours": _owned(number, "Booked hours"),
            "utilisation": _owned(number, "Utilisation %"),
            "visits": _owned(count, "Visits"),
            "median_wait": _owned(number, "Median wait (min)"),
            "median_cycle": _owned(number, "Median cycle (min)"),
        },
        "required": ["id", "week", "provider"],
        "additionalProperties": False,
    }
