"""``GSheetsBackend``: the sync engine's reads and writes as Google Sheets API calls.

A read is one ``values:batchGet`` for every tab, plus the metadata read when some cells
need a closer look (a formula, an error note) — see :mod:`.state`. A write is one
``spreadsheets:batchUpdate`` and one values ``batchUpdate`` (RAW) — see :mod:`.plan`;
the metadata read happens there instead when the read did not need it but the write
needs tab ids. A sync with nothing to change writes nothing.
"""

from __future__ import annotations

import random
import re
from typing import Any, ClassVar

from clinicops.connectors.base import (
    Backend,
    BackendError,
    BackendSetup,
    SheetTable,
    TableSpec,
    TableWrite,
    WriteResult,
    normalize_header,
)

from .after_write import digests_after
from .api import SheetsApi
from .credentials import key_path, load_key
from .endpoint import gspread_client
from .plan import batch_requests, needs_structure, plan_writes, value_requests
from .retry import RangeNotFound, RetryPolicy
from .state import METADATA_FIELDS, METADATA_WITH_CELLS, Tab, apply_metadata, row_ranges, rows_to_check, sheet_table
from .values import quote_title, title_of, to_cell

_ID_IN_URL = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")
_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def spreadsheet_id(settings: dict[str, Any]) -> str:
    """``backend.spreadsheet_id``: the id, or the sheet's whole address pasted in."""
    raw = str(settings.get("spreadsheet_id") or "").strip()
    found = _ID_IN_URL.search(raw)
    sid = found.group(1) if found else raw
    if not _ID.match(sid):
        raise BackendError(
            "Set backend.spreadsheet_id in practice.toml to the spreadsheet's id (the long text between "
            "/d/ and /edit in its address), or run 'clinicops demo --backend gsheets' to try a local emulator."
        )
    return sid


#: The developer metadata key of the store's mark (see :mod:`clinicops.core.store_identity`).
MARK_KEY = "clinicops.store"


