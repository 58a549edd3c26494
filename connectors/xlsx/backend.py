"""The embedded backend: a local Excel workbook, no account needed.

Reads with python-calamine (fast, values only, formulas' cached results), or a very large tab
with the streaming reader (same values, a fraction of the memory, see :data:`STREAM_ABOVE`). Writes in place:
only the worksheet parts holding cells clinicops changes are rewritten, and in them only those
cells (see :mod:`.workbook_edit`); every other part of the file (images, charts, pivot tables,
macros, the staff's formulas and notes) is copied as it is. A write goes to a temporary file
that replaces the workbook atomically, keeping its permissions, owner and group, after a
timestamped backup; and never while Excel or LibreOffice holds the workbook open (their lock
file is beside it): writing then would lose whatever the person has not saved yet.
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import Any, ClassVar
from xml.parsers import expat

from python_calamine import CalamineWorkbook

from clinicops.connectors.base import (
    Backend,
    BackendBusy,
    BackendError,
    BackendSetup,
    SheetRow,
    SheetTable,
    TableSpec,
    TableWrite,
    WriteResult,
    normalize_header,
)
from clinicops.connectors.xlsx import layout, store_mark
from clinicops.connectors.xlsx.package import Package, SheetEntry
from clinicops.connectors.xlsx.sheet_stream import SheetStream
from clinicops.connectors.xlsx.tab_cache import HeaderCache, fingerprint
from clinicops.connectors.xlsx.uncached import uncached_formulas
from clinicops.connectors.xlsx.workbook_edit import WorkbookEditor
from clinicops.core import private_files
from clinicops.core.clock import SystemClock


def lock_files(path: Path) -> list[Path]:
    """Lock files Excel (``~$name``) and LibreOffice (``.~lock.name#``) keep beside an open workbook."""
    candidates = [path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")]
    if len(path.name) > 2:
        candidates.append(path.with_name("~$" + path.name[2:]))
    return [p for p in candidates if p.exists()]


class WorkbookMissing(BackendError):
    """The workbook file is not where the practice says; nothing is read as empty because of it."""


#: The workbook a practice uses unless ``[backend] path`` names another.
DEFAULT_WORKBOOK = "clinic.xlsx"


class XlsxBackend(Backend):
    """The practice's local workbook, read whole and edited in place."""

    store_mark_is_local: ClassVar[bool] = True
    settings_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "path": {"type": "string", "minLength": 1, "description": "The workbook, relative to the practice folder."}
        },
    }

    def __init__(
        self,
        path: Path,
        backup_dir: Path,
        keep_backups: int = 10,
        root: Path | None = None,
        cache_file: Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.backup_dir = Path(backup_dir)
        self.keep_backups = keep_backups
        self.root = root
        self.cache_file = cache_file  # the tabs' headers by fingerprint (see .tab_cache); None: keep none
        self.key = f"xlsx:{_key_path(self.path, root)}"
        self.requests = 0
        self._read_stamp: tuple[float, int] | None = None
        self._headers: dict[str, list[str]] = {}  # each tab's header row as last read
        self._read_tabs: dict[str, tuple[SheetEntry, list[str]]] = {}  # entity -> its tab and header as last read
        self._cache = HeaderCache(None)

    @classmethod
    def open(cls, setup: BackendSetup) -> XlsxBackend:
        """The workbook at ``path`` (default ``clinic.xlsx``); backups go in the data folder."""
        path = setup.path(str(setup.settings.get("path", DEFAULT_WORKBOOK)))
        return cls(
            path,
            backup_dir=setup.data_dir / "backups",
            keep_backups=setup.keep_backups,
            root=setup.root,
            cache_file=setup.data_dir / "workbook-tabs.json",
        )

    # reading -----------------------------------------------------------------

    def list_tables(self) -> dict[str, list[str]]:
        """Every sheet of the workbook; its header comes from the read."""
        if not self.path.exists():
            raise BackendError(f"{self.path} does not exist; give the path of the practice's workbook")
        return {name: [] for name in CalamineWorkbook.from_path(str(self.path)).sheet_names}

    def check_writable(self) -> None:
        held = lock_files(self.path)
        if held:
            raise BackendBusy(
                f"{self.path.name} is open in Excel or LibreOffice (lock file {held[0].name}); "
                "close it and sync again. Nothing was changed."
            )

    def missing_message(self) -> str:
        """What to do when the workbook is gone: never treat it as empty (that would delete every record)."""
        where = f" -p {self.root}" if self.root is not None else ""
        backups = sorted(self.backup_dir.glob(f"{self.path.stem}-*{self.path.suffix}"))
        restore = (
            f"copy the newest backup ({backups[-1].name}) from {self.backup_dir} back to {self.path}, or "
            if backups
            else ""
        )
        return (
            f"The workbook {self.path} is missing, so nothing was synced and nothing was changed. "
            f"To get it back, {restore}run 'clinicops init --rebuild{where}' to write it afresh from the store."
        )

    def read(self, specs: list[TableSpec]) -> dict[str, SheetTable | None]:
        """Every tab asked for, each parsed only when the sync needs its rows.

        Only the zip's directory and the workbook part are read here. A tab whose fingerprint
        (see :mod:`.tab_cache`) has a header kept is not parsed: its rows are parsed when first
        asked for (and only while the file still has those bytes, see :class:`_Book`), so a tab
        the sync skips (unchanged since the last sync, and the store too) costs no parsing at all.
        """
        if not self.path.exists():
            raise WorkbookMissing(self.missing_message())
        stat_now = self.path.stat()
        self._read_stamp = (stat_now.st_mtime, stat_now.st_size)
        self.requests += 1
        package, entries = _listing(str(self.path))  # the zip's directory and workbook part only
        book = _Book(self.path, self.backup_dir)
        headers = self._cache = HeaderCache(self.cache_file)
        out: dict[str, SheetTable | None] = {}
        self._headers, self._read_tabs = {}, {}
        for spec in specs:
            entry, key = entries.get(normalize_header(spec.title), (None, None))
            header = headers.get(key) if key is not None else None
            if header is None or entry is None:
                found = book.parse(spec.title, key)
                if found is None:
                    out[spec.entity] = None
                    continue
                name, grid = found
                header = [str(h).strip() if h is not None else "" for h in (grid[0] if grid else [])]
                if key is not None:
                    headers.put(key, header)
                make_rows = functools.partial(_rows, grid, len(header))
                # parsed now, so looked at now: the bytes read are then not kept for the rest of the sync
                uncached = _uncached(package, entry.part if entry is not None else None)
                find_uncached = functools.partial(frozenset, uncached)
            else:
                name = entry.title
                make_rows = functools.partial(_parsed_rows, book, name, key, len(header))
                find_uncached = functools.partial(_uncached, package, entry.part)
            self._headers[normalize_header(name)] = header
            if entry is not None and key is not None:
                self._read_tabs[spec.entity] = (entry, header)
            out[spec.entity] = SheetTable(
                title=name,
                header=header,
                make_rows=make_rows,
                digest=key,
                find_uncached=find_uncached,
            )
        headers.save()
        return out

    def store_mark(self) -> str | None:
        """The store identity in the workbook's hidden defined name (see :mod:`.store_mark`)."""
        if not self.path.exists():
            return None
        try:
            return store_mark.read(Package(str(self.path)))
        except (OSError, ValueError, KeyError, IndexError, zipfile.BadZipFile):
            return None

    def mark_store(self, identity: str) -> bool:
        """Write the mark, only into the workbook as this sync read it and never while someone has it open."""
        if not self.path.exists() or lock_files(self.path) or not self._unchanged_since_read():
            return False
        package = self._open()
        if store_mark.write(package, identity):
            self._save(package, backup=False)  # only clinicops's own hidden name changes: nothing to back up
        return True

    def _unchanged_since_read(self) -> bool:
        now = self.path.stat()
        return self._read_stamp is None or (now.st_mtime, now.st_size) == self._read_stamp

    # writing -----------------------------------------------------------------

    def ensure_layout(self, specs: list[TableSpec]) -> None:
        self.write([TableWrite(spec=s) for s in specs], force=True)

    def write(self, writes: list[TableWrite], force: bool = False) -> WriteResult:
        """Apply the changes in place. ``force`` lays out a workbook that does not exist yet
        (``init``, the demo); a sync never creates one (see :meth:`missing_message`)."""
        self.check_writable()
        exists = self.path.exists()
        if not exists and not force:
            raise WorkbookMissing(self.missing_message())
        if exists and not self._unchanged_since_read():
            raise BackendBusy(f"{self.path.name} changed while syncing; the next sync picks up both.")
        package = self._open() if exists else self._new_package(writes)
        editor = WorkbookEditor(package, self._headers if exists and self._read_stamp else None)
        result = WriteResult()
        for tw in writes:
            refs = editor.apply(tw)
            if tw.appends:
                result.appended_refs[tw.spec.entity] = refs
        if editor.changed or not exists:
            self._save(package)
            if exists:
                result.digests = self._untouched_digests(package.changed())
        self._read_tabs = {}  # a write consumes the read: what a further write left alone is not known
        return result

    def _untouched_digests(self, rewritten: set[str]) -> dict[str, str]:
        """The new fingerprint of each tab read whose part the write left as it was.

        Its cells are what was read: the writer only adds to the shared parts (a style is
        appended, never changed; shared strings are not written), so only the bytes its
        fingerprint covers changed. Their header is kept under the new fingerprint, and the
        sync keeps skipping them while nobody touches them.
        """
        _, entries = _listing(str(self.path))  # the zip's directory and workbook part only
        out = {}
        for entity, (entry, header) in self._read_tabs.items():
            found = entries.get(normalize_header(entry.title))
            if found is not None and found[0] == entry and entry.part not in rewritten:
                out[entity] = found[1]
                self._cache.put(found[1], header)
        self._cache.save()
        return out

    def _open(self) -> Package:
        try:
            return Package(self.path.read_bytes())
        except (OSError, ValueError, KeyError, IndexError, zipfile.BadZipFile) as exc:
            raise BackendError(
                f"Cannot open {self.path.name} to write it ({exc}); restore the last backup from "
                f"{self.backup_dir} or save it again from Excel"
            ) from None

    @staticmethod
    def _new_package(writes: list[TableWrite]) -> Package:
        contents = {tw.spec.entity: tw.appends for tw in writes}
        book = layout.new_workbook([tw.spec for tw in writes], contents)
        buffer = io.BytesIO()
        book.save(buffer)
        return Package(buffer.getvalue())

    def _save(self, package: Package, backup: bool = True) -> None:
        self.requests += 1
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}-", suffix=".xlsx", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                package.save(handle)
            _same_access(Path(tmp), self.path)
            self.check_writable()
            if backup and self.path.exists():
                self._backup()
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        now = self.path.stat()
        self._read_stamp = (now.st_mtime, now.st_size)
        self._headers = {}  # a write may have added columns: look again next time

    def tidy(self) -> None:
        """Remove the temporary copies a killed sync left beside the workbook (they hold patients' data).

        A sync calls this holding the practice's sync lock, so no other sync is writing one.
        """
        for leftover in self.path.parent.glob(f".{self.path.stem}-*.xlsx"):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()

    def _backup(self) -> None:
        if self.keep_backups <= 0:
            return
        private_files.make_dir(self.backup_dir)
        # Backups are named by the machine's clock so their names sort in the order they were made.
        stamp = SystemClock().now().strftime("%Y%m%d-%H%M%S-%f")
        backup = self.backup_dir / f"{self.path.stem}-{stamp}{self.path.suffix}"
        # The workbook may be shared with the office; its backups in the data folder are not.
        shutil.copyfile(self.path, private_files.create_file(backup))
        backups = sorted(self.backup_dir.glob(f"{self.path.stem}-*{self.path.suffix}"))
        for old in backups[: -self.keep_backups]:
            old.unlink()


