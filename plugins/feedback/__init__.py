"""Patient feedback and complaints: deadlines, escalation, privacy grievances, satisfaction trend.

Staff log every compliment, complaint, suggestion and grievance on the **Feedback** tab
(see :mod:`.schemas`): date, channel, patient (optional: anonymous feedback is welcome),
provider or area, type, a 1–5 rating and/or a 0–10 "would you recommend us", the
comments, owner, status and the dates it was acknowledged and resolved. The comments are
protected health information whenever a patient is named, so the column is always
handled as PHI: masked in reports, never quoted in an alert.

Deadlines (complaints and grievances only, see :mod:`.deadlines`): the plugin writes
``Acknowledge by`` (``acknowledge_business_days``, default 2 business days after the date)
and ``Resolve by`` (``resolve_days``, default 30 days).

Alerts, each naming the row, its owner and never its comments:

- ``FB…:acknowledge`` (info) until it is acknowledged (an ``Acknowledged`` date, or a
  status past ``new``), then ``FB…:acknowledge-overdue`` (warning) once the day passes.
- ``FB…:resolve-soon`` (warning) within ``resolve_warn_days`` (7) of ``Resolve by``;
  ``FB…:overdue`` (critical) after it: escalated to the practice manager (``manager``, a
  staff id; by default the first active office manager on the Staff tab), who is named.
- ``FB…:privacy`` (critical): a complaint or grievance alleging a privacy breach
  (``Privacy concern`` ticked, or words for one in the comments; see :mod:`.privacy`),
  with the HIPAA breach-assessment steps, until it is resolved.

The **Satisfaction** tab is rebuilt every sync: average rating, NPS, compliments and
complaints by month and provider (see :mod:`.trend`), ``trend_months`` (12) months back.
The manager's report has a **Patient feedback** section: average rating, NPS, complaints
received, open and overdue (definitions in :mod:`.report`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinicops import Alert, ReportPeriod, ReportSection, StatusSection, days_text, hookimpl
from clinicops.plugins.feedback import report, schemas, trend
from clinicops.plugins.feedback.deadlines import acknowledged, deadlines, resolved
from clinicops.plugins.feedback.privacy import STEPS, alleges_breach

NAME = "feedback"
ENTITY, TREND = "feedback", "satisfaction_month"


@hookimpl
def plugin_settings_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "acknowledge_business_days": {"type": "integer", "minimum": 0, "maximum": 30, "default": 2},
            "resolve_days": {"type": "integer", "minimum": 1, "maximum": 365, "default": 30},
            "resolve_warn_days": {"type": "integer", "minimum": 0, "maximum": 60, "default": 7},
            "manager": {"type": "string", "default": "", "description": "Staff id of whom overdue complaints go to."},
            "trend_months": {"type": "integer", "minimum": 1, "maximum": 60, "default": 12},
        },
    }


@hookimpl
def register_schemas() -> list[dict[str, Any]]:
    return [schemas.feedback(), schemas.satisfaction()]


@hookimpl
def compute_fields(practice: Any, entity: str, record: dict[str, Any]) -> dict[str, Any] | None:
    if entity != ENTITY:
        return None
    ack, due = deadlines(record, practice.settings(NAME))
    return {"acknowledge_by": ack, "resolve_by": due}


@hookimpl
def refresh_tables(practice: Any) -> None:
    months = practice.settings(NAME)["trend_months"]
    practice.replace_table(TREND, trend.lines(practice.records(ENTITY), practice.today(), months), plugin=NAME)


@hookimpl
def collect_alerts(practice: Any) -> list[Alert]:
    settings, today = practice.settings(NAME), practice.today()
    staff = {s["id"]: s for s in practice.records("staff")} if "staff" in practice.registry else {}
    manager = _manager(staff, settings["manager"])
    alerts: list[Alert] = []
    for row in practice.records(ENTITY):
        if resolved(row):
            continue
        what = _what(row, staff)
        if alleges_breach(row):
            alerts.append(_alert(row, "privacy", "critical", f"{what} alleges a privacy breach. {STEPS}"))
        ack, due = deadlines(row, settings)
        if ack is None or due is None:
            continue
        if not acknowledged(row):
            left = (dt.date.fromisoformat(ack) - today).days
            key, severity = ("acknowledge-overdue", "warning") if left < 0 else ("acknowledge", "info")
            alerts.append(
                _alert(row, key, severity, f"{what}: acknowledge it to the patient by {ack} ({_when(left)}).")
            )
        left = (dt.date.fromisoformat(due) - today).days
        if left < 0:
            message = f"{what} is unresolved past its deadline {due} ({_when(left)}); escalated to {manager}."
            alerts.append(_alert(row, "overdue", "critical", message))
        elif left <= settings["resolve_warn_days"]:
            alerts.append(_alert(row, "resolve-soon", "warning", f"{what} must be resolved by {due} ({_when(left)})."))
    return alerts


@hookimpl
def report_sections(practice: Any, period: ReportPeriod) -> list[ReportSection]:
    return [report.section(practice, period, practice.settings(NAME))]


@hookimpl
def status_sections(practice: Any) -> list[StatusSection]:
    settings = practice.settings(NAME)
    rows = []
    for row in sorted(practice.records(ENTITY), key=lambda r: (r["received"], r["id"])):
        ack, due = deadlines(row, settings)
        if due is not None and not resolved(row):
            rows.append((row["id"], row["type"], row["received"], row.get("status") or "new", ack, due))
    return [
        StatusSection("Open complaints", ("ID", "Type", "Received", "Status", "Acknowledge by", "Resolve by"), rows)
    ]


def _alert(row: dict[str, Any], key: str, severity: str, message: str) -> Alert:
    return Alert(key=f"{row['id']}:{key}", severity=severity, message=message, entity=ENTITY, record_id=row["id"])


def _when(left: int) -> str:
    return f"{days_text(-left)} ago" if left < 0 else "today" if left == 0 else f"in {days_text(left)}"


def _person(member: dict[str, Any]) -> str:
    return f"{member.get('first_name', '')} {member.get('last_name', '')} ({member['id']})"


def _what(row: dict[str, Any], staff: dict[str, dict[str, Any]]) -> str:
    about = row.get("provider_id") or row.get("area")
    owner = staff.get(row.get("owner_id") or "")
    return (
        f"The {row['type']} {row['id']} received {row['received']}"
        + (f" about {about}" if about else "")
        + (f" (owner: {_person(owner)})" if owner else " (no owner named)")
    )


def _manager(staff: dict[str, dict[str, Any]], chosen: str) -> str:
    if chosen in staff:
        return f"the practice manager {_person(staff[chosen])}"
    for member in staff.values():
        if member.get("role") == "office-manager" and member.get("status") in (None, "active"):
            return f"the practice manager {_person(member)}"
    return "the practice manager"
