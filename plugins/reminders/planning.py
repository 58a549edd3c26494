"""Which reminders are due now: a pure function of appointments, patients, the clock and the ledger.

Rules, each a line of :func:`due`:

- Only appointments still ``scheduled`` or ``confirmed`` and not yet started get reminders;
  a cancelled, completed, checked-in or missed one never does.
- An offset is due once ``start - offset`` has passed. When several are due, only the
  smallest counts: a 48 h reminder that could not go out before the 2 h one was due is
  superseded, so a patient never gets two reminders at once.
- Quiet hours are the patient's: nothing goes to a patient while it is quiet hours where
  they are (their address's state, else their phone's area code, else the practice's zone;
  every zone when there are two: see :mod:`.zones`, 47 CFR 64.1200(c)(1)). A reminder that
  came due then goes out when they end if the appointment has not started, otherwise never.
- The patient must have consented to the channel (``reminder_consent``) and have its
  address; the preferred channel comes first, another consented one only if ``fallback``.
- A slot (appointment, start, offset) already in the ledger is not planned again. The start
  is part of the slot, so a moved appointment gets fresh reminders for its new time.

Offsets are durations: 48 h before 9:00 on the Monday after a DST change is 10:00 (not
9:00) on the Saturday, wall-clock. The time shown to the patient is always the local time
of the appointment itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from clinicops.plugins.reminders.settings import Settings
from clinicops.plugins.reminders.zones import patient_zones

ACTIVE = ("scheduled", "confirmed")
CHANNELS = ("sms", "email")
CONSENTED = {"sms": {"sms"}, "email": {"email"}, "both": {"sms", "email"}}
ADDRESS_FIELD = {"sms": "phone", "email": "email"}

Slot = tuple[str, str, int]  # appointment id, start as stored, offset in minutes
Quiet = tuple[dt.time, dt.time] | None


@dataclass(frozen=True)
class Reminder:
    """One reminder to send: which appointment, which offset, by which channel, to where."""

    appointment_id: str
    patient_id: str
    provider_id: str
    start: str  # as stored: UTC ``YYYY-MM-DDTHH:MM:SSZ``
    offset: dt.timedelta
    channel: str
    to: str = field(repr=False)  # an address: kept out of reprs and logs

    @property
    def offset_minutes(self) -> int:
        return int(self.offset.total_seconds() // 60)

    @property
    def slot(self) -> Slot:
        return (self.appointment_id, self.start, self.offset_minutes)

    @property
    def key(self) -> str:
        """The idempotency key: one message per appointment, start, offset and channel, ever."""
        return f"reminder:{self.appointment_id}:{self.start}:{self.offset_minutes}m:{self.channel}"


def parse_start(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def in_quiet_hours(local: dt.time, quiet: Quiet) -> bool:
    if quiet is None:
        return False
    start, end = quiet
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def quiet_for(patient: dict[str, Any], moment: dt.datetime, practice: ZoneInfo, quiet: Quiet) -> bool:
    """Whether ``moment`` falls in quiet hours in any of the patient's time zones."""
    zones, _ = patient_zones(patient, practice)
    return any(in_quiet_hours(moment.astimezone(zone).time(), quiet) for zone in zones)


def quiet_ends(patient: dict[str, Any], moment: dt.datetime, practice: ZoneInfo, quiet: Quiet) -> dt.datetime:
    """When quiet hours that hold at ``moment`` have ended in every one of the patient's zones."""
    if quiet is None:
        return moment
    latest = moment
    for zone in patient_zones(patient, practice)[0]:
        local = moment.astimezone(zone)
        if not in_quiet_hours(local.time(), quiet):
            continue
        day = local.date() + dt.timedelta(days=1 if quiet[0] > quiet[1] and local.time() >= quiet[0] else 0)
        latest = max(latest, dt.datetime.combine(day, quiet[1], tzinfo=zone))
    return latest


