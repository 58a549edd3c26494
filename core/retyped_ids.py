"""A row whose id was typed over with another record's id still stands for its own record.

Staff sometimes change a row's id by hand to one another row already has (P000002 typed
as P000001). The sheet then shows one id twice and the other not at all. The shared id is
the duplicate case (the row that matches what was last synced keeps it, the other is
held as the copy); the id that vanished must not read as a row staff removed. A held copy
that is, cell for cell, the vanished record's row as last synced with only its id
changed is that record's row: the record is kept, never deleted. A held copy that matches
no vanished record cell for cell may still be one retyped *and* edited: the caller then
holds every other delete of the tab back until the shared id is fixed (``unexplained``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from clinicops.connectors.base import SheetRow
from clinicops.core.row_parser import content_hash
from clinicops.core.sync_state import BaseEntry
from clinicops.core.table_plan import TableRead


class Retyped(NamedTuple):
    """The vanished records found under another id, and how many held copies no record explains."""

    found: set[str]
    unexplained: int


def retyped_ids(read: TableRead, base: Mapping[str, BaseEntry], copies: list[SheetRow], missing: list[str]) -> Retyped:
    """Which of the ``missing`` records (in the base, no row this sync) are rows held as copies under another id."""
    col = read.pk_col
    if not copies or not missing or col is None:
        return Retyped(set(), len(copies) if missing else 0)
    wanted = {base[rid].raw_hash: rid for rid in missing if base[rid].raw_hash}
    found = set()
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
    return Retyped(found, len(copies) - len(found))


def _as_typed(cell: object, rid: str) -> object:
    """``rid`` as the id cell would hold it: text, or a number where the sheet keeps ids as numbers."""
    if isinstance(cell, int | float) and not isinstance(cell, bool) and rid.isdigit():
        return type(cell)(int(rid))
    return rid
