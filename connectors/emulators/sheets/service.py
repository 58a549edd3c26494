"""The Sheets API methods over an in-memory store, free of HTTP.

Every write runs on a snapshot of the spreadsheet and replaces it only on success, so a
failing request — a bad range in the fifth ``data`` entry, the third request of a
``batchUpdate`` — leaves nothing half-done, as at Google.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar

from . import batch_update, sheet_requests, values_api
from .errors import invalid, not_found
from .fields import SPREADSHEET, parse_mask, select, selects, validate
from .model import Sheet, Spreadsheet, new_spreadsheet_id, now_rfc3339, random_id
from .params import Query, check_body, flag, one
from .resource import spreadsheet_resource

T = TypeVar("T")

DEFAULT_PROPERTIES = {
    "title": "Untitled spreadsheet",
    "locale": "en_US",
    "autoRecalc": "ON_CHANGE",
    "timeZone": "Etc/GMT",
}


def _trim_grid(resource: dict[str, Any]) -> dict[str, Any]:
    """Drop cells and rows a field mask left empty from the end of each ``rowData``.

    Google sizes grid data by the selected fields: with ``fields=...values.note`` a row
    reaches only to its last note and ``rowData`` only to the last row with one.
    """
    for sheet in resource.get("sheets", []):
        for grid in sheet.get("data", []):
            rows = grid.get("rowData")
            if rows is None:
                continue
            for row in rows:
                values = row.get("values")
                if values is None:
                    continue
                while values and not values[-1]:
                    values.pop()
                if not values:
                    del row["values"]
            while rows and not rows[-1]:
                rows.pop()
            if not rows:
                del grid["rowData"]
    return resource


class SheetsService:
    """The spreadsheets this emulator holds, and the API methods that act on them."""

    def __init__(self) -> None:
        self.spreadsheets: dict[str, Spreadsheet] = {}

    def spreadsheet(self, spreadsheet_id: str) -> Spreadsheet:
        """The spreadsheet with this id; 404 NOT_FOUND as Google answers for an unknown id."""
        found = self.spreadsheets.get(spreadsheet_id)
        if found is None:
            raise not_found()
        return found

    def _write(self, spreadsheet_id: str, change: Callable[[Spreadsheet], T]) -> T:
        """Apply ``change`` to a snapshot; keep the snapshot only if it succeeds."""
        snapshot = self.spreadsheet(spreadsheet_id).clone()
        result = change(snapshot)
        snapshot.modified_time = now_rfc3339()
        self.spreadsheets[spreadsheet_id] = snapshot
        return result

    def create(self, body: Any, title: str | None = None) -> dict[str, Any]:
        """``spreadsheets.create``: a new spreadsheet, one ``Sheet1`` unless sheets are given."""
        check_body(
            body,
            {"spreadsheetId", "properties", "sheets", "namedRanges", "developerMetadata"},
        )
        given = body.get("properties") or {}
        check_body(given, {*DEFAULT_PROPERTIES, "defaultFormat"}, "properties")
        properties = {**DEFAULT_PROPERTIES, **copy.deepcopy(given)}
        if title is not None:
            properties["title"] = title
        spreadsheet = Spreadsheet(new_spreadsheet_id(), properties)
        spreadsheet.modified_time = spreadsheet.created_time
        sheets = body.get("sheets") or [{}]
        for i, item in enumerate(sheets):
            check_body(item, {"properties"}, f"sheets[{i}]")
            props = item.get("properties") or {}
            if "sheetId" in props:
                sheet_id = props["sheetId"]
            elif i == 0:
                sheet_id = 0
            else:
                sheet_id = random_id()
            if spreadsheet.sheet_by_id(sheet_id) is not None:
                raise invalid(f"Invalid sheets[{i}]: duplicate sheet id {sheet_id}.")
            sheet_title = props.get("title") or f"Sheet{len(spreadsheet.sheets) + 1}"
            if spreadsheet.sheet_by_title(sheet_title) is not None:
                raise invalid(f'A sheet with the name "{sheet_title}" already exists. Please enter another name.')
            spreadsheet.sheets.append(Sheet(sheet_requests.sheet_properties(props, sheet_id, i, sheet_title)))
        spreadsheet.check_cell_limit()
        self.spreadsheets[spreadsheet.spreadsheet_id] = spreadsheet
        return spreadsheet_resource(spreadsheet, None, include_grid=False)

    def get(self, spreadsheet_id: str, query: Query) -> dict[str, Any]:
        """``spreadsheets.get`` with ``ranges``, ``includeGridData`` and ``fields``."""
        spreadsheet = self.spreadsheet(spreadsheet_id)
        fields = one(query, "fields")
        mask = None
        if fields is not None:
            mask = parse_mask(fields)
            validate(mask, SPREADSHEET)
            include_grid = selects(mask, "sheets", "data")
        else:
            include_grid = flag(one(query, "includeGridData"), "include_grid_data")
        ranges = [spreadsheet.resolve(text) for text in query.get("ranges", [])]
        resource = spreadsheet_resource(spreadsheet, ranges or None, include_grid)
        if mask is None:
            return resource
        return _trim_grid(select(resource, mask))

    def batch_update(self, spreadsheet_id: str, body: Any) -> dict[str, Any]:
        """``spreadsheets.batchUpdate``, all requests or none."""
        return self._write(spreadsheet_id, lambda s: batch_update.apply(s, body))

    def values_get(self, spreadsheet_id: str, range_text: str, query: Query) -> dict[str, Any]:
        """``values.get``."""
        return values_api.get(
            self.spreadsheet(spreadsheet_id),
            range_text,
            one(query, "majorDimension"),
            one(query, "valueRenderOption"),
            one(query, "dateTimeRenderOption"),
        )

    def values_batch_get(self, spreadsheet_id: str, query: Query) -> dict[str, Any]:
        """``values.batchGet``."""
        return values_api.batch_get(
            self.spreadsheet(spreadsheet_id),
            query.get("ranges", []),
            one(query, "majorDimension"),
            one(query, "valueRenderOption"),
            one(query, "dateTimeRenderOption"),
        )

    def values_update(self, spreadsheet_id: str, range_text: str, query: Query, body: Any) -> dict[str, Any]:
        """``values.update``."""
        params = {name: one(query, name) for name in query}
        return self._write(spreadsheet_id, lambda s: values_api.update(s, range_text, body, params))

    def values_batch_update(self, spreadsheet_id: str, body: Any) -> dict[str, Any]:
        """``values.batchUpdate``."""
        return self._write(spreadsheet_id, lambda s: values_api.batch_update(s, body))

    def values_append(self, spreadsheet_id: str, range_text: str, query: Query, body: Any) -> dict[str, Any]:
        """``values.append``."""
        params = {name: one(query, name) for name in query}
        return self._write(spreadsheet_id, lambda s: values_api.append(s, range_text, body, params))

    def values_clear(self, spreadsheet_id: str, range_text: str, body: Any) -> dict[str, Any]:
        """``values.clear``."""
        return self._write(spreadsheet_id, lambda s: values_api.clear(s, range_text, body))

    def values_batch_clear(self, spreadsheet_id: str, body: Any) -> dict[str, Any]:
        """``values.batchClear``."""
        return self._write(spreadsheet_id, lambda s: values_api.batch_clear(s, body))

    def delete(self, spreadsheet_id: str) -> None:
        """Remove a spreadsheet (Drive ``files.delete``)."""
        self.spreadsheet(spreadsheet_id)
        del self.spreadsheets[spreadsheet_id]
