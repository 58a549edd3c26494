"""Ids reserved for new rows whose id has not reached the sheet yet, matched back to their rows.

A sync gives each new row (blank id) an id and writes it into the row after the store
commits. Between the two, the sync can be killed, or staff can save the workbook over
it; the record then exists while its row still shows a blank id, and staff may edit,
move or delete that row before the next sync. Each reservation remembers the row's
content when it was made, and the next sync finds the row again: first by identical
content, then by the record's stored fields (the row that shares most of them, at least
half). A record whose row cannot be found was removed by staff.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# A row belongs to a stored record when at least this share of their fields agree.
MIN_SHARED = 0.5


def similarity(row: Mapping[str, Any], stored: Mapping[str, Any], pk: str) -> float:
    """The share of fields (either side's, id aside) on which a row and a record agree."""
    keys = (row.keys() | stored.keys()) - {pk}
    if not keys:
        return 0.0
    return sum(1 for k in keys if row.get(k) == stored.get(k)) / len(keys)


def match_reserved(
    rows: list[tuple[dict[str, Any], str]],
    reserved: Mapping[str, str],
    stored: Mapping[str, Mapping[str, Any]],
    pk: str,
) -> dict[int, str]:
    """Row position in ``rows`` → reserved id, for rows that are the row a reservation was made for.

    ``rows`` are (record as parsed, content hash) of rows with a blank id; ``reserved``
    maps id → content hash at reservation; ``stored`` the records already created for
    reserved ids. Each reservation matches one row at most.
    """
    by_content: dict[str, list[str]] = {}
    for rid, content in reserved.items():
        by_content.setdefault(content, []).append(rid)
    out: dict[int, str] = {}
    for n, (_, content) in enumerate(rows):
        ids = by_content.get(content)
        if ids:
            out[n] = ids.pop(0)
    used = set(out.values())
    pairs = sorted(
        (
            (similarity(record, data, pk), n, rid)
            for rid, data in stored.items()
            if rid not in used
            for n, (record, _) in enumerate(rows)
            if n not in out
        ),
        key=lambda p: (-p[0], p[1], p[2]),
    )
    for score, n, rid in pairs:
        if score < MIN_SHARED:
            break
        if n in out or rid in used:
            continue
        out[n] = rid
        used.add(rid)
    return out
