"""Replies from patients' phones: revocations (STOP and every other way of saying it), START,
HELP, and replies for a person. :mod:`.keywords` reads them; :mod:`.replies` keeps what
staff must read and sends the answers the rules allow.

A revocation puts the number on the opt-out list, which the channel honours at once, and
turns the consent of every patient with that number to what is left: ``sms`` becomes
``none``, ``both`` becomes ``email``. The change is saved like any plugin edit, so the next
sync shows it in the sheet and the history says why. START lifts the number's block but
leaves consent for staff to restore (an alert tells them): a patient's wish to get reminders
again is theirs to record.

``sms_inbound`` keeps only each reply's keyword; the text of a reply for staff is in
``sms_replies``, for a while.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import and_, insert, select, update

from clinicops import AccessEvent
from clinicops.plugins.sms import keywords, outbox, replies
from clinicops.plugins.sms.adapters import Adapter, Inbound

NAME = "sms"
AFTER_STOP = {"sms": "none", "both": "email"}
# The words a provider's own opt-out handling confirms itself (Twilio Advanced Opt-Out).
PROVIDER_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"})

log = logging.getLogger("clinicops.sms")


def keyword(body: str) -> str:
    return keywords.read(body).keyword


def receive(practice: Any, adapter: Adapter, send_now: bool = True) -> int:
    """Fetch replies, answer them, record them, apply revocations, keep what staff must read; the count.

    The answers go first, each in its own committed transaction, before anything is written
    in the caller's (SQLite lets no other connection write after that); the outbox's key
    keeps each answer to one even if what follows fails. ``send_now=False`` (inside a sync,
    whose transaction has already written) queues them in that transaction instead, for the
    ``sms:deliver`` task.
    """
    fetched = adapter.receive()
    storage = practice.storage(NAME)
    now = practice.now()
    ids = [r.provider_id for r in fetched]
    column = outbox.inbound.c.provider_id
    known = set(storage.execute(select(column).where(column.in_(ids))).scalars())
    new = [(r, keywords.read(r.body)) for r in fetched if r.provider_id not in known]
    settings = practice.settings(NAME)
    texts = replies.answers(practice.name, settings["practice_phone"])
    for reply, kind in _answers(storage, new, settings):
        replies.answer(
            storage, adapter, reply.provider_id, reply.sender, texts[kind], now, _max_age(settings), send_now
        )
    for reply, reading in new:
        storage.execute(
            insert(outbox.inbound).values(
                provider_id=reply.provider_id,
                sender=reply.sender,
                keyword=reading.keyword,
                received_at=outbox.stamp(now),
            )
        )
        if reading.for_staff:
            kind = "CANCEL" if reading.cancel else reading.keyword
            replies.keep(storage, reply.provider_id, reply.sender, kind, reply.body, now)
        if reading.keyword in (keywords.STOP, keywords.START):
            stop = reading.keyword == keywords.STOP
            outbox.set_optout(storage, reply.sender, stop, "stop" if stop else "start", now)
    if new:
        stops = sum(reading.keyword == keywords.STOP for _, reading in new)
        log.info("%d new SMS repl(ies), %d opt-out(s)", len(new), stops)
    replies.forget_old(storage, now - dt.timedelta(days=settings["keep_replies_days"]))
    apply(practice)
    return len(new)


def _max_age(settings: dict[str, Any]) -> dt.timedelta:
    return dt.timedelta(minutes=settings["max_age_minutes"])


def _answers(
    storage: Any, new: list[tuple[Inbound, keywords.Reading]], settings: dict[str, Any]
) -> list[tuple[Inbound, str]]:
    """The automatic answer each reply gets, in order: one confirmation per revocation of a number not
    already opted out (none when the provider confirms bare keywords itself), START and HELP answered."""
    out = []
    opted_out: dict[str, bool] = {}
    for reply, reading in new:
        number = reply.sender
        if number not in opted_out:
            opted_out[number] = outbox.is_opted_out(storage, number)
        if reading.keyword == keywords.STOP:
            words = keywords.words_of(reply.body)
            by_provider = settings["provider_confirms_keywords"] and len(words) == 1 and words[0] in PROVIDER_WORDS
            if not opted_out[number] and settings["confirm_optout"] and not by_provider:
                out.append((reply, "STOP"))
            opted_out[number] = True
        elif reading.keyword == keywords.START:
            out.append((reply, "START"))
            opted_out[number] = False
        elif reading.keyword == keywords.HELP:
            out.append((reply, "HELP"))
    return out


def apply(practice: Any) -> None:
    """Turn consent to what is left for every patient whose number opted out and is not yet applied."""
    storage = practice.storage(NAME)
    table = outbox.optouts
    pending = list(storage.execute(select(table.c.number).where(and_(table.c.opted_out, table.c.applied.is_(False)))))
    if not pending:
        return
    source = practice.source if str(practice.source).startswith("sync:") else f"plugin:{NAME}"  # a sync reads them too
    by_number: dict[str, list[dict[str, Any]]] = {}
    for patient in practice.records("patient"):
        if patient.get("phone"):
            by_number.setdefault(patient["phone"], []).append(patient)
    for (number,) in pending:
        matched = by_number.get(number, [])
        for patient in matched:
            practice.accessed(
                AccessEvent(NAME, "plugin", source, "read", "patient", patient["id"], ("phone",), "opt-out")
            )
            after = AFTER_STOP.get(patient.get("reminder_consent") or "")
            if after:
                practice.save(
                    "patient", {**patient, "reminder_consent": after}, plugin=NAME, note="the patient texted STOP"
                )
                log.info("opt-out applied: patient %s reminder consent is now %s", patient["id"], after)
        ids = ",".join(p["id"] for p in matched)
        storage.execute(update(table).where(table.c.number == number).values(applied=True, patients=ids))


def recent_optouts(storage: Any, since: dt.datetime) -> list[tuple[str, str]]:
    """(patient ids, when) for opt-outs applied since then."""
    table = outbox.optouts
    rows = storage.execute(
        select(table.c.patients, table.c.changed_at).where(
            and_(table.c.opted_out, table.c.applied, table.c.changed_at >= outbox.stamp(since))
        )
    )
    return [(r.patients or "", r.changed_at) for r in rows]


def recent_starts(storage: Any, since: dt.datetime) -> list[tuple[str, str]]:
    """(number, when) for numbers that texted START since then and have not opted out again."""
    table = outbox.optouts
    if not storage.exists(table):
        return []
    rows = storage.execute(
        select(table.c.number, table.c.changed_at).where(
            and_(table.c.opted_out.is_(False), table.c.source == "start", table.c.changed_at >= outbox.stamp(since))
        )
    )
    return [(r.number, r.changed_at) for r in rows]
