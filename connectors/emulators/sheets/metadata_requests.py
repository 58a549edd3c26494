"""Developer metadata on the spreadsheet itself: ``createDeveloperMetadata`` and
``deleteDeveloperMetadata`` requests of a batchUpdate.

Only the spreadsheet location is emulated (``location: {spreadsheet: true}``), and a
delete is looked up by ``metadataKey`` or ``metadataId``: what a client keeps about the
whole spreadsheet. Other locations (rows, columns, sheets) answer 501.
https://developers.google.com/sheets/api/guides/metadata
"""

from __future__ import annotations

from typing import Any

from .errors import ApiError, invalid
from .model import Spreadsheet, random_id
from .params import check_body

_VISIBILITY = ("DOCUMENT", "PROJECT")


def create_developer_metadata(spreadsheet: Spreadsheet, payload: dict[str, Any], where: str) -> dict[str, Any]:
    check_body(payload, {"developerMetadata"}, where)
    given = payload.get("developerMetadata") or {}
    check_body(given, {"metadataId", "metadataKey", "metadataValue", "location", "visibility"}, where)
    if given.get("location") != {"spreadsheet": True}:
        raise ApiError(501, f"{where}: only developer metadata on the spreadsheet is supported by the emulator.")
    if not given.get("metadataKey"):
        raise invalid(f"{where}: metadataKey is required")
    if given.get("visibility") not in _VISIBILITY:
        raise invalid(f"{where}: visibility must be one of {', '.join(_VISIBILITY)}")
    metadata_id = given.get("metadataId") or random_id()
    if any(m["metadataId"] == metadata_id for m in spreadsheet.developer_metadata):
        raise invalid(f"{where}: metadataId {metadata_id} is already in use")
    made = {
        "metadataId": metadata_id,
        "metadataKey": str(given["metadataKey"]),
        "location": {"locationType": "SPREADSHEET", "spreadsheet": True},
        "visibility": given["visibility"],
    }
    if "metadataValue" in given:
        made["metadataValue"] = str(given["metadataValue"])
    spreadsheet.developer_metadata.append(made)
    return {"createDeveloperMetadata": {"developerMetadata": dict(made)}}


def delete_developer_metadata(spreadsheet: Spreadsheet, payload: dict[str, Any], where: str) -> dict[str, Any]:
    check_body(payload, {"dataFilter"}, where)
    lookup = (payload.get("dataFilter") or {}).get("developerMetadataLookup")
    if not isinstance(lookup, dict) or not ({"metadataKey", "metadataId"} & lookup.keys()):
        raise ApiError(501, f"{where}: only a developerMetadataLookup by key or id is supported by the emulator.")

    def matches(m: dict[str, Any]) -> bool:
        return all(m.get(k) == lookup[k] for k in ("metadataKey", "metadataId") if k in lookup)

    gone = [m for m in spreadsheet.developer_metadata if matches(m)]
    spreadsheet.developer_metadata = [m for m in spreadsheet.developer_metadata if not matches(m)]
    return {"deleteDeveloperMetadata": {"deletedDeveloperMetadata": gone}}
