"""Rewrite one worksheet part in a single pass, changing only the cells clinicops writes.

Every row without a change is written back as it was read; in a row with changes, only
the changed cells get new XML. Rows removed from the sheet close up (the rows below move
up, as when a person deletes a row); new rows go below the last row that holds anything.
The part is read as a stream and its rows compressed as they are written (:mod:`.deflated`),
so neither the old nor the new text of a large sheet is ever whole in memory.
"""

from __future__ import annotations

import contextlib
import re
from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from clinicops.connectors.xlsx.cells import cell_ref, fill_cell, has_value, split_ref
from clinicops.connectors.xlsx.deflated import DeflatedPart, Deflater
from clinicops.connectors.xlsx.package import REL_NS
from clinicops.connectors.xlsx.xml_nodes import XML_DECLARATION, Node, Streamer, prefix_of, start_tag, write_node

KEEP = object()
"""A change that leaves the value as it is (only the look changes)."""

# The order of a worksheet's children (ECMA-376 CT_Worksheet); new ones are put in their place.
ORDER = [
    "sheetPr",
    "dimension",
    "sheetViews",
    "sheetFormatPr",
    "cols",
    "sheetData",
    "sheetCalcPr",
    "sheetProtection",
    "protectedRanges",
    "scenarios",
    "autoFilter",
    "sortState",
    "dataConsolidate",
    "customSheetViews",
    "mergeCells",
    "phoneticPr",
    "conditionalFormatting",
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
]
RANK = {name: i for i, name in enumerate(ORDER)}
_COL_IN_REF = re.compile(r"[A-Z]+")


@dataclass
class CellChange:
    value: Any = KEEP
    error: bool | None = None  # True: highlight as a bad cell; False: remove clinicops's highlight


@dataclass
class ColumnLook:
    width: Callable[[float | None], float] | None = None  # current width (None: default) → new one
    style: Callable[[int], int] | None = None  # current column style → new one


@dataclass
class SheetPlan:
    changes: dict[int, dict[int, CellChange]] = field(default_factory=dict)  # row → column → change
    deletes: set[int] = field(default_factory=set)
    appends: list[dict[int, Any]] = field(default_factory=list)
    columns: dict[int, ColumnLook] = field(default_factory=dict)
    validations: list[Node] = field(default_factory=list)
    legacy_drawing: str | None = None  # relationship id, when the sheet needs a legacyDrawing it lacks
    drawing: str | None = None  # relationship id of the tab's drawing (charts), put in place of any other

    def change(self, row: int, col: int) -> CellChange:
        return self.changes.setdefault(row, {}).setdefault(col, CellChange())


# How a cell's style is chosen: (column, value or KEEP, current style, error flag) → style index.
Styler = Callable[[int, Any, int, bool | None], int]


@dataclass
class SheetResult:
    data: DeflatedPart
    appended_rows: list[int]
    moved: Callable[[int], int | None]  # a row number as read → as written (None: removed)


def rewrite(data: bytes | IO[bytes], plan: SheetPlan, styler: Styler, date1904: bool) -> SheetResult:
    return _Rewriter(plan, styler, date1904).run(data)