def _same_access(new: Path, old: Path) -> None:
    """The replacement keeps the workbook's permissions, owner and group (a shared office file stays shared).

    A new workbook gets the usual permissions for new files (the umask), not a temporary file's 600.
    """
    if old.exists():
        current = old.stat()
        os.chmod(new, stat.S_IMODE(current.st_mode))
        try:
            os.chown(new, current.st_uid, current.st_gid)
        except PermissionError:
            with contextlib.suppress(PermissionError):
                os.chown(new, -1, current.st_gid)
        return
    mask = os.umask(0o022)
    os.umask(mask)
    os.chmod(new, 0o666 & ~mask)


def _key_path(path: Path, root: Path | None) -> str:
    """The workbook's identity for the sync base: relative to the practice folder when inside it,
    so moving or copying the whole folder keeps its sync history."""
    full = path.resolve()
    if root is not None and full.is_relative_to(root.resolve()):
        return full.relative_to(root.resolve()).as_posix()
    return str(full)


#: Worksheet parts larger than this (uncompressed bytes, as the zip's directory lists them, so
#: knowing it costs nothing) are read by :class:`.SheetStream`, smaller ones by python-calamine.
#: Both give the same rows. calamine holds its own copy of the whole tab, a string per cell, while
#: it makes them; the stream holds only the rows, their text shared with the shared-strings table,
#: at four to five times calamine's CPU. Measured reading the tab of ``benchmarks/sync_xlsx.py``
#: (some 490 bytes of part a row) into rows on a 2-core machine: calamine 1.2 CPU-s and a peak of
#: 280 MiB at 100,000 rows (a 48 MiB part), 2.5 CPU-s and 485 MiB at 200,000 (97 MiB); the stream
#: 5.9 and 12.8 CPU-s, peaking at 115 and 154 MiB: some 165 MiB saved for 5 CPU-s per 100,000
#: rows. A whole sync gains that where the read is its peak, a sync that parses a large tab and
#: changes little (the sync after a first import of 1,000,000 rows: 2,157 MiB and 28 CPU-s with
#: calamine, 1,273 MiB and 74 CPU-s streamed); a first import's peak is the engine's, with every
#: record parsed (1,000,000 rows: 2,654 MiB, 2,425 streamed). At 256 MiB (some 540,000 such
#: rows) calamine's copy alone is near a gigabyte: below it a practice's tabs keep calamine's
#: speed, which every sync of them pays, above it the gigabyte is what a small office's machine
#: would run out of.
STREAM_ABOVE = 256 << 20


