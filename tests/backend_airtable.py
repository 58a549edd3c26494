"""The shared sync suite on Airtable: an emulated base, edited by staff through pyairtable.

The emulator enforces Airtable's 5 requests/s per base with its 30 s penalty, on a
virtual clock it shares with the base's token bucket: the backend (and the staff
driver, which is just another API client of the base) wait for their slots in virtual
time, so the suite runs at full speed and still never gets a 429.

``sort``: Airtable's API cannot move a record, and a grid view's sort is not part of the
order the API lists a table in. What a client can change is creation order, so the
driver re-enters the table sorted — deletes the records and creates them again with
every writable field (staff's own fields too), the way staff re-import a sorted CSV.
Record ids change; clinicops matches rows on the primary key, so nothing changes in the
store and nothing is written back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pyairtable import Api

from clinicops.connectors.airtable import pacing
from clinicops.connectors.airtable.config import make_api
from clinicops.connectors.base import normalize_header
from clinicops.connectors.emulators.airtable import AirtableEmulator, FakeClock

NAME = "airtable"
TOKEN = "patClinicopsSuite0001"
TOKEN_FILE = "airtable.token"
#: Field types Airtable computes; a client cannot write them.
COMPUTED = frozenset(
    {"createdTime", "lastModifiedTime", "formula", "autoNumber", "rollup", "count", "multipleLookupValues"}
)


class AirtableDriver:
    """A staff member working in the base, through the real pyairtable client."""

    def __init__(self, api: Api, base_id: str, emulator: AirtableEmulator) -> None:
        self.api = api
        self.base_id = base_id
        self.emulator = emulator

    def _schema(self, tab: str) -> dict[str, Any]:
        tables = self.api.get(self.api.base(self.base_id).urls.tables)["tables"]
        return next(t for t in tables if normalize_header(t["name"]) == normalize_header(tab))

    def _table(self, tab: str) -> Any:
        return self.api.table(self.base_id, self._schema(tab)["id"])

    def _records(self, tab: str) -> list[dict[str, Any]]:
        return self._table(tab).all()

    @staticmethod
    def _typed(row: dict[str, Any]) -> dict[str, Any]:
        """What a person types: dates as Airtable's editor stores them, blanks left blank."""
        out = {}
        for header, value in row.items():
            if value is None or value == "":
                continue
            out[header] = value.isoformat() if isinstance(value, dt.date) else value
        return out

    def rows(self, tab: str) -> list[dict[str, Any]]:
        names = [f["name"] for f in self._schema(tab)["fields"]]
        out = []
        for number, record in enumerate(self._records(tab), start=1):
            if record["fields"]:
                out.append({"_row": number, **{name: record["fields"].get(name) for name in names}})
        return out

    def append(self, tab: str, rows: list[dict[str, Any]]) -> None:
        self._table(tab).batch_create([self._typed(row) for row in rows], typecast=True)

    def _id_at(self, tab: str, row: int) -> str:
        return self._records(tab)[row - 1]["id"]

    def edit(self, tab: str, row: int, header: str, value: Any) -> None:
        typed = value.isoformat() if isinstance(value, dt.date) else value
        self._table(tab).update(self._id_at(tab, row), {header: typed}, typecast=True)

    def delete_row(self, tab: str, row: int) -> None:
        self._table(tab).delete(self._id_at(tab, row))

    def clear(self, tab: str) -> None:
        table = self._table(tab)
        table.batch_delete([r["id"] for r in table.all()])

    def sort(self, tab: str, header: str, reverse: bool = False) -> None:
        schema = self._schema(tab)
        writable = {f["name"] for f in schema["fields"] if f["type"] not in COMPUTED}
        table = self.api.table(self.base_id, schema["id"])
        records = table.all()
        records.sort(key=lambda r: str(r["fields"].get(header) or ""), reverse=reverse)
        table.batch_delete([r["id"] for r in records])
        table.batch_create(
            [{k: v for k, v in r["fields"].items() if k in writable} for r in records],
            typecast=True,
        )

    def rename_header(self, tab: str, old: str, new: str) -> None:
        """Rename a field through the Meta API."""
        schema = self._schema(tab)
        found = next(f for f in schema["fields"] if normalize_header(f["name"]) == normalize_header(old))
        url = f"{self.api.base(self.base_id).urls.tables}/{schema['id']}/fields/{found['id']}"
        self.api.request("PATCH", url, json={"name": new})

    def delete_column(self, tab: str, header: str) -> None:
        """Delete a field in the UI (the Web API cannot)."""
        self.emulator.delete_field(self.base_id, self._schema(tab)["id"], header)

    def move_column_first(self, tab: str, header: str) -> None:
        """A field's place is a view's column order, which the Web API neither shows nor changes:
        moving a column in the grid leaves every API answer as it was."""

    def add_column(self, tab: str, header: str, values: dict[int, Any]) -> None:
        schema = self._schema(tab)
        url = f"{self.api.base(self.base_id).urls.tables}/{schema['id']}/fields"
        self.api.request("POST", url, json={"name": header, "type": "singleLineText"})
        for row, value in values.items():
            self.edit(tab, row, header, value)

    def note(self, tab: str, row: int, header: str) -> str | None:
        """The record's Errors text when it names this column: what the person sees for the cell."""
        text = self._records(tab)[row - 1]["fields"].get("Errors") or ""
        if any(part.startswith(f"{header}: ") for part in text.split("; ")):
            return text
        return None

    def highlighted(self, tab: str, row: int, header: str) -> bool:
        return self.note(tab, row, header) is not None

    def fingerprint(self) -> Any:
        """Changes exactly when something wrote to the base: the count of answered writes."""
        return sum(
            1
            for entry in self.emulator.requests
            if entry.status == 200 and entry.method != "GET" and not entry.path.endswith("/listRecords")
        )


@contextmanager
def backend(folder: Path) -> Iterator[tuple[str, AirtableDriver]]:
    """An emulated account with one base, as new as Airtable makes it (one empty table)."""
    clock = FakeClock()
    with AirtableEmulator(clock=clock, tokens=[TOKEN]) as emulator:
        bucket = pacing.TokenBucket(clock=clock, sleep=clock.advance)
        api, _ = make_api(TOKEN, emulator.endpoint_url, bucket)
        created = api.post(
            api.urls.bases,
            json={
                "name": "Test Clinic",
                "workspaceId": "wspClinicSuite",
                "tables": [{"name": "Table 1", "fields": [{"name": "Name", "type": "singleLineText"}]}],
            },
        )
        base_id = created["id"]
        pacing.install(base_id, bucket)
        token = folder / TOKEN_FILE
        token.write_text(TOKEN)
        token.chmod(0o600)
        body = (
            f'type = "airtable"\nbase_id = "{base_id}"\ntoken_file = "{TOKEN_FILE}"\n'
            f'endpoint_url = "{emulator.endpoint_url}"'
        )
        try:
            yield body, AirtableDriver(api, base_id, emulator)
        finally:
            pacing.release(base_id)
