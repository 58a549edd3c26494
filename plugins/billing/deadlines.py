"""Payer types and the deadlines that follow from them: filing a claim, appealing a denial.

**Payer type.** A payer is ``medicare``, ``medicaid``, ``commercial`` or ``self-pay``: as
listed in ``[plugins.billing] payer_types`` (payer name, any case, -> type), else a
self-pay name (``self_pay_payers``), else by its name: one containing "Medicare" (but not
"Medicare Advantage", whose plans set their own terms) is Medicare; one containing
"Medicaid" or a state program's name (MassHealth, Medi-Cal…) is Medicaid; any other is
commercial.

**Timely filing** (how long after the date of service a payer accepts a claim; a payer
listed in ``timely_filing_by_payer`` has its own number of days whatever its type):

- Medicare: one calendar year after the date of service (42 CFR 424.44(a)(1)); a February
  29 service must be filed by February 28 of the next year, and a last day falling on a
  Saturday, Sunday or federal holiday rolls to the next workday (Medicare Claims
  Processing Manual, Pub. 100-04, chapter 1, section 70). A claim Medicare denies as filed
  late is not an initial determination and has no appeal rights (same section).
- Medicaid: ``medicaid_filing_days`` (365 by default: 42 CFR 447.45(d)(1) has states
  require claims within 12 months of the date of service; a state may set less).
- Commercial: ``timely_filing_days`` (90 by default; contracts vary, commonly 90 to 180).
- Self-pay: no limit.

**Appeal deadlines** for a denied claim, counted from the date of the denial notice
(``Denied on``; when it is blank, from the submitted date, the earliest the notice can be,
so the deadline shown is never late):

- Medicare redetermination: 120 days from receiving the initial determination, which is
  presumed to arrive 5 days after the date on the notice (42 CFR 405.942(a)): 125 days.
- Medicaid: ``appeal_days_by_type.medicaid`` (90 by default, the longest a state may allow
  for a fair hearing request under 42 CFR 431.221(d); state provider appeals differ).
- Commercial: ``appeal_days_by_type.commercial`` (180 by default, the period ERISA group
  health plans must allow, 29 CFR 2560.503-1(h)(3)(i)), or the payer's own in
  ``appeal_days_by_payer``.

Federal holidays are those of 5 U.S.C. 6103(a), observed on the Friday before when they
fall on a Saturday and the Monday after when on a Sunday (5 U.S.C. 6103(b), Executive Order
11582).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

MEDICARE, MEDICAID, COMMERCIAL, SELF_PAY = "medicare", "medicaid", "commercial", "self-pay"
PAYER_TYPES = (MEDICARE, MEDICAID, COMMERCIAL, SELF_PAY)
MEDICAID_NAMES = ("medicaid", "masshealth", "medi-cal", "medical assistance", "apple health", "tenncare", "soonercare")
MEDICARE_NOTICE_RECEIPT_DAYS = 5
MEDICARE_REDETERMINATION_DAYS = 120
DEFAULT_APPEAL_DAYS = {MEDICAID: 90, COMMERCIAL: 180}


def payer_type(name: str, settings: dict[str, Any]) -> str:
    """The payer's type (see the module docstring)."""
    folded = " ".join(name.split()).casefold()
    listed = {" ".join(k.split()).casefold(): v for k, v in settings["payer_types"].items()}
    if folded in listed:
        return listed[folded]
    if not folded or folded in {p.casefold() for p in settings["self_pay_payers"]}:
        return SELF_PAY if folded else COMMERCIAL
    if "medicare" in folded and "advantage" not in folded:
        return MEDICARE
    if any(word in folded for word in MEDICAID_NAMES):
        return MEDICAID
    return COMMERCIAL


@dataclass(frozen=True)
class FilingLimit:
    """When a claim for a service must reach the payer, and how the rule reads."""

    last_day: dt.date
    rule: str


