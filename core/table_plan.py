"""What one sync intends for one table: the rows read, what each became, what to change.

Built by the inbound pass (sheet → store), completed by the write planner (store →
sheet), then applied. Plain data, so both passes stay functions of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clinicops.connectors.base import SheetRow, SheetTable, TableSpec
from clinicops.core.column_map import Binding
from clinicops.core.problems import CellProblem
from clinicops.core.schema_registry import Entity
from clinicops.core.sync_state import BaseEntry


@dataclass(slots=True)
class RowState:
    row: SheetRow
    record_id: str
    parsed: dict[str, Any] | None  # None: the sheet row is exactly as last synced
    new: bool = False


@dataclass
class TablePlan:
    entity: Entity
    spec: TableSpec
    table: SheetTable | None
    field_cols: list[int | None]
    errors_col: int | None
    base: dict[str, BaseEntry]
    rows: list[RowState] = field(default_factory=list)
    held: list[tuple[SheetRow, list[CellProblem]]] = field(default_factory=list)
    held_ids: set[str] = field(default_factory=set)
    seen: dict[str, int] = field(default_factory=dict)
    reserved: dict[str, str] = field(default_factory=dict)  # new id -> its row's content hash
    carried: dict[str, str] = field(default_factory=dict)  # ids of held-back new rows, kept reserved
    fresh: list[tuple[SheetRow, dict[str, Any], str]] = field(default_factory=list)  # valid rows with a blank id
    held_fresh: list[tuple[SheetRow, dict[str, Any], str]] = field(default_factory=list)  # held, blank id
    reconciled: set[str] = field(default_factory=set)  # rows found again for records an unfinished sync created
    orphans: list[str] = field(default_factory=list)  # records an unfinished sync created whose row is gone
    vanished: bool = False  # the tab was synced before and is missing now: left alone, never a delete
    last_row: int | None = None  # the tab's last row as the previous sync left it
    read_extent: int = 1  # the last row number read in this sync
    to_delete: list[str] = field(default_factory=list)
    drop_base: list[str] = field(default_factory=list)
    hold_deletes: bool = False
    row_at: dict[str, int] = field(default_factory=dict)  # id -> its position in rows
    skipped: dict[str, Any] | None = None  # the tab is exactly as last synced: what that sync reported
    created: set[str] = field(default_factory=set)
    updated: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    base_updates: list[dict[str, Any]] = field(default_factory=list)
    read_base: list[dict[str, Any]] = field(default_factory=list)  # rows as read, stored with the commit
    appended_ids: list[str] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    written: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)  # what this sync stored
    index: dict[str, tuple[int, bool]] = field(default_factory=dict)  # the store's ids before this sync
    binding: Binding | None = None  # which column holds which field
    lost: dict[str, str] = field(default_factory=dict)  # field -> header of its column, now gone: left untouched

    @property
    def layout_missing(self) -> bool:
        """True when the backend still has to add a tab or a column (never one for a lost field)."""
        if self.table is None or self.errors_col is None:
            return True
        fields = self.entity.fields
        wanted = {c.field for c in self.spec.columns}
        return any(c is None and fields[i].name in wanted for i, c in enumerate(self.field_cols))

    def hold(self, row: SheetRow, problems: list[CellProblem], record_id: str = "") -> None:
        self.held.append((row, problems))
        if record_id:
            self.held_ids.add(record_id)

    def add(self, state: RowState) -> None:
        """A row that stands for its record in this sync."""
        self.seen[state.record_id] = state.row.number
        self.row_at[state.record_id] = len(self.rows)
        self.rows.append(state)

    def demote(self, record_id: str) -> RowState:
        """Take back the row that stood for a record (it turned out to be a copy)."""
        at = self.row_at.pop(record_id)
        state = self.rows.pop(at)
        for rid, pos in self.row_at.items():
            if pos > at:
                self.row_at[rid] = pos - 1
        del self.seen[record_id]
        return state
