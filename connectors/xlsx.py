"""The embedded backend: a local Excel workbook, no account needed.

Reads with python-calamine (fast, values only); writes with openpyxl so the staff's own
formatting, comments and extra columns survive. A write goes to a temporary file that
replaces the workbook atomically, after a timestamped backup, and never while Excel or
LibreOffice holds the workbook open (their lock file is beside it): writing then would
lose whatever the person has not saved yet.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from clinicops.connectors import xlsx_layout as layout
from clinicops.connectors.base import (
    BackendBusy,
    BackendError,
    SheetRow,
    SheetTable,
    TableSpec,
    TableWrite,
    WriteResult,
    normalize_header,
)
from clinicops.core.clock import SystemClock


def lock_files(path: Path) -> list[Path]:
    """Lock files Excel (``~$name``) and LibreOffice (``.~lock.name#``) keep beside an open workbook."""
    candidates = [path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")]
    if len(path.name) > 2:
        candidates.append(path.with_name("~$" + path.name[2:]))
    return [p for p in candidates if p.exists()]


class XlsxBackend:
    def __init__(self, path: Path, backup_dir: Path, keep_backups: int = 10, root: Path | None = None) -> None:
        self.path = Path(path)
        self.backup_dir = Path(backup_dir)
        self.keep_backups = keep_backups
        self.key = f"xlsx:{_key_path(self.path, root)}"
        self.requests = 0
        self._read_stamp: tuple[float, int] | None = None

    # reading -----------------------------------------------------------------

    def check_writable(self) -> None:
        held = lock_files(self.path)
        if held:
            raise BackendBusy(
                f"{self.path.name} is open in Excel or LibreOffice (lock file {held[0].name}); "
                "close it and sync again. Nothing was changed."
            )

    def read(self, specs: list[TableSpec]) -> dict[str, SheetTable | None]:
        if not self.path.exists():
            return {s.entity: None for s in specs}
        stat = self.path.stat()
        self._read_stamp = (stat.st_mtime, stat.st_size)
        self.requests += 1
        try:
            book = CalamineWorkbook.from_path(str(self.path))
        except Exception as exc:  # calamine raises its own error types per format problem
            raise BackendError(f"Cannot read {self.path.name}: {exc}") from None
        names = {normalize_header(n): n for n in book.sheet_names}
        out: dict[str, SheetTable | None] = {}
        for spec in specs:
            name = names.get(normalize_header(spec.title))
            if name is None:
                out[spec.entity] = None
                continue
            grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            header = [str(h).strip() if h is not None else "" for h in (grid[0] if grid else [])]
            out[spec.entity] = SheetTable(
                title=name,
                header=header,
                make_rows=functools.partial(_rows, grid, len(header)),
                digest=hashlib.md5(repr(grid).encode("utf-8"), usedforsecurity=False).hexdigest(),
            )
        return out

    # writing -----------------------------------------------------------------

    def ensure_layout(self, specs: list[TableSpec]) -> None:
        self.write([TableWrite(spec=s) for s in specs], force=True)

    def write(self, writes: list[TableWrite], force: bool = False) -> WriteResult:
        self.check_writable()
        if self._read_stamp and self.path.exists():
            stat = self.path.stat()
            if (stat.st_mtime, stat.st_size) != self._read_stamp:
                raise BackendBusy(f"{self.path.name} changed while syncing; the next sync picks up both.")
        book = self._load() if self.path.exists() else _new_book()
        result = WriteResult()
        changed = force
        for tw in writes:
            ws, created = _sheet_for(book, tw.spec)
            added = _ensure_columns(ws, tw.spec)
            changed = changed or created or bool(added) or not tw.is_empty()
            columns = _column_map(ws)
            if tw.annotations is not None:
                _apply_annotations(ws, tw, columns)
            for row, header, value in tw.cells:
                _set(ws.cell(row=row, column=columns[normalize_header(header)]), value)
            for row in sorted(tw.deletes, reverse=True):
                ws.delete_rows(row)
            if tw.appends:
                next_row = _last_used_row(ws) + 1
                refs = []
                for values in tw.appends:
                    for header, value in values.items():
                        _set(ws.cell(row=next_row, column=columns[normalize_header(header)]), value)
                    refs.append(next_row)
                    next_row += 1
                result.appended_refs[tw.spec.entity] = refs
        if changed:
            self._save(book)
        return result

    def _load(self) -> Workbook:
        try:
            return openpyxl.load_workbook(self.path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise BackendError(
                f"Cannot open {self.path.name} to write it ({exc}); restore the last backup from "
                f"{self.backup_dir} or save it again from Excel"
            ) from None

    def _save(self, book: Workbook) -> None:
        self.requests += 1
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}-", suffix=".xlsx", dir=self.path.parent)
        os.close(fd)
        try:
            book.save(tmp)
            self.check_writable()
            if self.path.exists():
                self._backup()
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        stat = self.path.stat()
        self._read_stamp = (stat.st_mtime, stat.st_size)

    def _backup(self) -> None:
        if self.keep_backups <= 0:
            return
        self.backup_dir.mkdir(parents=True, exist_ok=True)
        # Backups are named by the machine's clock so their names sort in the order they were made.
        stamp = SystemClock().now().strftime("%Y%m%d-%H%M%S-%f")
        shutil.copy2(self.path, self.backup_dir / f"{self.path.stem}-{stamp}{self.path.suffix}")
        backups = sorted(self.backup_dir.glob(f"{self.path.stem}-*{self.path.suffix}"))
        for old in backups[: -self.keep_backups]:
            old.unlink()


def _key_path(path: Path, root: Path | None) -> str:
    """The workbook's identity for the sync base: relative to the practice folder when inside it,
    so moving or copying the whole folder keeps its sync history."""
    full = path.resolve()
    if root is not None and full.is_relative_to(root.resolve()):
        return full.relative_to(root.resolve()).as_posix()
    return str(full)


def _rows(grid: list[list[Any]], width: int) -> list[SheetRow]:
    """Data rows numbered as Excel shows them (the header is row 1), padded to the header's width."""
    rows = []
    for index, values in enumerate(grid[1:], start=2):
        if len(values) < width:
            values = [*values, *([""] * (width - len(values)))]
        rows.append(SheetRow(number=index, values=values, ref=index))
    return rows


def _new_book() -> Workbook:
    book = Workbook()
    book.remove(book.active)
    return book


def _sheet_for(book: Workbook, spec: TableSpec) -> tuple[Worksheet, bool]:
    for ws in book.worksheets:
        if normalize_header(ws.title) == normalize_header(spec.title):
            return ws, False
    ws = book.create_sheet(spec.title)
    layout.new_sheet_layout(ws, spec)
    return ws, True


def _column_map(ws: Worksheet) -> dict[str, int]:
    out: dict[str, int] = {}
    for cell in ws[1]:
        if cell.value not in (None, ""):
            out.setdefault(normalize_header(cell.value), cell.column)
    return out


def _ensure_columns(ws: Worksheet, spec: TableSpec) -> list[str]:
    """Add the spec's missing columns after the last used one; existing ones are never moved."""
    present = _column_map(ws)
    wanted = [*spec.columns, None]
    added = []
    last = max(present.values(), default=0)
    for column in wanted:
        header = column.header if column else spec.errors_header
        if normalize_header(header) in present:
            continue
        last += 1
        ws.cell(row=1, column=last, value=header)
        layout.style_header(ws, last, column, is_errors=column is None)
        if column is not None:
            layout.add_validation(ws, last, column)
        present[normalize_header(header)] = last
        added.append(header)
    if added and ws.freeze_panes is None:
        ws.freeze_panes = "A2"
    return added


def _apply_annotations(ws: Worksheet, tw: TableWrite, columns: dict[str, int]) -> None:
    spec_cols = [columns[normalize_header(c.header)] for c in tw.spec.columns if normalize_header(c.header) in columns]
    if spec_cols:
        for row in ws.iter_rows(min_row=2, min_col=min(spec_cols), max_col=max(spec_cols)):
            for cell in row:
                if cell.comment is not None:
                    layout.clear_error(cell)
    for note in tw.annotations or []:
        col = columns.get(normalize_header(note.header))
        if col is not None:
            layout.mark_error(ws.cell(row=note.row_ref, column=col), note.message)


def _set(cell: Any, value: Any) -> None:
    """Write a value as data: text stays text even when it starts with '='."""
    if value is None or value == "":
        cell.value = None
        return
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value[:1] in ("=", "+", "-", "@"):
            cell.quotePrefix = True
    elif isinstance(value, dt.datetime):
        cell.number_format = layout.NUMBER_FORMATS["date-time"]
    elif isinstance(value, dt.date):
        cell.number_format = layout.NUMBER_FORMATS["date"]


def _last_used_row(ws: Worksheet) -> int:
    row = ws.max_row
    while row > 1 and all(c.value in (None, "") for c in ws[row]):
        row -= 1
    return row
