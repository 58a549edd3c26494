"""The access report a privacy officer reviews (45 CFR 164.308(a)(1)(ii)(D)).

Entries in a period, for one patient or one actor. A patient's report covers the patient
record and every record that refers to it (appointments, claims… any entity with an
``x-ref`` to patient), matched on the record's current data or, for a deleted record,
its last data: "who looked at this person's information", not just their demographics.

CSV cells are made safe to open in a spreadsheet (OWASP CSV injection): a cell that
starts with ``=``, ``+``, ``-``, ``@``, tab, CR or LF gets a leading ``'``, unless it is a
plain number such as ``-5``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_

from clinicops import local_time, render_table
from clinicops.plugins.access_log import ledger

CSV_HEADERS = (
    "seq",
    "time_utc",
    "actor",
    "role",
    "source",
    "action",
    "entity",
    "record_id",
    "fields",
    "purpose",
    "outcome",
)
TABLE_HEADERS = ["Seq", "Time", "Actor", "Role", "Source", "Action", "Record", "Fields", "Purpose", "Outcome"]
_RISKY_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_TABLE_FIELDS = 3


def utc_bounds(start: dt.date, end: dt.date, zone: dt.tzinfo) -> tuple[str, str]:
    """The period's first and last-plus-one instants as log timestamps: ``end`` is inclusive
    and both days are the practice's local days."""
    first = dt.datetime.combine(start, dt.time(), zone).astimezone(dt.UTC)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    return first.strftime(fmt), after.strftime(fmt)


def patient_records(practice: Any, patient_id: str) -> dict[str, set[str]]:
    """entity -> ids of the patient's record and of every record that refers to it."""
    out: dict[str, set[str]] = {"patient": {patient_id}}
    for name in practice.registry.names():
        entity = practice.registry[name]
        refs = [f.name for f in entity.fields if f.ref == "patient" and name != "patient"]
        if not refs:
            continue
        # Deleted records count too: they were about this patient when they were accessed.
        pk = entity.primary_key
        for rec in practice.records(name, include_deleted=True):
            if any(rec.get(f) == patient_id for f in refs):
                out.setdefault(name, set()).add(rec[pk])
    return out


def find_entries(
    practice: Any, start: dt.date, end: dt.date, *, patient: str | None = None, actor: str | None = None
) -> list[dict[str, Any]]:
    first, after = utc_bounds(start, end, practice.timezone)
    log = ledger.log
    where = and_(log.c.at >= first, log.c.at < after)
    if actor is not None:
        where = and_(where, log.c.actor == actor)
    if patient is not None:
        records = patient_records(practice, patient)
        where = and_(
            where, or_(*(and_(log.c.entity == e, log.c.record_id.in_(sorted(ids))) for e, ids in records.items()))
        )
    return list(ledger.entries(practice.storage(ledger.NAME), where))


def csv_safe(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_RISKY_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def to_csv(entries: Iterable[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADERS)
    for e in entries:
        writer.writerow(
            csv_safe(v)
            for v in (
                e["seq"],
                e["at"],
                e["actor"],
                e["role"],
                e["source"],
                e["action"],
                e["entity"],
                e["record_id"],
                e["fields"],
                e["purpose"],
                e["outcome"],
            )
        )
    return buffer.getvalue()


def to_table(entries: Iterable[dict[str, Any]], zone: ZoneInfo) -> str:
    """The report for people: times where the practice is, with the zone's abbreviation (the CSV keeps UTC)."""
    rows = [
        [
            e["seq"],
            local_time(e["at"], zone),
            e["actor"],
            e["role"],
            e["source"],
            e["action"],
            f"{e['entity']} {e['record_id']}",
            _short_fields(e["fields"]),
            e["purpose"],
            e["outcome"],
        ]
        for e in entries
    ]
    return render_table(TABLE_HEADERS, rows)


def _short_fields(fields: str) -> str:
    """A few field names for the screen; the CSV has them all."""
    names = [f for f in fields.split(",") if f]
    if len(names) <= _TABLE_FIELDS:
        return ", ".join(names)
    return f"{', '.join(names[:_TABLE_FIELDS])} +{len(names) - _TABLE_FIELDS} more"
