"""``spreadsheets.batchUpdate``: the structural and formatting requests a sync needs.

Supported: addSheet, deleteSheet, updateSheetProperties, updateSpreadsheetProperties,
updateCells, repeatCell, setDataValidation, sortRange, addProtectedRange,
deleteProtectedRange, insertDimension, deleteDimension, appendDimension,
autoResizeDimensions (a no-op: pixel sizes are not modelled), createDeveloperMetadata,
deleteDeveloperMetadata, and the embedded charts' addChart, updateChartSpec and
deleteEmbeddedObject (see :mod:`.chart_requests`). Other request kinds the API defines
answer 501 so a connector relying on them finds out in its tests.

The caller applies the batch to a snapshot and keeps it only if every request succeeds:
a batch is atomic at Google too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import cell_requests, chart_requests, metadata_requests, protection, sheet_requests
from .errors import ApiError, invalid
from .model import Spreadsheet
from .params import check_body, flag
from .resource import spreadsheet_resource

#: Every request kind the API defines (``Request`` oneof), so unknown names get a 400.
KNOWN_REQUESTS = frozenset(
    [
        "updateSpreadsheetProperties",
        "updateSheetProperties",
        "updateDimensionProperties",
        "updateNamedRange",
        "repeatCell",
        "addNamedRange",
        "deleteNamedRange",
        "addSheet",
        "deleteSheet",
        "autoFill",
        "cutPaste",
        "copyPaste",
        "mergeCells",
        "unmergeCells",
        "updateBorders",
        "updateCells",
        "addFilterView",
        "appendCells",
        "clearBasicFilter",
        "deleteDimension",
        "deleteEmbeddedObject",
        "deleteFilterView",
        "duplicateFilterView",
        "duplicateSheet",
        "findReplace",
        "insertDimension",
        "insertRange",
        "moveDimension",
        "updateEmbeddedObjectPosition",
        "pasteData",
        "textToColumns",
        "updateFilterView",
        "deleteRange",
        "appendDimension",
        "addConditionalFormatRule",
        "updateConditionalFormatRule",
        "deleteConditionalFormatRule",
        "sortRange",
        "setDataValidation",
        "setBasicFilter",
        "addProtectedRange",
        "updateProtectedRange",
        "deleteProtectedRange",
        "autoResizeDimensions",
        "addChart",
        "updateChartSpec",
        "updateBanding",
        "addBanding",
        "deleteBanding",
        "createDeveloperMetadata",
        "updateDeveloperMetadata",
        "deleteDeveloperMetadata",
        "randomizeRange",
        "addDimensionGroup",
        "deleteDimensionGroup",
        "updateDimensionGroup",
        "trimWhitespace",
        "deleteDuplicates",
        "updateEmbeddedObjectBorder",
        "addSlicer",
        "updateSlicerSpec",
        "addDataSource",
        "updateDataSource",
        "deleteDataSource",
        "refreshDataSource",
        "cancelDataSourceRefresh",
        "addTable",
        "updateTable",
        "deleteTable",
    ]
)
Handler = Callable[[Spreadsheet, dict[str, Any], str], dict[str, Any] | None]


HANDLERS: dict[str, Handler] = {
    "addSheet": sheet_requests.add_sheet,
    "deleteSheet": sheet_requests.delete_sheet,
    "updateSheetProperties": sheet_requests.update_sheet_properties,
    "updateSpreadsheetProperties": sheet_requests.update_spreadsheet_properties,
    "insertDimension": sheet_requests.insert_dimension,
    "deleteDimension": sheet_requests.delete_dimension,
    "appendDimension": sheet_requests.append_dimension,
    "autoResizeDimensions": sheet_requests.auto_resize_dimensions,
    "updateCells": cell_requests.update_cells,
    "repeatCell": cell_requests.repeat_cell,
    "setDataValidation": cell_requests.set_data_validation,
    "sortRange": cell_requests.sort_range,
    "createDeveloperMetadata": metadata_requests.create_developer_metadata,
    "deleteDeveloperMetadata": metadata_requests.delete_developer_metadata,
    "addProtectedRange": protection.add_protected_range,
    "deleteProtectedRange": protection.delete_protected_range,
    "addChart": chart_requests.add_chart,
    "updateChartSpec": chart_requests.update_chart_spec,
    "deleteEmbeddedObject": chart_requests.delete_embedded_object,
}


def apply(spreadsheet: Spreadsheet, body: Any) -> dict[str, Any]:
    """Run a batch on ``spreadsheet`` (a snapshot); replies in request order."""
    check_body(
        body,
        {
            "requests",
            "includeSpreadsheetInResponse",
            "responseRanges",
            "responseIncludeGridData",
        },
    )
    requests = body.get("requests")
    if not requests:
        raise invalid("Invalid requests: Must specify at least one request.")
    if not isinstance(requests, list):
        raise invalid("Invalid value at 'requests' (type.googleapis.com/google.protobuf.ListValue)")
    replies: list[dict[str, Any]] = []
    for i, request in enumerate(requests):
        check_body(request, KNOWN_REQUESTS, f"requests[{i}]")
        if len(request) != 1:
            names = sorted(request)
            raise invalid(
                f"Invalid value at 'requests[{i}]': oneof field 'kind' is already set. Cannot set '{names[-1]}'"
            )
        kind, payload = next(iter(request.items()))
        handler = HANDLERS.get(kind)
        if handler is None:
            raise ApiError(501, f"Invalid requests[{i}]: {kind} is not supported by the emulator.")
        try:
            reply = handler(spreadsheet, payload or {}, f"requests[{i}].{kind}")
        except ApiError as error:
            if error.code != 400 or error.message.startswith("Invalid JSON payload"):
                raise
            raise ApiError(400, f"Invalid requests[{i}].{kind}: {error.message}") from error
        replies.append(reply or {})
    out: dict[str, Any] = {"spreadsheetId": spreadsheet.spreadsheet_id, "replies": replies}
    if flag(body.get("includeSpreadsheetInResponse"), "include_spreadsheet_in_response"):
        ranges = [spreadsheet.resolve(text) for text in body.get("responseRanges") or []]
        include_grid = flag(body.get("responseIncludeGridData"), "response_include_grid_data")
        out["updatedSpreadsheet"] = spreadsheet_resource(spreadsheet, ranges or None, include_grid)
    return out
