"""Replies a person must read, and the automatic answers the rules allow.

A reply that is not a bare keyword (see :mod:`.keywords`) is kept, text and all, in
``sms_replies`` for the front desk: an alert names the patient (matched by number) and the
appointment it most likely concerns (their next open one, else their latest), never the
text, which ``clinicops sms replies`` shows to someone at the practice, logged as an access.
Replies older than ``keep_replies_days`` lose their text.

Answers, each sent at most once per reply (the outbox's idempotency key) and never more
than the rules allow:

- to a revocation, **one confirmation** that says nothing else, only when the number was not
  already opted out (47 CFR 64.1200(a)(12), FCC 24-24: a one-time text confirming the
  revocation, without marketing, within five minutes; keep ``poll_every_minutes`` at 5 or
  less). A provider that confirms the standard words itself (Twilio's Advanced Opt-Out does
  for STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE and OPTOUT) is not doubled: set
  ``provider_confirms_keywords``;
- to ``START``/``UNSTOP``, a confirmation that texts may come again (CTIA);
- to ``HELP``, the practice's name, how to reach it and how to opt out (CTIA).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, Integer, String, Table, Text, and_, insert, select, update

from clinicops import Message, PluginStorage
from clinicops.plugins.sms import outbox

replies = Table(
    "sms_replies",
    outbox.metadata,  # one metadata per plugin: its storage is prepared once
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider_id", String(128), nullable=False, unique=True),
    Column("sender", String(32), nullable=False),
    Column("keyword", String(16), nullable=False),  # what the reply also did: STOP or OTHER
    Column("body", Text),  # dropped after keep_replies_days
    Column("received_at", String(32), nullable=False),
)

ACTIVE = ("scheduled", "confirmed")


def keep(storage: PluginStorage, provider_id: str, sender: str, keyword: str, body: str, now: dt.datetime) -> None:
    storage.execute(
        insert(replies).values(
            provider_id=provider_id, sender=sender, keyword=keyword, body=body, received_at=outbox.stamp(now)
        )
    )


def recent(storage: PluginStorage, since: dt.datetime) -> list[Any]:
    if not storage.exists(replies):
        return []
    q = select(replies).where(replies.c.received_at >= outbox.stamp(since)).order_by(replies.c.id)
    return list(storage.execute(q))


def forget_old(storage: PluginStorage, before: dt.datetime) -> None:
    """Drop the text of replies received before then: the alert has long been seen."""
    storage.execute(
        update(replies)
        .where(and_(replies.c.received_at < outbox.stamp(before), replies.c.body.is_not(None)))
        .values(body=None)
    )


def answers(practice_name: str, phone: str) -> dict[str, str]:
    """The automatic answers, each well under one 160-character text."""
    call = f"call {phone}" if phone else "call the office"
    return {
        "STOP": f"{practice_name}: you will get no more texts from us. Reply START to get them again.",
        "START": f"{practice_name}: texts from us are on again; the front desk will confirm your reminders. "
        "Reply STOP to opt out.",
        "HELP": f"{practice_name}: appointment texts. For help, {call}. Reply STOP to opt out.",
    }


def answer(
    storage: PluginStorage,
    adapter: Any,
    provider_id: str,
    to: str,
    body: str,
    now: dt.datetime,
    max_age: dt.timedelta,
    send_now: bool = True,
) -> None:
    """Send (or only queue) the one automatic answer to a reply, past the opt-out list: a confirmation
    goes to a number that has just opted out."""
    message = Message("sms", to, "", body, f"sms-answer:{provider_id}")
    if not send_now:
        outbox.queue_here(storage, message, now)
        return
    row = outbox.enqueue(storage, message, now)
    if row.state == outbox.QUEUED:
        outbox.drain(storage, adapter, now, max_age, only=row.id)


def patients_by_number(patients: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for patient in patients:
        if patient.get("phone"):
            out.setdefault(patient["phone"], []).append(patient)
    return out


def likely_appointment(appointments: list[dict[str, Any]], patient_ids: set[str], now: dt.datetime) -> dict | None:
    """The appointment a reply most likely concerns: the patients' next open one, else their latest."""
    stamp = outbox.stamp(now)
    theirs = [a for a in appointments if a.get("patient_id") in patient_ids and a.get("start")]
    upcoming = sorted(
        (a for a in theirs if a["start"] >= stamp and a.get("status") in ACTIVE), key=lambda a: a["start"]
    )
    if upcoming:
        return upcoming[0]
    past = sorted((a for a in theirs if a["start"] < stamp), key=lambda a: a["start"])
    return past[-1] if past else None
