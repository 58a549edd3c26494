"""The reminders plugin's part of the manager's report: appointments and the no-show rate.

Definitions (each printed as the figure's footnote):

- **Appointments**: appointments whose start falls in the report period (local date),
  cancelled ones excluded.
- **No-show rate**: appointments marked ``no-show`` ÷ appointments that were due to happen
  (``no-show``, ``completed`` or ``checked-in``), over those that started in the period and
  before now. Cancelled visits and visits nobody closed out yet are in neither count. This
  is the same rate ``clinicops status`` shows per week (:mod:`.noshows`).
- **By week**: weeks start on Monday and are named by ISO week (``2026-W47``).
- **By provider**: the provider's name from the Providers tab; no patient is named.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinicops import Chart, Definition, Figure, ReportPeriod, ReportSection, Series
from clinicops.plugins.reminders.noshows import ATTENDED, NO_SHOW, iso_week
from clinicops.plugins.reminders.planning import parse_start

NO_PROVIDER = "(no provider)"
DUE = "no-shows, completed or checked-in appointments"


def provider_names(providers: list[dict[str, Any]]) -> dict[str, str]:
    """Provider id -> ``Dr. Lovelace``-style name (``first last, credentials``) for charts."""
    out = {}
    for p in providers:
        name = " ".join(x for x in (p.get("first_name"), p.get("last_name")) if x) or p["id"]
        out[p["id"]] = f"{name}, {p['credentials']}" if p.get("credentials") else name
    return out


def in_period(appointments: list[dict[str, Any]], period: ReportPeriod, tz: Any) -> list[tuple[dict[str, Any], Any]]:
    """(appointment, start) for appointments starting in the period, by local date."""
    out = []
    for appt in appointments:
        start = parse_start(appt.get("start"))
        if start is not None and start.astimezone(tz).date() in period:
            out.append((appt, start))
    return out


def rate(no_shows: int, kept: int) -> float | None:
    return no_shows / (no_shows + kept) if no_shows + kept else None


def section(practice: Any, period: ReportPeriod) -> ReportSection:
    tz, now = practice.timezone, practice.now()
    names = provider_names(practice.records("provider"))
    found = in_period(practice.records("appointment"), period, tz)
    booked = [(a, s) for a, s in found if a.get("status") != "cancelled"]
    weeks = weeks_between(period.start, period.end)
    by_week: dict[str, dict[str, int]] = {w: {"kept": 0, "no-show": 0, "other": 0} for w in weeks}
    tally: dict[tuple[str, str], list[int]] = {}
    for appt, start in booked:
        week, status = iso_week(start.astimezone(tz).date()), appt.get("status")
        due = start <= now and status in (NO_SHOW, *ATTENDED)
        by_week[week]["no-show" if status == NO_SHOW and due else "kept" if due else "other"] += 1
        if due:
            who = names.get(appt.get("provider_id") or "", appt.get("provider_id") or NO_PROVIDER)
            for key in ((week, who), (week, ""), ("", who), ("", "")):
                tally.setdefault(key, [0, 0])[0 if status == NO_SHOW else 1] += 1
    no_shows, kept = tally.get(("", ""), [0, 0])
    providers = sorted({who for (_, who) in tally if who})
    figures = (
        Figure(
            "reminders.appointments",
            "Appointments",
            len(booked),
            "appointments",
            Definition("appointments starting in the period", period=period.label, exclusions="cancelled ones"),
        ),
        Figure(
            "reminders.no_show_rate",
            "No-show rate",
            rate(no_shows, kept),
            "%",
            Definition("no-shows", DUE, period.label, "cancelled appointments and those not yet closed out"),
        ),
    )
    appointments = Chart(
        "Appointments by week",
        "stacked",
        tuple(
            Series(label, tuple((w, float(by_week[w][key])) for w in weeks))
            for key, label in (("kept", "seen"), ("no-show", "no-show"), ("other", "not yet closed out"))
        ),
        unit="appointments",
    )
    trend = Chart(
        "No-show rate by week",
        "line",
        tuple(
            Series(who or "practice", tuple((w, rate(*tally[(w, who)]) or 0.0) for w in weeks if (w, who) in tally))
            for who in ("", *providers)
        ),
        unit="%",
    )
    by_provider = Chart(
        "No-show rate by provider",
        "bar",
        (Series("no-show rate", tuple((who, rate(*tally[("", who)]) or 0.0) for who in providers)),),
        unit="%",
    )
    return ReportSection(
        "reminders.appointments", "Appointments and no-shows", figures, (appointments, trend, by_provider), order=100
    )


def weeks_between(start: dt.date, end: dt.date) -> list[str]:
    """Every ISO week touching the dates from start to end."""
    out: list[str] = []
    day = start - dt.timedelta(days=start.weekday())
    while day <= end:
        out.append(iso_week(day))
        day += dt.timedelta(days=7)
    return out