class _Book:
    """The workbook's tabs, each parsed only when asked for: by python-calamine, opened then, or
    for a tab over :data:`STREAM_ABOVE` by the streaming reader.

    A tab is parsed from the file as it is then, so each parse checks afterwards that the
    tab's fingerprint is still the one the read listed: a workbook saved again in between
    stops the sync, which changes nothing, and the next sync reads it whole.
    """

    def __init__(self, path: Path, backup_dir: Path) -> None:
        self._path = path
        self._backup_dir = backup_dir
        self._book: CalamineWorkbook | None = None

    def parse(self, title: str, key: str | None, width: int | None = None) -> tuple[str, list[list[Any]]] | None:
        """The tab's name as the workbook spells it and its cells; None when there is no such tab.

        ``width``: how wide the tab's rows are, when the header kept under ``key`` says so.
        """
        found = self._streamed(title, width) or self._calamine(title)
        if found is not None and key is not None and self._fingerprint(title) != key:
            raise BackendBusy(f"{self._path.name} changed while syncing; the next sync picks up both.")
        return found

    def _fingerprint(self, title: str) -> str | None:
        return _listing(str(self._path))[1].get(normalize_header(title), (None, None))[1]

    def _streamed(self, title: str, width: int | None) -> tuple[str, list[list[Any]]] | None:
        """The tab read by the streaming reader when its part is over :data:`STREAM_ABOVE`; None
        otherwise, and when the stream cannot read it: rows out of order (calamine sorts them),
        or a damaged part, which calamine then names in its own words."""
        package, entries = _listing(str(self._path))
        entry = entries.get(normalize_header(title), (None, None))[0]
        if package is None or entry is None:
            return None
        try:
            if package.zip.getinfo(entry.part).file_size <= STREAM_ABOVE:
                return None
            return entry.title, list(SheetStream(package, entry.part).rows(width))
        except (ValueError, IndexError, KeyError, OSError, zipfile.BadZipFile, expat.ExpatError):
            return None

    def _calamine(self, title: str) -> tuple[str, list[list[Any]]] | None:
        if self._book is None:
            try:
                self._book = CalamineWorkbook.from_path(str(self._path))
            except Exception as exc:  # calamine raises its own error types per format problem
                raise BackendError(
                    f"Cannot read {self._path.name}: {exc}; it is damaged or not an Excel workbook: restore the "
                    f"last backup from {self._backup_dir} or save it again from Excel or LibreOffice as .xlsx"
                ) from None
        names = {normalize_header(n): n for n in self._book.sheet_names}
        name = names.get(normalize_header(title))
        if name is None:
            return None
        try:
            grid = self._book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as exc:  # calamine raises its own error types per damaged part
            raise BackendError(
                f"Cannot read the tab '{name}' of {self._path.name}: it is damaged ({exc}); restore the last "
                f"backup from {self._backup_dir} or save the workbook again from Excel or LibreOffice"
            ) from None
        return name, grid


