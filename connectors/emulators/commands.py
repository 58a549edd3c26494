"""The emulators' commands, added to ``clinicops`` through the ``clinicops.tools`` entry-point group.

- ``clinicops emulator sheets|airtable``: a loopback emulator in the foreground, for any client;
- ``clinicops demo --backend gsheets|airtable``: the demo clinic on a spreadsheet or base of an
  emulator started inside the command. The demo is a practice of its own (its own folder and
  store); the emulated sheets go when the command ends.

The product never imports this package: the core finds these commands only as a tool. Every
``clinicops`` command loads this module, so the emulators themselves are imported only by the
commands that run one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

BACKENDS = ("xlsx", "gsheets", "airtable")


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

        from .demo import emulated

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
