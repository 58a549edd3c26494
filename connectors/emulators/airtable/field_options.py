"""Field types the Meta API can create, and the options each one requires.

Airtable validates the write shape of ``options`` strictly when a field is created: types
without options refuse even an empty ``options`` object, number-like types need a
``precision``, a checkbox needs its ``color`` and ``icon``, dates need a ``dateFormat``,
date-times a ``timeFormat`` and ``timeZone`` too, selects need ``choices``, and a link
accepts only ``linkedTableId`` (and ``viewIdForRecordSelection``). Accepted options are
stored in the read shape the Meta API returns (select choices get ids and colors; links
report ``isReversed`` and ``prefersSingleRecordLink``) — the shape pyairtable's models
expect.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from . import errors
from .model import new_id

TEXT_TYPES = frozenset({"singleLineText", "multilineText", "email", "url", "phoneNumber"})
NUMBER_TYPES = frozenset({"number", "currency", "percent"})

#: Every type the emulator stores values for and the Meta API may create.
CREATABLE_TYPES = (
    TEXT_TYPES
    | NUMBER_TYPES
    | {
        "checkbox",
        "date",
        "dateTime",
        "singleSelect",
        "multipleSelects",
        "multipleRecordLinks",
    }
)

#: Types Airtable computes; its Meta API refuses to create them (staff add them in the UI).
NOT_CREATABLE_TYPES = frozenset(
    {
        "autoNumber",
        "button",
        "count",
        "createdBy",
        "createdTime",
        "lastModifiedBy",
        "lastModifiedTime",
        "multipleLookupValues",
        "rollup",
    }
)

#: Real Airtable types the emulator does not model.
NOT_EMULATED_TYPES = frozenset(
    {
        "aiText",
        "barcode",
        "duration",
        "externalSyncSource",
        "formula",
        "multipleAttachments",
        "multipleCollaborators",
        "rating",
        "richText",
        "singleCollaborator",
    }
)

DATE_FORMATS = {
    "local": "l",
    "friendly": "LL",
    "us": "M/D/YYYY",
    "european": "D/M/YYYY",
    "iso": "YYYY-MM-DD",
}
TIME_FORMATS = {"12hour": "h:mma", "24hour": "HH:mm"}

CHECKBOX_COLORS = frozenset(
    {
        "greenBright",
        "tealBright",
        "cyanBright",
        "blueBright",
        "purpleBright",
        "pinkBright",
        "redBright",
        "orangeBright",
        "yellowBright",
        "grayBright",
    }
)
CHECKBOX_ICONS = frozenset({"check", "xCheckbox", "star", "heart", "thumbsUp", "flag", "dot"})

_HUES = ("blue", "cyan", "teal", "green", "yellow", "orange", "red", "pink", "purple", "gray")
SELECT_COLORS = frozenset(hue + shade for hue in _HUES for shade in ("Light2", "Light1", "Bright", "Dark1"))
#: Colors given, in turn, to choices created without one.
DEFAULT_CHOICE_COLORS = tuple(hue + "Light2" for hue in _HUES)

#: The date-time result shown for created/last-modified time fields added by staff.
DEFAULT_DATETIME_RESULT: dict[str, Any] = {
    "type": "dateTime",
    "options": {
        "dateFormat": {"name": "iso", "format": "YYYY-MM-DD"},
        "timeFormat": {"name": "24hour", "format": "HH:mm"},
        "timeZone": "utc",
    },
}


@cache
def _iana_zones() -> frozenset[str]:
    return frozenset(zone for zone in available_timezones() if "/" in zone)


def is_valid_time_zone(name: object) -> bool:
    """Airtable's time zones: ``utc``, ``client`` or an IANA ``Region/City`` name
    (``UTC`` in capitals is refused, as Airtable does)."""
    return isinstance(name, str) and (name in ("utc", "client") or name in _iana_zones())


def new_choice(name: str, index: int) -> dict[str, Any]:
    """A select choice in read shape, colored in turn like Airtable's new options."""
    return {
        "id": new_id("sel"),
        "name": name,
        "color": DEFAULT_CHOICE_COLORS[index % len(DEFAULT_CHOICE_COLORS)],
    }


