"""The emulators' commands, added to ``clinicops`` through the ``clinicops.tools`` entry-point group.

- ``clinicops emulator sheets|airtable``: a loopback emulator in the foreground, for any client;
- ``clinicops demo --backend gsheets|airtable``: the demo clinic on a spreadsheet or base of an
  emulator started inside the command. The demo is a practice of its own (its own folder and
  store); the emulated sheets go when the command ends.

The product never imports this package: the core finds these commands only as a tool.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from clinicops.connectors.airtable import pacing
from clinicops.connectors.airtable.config import make_api
from clinicops.connectors.gsheets.endpoint import session_for

from .airtable import AirtableEmulator, FakeClock
from .sheets import SheetsEmulator

BACKENDS = ("xlsx", "gsheets", "airtable")
SHEETS_API = "https://sheets.googleapis.com/v4/spreadsheets"
DEMO_TOKEN_FILE = "airtable-demo.token"
DEMO_TOKEN = "patClinicopsDemo.emulated"


def register_commands(cli: click.Group) -> None:
    """Add ``emulator``, and ``--backend`` to the core's ``demo`` (once, however often called)."""
    cli.add_command(emulator)
    demo = cli.commands.get("demo")
    if demo is not None and not any(p.name == "backend" for p in demo.params):
        cli.add_command(demo_with_backends(demo))


@click.command()
@click.argument("service", type=click.Choice(["sheets", "airtable"]))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback only).")
@click.option("--port", default=0, type=int, help="Port (default: a free one).")
def emulator(service: str, host: str, port: int) -> None:
    """Run a loopback emulator of the Google Sheets or Airtable API in the foreground.

    The first line printed is its base URL; point gspread, pyairtable or curl at it.

    Example: clinicops emulator sheets --port 8085
    """
    if service == "sheets":
        from .sheets import serve
    else:
        from .airtable import serve
    serve(host, port)


def demo_with_backends(demo: click.Command) -> click.Command:
    """The core's ``demo`` with ``--backend``: the workbook as before, or an emulated sheet or base."""
    choice = click.Option(
        ["--backend"],
        type=click.Choice(BACKENDS),
        default="xlsx",
        show_default=True,
        help="gsheets or airtable: run the demo on an emulator inside this command (gone when it ends).",
    )

    def run(path: Path, today: dt.datetime | None, backend: str, as_json: bool, silent: bool) -> None:
        from clinicops.core.cli import friendly, run_demo

        if backend == "xlsx":
            assert demo.callback is not None
            demo.callback(path=path, today=today, as_json=as_json, silent=silent)
            return
        with emulated(backend, path) as table:
            friendly(run_demo)(path, today.date() if today else None, as_json, silent, backend=table)

    help_text = (demo.help or "") + "\n\nWith --backend gsheets or airtable the demo runs on a loopback emulator."
    return click.Command(
        "demo", params=[*demo.params, choice], callback=run, help=help_text, context_settings=demo.context_settings
    )


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
