"""Performance reviews: cycles per staff member, reminders to managers, overall scores.

Reviews are ``performance_review`` rows (the Performance reviews tab).

- Upcoming rows: during each sync the plugin opens the next review of every active staff
  member who has no open one, once it is ``create_days_before`` days from due (see
  :mod:`.cycles` for the 90-day and annual rules). Its id is ``REV-<staff id>-<due date>``
  (e.g. ``REV-S000003-2027-11-11``), so repeated syncs never add a second row for the
  same cycle, and a row a person deleted is not brought back.
- Alerts: an open review due within each of ``warn_days`` (30 and 7 days) and once
  overdue, naming the staff member and their manager (one alert per review at a time,
  at the tightest threshold reached); the latest completed review of each staff member
  that has no goals; and a ``weights`` setting that names no competency.
- Overall score: the plugin-owned ``overall_score``, a weighted mean of the competency
  scores (see :mod:`.scoring` for weights, optional competencies and rounding).
  Changing the weights re-scores every review on the next sync; earlier values stay in
  each review's history.

Staff on leave get no new review and no due-date alerts until they are back.

The report counts, as of today, open reviews (scheduled or in progress) due within the next
90 days and those already overdue, with the ones due charted by month.

Settings (``[plugins.reviews]``, all optional):

- ``cycle_months`` (default 12): months between reviews after the first.
- ``new_hire_days`` (default 90): days from hire date to a new hire's first review.
- ``warn_days`` (default ``[30, 7]``): days before the due date at which to alert.
- ``create_days_before`` (default 60): how far ahead the next review row is opened.
- ``weights`` (default ``{}``, every competency 1): e.g. ``{clinical_skills = 2,
  teamwork = 1.5}``; names are the ``score_`` fields without the prefix.
- ``optional`` (default ``["clinical_skills"]``): competencies that may be left blank.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinicops import Alert, Chart, Definition, Figure, ReportPeriod, ReportSection, Series, StatusSection, hookimpl
from clinicops.plugins.reviews import scoring
from clinicops.plugins.reviews.cycles import OPEN, date_of, is_new_hire_review, next_cycle, review_id

NAME = "reviews"
ENTITY = "performance_review"
DUE_DAYS = 90


@hookimpl
def plugin_settings_schema() -> dict[str, Any]:
    days = {"type": "integer", "minimum": 1, "maximum": 365}
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "cycle_months": {"type": "integer", "minimum": 1, "maximum": 36, "default": 12},
            "new_hire_days": {"type": "integer", "minimum": 1, "maximum": 364, "default": 90},
            "warn_days": {"type": "array", "items": days, "minItems": 1, "default": [30, 7]},
            "create_days_before": {"type": "integer", "minimum": 0, "maximum": 365, "default": 60},
            "weights": {
                "type": "object",
                "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
                "additionalProperties": {"type": "number", "minimum": 0, "maximum": 100},
                "default": {},
            },
            "optional": {"type": "array", "items": {"type": "string"}, "default": ["clinical_skills"]},
        },
    }


@hookimpl
def register_schemas() -> list[dict[str, Any]]:
    """The overall score, computed from the ratings, is this plugin's field of the review."""
    overall = {"type": "number", "x-title": "Overall", "minimum": 1, "maximum": 5, "x-owner": "plugin"}
    return [{"title": ENTITY, "properties": {"overall_score": overall | {"x-order": 11.5}}}]


@hookimpl
def compute_fields(practice: Any, entity: str, record: dict[str, Any]) -> dict[str, Any] | None:
    if entity != ENTITY:
        return None
    return {"overall_score": _overall(practice, record)}


@hookimpl
def refresh_tables(practice: Any) -> None:
    """Keep overall scores in step with the weights, then open the reviews now coming due."""
    if ENTITY not in practice.registry:
        return
    reviews = practice.records(ENTITY)
    for review in reviews:
        want = _overall(practice, review)
        if review.get("overall_score") != want:
            updated = {k: v for k, v in review.items() if k != "overall_score"}
            if want is not None:
                updated["overall_score"] = want
            practice.save(ENTITY, updated, plugin=NAME, note="overall score recomputed with the current weights")
    _open_upcoming(practice, reviews)


