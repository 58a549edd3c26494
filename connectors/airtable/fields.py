"""Airtable field types for clinicops columns, and cell values in both directions.

A column's kind (from its JSON Schema) decides its Airtable field, so staff get the
editors Airtable is good at — a date picker, a drop-down, a checkbox:

=============================  ======================================================
kind                           Airtable field (options)
=============================  ======================================================
string, npi, code, list        ``singleLineText`` (a list is written as "a, b")
date                           ``date`` (date format in the practice's date order)
date-time                      ``dateTime`` (the practice's time zone)
email / phone                  ``email`` / ``phoneNumber``
integer                        ``number``, precision 0
number                         ``number``, precision 8 — the most Airtable keeps; it rounds
                               stored values to the precision, so nothing narrower is safe
                               while the schema does not say
money                          ``currency``, precision 2, ``$``
boolean, required              ``checkbox`` (unticked reads as "no")
boolean, optional              ``singleSelect`` with ``yes`` and ``no``
enum                           ``singleSelect`` with the schema's values as choices
the Errors column              ``multilineText``
=============================  ======================================================

A checkbox has two states and Airtable leaves an unticked box out of the record, so
"unticked" and "never answered" look the same. An optional boolean has three (a
credential with no "Required" answer counts as required; one marked "no" does not), so
it gets a yes/no drop-down, where an empty cell stays "not answered". A required
boolean cannot be unanswered, so it gets the checkbox.

References (``x-ref``, e.g. an appointment's patient) are the referenced record's key as
text, not ``multipleRecordLinks``: staff type and read "P000123" as in any other backend,
the engine checks the reference once for every backend, a link would break (and lose
the key) when the linked record is deleted and later restored from a tombstone, and a
link cell holds Airtable record ids, which would need a second mapping per sync.

Values go out as Airtable's JSON wants them (dates ``YYYY-MM-DD``, date-times as UTC
timestamps computed from the practice's zone, so the field's own zone setting cannot
shift them) and come back as plain values. ``read_back`` predicts exactly what a written
value reads as — Airtable leaves empty cells and unticked boxes out of a record, rounds
numbers, and answers timestamps with milliseconds — so an unchanged row hashes the same
on the next sync.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from clinicops.connectors.base import ColumnSpec, TableSpec

#: Digits Airtable keeps for ``number`` fields of kind "number" (its maximum).
DECIMAL_PRECISION = 8
CURRENCY_SYMBOL = "$"
CHECKBOX = {"color": "greenBright", "icon": "check"}
DATE_FORMATS = {"MDY": "us", "DMY": "european", "YMD": "iso"}
TIME_FORMATS = {"MDY": "12hour"}
YES, NO = "yes", "no"

PLUGIN_NOTE = "Filled in by clinicops; edits here are replaced on the next sync."
ERRORS_NOTE = "Filled in by clinicops: what to fix on this record. Cleared once the record is valid."
PHI_NOTE = "Protected health information."


@dataclass(frozen=True)
class Style:
    """Practice-wide display choices: how dates look and which zone times are in."""

    zone: ZoneInfo
    date_order: str = "MDY"

    @property
    def time_zone(self) -> str:
        """The zone as Airtable names it (``utc`` in lower case, else the IANA name)."""
        return "utc" if self.zone.key in ("UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu") else self.zone.key

    @property
    def date_format(self) -> dict[str, str]:
        return {"name": DATE_FORMATS.get(self.date_order, "iso")}

    @property
    def time_format(self) -> dict[str, str]:
        return {"name": TIME_FORMATS.get(self.date_order, "24hour")}


def field_type(column: ColumnSpec | None, style: Style) -> tuple[str, dict[str, Any] | None]:
    """The Airtable type and write-shape options of a column (None: the Errors column)."""
    kind = column.kind if column is not None else "errors"
    if kind == "errors":
        return "multilineText", None
    if kind == "date":
        return "date", {"dateFormat": style.date_format}
    if kind == "date-time":
        return "dateTime", {
            "dateFormat": style.date_format,
            "timeFormat": style.time_format,
            "timeZone": style.time_zone,
        }
    if kind == "email":
        return "email", None
    if kind == "phone":
        return "phoneNumber", None
    if kind == "integer":
        return "number", {"precision": 0}
    if kind == "number":
        return "number", {"precision": DECIMAL_PRECISION}
    if kind == "money":
        return "currency", {"precision": 2, "symbol": CURRENCY_SYMBOL}
    if kind == "boolean":
        if is_checkbox(column):
            return "checkbox", dict(CHECKBOX)
        return "singleSelect", {"choices": [{"name": YES}, {"name": NO}]}
    if kind == "enum" and column is not None and column.options:
        return "singleSelect", {"choices": [{"name": option} for option in column.options]}
    return "singleLineText", None


def is_checkbox(column: ColumnSpec | None) -> bool:
    """Whether a column is a two-state boolean, which Airtable shows as a checkbox."""
    return column is not None and column.kind == "boolean" and column.required


def field_body(column: ColumnSpec | None, spec: TableSpec, style: Style) -> dict[str, Any]:
    """The Meta API body that creates a column's field, with a description saying who fills it."""
    kind, options = field_type(column, style)
    body: dict[str, Any] = {"name": column.header if column is not None else spec.errors_header, "type": kind}
    if options is not None:
        body["options"] = options
    notes = []
    if column is None:
        notes.append(ERRORS_NOTE)
    elif column.plugin_owned:
        notes.append(PLUGIN_NOTE)
    if column is not None and column.phi:
        notes.append(PHI_NOTE)
    if notes:
        body["description"] = " ".join(notes)
    return body


