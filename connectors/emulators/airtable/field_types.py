"""Cell values by field type: what a write may carry, what ``typecast`` converts, and how
a stored value reads back as JSON or as a string (``cellFormat=string``).

Writes are strict the way Airtable's are: a number field refuses ``"12"`` unless the
request sets ``typecast``; a select refuses an option it does not have unless
``typecast`` lets the write create it. Empty values — ``""``, ``false``, ``[]``,
``null`` — clear the cell, which is then omitted when the record is read.

Stored forms: text as ``str``; numbers as ``int``/``float`` rounded to the field's
precision (integral values as ``int``, as JSON from Airtable shows them); checkbox as
``True``; date as ``YYYY-MM-DD``; date-time as a UTC timestamp string with milliseconds;
selects as choice ids (so the read shows the choice's current name); links as record ids.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from . import errors
from .field_options import DEFAULT_DATETIME_RESULT, NUMBER_TYPES, TEXT_TYPES, new_choice
from .model import Field, iso_timestamp

_TRUE_WORDS = frozenset({"true", "yes", "y", "1", "checked", "on", "x"})
_FALSE_WORDS = frozenset({"false", "no", "n", "0", "off", "unchecked"})
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def normalize_number(value: float) -> int | float:
    """Integral numbers as ``int``, so ``2.0`` serializes as ``2`` like Airtable's JSON."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def number_text(value: float) -> str:
    """A number as JavaScript would print it (``5``, ``0.5``), for typecast into text."""
    value = normalize_number(value)
    return str(value) if isinstance(value, int) else repr(value)


def _round(value: float, digits: int) -> int | float:
    quantum = Decimal(1).scaleb(-digits)
    rounded = Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    return normalize_number(float(rounded))


def _stored_digits(field: Field) -> int:
    """Digits kept after the point: a percent's precision counts percentage points."""
    precision = int((field.options or {}).get("precision", 0))
    return precision + 2 if field.type == "percent" else precision


def field_zone(field: Field) -> tzinfo:
    """The zone a date-time field reads input without an offset in: its own (UTC for
    ``utc`` and ``client``, which has no client to ask when the API writes)."""
    name = (field.options or {}).get("timeZone", "utc")
    return UTC if name in ("utc", "client") else ZoneInfo(name)


class PendingChoices:
    """Select options a write creates through ``typecast``.

    They are added to their fields only when the whole write succeeds (``commit``), so a
    rejected request leaves the schema as it was.
    """

    def __init__(self) -> None:
        self._added: list[tuple[Field, dict[str, Any]]] = []

    def choice_id(self, field: Field, name: str, *, create: bool) -> str | None:
        """The id of the option named exactly ``name``, created if allowed, else None."""
        choices = (field.options or {}).get("choices", [])
        for choice in choices:
            if choice["name"] == name:
                return choice["id"]
        pending = [choice for owner, choice in self._added if owner is field]
        for choice in pending:
            if choice["name"] == name:
                return choice["id"]
        if not create:
            return None
        made = new_choice(name, len(choices) + len(pending))
        self._added.append((field, made))
        return made["id"]

    def commit(self) -> None:
        """Add the new options to their fields."""
        for owner, choice in self._added:
            assert owner.options is not None
            owner.options["choices"].append(choice)
        self._added.clear()


def coerce(
    field: Field,
    value: Any,
    *,
    typecast: bool,
    choices: PendingChoices,
    link_exists: Callable[[str, str], bool],
) -> Any | None:
    """The stored form of a value written to ``field``; None means the cell is cleared.

    ``link_exists(table_id, record_id)`` says whether a linked record exists.
    """
    if field.is_computed:
        raise errors.computed_field(field.name)
    if value is None:
        return None
    if field.type in TEXT_TYPES:
        return _coerce_text(field, value, typecast)
    if field.type in NUMBER_TYPES:
        return _coerce_number(field, value, typecast)
    if field.type == "checkbox":
        return _coerce_checkbox(field, value, typecast)
    if field.type == "date":
        return _coerce_date(field, value, typecast)
    if field.type == "dateTime":
        return _coerce_datetime(field, value, typecast)
    if field.type == "singleSelect":
        return _coerce_single_select(field, value, typecast, choices)
    if field.type == "multipleSelects":
        return _coerce_multiple_selects(field, value, typecast, choices)
    if field.type == "multipleRecordLinks":
        return _coerce_links(field, value, typecast, link_exists)
    raise errors.invalid_value(field.name)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _coerce_text(field: Field, value: Any, typecast: bool) -> str | None:
    if isinstance(value, str):
        return value or None
    if typecast and _is_number(value):
        return number_text(value)
    raise errors.invalid_value(field.name)


def _coerce_number(field: Field, value: Any, typecast: bool) -> int | float | None:
    if isinstance(value, str) and typecast:
        text = value.strip().replace(",", "")
        if not text:
            return None
        scale = 1.0
        if field.type == "percent" and text.endswith("%"):
            text, scale = text[:-1], 0.01
        symbol = (field.options or {}).get("symbol")
        if field.type == "currency" and symbol and text.lstrip("-").startswith(symbol):
            text = text.replace(symbol, "", 1)
        try:
            value = float(text) * scale
        except ValueError:
            raise errors.invalid_value(field.name) from None
    if not _is_number(value) or value != value or value in (float("inf"), float("-inf")):
        raise errors.invalid_value(field.name)
    return _round(float(value), _stored_digits(field))


def _coerce_checkbox(field: Field, value: Any, typecast: bool) -> bool | None:
    if isinstance(value, bool):
        return True if value else None
    if typecast and isinstance(value, str):
        word = value.strip().casefold()
        if word in _TRUE_WORDS:
            return True
        if not word or word in _FALSE_WORDS:
            return None
    if typecast and _is_number(value):
        return True if value else None
    raise errors.invalid_value(field.name)


