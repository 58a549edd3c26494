"""URL routing: which API method a request names, and whether it reads or writes.

Paths follow Google's gRPC transcoding: custom verbs after a colon
(``/v4/spreadsheets/{id}:batchUpdate``, ``.../values/{range}:append``) and the range
percent-encoded in the path (gspread encodes ``:`` and ``!`` too).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from .errors import ApiError

SHEETS_PREFIX = "/v4/spreadsheets"
DRIVE_PREFIX = "/drive/v3/files"

_RENDER = frozenset({"majorDimension", "valueRenderOption", "dateTimeRenderOption"})
_WRITE = frozenset(
    {
        "valueInputOption",
        "includeValuesInResponse",
        "responseValueRenderOption",
        "responseDateTimeRenderOption",
    }
)
ALLOWED_QUERY: dict[str, frozenset[str] | None] = {
    "spreadsheets.create": frozenset(),
    "spreadsheets.get": frozenset({"ranges", "includeGridData", "excludeTablesInBandedRanges"}),
    "spreadsheets.batchUpdate": frozenset(),
    "values.get": _RENDER,
    "values.batchGet": _RENDER | {"ranges"},
    "values.update": _WRITE,
    "values.append": _WRITE | {"insertDataOption"},
    "values.clear": frozenset(),
    "values.batchUpdate": frozenset(),
    "values.batchClear": frozenset(),
    "drive.files.create": None,
    "drive.files.list": None,
    "drive.files.get": None,
    "drive.files.delete": None,
}
_UNSUPPORTED_VERBS = frozenset(
    {"batchGetByDataFilter", "batchUpdateByDataFilter", "batchClearByDataFilter", "getByDataFilter"}
)


@dataclass(frozen=True)
class Route:
    """The method a request calls and what it acts on."""

    method: str
    kind: str
    api: str
    spreadsheet_id: str | None = None
    range_text: str | None = None

    @property
    def allowed_query(self) -> frozenset[str] | None:
        """Query parameters the method defines (``None``: not checked)."""
        return ALLOWED_QUERY[self.method]


def _no_method() -> ApiError:
    return ApiError(404, "Method not found.")


def route(http_method: str, raw_path: str) -> Route:
    """Map an HTTP method and raw (still percent-encoded) path to an API method."""
    kind = "read" if http_method == "GET" else "write"
    if raw_path.startswith(DRIVE_PREFIX):
        return _drive(http_method, raw_path[len(DRIVE_PREFIX) :], kind)
    if raw_path == SHEETS_PREFIX and http_method == "POST":
        return Route("spreadsheets.create", "write", "sheets")
    if not raw_path.startswith(SHEETS_PREFIX + "/"):
        raise _no_method()
    rest = raw_path[len(SHEETS_PREFIX) + 1 :]
    head, _, tail = rest.partition("/")
    if not tail:
        spreadsheet_id, _, verb = head.partition(":")
        spreadsheet_id = unquote(spreadsheet_id)
        if not spreadsheet_id:
            raise _no_method()
        if not verb and http_method == "GET":
            return Route("spreadsheets.get", "read", "sheets", spreadsheet_id)
        if verb == "batchUpdate" and http_method == "POST":
            return Route("spreadsheets.batchUpdate", "write", "sheets", spreadsheet_id)
        if verb == "getByDataFilter":
            raise ApiError(501, "spreadsheets.getByDataFilter is not supported by the emulator.")
        raise _no_method()
    spreadsheet_id = unquote(head)
    if tail.startswith("values:"):
        verb = tail[len("values:") :]
        names = {"batchGet": "GET", "batchUpdate": "POST", "batchClear": "POST"}
        if names.get(verb) == http_method:
            return Route(f"values.{verb}", kind, "sheets", spreadsheet_id)
        if verb in _UNSUPPORTED_VERBS:
            raise ApiError(501, f"values.{verb} is not supported by the emulator.")
        raise _no_method()
    if tail.startswith("values/") and len(tail) > len("values/"):
        raw_range = tail[len("values/") :]
        if http_method == "POST":
            raw_range, _, verb = raw_range.rpartition(":")
            if verb not in ("append", "clear") or not raw_range:
                raise _no_method()
            return Route(f"values.{verb}", "write", "sheets", spreadsheet_id, unquote(raw_range))
        if http_method == "GET":
            return Route("values.get", "read", "sheets", spreadsheet_id, unquote(raw_range))
        if http_method == "PUT":
            return Route("values.update", "write", "sheets", spreadsheet_id, unquote(raw_range))
    if tail.startswith("sheets/"):
        raise ApiError(501, "spreadsheets.sheets.copyTo is not supported by the emulator.")
    if tail.startswith("developerMetadata"):
        raise ApiError(501, "spreadsheets.developerMetadata is not supported by the emulator.")
    raise _no_method()


def _drive(http_method: str, rest: str, kind: str) -> Route:
    if rest in ("", "/"):
        if http_method == "GET":
            return Route("drive.files.list", kind, "drive")
        if http_method == "POST":
            return Route("drive.files.create", kind, "drive")
        raise _no_method()
    file_id = unquote(rest.lstrip("/"))
    if "/" in file_id:
        raise ApiError(501, "This Drive method is not supported by the emulator.")
    if http_method == "GET":
        return Route("drive.files.get", kind, "drive", file_id)
    if http_method == "DELETE":
        return Route("drive.files.delete", kind, "drive", file_id)
    raise _no_method()