def table_body(spec: TableSpec, style: Style) -> dict[str, Any]:
    """A whole table; the primary key goes first because Airtable's first field is the primary field."""
    pk = next((c for c in spec.columns if c.field == spec.primary_key), None)
    ordered = ([pk] if pk else []) + [c for c in spec.columns if c is not pk]
    fields = [field_body(c, spec, style) for c in ordered] + [field_body(None, spec, style)]
    return {"name": spec.title, "fields": fields}


def to_airtable(value: Any, zone: ZoneInfo) -> Any:
    """A cell value as Airtable's JSON takes it; None clears the cell."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime):
        moment = value.replace(tzinfo=zone) if value.tzinfo is None else value
        utc = moment.astimezone(dt.UTC)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        rounded = round(value, DECIMAL_PRECISION)
        return int(rounded) if rounded.is_integer() else rounded
    if isinstance(value, int | str):
        return value
    return str(value)


def encode(value: Any, column: ColumnSpec | None, zone: ZoneInfo) -> Any:
    """A value for one column: booleans of a yes/no drop-down go as its choices."""
    if isinstance(value, bool) and column is not None and column.kind == "boolean" and not is_checkbox(column):
        return YES if value else NO
    return to_airtable(value, zone)


def decode(value: Any, column: ColumnSpec | None) -> Any:
    """A value read from one column; booleans come back as ``True``/``False`` from either field."""
    if column is not None and column.kind == "boolean":
        if value is None:
            return False if is_checkbox(column) else ""
        if value in (YES, NO):
            return value == YES
    return from_airtable(value)


def from_airtable(value: Any) -> Any:
    """A value from a record as the engine reads cells ("" for an empty one).

    Lists and objects only appear when staff changed a field's type in Airtable (to links,
    multiple selects, collaborators); they read as text so the engine can report them.
    """
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(from_airtable(item)) for item in value)
    if isinstance(value, dict):
        return str(value.get("name") or value.get("email") or value.get("text") or value)
    return value


def read_back(value: Any, zone: ZoneInfo) -> Any:
    """What reading a written value gives (``decode`` of what Airtable stores): an empty
    cell is left out of the record and reads as ""; a boolean reads back as itself."""
    sent = to_airtable(value, zone)
    return "" if sent is None else sent
