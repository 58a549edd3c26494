"""Equipment and facility upkeep, and the practice's recurring compliance tasks.

Three tabs, kept by staff (see :mod:`.schemas`):

- **Equipment**: each asset with its warranty and service-contract end, maintenance and
  calibration intervals (in days) and when each was last done. The plugin fills in
  ``Next maintenance`` (last maintained + interval) and ``Next calibration`` (last
  calibrated + interval); either stays blank while its interval or last date is unknown.
- **Compliance tasks**: task, rule or standard, frequency (twice daily … biennial), owner,
  last done. The plugin fills in ``Next due`` (last done + frequency, in calendar months
  for monthly and longer, see :mod:`.intervals`). Typical rows: fire-extinguisher
  inspection monthly (OSHA 29 CFR 1910.157(e)(2)), exposure control plan review annually
  (OSHA bloodborne pathogens, 29 CFR 1910.1030(c)(1)(iv)), eyewash station activated
  weekly (ANSI/ISEA Z358.1), vaccine refrigerator temperatures twice daily (CDC toolkit),
  CLIA proficiency testing (42 CFR 493 subpart H), AED check monthly.
- **Temperature log**: readings of vaccine refrigerators and freezers.

Alerts (``warn_days``, default 14; ``contract_warn_days``, default 60):

- ``EQ…:maintenance-due`` (info) within ``warn_days`` of next maintenance, and
  ``EQ…:maintenance-overdue`` (warning) from the day after; the same for calibration.
- ``EQ…:warranty-ends`` (info) within ``contract_warn_days`` of the warranty end;
  ``EQ…:contract-ends`` (warning) within ``contract_warn_days`` of the service contract
  end, ``EQ…:contract-ended`` (warning) once it has ended, until a new end date is typed.
- ``EQ…:out-of-service`` (warning) while an asset's status is ``out of service``.
  Retired equipment raises nothing.
- ``CT…:due`` (info) within ``warn_days``, ``CT…:overdue`` (warning) after the due date,
  ``CT…:never-done`` (warning) for a task with no last-done date, naming the owner.
- ``TMP…:excursion`` (critical): a vaccine refrigerator reading outside 2–8 °C, or a
  freezer's outside −50 to −15 °C (current, minimum or maximum; CDC Vaccine Storage and
  Handling Toolkit, see :mod:`.storage_range`). It stays open until the row's ``Action
  taken`` says what was done.

Settings (``[plugins.equipment]``): ``warn_days`` (14) and ``contract_warn_days`` (60).

The manager's report has an **Equipment and compliance** section: upkeep due and overdue,
equipment out of service and temperature excursions in the period (definitions in
:mod:`.report`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinicops import Alert, ReportPeriod, ReportSection, StatusSection, days_text, hookimpl
from clinicops.plugins.equipment import report, schemas
from clinicops.plugins.equipment.intervals import after_days, next_due
from clinicops.plugins.equipment.storage_range import excursions

NAME = "equipment"
EQUIPMENT, TASK, READING = "equipment", "compliance_task", "temperature_reading"


@hookimpl
def plugin_settings_schema() -> dict[str, Any]:
    days = {"type": "integer", "minimum": 1, "maximum": 365}
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "warn_days": {**days, "default": 14, "description": "Days ahead to show maintenance and tasks due."},
            "contract_warn_days": {
                **days,
                "default": 60,
                "description": "Days ahead to warn that a warranty or service contract ends.",
            },
        },
    }


@hookimpl
def register_schemas() -> list[dict[str, Any]]:
    return [schemas.equipment(), schemas.compliance_task(), schemas.temperature_reading()]


@hookimpl
def compute_fields(entity: str, record: dict[str, Any]) -> dict[str, Any] | None:
    if entity == EQUIPMENT:
        return {
            "next_maintenance": after_days(record.get("last_maintained"), record.get("maintenance_days")),
            "next_calibration": after_days(record.get("last_calibrated"), record.get("calibration_days")),
        }
    if entity == TASK:
        last = record.get("last_done")
        return {"next_due": next_due(dt.date.fromisoformat(last), record["frequency"]).isoformat() if last else None}
    return None


@hookimpl
def collect_alerts(practice: Any) -> list[Alert]:
    settings, today = practice.settings(NAME), practice.today()
    alerts: list[Alert] = []
    for asset in practice.records(EQUIPMENT):
        alerts += _equipment_alerts(asset, today, settings)
    staff = {s["id"]: s for s in practice.records("staff")} if "staff" in practice.registry else {}
    for task in practice.records(TASK):
        alert = _task_alert(task, today, settings["warn_days"], staff)
        if alert is not None:
            alerts.append(alert)
    for reading in practice.records(READING):
        alert = _excursion_alert(reading, practice)
        if alert is not None:
            alerts.append(alert)
    return alerts


@hookimpl
def report_sections(practice: Any, period: ReportPeriod) -> list[ReportSection]:
    return [report.section(practice, period, practice.settings(NAME))]


@hookimpl
def status_sections(practice: Any) -> list[StatusSection]:
    """What is due within the warning window or overdue: equipment first, then tasks."""
    return [StatusSection("Equipment and compliance due", ("ID", "What", "Due", "When"), due_rows(practice))]


def due_rows(practice: Any) -> list[tuple[str, str, str, str]]:
    """(id, what, due date, when) of everything due within ``warn_days`` or overdue, soonest first."""
    today, window = practice.today(), practice.settings(NAME)["warn_days"]
    found = []
    for asset in practice.records(EQUIPMENT):
        if asset.get("status") == "retired":
            continue
        for field, what in (("next_maintenance", "maintenance"), ("next_calibration", "calibration")):
            if asset.get(field):
                found.append((asset[field], asset["id"], f"{asset['asset']} {what}"))
    for task in practice.records(TASK):
        if task.get("next_due"):
            found.append((task["next_due"], task["id"], task["task"]))
    rows = []
    for due, rid, what in sorted(found):
        left = (dt.date.fromisoformat(due) - today).days
        if left <= window:
            rows.append((rid, what, due, _when(left)))
    return rows


def _when(left: int) -> str:
    return f"{days_text(-left)} overdue" if left < 0 else "today" if left == 0 else f"in {days_text(left)}"


def _equipment_alerts(asset: dict[str, Any], today: dt.date, settings: dict[str, Any]) -> list[Alert]:
    status = asset.get("status")
    if status == "retired":
        return []
    rid, what = (
        asset["id"],
        f"{asset['asset']} ({asset['id']}{', ' + asset['location'] if asset.get('location') else ''})",
    )

    def alert(key: str, severity: str, message: str) -> Alert:
        return Alert(key=f"{rid}:{key}", severity=severity, message=message, entity=EQUIPMENT, record_id=rid)

    out = []
    if status == "out of service":
        out.append(alert("out-of-service", "warning", f"{what} is out of service: arrange its repair or replacement."))
    for field, work in (("next_maintenance", "maintenance"), ("next_calibration", "calibration")):
        if not asset.get(field):
            continue
        left = (dt.date.fromisoformat(asset[field]) - today).days
        if left < 0:
            out.append(
                alert(
                    f"{work}-overdue",
                    "warning",
                    f"{what} {work} is overdue: it was due on {asset[field]} ({_when(left)}).",
                )
            )
        elif left <= settings["warn_days"]:
            out.append(alert(f"{work}-due", "info", f"{what} {work} is due on {asset[field]} ({_when(left)})."))
    return out + _contract_alerts(asset, what, today, settings["contract_warn_days"], alert)


def _contract_alerts(asset: dict[str, Any], what: str, today: dt.date, window: int, alert: Any) -> list[Alert]:
    out = []
    if asset.get("warranty_end"):
        left = (dt.date.fromisoformat(asset["warranty_end"]) - today).days
        if 0 <= left <= window:
            advice = "have any fault repaired before then"
            out.append(
                alert(
                    "warranty-ends",
                    "info",
                    f"{what} warranty ends on {asset['warranty_end']} ({_when(left)}): {advice}.",
                )
            )
    if asset.get("contract_end"):
        left = (dt.date.fromisoformat(asset["contract_end"]) - today).days
        contract = f"{what} service contract{' with ' + asset['vendor'] if asset.get('vendor') else ''}"
        if left < 0:
            message = f"{contract} ended on {asset['contract_end']}: renew it or record the new end date."
            out.append(alert("contract-ended", "warning", message))
        elif left <= window:
            message = f"{contract} ends on {asset['contract_end']} ({_when(left)}): renew it or plan its servicing."
            out.append(alert("contract-ends", "warning", message))
    return out


def _task_alert(task: dict[str, Any], today: dt.date, window: int, staff: dict[str, dict[str, Any]]) -> Alert | None:
    owner = staff.get(task.get("owner_id") or "")
    who = (
        f"; owner: {owner.get('first_name', '')} {owner.get('last_name', '')} ({owner['id']})"
        if owner
        else "; no owner named"
    )
    what = (
        f"{task['task']} ({task['id']}, {task['frequency']}{', ' + task['standard'] if task.get('standard') else ''})"
    )
    if not task.get("next_due"):
        return Alert(
            key=f"{task['id']}:never-done",
            severity="warning",
            message=f"{what} has no date it was last done: do it and record the date{who}.",
            entity=TASK,
            record_id=task["id"],
        )
    left = (dt.date.fromisoformat(task["next_due"]) - today).days
    if left < 0:
        return Alert(
            key=f"{task['id']}:overdue",
            severity="warning",
            message=f"{what} is overdue: it was due on {task['next_due']} ({_when(left)}){who}.",
            entity=TASK,
            record_id=task["id"],
        )
    if left <= window:
        return Alert(
            key=f"{task['id']}:due",
            severity="info",
            message=f"{what} is due on {task['next_due']} ({_when(left)}){who}.",
            entity=TASK,
            record_id=task["id"],
        )
    return None


def _excursion_alert(reading: dict[str, Any], practice: Any) -> Alert | None:
    found = excursions(reading)
    if not found or (reading.get("action") or "").strip():
        return None
    low, high = (2, 8) if reading["kind"] == "refrigerator" else (-50, -15)
    when = dt.datetime.fromisoformat(reading["taken_at"].replace("Z", "+00:00")).astimezone(practice.timezone)
    return Alert(
        key=f"{reading['id']}:excursion",
        severity="critical",
        message=(
            f"Temperature excursion in vaccine {reading['kind']} {reading['unit_id']} at {when:%Y-%m-%d %H:%M} "
            f"({reading['id']}): {', '.join(found)}, outside {low} to {high} °C. Label the vaccines 'Do Not Use', keep "
            "them cold, call the manufacturers before using them, and write what was done under Action taken."
        ),
        entity=READING,
        record_id=reading["id"],
    )