def _listing(path: str) -> tuple[Package | None, dict[str, tuple[SheetEntry, str]]]:
    """The package, and each worksheet's entry and fingerprint by normalized title, from the
    workbook's own listing. A workbook that cannot be listed so is parsed by python-calamine
    alone, which says what is wrong with it; its tabs then have no fingerprint."""
    try:
        package = Package(path)
        return package, {normalize_header(e.title): (e, fingerprint(package, e)) for e in package.sheets()}
    except Exception:  # a damaged zip or part fails in the zip module or the XML parser, each its own way
        return None, {}


def _uncached(package: Package | None, part: str | None) -> frozenset[tuple[int, int]]:
    if package is None or part is None:
        return frozenset()
    try:
        return uncached_formulas(functools.partial(package.zip.open, part))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return frozenset()


def _parsed_rows(book: _Book, name: str, key: str, width: int) -> list[SheetRow]:
    found = book.parse(name, key, width)
    return _rows(found[1], width) if found is not None else []


def _rows(grid: list[list[Any]], width: int) -> list[SheetRow]:
    """Data rows numbered as Excel shows them (the header is row 1), padded to the header's width."""
    rows = []
    for n, values in enumerate(itertools.islice(grid, 1, None), start=2):
        if len(values) < width:
            values = [*values, *([""] * (width - len(values)))]
        rows.append(SheetRow(n, values, n))
    return rows
