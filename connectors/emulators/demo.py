"""The demo clinic's backend on an emulator that lives for one command (``clinicops demo --backend``).

The emulator runs in this process; the demo practice's ``[backend]`` points at it through
``endpoint_url``, so the sync takes the same path as any practice's. The Airtable base is
paced on the emulator's virtual clock: the demo shows Airtable's waits without spending them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from clinicops.connectors.airtable import pacing
from clinicops.connectors.airtable.config import make_api
from clinicops.connectors.gsheets.endpoint import session_for

from .airtable import AirtableEmulator, FakeClock
from .sheets import SheetsEmulator

SHEETS_API = "https://sheets.googleapis.com/v4/spreadsheets"
DEMO_TOKEN_FILE = "airtable-demo.token"
DEMO_TOKEN = "patClinicopsDemo.emulated"


@contextmanager
def emulated(backend: str, folder: Path) -> Iterator[dict[str, Any]]:
    """An emulator of ``backend`` for the life of the block, and the ``[backend]`` table that reaches it."""
    if backend == "gsheets":
        with SheetsEmulator() as emu:
            yield {"type": "gsheets", "spreadsheet_id": new_spreadsheet(emu.base_url), "endpoint_url": emu.base_url}
        return
    clock = FakeClock()
    with AirtableEmulator(clock=clock) as emu:
        base_id = new_base(emu.endpoint_url, pacing.TokenBucket(clock=clock, sleep=clock.advance))
        folder.mkdir(parents=True, exist_ok=True)
        token = folder / DEMO_TOKEN_FILE
        token.write_text(DEMO_TOKEN, encoding="utf-8")
        token.chmod(0o600)
        try:
            yield {
                "type": "airtable",
                "base_id": base_id,
                "token_file": DEMO_TOKEN_FILE,
                "endpoint_url": emu.endpoint_url,
            }
        finally:
            pacing.release(base_id)


def new_spreadsheet(base_url: str) -> str:
    """A new spreadsheet through ``POST /v4/spreadsheets``, as Google creates them."""
    answer = session_for(base_url).post(SHEETS_API, json={"properties": {"title": "Demo clinic"}}, timeout=30)
    answer.raise_for_status()
    return str(answer.json()["spreadsheetId"])


def new_base(endpoint_url: str, bucket: pacing.TokenBucket) -> str:
    """A new base, paced on the emulator's virtual clock: the demo shows Airtable's waits without spending them."""
    api, _ = make_api(DEMO_TOKEN, endpoint_url, bucket)
    body = {
        "name": "Demo clinic",
        "workspaceId": "wspClinicopsDemo",
        "tables": [{"name": "About this demo", "fields": [{"name": "Name", "type": "singleLineText"}]}],
    }
    base_id = str(api.post(api.urls.bases, json=body)["id"])
    pacing.install(base_id, bucket)
    return base_id
