"""Ways for tests to act like a staff member on each backend: type, sort, delete, look.

The sync suite is written once against this small interface and runs on every backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import openpyxl

from clinicops.connectors.base import normalize_header
from clinicops.connectors.xlsx.notes import is_ours, staff_part
from clinicops.connectors.xlsx.styles import ERROR_RGB


class SheetDriver(Protocol):
    def rows(self, tab: str) -> list[dict[str, Any]]: ...
    def append(self, tab: str, rows: list[dict[str, Any]]) -> None: ...
    def edit(self, tab: str, row: int, header: str, value: Any) -> None: ...
    def delete_row(self, tab: str, row: int) -> None: ...
    def clear(self, tab: str) -> None: ...
    def sort(self, tab: str, header: str, reverse: bool = False) -> None: ...
    def note(self, tab: str, row: int, header: str) -> str | None: ...
    def highlighted(self, tab: str, row: int, header: str) -> bool: ...
    def fingerprint(self) -> Any: ...
    def rename_header(self, tab: str, old: str, new: str) -> None: ...
    def delete_column(self, tab: str, header: str) -> None: ...
    def move_column_first(self, tab: str, header: str) -> None: ...
    def add_column(self, tab: str, header: str, values: dict[int, Any]) -> None: ...


class XlsxDriver:
    """Edits the workbook the way Excel would save it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _open(self) -> openpyxl.Workbook:
        return openpyxl.load_workbook(self.path)

    @staticmethod
    def _ws(book: openpyxl.Workbook, tab: str) -> Any:
        for ws in book.worksheets:
            if normalize_header(ws.title) == normalize_header(tab):
                return ws
        raise KeyError(tab)

    @staticmethod
    def _cols(ws: Any) -> dict[str, int]:
        return {normalize_header(c.value): c.column for c in ws[1] if c.value}

    def rows(self, tab: str) -> list[dict[str, Any]]:
        ws = self._ws(self._open(), tab)
        header = [c.value for c in ws[1]]
        out = []
        for r in range(2, ws.max_row + 1):
            values = {h: ws.cell(r, i + 1).value for i, h in enumerate(header) if h}
            if any(v not in (None, "") for v in values.values()):
                out.append({"_row": r, **values})
        return out

    def append(self, tab: str, rows: list[dict[str, Any]]) -> None:
        book = self._open()
        ws = self._ws(book, tab)
        cols = self._cols(ws)
        r = max([1] + [x["_row"] for x in self.rows(tab)]) + 1
        for row in rows:
            for header, value in row.items():
                cell = ws.cell(r, cols[normalize_header(header)], value)
                if isinstance(value, str):
                    cell.data_type = "s"
            r += 1
        book.save(self.path)

    def edit(self, tab: str, row: int, header: str, value: Any) -> None:
        book = self._open()
        ws = self._ws(book, tab)
        cell = ws.cell(row, self._cols(ws)[normalize_header(header)])
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"
        book.save(self.path)

    def delete_row(self, tab: str, row: int) -> None:
        book = self._open()
        self._ws(book, tab).delete_rows(row)
        book.save(self.path)

    def clear(self, tab: str) -> None:
        book = self._open()
        ws = self._ws(book, tab)
        ws.delete_rows(2, ws.max_row)
        book.save(self.path)

    def sort(self, tab: str, header: str, reverse: bool = False) -> None:
        book = self._open()
        ws = self._ws(book, tab)
        width = ws.max_column
        col = self._cols(ws)[normalize_header(header)]
        data = [[ws.cell(r, c).value for c in range(1, width + 1)] for r in range(2, ws.max_row + 1)]
        data = [d for d in data if any(v not in (None, "") for v in d)]
        data.sort(key=lambda d: str(d[col - 1] or ""), reverse=reverse)
        for r, values in enumerate(data, start=2):
            for c, v in enumerate(values, start=1):
                cell = ws.cell(r, c)
                cell.value = v
                if isinstance(v, str):
                    cell.data_type = "s"
        book.save(self.path)

    def rename_header(self, tab: str, old: str, new: str) -> None:
        self.edit(tab, 1, old, new)

    def delete_column(self, tab: str, header: str) -> None:
        book = self._open()
        ws = self._ws(book, tab)
        ws.delete_cols(self._cols(ws)[normalize_header(header)])
        book.save(self.path)

    def move_column_first(self, tab: str, header: str) -> None:
        """Cut the column and insert it before column A, as Excel's drag with Shift does."""
        book = self._open()
        ws = self._ws(book, tab)
        col = self._cols(ws)[normalize_header(header)]
        values = [ws.cell(r, col).value for r in range(1, ws.max_row + 1)]
        ws.delete_cols(col)
        ws.insert_cols(1)
        for r, v in enumerate(values, start=1):
            cell = ws.cell(r, 1, v)
            if isinstance(v, str):
                cell.data_type = "s"
        book.save(self.path)

    def add_column(self, tab: str, header: str, values: dict[int, Any]) -> None:
        book = self._open()
        ws = self._ws(book, tab)
        col = ws.max_column + 1
        ws.cell(1, col, header)
        for r, v in values.items():
            ws.cell(r, col, v)
        book.save(self.path)

    def note(self, tab: str, row: int, header: str) -> str | None:
        ws = self._ws(self._open(), tab)
        cell = ws.cell(row, self._cols(ws)[normalize_header(header)])
        if cell.comment is None or not is_ours(cell.comment.text):
            return None
        return cell.comment.text[len(staff_part(cell.comment.text)) :].lstrip("\n")

    def highlighted(self, tab: str, row: int, header: str) -> bool:
        ws = self._ws(self._open(), tab)
        fill = ws.cell(row, self._cols(ws)[normalize_header(header)]).fill
        return fill.fill_type == "solid" and str(fill.fgColor.rgb).upper() == ERROR_RGB

    def fingerprint(self) -> Any:
        stat = self.path.stat()
        return (stat.st_mtime_ns, stat.st_size)
