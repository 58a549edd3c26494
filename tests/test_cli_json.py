"""``--json`` on every command that reports, and always exactly one JSON object.

The whole command tree is walked: the core's commands, every installed plugin's (the
demo practice with every plugin enabled) and the installed tools'. Each command that
reports must take ``--json``, and a representative run of it on that practice must print
one JSON object on standard output, nothing else. A command that does not report is
listed in :data:`DOES_NOT_REPORT` with the reason; a new command is in neither list
until someone decides, so adding one without ``--json`` fails here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import click
import pluggy
import pytest
from click.testing import CliRunner

from clinicops.core import hookspecs
from clinicops.core.cli import add_tool_commands, cli
from clinicops.core.plugin_manager import GROUP, available_plugins, loadable_plugins
from clinicops.core.practice import Practice

from .office_workbook import office_tabs, write_workbook

DEMO_DAY = "2026-11-23"

#: Commands that print no report, each with why.
DOES_NOT_REPORT = {
    "run": "runs the schedule in the foreground until stopped; it logs, it does not report",
    "worker": "a Celery worker serving the fleet until stopped; it logs (--log-json), it does not report",
    "beat": "enqueues the fleet's due work every tick until stopped; it logs, it does not report",
    "emulator": "serves an emulated Google Sheets or Airtable API until stopped (a test tool)",
}

#: Reporting commands that need the fleet extras and PostgreSQL or Redis: their --json is checked
#: here, and their one object where they run (tests/test_fleet.py, tests/test_store_migrations.py,
#: tests/test_store_copy.py).
WITH_SERVICES = {"fleet add", "fleet list", "fleet remove", "fleet status", "store migrate", "store copy"}

#: A representative run of each reporting command: its arguments after the command's own
#: path, with {practice} the demo practice and {tmp} a scratch folder; and the exit codes it may end with.
RUNS: dict[str, tuple[list[str], tuple[int, ...]]] = {
    "adopt": (["{tmp}/front-desk.xlsx"], (0,)),
    "alerts": (["-p", "{practice}", "--open"], (0,)),
    "audit export": (["-p", "{practice}", "-o", "{tmp}/offsite"], (0,)),
    "audit report": (["-p", "{practice}", "--from", "2026-01-01", "--to", "2027-12-31", "--actor", "sync"], (0,)),
    "audit verify": (["-p", "{practice}"], (0,)),
    "demo": (["{tmp}/another-demo", "--today", DEMO_DAY, "--silent"], (0,)),
    "disclosures accounting": (["P000001", "-p", "{practice}"], (0,)),
    "history": (["patient", "P000001", "-p", "{practice}"], (0,)),
    "init": (["{tmp}/new-practice", "--name", "Elm Clinic"], (0,)),
    "plugins": (["-p", "{practice}"], (0,)),
    "reminders list": (["-p", "{practice}", "--days", "400"], (0,)),
    "reminders resolve": (["{reminder}", "--sent", "-p", "{practice}"], (0,)),
    "report": (["-p", "{practice}", "--out", "{tmp}/report.html"], (0,)),
    "restore": (["patient", "P000001", "--version", "1", "-p", "{practice}"], (0,)),
    "schedule": (["-p", "{practice}"], (0,)),
    "sms replies": (["-p", "{practice}", "--days", "400"], (0,)),
    "status": (["-p", "{practice}", "--full"], (0,)),
    "sync": (["-p", "{practice}", "--silent"], (0,)),
    "validate": (["-p", "{practice}"], (0, 1)),  # 1: the demo keeps a few bad cells on purpose
}


def every_command() -> click.Group:
    """``clinicops`` as ``main()`` builds it with every installed plugin and tool loaded, on a copy of the group."""
    group = click.Group(name="clinicops", commands=dict(cli.commands))
    plugins, problems = loadable_plugins(None)
    assert not problems, problems
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    for name, plugin in plugins.items():
        pm.register(plugin, name=name)
    pm.hook.register_commands(cli=group)
    assert not add_tool_commands(group)
    return group


def leaves(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    """(``"audit verify"``, command) for every command that does something, groups walked through."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from leaves(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


