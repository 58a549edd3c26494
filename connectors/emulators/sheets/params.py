"""Query parameters and JSON bodies checked the way Google's front end checks them.

An unknown query parameter, an enum value outside its enum or an unknown JSON field is
a 400 at Google, so a typo in a connector (``valueRenderOptions``) fails here too instead
of silently falling back to a default.
"""

from __future__ import annotations

from typing import Any

from .errors import bad_enum, invalid, unknown_field, unknown_query_parameter

Query = dict[str, list[str]]

#: System parameters every Google API method accepts.
SYSTEM_PARAMETERS = frozenset(
    {
        "fields",
        "alt",
        "key",
        "access_token",
        "oauth_token",
        "prettyPrint",
        "quotaUser",
        "callback",
        "upload_protocol",
        "uploadType",
        "$.xgafv",
        "userIp",
    }
)
VALUE_RENDER = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
DATE_RENDER = ("SERIAL_NUMBER", "FORMATTED_STRING")
VALUE_INPUT = ("RAW", "USER_ENTERED")
DIMENSIONS = ("ROWS", "COLUMNS")
INSERT_DATA = ("OVERWRITE", "INSERT_ROWS")


def check_query(query: Query, allowed: set[str] | frozenset[str]) -> None:
    """Refuse query parameters the method does not define."""
    for name in query:
        if name not in allowed and name not in SYSTEM_PARAMETERS:
            raise unknown_query_parameter(name)


def one(query: Query, name: str) -> str | None:
    """The last value given for a single-valued parameter (Google keeps the last)."""
    values = query.get(name)
    return values[-1] if values else None


def enum(value: Any, choices: tuple[str, ...], field: str, default: str, *, where: str = "") -> str:
    """An enum value, defaulting when absent or unspecified; 400 outside the enum."""
    if value is None or value == "":
        return default
    if not isinstance(value, str) or value not in choices:
        if where:
            raise invalid(
                f"Invalid value at '{where}' (type.googleapis.com/google.apps.sheets.v4.{field}), \"{value}\""
            )
        raise bad_enum(field, str(value))
    return value


def flag(value: Any, field: str) -> bool:
    """A boolean from a query string (``true``/``false``) or a JSON body."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise invalid(f"Invalid value at '{field}' (TYPE_BOOL), \"{value}\"")


def check_body(body: Any, allowed: set[str] | frozenset[str], where: str | None = None) -> None:
    """Refuse a JSON object with fields the message type does not have."""
    if not isinstance(body, dict):
        at = f" at '{where}'" if where else ""
        raise invalid(f"Invalid JSON payload received. Expected an object{at}.")
    for name in body:
        if name not in allowed:
            raise unknown_field(name, where)


def integer(value: Any, where: str, default: int = 0) -> int:
    """An int32 field of a JSON body (JSON may carry it as a number or a string)."""
    if value is None:
        return default
    if isinstance(value, bool):
        raise invalid(f"Invalid value at '{where}' (TYPE_INT32), {str(value).lower()}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    raise invalid(f"Invalid value at '{where}' (TYPE_INT32), \"{value}\"")
