"""The report's own sections, from the core's records: the open alerts.

An alert is open while its status is ``open`` or ``acknowledged`` (a person has seen it,
the condition still holds); resolved alerts are not counted. Alerts are shown as counts
per plugin and severity, never their messages, which may name a record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinicops.core.alerts import SEVERITIES
from clinicops.core.report_sections import Chart, Definition, Figure, ReportPeriod, ReportSection, Series

OPEN = ("open", "acknowledged")


def open_alerts(view: Any) -> list[dict[str, Any]]:
    """Open alerts, oldest first (by when each was first seen), then by id."""
    alerts = [a for a in view.records("alert") if a.get("status") in OPEN]
    return sorted(alerts, key=lambda a: (a.get("first_seen") or "", a["id"]))


def alert_counts(alerts: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """plugin -> severity -> open alerts, plugins in the order of their oldest open alert."""
    out: dict[str, dict[str, int]] = {}
    for a in alerts:
        by_severity = out.setdefault(a.get("plugin", ""), dict.fromkeys(SEVERITIES, 0))
        severity = a.get("severity", "info")
        by_severity[severity] = by_severity.get(severity, 0) + 1
    return out


def oldest_days(alerts: list[dict[str, Any]], today: dt.date) -> int | None:
    """Days since the oldest open alert was first seen (UTC date), or None with none open."""
    if not alerts or not alerts[0].get("first_seen"):
        return None
    return (today - dt.date.fromisoformat(alerts[0]["first_seen"][:10])).days


def alerts_section(view: Any, period: ReportPeriod) -> ReportSection:
    alerts = open_alerts(view)
    counts = alert_counts(alerts)
    as_of = f"open on {period.today.isoformat()}, whatever the report period"
    figures = (
        Figure(
            "alerts.open",
            "Open alerts",
            len(alerts),
            "alerts",
            Definition("alerts whose status is open or acknowledged", period=as_of, exclusions="resolved alerts"),
        ),
        Figure(
            "alerts.critical",
            "Critical alerts open",
            sum(c["critical"] for c in counts.values()),
            "alerts",
            Definition("open alerts of severity critical", period=as_of, exclusions="resolved alerts"),
        ),
        Figure(
            "alerts.oldest_days",
            "Oldest open alert",
            oldest_days(alerts, period.today),
            "days",
            Definition("days since the oldest open alert was first seen", period=as_of),
        ),
    )
    series = tuple(
        Series(severity, tuple((plugin, float(c[severity])) for plugin, c in counts.items()))
        for severity in reversed(SEVERITIES)
    )
    chart = Chart("Open alerts by plugin and severity (oldest first)", "stacked", series, unit="alerts")
    return ReportSection("core.alerts", "Open alerts", figures, (chart,), order=900)


def core_sections(view: Any, period: ReportPeriod) -> list[ReportSection]:
    """The sections every report has, whatever plugins are on."""
    return [alerts_section(view, period)]
