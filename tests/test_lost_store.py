"""A store deleted or replaced under a sheet clinicops has filled stops the sync with the way
out, instead of starting the practice over; rebuilding it on purpose is access-logged and
sends no reminder twice."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import pytest
import time_machine
from click.testing import CliRunner, Result
from sqlalchemy import text

from clinicops.core import operations
from clinicops.core.cli import cli
from clinicops.core.lost_store import StoreLost
from clinicops.core.plugin_manager import get_plugin_manager
from clinicops.core.runner import Runner

from . import stores
from .conftest import Clinic, write_config

DEMO_DAY = dt.date(2026, 11, 23)
NEW_YORK = ZoneInfo("America/New_York")


def clinicops(*args: str) -> Result:
    """The command line as ``main()`` builds it, plugins' commands included."""
    group = click.Group(commands=dict(cli.commands))
    get_plugin_manager([]).hook.register_commands(cli=group)
    return CliRunner(env={"CLINICOPS_USER": "office.manager"}).invoke(group, list(args))


def records(folder: Path) -> int:
    with stores.connect(folder) as conn:
        return conn.execute(text("SELECT count(*) FROM records")).scalar_one()


@pytest.fixture(scope="module")
def demo_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "clinic"
    practice = operations.create_demo(folder, today=DEMO_DAY)
    operations.sync(practice)
    practice.close()
    return folder


@pytest.fixture
def demo(demo_master: Path, tmp_path: Path) -> Path:
    if stores.on_postgres():  # a copied folder would not take its schema along: make it afresh
        folder = tmp_path / "clinic"
        practice = operations.create_demo(folder, today=DEMO_DAY)
        operations.sync(practice)
        practice.close()
        return folder
    return Path(shutil.copytree(demo_master, tmp_path / "clinic"))


def test_a_deleted_data_folder_stops_the_sync_with_the_way_out(demo: Path) -> None:
    shutil.rmtree(demo / "data")
    stores.forget(demo)
    workbook = (demo / "clinic.xlsx").read_bytes()
    result = clinicops("sync", "-p", str(demo))
    assert result.exit_code == 1, result.output
    sentence = result.output.strip()
    assert sentence.startswith("Error: Stopped: the sheet carries clinicops ids (Providers row 2: PR000001)")
    assert "and rows in a tab only clinicops fills (" in sentence
    where = "the store (schema t_" if stores.on_postgres() else "data/clinicops.db"
    assert f"{where}" in sentence and " is empty" in sentence and "Restore it from a backup" in sentence
    assert "'clinicops sync --adopt-ids'" in sentence and "Nothing was changed." in sentence
    assert "\n" not in sentence and "Traceback" not in result.output
    assert (demo / "clinic.xlsx").read_bytes() == workbook
    assert records(demo) == 0
    assert clinicops("sync", "--dry-run", "-p", str(demo)).exit_code == 1  # validate/dry runs say the same


def test_adopting_the_ids_rebuilds_the_store_logs_it_and_the_log_verifies_again(demo: Path) -> None:
    synced = records(demo)
    shutil.rmtree(demo / "data")
    stores.forget(demo)
    result = clinicops("sync", "--adopt-ids", "-p", str(demo))
    assert result.exit_code == 0, result.output
    assert records(demo) == synced
    with stores.connect(demo) as conn:
        first = conn.execute(
            text("SELECT seq, actor, action, entity, purpose FROM access_log ORDER BY seq LIMIT 1")
        ).one()
    assert tuple(first) == (1, "office.manager", "rebuild", "store", "store rebuilt from the sheet's ids (--adopt-ids)")
    anchors = [json.loads(line) for line in (demo / "access-log-anchors.jsonl").read_text().splitlines()]
    assert [a.get("restart", False) for a in anchors][-2:] == [True, False]
    verified = clinicops("audit", "verify", "-p", str(demo))
    assert verified.exit_code == 0, verified.output
    assert (
        "The log starts again at entry 1 since" in verified.output
        and "office.manager rebuilt the store" in verified.output
    )
    assert clinicops("sync", "-p", str(demo)).exit_code == 0  # and from now on it is an ordinary practice


def test_a_deleted_store_beside_the_workbooks_backups_is_caught_too(xlsx_clinic: Clinic) -> None:
    xlsx_clinic.sync()  # ids written back for the two new patients: the workbook's first backup
    assert list((xlsx_clinic.folder / "data" / "backups").iterdir())
    xlsx_clinic.practice.close()
    stores.forget(xlsx_clinic.folder)
    xlsx_clinic.reopen()
    with pytest.raises(StoreLost, match=r"Providers row 2: PR000001\) and clinicops's backups of the workbook"):
        xlsx_clinic.sync()


def test_ids_staff_typed_before_any_sync_import_as_usual(xlsx_clinic: Clinic) -> None:
    report = xlsx_clinic.sync()  # P000001..P000003 typed, no trace of clinicops yet: a first import
    assert report.entities["patient"].created == 5


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NEW_YORK)


def test_reminders_are_not_sent_again_after_the_store_is_rebuilt(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    outbox = clinic.folder / "data" / "sms" / "outbox.jsonl"
    row = {"ID": "A000001", "Patient": "P000002", "Provider": "PR000001", "Status": "scheduled", "Minutes": 30}
    row["Start"] = local(2026, 11, 25, 14, 30).replace(tzinfo=None)
    with time_machine.travel(local(2026, 11, 23, 15, 0), tick=False) as clock:
        write_config(clinic.folder, plugins=["reminders", "sms"], entities=["provider", "patient", "appointment"])
        clinic.reopen()
        clinic.sheet.append("Appointments", [row])
        clinic.sync()
        runner = Runner(clinic.practice)
        runner.run_job(runner.job("reminders:send-reminders"))
        assert len(outbox.read_text().splitlines()) == 1  # the 48-hour reminder
        clinic.sync()  # the sheet's "Reminder sent" column shows it
        [sheet_row] = clinic.sheet.rows("Appointments")
        assert sheet_row["Reminder sent"]

        clinic.practice.close()
        stores.forget(clinic.folder)
        clinic.reopen()
        with pytest.raises(StoreLost):
            clinic.sync()
        clinic.sync(adopt_ids=True)
        runner = Runner(clinic.practice)
        runner.run_job(runner.job("reminders:send-reminders"))
        assert len(outbox.read_text().splitlines()) == 1  # not sent a second time

        clock.move_to(local(2026, 11, 25, 12, 30))
        runner.run_job(runner.job("reminders:send-reminders"))
    keys = [json.loads(line)["key"] for line in outbox.read_text().splitlines()]
    assert [k.rsplit(":", 2)[-2] for k in keys] == ["2880m", "120m"]  # the 2-hour one still goes out
