"""What killed syncs leave behind, damaged parts of a workbook, and files outside the practice folder."""

from __future__ import annotations

import textwrap
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from clinicops.core.cli import cli
from clinicops.core.config import ConfigError, load_config

from .conftest import Clinic


def test_temporary_copies_left_by_a_killed_sync_are_removed_by_the_next_sync(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    clinic.sync()
    leftover = clinic.folder / ".clinic-k1ll3d9x.xlsx"
    leftover.write_bytes((clinic.folder / "clinic.xlsx").read_bytes())
    report = clinic.sync()
    assert not report.wrote
    assert not leftover.exists()
    assert (clinic.folder / "clinic.xlsx").exists()


def test_a_damaged_worksheet_inside_the_workbook_is_one_clear_sentence(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    clinic.sync()
    book = clinic.folder / "clinic.xlsx"
    with zipfile.ZipFile(book) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    damaged = next(n for n in members if n.startswith("xl/worksheets/sheet"))
    members[damaged] = members[damaged][: len(members[damaged]) // 2]
    with zipfile.ZipFile(book, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)
    result = CliRunner().invoke(cli, ["sync", "-p", str(clinic.folder)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "is damaged" in result.output and "backup" in result.output


def _practice(folder: Path, backend_path: str, data_dir: str | None = None) -> None:
    store = f'\n[store]\ndata_dir = "{data_dir}"\n' if data_dir else ""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "practice.toml").write_text(
        textwrap.dedent(
            f"""
            [practice]
            name = "Test Clinic"

            [backend]
            type = "xlsx"
            path = "{backend_path}"
            """
        )
        + store
    )


def test_a_data_folder_outside_the_practice_is_refused_unless_absolute(tmp_path: Path) -> None:
    _practice(tmp_path / "p", "clinic.xlsx", "../x")
    with pytest.raises(ConfigError, match=r"store\.data_dir: '\.\./x' is outside the practice folder"):
        load_config(tmp_path / "p")
    _practice(tmp_path / "p", "clinic.xlsx", str(tmp_path / "elsewhere"))
    assert load_config(tmp_path / "p").data_dir == tmp_path / "elsewhere"


def test_a_workbook_outside_the_practice_is_refused_unless_absolute(tmp_path: Path) -> None:
    _practice(tmp_path / "p", "../outside.xlsx")
    result = CliRunner().invoke(cli, ["sync", "-p", str(tmp_path / "p")])
    assert result.exit_code == 1
    assert "backend.path: '../outside.xlsx' is outside the practice folder" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "outside.xlsx").exists()
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "q")])
    assert result.exit_code == 0, result.output
    _practice(tmp_path / "q", str(tmp_path / "q" / "clinic.xlsx"))
    result = CliRunner().invoke(cli, ["sync", "-p", str(tmp_path / "q")])
    assert result.exit_code == 0, result.output