class _OptionsChecker:
    """Validates one field's write-shape options; every failure names table and field."""

    def __init__(self, table: str, field: str, field_type: str) -> None:
        self.table = table
        self.field = field
        self.field_type = field_type

    def fail(self, detail: str) -> errors.ApiError:
        return errors.invalid_field_options(self.table, self.field, detail)

    def require_object(self, options: object) -> dict[str, Any]:
        if options is None:
            raise self.fail(f"Failed schema validation: {self.field}.options is missing")
        if not isinstance(options, dict):
            raise self.fail(f"Failed schema validation: {self.field}.options must be an object")
        return options

    def only_keys(self, options: dict[str, Any], allowed: set[str], required: set[str]) -> None:
        for key in options:
            if key not in allowed:
                raise self.fail(f"Failed schema validation: {self.field}.options.{key} is not allowed")
        for key in required:
            if key not in options:
                raise self.fail(f"Failed schema validation: {self.field}.options.{key} is missing")

    def precision(self, value: object, highest: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= highest:
            raise self.fail(f"precision must be an integer from 0 to {highest}")
        return value

    def named_format(self, value: object, formats: dict[str, str], what: str) -> dict[str, str]:
        if not isinstance(value, dict) or value.get("name") not in formats:
            raise self.fail(f"{what}.name must be one of {', '.join(formats)}")
        name = value["name"]
        given = value.get("format")
        if given is not None and given != formats[name]:
            raise self.fail(f"{what}.format does not match {what}.name {name!r}")
        extra = set(value) - {"name", "format"}
        if extra:
            raise self.fail(f"{what}.{sorted(extra)[0]} is not allowed")
        return {"name": name, "format": formats[name]}

    def choices(self, value: object) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            raise self.fail("choices must be an array")
        result: list[dict[str, Any]] = []
        seen: set[str] = set()
        for index, choice in enumerate(value):
            if not isinstance(choice, dict) or not isinstance(choice.get("name"), str):
                raise self.fail("each choice needs a name")
            name = choice["name"]
            if not name or name in seen:
                raise self.fail(f"choice names must be unique and non-empty: {name!r}")
            seen.add(name)
            made = new_choice(name, index)
            color = choice.get("color")
            if color is not None:
                if color not in SELECT_COLORS:
                    raise self.fail(f"{color!r} is not a select color")
                made["color"] = color
            result.append(made)
        return result


def create_options(
    table: str,
    field: str,
    field_type: object,
    options: object,
    *,
    table_ids: Callable[[], set[str]],
) -> dict[str, Any] | None:
    """Validate the options of a field being created and return them in read shape.

    ``table_ids`` lists the tables of the base, which a link must point to.
    """
    if not isinstance(field_type, str) or not field_type:
        raise errors.invalid_field_options(table, field, "Failed schema validation: type")
    if field_type in NOT_CREATABLE_TYPES:
        raise errors.unsupported_field_type(table, field, field_type, "not supported at this time")
    if field_type in NOT_EMULATED_TYPES:
        raise errors.unsupported_field_type(
            table, field, field_type, "not supported by the clinicops Airtable emulator"
        )
    if field_type not in CREATABLE_TYPES:
        raise errors.invalid_field_options(
            table, field, f"Failed schema validation: {field_type!r} is not a field type"
        )
    check = _OptionsChecker(table, field, field_type)
    if field_type in TEXT_TYPES:
        if options is not None:
            raise check.fail(
                f"Failed schema validation: options is not included in the {field}.(type={field_type}) schema"
            )
        return None
    given = check.require_object(options)
    if field_type in ("number", "percent"):
        check.only_keys(given, {"precision"}, {"precision"})
        return {"precision": check.precision(given["precision"], 8)}
    if field_type == "currency":
        check.only_keys(given, {"precision", "symbol"}, {"precision", "symbol"})
        if not isinstance(given["symbol"], str) or not given["symbol"]:
            raise check.fail("symbol must be a non-empty string")
        return {"precision": check.precision(given["precision"], 7), "symbol": given["symbol"]}
    if field_type == "checkbox":
        check.only_keys(given, {"color", "icon"}, {"color", "icon"})
        if given["color"] not in CHECKBOX_COLORS or given["icon"] not in CHECKBOX_ICONS:
            raise check.fail("color or icon is not one Airtable offers for checkboxes")
        return {"color": given["color"], "icon": given["icon"]}
    if field_type == "date":
        check.only_keys(given, {"dateFormat"}, {"dateFormat"})
        return {"dateFormat": check.named_format(given["dateFormat"], DATE_FORMATS, "dateFormat")}
    if field_type == "dateTime":
        keys = {"dateFormat", "timeFormat", "timeZone"}
        check.only_keys(given, keys, keys)
        if not is_valid_time_zone(given["timeZone"]):
            raise check.fail(f"Invalid timezone {given['timeZone']!r}")
        return {
            "dateFormat": check.named_format(given["dateFormat"], DATE_FORMATS, "dateFormat"),
            "timeFormat": check.named_format(given["timeFormat"], TIME_FORMATS, "timeFormat"),
            "timeZone": given["timeZone"],
        }
    if field_type in ("singleSelect", "multipleSelects"):
        check.only_keys(given, {"choices"}, {"choices"})
        return {"choices": check.choices(given["choices"])}
    check.only_keys(given, {"linkedTableId", "viewIdForRecordSelection"}, {"linkedTableId"})
    if given["linkedTableId"] not in table_ids():
        raise check.fail(f"linkedTableId {given['linkedTableId']!r} is not a table of this base")
    linked: dict[str, Any] = {
        "linkedTableId": given["linkedTableId"],
        "isReversed": False,
        "prefersSingleRecordLink": False,
    }
    if "viewIdForRecordSelection" in given:
        linked["viewIdForRecordSelection"] = given["viewIdForRecordSelection"]
    return linked


def computed_options(field_type: str, referenced_field_ids: list[str]) -> dict[str, Any]:
    """Read-shape options of a computed field added the way staff add one in the UI."""
    if field_type == "createdTime":
        return {"result": copy.deepcopy(DEFAULT_DATETIME_RESULT)}
    if field_type == "lastModifiedTime":
        return {
            "isValid": True,
            "referencedFieldIds": list(referenced_field_ids),
            "result": copy.deepcopy(DEFAULT_DATETIME_RESULT),
        }
    raise ValueError(f"only createdTime and lastModifiedTime are computed here, not {field_type}")
