"""``clinicops demo --backend gsheets|airtable``: the demo clinic on an emulator started for the command.

The commands come from the emulators package as a tool (``clinicops.tools``); the demo is a
practice of its own and never touches another practice's store.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from clinicops.core.cli import add_tool_commands, cli
from clinicops.core.config import CONFIG_NAME


@pytest.fixture(scope="module")
def clinicops() -> click.Group:
    """The ``clinicops`` command with the installed tools' commands, as ``main`` builds it."""
    assert add_tool_commands(cli) == []
    return cli


# Airtable reads 100 records a request and writes 10: each tab read, and each ten rows of
# ids, computed cells and rebuilt plugin tabs written back, is a request (the demo has 22 tabs;
# its Alerts, Dashboard and Claim lines alone are 26 writes). One request a row would be hundreds.
@pytest.mark.parametrize(
    ("kind", "most_requests"),
    [("gsheets", 4), ("airtable", 90)],
)
def test_demo_on_an_emulated_backend_syncs_the_whole_clinic(
    clinicops: click.Group, tmp_path: Path, kind: str, most_requests: int
) -> None:
    folder = tmp_path / "demo"
    result = CliRunner().invoke(clinicops, ["demo", str(folder), "--backend", kind, "--today", "2026-11-23", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["backend"].startswith(f"{kind}:")
    assert report["entities"]["patient"]["created"] > 150
    assert report["entities"]["appointment"]["created"] > 1000
    assert 0 < report["requests"] <= most_requests
    backend = tomllib.loads((folder / CONFIG_NAME).read_text())["backend"]
    assert backend["type"] == kind and backend["endpoint_url"].startswith("http://127.0.0.1:")


def test_demo_on_an_emulator_refuses_a_folder_holding_a_practice_and_leaves_its_store_alone(
    clinicops: click.Group, tmp_path: Path
) -> None:
    assert CliRunner().invoke(clinicops, ["init", str(tmp_path / "real")]).exit_code == 0
    store = tmp_path / "real" / "data" / "clinicops.db"
    before = store.read_bytes() if store.exists() else None
    result = CliRunner().invoke(clinicops, ["demo", str(tmp_path / "real"), "--backend", "gsheets"])
    assert result.exit_code == 1
    assert "already holds a practice" in result.output
    assert (store.read_bytes() if store.exists() else None) == before


def test_the_emulator_command_and_the_workbook_demo_stay_available(clinicops: click.Group) -> None:
    assert add_tool_commands(clinicops) == []  # adding the tools twice changes nothing
    demo = clinicops.commands["demo"]
    assert [p.name for p in demo.params].count("backend") == 1
    assert "emulator" in clinicops.commands
    help_text = CliRunner().invoke(clinicops, ["emulator", "-h"]).output
    assert "loopback emulator of the Google Sheets or Airtable API" in help_text


def test_sync_has_no_emulate_switch(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sync", "--emulate", "-p", str(tmp_path)])
    assert result.exit_code == 2 and "No such option" in result.output
