"""Schedule and patient flow: double bookings, working hours, gaps, wait times, utilisation.

Columns and tabs (see :mod:`.schemas`): ``Room`` and the patient-flow times on
Appointments, the staff's **Provider hours** tab, and **Patient flow**, rebuilt every sync.

Alerts, for appointments from today to ``horizon_days`` (30) ahead, cancelled ones left
out (see :mod:`.booking`):

- ``A…:double-booked:A…`` (warning): a provider booked for two overlapping appointments,
  unless either is of a type in ``overlap_types`` (default none; e.g. ``["telehealth"]``
  for a practice whose telehealth slots are run beside clinic visits).
- ``A…:room-double-booked:A…`` (warning): one room booked twice at once.
- ``A…:patient-double-booked:A…`` (warning): one patient booked twice at once, with any
  providers.
- ``A…:day-off`` / ``A…:outside-hours`` (warning): an appointment on a weekday the
  provider does not work, or not inside one of that day's blocks on Provider hours
  (see :mod:`.hours`; a provider with no rows there is not checked).
- ``gap:PR…:DATE`` (info): a provider's open time not booked on a working day within
  ``gap_days_ahead`` (3 days, today included, today only from now on) reaches
  ``gap_minutes`` (120), so the front desk can fill it.
- ``median-wait`` and ``median-wait:PR…`` (warning): the median wait (check-in to seen by
  the provider) over the last 7 days passes ``max_median_wait`` (20 minutes), practice-
  wide and per provider, once at least 3 visits were timed (see :mod:`.flow`).

Patient-flow times out of order on a row (seen before checked in…) are a cell error, like
any bad cell. **Patient flow** holds per provider and ISO week (the last ``weeks_shown``,
4, including this one): open and booked hours, utilisation, visits, median wait and cycle
time; ``clinicops status`` shows waits by hour of day. The manager's report has a
**Patient flow and the schedule** section: median wait and visit length, double-bookings,
utilisation and days with a gap in the period (definitions in :mod:`.report`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinicops import Alert, FieldProblem, ReportPeriod, ReportSection, StatusSection, hookimpl
from clinicops.plugins.schedule import flow, hours, report, schemas
from clinicops.plugins.schedule.booking import Slot, local, overlaps, slots

NAME = "schedule"
APPOINTMENT, HOURS, FLOW = "appointment", "provider_hours", "flow_week"
MIN_TIMED = 3


@hookimpl
def plugin_settings_schema() -> dict[str, Any]:
    def whole(low: int, high: int, default: int, text: str) -> dict[str, Any]:
        return {"type": "integer", "minimum": low, "maximum": high, "default": default, "description": text}

    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "default_minutes": whole(5, 240, 15, "Length of an appointment whose Minutes is blank."),
            "overlap_types": {"type": "array", "items": {"type": "string"}, "default": []},
            "horizon_days": whole(1, 365, 30, "How far ahead conflicts and hours are checked."),
            "gap_minutes": whole(15, 600, 120, "Unbooked minutes in a provider's day worth an alert."),
            "gap_days_ahead": whole(0, 30, 3, "Days, from today, whose gaps are reported."),
            "max_median_wait": whole(1, 240, 20, "Median wait in minutes over 7 days that raises an alert."),
            "weeks_shown": whole(1, 52, 4, "Weeks on the Patient flow tab."),
        },
    }


@hookimpl
def register_schemas() -> list[dict[str, Any]]:
    return [schemas.appointment_flow(), schemas.provider_hours(), schemas.patient_flow()]


@hookimpl
def validate_record(practice: Any, entity: str, record: dict[str, Any]) -> list[FieldProblem] | None:
    """Flow times must follow each other: checked in, roomed, seen, checked out."""
    if entity != APPOINTMENT:
        return None
    problems, last = [], None
    for field, title in flow.ORDER:
        if not record.get(field):
            continue
        moment = local(record[field], practice.timezone)
        if last is not None and moment < last[0]:
            problems.append(FieldProblem(field, f"{title} is before {last[1]}", f"a time after {last[1]}"))
        else:
            last = (moment, title)
    return problems


@hookimpl
def collect_alerts(practice: Any) -> list[Alert]:
    settings, zone = practice.settings(NAME), practice.timezone
    now = practice.now().astimezone(zone).replace(tzinfo=None)
    booked = slots(practice.records(APPOINTMENT), zone, settings["default_minutes"])
    ahead = [s for s in booked if now.date() <= s.day <= now.date() + dt.timedelta(days=settings["horizon_days"])]
    ahead = [s for s in ahead if s.status != "no-show"]
    weekly = hours.weekly(practice.records(HOURS))
    alerts = _conflicts(ahead, settings["overlap_types"])
    alerts += _hours_alerts(ahead, weekly)
    alerts += _gap_alerts(booked, weekly, now, settings)
    alerts += _wait_alerts(booked, practice, now.date(), settings["max_median_wait"])
    return alerts


def _slot_alert(slot: Slot, key: str, message: str) -> Alert:
    return Alert(key=f"{slot.id}:{key}", severity="warning", message=message, entity=APPOINTMENT, record_id=slot.id)


def _at(slot: Slot) -> str:
    return f"{slot.id} ({slot.start:%Y-%m-%d %H:%M}–{slot.end:%H:%M})"


def _conflicts(ahead: list[Slot], overlap_types: list[str]) -> list[Alert]:
    out = []
    for a, b in overlaps(ahead, "provider"):
        if a.kind in overlap_types or b.kind in overlap_types:
            continue
        message = f"Provider {b.provider} is double-booked: {_at(b)} overlaps {_at(a)}. Move one of them."
        out.append(_slot_alert(b, f"double-booked:{a.id}", message))
    for a, b in overlaps(ahead, "room"):
        message = f"Room {b.room} is double-booked: {_at(b)} overlaps {_at(a)}. Give one of them another room."
        out.append(_slot_alert(b, f"room-double-booked:{a.id}", message))
    for a, b in overlaps(ahead, "patient"):
        message = f"Patient {b.patient} is booked twice at once: {_at(b)} with {b.provider} overlaps {_at(a)}"
        message += f" with {a.provider}."
        out.append(_slot_alert(b, f"patient-double-booked:{a.id}", message))
    return out


def _hours_alerts(ahead: list[Slot], weekly: dict[str, dict[int, hours.Blocks]]) -> list[Alert]:
    out = []
    for slot in ahead:
        days = weekly.get(slot.provider)
        if days is None:
            continue
        blocks = days.get(slot.day.weekday())
        if not blocks:
            message = f"{_at(slot)} is on {slot.start:%A}, a day {slot.provider} does not work (Provider hours)."
            out.append(_slot_alert(slot, "day-off", message))
        elif not hours.within(blocks, slot.start, slot.end):
            shown = ", ".join(f"{hours.clock(b)}–{hours.clock(f)}" for b, f in blocks)
            message = f"{_at(slot)} is outside {slot.provider}'s hours on {slot.start:%A}s ({shown})."
            out.append(_slot_alert(slot, "outside-hours", message))
    return out


def _gap_alerts(
    booked: list[Slot], weekly: dict[str, dict[int, hours.Blocks]], now: dt.datetime, settings: dict[str, Any]
) -> list[Alert]:
    out = []
    for provider, days in sorted(weekly.items()):
        mine = [(s.start, s.end) for s in booked if s.provider == provider]
        for offset in range(settings["gap_days_ahead"] + 1):
            day = now.date() + dt.timedelta(days=offset)
            blocks = days.get(day.weekday())
            if not blocks:
                continue
            after = now.hour * 60 + now.minute if offset == 0 else 0
            free = hours.unbooked(blocks, mine, day, after)
            if free >= settings["gap_minutes"]:
                message = f"{provider} has {free // 60} h {free % 60:02d} min unbooked on {day:%a} {day}: "
                message += "fill it from the wait list or recalls."
                out.append(
                    Alert(
                        key=f"gap:{provider}:{day}",
                        severity="info",
                        message=message,
                        entity="provider",
                        record_id=provider,
                    )
                )
    return out


def _wait_alerts(booked: list[Slot], practice: Any, today: dt.date, limit: int) -> list[Alert]:
    zone = practice.timezone
    recent = [s for s in booked if today - dt.timedelta(days=6) <= s.day <= today]
    timed = [(s, w) for s in recent if (w := flow.wait(s, zone)) is not None]
    groups: dict[str | None, list[float]] = {None: [w for _, w in timed]}
    for slot, w in timed:
        groups.setdefault(slot.provider, []).append(w)
    out = []
    for provider, waits in groups.items():
        middle = flow.median(waits)
        if len(waits) < MIN_TIMED or middle is None or middle <= limit:
            continue
        who = f"{provider}'s patients" if provider else "Patients"
        message = (
            f"{who} waited a median {middle} min from check-in to being seen over the last 7 days "
            f"({len(waits)} visits timed), above the {limit} min the practice aims for."
        )
        key = f"median-wait:{provider}" if provider else "median-wait"
        out.append(Alert(key=key, severity="warning", message=message))
    return out


@hookimpl
def refresh_tables(practice: Any) -> None:
    practice.replace_table(FLOW, week_lines(practice), plugin=NAME)


def week_lines(practice: Any) -> list[dict[str, Any]]:
    """Per ISO week and provider: open and booked hours, utilisation, visits, median wait and cycle."""
    settings, zone, today = practice.settings(NAME), practice.timezone, practice.today()
    booked = slots(practice.records(APPOINTMENT), zone, settings["default_minutes"])
    weekly = hours.weekly(practice.records(HOURS))
    first = flow.week_start(today) - dt.timedelta(weeks=settings["weeks_shown"] - 1)
    out = []
    for n in range(settings["weeks_shown"]):
        monday = first + dt.timedelta(weeks=n)
        week = [s for s in booked if monday <= s.day < monday + dt.timedelta(days=7)]
        for provider in sorted({s.provider for s in week} | set(weekly)):
            out.append(
                _week_line(monday, provider, [s for s in week if s.provider == provider], weekly.get(provider), zone)
            )
    return out


def _week_line(
    monday: dt.date, provider: str, week: list[Slot], days: dict[int, hours.Blocks] | None, zone: Any
) -> dict[str, Any]:
    line: dict[str, Any] = {"id": f"{monday}-{provider}", "week": monday.isoformat(), "provider": provider}
    line["visits"] = sum(1 for s in week if s.status == "completed")
    booked = sum((s.end - s.start).total_seconds() / 60 for s in week)
    line["booked_hours"] = round(booked / 60, 1)
    if days is not None:
        open_min = sum(hours.open_minutes(days.get(d, [])) for d in range(7))
        inside = sum(
            (s.end - s.start).total_seconds() / 60
            for s in week
            if hours.within(days.get(s.day.weekday(), []), s.start, s.end)
        )
        line["open_hours"] = round(open_min / 60, 1)
        if open_min:
            line["utilisation"] = round(100 * inside / open_min, 1)
    for field, measure in (("median_wait", flow.wait), ("median_cycle", flow.cycle)):
        found = flow.median([m for s in week if (m := measure(s, zone)) is not None])
        if found is not None:
            line[field] = found
    return line


@hookimpl
def status_sections(practice: Any) -> list[StatusSection]:
    return [
        StatusSection(
            "Waits by hour of check-in (last 28 days)",
            ("Hour", "Visits timed", "Median wait", "Median cycle"),
            hour_rows(practice),
        )
    ]


def hour_rows(practice: Any) -> list[tuple[str, int, Any, Any]]:
    zone, today = practice.timezone, practice.today()
    booked = slots(practice.records(APPOINTMENT), zone, practice.settings(NAME)["default_minutes"])
    recent = [s for s in booked if today - dt.timedelta(days=27) <= s.day <= today and s.record.get("checked_in_at")]
    by_hour: dict[int, list[Slot]] = {}
    for slot in recent:
        by_hour.setdefault(flow.check_in_hour(slot, zone), []).append(slot)
    rows = []
    for hour, group in sorted(by_hour.items()):
        waits = [w for s in group if (w := flow.wait(s, zone)) is not None]
        cycles = [c for s in group if (c := flow.cycle(s, zone)) is not None]
        rows.append(
            (f"{hour:02d}:00", len(waits), flow.median(waits) if waits else "", flow.median(cycles) if cycles else "")
        )
    return rows


@hookimpl
def report_sections(practice: Any, period: ReportPeriod) -> list[ReportSection]:
    return [report.section(practice, period, practice.settings(NAME))]
