"""Tools: modules in the ``clinicops.tools`` entry-point group add commands to ``clinicops`` without
the core importing them (the API emulators arrive this way). A tool that fails to load is named in
one sentence and every other command works.

Each test installs small distributions into a folder on ``PYTHONPATH`` (a ``.dist-info`` with its
entry points, as pip leaves it) and runs the real ``clinicops`` command in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CLINICOPS = str(Path(sys.executable).parent / "clinicops")

HELLO = """
import click


def register_commands(cli):
    @cli.command()
    def hello():
        \"\"\"Say hello.\"\"\"
        click.echo("hello from a tool")
"""


def install(site: Path, name: str, source: str) -> None:
    (site / f"{name}.py").write_text(textwrap.dedent(source))
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[clinicops.tools]\n{name} = {name}\n")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    install(site, "hellotool", HELLO)
    install(site, "brokentool", "import a_module_that_is_not_installed\n")
    return site


def run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([CLINICOPS, *args], capture_output=True, text=True, env=environment, timeout=120)


def test_a_tool_adds_its_command(site: Path) -> None:
    result = run(site, "hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello from a tool\n"


def test_a_broken_tool_is_one_sentence_and_the_emulators_still_load(site: Path) -> None:
    result = run(site, "emulator", "-h")
    assert result.returncode == 0, result.stderr
    assert "loopback emulator" in result.stdout
    assert result.stderr.startswith("clinicops: the tool 'brokentool' (brokentool) could not be loaded (")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_the_emulators_are_imported_only_by_the_commands_that_run_one() -> None:
    probe = (
        "import sys; from clinicops.core.cli import add_tool_commands, cli; add_tool_commands(cli); "
        "print(sorted(m for m in sys.modules if m.startswith('clinicops.connectors.emulators')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['clinicops.connectors.emulators', 'clinicops.connectors.emulators.commands']"
