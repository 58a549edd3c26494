"""Installed plugins that break, and the environment variables that choose what loads.

Each test installs a small distribution of its own into a folder on ``PYTHONPATH`` (a
``.dist-info`` with its entry points, as pip leaves it) and runs the real ``clinicops``
command in a subprocess, as a user would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import write_config

CLINICOPS = str(Path(sys.executable).parent / "clinicops")


def install(site: Path, dist: str, modules: dict[str, str], entry_points: dict[str, str]) -> None:
    """Lay out a distribution the way pip installs one: its modules and a dist-info with entry points."""
    site.mkdir(parents=True, exist_ok=True)
    for name, source in modules.items():
        (site / f"{name}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[clinicops]\n{lines}")


def run(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(site), **env}
    return subprocess.run([CLINICOPS, *args], capture_output=True, text=True, env=environment, timeout=120)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    install(
        site,
        "clinicops-broken",
        {"clinicops_broken": "import a_module_that_is_not_installed\n"},
        {"broken": "clinicops_broken"},
    )
    install(
        site,
        "clinicops-hello",
        {
            "clinicops_hello": """
            import click
            from clinicops import hookimpl

            @hookimpl
            def register_commands(cli):
                @cli.command()
                def hello():
                    \"\"\"Say hello. Example: clinicops hello\"\"\"
                    click.echo("hello from a plugin")
            """
        },
        {"hello": "clinicops_hello"},
    )
    return site


def test_a_broken_plugin_that_no_practice_enables_leaves_every_command_working(site: Path, tmp_path: Path) -> None:
    write_config(tmp_path, plugins=["credentials"])
    status = run(site, "status", "-p", str(tmp_path), "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["practice"] == "Test Clinic"
    assert "broken" not in status.stderr  # the practice does not enable it: it is not even imported


def test_a_broken_installed_plugin_is_named_in_one_sentence_and_the_rest_works(site: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "no-practice-here"
    elsewhere.mkdir()
    listing = run(site, "plugins", "--json", CLINICOPS_PRACTICE=str(elsewhere))
    assert listing.returncode == 0, listing.stderr
    entries = {e["name"]: e for e in json.loads(listing.stdout)["plugins"]}
    assert entries["broken"]["problem"].startswith(
        "The plugin 'broken' (clinicops_broken) could not be loaded (ModuleNotFoundError at"
    )
    assert entries["hello"]["hooks"] == ["register_commands"]
    assert listing.stderr.count("could not be loaded") == 1 and "Traceback" not in listing.stderr
    hello = run(site, "hello", CLINICOPS_PRACTICE=str(elsewhere))
    assert hello.returncode == 0 and hello.stdout == "hello from a plugin\n"


def test_a_practice_that_enables_a_broken_plugin_is_told_which_and_how_to_fix_it(site: Path, tmp_path: Path) -> None:
    write_config(tmp_path, plugins=["broken"])
    status = run(site, "status", "-p", str(tmp_path))
    assert status.returncode == 1
    assert "The plugin 'broken' (clinicops_broken) could not be loaded" in status.stderr
    assert "remove it from plugins.enabled" in status.stderr and "Traceback" not in status.stderr


def test_commands_come_only_from_the_plugins_a_practice_enables(site: Path, tmp_path: Path) -> None:
    write_config(tmp_path, plugins=["credentials"])
    hidden = run(site, "hello", CLINICOPS_PRACTICE=str(tmp_path))
    assert hidden.returncode == 2 and "No such command 'hello'" in hidden.stderr
    write_config(tmp_path, plugins=["credentials", "hello"])
    assert run(site, "hello", CLINICOPS_PRACTICE=str(tmp_path)).stdout == "hello from a plugin\n"


def test_load_plugins_env_chooses_what_loads(site: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "no-practice-here"
    elsewhere.mkdir()
    only = run(site, "plugins", "--json", CLINICOPS_PRACTICE=str(elsewhere), CLINICOPS_LOAD_PLUGINS="hello,billing")
    assert sorted(e["name"] for e in json.loads(only.stdout)["plugins"]) == ["billing", "hello"]
    assert only.stderr == ""
    none = run(site, "plugins", "--json", CLINICOPS_PRACTICE=str(elsewhere), CLINICOPS_LOAD_PLUGINS="")
    assert json.loads(none.stdout) == {"plugins": []}


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path) -> None:
    write_config(tmp_path)
    pipeline = subprocess.run(
        f"{CLINICOPS} --help | head -1", shell=True, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert pipeline.stdout.startswith("Usage: clinicops")
    assert "Broken pipe" not in pipeline.stderr and "Traceback" not in pipeline.stderr