def choose_channel(patient: dict[str, Any], available: Iterable[str], fallback: bool) -> tuple[str, str] | None:
    """The channel and address to use, or None when the patient cannot or may not be reached."""
    consented = CONSENTED.get(patient.get("reminder_consent") or "none", set())
    preferred = patient.get("preferred_channel")
    order = [preferred] if preferred in CHANNELS else []
    if fallback or not order:
        order += [c for c in CHANNELS if c not in order]
    usable = set(available)
    for channel in order:
        address = patient.get(ADDRESS_FIELD[channel])
        if channel in consented and channel in usable and address:
            return channel, address
    return None


def missing_channel(patient: dict[str, Any], available: Iterable[str]) -> str | None:
    """For a patient no channel can reach, the consented one (with an address) whose plugin is off."""
    available = set(available)
    if choose_channel(patient, available, fallback=True) is not None:
        return None
    consented = CONSENTED.get(patient.get("reminder_consent") or "none", set())
    preferred = patient.get("preferred_channel")
    for channel in sorted(CHANNELS, key=lambda c: c != preferred):
        if channel in consented and channel not in available and patient.get(ADDRESS_FIELD[channel]):
            return channel
    return None


def due_offset(start: dt.datetime, now: dt.datetime, offsets: Iterable[dt.timedelta]) -> dt.timedelta | None:
    """The smallest offset whose time has come, if the appointment has not started."""
    if start <= now:
        return None
    reached = [o for o in offsets if start - o <= now]
    return min(reached) if reached else None


def already_reminded(appt: dict[str, Any], due_at: dt.datetime) -> bool:
    """The appointment's own "Reminder sent" says a reminder for this start went out at or after ``due_at``.

    The ledger is the record of what was sent; this is the second witness, kept in the
    sheet, for when the ledger is gone with a lost store (see core.lost_store): the store
    rebuilt from the sheet gets the column back, and the reminder is not sent twice.
    """
    sent = parse_start(appt.get("reminder_sent_at"))
    return sent is not None and sent >= due_at


def due_slots(
    appointments: Iterable[dict[str, Any]], *, now: dt.datetime, tz: ZoneInfo, settings: Settings, taken: set[Slot]
) -> list[tuple[dict[str, Any], dt.datetime, dt.timedelta]]:
    """(appointment, start, offset) whose reminder is due now and not in the ledger, patients aside."""
    out = []
    for appt in appointments:
        if appt.get("status") not in ACTIVE:
            continue
        start = parse_start(appt.get("start"))
        offset = due_offset(start, now, settings.offsets) if start else None
        if start is None or offset is None:
            continue
        if (appt["id"], appt["start"], int(offset.total_seconds() // 60)) in taken:
            continue
        if already_reminded(appt, start - offset):
            continue
        out.append((appt, start, offset))
    return out


def due(
    appointments: Iterable[dict[str, Any]],
    patients: dict[str, dict[str, Any]],
    *,
    now: dt.datetime,
    tz: ZoneInfo,
    settings: Settings,
    available: Iterable[str],
    taken: set[Slot],
) -> list[Reminder]:
    """The reminders to send at ``now``, soonest appointment first."""
    available = set(available)
    out: list[tuple[dt.datetime, Reminder]] = []
    for appt, start, offset in due_slots(appointments, now=now, tz=tz, settings=settings, taken=taken):
        patient = patients.get(appt.get("patient_id") or "")
        if patient is None or quiet_for(patient, now, tz, settings.quiet):
            continue
        choice = choose_channel(patient, available, settings.fallback)
        if choice is None:
            continue
        channel, address = choice
        provider = appt.get("provider_id", "")
        out.append((start, Reminder(appt["id"], patient["id"], provider, appt["start"], offset, channel, address)))
    out.sort(key=lambda pair: (pair[0], pair[1].appointment_id))
    return [r for _, r in out]
