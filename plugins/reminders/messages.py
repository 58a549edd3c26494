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

Concise texts: the FCC's 2015 healthcare exemption (FCC 15-72, 47 CFR 64.1200(a)(9)(iv))
asks that healthcare messages be concise, generally one message of 160 characters or
fewer. A reminder text is kept within ``sms_max_chars`` (160): when the practice's wording
(or the built-in one, with a long practice or provider name) is longer, the compact
built-in form is sent, and if even that is too long its middle is cut, never the opt-out
instruction at its end. A practice template that is too long on the sample gets an alert.
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
        "{{ practice.name }}: reminder of your {{ appointment.kind }} with {{ provider.name }}, "
        "{{ appointment.short_when }}. {{ short_instruction }} Reply STOP to opt out."
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


def short_instruction(practice_phone: str) -> str:
    return f"To change it, call {practice_phone}." if practice_phone else "To change it, call the office."


def short_when(start: dt.datetime, tz: ZoneInfo) -> str:
    """``Wed Nov 25, 2:30 PM EST``: the date and time in as few characters as people still read."""
    local = start.astimezone(tz)
    time = f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
    return (
        f"{WEEKDAYS[local.weekday()][:3]} {MONTHS[local.month - 1][:3]} {local.day}, {time} {local.tzname() or tz.key}"
    )


def fit(text: str, limit: int, tail: str = "Reply STOP to opt out.") -> str:
    """The text cut to ``limit`` characters in its middle, keeping its opt-out instruction whole."""
    if not limit or len(text) <= limit:
        return text
    body = text.removesuffix(tail).rstrip()
    keep = limit - len(tail) - 2 if text.endswith(tail) else limit - 1
    return body[: max(keep, 0)].rstrip() + "… " + tail if text.endswith(tail) else body[:keep].rstrip() + "…"


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
            "short_when": short_when(start, tz),
            "kind": kind,
            "type": appointment.get("type", "") if include_type else "",
            "duration_min": appointment.get("duration_min") or "",
        },
        "instruction": instruction(practice_phone),
        "short_instruction": short_instruction(practice_phone),
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
        "short_when": "Mon Jan 4, 9:00 AM EST",
        "kind": "follow-up visit",
        "type": "follow-up",
        "duration_min": 30,
    },
    "instruction": instruction("(555) 555-0100"),
    "short_instruction": short_instruction("(555) 555-0100"),
    "channel": "sms",
}
COMPACT_SMS = (
    "{{ practice.name }}: appointment {{ appointment.short_when }}. {{ short_instruction }} Reply STOP to opt out."
)


class Templates:
    """The practice's reminder templates, each falling back to the built-in one if it fails."""

    def __init__(self, folder: Path, sms_max_chars: int = 160) -> None:
        self.folder = folder
        self.sms_max_chars = sms_max_chars
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
                text = _env.from_string(source).render(SAMPLE)
            except TemplateError as exc:
                out[name] = f"{type(exc).__name__}: {exc}"
                continue
            length = len(" ".join(text.split()))
            if name == "reminder_sms" and self.sms_max_chars and length > self.sms_max_chars:
                out[name] = (
                    f"it is {length} characters on the sample, over the {self.sms_max_chars} a reminder text may "
                    "have; the compact built-in text goes out instead when it is too long"
                )
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
            return Rendered(subject="", body=self.sms(ctx))
        return Rendered(
            subject=" ".join(self.render("reminder_email_subject", ctx).split()),
            body=self.render("reminder_email", ctx) + "\n",
        )

    def sms(self, ctx: dict[str, Any]) -> str:
        """The reminder text, within ``sms_max_chars``: the practice's or built-in wording, else the compact form."""
        text = " ".join(self.render("reminder_sms", ctx).split())
        limit = self.sms_max_chars
        if not limit or len(text) <= limit:
            return text
        compact = " ".join(_env.from_string(COMPACT_SMS).render(ctx).split())
        return fit(compact, limit)
