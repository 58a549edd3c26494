"""The words of a reminder: built-in templates, per-practice overrides, a sandbox, minimum PHI.

A practice rewords its reminders with jinja2 files in its templates folder
(``reminder_sms.j2``, ``reminder_email.j2``, ``reminder_email_subject.j2``). They render in
jinja2's immutable sandbox with strict undefined names, so a template can neither reach
Python internals (``''.__class__``) nor change anything, and a typo is an error rather than
a silent blank. A template that fails is not used: the built-in wording goes out instead
and an alert tells the manager what to fix.

Minimum necessary: the context holds the practice, the provider, the local date and time,
the kind of visit (only if ``include_type``) and the instruction; the reason for the
visit, diagnoses and the patient's details are simply not there to print.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

NAMES = ("reminder_sms", "reminder_email_subject", "reminder_email")

BUILT_IN = {
    "reminder_sms": (
        "{{ practice.name }}: reminder of your {{ appointment.kind }} with {{ provider.name }} on "
        "{{ appointment.when }}. {{ instruction }} Reply STOP to opt out."
    ),
    "reminder_email_subject": "Appointment reminder: {{ appointment.when }}",
    "reminder_email": (
        "Hello,\n\n"
        "This is a reminder of your {{ appointment.kind }} with {{ provider.name }} at {{ practice.name }}:\n\n"
        "    {{ appointment.when }}\n"
        "{% if appointment.duration_min %}    ({{ appointment.duration_min }} minutes)\n{% endif %}"
        "\n{{ instruction }}\n\n"
        "If you no longer want appointment reminders, please let the front desk know.\n\n"
        "{{ practice.name }}\n"
    ),
}

TYPE_PHRASES = {
    "new": "new-patient visit",
    "follow-up": "follow-up visit",
    "annual": "annual visit",
    "telehealth": "telehealth (video) visit",
    "procedure": "procedure visit",
    "urgent": "visit",
}
DOCTORS = ("MD", "DO")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def local_when(start: dt.datetime, tz: ZoneInfo) -> dict[str, str]:
    """The appointment's wall-clock date and time where the practice is, in words (DST-correct)."""
    local = start.astimezone(tz)
    date = f"{WEEKDAYS[local.weekday()]}, {MONTHS[local.month - 1]} {local.day}, {local.year}"
    time = f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
    zone = local.tzname() or tz.key
    return {"date": date, "time": time, "zone": zone, "when": f"{date} at {time} {zone}"}


def provider_name(provider: dict[str, Any] | None) -> str:
    if not provider:
        return "your provider"
    name = " ".join(p for p in (provider.get("first_name"), provider.get("last_name")) if p)
    credentials = (provider.get("credentials") or "").strip()
    if credentials.upper() in DOCTORS:
        return f"Dr. {name}"
    return f"{name}, {credentials}" if credentials else name


def instruction(practice_phone: str) -> str:
    where = f"call us at {practice_phone}" if practice_phone else "call the office"
    return f"To confirm, cancel or reschedule, {where}."


def context(
    *,
    practice_name: str,
    practice_phone: str,
    appointment: dict[str, Any],
    start: dt.datetime,
    tz: ZoneInfo,
    provider: dict[str, Any] | None,
    include_type: bool,
    channel: str,
) -> dict[str, Any]:
    """Everything a template may print, and nothing more."""
    kind = TYPE_PHRASES.get(appointment.get("type") or "", "appointment") if include_type else "appointment"
    return {
        "practice": {"name": practice_name, "phone": practice_phone},
        "provider": {"name": provider_name(provider)},
        "appointment": {
            **local_when(start, tz),
            "kind": kind,
            "type": appointment.get("type", "") if include_type else "",
            "duration_min": appointment.get("duration_min") or "",
        },
        "instruction": instruction(practice_phone),
        "channel": channel,
    }


SAMPLE = {
    "practice": {"name": "Sample Practice", "phone": "(555) 555-0100"},
    "provider": {"name": "Dr. Sample Provider"},
    "appointment": {
        "date": "Monday, January 4, 2027",
        "time": "9:00 AM",
        "zone": "EST",
        "when": "Monday, January 4, 2027 at 9:00 AM EST",
        "kind": "follow-up visit",
        "type": "follow-up",
        "duration_min": 30,
    },
    "instruction": instruction("(555) 555-0100"),
    "channel": "sms",
}


class Templates:
    """The practice's reminder templates, each falling back to the built-in one if it fails."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.overrides: dict[str, str] = {}
        for name in NAMES:
            path = folder / f"{name}.j2"
            if path.is_file():
                self.overrides[name] = path.read_text(encoding="utf-8")

    def problems(self) -> dict[str, str]:
        """name -> why the practice's template cannot be used (checked against a sample)."""
        out = {}
        for name, source in self.overrides.items():
            try:
                _env.from_string(source).render(SAMPLE)
            except TemplateError as exc:
                out[name] = f"{type(exc).__name__}: {exc}"
        return out

    def render(self, name: str, ctx: dict[str, Any]) -> str:
        source = self.overrides.get(name)
        if source is not None:
            try:
                return _env.from_string(source).render(ctx).strip()
            except TemplateError:
                pass
        return _env.from_string(BUILT_IN[name]).render(ctx).strip()

    def message(self, channel: str, ctx: dict[str, Any]) -> Rendered:
        if channel == "sms":
            return Rendered(subject="", body=" ".join(self.render("reminder_sms", ctx).split()))
        return Rendered(
            subject=" ".join(self.render("reminder_email_subject", ctx).split()),
            body=self.render("reminder_email", ctx) + "\n",
        )
