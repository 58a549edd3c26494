"""One sync's changes to a workbook, applied tab by tab to the parts that hold them.

For each tab written: its worksheet part (the cells clinicops writes, rows removed or added,
headers of missing columns), and only as needed the styles (a format or highlight not yet
defined), the tab's notes and their drawing, for a new tab the workbook's list of tabs, and
for a tab with native charts (the Dashboard) its drawing and chart parts, made afresh
(see :mod:`.charts`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from clinicops.connectors.base import ColumnSpec, TableWrite, normalize_header
from clinicops.connectors.xlsx import charts, layout
from clinicops.connectors.xlsx import package as pk
from clinicops.connectors.xlsx.cells import column_letter
from clinicops.connectors.xlsx.notes import SheetNotes
from clinicops.connectors.xlsx.package import Package, SheetEntry
from clinicops.connectors.xlsx.shared_strings import SharedStrings
from clinicops.connectors.xlsx.sheet_edit import KEEP, ColumnLook, SheetPlan, header_row, rewrite
from clinicops.connectors.xlsx.styles import Look, StyleBook
from clinicops.connectors.xlsx.xml_nodes import Node, prefix_of

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
EMPTY_SHEET = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{pk.REL_NS}">'
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
    'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
    '<sheetFormatPr defaultRowHeight="15"/><sheetData/></worksheet>'
).encode()
FORMULA_START = ("=", "+", "-", "@")


class WorkbookEditor:
    """``headers`` (tab title, normalised → header texts from A1 on), when the caller has just read
    them, saves looking them up in the shared-strings table."""

    def __init__(self, package: Package, headers: dict[str, list[str]] | None = None) -> None:
        self.package = package
        self.headers = headers or {}
        self.changed = False
        self.date1904 = package.date1904()
        styles_part = package.styles_part()
        self.styles_part = styles_part
        self.styles = StyleBook(package.tree(styles_part)) if styles_part else None
        strings = package.shared_strings_part()
        self.shared = SharedStrings((lambda: package.read(strings)) if strings else None)
        self._header_looks: dict[int, Look] = {}

    def apply(self, tw: TableWrite) -> list[int]:
        """Write one table's changes; the rows the appended records went to."""
        spec = tw.spec
        entry, created = self._sheet(spec.title)
        known = self.headers.get(normalize_header(entry.title))
        if known is not None:
            header = dict(enumerate(known, start=1))
        else:
            with self.package.open(entry.part) as data:
                header = header_row(data, self.shared)
        columns: dict[str, int] = {}
        for col, text in sorted(header.items()):
            if text.strip():
                columns.setdefault(normalize_header(text), col)
        plan = SheetPlan()
        self._header_looks = {}
        specs: dict[int, ColumnSpec | None] = {}
        added = self._add_missing_columns(spec, columns, header, plan, tw)
        for column in [*spec.columns, None]:
            title = column.header if column else spec.errors_header
            if normalize_header(title) in columns:
                specs[columns[normalize_header(title)]] = column
        if tw.is_empty() and not added and not created:
            return []
        for row, title, value in tw.cells:
            plan.change(row, columns[normalize_header(title)]).value = value
        plan.deletes = set(tw.deletes)
        plan.appends = [{columns[normalize_header(t)]: v for t, v in values.items()} for values in tw.appends]
        notes = SheetNotes(self.package, entry.part)
        self._plan_notes(tw, notes, columns, plan)
        for column_number, _header_text in added:
            note = layout.header_note(specs.get(column_number))
            if note:
                self._ensure_notes_part(notes, plan)
                notes.set_header_note(column_number, note)
        self._text_columns(specs, plan)
        self._widen(tw, specs, plan)
        drawing = None
        if spec.charts:
            drawing, plan.drawing = charts.replace_drawing(self.package, entry.part)
        with self.package.open(entry.part) as data:  # the sheet as a stream: a large one is never read whole
            result = rewrite(data, plan, self._styler(specs), self.date1904)
        self.package.put(entry.part, result.data)
        if drawing is not None:
            bars = charts.find_bars(self.package.read(entry.part), self.shared, columns, spec.charts)
            charts.write_drawing(self.package, drawing, entry.title, bars, max(columns.values(), default=0) + 1)
        if plan.deletes:
            notes.move_rows(result.moved)
        notes.save()
        if self.styles is not None and self.styles.changed:
            self.package.touch(self.styles_part)
        self.changed = True
        return result.appended_rows

    # tabs and columns --------------------------------------------------------

    def _sheet(self, title: str) -> tuple[SheetEntry, bool]:
        for entry in self.package.sheets():
            if normalize_header(entry.title) == normalize_header(title):
                return entry, False
        return self._add_sheet(title), True

    def _add_sheet(self, title: str) -> SheetEntry:
        package = self.package
        part = package.unused_name("xl/worksheets/sheet{}.xml")
        package.put(part, EMPTY_SHEET)
        package.add_content_override(part, pk.CT_WORKSHEET)
        rel_id = package.add_relationship(package.workbook_part, pk.WORKSHEET, part)
        book = package.tree(package.workbook_part)
        listing = book.find("sheets")
        p = prefix_of(book.name)
        if listing is None:
            listing = Node(p + "sheets")
            book.children.insert(0, listing)
        taken = [int(s.get("sheetId") or 0) for s in listing.elements()]
        r_prefix = next(
            (
                book.attrs[i].partition(":")[2]
                for i in range(0, len(book.attrs), 2)
                if book.attrs[i].startswith("xmlns:") and book.attrs[i + 1] == pk.REL_NS
            ),
            None,
        )
        attrs = ["name", title, "sheetId", str(max(taken, default=0) + 1)]
        if r_prefix:
            attrs += [f"{r_prefix}:id", rel_id]
        else:
            attrs += ["xmlns:r", pk.REL_NS, "r:id", rel_id]
        listing.children.append(Node(p + "sheet", attrs))
        package.touch(package.workbook_part)
        return SheetEntry(title, part)

    def _add_missing_columns(
        self, spec: Any, columns: dict[str, int], header: dict[int, str], plan: SheetPlan, tw: TableWrite
    ) -> list[tuple[int, str]]:
        """Missing columns go after the last used one; existing ones are never moved."""
        last = max([c for c, text in header.items() if text.strip()], default=0)
        added: list[tuple[int, str]] = []
        for column in [*spec.columns, None]:
            title = column.header if column else spec.errors_header
            if normalize_header(title) in columns:
                continue
            last += 1
            columns[normalize_header(title)] = last
            plan.change(1, last).value = title
            values = [a.get(title) for a in tw.appends] + [v for _, t, v in tw.cells if t == title]
            width = layout.column_width(column, title, values)
            fmt = layout.column_format(column)
            wrap = layout.wraps(column, width, values)
            look = Look(number_format=fmt, wrap=True if wrap else None)
            plan.columns[last] = ColumnLook(width=lambda _current, w=width: w, style=self._restyle(look))
            if column is not None:
                rule = layout.validation_spec(column)
                if rule:
                    plan.validations.append(_validation(rule, column_letter(last)))
            added.append((last, title))
            self._header_looks[last] = layout.header_look(column)
        return added

    def _restyle(self, look: Look) -> Callable[[int], int] | None:
        styles = self.styles
        if styles is None or look == Look():
            return None
        return lambda current: styles.derive(current, look)

    # notes and highlights ----------------------------------------------------

    def _plan_notes(self, tw: TableWrite, notes: SheetNotes, columns: dict[str, int], plan: SheetPlan) -> None:
        if tw.annotations is None:
            return
        spec_cols = {
            columns[normalize_header(c.header)] for c in tw.spec.columns if normalize_header(c.header) in columns
        }
        wanted: dict[tuple[int, int], list[str]] = {}
        for note in tw.annotations:
            col = columns.get(normalize_header(note.header))
            if col is not None:
                wanted.setdefault((note.row_ref, col), []).append(note.message)
        stale = {cell for cell in notes.ours() if cell[0] > 1 and cell[1] in spec_cols and cell not in wanted}
        for cell in stale:
            notes.remove_message(cell)
            plan.change(*cell).error = False
        if wanted:
            self._ensure_notes_part(notes, plan)
        for cell, messages in wanted.items():
            notes.set_message(cell, "\n".join(messages))
            plan.change(*cell).error = True

    @staticmethod
    def _ensure_notes_part(notes: SheetNotes, plan: SheetPlan) -> None:
        if notes.needs_part():
            rel_id = notes.create()
            if rel_id:
                plan.legacy_drawing = rel_id

    # looks -------------------------------------------------------------------

    def _text_columns(self, specs: dict[int, ColumnSpec | None], plan: SheetPlan) -> None:
        """Identifier columns get the Text format on the tab's next write, as ``init`` lays them out."""
        styles = self.styles
        if styles is None:
            return
        for col, column in specs.items():
            if column is None or not column.text_format or col in plan.columns:
                continue

            def to_text(current: int) -> int:
                return (
                    current if styles.number_format(current) == "@" else styles.derive(current, Look(number_format="@"))
                )

            plan.columns[col] = ColumnLook(style=to_text)

    def _widen(self, tw: TableWrite, specs: dict[int, ColumnSpec | None], plan: SheetPlan) -> None:
        """Columns clinicops fills (Errors, plugin columns) grow to show what it wrote, up to a cap,
        and wrap what is longer; never narrower than a person made them. Staff columns keep their width."""
        header_of = {col: (column.header if column else tw.spec.errors_header) for col, column in specs.items()}
        for col, column in specs.items():
            if column is not None and not column.plugin_owned:
                continue
            title = header_of[col]
            values = [v for _, t, v in tw.cells if t == title and v] + [a[title] for a in tw.appends if a.get(title)]
            if not values:
                continue
            wanted = layout.column_width(column, title, values)
            look = plan.columns.setdefault(col, ColumnLook())
            look.width = lambda current, w=wanted: max(current or 0, w)
            if layout.wraps(column, wanted, values) and look.style is None:
                look.style = self._restyle(Look(wrap=True))

    def _styler(self, specs: dict[int, ColumnSpec | None]) -> Any:
        styles = self.styles
        headers = self._header_looks

        def style(col: int, value: Any, current: int, error: bool | None) -> int:
            if styles is None:
                return current
            if col in headers and value is not KEEP and isinstance(value, str):
                look = headers.pop(col)
                return styles.derive(current, look)
            column = specs.get(col)
            number_format = None
            quote_prefix = None
            if value is not KEEP:
                if isinstance(value, dt.datetime):
                    if not (styles.is_date(current) and "h" in styles.number_format(current).lower()):
                        number_format = layout.NUMBER_FORMATS["date-time"]
                elif isinstance(value, dt.date):
                    if not styles.is_date(current):
                        number_format = layout.NUMBER_FORMATS["date"]
                elif isinstance(value, str):
                    if column is not None and column.text_format and styles.number_format(current) != "@":
                        number_format = "@"
                    if value[:1] in FORMULA_START:
                        quote_prefix = True
                elif (
                    isinstance(value, int | float)
                    and not isinstance(value, bool)
                    and column is not None
                    and column.kind == "money"
                    and styles.number_format(current) == "General"
                ):
                    number_format = layout.NUMBER_FORMATS["money"]
            look = Look(number_format=number_format, error_fill=error, quote_prefix=quote_prefix)
            if look == Look() or (
                error is False and not styles.has_error_fill(current) and number_format is None and quote_prefix is None
            ):
                return current
            return styles.derive(current, look)

        return style


def _validation(rule: dict[str, str], letter: str) -> Node:
    return Node(
        "dataValidation",
        [
            "type",
            rule["type"],
            "errorStyle",
            "warning",
            "allowBlank",
            "1",
            "showErrorMessage",
            "1",
            "errorTitle",
            rule["errorTitle"],
            "error",
            rule["error"],
            "sqref",
            f"{letter}2:{letter}{layout.LAST_ROW}",
        ],
        [Node("formula1", [], [rule["formula1"]])],
    )
