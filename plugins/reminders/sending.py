"""The scheduled task that sends the reminders due now: plan, claim, render, send, record.

The order is what makes it safe. Every claim (the ledger row, state ``sending``) and every
answer (``sent`` / ``failed``) is committed on its own short transaction, before and after
the channel is called. The task's view transaction is written only at the very end: the
access-log entries for the contact details used, and ``reminder_sent_at`` on each
appointment, which the next sync shows in the sheet. A crash anywhere leaves the ledger
right; whatever the end step did not do, the next run does (both are recomputed from the
ledger), so nothing is sent twice and no contact read goes unlogged. (SQLite also needs
this order: once a transaction has written, no other connection can.)
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from clinicops import AccessEvent, Delivery, Message
from clinicops.plugins.reminders import ledger, planning
from clinicops.plugins.reminders.messages import Templates, context
from clinicops.plugins.reminders.settings import Settings

NAME = "reminders"
RECENT = dt.timedelta(days=1)

log = logging.getLogger("clinicops.reminders")


@dataclass
class Outcome:
    sent: int = 0
    failed: int = 0
    claimed_elsewhere: int = 0


def send_due(practice: Any) -> Outcome:
    """Send every reminder due now; the ``reminders:send-reminders`` task."""
    settings = Settings.of(practice.settings(NAME))
    storage = practice.storage(NAME)
    now = practice.now()
    channels = practice.channels()
    taken = ledger.taken(ledger.rows(storage, since=now), settings.max_attempts)
    appointments = practice.records("appointment")
    todo: list[planning.Reminder] = []
    if planning.due_slots(appointments, now=now, tz=practice.timezone, settings=settings, taken=taken):
        todo = planning.due(
            appointments,
            {p["id"]: p for p in practice.records("patient")},
            now=now,
            tz=practice.timezone,
            settings=settings,
            available=channels,
            taken=taken,
        )
    outcome = Outcome()
    if todo:
        templates = Templates(practice.root / settings.templates_dir, settings.sms_max_chars)
        providers = {p["id"]: p for p in practice.records("provider")}
        by_id = {a["id"]: a for a in appointments}
        for reminder in todo:
            ctx = context(
                practice_name=practice.name,
                practice_phone=settings.practice_phone,
                appointment=by_id[reminder.appointment_id],
                start=planning.parse_start(reminder.start) or now,
                tz=practice.timezone,
                provider=providers.get(reminder.provider_id),
                include_type=settings.include_type,
                channel=reminder.channel,
            )
            text = templates.message(reminder.channel, ctx)
            row_id = ledger.reserve(storage, reminder, now, settings.max_attempts)
            if row_id is None:
                outcome.claimed_elsewhere += 1
                continue
            message = Message(reminder.channel, reminder.to, text.subject, text.body, reminder.key)
            delivery = _send(channels[reminder.channel], message)
            ledger.finish(storage, row_id, delivery, practice.now())
            what = f"appointment {reminder.appointment_id} ({reminder.offset_minutes / 60:g} h) by {reminder.channel}"
            if delivery.accepted:
                outcome.sent += 1
                log.info("reminder sent for %s", what)
            else:
                outcome.failed += 1
                log.warning("reminder for %s not sent: %s", what, delivery.detail)
    record(practice, now, appointments)
    return outcome


def _send(channel: Any, message: Message) -> Delivery:
    """A channel that raises instead of answering has not delivered."""
    try:
        return channel.send(message)
    except Exception as exc:
        return Delivery(False, f"the {message.channel} channel failed ({type(exc).__name__})")


def record(practice: Any, now: dt.datetime, appointments: list[dict[str, Any]]) -> None:
    """In the view's transaction: log each contact read not yet logged, and show sent times on appointments."""
    storage = practice.storage(NAME)
    pending = ledger.unlogged(storage)
    for row in pending:
        practice.accessed(
            AccessEvent(
                actor=NAME,
                role="plugin",
                source=f"plugin:{NAME}",
                action="read",
                entity="patient",
                record_id=row.patient_id,
                fields=(planning.ADDRESS_FIELD.get(row.channel, row.channel),),
                purpose="appointment reminder",
            )
        )
    ledger.mark_logged(storage, [row.id for row in pending])
    shown = {a["id"]: (a.get("start"), a.get("reminder_sent_at") or "") for a in appointments}
    for (appointment_id, start), sent_at in ledger.latest_sent(ledger.rows(storage, since=now - RECENT)).items():
        if shown.get(appointment_id, (None, ""))[0] != start or shown[appointment_id][1] >= sent_at:
            continue
        appt = practice.get("appointment", appointment_id)  # fresh, so nothing staff typed since is lost
        if appt and appt.get("start") == start:
            practice.save("appointment", {**appt, "reminder_sent_at": sent_at}, plugin=NAME, note="reminder sent")
