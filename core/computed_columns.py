"""Columns that hold fields in their own way: ``Last, First`` in one column, ``Appt Date`` + ``Time`` in two.

A practice's own workbook rarely has one column per field. Two layouts are common enough
to bind as they are (``columns.toml``)::

    [patient.split]                  # one column holding several fields, comma-separated
    "Last, First" = ["last_name", "first_name"]

    [appointment.joined]             # several columns holding one field
    start = ["Appt Date", "Time"]

:class:`ComputedColumns` wraps the backend: a read gains one virtual column per field
(``Last, First [last_name]``), computed from the real cells, so the engine sees a field
per column as usual; a write to a virtual column goes back to the real ones (the name
put together again, the date and the time apart). A split cell without a comma is read
as ``First Last``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from clinicops.connectors.base import Annotation, ColumnSpec, SheetRow, SheetTable, TableSpec, TableWrite
from clinicops.connectors.base import normalize_header as norm
from clinicops.core.column_map import TabMap

EXCEL_EPOCH = dt.date(1899, 12, 30)


def computed_headers(tab: TabMap) -> dict[str, tuple[str, list[str]]]:
    """field -> (its virtual header, the real columns it comes from)."""
    virtual = tab.computed()
    out = {f: (virtual[f], [column]) for column, fields in tab.split.items() for f in fields}
    out.update({f: (virtual[f], list(columns)) for f, columns in tab.joined.items()})
    return out


def _date_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (EXCEL_EPOCH + dt.timedelta(days=int(value))).isoformat()
    return str(value).strip()


def _time_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value.time()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.timedelta):
        value = value.total_seconds() / 86400
    if isinstance(value, int | float) and not isinstance(value, bool):
        minutes = round((value % 1) * 24 * 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    return str(value).strip()


def split_cell(value: Any, count: int) -> list[str]:
    """``Hopper, Grace`` -> ``[Hopper, Grace]``; ``Grace Hopper`` -> ``[Hopper, Grace]``."""
    text = "" if value is None else str(value).strip()
    if not text:
        return [""] * count
    if "," in text:
        parts = [p.strip() for p in text.split(",", count - 1)]
    else:
        words = text.split()
        parts = [words[-1], " ".join(words[:-1])] if count == 2 else [text]
    return (parts + [""] * count)[:count]


def join_cells(values: list[Any]) -> str:
    """A date cell and a time cell as one text the date-time reader understands."""
    if all(v in (None, "") for v in values):
        return ""
    date, *rest = values
    times = [_time_text(v) for v in rest if v not in (None, "")]
    return " ".join([_date_text(date), *times]).strip()


class ComputedColumns:
    """A backend seen through the practice's split and joined columns (see the module docstring)."""

    def __init__(self, backend: Any, tabs: dict[str, TabMap]) -> None:
        self._inner = backend
        self._tabs = {entity: tab for entity, tab in tabs.items() if tab.split or tab.joined}
        self._current: dict[str, dict[Any, dict[str, str]]] = {}
        self.key = backend.key

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    @property
    def requests(self) -> int:
        return int(self._inner.requests)

    # specs ---------------------------------------------------------------------------------

    def _real_spec(self, spec: TableSpec) -> TableSpec:
        tab = self._tabs.get(spec.entity)
        if tab is None:
            return spec
        virtual = {norm(h) for h, _ in computed_headers(tab).values()}
        columns = [c for c in spec.columns if norm(c.header) not in virtual]
        have = {norm(c.header) for c in columns}
        for _, real in computed_headers(tab).values():
            for column in real:
                if norm(column) not in have:
                    columns.append(ColumnSpec(header=column, field=f"~{column}", kind="string"))
                    have.add(norm(column))
        return replace(spec, columns=tuple(columns))

    def ensure_layout(self, specs: list[TableSpec]) -> None:
        self._inner.ensure_layout([self._real_spec(s) for s in specs])

    # reading -------------------------------------------------------------------------------

    def read(self, specs: list[TableSpec]) -> dict[str, SheetTable | None]:
        tables = self._inner.read([self._real_spec(s) for s in specs])
        return {entity: self._virtual(entity, table) for entity, table in tables.items()}

    def _virtual(self, entity: str, table: SheetTable | None) -> SheetTable | None:
        tab = self._tabs.get(entity)
        if table is None or tab is None:
            return table
        at = {norm(h): i for i, h in reversed(list(enumerate(table.header)))}
        rules = [(f, h, real) for f, (h, real) in computed_headers(tab).items() if all(norm(c) in at for c in real)]
        current = self._current.setdefault(entity, {})

        def rows() -> list[SheetRow]:
            out = []
            for row in table.rows:
                extra = self._computed(tab, rules, at, row.values)
                current[row.ref] = dict(zip([f for f, _, _ in rules], extra, strict=True))
                out.append(SheetRow(row.number, [*row.values, *extra], row.ref))
            return out

        return SheetTable(
            table.title,
            [*table.header, *(h for _, h, _ in rules)],
            make_rows=rows,
            digest=table.digest,
            other_headers=table.other_headers,
            find_uncached=lambda: table.uncached,  # the real columns keep their places
        )

    @staticmethod
    def _computed(tab: TabMap, rules: list[tuple[str, str, list[str]]], at: dict[str, int], values: list[Any]) -> list:
        out = []
        for f, _, real in rules:
            cells = [values[at[norm(c)]] if at[norm(c)] < len(values) else "" for c in real]
            if f in tab.joined:
                out.append(join_cells(cells))
            else:
                fields = tab.split[real[0]]
                out.append(split_cell(cells[0], len(fields))[fields.index(f)])
        return out

    # writing -------------------------------------------------------------------------------

    def write(self, writes: list[TableWrite], force: bool = False) -> Any:
        return self._inner.write([self._real_write(tw) for tw in writes], force=force)

    def _real_write(self, tw: TableWrite) -> TableWrite:
        tab = self._tabs.get(tw.spec.entity)
        if tab is None:
            return tw
        by_header = {norm(h): (f, real) for f, (h, real) in computed_headers(tab).items()}
        cells: list[tuple[Any, str, Any]] = []
        pending: dict[Any, dict[str, Any]] = {}
        for ref, header, value in tw.cells:
            if norm(header) in by_header:
                pending.setdefault(ref, {})[by_header[norm(header)][0]] = value
            else:
                cells.append((ref, header, value))
        current = self._current.get(tw.spec.entity, {})
        for ref, changed in pending.items():
            cells.extend((ref, h, v) for h, v in self._real_cells(tab, {**current.get(ref, {}), **changed}, changed))
        appends = [self._real_append(tab, by_header, values) for values in tw.appends]
        annotations = None
        if tw.annotations is not None:
            annotations = [
                Annotation(a.row_ref, by_header[norm(a.header)][1][0], a.message) if norm(a.header) in by_header else a
                for a in tw.annotations
            ]
        return replace(tw, spec=self._real_spec(tw.spec), cells=cells, appends=appends, annotations=annotations)

    def _real_append(self, tab: TabMap, by_header: dict, values: dict[str, Any]) -> dict[str, Any]:
        plain = {h: v for h, v in values.items() if norm(h) not in by_header}
        fields = {by_header[norm(h)][0]: v for h, v in values.items() if norm(h) in by_header}
        plain.update(dict(self._real_cells(tab, fields, fields)))
        return plain

    @staticmethod
    def _real_cells(tab: TabMap, values: dict[str, Any], changed: dict[str, Any]) -> list[tuple[str, Any]]:
        """The real cells for fields' new values: a split column put together, a joined one taken apart."""
        out: list[tuple[str, Any]] = []
        for column, fields in tab.split.items():
            if any(f in changed for f in fields):
                parts = ["" if values.get(f) is None else str(values.get(f)) for f in fields]
                out.append((column, ", ".join(p for p in parts if p) or None))
        for f, columns in tab.joined.items():
            if f not in changed:
                continue
            value = changed[f]
            if isinstance(value, dt.datetime):
                out.append((columns[0], value.date()))
                out.extend((c, value.strftime("%H:%M")) for c in columns[1:])
            else:
                out.append((columns[0], value))
        return out