def filing_limit(served: dt.date, payer: str, kind: str, settings: dict[str, Any]) -> FilingLimit | None:
    """The last day to file a claim for a service on ``served``; None for self-pay."""
    by_payer = {" ".join(k.split()).casefold(): v for k, v in settings["timely_filing_by_payer"].items()}
    days = by_payer.get(" ".join(payer.split()).casefold())
    if days is not None:
        return FilingLimit(served + dt.timedelta(days=days), f"{days} days from the date of service")
    if kind == SELF_PAY:
        return None
    if kind == MEDICARE:
        due = next_workday(one_year_after(served))
        return FilingLimit(due, "Medicare: one calendar year from the date of service, 42 CFR 424.44")
    days = settings["medicaid_filing_days"] if kind == MEDICAID else settings["timely_filing_days"]
    return FilingLimit(served + dt.timedelta(days=days), f"{days} days from the date of service")


def one_year_after(day: dt.date) -> dt.date:
    """The same day a calendar year later; February 29 gives February 28."""
    year = day.year + 1
    return dt.date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def next_workday(day: dt.date) -> dt.date:
    """The day itself, or the first day after it that is neither a weekend nor a federal holiday."""
    while day.weekday() >= 5 or day in federal_holidays(day.year):
        day += dt.timedelta(days=1)
    return day


@functools.cache
def federal_holidays(year: int) -> frozenset[dt.date]:
    """The days federal offices are closed for a holiday in ``year`` (as observed)."""

    def nth(weekday: int, month: int, n: int) -> dt.date:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))

    def last(weekday: int, month: int) -> dt.date:
        end = dt.date(year, month, calendar.monthrange(year, month)[1])
        return end - dt.timedelta(days=(end.weekday() - weekday) % 7)

    fixed = [dt.date(year, 1, 1), dt.date(year, 6, 19), dt.date(year, 7, 4), dt.date(year, 11, 11)]
    fixed += [dt.date(year, 12, 25), dt.date(year + 1, 1, 1)]  # next New Year's Day may be observed on Dec 31
    observed = {
        d - dt.timedelta(days=1) if d.weekday() == 5 else d + dt.timedelta(days=d.weekday() == 6) for d in fixed
    }
    floating = {nth(0, 1, 3), nth(0, 2, 3), last(0, 5), nth(0, 9, 1), nth(0, 10, 2), nth(3, 11, 4)}
    return frozenset(d for d in observed | floating if d.year == year)


@dataclass(frozen=True)
class AppealDeadline:
    last_day: dt.date
    rule: str
    counted_from: str


def appeal_deadline(claim: dict[str, Any], kind: str, settings: dict[str, Any]) -> AppealDeadline | None:
    """The last day to appeal a denied claim, or None when there is no date to count from."""
    notice = claim.get("denied_date") or claim.get("submitted_date")
    if not notice:
        return None
    start = dt.date.fromisoformat(notice)
    counted_from = "the denial notice" if claim.get("denied_date") else "the submitted date (no denial date recorded)"
    by_payer = {" ".join(k.split()).casefold(): v for k, v in settings["appeal_days_by_payer"].items()}
    days = by_payer.get(" ".join((claim.get("payer") or "").split()).casefold())
    if days is not None:
        return AppealDeadline(start + dt.timedelta(days=days), f"{days} days", counted_from)
    if kind == MEDICARE:
        days = MEDICARE_NOTICE_RECEIPT_DAYS + MEDICARE_REDETERMINATION_DAYS
        rule = "Medicare redetermination: 120 days from receipt, presumed 5 days after the notice, 42 CFR 405.942"
        return AppealDeadline(start + dt.timedelta(days=days), rule, counted_from)
    days = (DEFAULT_APPEAL_DAYS | settings["appeal_days_by_type"]).get(kind if kind != SELF_PAY else COMMERCIAL)
    if not days:
        return None
    return AppealDeadline(start + dt.timedelta(days=days), f"{days} days", counted_from)
