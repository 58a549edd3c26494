"""The daily digest: one email to the manager listing the alerts opened since the last digest.

Like a reminder it is claimed (a row per local day, state ``sending``) before it is sent
and marked ``sent`` only once the server accepted it, so a runner restarted at 07:00 never
mails it twice. The next digest covers everything since the last one that was accepted,
so a day whose digest failed is not lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import (
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

NAME = "email"
SENDING, SENT, FAILED = "sending", "sent", "failed"
OPEN = ("open", "acknowledged")
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}

log = logging.getLogger("clinicops.email")

metadata = MetaData()
digests = Table(
    "email_digest",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("reserved_at", String(32), nullable=False),
    Column("finished_at", String(32)),
    Column("covers_from", String(32), nullable=False),
    Column("covers_to", String(32), nullable=False),
    Column("alerts", Integer, nullable=False),
    Column("detail", Text),
)


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def last(storage: PluginStorage) -> dict[str, Any] | None:
    if not storage.exists(digests):
        return None
    row = storage.execute(select(digests).order_by(digests.c.day.desc()).limit(1)).first()
    return dict(row._mapping) if row else None


def covered_until(storage: PluginStorage) -> str | None:
    q = select(digests.c.covers_to).where(digests.c.state == SENT).order_by(digests.c.day.desc())
    row = storage.execute(q).first()
    return row[0] if row else None


def send_digest(practice: Any) -> None:
    """The ``email:daily-digest`` task."""
    settings = practice.settings(NAME)
    to = settings["digest_to"]
    if not to:
        return
    storage = practice.storage(NAME)
    now = practice.now()
    day = practice.today().isoformat()
    since = covered_until(storage) or stamp(now - dt.timedelta(days=1))
    until = stamp(now)
    alerts = [a for a in practice.records("alert") if a.get("status") in OPEN]
    new = [a for a in alerts if since < (a.get("first_seen") or "") <= until]
    if not new and not settings["digest_when_empty"]:
        return
    if not _reserve(storage, day, now, since, until, len(new)):
        return
    subject, body = compose(practice.name, new, len(alerts), since, practice.timezone)
    message = Message(NAME, to, subject, body, f"digest:{day}")
    try:
        delivery = practice.channels()[NAME].send(message)
    except Exception as exc:
        delivery = Delivery(False, f"the email channel failed ({type(exc).__name__})")
    _finish(storage, day, delivery, practice.now())
    if delivery.accepted:
        log.info("daily digest for %s sent (%d new alert(s))", day, len(new))
    else:
        log.warning("daily digest for %s not sent: %s", day, delivery.detail)


def compose(practice_name: str, new: list[dict[str, Any]], open_count: int, since: str, tz: Any) -> tuple[str, str]:
    start = dt.datetime.fromisoformat(since.replace("Z", "+00:00")).astimezone(tz).strftime("%Y-%m-%d %H:%M")
    subject = f"{practice_name}: {len(new)} new alert{'s' if len(new) != 1 else ''}"
    lines = [f"{practice_name}: alerts opened since {start}", ""]
    if new:
        ranked = sorted(new, key=lambda a: (SEVERITY_ORDER.get(a.get("severity", ""), 3), a.get("plugin", ""), a["id"]))
        for a in ranked:
            lines.append(f"[{a.get('severity', '?')}] {a.get('plugin', '?')}: {a.get('message', '')}")
    else:
        lines.append("No new alerts.")
    lines += ["", f"{open_count} alert(s) open in all; see the Alerts tab or 'clinicops status'."]
    return subject, "\n".join(lines) + "\n"


def _reserve(storage: PluginStorage, day: str, now: dt.datetime, since: str, until: str, count: int) -> bool:
    values = {"reserved_at": stamp(now), "covers_from": since, "covers_to": until, "alerts": count}
    try:
        with storage.separately() as own:
            existing = own.execute(select(digests.c.state).where(digests.c.day == day)).first()
            if existing is None:
                own.execute(insert(digests).values(day=day, state=SENDING, **values))
                return True
            claimed = own.execute(
                update(digests)
                .where(and_(digests.c.day == day, digests.c.state == FAILED))
                .values(state=SENDING, finished_at=None, **values)
            )
            return claimed.rowcount == 1
    except IntegrityError:
        return False


def _finish(storage: PluginStorage, day: str, delivery: Delivery, now: dt.datetime) -> None:
    with storage.separately() as own:
        own.execute(
            update(digests)
            .where(and_(digests.c.day == day, digests.c.state == SENDING))
            .values(state=SENT if delivery.accepted else FAILED, finished_at=stamp(now), detail=delivery.detail[:500])
        )