def _date_by_format(text: str, format_name: str) -> date | None:
    patterns = {"european": ("%d/%m/%Y",), "friendly": ("%B %d, %Y",)}.get(format_name, ("%m/%d/%Y",))
    for pattern in (*patterns, "%B %d, %Y", "%b %d, %Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _coerce_date(field: Field, value: Any, typecast: bool) -> str | None:
    if not isinstance(value, str):
        raise errors.invalid_value(field.name)
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is not None:
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.date().isoformat()
    if typecast:
        format_name = (field.options or {}).get("dateFormat", {}).get("name", "iso")
        parsed = _date_by_format(text, format_name)
        if parsed is not None:
            return parsed.isoformat()
    raise errors.invalid_value(field.name)


def _coerce_datetime(field: Field, value: Any, typecast: bool) -> str | None:
    if not isinstance(value, str):
        raise errors.invalid_value(field.name)
    text = value.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None and typecast:
        for pattern in ("%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M%p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y"):
            try:
                moment = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
    if moment is None:
        raise errors.invalid_value(field.name)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=field_zone(field))
    return iso_timestamp(moment)


def _coerce_single_select(field: Field, value: Any, typecast: bool, choices: PendingChoices) -> str | None:
    if typecast and _is_number(value):
        value = number_text(value)
    if not isinstance(value, str):
        raise errors.invalid_value(field.name)
    if not value:
        return None
    choice = choices.choice_id(field, value, create=typecast)
    if choice is None:
        raise errors.invalid_choice(value)
    return choice


def _coerce_multiple_selects(field: Field, value: Any, typecast: bool, choices: PendingChoices) -> list[str] | None:
    if typecast and isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list):
        raise errors.invalid_value(field.name)
    chosen: list[str] = []
    for item in value:
        if typecast and _is_number(item):
            item = number_text(item)
        if not isinstance(item, str):
            raise errors.invalid_value(field.name)
        choice = choices.choice_id(field, item, create=typecast and bool(item))
        if choice is None:
            raise errors.invalid_choice(item)
        if choice not in chosen:
            chosen.append(choice)
    return chosen or None


def _coerce_links(
    field: Field,
    value: Any,
    typecast: bool,
    link_exists: Callable[[str, str], bool],
) -> list[str] | None:
    if typecast and isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise errors.invalid_value(field.name)
    linked_table = (field.options or {})["linkedTableId"]
    linked: list[str] = []
    for record_id in value:
        if not link_exists(linked_table, record_id):
            raise errors.row_does_not_exist(record_id)
        if record_id not in linked:
            linked.append(record_id)
    return linked or None


def _choice_name(field: Field, choice_id: str) -> str | None:
    for choice in (field.options or {}).get("choices", []):
        if choice["id"] == choice_id:
            return choice["name"]
    return None


def to_json(field: Field, stored: Any) -> Any:
    """A stored value as ``cellFormat=json`` shows it."""
    if field.type == "singleSelect":
        return _choice_name(field, stored)
    if field.type == "multipleSelects":
        return [name for name in (_choice_name(field, each) for each in stored) if name]
    if isinstance(stored, list):
        return list(stored)
    return stored


def _date_text(day: date, format_name: str) -> str:
    if format_name == "iso":
        return day.isoformat()
    if format_name == "european":
        return f"{day.day}/{day.month}/{day.year}"
    if format_name == "friendly":
        return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"
    return f"{day.month}/{day.day}/{day.year}"


def _time_text(moment: datetime, format_name: str) -> str:
    if format_name == "12hour":
        hour = moment.hour % 12 or 12
        return f"{hour}:{moment.minute:02d}{'pm' if moment.hour >= 12 else 'am'}"
    return f"{moment.hour:02d}:{moment.minute:02d}"


def datetime_text(stored: str, options: dict[str, Any], request_zone: str | None) -> str:
    """A UTC timestamp shown in the field's zone (or the request's, for ``client``)."""
    zone_name = options.get("timeZone", "utc")
    if zone_name == "client":
        zone_name = request_zone or "utc"
    zone = UTC if zone_name == "utc" else ZoneInfo(zone_name)
    moment = datetime.fromisoformat(stored).astimezone(zone)
    day = _date_text(moment.date(), options.get("dateFormat", {}).get("name", "iso"))
    return f"{day} {_time_text(moment, options.get('timeFormat', {}).get('name', '24hour'))}"


def to_string(field: Field, stored: Any, *, time_zone: str | None) -> str:
    """A stored value as ``cellFormat=string`` shows it (links are rendered by the caller,
    which knows the linked records' primary values)."""
    options = field.options or {}
    if field.type in ("number", "percent", "currency"):
        digits = int(options.get("precision", 0))
        if field.type == "percent":
            return f"{stored * 100:.{digits}f}%"
        if field.type == "currency":
            sign = "-" if stored < 0 else ""
            return f"{sign}{options.get('symbol', '')}{abs(stored):,.{digits}f}"
        return f"{stored:.{digits}f}"
    if field.type == "checkbox":
        return "checked"
    if field.type == "date":
        return _date_text(date.fromisoformat(stored), options["dateFormat"]["name"])
    if field.type == "dateTime":
        return datetime_text(stored, options, time_zone)
    if field.is_computed:
        result = options.get("result") or DEFAULT_DATETIME_RESULT
        return datetime_text(stored, result["options"], time_zone)
    if field.type == "singleSelect":
        return _choice_name(field, stored) or ""
    if field.type == "multipleSelects":
        return ", ".join(to_json(field, stored))
    return str(stored)
