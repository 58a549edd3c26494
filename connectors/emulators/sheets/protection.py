"""Protected ranges: ``addProtectedRange`` and ``deleteProtectedRange``.

A protected range lives on its sheet (``sheets[].protectedRanges``) with an id the API
assigns; ``warningOnly`` ranges only warn editors, so they carry no editor list.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import invalid
from .model import Spreadsheet, grid_box, random_id
from .params import check_body, flag, integer


def add_protected_range(spreadsheet: Spreadsheet, body: dict[str, Any], where: str) -> dict[str, Any]:
    """``addProtectedRange``; replies with the stored range and its new id."""
    check_body(body, {"protectedRange"}, where)
    given = body.get("protectedRange") or {}
    check_body(
        given,
        {
            "protectedRangeId",
            "range",
            "namedRangeId",
            "description",
            "warningOnly",
            "requestingUserCanEdit",
            "unprotectedRanges",
            "editors",
            "table",
        },
        f"{where}.protected_range",
    )
    if "range" not in given:
        raise invalid("A protected range must specify a range.")
    box = grid_box(spreadsheet, given["range"], f"{where}.protected_range.range")
    warning_only = flag(given.get("warningOnly"), f"{where}.protected_range.warning_only")
    if warning_only and given.get("editors"):
        raise invalid("ProtectedRange with warningOnly cannot have editors.")
    taken = {p["protectedRangeId"] for s in spreadsheet.sheets for p in s.protected_ranges}
    if "protectedRangeId" in given:
        range_id = integer(given["protectedRangeId"], f"{where}.protected_range.protected_range_id")
        if range_id in taken:
            raise invalid(f"A protected range with id {range_id} already exists.")
    else:
        range_id = random_id()
        while range_id in taken:
            range_id = random_id()
    grid = {"sheetId": box.sheet.sheet_id}
    for key, value in given["range"].items():
        if key != "sheetId":
            grid[key] = integer(value, f"{where}.protected_range.range.{key}")
    stored: dict[str, Any] = {"protectedRangeId": range_id, "range": grid}
    if given.get("description"):
        stored["description"] = str(given["description"])
    if warning_only:
        stored["warningOnly"] = True
    stored["requestingUserCanEdit"] = True
    for key in ("unprotectedRanges", "editors"):
        if given.get(key):
            stored[key] = copy.deepcopy(given[key])
    box.sheet.protected_ranges.append(stored)
    return {"addProtectedRange": {"protectedRange": copy.deepcopy(stored)}}


def delete_protected_range(spreadsheet: Spreadsheet, body: dict[str, Any], where: str) -> None:
    """``deleteProtectedRange`` by id."""
    check_body(body, {"protectedRangeId"}, where)
    range_id = integer(body.get("protectedRangeId"), f"{where}.protected_range_id")
    for sheet in spreadsheet.sheets:
        for protected in sheet.protected_ranges:
            if protected["protectedRangeId"] == range_id:
                sheet.protected_ranges.remove(protected)
                return
    raise invalid(f"No protected range with id: {range_id}")
