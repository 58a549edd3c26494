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
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from clinicops.core.notify import Delivery
from clinicops.plugins.reminders.planning import Reminder, Slot

metadata = MetaData()

outbox = Table(
    "reminder_outbox",
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


_ready: weakref.WeakSet[Engine] = weakref.WeakSet()


def ensure(engine: Engine) -> None:
    """Create the ledger table if missing, in a transaction of its own: never inside a sync's, which a
    dry run rolls back."""
    if engine not in _ready:
        with engine.begin() as conn:
            metadata.create_all(conn, checkfirst=True)
        _ready.add(engine)


def ready(conn: Connection) -> bool:
    """Whether the ledger table exists; read paths treat a missing one as empty."""
    if conn.engine not in _ready and inspect(conn).has_table(outbox.name):
        _ready.add(conn.engine)
    return conn.engine in _ready


def rows(conn: Connection, *, since: dt.datetime | None = None, appointment_ids: list[str] | None = None) -> list[Row]:
    """Ledger rows for appointments starting after ``since`` (or these appointments)."""
    if not ready(conn):
        return []
    q = select(outbox)
    if since is not None:
        q = q.where(outbox.c.start >= stamp(since))
    if appointment_ids is not None:
        q = q.where(outbox.c.appointment_id.in_(appointment_ids))
    return [Row(**r._mapping) for r in conn.execute(q.order_by(outbox.c.id))]


def taken(ledger: list[Row], max_attempts: int) -> set[Slot]:
    """Slots not to plan again: sent, in flight or unknown, or failed too often (on any channel)."""
    return {r.slot for r in ledger if r.state != FAILED or r.attempts >= max_attempts}


def reserve(engine: Engine, reminder: Reminder, now: dt.datetime, max_attempts: int) -> int | None:
    """Claim a reminder in its own committed transaction; the row id, or None if it is not ours to send."""
    key = outbox.c.idempotency_key == reminder.key
    try:
        with engine.begin() as conn:
            existing = conn.execute(select(outbox.c.id, outbox.c.state, outbox.c.attempts).where(key)).first()
            if existing is None:
                result = conn.execute(
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
            claimed = conn.execute(
                update(outbox)
                .where(and_(key, outbox.c.state == FAILED, outbox.c.attempts == existing.attempts))
                .values(state=SENDING, attempts=existing.attempts + 1, reserved_at=stamp(now), finished_at=None)
            )
            return int(existing.id) if claimed.rowcount == 1 else None
    except IntegrityError:
        return None  # another process inserted the same key first: it sends, we don't


def finish(engine: Engine, row_id: int, delivery: Delivery, now: dt.datetime) -> None:
    """Record the channel's answer: ``sent`` only if the server accepted the message."""
    with engine.begin() as conn:
        conn.execute(
            update(outbox)
            .where(and_(outbox.c.id == row_id, outbox.c.state == SENDING))
            .values(
                state=SENT if delivery.accepted else FAILED,
                finished_at=stamp(now),
                detail=(delivery.detail or "")[:500],
            )
        )


def mark_logged(conn: Connection, ids: list[int]) -> None:
    if ids:
        conn.execute(update(outbox).where(outbox.c.id.in_(ids)).values(access_logged=True))


def unlogged(conn: Connection) -> list[Row]:
    if not ready(conn):
        return []
    return [Row(**r._mapping) for r in conn.execute(select(outbox).where(outbox.c.access_logged.is_(False)))]


def resolve(conn: Connection, row_id: int, *, sent: bool, now: dt.datetime, who: str) -> Row:
    """A person settles a row: it went out (``sent``), or it did not (``failed`` with fresh attempts,
    so it is sent again while still useful)."""
    row = conn.execute(select(outbox).where(outbox.c.id == row_id)).first()
    if row is None:
        raise LookupError(f"No reminder with ledger id {row_id}; 'clinicops reminders list' shows them")
    conn.execute(
        update(outbox)
        .where(outbox.c.id == row_id)
        .values(
            state=SENT if sent else FAILED,
            attempts=row.attempts if sent else 0,
            finished_at=stamp(now),
            detail=f"resolved by {who}: {'sent' if sent else 'not sent'}",
        )
    )
    return Row(**conn.execute(select(outbox).where(outbox.c.id == row_id)).one()._mapping)


def latest_sent(ledger: list[Row]) -> dict[tuple[str, str], str]:
    """(appointment, start) -> when its latest reminder was accepted."""
    out: dict[tuple[str, str], str] = {}
    for r in ledger:
        if r.state == SENT and r.finished_at:
            key = (r.appointment_id, r.start)
            out[key] = max(out.get(key, ""), r.finished_at)
    return out


def counts(conn: Connection, since: dt.datetime) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows(conn, since=since):
        out[r.state] = out.get(r.state, 0) + 1
    return out


def as_dict(row: Row) -> dict[str, Any]:
    return dict(row.__dict__)
