"""The schedule plugin's part of the manager's report: patient flow, double-bookings and gaps.

Definitions (each printed as the figure's footnote), over appointments starting in the
report period (local date), cancelled ones left out:

- **Median wait** and **median cycle time**: as on the Patient flow tab (:mod:`.flow`):
  check-in to seen by the provider, and check-in to check-out, in whole minutes, over the
  visits with both times filled in.
- **Double-bookings**: pairs of overlapping appointments with the same provider (types in
  ``overlap_types`` aside), the same room or the same patient; a pair sharing two of these
  counts once. No-shows are left out: their time is past, as for the alerts.
- **Utilisation**: booked minutes inside a provider's hours ÷ their open minutes on the
  days of the period, for providers with rows on Provider hours (others have unknown hours).
- **Gaps**: provider working days in the period whose unbooked open time reaches
  ``gap_minutes`` (120), the same rule as the gap alert.
- **By week** and **by provider**: ISO weeks; providers by their name on the Providers tab.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinicops import Chart, Definition, Figure, ReportPeriod, ReportSection, Series
from clinicops.plugins.schedule import flow, hours
from clinicops.plugins.schedule.booking import Slot, overlaps, slots

APPOINTMENT, HOURS = "appointment", "provider_hours"
IN_PERIOD = "appointments starting in the period, cancelled ones excluded"


def provider_names(providers: list[dict[str, Any]]) -> dict[str, str]:
    """Provider id -> ``Ada Lovelace, MD`` for charts; no patient is ever named."""
    out = {}
    for p in providers:
        name = " ".join(x for x in (p.get("first_name"), p.get("last_name")) if x) or p["id"]
        out[p["id"]] = f"{name}, {p['credentials']}" if p.get("credentials") else name
    return out


def double_bookings(found: list[Slot], overlap_types: list[str]) -> set[tuple[str, str]]:
    """(earlier id, later id) of each overlapping pair, no-shows left out."""
    active = [s for s in found if s.status != "no-show"]
    pairs = {
        (a.id, b.id)
        for a, b in overlaps(active, "provider")
        if a.kind not in overlap_types and b.kind not in overlap_types
    }
    for key in ("room", "patient"):
        pairs |= {(a.id, b.id) for a, b in overlaps(active, key)}
    return pairs


def days_of(period: ReportPeriod) -> list[dt.date]:
    return [period.start + dt.timedelta(days=n) for n in range((period.end - period.start).days + 1)]


def open_time(
    found: list[Slot], weekly: dict[str, dict[int, hours.Blocks]], period: ReportPeriod, gap_minutes: int
) -> dict[str, tuple[int, float, int]]:
    """provider -> (open minutes, booked minutes inside the hours, days with a gap) over the period."""
    out = {}
    for provider, days in sorted(weekly.items()):
        mine = [s for s in found if s.provider == provider]
        opened, inside, gaps = 0, 0.0, 0
        for day in days_of(period):
            blocks = days.get(day.weekday())
            if not blocks:
                continue
            opened += hours.open_minutes(blocks)
            today = [s for s in mine if s.day == day]
            inside += sum((s.end - s.start).total_seconds() / 60 for s in today if hours.within(blocks, s.start, s.end))
            if hours.unbooked(blocks, [(s.start, s.end) for s in today], day) >= gap_minutes:
                gaps += 1
        out[provider] = (opened, inside, gaps)
    return out


def section(practice: Any, period: ReportPeriod, settings: dict[str, Any]) -> ReportSection:
    zone = practice.timezone
    names = provider_names(practice.records("provider"))
    found = [s for s in slots(practice.records(APPOINTMENT), zone, settings["default_minutes"]) if s.day in period]
    waits = [(s, w) for s in found if (w := flow.wait(s, zone)) is not None]
    cycles = [c for s in found if (c := flow.cycle(s, zone)) is not None]
    pairs = double_bookings(found, settings["overlap_types"])
    time = open_time(found, hours.weekly(practice.records(HOURS)), period, settings["gap_minutes"])
    opened = sum(t[0] for t in time.values())
    utilisation = sum(t[1] for t in time.values()) / opened if opened else None
    figures = (
        Figure(
            "schedule.median_wait",
            "Median wait",
            flow.median([w for _, w in waits]),
            "minutes",
            Definition("median minutes from check-in to seen by the provider", period=period.label),
        ),
        Figure(
            "schedule.median_cycle",
            "Median visit length",
            flow.median(cycles),
            "minutes",
            Definition("median minutes from check-in to check-out", period=period.label),
        ),
        Figure(
            "schedule.double_bookings",
            "Double-bookings",
            len(pairs),
            "pairs",
            Definition(
                "pairs of overlapping appointments with the same provider, room or patient (a pair once)",
                period=period.label,
                exclusions="cancelled appointments, no-shows and appointment types allowed to overlap",
            ),
        ),
        Figure(
            "schedule.utilisation",
            "Utilisation",
            utilisation,
            "%",
            Definition(
                "booked minutes inside providers' hours",
                "their open minutes on Provider hours",
                period.label,
                "providers without hours on the Provider hours tab",
            ),
        ),
        Figure(
            "schedule.gap_days",
            "Days with a gap",
            sum(t[2] for t in time.values()),
            "provider-days",
            Definition(
                f"provider working days with at least {settings['gap_minutes']} open minutes unbooked",
                period=period.label,
            ),
        ),
    )
    return ReportSection(
        "schedule.flow", "Patient flow and the schedule", figures, charts(waits, time, names), order=120
    )


def charts(
    waits: list[tuple[Slot, float]], time: dict[str, tuple[int, float, int]], names: dict[str, str]
) -> tuple[Chart, ...]:
    by_week: dict[str, list[float]] = {}
    by_provider: dict[str, list[float]] = {}
    for slot, w in waits:
        year, week, _ = slot.day.isocalendar()
        by_week.setdefault(f"{year}-W{week:02d}", []).append(w)
        by_provider.setdefault(names.get(slot.provider, slot.provider), []).append(w)
    wait_trend = Chart(
        "Median wait by week",
        "line",
        (Series("median wait", tuple((k, float(flow.median(v) or 0)) for k, v in sorted(by_week.items()))),),
        unit="minutes",
    )
    wait_by_provider = Chart(
        "Median wait by provider",
        "bar",
        (Series("median wait", tuple((k, float(flow.median(v) or 0)) for k, v in sorted(by_provider.items()))),),
        unit="minutes",
    )
    use = Chart(
        "Utilisation by provider",
        "bar",
        (
            Series(
                "utilisation",
                tuple((names.get(p, p), t[1] / t[0]) for p, t in time.items() if t[0]),
            ),
        ),
        unit="%",
    )
    return (wait_trend, wait_by_provider, use)