def _open_upcoming(practice: Any, reviews: list[dict[str, Any]]) -> None:
    settings = practice.settings(NAME)
    today = practice.today()
    by_staff = _by_staff(reviews)
    for member in practice.records("staff"):
        cycle = next_cycle(
            member,
            by_staff.get(member["id"], []),
            today,
            cycle_months=settings["cycle_months"],
            new_hire_days=settings["new_hire_days"],
        )
        if cycle is None or (cycle.due - today).days > settings["create_days_before"]:
            continue
        rid = review_id(member["id"], cycle.due)
        # Tombstones count too: a review someone deleted stays deleted.
        if practice.get(ENTITY, rid, include_deleted=True) is not None:
            continue
        record = {
            "id": rid,
            "staff_id": member["id"],
            "period_start": cycle.period_start.isoformat(),
            "period_end": cycle.period_end.isoformat(),
            "due_date": cycle.due.isoformat(),
            "status": "scheduled",
        }
        if member.get("manager_id"):
            record["reviewer_id"] = member["manager_id"]
        kind = f"{settings['new_hire_days']}-day" if cycle.new_hire else "annual"
        practice.save(ENTITY, record, plugin=NAME, note=f"{kind} review opened by the reviews plugin")


@hookimpl
def collect_alerts(practice: Any) -> list[Alert]:
    if ENTITY not in practice.registry:
        return []
    settings = practice.settings(NAME)
    today = practice.today()
    staff = {s["id"]: s for s in practice.records("staff")}
    reviews = practice.records(ENTITY)
    alerts = [a for r in reviews if (a := _due_alert(r, staff, today, settings)) is not None]
    for latest in _latest_completed(reviews).values():
        member = staff.get(latest["staff_id"])
        if member is None or member.get("status") == "terminated" or (latest.get("goals") or "").strip():
            continue
        alerts.append(
            Alert(
                key=f"{latest['id']}:no-goals",
                severity="warning",
                message=(
                    f"{_label(latest, member, settings)} of {_who(member)}, completed "
                    f"{latest.get('completed_date') or 'with no date'}, has no goals for the year ahead; "
                    f"{_manager(member, latest, staff)}"
                ),
                entity=ENTITY,
                record_id=latest["id"],
            )
        )
    known = set(_competencies(practice))
    for name in sorted(set(settings["weights"]) - known):
        alerts.append(
            Alert(
                key=f"settings:weights:{name}",
                severity="warning",
                message=(
                    f"plugins.reviews.weights names '{name}', which is not a review competency "
                    f"({', '.join(sorted(known))}); it is ignored"
                ),
            )
        )
    return alerts


def _due_alert(
    review: dict[str, Any], staff: dict[str, dict[str, Any]], today: dt.date, settings: dict[str, Any]
) -> Alert | None:
    member = staff.get(review.get("staff_id", ""))
    if review.get("status") not in OPEN or member is None or member.get("status") in ("on-leave", "terminated"):
        return None
    due = dt.date.fromisoformat(review["due_date"])
    left = (due - today).days
    what = f"{_label(review, member, settings)} of {_who(member)}"
    manager = _manager(member, review, staff)
    if left < 0:
        return Alert(
            key=f"{review['id']}:overdue",
            severity="warning",
            message=f"{what} is overdue: it was due on {due} ({_days(-left)} ago); {manager}",
            entity=ENTITY,
            record_id=review["id"],
        )
    reached = [t for t in settings["warn_days"] if left <= t]
    if not reached:
        return None
    window = min(reached)
    when = "today" if left == 0 else f"in {_days(left)}"
    return Alert(
        key=f"{review['id']}:within-{window}d",
        severity="warning" if window <= 7 else "info",
        message=f"{what} is due on {due} ({when}); {manager}",
        entity=ENTITY,
        record_id=review["id"],
    )


