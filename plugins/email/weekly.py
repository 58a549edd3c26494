"""The weekly report email: the manager's report's headline figures, with the page attached.

Sent by the daily digest's task on ``weekly_day`` (Monday by default) to the same address,
as a message of its own; the daily digest itself is unchanged. The figures and the attached
page come from ``collect_report`` and ``render_report``, the same as ``clinicops report``
for its default period (the 90 days up to today), so the email, the page, the Dashboard tab
and ``clinicops status --json`` agree. Nothing in it names a patient.

Like the daily digest it is claimed before it is sent (a row per ISO week, state
``sending``) and marked ``sent`` only once the server accepted it, so it goes out at most
once a week; a week whose email failed is tried again at the next run that week.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Column, String, Table, Text, and_, insert, select, update
from sqlalchemy.exc import IntegrityError

import clinicops
from clinicops import Attachment, Delivery, Message, PluginStorage
from clinicops.plugins.email.digest import FAILED, NAME, SENDING, SENT, metadata, stamp

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

log = logging.getLogger("clinicops.email")

weekly = Table(
    "email_weekly",
    metadata,
    Column("week", String(10), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("reserved_at", String(32), nullable=False),
    Column("finished_at", String(32)),
    Column("detail", Text),
)


def send_weekly(practice: Any) -> None:
    """On the practice's ``weekly_day``, mail the manager the report's figures and page, once that week."""
    settings = practice.settings(NAME)
    today = practice.today()
    if not settings["digest_to"] or WEEKDAYS[today.weekday()] != settings["weekly_day"]:
        return
    year, number, _ = today.isocalendar()
    week = f"{year}-W{number:02d}"
    storage = practice.storage(NAME)
    if not _reserve(storage, week, stamp(practice.now())):
        return
    found = clinicops.collect_report(practice, clinicops.report_period(today))
    page = clinicops.render_report(found, practice.now(), practice.timezone).encode("utf-8")
    attachment = Attachment(f"report-{today.isoformat()}.html", "text/html", page)
    subject, body = compose(found)
    message = Message(NAME, settings["digest_to"], subject, body, f"weekly:{week}", (attachment,))
    try:
        delivery = practice.channels()[NAME].send(message)
    except Exception as exc:
        delivery = Delivery(False, f"the email channel failed ({type(exc).__name__})")
    with storage.separately() as own:
        own.execute(
            update(weekly)
            .where(and_(weekly.c.week == week, weekly.c.state == SENDING))
            .values(
                state=SENT if delivery.accepted else FAILED,
                finished_at=stamp(practice.now()),
                detail=delivery.detail[:500],
            )
        )
    if not delivery.accepted:
        log.warning("weekly report for %s not sent: %s", week, delivery.detail)


def compose(found: Any) -> tuple[str, str]:
    """Subject and body: every section's figures, one line each; definitions are on the attached page."""
    subject = f"{found.practice}: the week's report ({found.period.label})"
    lines = [f"{found.practice}: report for {found.period.label}", ""]
    for section in found.sections:
        if section.figures:
            lines.append(section.title)
            lines += [f"  {f.label}: {f.shown()}" for f in section.figures]
            lines.append("")
    lines.append("The attached page has the charts and how each figure is counted; it opens in any browser.")
    return subject, "\n".join(lines) + "\n"


def _reserve(storage: PluginStorage, week: str, now: str) -> bool:
    try:
        with storage.separately() as own:
            state = own.execute(select(weekly.c.state).where(weekly.c.week == week)).scalar()
            if state is None:
                own.execute(insert(weekly).values(week=week, state=SENDING, reserved_at=now))
                return True
            claimed = own.execute(
                update(weekly)
                .where(and_(weekly.c.week == week, weekly.c.state == FAILED))
                .values(state=SENDING, reserved_at=now, finished_at=None)
            )
            return claimed.rowcount == 1
    except IntegrityError:
        return False
