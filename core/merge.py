"""Per-field three-way merge of one record.

``base`` is what the store and this backend last agreed on, ``store`` the canonical
record now (plugins or another backend may have changed it), ``sheet`` what staff see
now. A field changed on one side only takes that side. Changed on both sides to
different values, the field's owner wins: staff-owned fields take the sheet, plugin-owned
fields keep the store. The losing value is returned as a conflict so it can be kept in
history and reported; nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Conflict:
    field: str
    kept: Any
    lost: Any
    winner: str  # "sheet" or "store"


@dataclass(frozen=True)
class MergeResult:
    record: dict[str, Any]
    conflicts: tuple[Conflict, ...]


def merge_record(
    base: Mapping[str, Any] | None,
    store: Mapping[str, Any] | None,
    sheet: Mapping[str, Any],
    plugin_owned: frozenset[str] = frozenset(),
) -> MergeResult:
    """Merge three versions of a record; absent keys mean an empty field.

    With no base (the record is new to this backend, or the store has no copy yet),
    every difference is a both-sides change and ownership decides.
    """
    store = store or {}
    if base is None:
        base = {}
        no_base = True
    else:
        no_base = False
    merged: dict[str, Any] = {}
    conflicts: list[Conflict] = []
    for key in base.keys() | store.keys() | sheet.keys():
        b, r, s = base.get(key), store.get(key), sheet.get(key)
        if r == s:
            value = r
        elif no_base and (r is None or s is None):
            value = s if r is None else r
        elif not no_base and s == b:
            value = r
        elif not no_base and r == b:
            value = s
        else:
            store_wins = key in plugin_owned
            value = r if store_wins else s
            conflicts.append(Conflict(key, value, s if store_wins else r, "store" if store_wins else "sheet"))
        if value is not None:
            merged[key] = value
    return MergeResult(merged, tuple(sorted(conflicts, key=lambda c: c.field)))
