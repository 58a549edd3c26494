"""Appointment reminders and no-show tracking.

Reminders go out at configured offsets before each appointment (48 h and 2 h by default),
by the patient's preferred channel and only with their consent, never during quiet hours
where the patient is (8 a.m. to 9 p.m. in their own time zone, from their address's state,
else their phone's area code, else the practice's: 47 CFR 64.1200(c)(1); an alert shows a
reminder held back by them), texts within 160 characters (FCC 15-72's concise messages),
never to a cancelled or finished appointment, and never twice for the same appointment,
start time and offset: see :mod:`.ledger` for the at-most-once outbox and :mod:`.planning`
for the rules. Channels (email, SMS) are other plugins, found through ``register_channels``.
A patient who revokes consent by text (STOP, or any of the ways the FCC's 2024 order
recognises) is turned to ``reminder_consent = none`` by the SMS plugin; staff can set the
same in the sheet; both are honoured from the next run.

No-show tracking flags appointments nobody closed out, counts each patient's no-shows
(an alert at the threshold) and shows the no-show rate per provider per week in
``clinicops status``. The plugin never changes an appointment's status.
"""

from __future__ import annotations

import datetime as dt
import weakref
from typing import Any

from clinicops import Alert, ReportSection, ScheduledTask, StatusSection, hookimpl
from clinicops.plugins.reminders import alerts, commands, ledger, noshows, report, sending
from clinicops.plugins.reminders.settings import SCHEMA, Settings

NAME = "reminders"

# Per store transaction (one sync): appointment id -> {start: when its latest reminder was sent}.
_sent_cache: weakref.WeakKeyDictionary[Any, dict[str, dict[str, str]]] = weakref.WeakKeyDictionary()


@hookimpl
def plugin_settings_schema() -> dict[str, Any]:
    return SCHEMA


@hookimpl
def register_schemas() -> list[dict[str, Any]]:
    """When the latest reminder of an appointment's current time was accepted: this plugin's field."""
    sent = {"type": "string", "x-title": "Reminder sent", "format": "date-time", "x-owner": "plugin"}
    return [{"title": "appointment", "properties": {"reminder_sent_at": sent}}]


@hookimpl
def register_tasks(practice: Any) -> list[ScheduledTask]:
    every = practice.settings(NAME)["check_every_minutes"]
    return [ScheduledTask("send-reminders", run=sending.send_due, every_minutes=every)]


@hookimpl
def collect_alerts(practice: Any) -> list[Alert]:
    return alerts.collect(practice)


@hookimpl
def prepare_storage(storage: Any) -> None:
    storage.prepare(ledger.metadata, renamed=ledger.RENAMED)


@hookimpl
def compute_fields(practice: Any, entity: str, record: dict[str, Any]) -> dict[str, Any] | None:
    """``reminder_sent_at`` follows the ledger: a moved appointment loses it until reminded of its new time."""
    if entity != "appointment":
        return None
    sent = _sent_cache.get(practice)
    if sent is None:
        sent = {}
        for row in ledger.rows(practice.storage(NAME)):
            if row.state == ledger.SENT and row.finished_at:
                starts = sent.setdefault(row.appointment_id, {})
                starts[row.start] = max(starts.get(row.start, ""), row.finished_at)
        _sent_cache[practice] = sent
    if record.get("id") not in sent:
        return None
    return {"reminder_sent_at": sent[record["id"]].get(record.get("start", ""))}


@hookimpl
def status_sections(practice: Any) -> list[StatusSection]:
    settings = Settings.of(practice.settings(NAME))
    now = practice.now()
    appointments = practice.records("appointment")
    rates = noshows.weekly_rates(appointments, practice.timezone, now, settings.rate_weeks)
    repeats = noshows.repeat_no_shows(appointments, now, settings.no_show_window, settings.no_show_threshold)
    counts = ledger.counts(practice.storage(NAME), since=now - dt.timedelta(days=7))
    return [
        StatusSection(
            "No-show rate per provider and week",
            ("Week", "Provider", "No-shows", "Seen", "Rate"),
            [(r.week, _who(r.provider_id), r.no_shows, r.kept, _pct(r.rate)) for r in rates],
        ),
        StatusSection(
            f"Patients with {settings.no_show_threshold}+ no-shows",
            ("Patient", "No-shows", "Last"),
            [(r.patient_id, r.count, r.last.astimezone(practice.timezone).date().isoformat()) for r in repeats],
        ),
        StatusSection("Reminders in the ledger (last week)", ("State", "Count"), sorted(counts.items())),
    ]


@hookimpl
def report_sections(practice: Any, period: Any) -> list[ReportSection]:
    return [report.section(practice, period)]


@hookimpl
def register_commands(cli: Any) -> None:
    commands.add_commands(cli)


def _who(provider_id: str) -> str:
    return "practice" if provider_id == noshows.ALL else provider_id


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"