class GSheetsBackend(Backend):
    """One Google spreadsheet, one tab per entity."""

    settings_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "spreadsheet_id": {"type": "string", "description": "The spreadsheet's id, or its whole address."},
            "credentials_file": {"type": "string", "minLength": 1, "description": "The service account key's path."},
            "credentials_env": {"type": "string", "minLength": 1, "description": "A variable holding that path."},
            "endpoint_url": {"type": "string", "description": "Another API root, e.g. a loopback emulator."},
        },
    }

    def __init__(self, api: SheetsApi, key: str) -> None:
        self.api = api
        self.key = key
        self._tabs: dict[str, Tab] | None = None
        self._have_ids = False
        self._random = random.Random()

    @classmethod
    def open(cls, setup: BackendSetup, *, retry: RetryPolicy | None = None) -> GSheetsBackend:
        """The practice's spreadsheet, through Google or the ``endpoint_url`` the settings name."""
        sid = spreadsheet_id(setup.settings)
        endpoint = str(setup.settings.get("endpoint_url") or "").rstrip("/")
        if endpoint:
            return cls(SheetsApi(gspread_client(endpoint), sid, retry=retry), f"gsheets:{endpoint}/{sid}")
        account = load_key(key_path(setup))
        return cls(SheetsApi(account.client(), sid, account.email, retry), f"gsheets:{sid}")

    @property
    def requests(self) -> int:
        """HTTP requests sent so far, every retry included."""
        return self.api.requests

    def list_tables(self) -> dict[str, list[str]]:
        """Every tab of the spreadsheet (one metadata read); headers come from the read."""
        meta = self.api.metadata(METADATA_FIELDS)
        return {s["properties"]["title"]: [] for s in meta.get("sheets", [])}

    def check_writable(self) -> None:
        """Nothing to check: Sheets has no lock file, and every write names its exact cells."""

    def read_back(self, value: Any) -> Any:
        """What a read returns for a value written: values go RAW, so exactly what is sent."""
        return to_cell(value)

    def stats(self) -> dict[str, Any]:
        """Requests by kind, retries and bytes, for ``sync --json``."""
        return self.api.stats()

    # the store's mark --------------------------------------------------------

    def store_mark(self) -> str | None:
        """The store identity kept as the spreadsheet's developer metadata (one metadata read).

        Developer metadata is the API's place for what an application keeps about a
        spreadsheet: staff never see it in the editor and it survives every edit of the tabs.
        https://developers.google.com/sheets/api/guides/metadata
        """
        found = self.api.metadata("developerMetadata").get("developerMetadata", [])
        return next((m.get("metadataValue") for m in found if m.get("metadataKey") == MARK_KEY), None)

    def mark_store(self, identity: str) -> bool:
        """Replace the mark in one batchUpdate: the old one deleted, the store's identity added."""
        lookup = {"dataFilter": {"developerMetadataLookup": {"metadataKey": MARK_KEY}}}
        made = {"metadataKey": MARK_KEY, "metadataValue": identity, "location": {"spreadsheet": True}}
        self.api.batch_update(
            [
                {"deleteDeveloperMetadata": lookup},
                {"createDeveloperMetadata": {"developerMetadata": {**made, "visibility": "DOCUMENT"}}},
            ],
            safe_to_repeat=True,
        )
        return True

    # reading -----------------------------------------------------------------

    def read(self, specs: list[TableSpec]) -> dict[str, SheetTable | None]:
        """Every tab in one ``values:batchGet`` (plus the metadata read when cells need a look)."""
        tabs = self._load(specs)
        out: dict[str, SheetTable | None] = {}
        for spec in specs:
            tab = tabs.get(normalize_header(spec.title))
            out[spec.entity] = None if tab is None else sheet_table(tab, spec)
        return out

    def _load(self, specs: list[TableSpec]) -> dict[str, Tab]:
        """Values first, by the tabs' expected titles; the metadata read only if it is needed now.

        A missing tab makes the batchGet fail as a whole (400); only then are the tabs listed
        and the existing ones read, so a laid-out spreadsheet never pays for the listing.
        """
        tabs: dict[str, Tab] = {}
        have_ids = False
        try:
            self._values(specs, tabs)
        except RangeNotFound:
            tabs = apply_metadata({}, self.api.metadata(METADATA_FIELDS))
            have_ids = True
            present = [s for s in specs if normalize_header(s.title) in tabs]
            if present:
                self._values(present, tabs)
        ranges: list[str] = []
        needed = False
        for spec in specs:
            tab = tabs.get(normalize_header(spec.title))
            if tab is None:
                continue
            rows = rows_to_check(tab, spec)
            needed = needed or len(rows) > 1
            if have_ids:
                rows.discard(1)
            if rows:
                ranges.extend(row_ranges(tab.title, rows))
        if needed:
            apply_metadata(tabs, self.api.metadata(METADATA_WITH_CELLS, ranges))
            have_ids = True
        self._tabs, self._have_ids = tabs, have_ids
        return tabs

    def _values(self, specs: list[TableSpec], tabs: dict[str, Tab]) -> None:
        """Every tab's values in one ``values:batchGet``, by the tab titles known or the spec's."""
        keys = [normalize_header(s.title) for s in specs]
        titles = [tabs[k].title if k in tabs else s.title for k, s in zip(keys, specs, strict=True)]
        answers = self.api.values_batch_get([quote_title(t) for t in titles])
        for key, answer in zip(keys, answers, strict=True):
            tab = tabs.setdefault(key, Tab(title_of(str(answer.get("range", "")))))
            tab.values = list(answer.get("values", []))

    # writing -----------------------------------------------------------------

    def ensure_layout(self, specs: list[TableSpec]) -> None:
        """Create missing tabs and columns with their look, and restore a missing protection."""
        self.write([TableWrite(spec=s) for s in specs], force=True)

    def write(self, writes: list[TableWrite], force: bool = False) -> WriteResult:
        """The structural ``batchUpdate``, then the values ``batchUpdate``; nothing if nothing changes.

        Positions are those of the last read, so a write consumes it: a further write reads again.
        """
        tabs = self._tabs if self._tabs is not None else self._load([tw.spec for tw in writes])
        if not self._have_ids and needs_structure(tabs, writes, force):
            heads = [f"{quote_title(t.title)}!A1" for t in tabs.values()]
            apply_metadata(tabs, self.api.metadata(METADATA_FIELDS, heads))
            self._have_ids = True
        taken = {t.sheet_id for t in tabs.values()}
        plan = plan_writes(
            tabs,
            writes,
            force=force,
            new_sheet_id=lambda: self._new_sheet_id(taken),
        )
        self._tabs, self._have_ids = None, False
        for batch in batch_requests(plan):
            self.api.batch_update(batch, safe_to_repeat=not any("deleteDimension" in r for r in batch))
        for data in value_requests(plan):
            self.api.values_batch_update(data)
        return WriteResult(appended_refs=plan.appended, digests=digests_after(tabs, writes, plan))

    def _new_sheet_id(self, taken: set[int]) -> int:
        while True:
            candidate = self._random.randrange(1, 2**31 - 1)
            if candidate not in taken:
                taken.add(candidate)
                return candidate
