"""The Airtable backend: a base's tables read 100 records a request, written 10 at a time.

Requests per sync are the floor: for each table ``ceil(n/100)`` list requests (at least
one), asking only for clinicops's own fields; then ``ceil(k/10)`` writes for ``k``
changed records. No schema request is made when the base is laid out as clinicops left
it: listings name their fields, and only a listing that fails on a missing table or
field costs one ``GET /v0/meta/bases/{id}/tables`` to find out what is there.

Writes per table, in this order:

- deletes, 10 record ids a ``DELETE``;
- updates by record id with ``PATCH`` (never ``PUT``), so fields outside the schema —
  those staff add for their own use — are never sent and never cleared;
- creates with ``POST``. When a table has both, the partial batch of updates and the
  first creates share one ``PATCH`` with ``performUpsert`` on the primary key (the engine
  never appends a key that is already in the table), which saves a request: updates plus
  creates cost ``ceil((u + c)/10)``, not ``ceil(u/10) + ceil(c/10)``.

Every write carries ``typecast`` so that a value the select's choices lack (a schema
that gained an enum value, which the Meta API cannot add to a field) is added by Airtable
instead of failing the batch. A batch is all-or-nothing at Airtable; a failure stops the
write, and because the engine moves its sync base only after ``write`` returns, the next
sync sends what is missing.

Rows: ``SheetRow.ref`` is the Airtable record id (``row_ids_are_stable``), so a record
moved in the grid is the same record and the engine keeps its id per backend. Records are
listed without a view — a view's filter must never make records look deleted — so
``SheetRow.number`` is the record's 1-based position in the table's own order (as the
API lists it and a fresh grid view shows it: creation order); the Errors field on the
record is what staff look at, the number is a pointer.

Annotations: Airtable's API has no cell notes or cell colours, and record comments would
cost one request per record and pile up in each record's history. The engine already
writes every problem, prefixed with its column, into the record's Errors field (a normal
``multilineText`` column), so annotations need nothing more here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import requests
from pyairtable import Api
from pyairtable.api.table import Table

from clinicops.connectors.base import (
    Backend,
    BackendError,
    BackendSetup,
    ColumnSpec,
    SheetRow,
    SheetTable,
    TableSpec,
    TableWrite,
    WriteResult,
    normalize_header,
)

from . import fields, layout, pacing, store_mark
from .config import DEFAULT_ENDPOINT, SETTINGS_SCHEMA, base_id_of, endpoint_of, make_api
from .credentials import read_token
from .layout import Layout
from .transport import PacedSession

PAGE_SIZE = 100
BATCH = 10


class AirtableBackend(Backend):
    """One Airtable base, reached through pyairtable with a paced session."""

    settings_schema: ClassVar[dict[str, Any]] = SETTINGS_SCHEMA
    row_ids_are_stable: ClassVar[bool] = True

    def __init__(
        self, api: Api, session: PacedSession, base_id: str, style: fields.Style, *, key: str | None = None
    ) -> None:
        self.api = api
        self.session = session
        self.base_id = base_id
        self.style = style
        self.key = key or f"airtable:{base_id}"
        self._tables: list[dict[str, Any]] | None = None
        self._layouts: dict[str, Layout] = {}
        self._complete: set[str] = set()
        self._specs: dict[str, TableSpec] = {}
        self._records_read = 0
        self._records_written = 0

    @classmethod
    def open(cls, setup: BackendSetup) -> AirtableBackend:
        """The practice's base (see :mod:`.config` for the settings); nothing is requested yet."""
        base_id = base_id_of(setup.settings)
        endpoint = endpoint_of(str(setup.settings.get("endpoint_url", DEFAULT_ENDPOINT)))
        token = read_token(setup.settings, setup.root)
        api, session = make_api(token, endpoint, pacing.shared_bucket(base_id), base_id)
        return cls(api, session, base_id, fields.Style(zone=setup.timezone, date_order=setup.date_order))

    @property
    def requests(self) -> int:
        return self.session.stats.requests

    def stats(self) -> dict[str, Any]:
        """Figures for ``sync --json``: requests by kind, 429s received, time waited on the limit."""
        return {
            **self.session.stats.as_dict(),
            "records_read": self._records_read,
            "records_written": self._records_written,
        }

    def read_back(self, value: Any) -> Any:
        return fields.read_back(value, self.style.zone)

    def list_tables(self) -> dict[str, list[str]]:
        """Every table of the base with its fields (one Meta API request): listings name only the fields asked for."""
        return {t["name"]: [f["name"] for f in t["fields"]] for t in self._schema(refresh=True)}

    def check_writable(self) -> None:
        """Airtable merges edits per field and has no lock to respect; PATCH touches only our cells."""

    # layout ------------------------------------------------------------------

    def ensure_layout(self, specs: list[TableSpec]) -> None:
        """Create missing tables and fields (``clinicops init``); never drops or retypes any."""
        self._schema(refresh=True)
        self._complete.clear()
        self._specs = {spec.entity: spec for spec in specs}
        for spec in specs:
            self._ready(spec)

    def _schema(self, refresh: bool = False) -> list[dict[str, Any]]:
        if self._tables is None or refresh:
            with _reporting("read the base's tables", self.base_id):
                self._tables = layout.fetch_tables(self.api, self.base_id)
        return self._tables

    def _ready(self, spec: TableSpec) -> Layout:
        """The table's layout, creating the table or fields it lacks."""
        if spec.entity in self._complete:
            return self._layouts[spec.entity]
        tables = self._schema()
        with _reporting(f"lay out '{spec.title}'", self.base_id):
            found = layout.ensure(self.api, self.base_id, spec, tables, self.style)
        self._layouts[spec.entity] = found
        self._complete.add(spec.entity)
        return found

    # the store's mark --------------------------------------------------------

    def store_mark(self) -> str | None:
        """The mark in an Errors field's description (see :mod:`.store_mark`): the base's schema, one
        Meta API request unless this sync has already asked for it."""
        return store_mark.found(self._schema())

    def mark_store(self, identity: str) -> bool:
        """Mark the Errors field of every table this sync read."""
        schema = self._schema()
        tables = {**{t["name"]: t for t in schema}, **{t["id"]: t for t in schema}}  # a layout names either
        marked = []
        with _reporting("mark the base with the store's identity", self.base_id):
            for entity, found in self._layouts.items():
                table, spec = tables.get(found.table or ""), self._specs.get(entity)
                if table is not None and spec is not None:
                    errors = found.name_of(spec.errors_header)
                    marked.append(store_mark.write(self.api, self.base_id, table, errors, identity))
        done = any(marked)
        return done

    # reading -----------------------------------------------------------------

    def read(self, specs: list[TableSpec]) -> dict[str, SheetTable | None]:
        self._tables = None  # what a previous read learnt of the schema may be stale now
        self._specs = {spec.entity: spec for spec in specs}
        return {spec.entity: self._read_table(spec) for spec in specs}

    def _read_table(self, spec: TableSpec) -> SheetTable | None:
        found = self._layouts.get(spec.entity)
        if found is None or not found.complete(spec):  # a column bound since the last read: look again
            found = layout.assumed(spec)
        action = f"read '{spec.title}'"
        try:
            with _reporting(action, self.base_id, passing=(404, 422)):
                records = self._list(found, spec)
        except requests.HTTPError:
            found = layout.resolve(spec, self._schema())
            self._layouts[spec.entity] = found
            if found.table is None:
                return None
            with _reporting(action, self.base_id):
                records = self._list(found, spec)
        self._layouts[spec.entity] = found
        if found.complete(spec):
            self._complete.add(spec.entity)
        else:
            self._complete.discard(spec.entity)
        header = found.header(spec)
        by_header = _columns(spec)
        cells = [(name, by_header.get(normalize_header(name))) for name in header]
        rows = [
            SheetRow(number, [fields.decode(record["fields"].get(name), c) for name, c in cells], record["id"])
            for number, record in enumerate(records, start=1)
        ]
        self._records_read += len(rows)
        # Record ids are part of what the engine sees: a re-created record is a change.
        seen = repr([header, *((r.ref, r.values) for r in rows)])
        digest = hashlib.md5(seen.encode("utf-8"), usedforsecurity=False).hexdigest()
        return SheetTable(title=found.title, header=header, rows=rows, digest=digest, other_headers=found.others)

    def _list(self, found: Layout, spec: TableSpec) -> list[dict[str, Any]]:
        assert found.table is not None
        table = self.api.table(self.base_id, found.table)
        return table.all(fields=found.header(spec), page_size=PAGE_SIZE)

    # writing -----------------------------------------------------------------

    def write(self, writes: list[TableWrite], force: bool = False) -> WriteResult:
        """Apply every table's changes; ``force`` changes nothing here (an unchanged base needs no write)."""
        result = WriteResult()
        for tw in writes:
            found = self._ready(tw.spec)
            with _reporting(f"write to '{tw.spec.title}'", self.base_id):
                refs = self._write_table(tw, found)
            if tw.appends:
                result.appended_refs[tw.spec.entity] = refs
        return result

    def _write_table(self, tw: TableWrite, found: Layout) -> list[str]:
        """Deletes, then updates and creates; the created record ids in append order."""
        assert found.table is not None
        table = self.api.table(self.base_id, found.table)
        deletes = list(dict.fromkeys(tw.deletes))
        for chunk in _chunks(deletes, BATCH):
            table.batch_delete(chunk)
            self._records_written += len(chunk)
        grouped: dict[Any, list[tuple[str, Any]]] = {}
        for ref, header, value in tw.cells:
            grouped.setdefault(ref, []).append((header, value))
        updates = [{"id": ref, "fields": self._fields(tw.spec, cells, found)} for ref, cells in grouped.items()]
        creates = [self._fields(tw.spec, values.items(), found, drop_empty=True) for values in tw.appends]
        return self._send(table, found.name_of(_pk_header(tw.spec)), updates, creates)

    def _fields(
        self, spec: TableSpec, cells: Iterable[tuple[str, Any]], found: Layout, *, drop_empty: bool = False
    ) -> dict[str, Any]:
        columns = _columns(spec)
        out = {
            found.name_of(header): fields.encode(value, columns.get(normalize_header(header)), self.style.zone)
            for header, value in cells
        }
        return {k: v for k, v in out.items() if v is not None} if drop_empty else out

    def _send(self, table: Table, key: str, updates: list[dict[str, Any]], creates: list[dict[str, Any]]) -> list[str]:
        """Updates and creates in ``ceil((u + c)/10)`` requests; the created ids in order."""
        whole = len(updates) - len(updates) % BATCH
        for chunk in _chunks(updates[:whole], BATCH):
            table.batch_update(chunk, typecast=True)
            self._records_written += len(chunk)
        rest = updates[whole:]
        shared = creates[: BATCH - len(rest)] if rest else []
        created: list[str] = []
        if shared and all(key in each for each in shared):
            records = [*rest, *({"fields": each} for each in shared)]
            answer = table.batch_upsert(records, key_fields=[key], typecast=True)
            created.extend(record["id"] for record in answer["records"][len(rest) :])
            self._records_written += len(records)
            creates = creates[len(shared) :]
        elif rest:
            table.batch_update(rest, typecast=True)
            self._records_written += len(rest)
        for chunk in _chunks(creates, BATCH):
            created.extend(record["id"] for record in table.batch_create(chunk, typecast=True))
            self._records_written += len(chunk)
        return created


