"""What the reminders plugin asks people to look at, recomputed on every sync.

Alerts name appointment and patient ids, never names, addresses or reasons: the front
desk opens the row in the sheet for the rest.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinicops import Alert
from clinicops.plugins.reminders import ledger, noshows, planning
from clinicops.plugins.reminders.messages import Templates
from clinicops.plugins.reminders.settings import Settings
from clinicops.plugins.reminders.zones import patient_zones as zones_of

NAME = "reminders"
UNKNOWN_FOR = dt.timedelta(days=14)  # a reminder of unknown fate is shown until settled, or this long after the visit
LOOK_AHEAD = dt.timedelta(days=7)  # quiet-hour holds are shown for appointments this close


def collect(practice: Any) -> list[Alert]:
    settings = Settings.of(practice.settings(NAME))
    now = practice.now()
    appointments = practice.records("appointment")
    return [
        *_ledger_alerts(ledger.rows(practice.storage(NAME), since=now - UNKNOWN_FOR), settings, now, practice.timezone),
        *_channel_alerts(practice, appointments, settings, now),
        *_template_alerts(Templates(practice.root / settings.templates_dir, settings.sms_max_chars)),
        *_no_show_alerts(appointments, settings, now, practice.timezone),
        *_quiet_hour_alerts(practice, appointments, settings, now),
    ]


def _hours(minutes: int) -> str:
    return f"{minutes / 60:g} h"


def _ledger_alerts(book: list[ledger.Row], settings: Settings, now: dt.datetime, tz: Any) -> list[Alert]:
    out = []
    for row in book:
        what = f"The {_hours(row.offset_min)} reminder for appointment {row.appointment_id} by {row.channel}"
        reserved = planning.parse_start(row.reserved_at) or now
        if row.state == ledger.SENDING and now - reserved > settings.stuck_after:
            at = reserved.astimezone(tz).strftime("%Y-%m-%d %H:%M")
            out.append(
                Alert(
                    key=f"outbox-{row.id}-unknown",
                    severity="warning",
                    message=f"{what} may or may not have reached the patient: sending stopped at {at} before the "
                    f"answer was recorded, so it is not sent again. Check with the patient, then run "
                    f"'clinicops reminders resolve {row.id} --sent' (or --not-sent to let it be retried).",
                    entity="appointment",
                    record_id=row.appointment_id,
                )
            )
        start = planning.parse_start(row.start)
        if row.state == ledger.FAILED and start is not None and start > now:
            gave_up = row.attempts >= settings.max_attempts
            then = f"gave up after {row.attempts} attempts" if gave_up else "it will be tried again"
            out.append(
                Alert(
                    key=f"outbox-{row.id}-failed",
                    severity="warning",
                    message=f"{what} was not sent ({row.detail or 'no answer'}); {then}.",
                    entity="appointment",
                    record_id=row.appointment_id,
                )
            )
    return out


def _channel_alerts(
    practice: Any, appointments: list[dict[str, Any]], settings: Settings, now: dt.datetime
) -> list[Alert]:
    available = set(practice.channels())
    horizon = now + settings.offsets[0]
    patients = {p["id"]: p for p in practice.records("patient")}
    wanted: dict[str, int] = {}
    for appt in appointments:
        start = planning.parse_start(appt.get("start"))
        patient = patients.get(appt.get("patient_id") or "")
        if appt.get("status") not in planning.ACTIVE or start is None or not now < start <= horizon or not patient:
            continue
        missing = planning.missing_channel(patient, available)
        if missing:
            wanted[missing] = wanted.get(missing, 0) + 1
    return [
        Alert(
            key=f"channel-{channel}-missing",
            severity="warning",
            message=f"{count} upcoming appointment(s) should get reminders by {channel}, but no {channel} channel is "
            f"enabled (add the '{channel}' plugin to plugins.enabled); "
            + ("another consented channel is used where there is one." if settings.fallback else "they get none."),
        )
        for channel, count in sorted(wanted.items())
    ]


def _template_alerts(templates: Templates) -> list[Alert]:
    return [
        Alert(
            key=f"template-{name}",
            severity="warning",
            message=f"The reminder template {name}.j2 cannot be used ({problem}); the built-in wording is used.",
        )
        for name, problem in sorted(templates.problems().items())
    ]


def _no_show_alerts(appointments: list[dict[str, Any]], settings: Settings, now: dt.datetime, tz: Any) -> list[Alert]:
    out = []
    for appt in noshows.overdue(appointments, now, settings.overdue_after):
        start = planning.parse_start(appt["start"])
        assert start is not None
        when = start.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        out.append(
            Alert(
                key=f"overdue-{appt['id']}",
                severity="info",
                message=f"Appointment {appt['id']} ({when}, {appt.get('provider_id', '?')}) is past and still "
                f"'{appt['status']}': set it to completed, no-show or cancelled.",
                entity="appointment",
                record_id=appt["id"],
            )
        )
    for repeat in noshows.repeat_no_shows(appointments, now, settings.no_show_window, settings.no_show_threshold):
        last = repeat.last.astimezone(tz).date().isoformat()
        out.append(
            Alert(
                key=f"repeat-no-show-{repeat.patient_id}",
                severity="warning",
                message=f"Patient {repeat.patient_id} missed {repeat.count} appointments in the last "
                f"{settings.no_show_window.days} days (last on {last}); call them before the next booking.",
                entity="patient",
                record_id=repeat.patient_id,
            )
        )
    return out


def _quiet_hour_alerts(
    practice: Any, appointments: list[dict[str, Any]], settings: Settings, now: dt.datetime
) -> list[Alert]:
    """Reminders that quiet hours where the patient is (not where the practice is) will hold back."""
    tz = practice.timezone
    patients = {p["id"]: p for p in practice.records("patient")}
    available = set(practice.channels())
    out = []
    for appt in appointments:
        start = planning.parse_start(appt.get("start"))
        patient = patients.get(appt.get("patient_id") or "")
        if appt.get("status") not in planning.ACTIVE or start is None or not now < start <= now + LOOK_AHEAD:
            continue
        if patient is None or planning.choose_channel(patient, available, settings.fallback) is None:
            continue
        for offset in settings.offsets:
            due = start - offset
            if due < now or planning.in_quiet_hours(due.astimezone(tz).time(), settings.quiet):
                continue
            if planning.quiet_for(patient, due, tz, settings.quiet):
                out.append(_held(appt, patient, start, due, offset, settings, tz))
    return out


def _held(
    appt: dict[str, Any],
    patient: dict[str, Any],
    start: dt.datetime,
    due: dt.datetime,
    offset: dt.timedelta,
    settings: Settings,
    tz: Any,
) -> Alert:
    zones, source = zones_of(patient, tz)
    there = zones[0]
    resume = planning.quiet_ends(patient, due, tz, settings.quiet)
    fate = (
        f"it waits until {_clock(resume, there)} there ({_clock(resume, tz)} here)"
        if resume < start
        else "quiet hours there last until the visit starts, so it is not sent"
    )
    return Alert(
        key=f"quiet-{appt['id']}-{appt['start']}-{int(offset.total_seconds() // 60)}m",
        severity="info",
        message=f"The {_hours(int(offset.total_seconds() // 60))} reminder for appointment {appt['id']} comes due at "
        f"{_clock(due, tz)}, which is {_clock(due, there)} where patient {patient['id']} is ({there.key}, from "
        f"{source}): inside quiet hours there, so {fate}.",
        entity="appointment",
        record_id=appt["id"],
    )


def _clock(moment: dt.datetime, zone: Any) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a} {local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'} {local.tzname()}"