class _Rewriter:
    def __init__(self, plan: SheetPlan, styler: Styler, date1904: bool) -> None:
        self.plan = plan
        self.styler = styler
        self.date1904 = date1904
        self.out: list[Any] = [XML_DECLARATION]  # the head, then the tail: small, and kept as nodes till the end
        self.head: list[Any] = self.out
        self.rows = Deflater()  # the rows, compressed as they are written
        self.prefix = ""
        self.seen_stream = False
        self.inserted: set[str] = set()
        self.col_styles: dict[int, int] = {}
        self.held: list[Node] = []  # rows without any value yet, below the last used one
        self.last_used = 0
        self.last_row = 0
        self.max_col = 0
        self.removed_before: list[int] = sorted(plan.deletes)
        # rows with changes still to come, first first: a deque, since a first import's ids change every row
        self.pending_rows = deque(sorted(r for r in plan.changes if r not in plan.deletes))
        self.appended: list[int] = []
        self.dimension: Node | None = None

    # stream callbacks --------------------------------------------------------

    def run(self, data: bytes | IO[bytes]) -> SheetResult:
        Streamer(
            stream_in="sheetData",
            on_root_start=self._root_start,
            on_top=self._top,
            on_stream_start=self._stream_start,
            on_item=self._row,
            on_stream_end=self._stream_end,
            on_root_end=self._root_end,
            on_outer_text=self._outer_text,
            raw_within_items=True,  # the cells of a row it does not write are passed through as read
        ).feed_file(data)
        self._finish_dimension()
        head, tail = Deflater(), Deflater()
        for x in self.head:
            head.write(x if isinstance(x, str) else _serialized(x))
        if self.out is not self.head:
            for x in self.out:
                tail.write(x if isinstance(x, str) else _serialized(x))
        pieces = [head.finish(last=False), self.rows.finish(last=False), tail.finish(last=True)]
        return SheetResult(DeflatedPart.join(pieces), self.appended, self.moved)

    def _outer_text(self, text: str) -> None:
        self.out.append(text)

    def _root_start(self, name: str, attrs: list[str]) -> None:
        self.prefix = prefix_of(name)
        self.out.append(start_tag(name, attrs))

    def _top(self, node: Node) -> None:
        local = node.local
        self._insert_before(RANK.get(local, len(ORDER)))
        if local == "dimension":
            self.dimension = node
        elif local == "cols":
            self._edit_cols(node)
            self.inserted.add("cols")
        elif local == "dataValidations" and self.plan.validations:
            node.children.extend(self.plan.validations)
            node.set("count", str(len(list(node.elements()))))
            self.inserted.add("dataValidations")
        elif local == "legacyDrawing":
            self.inserted.add("legacyDrawing")
        elif local == "drawing" and self.plan.drawing:
            rel = next((node.attrs[i] for i in range(0, len(node.attrs), 2) if node.attrs[i].endswith(":id")), "r:id")
            node.set(rel, self.plan.drawing)
            self.inserted.add("drawing")
        self.out.append(node)

    def _stream_start(self, node: Node) -> None:
        self._insert_before(RANK["sheetData"])
        self.seen_stream = True
        self.out.append(start_tag(node.name, node.attrs))

    def _row(self, row: Node) -> None:
        number = int(row.get("r") or self.last_row + 1)
        self.last_row = number
        while self.pending_rows and self.pending_rows[0] < number:
            self._emit(
                self._edited(Node(self.prefix + "row", ["r", str(self.pending_rows[0])]), self.pending_rows.popleft())
            )
        if self.pending_rows and self.pending_rows[0] == number:
            self.pending_rows.popleft()
        if number in self.plan.deletes:
            return
        self._emit(self._edited(row, number))

    def _stream_end(self, node: Node) -> None:
        for number in self.pending_rows:
            self._emit(self._edited(Node(self.prefix + "row", ["r", str(number)]), number))
        held = {int(r.get("r") or 0): r for r in self.held}
        self.held = []
        at = self.last_used
        for values in self.plan.appends:
            at += 1
            row = held.pop(at, None) or Node(self.prefix + "row", ["r", str(at)])
            row.drop("spans")
            for col, value in sorted(values.items()):
                self._set(row, at, col, CellChange(value))
            self.appended.append(at)
            self._write(row, at)
        for number in sorted(held):
            self._write(held[number], number)
        self.out = []  # the tail: what follows the rows
        self.out.append(f"</{node.name}>")

    def _root_end(self, name: str) -> None:
        self._insert_before(len(ORDER) + 1)
        self.out.append(f"</{name}>")

    # rows --------------------------------------------------------------------

    def moved(self, number: int) -> int | None:
        if number in self.plan.deletes:
            return None
        return number - _count_below(self.removed_before, number)

    def _edited(self, row: Node, number: int) -> Node:
        new_number = number - _count_below(self.removed_before, number)
        changes = self.plan.changes.get(number)
        if new_number != number:
            row.set("r", str(new_number))
            for cell in row.elements():
                ref = cell.get("r")
                if ref:
                    cell.set("r", _COL_IN_REF.match(ref).group(0) + str(new_number))
        if changes:
            row.drop("spans")
            for col, change in sorted(changes.items()):
                self._set(row, new_number, col, change)
        return row

    def _emit(self, row: Node) -> None:
        number = int(row.get("r") or 0)
        if any(has_value(c) for c in row.elements() if c.local == "c"):
            for held in self.held:
                self._write(held, int(held.get("r") or 0))
            self.held = []
            self.last_used = number
            self._write(row, number)
        else:
            self.held.append(row)

    def _write(self, row: Node, number: int) -> None:
        self.last_row = max(self.last_row, number)
        out: list[str] = []
        write_node(row, out)
        self.rows.write("".join(out))

    def _set(self, row: Node, number: int, col: int, change: CellChange) -> None:
        cells = row.children
        position = len(cells)
        cell = None
        implicit = 0
        for i, child in enumerate(cells):
            if not isinstance(child, Node) or child.local != "c":
                continue
            ref = child.get("r")
            at = split_ref(ref)[1] if ref else implicit + 1
            implicit = at
            if at == col:
                cell = child
                break
            if at > col:
                position = i
                break
        if cell is None:
            base = self.col_styles.get(col, int(row.get("s") or 0) if row.get("customFormat") in ("1", "true") else 0)
            cell = Node(self.prefix + "c", ["r", cell_ref(number, col)] + (["s", str(base)] if base else []))
            cells.insert(position, cell)
        elif not cell.get("r"):
            cell.set("r", cell_ref(number, col))
        current = int(cell.get("s") or 0)
        if change.value is not KEEP:
            fill_cell(cell, change.value, self.prefix, self.date1904)
        style = self.styler(col, change.value, current, change.error)
        if style != current:
            if style:
                cell.set("s", str(style))
            else:
                cell.drop("s")
        self.max_col = max(self.max_col, col)

    # other parts of the sheet ------------------------------------------------

    def _insert_before(self, rank: int) -> None:
        p = self.prefix
        wanted: list[tuple[str, Node]] = []
        if self.plan.columns:
            wanted.append(("cols", Node(p + "cols")))
        if self.plan.validations:
            wanted.append(("dataValidations", Node(p + "dataValidations", ["count", "0"])))
        if self.plan.drawing:
            wanted.append(("drawing", Node(p + "drawing", ["xmlns:r", REL_NS, "r:id", self.plan.drawing])))
        if self.plan.legacy_drawing:
            # declared on the element itself: a sheet that never had relationships lacks xmlns:r
            attrs = ["xmlns:r", REL_NS, "r:id", self.plan.legacy_drawing]
            wanted.append(("legacyDrawing", Node(p + "legacyDrawing", attrs)))
        for local, node in wanted:
            if local in self.inserted or RANK[local] >= rank:
                continue
            if local == "sheetData" or (local == "cols" and self.seen_stream):
                continue
            self.inserted.add(local)
            if local == "cols":
                self._edit_cols(node)
            elif local == "dataValidations":
                node.children.extend(self.plan.validations)
                node.set("count", str(len(self.plan.validations)))
            self.out.append(node)

    def _edit_cols(self, cols: Node) -> None:
        """Widths and column styles; a ``col`` spanning several columns is split only where one changes."""
        spans = [c for c in cols.elements() if c.local == "col"]
        for span in spans:
            style = int(span.get("style") or 0)
            if style:
                for col in range(int(span.get("min") or 1), int(span.get("max") or 1) + 1):
                    self.col_styles[col] = style
        if not self.plan.columns:
            return
        by_col: dict[int, Node] = {}
        kept: list[Node] = []
        for span in spans:
            low, high = int(span.get("min") or 1), int(span.get("max") or 1)
            touched = [c for c in range(low, high + 1) if c in self.plan.columns]
            if not touched:
                kept.append(span)
                continue
            for col in range(low, high + 1):
                piece = Node(span.name, list(span.attrs))
                piece.set("min", str(col))
                piece.set("max", str(col))
                if col in self.plan.columns:
                    by_col[col] = piece
                else:
                    kept.append(piece)
        for col, look in self.plan.columns.items():
            node = by_col.get(col)
            if node is None:
                node = Node(self.prefix + "col", ["min", str(col), "max", str(col), "width", "12", "customWidth", "1"])
                by_col[col] = node
            if look.width is not None:
                current = float(node.get("width") or 0) if node.get("customWidth") in ("1", "true") else None
                node.set("width", f"{look.width(current):g}")
                node.set("customWidth", "1")
            if look.style is not None:
                style = look.style(int(node.get("style") or 0))
                if style:
                    node.set("style", str(style))
                    self.col_styles[col] = style
        everything = kept + list(by_col.values())
        everything.sort(key=lambda n: int(n.get("min") or 0))
        cols.children = list(everything)

    def _finish_dimension(self) -> None:
        if self.dimension is None:
            return
        ref = self.dimension.get("ref") or "A1"
        last = ref.split(":")[-1]
        try:
            old_row, old_col = split_ref(last)
        except ValueError:
            return
        rows = max(old_row - len(self.plan.deletes), self.last_row, 1)
        cols = max(old_col, self.max_col, 1)
        first = ref.split(":")[0]
        self.dimension.set("ref", f"{first}:{cell_ref(rows, cols)}" if (rows, cols) != split_ref(first) else first)


