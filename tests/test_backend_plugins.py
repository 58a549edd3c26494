"""A backend from a third party: a distribution of its own declares an entry point in the
``clinicops.backends`` group, and a practice that names its ``type`` syncs through it.

The distribution is installed into a folder on ``PYTHONPATH`` (a ``.dist-info`` with its
entry points, as pip leaves it) and the real ``clinicops`` command runs in a subprocess.
The backend keeps each table in a CSV file, read back here with Python's csv module.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import write_config

CLINICOPS = str(Path(sys.executable).parent / "clinicops")

CSV_BACKEND = '''
import csv
from pathlib import Path

from clinicops.connectors.base import Backend, SheetRow, SheetTable, WriteResult


class CsvFolder(Backend):
    """Each table a CSV file in one folder; a row's ref is its line number."""

    settings_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"folder": {"type": "string", "minLength": 1}},
    }

    def __init__(self, folder):
        self.folder = Path(folder)
        self.key = f"csvdir:{self.folder}"
        self.requests = 0

    @classmethod
    def open(cls, setup):
        return cls(setup.path(setup.settings.get("folder", "tables")))

    def read_back(self, value):
        return "" if value is None else str(value)

    def ensure_layout(self, specs):
        self.write([], force=True)

    def read(self, specs):
        self.requests += 1
        out = {}
        for spec in specs:
            lines = self._lines(spec)
            if lines is None:
                out[spec.entity] = None
                continue
            header, width = lines[0], len(lines[0])
            rows = [SheetRow(n, (r + [""] * width)[:width], n) for n, r in enumerate(lines[1:], start=2)]
            out[spec.entity] = SheetTable(spec.title, header, rows)
        return out

    def write(self, writes, force=False):
        self.requests += 1
        result = WriteResult()
        self.folder.mkdir(exist_ok=True)
        for tw in writes:
            lines = self._lines(tw.spec) or [[]]
            header = lines[0]
            header += [h for h in tw.spec.headers() if h not in header]
            lines = [line + [""] * (len(header) - len(line)) for line in lines]
            for ref, column, value in tw.cells:
                lines[ref - 1][header.index(column)] = self.read_back(value)
            for cells in tw.appends:
                lines.append([self.read_back(cells.get(h)) for h in header])
            gone = {ref - 1 for ref in tw.deletes}
            kept = [line for i, line in enumerate(lines) if i not in gone]
            added = len(tw.appends)
            result.appended_refs[tw.spec.entity] = list(range(len(kept) - added + 1, len(kept) + 1))
            with open(self.folder / f"{tw.spec.title}.csv", "w", newline="", encoding="utf-8") as f:
                csv.writer(f).writerows(kept)
        return result

    def _lines(self, spec):
        path = self.folder / f"{spec.title}.csv"
        if not path.exists():
            return None
        with open(path, newline="", encoding="utf-8") as f:
            return list(csv.reader(f))
'''


def install(site: Path) -> None:
    """The ``clinicops-csvdir`` distribution, laid out as pip installs it."""
    site.mkdir(parents=True)
    (site / "clinicops_csvdir.py").write_text(textwrap.dedent(CSV_BACKEND))
    info = site / "clinicops_csvdir-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: clinicops-csvdir\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[clinicops.backends]\ncsvdir = clinicops_csvdir:CsvFolder\n")


def run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([CLINICOPS, *args], capture_output=True, text=True, env=environment, timeout=120)


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def practice(tmp_path: Path) -> tuple[Path, Path]:
    """A practice on the CSV backend, with two patients typed into its Patients file (no ids yet)."""
    site = tmp_path / "site"
    install(site)
    folder = tmp_path / "clinic"
    folder.mkdir()
    write_config(folder, plugins=[], entities=["patient"], backend='type = "csvdir"\nfolder = "tables"')
    (folder / "tables").mkdir()
    with open(folder / "tables" / "Patients.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(
            [
                ["MRN", "First name", "Last name", "Date of birth"],
                ["", "Grace", "Hopper", "12/9/1906"],
                ["", "Alan", "Turing", "6/23/1912"],
            ]
        )
    return site, folder


def test_a_third_party_backend_syncs_a_practice(practice: tuple[Path, Path]) -> None:
    site, folder = practice
    first = run(site, "sync", "-p", str(folder), "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["backend"].startswith("csvdir:")
    assert report["entities"]["patient"]["created"] == 2
    patients = rows(folder / "tables" / "Patients.csv")
    assert [(p["First name"], p["Date of birth"]) for p in patients] == [("Grace", "12/9/1906"), ("Alan", "6/23/1912")]
    assert [p["Errors"] for p in patients] == ["", ""]
    assert sorted(p["MRN"] for p in patients) == sorted(report["entities"]["patient"]["ids"]["created"])
    again = json.loads(run(site, "sync", "-p", str(folder), "--json").stdout)
    assert again["entities"]["patient"]["created"] == again["entities"]["patient"]["updated"] == 0
    status = json.loads(run(site, "status", "-p", str(folder), "--json").stdout)
    assert status["records"]["patient"] == 2


def test_its_settings_are_checked_against_its_own_schema(practice: tuple[Path, Path]) -> None:
    site, folder = practice
    config = folder / "practice.toml"
    config.write_text(config.read_text().replace('folder = "tables"', 'foldr = "tables"'))
    result = run(site, "sync", "-p", str(folder))
    assert result.returncode == 1
    assert result.stderr.strip().endswith("backend.foldr: not a setting of the csvdir backend; did you mean folder?")
    assert "Traceback" not in result.stderr


def test_an_uninstalled_backend_type_is_one_sentence_naming_the_installed_ones(tmp_path: Path) -> None:
    write_config(tmp_path, plugins=[], backend='type = "csvdir"')
    result = run(tmp_path / "empty-site", "status", "-p", str(tmp_path))
    assert result.returncode == 1
    sentence = "backend.type: no backend of type 'csvdir' is installed (installed: airtable, gsheets, xlsx)"
    assert result.stderr.strip().endswith(sentence)