@contextmanager
def _reporting(action: str, base_id: str | None, passing: tuple[int, ...] = ()) -> Iterator[None]:
    """HTTP failures become a sentence a person can act on (statuses in ``passing`` go through)."""
    try:
        yield
    except requests.HTTPError as exc:
        if _status(exc) in passing:
            raise
        raise _translate(exc, action, base_id) from None
    except requests.RequestException as exc:
        raise BackendError(
            f"Cannot reach Airtable to {action} ({type(exc).__name__}); nothing was lost — sync again "
            "when the connection is back"
        ) from None


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _columns(spec: TableSpec) -> dict[str, ColumnSpec]:
    """A spec's columns by normalized header (the Errors column is not one)."""
    return {normalize_header(c.header): c for c in spec.columns}


def _pk_header(spec: TableSpec) -> str:
    return next((c.header for c in spec.columns if c.field == spec.primary_key), spec.columns[0].header)


def _status(exc: requests.HTTPError) -> int:
    return exc.response.status_code if exc.response is not None else 0


def _error_of(exc: requests.HTTPError) -> tuple[str, str]:
    try:
        body = exc.response.json()["error"] if exc.response is not None else {}
    except (ValueError, KeyError, TypeError):
        body = {}
    if isinstance(body, str):
        return body, ""
    return str(body.get("type", "")), str(body.get("message", ""))


def _translate(exc: requests.HTTPError, action: str, base_id: str | None) -> BackendError:
    status = _status(exc)
    kind, message = _error_of(exc)
    detail = f"{status} {kind}".strip() + (f": {message}" if message else "")
    if status == 401:
        return BackendError(
            f"Airtable refused the token ({detail}); check the token that practice.toml's backend.token_env "
            "or backend.token_file points at"
        )
    if status == 403:
        return BackendError(
            f"Airtable base {base_id} does not exist or the token may not use it ({detail}); check backend.base_id "
            "and give the token access to the base with the data.records and schema.bases scopes"
        )
    if status == 429:
        return BackendError(
            f"Airtable kept refusing requests for its rate limit while trying to {action} ({detail}); another "
            "program is using this base's quota. Nothing was lost; sync again in a minute"
        )
    if status >= 500:
        return BackendError(
            f"Airtable is not answering ({detail}) after several tries to {action}; nothing was lost — sync again later"
        )
    return BackendError(f"Airtable refused to {action} ({detail}); the next sync sends whatever is missing")
