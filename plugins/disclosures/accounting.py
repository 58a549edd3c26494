"""A patient's accounting of disclosures, as 45 CFR 164.528 describes it, and the record of
each accounting provided (164.528(d))."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, and_, insert, select

from clinicops import PluginStorage

ENTITY = "disclosure"
# Categories a patient's accounting includes (164.512 disclosures and the like).
ACCOUNTED = (
    "public health",
    "abuse or neglect report",
    "health oversight",
    "court order",
    "law enforcement",
    "coroner or funeral director",
    "organ donation",
    "research",
    "serious threat",
    "workers' compensation",
    "required by law",
    "other",
)
# Categories 164.528(a)(1)(i)-(ix) leave out of it.
EXCLUDED = (
    "treatment",
    "payment",
    "operations",
    "to the patient",
    "authorized by the patient",
    "people involved in care",
    "facility directory",
    "national security",
    "correctional institution",
    "limited data set",
)
YEARS = 6  # 164.528(a)(1): the six years before the request
FREE_EVERY = dt.timedelta(days=365)  # 164.528(c)(2): the first accounting in any 12 months is free

metadata = MetaData()
provided = Table(
    "disclosures_provided",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_id", String(128), nullable=False),
    Column("as_of", String(10), nullable=False),
    Column("entries", Integer, nullable=False),
    Column("produced_at", String(32), nullable=False),
    Column("produced_by", String(128), nullable=False),
)


@dataclass(frozen=True)
class Accounting:
    patient_id: str
    as_of: dt.date
    since: dt.date
    entries: list[dict[str, Any]]
    left_out: int  # rows of this patient in the period the rule excludes, or suspended
    earlier: str | None  # when the last accounting for this patient was produced, if within 12 months


def six_years_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - YEARS)
    except ValueError:  # 29 February
        return day.replace(year=day.year - YEARS, day=28)


def account(rows: list[dict[str, Any]], patient_id: str, as_of: dt.date) -> tuple[list[dict[str, Any]], int]:
    """The patient's accountable disclosures from six years before ``as_of`` to it, oldest first; and
    how many of their rows in that period were left out (excluded category, or suspended)."""
    since = six_years_before(as_of).isoformat()
    day = as_of.isoformat()
    mine = [r for r in rows if r.get("patient_id") == patient_id and since <= r.get("disclosed_on", "") <= day]
    entries = [
        {k: r.get(k) for k in ("disclosed_on", "recipient", "what", "purpose", "category")}
        for r in mine
        if r.get("category") in ACCOUNTED and not (r.get("suspended_until") or "") > day
    ]
    entries.sort(key=lambda e: (e["disclosed_on"], e["recipient"]))
    return entries, len(mine) - len(entries)


def record(
    storage: PluginStorage, patient_id: str, as_of: dt.date, entries: int, now: dt.datetime, who: str
) -> str | None:
    """Keep the fact that an accounting was provided; when the previous one was, if within twelve months."""
    stamp = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    since = (now - FREE_EVERY).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    earlier = storage.execute(
        select(provided.c.produced_at)
        .where(and_(provided.c.patient_id == patient_id, provided.c.produced_at >= since))
        .order_by(provided.c.produced_at.desc())
    ).first()
    storage.execute(
        insert(provided).values(
            patient_id=patient_id, as_of=as_of.isoformat(), entries=entries, produced_at=stamp, produced_by=who
        )
    )
    return earlier[0] if earlier else None
