"""What every backend (workbook, Google Sheet, Airtable base) offers the sync engine.

The engine thinks in tables of rows and named columns; a connector turns that into its
backend's calls, batched to the backend's floor. Values cross this boundary as plain
Python cell values (str, int, float, bool, date, naive local datetime, None).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from clinicops.core.errors import ClinicopsError


class BackendError(ClinicopsError, RuntimeError):
    """A backend refused or failed; the message says what to do about it."""


class BackendBusy(BackendError):
    """The backend cannot be written now (a workbook open in Excel); try the next run."""


@dataclass(frozen=True)
class ColumnSpec:
    header: str
    field: str
    kind: str  # string, date, date-time, email, phone, money, integer, number, boolean, enum, list, npi, code
    options: tuple[str, ...] = ()
    plugin_owned: bool = False
    phi: bool = False
    required: bool = False
    text_format: bool = False  # an identifier or code: laid out as Text so that 02134 stays 02134
    choices_from: tuple[str, str] | None = None  # (tab, header): a reference column's drop-down offers these


@dataclass(frozen=True)
class SheetChart:
    """A native chart a backend draws on a tab clinicops owns, over that tab's own rows.

    The chart is a bar per row whose ``where_header`` cell holds ``where_value``: the row's
    ``label_header`` cell names the bar and its ``value_header`` cell is the bar's length,
    shown with ``number_format`` (an Excel format code such as ``0%``). The rows are found
    where they stand once the tab is written, so a chart follows its rows wherever they are.
    A backend that cannot draw charts (Airtable) leaves the table as it is.
    """

    title: str
    label_header: str
    value_header: str
    where_header: str
    where_value: str
    number_format: str = "General"


@dataclass(frozen=True)
class TableSpec:
    """How a tab (or Airtable table) for one entity should look; ``charts`` are drawn beside its rows."""

    entity: str
    title: str
    primary_key: str
    columns: tuple[ColumnSpec, ...]
    errors_header: str = "Errors"
    charts: tuple[SheetChart, ...] = ()

    def headers(self) -> list[str]:
        return [c.header for c in self.columns] + [self.errors_header]


@dataclass(slots=True)
class SheetRow:
    number: int  # the row as the user sees it (sheet row number; list position for Airtable)
    values: list[Any]  # padded to the header width; "" or None for empty
    ref: Any = None  # the backend's handle for this row (sheet row, Airtable record id)


class SheetTable:
    """One tab as read. ``digest`` (optional) fingerprints every cell of it, header included:
    when it matches the last sync and the store has not changed, the engine skips the tab
    without looking at a single row, so ``rows`` may be built lazily by ``make_rows``.
    ``other_headers``: columns the backend saw but did not read (Airtable lists only the
    fields it is asked for), so the engine can still bind a renamed one. ``find_uncached``
    finds :attr:`uncached` when it is first asked for, so a skipped tab never pays for it.
    """

    def __init__(
        self,
        title: str,
        header: list[str],
        rows: list[SheetRow] | None = None,
        *,
        make_rows: Callable[[], list[SheetRow]] | None = None,
        digest: str | None = None,
        other_headers: list[str] | None = None,
        find_uncached: Callable[[], frozenset[tuple[int, int]]] | None = None,
    ) -> None:
        self.title = title
        self.header = header
        self.other_headers = list(other_headers or [])
        self.digest = digest
        self._rows = rows
        self._make_rows = make_rows
        self._uncached: frozenset[tuple[int, int]] | None = None if find_uncached else frozenset()
        self._find_uncached = find_uncached

    @property
    def uncached(self) -> frozenset[tuple[int, int]]:
        """(row number, column index) of cells holding a formula with no computed value: they read as
        empty but are not; the sync reports them rather than take them for cleared cells."""
        if self._uncached is None:
            self._uncached = self._find_uncached() if self._find_uncached else frozenset()
        return self._uncached

    @uncached.setter
    def uncached(self, cells: frozenset[tuple[int, int]]) -> None:
        self._uncached = cells

    def release(self) -> None:
        """Drop the rows (keep title, header, digest) once they are no longer needed."""
        self._rows = None
        self._make_rows = None
        self._find_uncached = None

    @property
    def rows(self) -> list[SheetRow]:
        if self._rows is None:
            self._rows = self._make_rows() if self._make_rows else []
        return self._rows


@dataclass(frozen=True)
class Annotation:
    """An error to show on a cell: a note, a highlight."""

    row_ref: Any
    header: str
    message: str


@dataclass
class TableWrite:
    """Everything one sync changes in one table, applied in as few calls as the backend allows."""

    spec: TableSpec
    cells: list[tuple[Any, str, Any]] = field(default_factory=list)  # (row ref, header, value)
    appends: list[dict[str, Any]] = field(default_factory=list)  # header -> value
    deletes: list[Any] = field(default_factory=list)  # row refs
    annotations: list[Annotation] | None = None  # None: leave as they are; list: the full set now

    def is_empty(self) -> bool:
        return not (self.cells or self.appends or self.deletes or self.annotations is not None)


@dataclass
class WriteResult:
    appended_refs: dict[str, list[Any]] = field(default_factory=dict)  # entity -> refs in append order
    # entity -> the tab's ``SheetTable.digest`` as the backend now holds it, for tabs whose content after
    # the write the backend knows without reading them again: the next sync can then skip them unread.
    digests: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BackendSetup:
    """What a connector is given to open a practice's backend, and nothing more.

    ``settings`` is the practice's ``[backend]`` table without ``type``, already checked
    against the connector's ``settings_schema``. Relative paths in it are relative to ``root``.
    """

    settings: dict[str, Any]
    practice_name: str
    root: Path
    data_dir: Path
    timezone: ZoneInfo
    date_order: str = "MDY"
    keep_backups: int = 10

    def path(self, value: str, key: str = "path") -> Path:
        """A path from the settings: ``~`` expanded, relative to the practice folder.

        A relative path that climbs out of the practice folder (``../outside.xlsx``) is
        refused: a file elsewhere is named by an absolute path, on purpose.
        """
        p = Path(value).expanduser()
        if p.is_absolute():
            return p
        full = (self.root / p).resolve()
        if not full.is_relative_to(self.root.resolve()):
            raise BackendError(
                f"practice.toml: backend.{key}: '{value}' is outside the practice folder; "
                "give an absolute path to keep it elsewhere"
            )
        return self.root / p


class Backend(ABC):
    """A backend: where the staff's tables live. Connectors subclass this and are registered
    in the ``clinicops.backends`` entry-point group under the ``type`` a practice names.

    The capabilities the engine relies on are all here, with the defaults most backends want:
    ``row_ids_are_stable`` (a row ref is a lasting record id, as in Airtable),
    ``store_mark_is_local`` (the store's mark is read without a request), ``read_back``
    (what a read returns for a value written), ``stats`` (figures for ``sync --json``),
    ``check_writable`` and ``close``.
    """

    #: JSON Schema of the ``[backend]`` keys this connector reads (``type`` aside); others are refused.
    settings_schema: ClassVar[dict[str, Any]] = {"type": "object", "additionalProperties": False, "properties": {}}
    #: True when ``SheetRow.ref`` is a lasting record id rather than a row position.
    row_ids_are_stable: ClassVar[bool] = False
    #: True when ``store_mark`` costs no request (a local file): every finished sync then checks
    #: the mark is still there, so a file replaced under the same name is marked again.
    store_mark_is_local: ClassVar[bool] = False

    key: str  # stable identity, for the sync base: "xlsx:/path/clinic.xlsx"
    requests: int  # backend calls made so far (an attribute or a property)

    @classmethod
    @abstractmethod
    def open(cls, setup: BackendSetup) -> Backend:
        """The practice's backend, ready to read; nothing need be requested yet."""

    @abstractmethod
    def ensure_layout(self, specs: list[TableSpec]) -> None:
        """Create missing tabs and columns (with headers, drop-downs, protection); never drop any."""

    @abstractmethod
    def read(self, specs: list[TableSpec]) -> dict[str, SheetTable | None]:
        """Every table in as few calls as possible; None for a table that does not exist."""

    @abstractmethod
    def write(self, writes: list[TableWrite], force: bool = False) -> WriteResult:
        """Apply all changes; atomic where the backend allows. ``force``: lay out even when nothing changes."""

    def list_tables(self) -> dict[str, list[str]]:
        """Every table the backend holds, whether clinicops knows it or not: title -> the field names
        the backend lists for it (empty where only a read finds the header). ``clinicops adopt`` starts here."""
        raise BackendError(f"clinicops cannot list the tables of a {self.key.split(':', 1)[0]} backend")

    def check_writable(self) -> None:
        """Raise BackendBusy when a write now would lose someone's work (nothing to check by default)."""
        return None

    def tidy(self) -> None:
        """Remove what an interrupted sync may have left behind; called only by a sync holding its lock."""
        return None

    def store_mark(self) -> str | None:
        """The identity of the store this backend was last synced with, as the backend keeps it in a
        place clinicops owns; None when there is none, or the backend keeps none."""
        return None

    def mark_store(self, identity: str) -> bool:
        """Keep the store's ``identity`` in that place (see :mod:`clinicops.core.store_identity`);
        False when the backend keeps none, or cannot write it now (the next sync tries again)."""
        return False

    def read_back(self, value: Any) -> Any:
        """What a read returns for ``value`` once written (a date may come back as a serial number)."""
        return value

    def stats(self) -> dict[str, Any]:
        """Figures for ``sync --json`` (requests by kind, rate-limit waits…)."""
        return {}

    def close(self) -> None:
        """Release what the backend holds (sessions, files); called once the work is done."""
        return None


def normalize_header(text: Any) -> str:
    """Headers match whatever the case or spacing staff gave them."""
    return " ".join(str(text or "").split()).casefold()
