"""The slice of the Drive v3 ``files`` API that gspread uses for spreadsheets.

gspread's ``Client.create``, ``open`` (by title), ``openall`` and ``del_spreadsheet``
go through Drive rather than Sheets; these answer them from the same store, so code
using those calls works against the emulator without a side door.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import ApiError, invalid
from .fields import parse_mask, select
from .model import Spreadsheet
from .params import Query, check_body, one
from .service import SheetsService

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
_CLAUSE = re.compile(r"""^\s*(?P<field>name|mimeType)\s*(?P<op>=|!=|contains)\s*(?P<q>['"])(?P<value>.*)(?P=q)\s*$""")


def _file(spreadsheet: Spreadsheet) -> dict[str, Any]:
    return {
        "kind": "drive#file",
        "id": spreadsheet.spreadsheet_id,
        "name": spreadsheet.properties.get("title", ""),
        "mimeType": SPREADSHEET_MIME,
        "createdTime": spreadsheet.created_time,
        "modifiedTime": spreadsheet.modified_time or spreadsheet.created_time,
    }


def _brief(file: dict[str, Any]) -> dict[str, Any]:
    return {key: file[key] for key in ("kind", "id", "name", "mimeType")}


def _file_not_found(file_id: str) -> ApiError:
    return ApiError(404, f"File not found: {file_id}.")


def _matches(file: dict[str, Any], query: str) -> bool:
    for clause in re.split(r"\s+and\s+", query) if query else []:
        match = _CLAUSE.match(clause)
        if match is None:
            continue
        actual = file[match["field"]]
        value = match["value"].replace("\\'", "'").replace('\\"', '"')
        if match["op"] == "=" and actual != value:
            return False
        if match["op"] == "!=" and actual == value:
            return False
        if match["op"] == "contains" and value.lower() not in actual.lower():
            return False
    return True


def _shaped(data: dict[str, Any], query: Query, default: dict[str, Any]) -> dict[str, Any]:
    fields = one(query, "fields")
    return select(data, parse_mask(fields)) if fields else default


def create(service: SheetsService, body: Any, query: Query) -> dict[str, Any]:
    """``files.create`` for a Google Sheets file: an empty spreadsheet with ``Sheet1``."""
    check_body(body, {"name", "mimeType", "parents", "description"})
    if body.get("mimeType") != SPREADSHEET_MIME:
        raise invalid("Only Google Sheets files can be created in the emulator.")
    created = service.create({}, title=body.get("name") or "Untitled spreadsheet")
    file = _file(service.spreadsheet(created["spreadsheetId"]))
    return _shaped(file, query, _brief(file))


def get(service: SheetsService, file_id: str, query: Query) -> dict[str, Any]:
    """``files.get`` metadata."""
    spreadsheet = service.spreadsheets.get(file_id)
    if spreadsheet is None:
        raise _file_not_found(file_id)
    file = _file(spreadsheet)
    return _shaped(file, query, _brief(file))


def list_files(service: SheetsService, query: Query) -> dict[str, Any]:
    """``files.list`` filtered by the ``name`` and ``mimeType`` clauses of ``q``."""
    q = one(query, "q") or ""
    files = [_file(s) for s in service.spreadsheets.values()]
    files = [f for f in files if _matches(f, q)]
    data = {"kind": "drive#fileList", "incompleteSearch": False, "files": files}
    return _shaped(data, query, {**data, "files": [_brief(f) for f in files]})


def delete(service: SheetsService, file_id: str) -> None:
    """``files.delete``."""
    if file_id not in service.spreadsheets:
        raise _file_not_found(file_id)
    service.delete(file_id)
