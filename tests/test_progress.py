"""A spinner on stderr for long work: only at a terminal, only after a while, never with -s."""

from __future__ import annotations

import io
import time
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from clinicops.core import operations
from clinicops.core.cli import cli
from clinicops.core.progress import Progress


def terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=100), out


def test_long_work_at_a_terminal_shows_what_is_being_done(tmp_path: Path) -> None:
    practice = operations.init_practice(tmp_path / "clinic", name="Progress Clinic")
    console, out = terminal()
    with Progress(console=console, delay=0) as progress:
        time.sleep(0.2)
        operations.sync(practice, progress=progress)
        time.sleep(0.2)
    practice.close()
    shown = out.getvalue()
    assert "Reading clinic.xlsx" in shown or "Checking every row" in shown or "Writing back" in shown


def test_quick_work_shows_nothing(tmp_path: Path) -> None:
    console, out = terminal()
    with Progress(console=console, delay=5) as progress:
        progress.update("Reading clinic.xlsx…")
    assert out.getvalue() == ""


def test_nothing_is_shown_when_stderr_is_not_a_terminal() -> None:
    out = io.StringIO()
    with Progress(console=Console(file=out, force_terminal=False), delay=0) as progress:
        progress.update("Reading clinic.xlsx…")
        time.sleep(0.2)
    assert out.getvalue() == ""


def test_silent_shows_nothing_even_at_a_terminal() -> None:
    console, out = terminal()
    with Progress(enabled=False, console=console, delay=0) as progress:
        progress.update("Reading clinic.xlsx…")
        time.sleep(0.2)
    assert out.getvalue() == ""


def test_the_cli_keeps_stderr_clean_when_it_is_not_a_terminal(tmp_path: Path) -> None:
    operations.init_practice(tmp_path / "clinic", name="Progress Clinic").close()
    result = CliRunner().invoke(cli, ["sync", "-p", str(tmp_path / "clinic")])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
