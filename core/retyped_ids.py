"""A row whose id was typed over with another record's id still stands for its own record.

Staff sometimes change a row's id by hand to one another row already has (P000002 typed
as P000001). The sheet then shows one id twice and the other not at all. The shared id is
the duplicate case (the row that matches what was last synced keeps it, the other is
held as the copy); the id that vanished must not read as a row staff removed. A held copy
that is, cell for cell, the vanished record's row as last synced with only its id
changed is that record's row: the record is kept, never deleted. A held copy that matches
no vanished record cell for cell may still be one retyped *and* edited: when it reads more
like a vanished record than like the record whose id it shows, the caller holds the tab's
deletes back until the shared id is fixed (``unexplained``); a plain copy of a row blocks nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from clinicops.connectors.base import SheetRow
from clinicops.core.row_parser import clean_id, content_hash, is_blank
from clinicops.core.sync_state import BaseEntry
from clinicops.core.table_plan import TableRead


class Retyped(NamedTuple):
    """The vanished records found under another id, and how many held copies no record explains."""

    found: set[str]
    unexplained: int


def retyped_ids(
    read: TableRead,
    base: Mapping[str, BaseEntry],
    copies: list[SheetRow],
    missing: list[str],
    base_data: Callable[[list[str]], Mapping[str, dict[str, Any]]],
) -> Retyped:
    """Which of the ``missing`` records (in the base, no row this sync) are rows held as copies under another id.

    ``base_data`` gives records as last synced, by id; it is asked only when a copy matches no
    vanished record exactly, to tell a copy of the record whose id it shows from a vanished
    record retyped and edited.
    """
    col = read.pk_col
    if not copies or not missing or col is None:
        return Retyped(set(), 0)
    wanted = {base[rid].raw_hash: rid for rid in missing if base[rid].raw_hash}
    found = set()
    rest = []
    for row in copies:
        values = list(row.values)
        if col >= len(values):
            continue
        for raw_hash, rid in list(wanted.items()):
            values[col] = _as_typed(row.values[col], rid)
            if content_hash(values) == raw_hash:
                found.add(rid)
                del wanted[raw_hash]
                break
        else:
            rest.append(row)
    vanished = [rid for rid in missing if rid not in found]
    return Retyped(found, _unexplained(read, rest, vanished, base_data) if vanished else 0)


def _unexplained(
    read: TableRead,
    copies: list[SheetRow],
    vanished: list[str],
    base_data: Callable[[list[str]], Mapping[str, dict[str, Any]]],
) -> int:
    """How many copies look more like a vanished record than like the record whose id they show."""
    if not copies:
        return 0
    col = read.pk_col
    assert col is not None
    shown = {clean_id(row.values[col]) for row in copies}
    known = base_data(sorted(shown | set(vanished)))
    return sum(
        1
        for row in copies
        if max((_alike(read, row, known.get(rid)) for rid in vanished), default=0)
        > _alike(read, row, known.get(clean_id(row.values[col])))
    )


def _alike(read: TableRead, row: SheetRow, record: dict[str, Any] | None) -> int:
    """How many of the row's filled cells read as the record's values (text compared, trimmed)."""
    if record is None:
        return 0
    same = 0
    for f, c in zip(read.entity.fields, read.field_cols, strict=True):
        if c is None or c == read.pk_col or c >= len(row.values) or is_blank(row.values[c]):
            continue
        if str(row.values[c]).strip().casefold() == str(record.get(f.name, "")).strip().casefold():
            same += 1
    return same


def _as_typed(cell: object, rid: str) -> object:
    """``rid`` as the id cell would hold it: text, or a number where the sheet keeps ids as numbers."""
    if isinstance(cell, int | float) and not isinstance(cell, bool) and rid.isdigit():
        return type(cell)(int(rid))
    return rid