def _count_below(sorted_numbers: list[int], number: int) -> int:
    return bisect_left(sorted_numbers, number)


def _serialized(node: Node) -> str:
    out: list[str] = []
    write_node(node, out)
    return "".join(out)


def header_row(data: bytes | IO[bytes], shared: Callable[[int], str]) -> dict[int, str]:
    """The first row's texts by column (shared strings resolved), read without walking the rest."""
    found: dict[int, str] = {}

    class _Done(Exception):
        pass

    def on_row(row: Node) -> None:
        if int(row.get("r") or 1) == 1:
            implicit = 0
            for cell in row.elements():
                if cell.local != "c":
                    continue
                ref = cell.get("r")
                col = split_ref(ref)[1] if ref else implicit + 1
                implicit = col
                found[col] = cell_text(cell, shared)
        raise _Done

    with contextlib.suppress(_Done):
        _each_row(data, on_row)
    return found


def column_texts(data: bytes, shared: Callable[[int], str], columns: set[int]) -> dict[int, dict[int, str]]:
    """Row number -> column -> text of the given columns' non-empty cells, header row included."""
    found: dict[int, dict[int, str]] = {}
    last = 0

    def on_row(row: Node) -> None:
        nonlocal last
        number = int(row.get("r") or last + 1)
        last, implicit = number, 0
        for cell in row.elements():
            if cell.local != "c":
                continue
            ref = cell.get("r")
            col = split_ref(ref)[1] if ref else implicit + 1
            implicit = col
            if col in columns and (text := cell_text(cell, shared)):
                found.setdefault(number, {})[col] = text

    _each_row(data, on_row)
    return found


def _each_row(data: bytes | IO[bytes], on_row: Callable[[Node], None]) -> None:
    """Stream a worksheet part, handing each ``<row>`` of its sheetData to ``on_row`` and ignoring the rest."""
    Streamer.each_item(data, "sheetData", on_row)


def cell_text(cell: Node, shared: Callable[[int], str]) -> str:
    kind = cell.get("t")
    if kind == "inlineStr":
        inline = cell.find("is")
        return _rich_text(inline) if inline is not None else ""
    v = cell.find("v")
    raw = v.text() if v is not None else ""
    if kind == "s" and raw.strip():
        return shared(int(raw))
    return raw


def _rich_text(node: Node) -> str:
    return "".join(t.text() if t.local == "t" else _rich_text(t) for t in node.elements() if t.local in ("t", "r"))
