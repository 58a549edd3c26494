"""Deadline alerts: filing a claim in time, and appealing a denial in time.

The limits and where they come from are in :mod:`.deadlines`. A claim's filing limit is
counted from its earliest line's date of service (for a professional claim with several
dates, the "From" date counts: Medicare Claims Processing Manual, chapter 1, section 70.1).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinicops import Alert, days_text

from .deadlines import MEDICARE, SELF_PAY, appeal_deadline, filing_limit
from .lines import Line
from .receivables import NO_PAYER, payer_name, reason_key

TIMELY_FILING_CARC = "29"

# What to do about a denial, by claim adjustment reason code (the number after CO-, PR-…).
DENIAL_NEXT_STEP = {
    "4": "fix the modifier and send a corrected claim",
    "11": "the diagnosis does not support the procedure: check the coding and send a corrected claim",
    "16": "add the missing information and resubmit",
    "18": "it repeats a claim already processed: check that claim before resubmitting anything",
    "22": "bill the primary payer first, then this one with the primary's remittance",
    "27": "coverage had ended: check eligibility, then bill the right payer or the patient",
    "29": "it was filed late: appeal only with proof it was sent in time",
    "50": "appeal with the visit notes that show medical necessity",
    "97": "it is bundled into another service: check the NCCI edits, and add 59 or XS only if truly separate",
    "109": "this payer does not cover it: bill the right payer",
    "167": "the diagnosis is not covered: check the coding",
    "197": "get the authorization (retroactive, if the payer allows it) and appeal",
}
DEFAULT_NEXT_STEP = "correct and resubmit, appeal, or write it off"
MEDICARE_LATE = (
    "Medicare's timely-filing denial is not an initial determination and cannot be appealed (Medicare Claims "
    "Processing Manual, chapter 1, section 70): the service cannot be billed to Medicare or to the patient; "
    "write it off, unless one of the section 70.7 exceptions applies (such as a Medicare administrative error)"
)


def _first_served(claim: dict[str, Any], lines: list[Line]) -> dt.date:
    dates = [line.served for line in lines if line.served]
    return min(dates) if dates else dt.date.fromisoformat(claim["date_of_service"])


def timely_filing(
    claims: list[dict[str, Any]],
    lines: dict[str, list[Line]],
    kinds: dict[str, str],
    settings: dict[str, Any],
    today: dt.date,
) -> list[Alert]:
    thresholds = sorted(set(settings["warn_days_left"]))
    alerts = []
    for claim in claims:
        status, payer = claim.get("status"), payer_name(claim)
        if status not in ("draft", "submitted") or kinds[claim["id"]] == SELF_PAY:
            continue
        limit = filing_limit(
            _first_served(claim, lines[claim["id"]]), claim.get("payer") or "", kinds[claim["id"]], settings
        )
        if limit is None:
            continue
        whose = "with no payer yet" if payer == NO_PAYER else f"to {payer}"
        found = _filing_alert(claim, limit.last_day, limit.rule, whose, thresholds, today)
        if found:
            key, severity, message = found
            alerts.append(
                Alert(
                    key=f"{claim['id']}:timely-filing:{key}",
                    severity=severity,
                    message=message,
                    entity="claim",
                    record_id=claim["id"],
                )
            )
    return alerts


def _filing_alert(
    claim: dict[str, Any], deadline: dt.date, rule: str, whose: str, thresholds: list[int], today: dt.date
) -> tuple[str, str, str] | None:
    if claim["status"] == "submitted":
        submitted = dt.date.fromisoformat(claim["submitted_date"]) if claim.get("submitted_date") else None
        if submitted is None or submitted <= deadline:
            return None
        return (
            "filed-late",
            "critical",
            f"Claim {claim['id']} was submitted {whose} {days_text((submitted - deadline).days)} after its filing "
            f"limit ({rule}, last day {deadline.isoformat()}): expect a timely-filing denial (CO-29); appeal only "
            "with proof it was sent in time.",
        )
    left = (deadline - today).days
    if left < 0:
        return (
            "missed",
            "critical",
            f"Claim {claim['id']} {whose} is still a draft, {days_text(-left)} past its filing limit ({rule}, last "
            f"day {deadline.isoformat()}): the payer will deny it as late unless an exception applies (such as "
            "retroactive eligibility).",
        )
    reached = [t for t in thresholds if left <= t]
    if not reached:
        return None
    window = min(reached)
    when = "today is the last day" if left == 0 else f"{days_text(left)} left"
    return (
        f"{window}d",
        "critical" if window <= 7 else "warning",
        f"Claim {claim['id']} {whose} is still a draft: {when} to file it ({rule}, last day {deadline.isoformat()}).",
    )


def denials(claims: list[dict[str, Any]], kinds: dict[str, str]) -> list[Alert]:
    alerts = []
    for claim in claims:
        if claim.get("status") != "denied":
            continue
        reason = (claim.get("denial_reason") or "").strip()
        code = reason_key(reason).partition("-")[2] if reason else ""
        step = DENIAL_NEXT_STEP.get(code, DEFAULT_NEXT_STEP)
        if code == TIMELY_FILING_CARC and kinds[claim["id"]] == MEDICARE:
            step = MEDICARE_LATE
        alerts.append(
            Alert(
                key=f"{claim['id']}:denied",
                message=f"Claim {claim['id']} was denied by {payer_name(claim)} ({reason or 'no reason recorded'}): "
                f"{step}.",
                severity="warning",
                entity="claim",
                record_id=claim["id"],
            )
        )
    return alerts


def appeal_deadlines(
    claims: list[dict[str, Any]], kinds: dict[str, str], settings: dict[str, Any], today: dt.date
) -> list[Alert]:
    """A denied claim's last day to appeal, at the same thresholds as filing, and once it has passed."""
    thresholds = sorted(set(settings["warn_days_left"]))
    alerts = []
    for claim in claims:
        if claim.get("status") != "denied":
            continue
        kind = kinds[claim["id"]]
        code = reason_key(claim.get("denial_reason") or "").partition("-")[2]
        if kind == MEDICARE and code == TIMELY_FILING_CARC:
            continue  # no appeal rights: the denial alert says so
        deadline = appeal_deadline(claim, kind, settings)
        if deadline is None:
            continue
        left = (deadline.last_day - today).days
        rule = f"{deadline.rule}, counted from {deadline.counted_from}"
        if left < 0:
            key, severity = "appeal-missed", "warning"
            message = (
                f"Claim {claim['id']}'s appeal deadline with {payer_name(claim)} passed {days_text(-left)} ago "
                f"({deadline.last_day.isoformat()}; {rule}): correct and resubmit if the payer allows it, or write "
                "it off."
            )
        else:
            reached = [t for t in thresholds if left <= t]
            if not reached:
                continue
            window = min(reached)
            key, severity = f"appeal-{window}d", "critical" if window <= 7 else "warning"
            when = "today is the last day" if left == 0 else f"{days_text(left)} left"
            message = (
                f"Claim {claim['id']} denied by {payer_name(claim)}: {when} to appeal (last day "
                f"{deadline.last_day.isoformat()}; {rule})."
            )
        alerts.append(
            Alert(key=f"{claim['id']}:{key}", severity=severity, message=message, entity="claim", record_id=claim["id"])
        )
    return alerts
