"""Errors in the shape the Sheets API returns them.

Every failure leaves the emulator as ``{"error": {"code", "message", "status"}}`` so a
connector's error handling (and gspread's ``APIError``) sees exactly what Google sends.
"""

from __future__ import annotations

from typing import Any

#: Canonical gRPC status names Google pairs with each HTTP code.
STATUS_BY_CODE: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

#: The message Google sends with each code when nothing more specific applies.
DEFAULT_MESSAGES: dict[int, str] = {
    400: "Request contains an invalid argument.",
    401: (
        "Request is missing required authentication credential. Expected OAuth 2 access "
        "token, login cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project."
    ),
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    409: "The operation was aborted.",
    429: (
        "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per "
        "minute per user' of service 'sheets.googleapis.com' for consumer "
        "'project_number:000000000000'."
    ),
    500: "Internal error encountered.",
    501: "Operation is not implemented, or supported, or enabled.",
    503: "The service is currently unavailable.",
    504: "The service is currently unavailable.",
}


class ApiError(Exception):
    """A request the API refuses; carries everything needed to render the error body."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        status: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code
        self.message = message if message is not None else DEFAULT_MESSAGES.get(code, "")
        self.status = status or STATUS_BY_CODE.get(code, "UNKNOWN")
        self.details = details or []
        self.headers = headers or {}
        super().__init__(f"{code} {self.status}: {self.message}")

    def body(self) -> dict[str, Any]:
        """The JSON body Google sends for this error."""
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def invalid(message: str) -> ApiError:
    """400 INVALID_ARGUMENT, the answer to any malformed request."""
    return ApiError(400, message)


def not_found(message: str | None = None) -> ApiError:
    """404 NOT_FOUND, e.g. an unknown spreadsheet id."""
    return ApiError(404, message)


def unknown_field(name: str, where: str | None = None) -> ApiError:
    """400 for a JSON body naming a field the API does not define (proto parsing error)."""
    at = f" at '{where}'" if where else ""
    return invalid(f'Invalid JSON payload received. Unknown name "{name}"{at}: Cannot find field.')


def unknown_query_parameter(name: str) -> ApiError:
    """400 for a query parameter the method does not accept."""
    return invalid(
        f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
        f"Field '{name}' could not be found in request message."
    )


def bad_enum(field: str, value: str) -> ApiError:
    """400 for an enum query parameter with a value outside the enum."""
    return invalid(f"Invalid value at '{field}' (TYPE_ENUM), \"{value}\"")