@hookimpl
def status_sections(practice: Any) -> list[StatusSection]:
    if ENTITY not in practice.registry:
        return []
    settings = practice.settings(NAME)
    today = practice.today()
    horizon = max(settings["warn_days"])
    staff = {s["id"]: s for s in practice.records("staff")}
    rows = []
    for review in sorted(practice.records(ENTITY), key=lambda r: (r["due_date"], r["id"])):
        member = staff.get(review.get("staff_id", ""))
        left = (dt.date.fromisoformat(review["due_date"]) - today).days
        if review.get("status") in OPEN and member is not None and left <= horizon:
            when = f"{_days(-left)} overdue" if left < 0 else "today" if left == 0 else f"in {_days(left)}"
            rows.append((review["id"], _who(member), _manager_name(member, review, staff), review["due_date"], when))
    return [StatusSection("Performance reviews due", ("Review", "Staff", "Manager", "Due", "When"), rows)]


@hookimpl
def report_sections(practice: Any, period: ReportPeriod) -> list[ReportSection]:
    if ENTITY not in practice.registry:
        return []
    today = period.today
    open_reviews = [r for r in practice.records(ENTITY) if r.get("status") in OPEN and r.get("due_date")]
    left = [(r, (dt.date.fromisoformat(r["due_date"]) - today).days) for r in open_reviews]
    due = [r for r, days in left if 0 <= days <= DUE_DAYS]
    as_of = f"as of {today.isoformat()}"
    figures = (
        Figure(
            "reviews.due_90d",
            "Reviews due in 90 days",
            len(due),
            "reviews",
            Definition("open reviews due today or within 90 days", period=as_of, exclusions="completed and cancelled"),
        ),
        Figure(
            "reviews.overdue",
            "Reviews overdue",
            sum(days < 0 for _, days in left),
            "reviews",
            Definition("open reviews past their due date", period=as_of, exclusions="completed and cancelled"),
        ),
    )
    months = sorted({r["due_date"][:7] for r in due})
    chart = Chart(
        "Reviews due in the next 90 days, by month",
        "bar",
        (Series("reviews", tuple((m, float(sum(r["due_date"][:7] == m for r in due))) for m in months)),),
        "reviews",
    )
    return [ReportSection("reviews.due", "Performance reviews", figures, (chart,), order=410)]


def _overall(practice: Any, record: dict[str, Any]) -> float | None:
    settings = practice.settings(NAME)
    return scoring.overall(record, _competencies(practice), settings["weights"], settings["optional"])


def _competencies(practice: Any) -> list[str]:
    return scoring.competencies(f.name for f in practice.registry[ENTITY].fields)


def _by_staff(reviews: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for review in reviews:
        out.setdefault(review.get("staff_id", ""), []).append(review)
    return out


def _latest_completed(reviews: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each staff member's most recent completed review: goals matter for the cycle ahead."""
    out: dict[str, dict[str, Any]] = {}
    for review in reviews:
        if review.get("status") != "completed":
            continue
        held = out.get(review["staff_id"])
        if held is None or review["due_date"] > held["due_date"]:
            out[review["staff_id"]] = review
    return out


def _label(review: dict[str, Any], member: dict[str, Any], settings: dict[str, Any]) -> str:
    days = settings["new_hire_days"]
    if is_new_hire_review(review, date_of(member.get("hire_date")), days):
        return f"The {days}-day review {review['id']}"
    return f"The annual review {review['id']}"


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _who(member: dict[str, Any]) -> str:
    return f"{member.get('first_name', '')} {member.get('last_name', '')} ({member['id']})".strip()


def _boss(member: dict[str, Any], review: dict[str, Any], staff: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The staff member's manager, or failing that the review's reviewer."""
    return staff.get(member.get("manager_id") or review.get("reviewer_id") or "")


def _manager_name(member: dict[str, Any], review: dict[str, Any], staff: dict[str, dict[str, Any]]) -> str:
    boss = _boss(member, review, staff)
    return _who(boss) if boss is not None else ""


def _manager(member: dict[str, Any], review: dict[str, Any], staff: dict[str, dict[str, Any]]) -> str:
    boss = _boss(member, review, staff)
    return f"manager: {_who(boss)}" if boss is not None else "no manager on record"
