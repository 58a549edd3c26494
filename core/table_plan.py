"""What one sync decided for one tab, pass by pass; each pass's answer is immutable.

``TableRead`` is the tab as read and where each field sits in it; ``Inbound`` is what the
inbound pass (sheet → store, ``core/inbound.py``) made of its rows and stored;
``TablePlan`` joins the two with the deletes the engine then applied. The write planner
(``core/write_plan.py``) reads a plan and answers with a ``WriteDecision`` of its own. A
pass never changes the answer of the one before it, so each can be read on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from types import MappingProxyType
from typing import Any, NamedTuple, cast

from clinicops.connectors.base import SheetRow, SheetTable, TableSpec
from clinicops.core.column_map import Binding
from clinicops.core.problems import CellProblem
from clinicops.core.row_parser import clean_id
from clinicops.core.schema_registry import Entity
from clinicops.core.sync_state import BaseEntry

EMPTY: Mapping[str, Any] = MappingProxyType({})


def _empty() -> Mapping[str, Any]:
    return EMPTY


class RowState(NamedTuple):
    """A row that stands for its record in this sync and has something to decide: it changed, is new,
    or its record moved in the store. A row exactly as last synced gets none (``Inbound.same``)."""

    row: SheetRow
    record_id: str
    parsed: dict[str, Any] | None  # None: the sheet row is exactly as last synced
    new: bool = False  # its id is written into the row by this sync
    content: str = ""  # the row's content hash as read


def unchanged(row: SheetRow, record_id: str, base: BaseEntry) -> RowState:
    """The ``RowState`` of a row exactly as last synced: its content hash is its base's."""
    return RowState(row, record_id, None, content=base.raw_hash or "")


@dataclass(frozen=True)
class TableRead:
    """One tab as this sync read it, and which column holds which field."""

    entity: Entity
    spec: TableSpec
    table: SheetTable | None
    field_cols: tuple[int | None, ...]  # per entity field, its column in the tab (None: no column)
    errors_col: int | None
    binding: Binding
    lost: Mapping[str, str] = field(default_factory=_empty)  # field -> header of its column, now gone: left untouched

    @cached_property
    def layout_missing(self) -> bool:
        """True when the backend still has to add a tab or a column (never one for a lost field)."""
        if self.table is None or self.errors_col is None:
            return True
        fields = self.entity.fields
        wanted = {c.field for c in self.spec.columns}
        return any(c is None and fields[i].name in wanted for i, c in enumerate(self.field_cols))

    @cached_property
    def pk_col(self) -> int | None:
        """The column of the record ids."""
        names = [f.name for f in self.entity.fields]
        return self.field_cols[names.index(self.entity.primary_key)]

    @cached_property
    def field_picker(self) -> tuple[int, Callable[[list[Any]], tuple[Any, ...]]] | None:
        """How wide a row must be and what takes its cells in field order at once, when every field
        has a column (the common tab); None when a field has none."""
        cols = self.field_cols
        if not cols or any(c is None for c in cols):
            return None
        wanted = cast(tuple[int, ...], cols)
        pick = itemgetter(*wanted) if len(wanted) > 1 else lambda values: (values[wanted[0]],)
        return max(wanted) + 1, pick

    def id_in(self, row: SheetRow) -> str:
        """The id typed on a row ("" when blank or there is no id column)."""
        col = self.pk_col
        return clean_id(row.values[col]) if col is not None and col < len(row.values) else ""


@dataclass(frozen=True)
class Inbound:
    """What the inbound pass made of one tab: which row is which record, what it stored, what waits."""

    base: Mapping[str, BaseEntry] = field(default_factory=_empty)  # what this backend and the store last agreed on
    # the store's ids before this sync: (version, deleted)
    index: Mapping[str, tuple[int, bool]] = field(default_factory=_empty)
    rows: tuple[RowState, ...] = ()  # the rows to decide: changed or new (ids first, then new rows, each in row order)
    # id -> its row, for the rows exactly as last synced (content hash equal to the base's): most of a
    # re-synced tab, so each is kept as the row itself, with no object of its own
    same: Mapping[str, SheetRow] = field(default_factory=_empty)
    held: tuple[tuple[SheetRow, tuple[CellProblem, ...]], ...] = ()  # rows held back, with why
    held_ids: frozenset[str] = frozenset()
    seen: Mapping[str, int] = field(default_factory=_empty)  # id -> the row number it was read on
    reserved: Mapping[str, str] = field(default_factory=_empty)  # new id -> its row's content hash
    carried: Mapping[str, str] = field(default_factory=_empty)  # ids of held-back new rows, kept reserved
    to_delete: tuple[str, ...] = ()  # records whose row is gone
    drop_base: tuple[str, ...] = ()  # bases of records that are gone from the store too
    notes: tuple[str, ...] = ()  # sentences for the report
    created: frozenset[str] = frozenset()
    updated: frozenset[str] = frozenset()
    conflicts: tuple[dict[str, Any], ...] = ()
    # id -> (version, data) this pass stored
    written: Mapping[str, tuple[int, dict[str, Any]]] = field(default_factory=_empty)
    # id -> the row as read, stored as its base with the commit
    read_base: Mapping[str, dict[str, Any]] = field(default_factory=_empty)
    skipped: Mapping[str, Any] | None = None  # the tab was left alone: what the last sync reported
    vanished: bool = False  # the tab was synced before and is missing now: never a delete
    read_extent: int = 1  # the last row number read
    problems: tuple[CellProblem, ...] = field(default=())

    def row_ids(self) -> dict[Any, str]:
        """Each row's ref -> the record it stands for, every row standing for one."""
        out = {row.ref: rid for rid, row in self.same.items()}
        out.update((rs.row.ref, rs.record_id) for rs in self.rows)
        return out

    def untouched(self, touched: set[str] | frozenset[str]) -> int:
        """How many rows stand for a record not in ``touched``."""
        same = self.same
        return (
            len(same)
            - sum(1 for rid in touched if rid in same)
            + sum(1 for rs in self.rows if rs.record_id not in touched)
        )

    @classmethod
    def skip(cls, report: Mapping[str, Any], **known: Any) -> Inbound:
        """The tab is left as it is (unchanged since the last sync, or unreadable): nothing decided."""
        return cls(skipped=MappingProxyType(dict(report)), **known)


@dataclass(frozen=True)
class TablePlan:
    """One tab: as read, what inbound made of it, and the records deleted because their row is gone."""

    read: TableRead
    inbound: Inbound
    deleted: frozenset[str] = frozenset()

    @property
    def entity(self) -> Entity:
        return self.read.entity

    @property
    def skipped(self) -> bool:
        return self.inbound.skipped is not None
