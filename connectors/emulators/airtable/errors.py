"""Error answers of the Airtable Web API, with the status codes and types Airtable uses.

Every error body has the documented shape ``{"error": {"type": ..., "message": ...}}``.
The types and message wording follow what Airtable answers (its errors page, and bodies
seen from the live service), so a connector's error handling can be written once and
trusted against both the emulator and Airtable.
"""

from __future__ import annotations

import json
from typing import Any

#: Airtable's catch-all for a parameter that fails validation.
GENERIC_INVALID_REQUEST = "Invalid request: parameter validation failed. Check your request data."

MODEL_NOT_FOUND_MESSAGE = (
    "Invalid permissions, or the requested model was not found. Check that both your user "
    "and your token have the required permissions, and that the model names and/or ids "
    "are correct."
)

RATE_LIMIT_MESSAGE = "Rate limit exceeded. Please try again later"


class ApiError(Exception):
    """An error answer: raised anywhere while handling a request, rendered by the app."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(f"{status} {error_type}: {message}")
        self.status = status
        self.error_type = error_type
        self.message = message

    def body(self) -> dict[str, Any]:
        """The JSON body Airtable sends with this error."""
        return {"error": {"type": self.error_type, "message": self.message}}


def authentication_required() -> ApiError:
    """401: no bearer token, or one the server does not know."""
    return ApiError(401, "AUTHENTICATION_REQUIRED", "Authentication required")


def model_not_found() -> ApiError:
    """403: an unknown base, or one the token may not see (Airtable does not say which)."""
    return ApiError(403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND", MODEL_NOT_FOUND_MESSAGE)


def route_not_found() -> ApiError:
    """404: a path (or method) the API does not define."""
    return ApiError(404, "NOT_FOUND", "Could not find what you are looking for")


def table_not_found(table: str, base_id: str) -> ApiError:
    """404: the base exists but has no table with that id or name."""
    return ApiError(404, "TABLE_NOT_FOUND", f"Could not find table {table} in application {base_id}")


def record_not_found(record_id: str) -> ApiError:
    """404: reading or deleting a record id the table does not hold."""
    return ApiError(404, "NOT_FOUND", f"Could not find record {record_id}")


def row_does_not_exist(record_id: str) -> ApiError:
    """422: updating, or linking to, a record id that does not exist."""
    return ApiError(422, "ROW_DOES_NOT_EXIST", f"Record ID {record_id} does not exist in this table")


def unknown_field(name: str) -> ApiError:
    """422: a field name or id the table does not have."""
    return ApiError(422, "UNKNOWN_FIELD_NAME", f"Unknown field name: {json.dumps(name)}")


def invalid_value(field_name: str) -> ApiError:
    """422: a value of the wrong type for the field."""
    return ApiError(
        422,
        "INVALID_VALUE_FOR_COLUMN",
        f"Field {json.dumps(field_name)} cannot accept the provided value",
    )


def computed_field(field_name: str) -> ApiError:
    """422: a write to a field Airtable computes (created time, last modified time)."""
    return ApiError(
        422,
        "INVALID_VALUE_FOR_COLUMN",
        f"Field {json.dumps(field_name)} cannot accept a value because the field is computed",
    )


def invalid_choice(choice: str) -> ApiError:
    """422: a select option that does not exist, written without ``typecast``.

    Airtable quotes the option twice (its JSON form inside quotes); so does this.
    """
    return ApiError(
        422,
        "INVALID_MULTIPLE_CHOICE_OPTIONS",
        f'Insufficient permissions to create new select option "{json.dumps(choice)}"',
    )


def invalid_records(message: str) -> ApiError:
    """422: the ``records`` of a write are missing, malformed or too many."""
    return ApiError(422, "INVALID_RECORDS", message)


def invalid_request(message: str = GENERIC_INVALID_REQUEST) -> ApiError:
    """422: a parameter that fails validation."""
    return ApiError(422, "INVALID_REQUEST_UNKNOWN", message)


def invalid_body() -> ApiError:
    """422: a body that is not JSON (NaN included), as Airtable answers it."""
    return ApiError(422, "INVALID_REQUEST_BODY", "Could not parse request body")


def missing_field(name: str) -> ApiError:
    """422: a required member of the body is absent."""
    return ApiError(
        422,
        "INVALID_REQUEST_MISSING_FIELDS",
        f"Could not find field {json.dumps(name)} in the request body",
    )


def iterator_not_available() -> ApiError:
    """422: an offset that is unknown, from another table, or expired through inactivity."""
    return ApiError(
        422,
        "LIST_RECORDS_ITERATOR_NOT_AVAILABLE",
        "The iterator for this offset is not available; restart listing from the first page",
    )


def invalid_formula(detail: str) -> ApiError:
    """422: a ``filterByFormula`` that does not parse or names unknown fields."""
    return ApiError(
        422,
        "INVALID_FILTER_BY_FORMULA",
        f"The formula for filtering records is invalid: {detail}",
    )


def invalid_field_options(table: str, field: str, detail: str) -> ApiError:
    """422: field options that do not fit the field type when creating a field."""
    return ApiError(
        422,
        "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE",
        f"Invalid options for {table}.{field}: {detail}",
    )


def unsupported_field_type(table: str, field: str, field_type: str, why: str) -> ApiError:
    """422: a field type the API cannot create (computed types, or ones not emulated)."""
    return ApiError(
        422,
        "UNSUPPORTED_FIELD_TYPE_FOR_CREATE",
        f"Invalid options for {table}.{field}: Creating {field_type} fields is {why}",
    )


def duplicate_field_name(name: str) -> ApiError:
    """422: a field name that is empty or already used in the table (case-insensitively)."""
    return ApiError(
        422,
        "DUPLICATE_OR_EMPTY_FIELD_NAME",
        f"Field name {json.dumps(name)} is empty or already exists in this table",
    )


def duplicate_table_name(name: str) -> ApiError:
    """422: a table name that is empty or already used in the base (case-insensitively)."""
    return ApiError(
        422,
        "DUPLICATE_OR_EMPTY_TABLE_NAME",
        f"Table name {json.dumps(name)} is empty or already exists in this base",
    )


def rate_limited() -> ApiError:
    """429: over 5 requests/s for a base (or 50/s for a token), or inside the penalty."""
    return ApiError(429, "RATE_LIMIT_REACHED", RATE_LIMIT_MESSAGE)


#: The body a forced failure (fault injection) answers with, by status.
FORCED_ERRORS: dict[int, tuple[str, str]] = {
    401: ("AUTHENTICATION_REQUIRED", "Authentication required"),
    403: ("INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND", MODEL_NOT_FOUND_MESSAGE),
    404: ("NOT_FOUND", "Could not find what you are looking for"),
    422: ("INVALID_REQUEST_UNKNOWN", GENERIC_INVALID_REQUEST),
    429: ("RATE_LIMIT_REACHED", RATE_LIMIT_MESSAGE),
    500: ("SERVER_ERROR", "The server encountered an unexpected condition"),
    502: ("BAD_GATEWAY", "Airtable's servers are restarting; the request is safe to retry"),
    503: (
        "SERVICE_UNAVAILABLE",
        "The server could not process your request in time; retry with backoff",
    ),
}


def forced(status: int) -> ApiError:
    """The error a forced failure of ``status`` answers with."""
    error_type, message = FORCED_ERRORS.get(status, ("SERVER_ERROR", "Injected failure"))
    return ApiError(status, error_type, message)
