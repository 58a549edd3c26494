"""Credential expiry: licenses, DEA registrations, board certifications, CPR/BLS, HIPAA and
OSHA training.

Each credential is warned about at every threshold it crosses (90, 60, 30 days by
default) and when it has expired: one alert per credential at a time, at the tightest
threshold reached, so a lapsing license is never silent and never repeated every sync.
Each lot of paperwork is its own alert (a provider with an expired DEA registration and a
license due next month gets both).

The Credentials tab is the list of record. A practice that only fills in the license and
DEA expiry columns of the Providers tab is covered too: those dates are checked when the
Credentials tab has no row of that kind for that provider, so nothing is reported twice.
``clinicops status`` lists everyone working with an expired required credential.

The report counts, as of today and for people still working: credentials *due in 90 days*
(expiring today or within the next 90 days) and *expired* ones still required, with the
ones due charted by month and kind.

**Cycle sanity.** Each kind renews on a known cycle, so an expiry further out than one
cycle is most likely a typo (2036 for 2026) that would keep a lapsed credential quiet for
years: ``CR…:beyond-cycle`` (warning) asks someone to check the card. The cycle is counted
from the ``Issued`` date when there is one, else from today, to the end of that month
(cards and registrations expire at a month's end). The default cycles, per practice
in ``cycle_years``:

- DEA registration: 3 years (21 CFR 1301.13(e): practitioners register for 3 years).
- CPR/BLS and ACLS: 2 years (American Heart Association course completion cards are valid
  for two years).
- OSHA bloodborne-pathogens training: 1 year (29 CFR 1910.1030(g)(2)(ii)(B): at least annually).
- HIPAA training: 1 year, by practice policy (45 CFR 164.530(b) requires training without a
  period; annual refreshers are the common policy).

A kind without a cycle (state licenses differ by state and board) is not checked; a practice
adds one, or turns a kind's check off with 0.

**DEA numbers.** A DEA registration number is two letters and seven digits whose last is a
check digit: add the 1st, 3rd and 5th digits, add twice the sum of the 2nd, 4th and 6th,
and the last digit of the total is the 7th (DEA Diversion Control Division, registration
number format; the same check pharmacies run before filling a controlled-substance
prescription). A number failing it is a typo, refused in the cell (Providers ``DEA number``,
or the ``Number`` of a DEA row on the Credentials tab) with the typed value kept and a note.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from clinicops import (
    Alert,
    Chart,
    Definition,
    FieldProblem,
    Figure,
    ReportPeriod,
    ReportSection,
    Series,
    StatusSection,
    days_text,
    hookimpl,
)

NAME = "credentials"

KIND_NAMES = {
    "license": "state license",
    "dea": "DEA registration",
    "board-certification": "board certification",
    "cpr-bls": "CPR/BLS certification",
    "acls": "ACLS certification",
    "hipaa-training": "HIPAA training",
    "osha-training": "OSHA bloodborne-pathogens training",
    "malpractice": "malpractice insurance",
}

# The longest a renewal of each kind lasts, in years (see the module docstring for the sources).
CYCLE_YEARS = {"dea": 3, "cpr-bls": 2, "acls": 2, "osha-training": 1, "hipaa-training": 1}

# Provider-tab columns checked when the Credentials tab has no row of that kind.
PROVIDER_COLUMNS = {"license": "license_expiry", "dea": "dea_expiry"}
DUE_DAYS = 90


@dataclass(frozen=True)
class Held:
    """One expiring thing someone holds, wherever it was recorded."""

    key: str
    holder_type: str
    holder_id: str
    kind: str
    expires: dt.date
    required: bool
    entity: str
    record_id: str
    issued: dt.date | None = None


@hookimpl
def plugin_settings_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "warn_days": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": 730},
                "minItems": 1,
                "default": [90, 60, 30],
                "description": "Days before expiry at which to warn.",
            },
            "include_optional": {
                "type": "boolean",
                "default": True,
                "description": "Also warn about credentials not marked required.",
            },
            "cycle_years": {
                "type": "object",
                "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 20},
                "default": {},
                "description": "Per kind, the longest one renewal lasts in years, over the built-in cycles; an "
                "expiry further out is flagged as a probable typo. 0 turns the check off for a kind.",
            },
        },
    }


DEA_EXPECTED = "two letters and seven digits whose last is the check digit, as on the registration certificate"


def dea_check_digit_ok(number: str) -> bool:
    """The DEA check digit: (d1 + d3 + d5) + 2 × (d2 + d4 + d6), last digit, equals d7."""
    text = number.replace(" ", "").upper()
    if len(text) != 9 or not text[:2].isalpha() or not text[2:].isdigit():
        return False
    d = [int(c) for c in text[2:]]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]


@hookimpl
def validate_record(practice: Any, entity: str, record: dict[str, Any]) -> list[FieldProblem] | None:
    if entity == "provider":
        field = "dea_number"
    elif entity == "credential" and record.get("kind") == "dea":
        field = "number"
    else:
        return None
    number = record.get(field)
    if not number or dea_check_digit_ok(number):
        return []
    return [
        FieldProblem(field, "the DEA number's check digit does not match; a digit is probably mistyped", DEA_EXPECTED)
    ]


@hookimpl
def collect_alerts(practice: Any) -> list[Alert]:
    settings = practice.settings(NAME)
    thresholds = sorted(set(settings["warn_days"]))
    today = practice.today()
    names = _holder_names(practice)
    cycles = CYCLE_YEARS | settings["cycle_years"]
    alerts = []
    for item in _held(practice):
        if not item.required and not settings["include_optional"]:
            continue
        left = (item.expires - today).days
        who = names.get((item.holder_type, item.holder_id), item.holder_id)
        what = KIND_NAMES.get(item.kind, item.kind)
        beyond = _beyond_cycle(item, today, cycles, who, what)
        if beyond:
            alerts.append(beyond)
        if left < 0:
            alerts.append(
                Alert(
                    key=f"{item.key}:expired",
                    severity="critical",
                    message=f"{who}'s {what} expired on {item.expires.isoformat()} ({days_text(-left)} ago)",
                    entity=item.entity,
                    record_id=item.record_id,
                )
            )
            continue
        reached = [t for t in thresholds if left <= t]
        if not reached:
            continue
        window = min(reached)
        alerts.append(
            Alert(
                key=f"{item.key}:within-{window}d",
                severity="warning" if window <= 30 else "info",
                message=f"{who}'s {what} expires on {item.expires.isoformat()} (in {days_text(left)})",
                entity=item.entity,
                record_id=item.record_id,
            )
        )
    return alerts


def cycle_end(start: dt.date, years: int) -> dt.date:
    """The last day of the month ``years`` after ``start``: the furthest one renewal can run."""
    year = start.year + years
    return dt.date(year, start.month, calendar.monthrange(year, start.month)[1])


def _beyond_cycle(item: Held, today: dt.date, cycles: dict[str, int], who: str, what: str) -> Alert | None:
    years = cycles.get(item.kind)
    if not years:
        return None
    start = item.issued or today
    latest = cycle_end(start, years)
    if item.expires <= latest:
        return None
    since = f"issued {start.isoformat()}" if item.issued else "from today"
    return Alert(
        key=f"{item.key}:beyond-cycle",
        severity="warning",
        message=f"{who}'s {what} expires on {item.expires.isoformat()}, more than {years} year"
        f"{'s' if years != 1 else ''} ({since}); one renewal lasts {years} year{'s' if years != 1 else ''}. "
        "Probably a typo: check the card and correct the date.",
        entity=item.entity,
        record_id=item.record_id,
    )


@hookimpl
def status_sections(practice: Any) -> list[StatusSection]:
    today = practice.today()
    names = _holder_names(practice)
    rows = sorted(
        (names.get((i.holder_type, i.holder_id), i.holder_id), KIND_NAMES.get(i.kind, i.kind), i.expires.isoformat())
        for i in _held(practice)
        if i.required and i.expires < today and _active(practice, i)
    )
    return [StatusSection("Working with an expired required credential", ("Who", "credential", "expired on"), rows)]


@hookimpl
def report_sections(practice: Any, period: ReportPeriod) -> list[ReportSection]:
    today = period.today
    held = [i for i in _held(practice) if _active(practice, i)]
    due = [i for i in held if 0 <= (i.expires - today).days <= DUE_DAYS]
    expired = [i for i in held if i.required and i.expires < today]
    as_of = f"as of {today.isoformat()}"
    working = "people no longer working (inactive providers, former staff)"
    figures = (
        Figure(
            "credentials.due_90d",
            "Credentials due in 90 days",
            len(due),
            "credentials",
            Definition("credentials expiring today or within 90 days", period=as_of, exclusions=working),
        ),
        Figure(
            "credentials.expired",
            "Required credentials expired",
            len(expired),
            "credentials",
            Definition("required credentials past their expiry date", period=as_of, exclusions=working),
        ),
    )
    months = sorted({i.expires.strftime("%Y-%m") for i in due})
    kinds = sorted({i.kind for i in due})
    chart = Chart(
        "Credentials due in the next 90 days, by month",
        "stacked",
        tuple(
            Series(
                KIND_NAMES.get(kind, kind),
                tuple(
                    (m, float(sum(i.kind == kind and i.expires.strftime("%Y-%m") == m for i in due))) for m in months
                ),
            )
            for kind in kinds
        ),
        "credentials",
    )
    return [ReportSection("credentials.due", "Credentials", figures, (chart,), order=400)]


def _held(practice: Any) -> Iterator[Held]:
    recorded: set[tuple[str, str, str]] = set()
    for cred in practice.records("credential"):
        holder = (cred.get("holder_type", ""), cred.get("holder_id", ""))
        recorded.add((*holder, cred.get("kind", "")))
        if cred.get("expires"):
            yield Held(
                key=cred["id"],
                holder_type=holder[0],
                holder_id=holder[1],
                kind=cred.get("kind", "credential"),
                expires=dt.date.fromisoformat(cred["expires"]),
                required=cred.get("required", True) is not False,
                entity="credential",
                record_id=cred["id"],
                issued=dt.date.fromisoformat(cred["issued"]) if cred.get("issued") else None,
            )
    for provider in practice.records("provider"):
        for kind, column in PROVIDER_COLUMNS.items():
            if provider.get(column) and ("provider", provider["id"], kind) not in recorded:
                yield Held(
                    key=f"{provider['id']}:{kind}",
                    holder_type="provider",
                    holder_id=provider["id"],
                    kind=kind,
                    expires=dt.date.fromisoformat(provider[column]),
                    required=True,
                    entity="provider",
                    record_id=provider["id"],
                )


def _active(practice: Any, item: Held) -> bool:
    """Only people still working count: an inactive provider or a former employee does not."""
    holder = practice.get(item.holder_type, item.holder_id) if item.holder_type in ("provider", "staff") else None
    if holder is None:
        return True
    return holder.get("active", True) is not False and holder.get("status", "active") != "terminated"


def _holder_names(practice: Any) -> dict[tuple[str, str], str]:
    out = {}
    for kind in ("provider", "staff"):
        for rec in practice.records(kind):
            name = " ".join(p for p in (rec.get("first_name"), rec.get("last_name")) if p)
            suffix = f", {rec['credentials']}" if rec.get("credentials") else ""
            out[(kind, rec["id"])] = f"{name}{suffix} ({rec['id']})"
    return out
