"""The SMS outbox that a provider adapter drains, and the opt-out list that guards it.

A text is first written to ``sms_outbox`` (``queued``, unique idempotency key) and
committed; then it is claimed (``sending``, committed) and handed to the adapter, and the
answer is recorded (``sent`` with the provider's id, or ``failed``). :class:`SmsChannel`
drains its own message at once, so the caller learns whether the provider accepted it; a
periodic drain hands over anything left ``queued`` by a crash before the hand-over, unless
it has grown too old to be useful (``expired``). A row left ``sending`` is never handed
over again. The same key sent again returns the first answer instead of a second text.
The text itself is dropped from the row once it is sent or expired.

Consent belongs to the number: a number on the opt-out list (it texted STOP, or the
carrier says so) is refused by the channel whatever the sheet says, until it texts START.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from clinicops import Delivery, Message, PluginStorage
from clinicops.plugins.sms.adapters import Adapter, Handover

QUEUED, SENDING, SENT, FAILED, EXPIRED = "queued", "sending", "sent", "failed", "expired"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")

metadata = MetaData()
outbox = Table(
    "sms_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(300), nullable=False, unique=True),
    Column("to_number", String(32), nullable=False),
    Column("body", Text),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("provider_id", String(128)),
    Column("detail", Text),
)
inbound = Table(
    "sms_inbound",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider_id", String(128), nullable=False, unique=True),
    Column("sender", String(32), nullable=False),
    Column("keyword", String(16), nullable=False),  # STOP, START or OTHER: the text itself is not kept
    Column("received_at", String(32), nullable=False),
)
optouts = Table(
    "sms_optouts",
    metadata,
    Column("number", String(32), primary_key=True),
    Column("opted_out", Boolean, nullable=False),
    Column("source", String(16), nullable=False),  # stop, start, carrier
    Column("changed_at", String(32), nullable=False),
    Column("applied", Boolean, nullable=False, default=False),
    Column("patients", Text),  # the ids of the patients with this number
)


@dataclass(frozen=True)
class Row:
    id: int
    state: str
    provider_id: str | None
    detail: str | None


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ready(storage: PluginStorage) -> bool:
    return storage.exists(outbox)


def is_opted_out(storage: PluginStorage, number: str) -> bool:
    row = storage.execute(select(optouts.c.opted_out).where(optouts.c.number == number)).first()
    return bool(row and row[0])


def set_optout(storage: PluginStorage, number: str, opted_out: bool, source: str, now: dt.datetime) -> None:
    values = {"opted_out": opted_out, "source": source, "changed_at": stamp(now), "applied": not opted_out}
    if storage.execute(select(optouts.c.number).where(optouts.c.number == number)).first():
        storage.execute(update(optouts).where(optouts.c.number == number).values(**values))
    else:
        storage.execute(insert(optouts).values(number=number, **values))


def enqueue(storage: PluginStorage, message: Message, now: dt.datetime) -> Row:
    """The outbox row for this message's key: new and ``queued``, or the existing one (a failed or
    expired one queued again)."""
    key = outbox.c.idempotency_key == message.idempotency_key
    for _ in range(2):
        try:
            with storage.separately() as own:
                row = own.execute(select(outbox).where(key)).first()
                if row is None:
                    own.execute(
                        insert(outbox).values(
                            idempotency_key=message.idempotency_key,
                            to_number=message.to,
                            body=message.body,
                            state=QUEUED,
                            attempts=0,
                            created_at=stamp(now),
                            updated_at=stamp(now),
                        )
                    )
                elif row.state in (FAILED, EXPIRED):
                    own.execute(
                        update(outbox)
                        .where(and_(key, outbox.c.state == row.state))
                        .values(state=QUEUED, body=message.body, to_number=message.to, created_at=stamp(now))
                    )
                found = own.execute(select(outbox).where(key)).one()
                return Row(found.id, found.state, found.provider_id, found.detail)
        except IntegrityError:
            continue  # another process queued the same key a moment ago: read its row
    raise RuntimeError("the SMS outbox could not queue the message")


def queue_here(storage: PluginStorage, message: Message, now: dt.datetime) -> None:
    """Queue a message in the caller's own transaction (rolled back with it), unless its key is known."""
    key = outbox.c.idempotency_key == message.idempotency_key
    if storage.execute(select(outbox.c.id).where(key)).first() is None:
        storage.execute(
            insert(outbox).values(
                idempotency_key=message.idempotency_key,
                to_number=message.to,
                body=message.body,
                state=QUEUED,
                attempts=0,
                created_at=stamp(now),
                updated_at=stamp(now),
            )
        )


def drain(
    storage: PluginStorage, adapter: Adapter, now: dt.datetime, max_age: dt.timedelta, only: int | None = None
) -> dict[int, Handover]:
    """Hand queued texts to the provider, oldest first; row id -> the provider's answer."""
    with storage.separately() as own:
        own.execute(
            update(outbox)
            .where(and_(outbox.c.state == QUEUED, outbox.c.created_at < stamp(now - max_age)))
            .values(state=EXPIRED, body=None, updated_at=stamp(now), detail="not handed over in time")
        )
        q = select(outbox.c.id).where(outbox.c.state == QUEUED)
        if only is not None:
            q = q.where(outbox.c.id == only)
        ids = [r.id for r in own.execute(q.order_by(outbox.c.id))]
    answers = {}
    for row_id in ids:
        with storage.separately() as own:
            claimed = own.execute(
                update(outbox)
                .where(and_(outbox.c.id == row_id, outbox.c.state == QUEUED))
                .values(state=SENDING, attempts=outbox.c.attempts + 1, updated_at=stamp(now))
            )
            if claimed.rowcount != 1:
                continue
            row = own.execute(select(outbox).where(outbox.c.id == row_id)).one()
        handover = adapter.send(row.to_number, row.body or "", row.idempotency_key)
        with storage.separately() as own:
            done: dict[str, Any] = {"updated_at": stamp(now)}
            if handover.accepted:
                done |= {"state": SENT, "provider_id": handover.provider_id, "body": None, "detail": None}
            else:
                done |= {"state": FAILED, "detail": handover.detail[:500]}
            own.execute(update(outbox).where(outbox.c.id == row_id).values(**done))
            if handover.opted_out:
                set_optout(own, row.to_number, True, "carrier", now)
        answers[row_id] = handover
    return answers


class SmsChannel:
    """``send`` queues the text in the outbox and drains it at once: accepted only if the provider took it."""

    name = "sms"

    def __init__(self, storage: PluginStorage, adapter: Adapter, clock: Any, max_age: dt.timedelta) -> None:
        self.storage = storage
        self.adapter = adapter
        self._now = clock
        self.max_age = max_age

    def send(self, message: Message) -> Delivery:
        if not E164.match(message.to):
            return Delivery(False, "the number is not in international (E.164) form")
        if is_opted_out(self.storage, message.to):
            return Delivery(False, "the number has opted out of texts (STOP)")
        now = self._now()
        row = enqueue(self.storage, message, now)
        if row.state == SENT:
            return Delivery(True, f"already sent as {row.provider_id}")
        if row.state == SENDING:
            return Delivery(False, "this text was already being handed to the provider; not sent again")
        answer = drain(self.storage, self.adapter, now, self.max_age, only=row.id).get(row.id)
        if answer is None:
            return Delivery(False, "the text was not handed to the provider")
        return Delivery(answer.accepted, answer.provider_id if answer.accepted else answer.detail)
