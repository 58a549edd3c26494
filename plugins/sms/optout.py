"""Replies from patients' phones: STOP (and the carriers' other opt-out words) and START.

A STOP puts the number on the opt-out list, which the channel honours at once, and turns
the consent of every patient with that number to what is left: ``sms`` becomes ``none``,
``both`` becomes ``email``. The change is saved like any plugin edit, so the next sync
shows it in the sheet and the history says why. START lifts the number's block but leaves
consent for staff to restore: a patient's wish to get reminders again is theirs to record.

Only the keyword of a reply is kept, never its text (a reply may say anything).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import and_, insert, select, update

from clinicops import AccessEvent
from clinicops.plugins.sms import outbox
from clinicops.plugins.sms.adapters import Adapter

NAME = "sms"
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "UNSTOP"})
AFTER_STOP = {"sms": "none", "both": "email"}

log = logging.getLogger("clinicops.sms")


def keyword(body: str) -> str:
    words = body.strip().split()
    first = "".join(ch for ch in words[0] if ch.isalpha()).upper() if words else ""
    if first in STOP_WORDS:
        return "STOP"
    if first in START_WORDS:
        return "START"
    return "OTHER"


def receive(practice: Any, adapter: Adapter) -> int:
    """Fetch replies, record new ones and apply opt-outs; the number of new replies."""
    replies = adapter.receive()
    conn = practice.storage(NAME)
    now = practice.now()
    ids = [r.provider_id for r in replies]
    column = outbox.inbound.c.provider_id
    known = set(conn.execute(select(column).where(column.in_(ids))).scalars())
    new = [r for r in replies if r.provider_id not in known]
    for reply in new:
        word = keyword(reply.body)
        conn.execute(
            insert(outbox.inbound).values(
                provider_id=reply.provider_id, sender=reply.sender, keyword=word, received_at=outbox.stamp(now)
            )
        )
        if word != "OTHER":
            outbox.set_optout(conn, reply.sender, word == "STOP", word.lower(), now)
    stops = sum(1 for r in new if keyword(r.body) == "STOP")
    if new:
        log.info("%d new SMS repl(ies), %d opt-out(s)", len(new), stops)
    apply(practice)
    return len(new)


def apply(practice: Any) -> None:
    """Turn consent to what is left for every patient whose number opted out and is not yet applied."""
    conn = practice.storage(NAME)
    table = outbox.optouts
    pending = list(conn.execute(select(table.c.number).where(and_(table.c.opted_out, table.c.applied.is_(False)))))
    if not pending:
        return
    by_number: dict[str, list[dict[str, Any]]] = {}
    for patient in practice.records("patient"):
        if patient.get("phone"):
            by_number.setdefault(patient["phone"], []).append(patient)
    for (number,) in pending:
        matched = by_number.get(number, [])
        for patient in matched:
            practice.accessed(
                AccessEvent(NAME, "plugin", f"plugin:{NAME}", "read", "patient", patient["id"], ("phone",), "opt-out")
            )
            after = AFTER_STOP.get(patient.get("reminder_consent") or "")
            if after:
                practice.save(
                    "patient", {**patient, "reminder_consent": after}, plugin=NAME, note="the patient texted STOP"
                )
                log.info("opt-out applied: patient %s reminder consent is now %s", patient["id"], after)
        ids = ",".join(p["id"] for p in matched)
        conn.execute(update(table).where(table.c.number == number).values(applied=True, patients=ids))


def recent_optouts(conn: Any, since: dt.datetime) -> list[tuple[str, str]]:
    """(patient ids, when) for opt-outs applied since then."""
    table = outbox.optouts
    rows = conn.execute(
        select(table.c.patients, table.c.changed_at).where(
            and_(table.c.opted_out, table.c.applied, table.c.changed_at >= outbox.stamp(since))
        )
    )
    return [(r.patients or "", r.changed_at) for r in rows]
