"""The reminder ledger (outbox): one row per appointment, start, offset and channel, kept apart
from the appointment's status, which reminders never touch.

At most once, on purpose. A row is *reserved* (state ``sending``) and committed before
the message goes to the channel; only the channel's "accepted" turns it ``sent``, and a
refusal (server down, SMTP not set up) turns it ``failed``, to be tried again while the
reminder is still useful, up to ``max_attempts``. If the process dies between handing the
message over and recording the answer, the row stays ``sending``: it is never re-sent
blindly (the patient may already have it), it shows as an alert, and a person settles it
with ``clinicops reminders resolve``. Two processes racing for the same reminder meet the
unique key: the second insert fails and that process sends nothing.

Each row also says whether the patient's contact details read for it have been written
to the access log yet, so a crash never leaves an unlogged read behind.
"""

from __future__ import annotations

import datetime as dt
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
    UniqueConstraint,
    and_,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from clinicops import Delivery, NotFound, PluginStorage
from clinicops.plugins.reminders.planning import Reminder, Slot

metadata = MetaData()

outbox = Table(
    "reminders_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("appointment_id", String(128), nullable=False),
    Column("start", String(32), nullable=False),
    Column("offset_min", Integer, nullable=False),
    Column("channel", String(32), nullable=False),
    Column("patient_id", String(128), nullable=False),
    Column("idempotency_key", String(300), nullable=False, unique=True),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("reserved_at", String(32), nullable=False),
    Column("finished_at", String(32)),
    Column("detail", Text),
    Column("access_logged", Boolean, nullable=False, default=False),
    UniqueConstraint("appointment_id", "start", "offset_min", "channel", name="uq_reminder_slot_channel"),
)

SENDING, SENT, FAILED = "sending", "sent", "failed"


@dataclass(frozen=True)
class Row:
    id: int
    appointment_id: str
    start: str
    offset_min: int
    channel: str
    patient_id: str
    idempotency_key: str
    state: str
    attempts: int
    reserved_at: str
    finished_at: str | None
    detail: str | None
    access_logged: bool

    @property
    def slot(self) -> Slot:
        return (self.appointment_id, self.start, self.offset_min)


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Earlier releases named the table after the singular; its rows carry over.
RENAMED = {"reminder_outbox": outbox.name}


def rows(
    storage: PluginStorage, *, since: dt.datetime | None = None, appointment_ids: list[str] | None = None
) -> list[Row]:
    """Ledger rows for appointments starting after ``since`` (or these appointments)."""
    if not storage.exists(outbox):
        return []
    q = select(outbox)
    if since is not None:
        q = q.where(outbox.c.start >= stamp(since))
    if appointment_ids is not None:
        q = q.where(outbox.c.appointment_id.in_(appointment_ids))
    return [Row(**r._mapping) for r in storage.execute(q.order_by(outbox.c.id))]


def taken(ledger: list[Row], max_attempts: int) -> set[Slot]:
    """Slots not to plan again: sent, in flight or unknown, or failed too often (on any channel)."""
    return {r.slot for r in ledger if r.state != FAILED or r.attempts >= max_attempts}


def reserve(storage: PluginStorage, reminder: Reminder, now: dt.datetime, max_attempts: int) -> int | None:
    """Claim a reminder in its own committed transaction; the row id, or None if it is not ours to send."""
    key = outbox.c.idempotency_key == reminder.key
    try:
        with storage.separately() as own:
            existing = own.execute(select(outbox.c.id, outbox.c.state, outbox.c.attempts).where(key)).first()
            if existing is None:
                result = own.execute(
                    insert(outbox).values(
                        appointment_id=reminder.appointment_id,
                        start=reminder.start,
                        offset_min=reminder.offset_minutes,
                        channel=reminder.channel,
                        patient_id=reminder.patient_id,
                        idempotency_key=reminder.key,
                        state=SENDING,
                        attempts=1,
                        reserved_at=stamp(now),
                        access_logged=False,
                    )
                )
                return int(result.inserted_primary_key[0])
            if existing.state != FAILED or existing.attempts >= max_attempts:
                return None
            claimed = own.execute(
                update(outbox)
                .where(and_(key, outbox.c.state == FAILED, outbox.c.attempts == existing.attempts))
                .values(state=SENDING, attempts=existing.attempts + 1, reserved_at=stamp(now), finished_at=None)
            )
            return int(existing.id) if claimed.rowcount == 1 else None
    except IntegrityError:
        return None  # another process inserted the same key first: it sends, we don't


def finish(storage: PluginStorage, row_id: int, delivery: Delivery, now: dt.datetime) -> None:
    """Record the channel's answer: ``sent`` only if the server accepted the message."""
    with storage.separately() as own:
        own.execute(
            update(outbox)
            .where(and_(outbox.c.id == row_id, outbox.c.state == SENDING))
            .values(
                state=SENT if delivery.accepted else FAILED,
                finished_at=stamp(now),
                detail=(delivery.detail or "")[:500],
            )
        )


def mark_logged(storage: PluginStorage, ids: list[int]) -> None:
    if ids:
        storage.execute(update(outbox).where(outbox.c.id.in_(ids)).values(access_logged=True))


def unlogged(storage: PluginStorage) -> list[Row]:
    if not storage.exists(outbox):
        return []
    return [Row(**r._mapping) for r in storage.execute(select(outbox).where(outbox.c.access_logged.is_(False)))]


def resolve(storage: PluginStorage, row_id: int, *, sent: bool, now: dt.datetime, who: str) -> Row:
    """A person settles a row: it went out (``sent``), or it did not (``failed`` with fresh attempts,
    so it is sent again while still useful)."""
    row = storage.execute(select(outbox).where(outbox.c.id == row_id)).first()
    if row is None:
        raise NotFound(f"No reminder with ledger id {row_id}; 'clinicops reminders list' shows them")
    storage.execute(
        update(outbox)
        .where(outbox.c.id == row_id)
        .values(
            state=SENT if sent else FAILED,
            attempts=row.attempts if sent else 0,
            finished_at=stamp(now),
            detail=f"resolved by {who}: {'sent' if sent else 'not sent'}",
        )
    )
    return Row(**storage.execute(select(outbox).where(outbox.c.id == row_id)).one()._mapping)


def latest_sent(ledger: list[Row]) -> dict[tuple[str, str], str]:
    """(appointment, start) -> when its latest reminder was accepted."""
    out: dict[tuple[str, str], str] = {}
    for r in ledger:
        if r.state == SENT and r.finished_at:
            key = (r.appointment_id, r.start)
            out[key] = max(out.get(key, ""), r.finished_at)
    return out


def counts(storage: PluginStorage, since: dt.datetime) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows(storage, since=since):
        out[r.state] = out.get(r.state, 0) + 1
    return out


def as_dict(row: Row) -> dict[str, Any]:
    return dict(row.__dict__)