COMMANDS = dict(leaves(every_command()))


def takes_json(command: click.Command) -> bool:
    return any("--json" in p.opts for p in command.params if isinstance(p, click.Option))


def test_the_tree_is_the_whole_cli() -> None:
    """The walk sees the core's, the plugins' and the tools' commands (else the checks below prove little)."""
    assert {"sync", "status", "restore", "init", "audit verify", "reminders resolve", "emulator"} <= set(COMMANDS)
    assert "disclosures" in available_plugins()


def test_every_command_is_either_reporting_or_listed_with_a_reason() -> None:
    undecided = sorted(set(COMMANDS) - set(RUNS) - set(DOES_NOT_REPORT) - WITH_SERVICES)
    assert not undecided, f"decide whether these report (add a run to RUNS) or not (DOES_NOT_REPORT): {undecided}"
    assert not set(RUNS) & set(DOES_NOT_REPORT)
    stale = sorted((set(RUNS) | set(DOES_NOT_REPORT) | WITH_SERVICES) - set(COMMANDS))
    assert not stale, f"no such command any more: {stale}"


@pytest.mark.parametrize("name", sorted(set(RUNS) | WITH_SERVICES))
def test_a_reporting_command_takes_json(name: str) -> None:
    assert takes_json(COMMANDS[name]), f"'clinicops {name}' reports but has no --json"


def test_the_json_check_can_fail() -> None:
    @click.command()
    def plain() -> None:
        click.echo("[1, 2]")

    assert not takes_json(plain)
    with pytest.raises(AssertionError):
        one_object("[1, 2]")
    with pytest.raises(AssertionError):
        one_object('{"a": 1}\n{"b": 2}')


def one_object(stdout: str) -> dict[str, object]:
    """Standard output as exactly one JSON object; anything else (an array, two objects, a line of text) fails."""
    try:
        found = json.loads(stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"not one JSON document ({exc}): {stdout[:300]!r}") from None
    assert isinstance(found, dict), f"a JSON {type(found).__name__}, not an object: {stdout[:300]!r}"
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo clinic after its first sync, with every installed plugin enabled."""
    folder = tmp_path_factory.mktemp("cli-json") / "clinic"
    result = CliRunner().invoke(cli, ["demo", str(folder), "--today", DEMO_DAY, "--silent"])
    assert result.exit_code == 0, result.output
    config = folder / "practice.toml"
    text = config.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("enabled = "))
    config.write_text(text.replace(line, f"enabled = {sorted(available_plugins())!r}"), encoding="utf-8")
    return folder


@pytest.fixture
def reminder(demo: Path) -> int:
    """A reminder stopped between sending and recording: what ``reminders resolve`` settles."""
    from clinicops.plugins.reminders import ledger, planning

    practice = Practice.open(demo)
    try:
        with practice.view() as view:
            appointment = view.records("appointment")[0]
            due = planning.Reminder(
                appointment["id"],
                appointment["patient_id"],
                appointment["provider_id"],
                appointment["start"],
                dt.timedelta(hours=24),
                "email",
                "x",
            )
            row_id = ledger.reserve(view.storage("reminders"), due, view.now(), 5)
    finally:
        practice.close()
    assert row_id is not None
    return row_id


@pytest.mark.parametrize("name", sorted(RUNS))
def test_a_reporting_command_prints_exactly_one_json_object(
    name: str, demo: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    args, exits = RUNS[name]
    if name == "adopt":
        write_workbook(tmp_path / "front-desk.xlsx", office_tabs())  # an office's own workbook, never synced
    values = {"practice": str(demo), "tmp": str(tmp_path)}
    if any("{reminder}" in a for a in args):
        values["reminder"] = str(request.getfixturevalue("reminder"))
    argv = [*name.split(), *(a.format(**values) for a in args), "--json"]
    result = CliRunner().invoke(every_command(), argv)
    assert result.exit_code in exits, f"clinicops {' '.join(argv)} exited {result.exit_code}: {result.output[-800:]}"
    one_object(result.stdout)
