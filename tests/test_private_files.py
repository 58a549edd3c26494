"""The data folder holds PHI: everything clinicops creates there is for its owner's eyes only,
whatever the umask, and modes someone loosened are pointed out by ``status`` and ``sync``."""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from clinicops.core.cli import cli
from clinicops.plugins.sms.adapters import FileAdapter

from .conftest import Clinic


@pytest.fixture(autouse=True)
def everyday_umask() -> Iterator[None]:
    """The umask most accounts have: new files 644, new folders 755, unless made private on purpose."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def modes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder.parent).as_posix(): stat.S_IMODE(p.stat().st_mode)
        for p in [folder, *folder.rglob("*")]
        if p.is_file() or p.is_dir()
    }


def test_the_store_lock_and_backups_are_created_private(xlsx_clinic: Clinic) -> None:
    (xlsx_clinic.folder / "clinic.xlsx").chmod(0o664)  # a workbook the office shares: its backups are not
    xlsx_clinic.sync()
    xlsx_clinic.sync()  # a second write makes a backup of the first
    found = modes(xlsx_clinic.folder / "data")
    assert found["data"] == 0o700
    assert {"data/clinicops.db", "data/sync.lock"} <= set(found)
    assert any(name.startswith("data/backups/clinic-") for name in found)
    assert all(m in (0o600, 0o700) for m in found.values()), {k: oct(v) for k, v in found.items()}


def test_the_sms_file_outbox_is_created_private(tmp_path: Path) -> None:
    now = lambda: dt.datetime(2026, 11, 23, 15, tzinfo=dt.UTC)  # noqa: E731
    adapter = FileAdapter(tmp_path / "data" / "sms" / "outbox.jsonl", tmp_path / "inbox.jsonl", "+16175550100", now)
    assert adapter.send("+16175550123", "Your appointment is tomorrow at 9:00", "reminder:A1").accepted
    assert stat.S_IMODE((tmp_path / "data" / "sms").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "data" / "sms" / "outbox.jsonl").stat().st_mode) == 0o600


def test_status_and_sync_warn_about_a_store_others_can_read(xlsx_clinic: Clinic) -> None:
    xlsx_clinic.sync()
    data = xlsx_clinic.folder / "data"
    (data / "clinicops.db").chmod(0o644)
    data.chmod(0o755)
    status = CliRunner().invoke(cli, ["status", "-p", str(xlsx_clinic.folder)])
    assert status.exit_code == 0, status.output
    assert "Warning: data/clinicops.db can be opened by other accounts on this computer (mode 644)" in status.output
    assert f"run: chmod 700 '{data}'" in status.output
    synced = CliRunner().invoke(cli, ["sync", "-p", str(xlsx_clinic.folder)])
    assert synced.exit_code == 0, synced.output
    assert "data/clinicops.db can be opened by other accounts" in synced.output
    assert stat.S_IMODE((data / "clinicops.db").stat().st_mode) == 0o644  # pointed out, not changed
    quiet = CliRunner().invoke(cli, ["sync", "-s", "-p", str(xlsx_clinic.folder)])
    assert quiet.output == ""
