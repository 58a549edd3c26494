"""On PostgreSQL too the database refuses to change the access log: triggers in the practice's
schema stop UPDATE, DELETE, TRUNCATE and ``INSERT ... ON CONFLICT DO UPDATE``.

These run on the PostgreSQL named by ``CLINICOPS_TEST_STORE_URL`` (CI sets it for its
PostgreSQL run); the SQLite guards have their tests in test_plugin_access_log.py.
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from clinicops.core import operations
from clinicops.core.cli import cli
from clinicops.core.plugin_manager import get_plugin_manager
from clinicops.core.practice import Practice

from . import stores
from .conftest import Clinic

pytestmark = pytest.mark.skipif(not stores.on_postgres(), reason="needs CLINICOPS_TEST_STORE_URL (PostgreSQL)")


def audit(*args: str) -> Result:
    group = click.Group(commands=dict(cli.commands))
    get_plugin_manager([]).hook.register_commands(cli=group)
    return CliRunner().invoke(group, ["audit", *args])


@pytest.fixture
def logged(xlsx_clinic: Clinic, tmp_path: Path) -> Path:
    """A practice whose log holds entries and an export's checkpoint, closed."""
    xlsx_clinic.sync()
    xlsx_clinic.practice.close()
    assert audit("export", "-p", str(xlsx_clinic.folder), "-o", str(tmp_path / "offsite")).exit_code == 0
    return xlsx_clinic.folder


def refused(folder: Path, statement: str, error: type[Exception] = DBAPIError, match: str = "append-only") -> None:
    with pytest.raises(error, match=match), stores.connect(folder) as conn:
        conn.execute(text(statement))


def test_update_delete_and_truncate_of_either_table_are_refused(logged: Path) -> None:
    with stores.connect(logged) as conn:
        assert conn.execute(text("SELECT count(*) FROM access_log")).scalar_one() > 3
        assert conn.execute(text("SELECT count(*) FROM access_log_checkpoints")).scalar_one() >= 1
    for statement in (
        "UPDATE access_log SET actor = 'mallory' WHERE seq = 3",
        "DELETE FROM access_log WHERE seq > 2",
        "TRUNCATE access_log",
        "UPDATE access_log_checkpoints SET head_seq = 1",
        "DELETE FROM access_log_checkpoints",
        "TRUNCATE access_log_checkpoints",
        "TRUNCATE access_log, access_log_checkpoints",
    ):
        refused(logged, statement)
    assert audit("verify", "-p", str(logged)).exit_code == 0


def test_an_upsert_cannot_rewrite_an_entry_and_a_plain_insert_cannot_land_on_one(logged: Path) -> None:
    copy = "INSERT INTO access_log SELECT * FROM access_log WHERE seq = 3"
    refused(logged, copy + " ON CONFLICT (seq) DO UPDATE SET actor = 'mallory'")
    refused(logged, copy, IntegrityError, "duplicate key")
    with stores.connect(logged) as conn:  # DO NOTHING changes nothing, so nothing to refuse
        conn.execute(text(copy + " ON CONFLICT DO NOTHING"))
    refused(
        logged,
        "INSERT INTO access_log_checkpoints SELECT * FROM access_log_checkpoints "
        "ON CONFLICT (id) DO UPDATE SET head_hash = repeat('0', 64)",
    )
    result = audit("verify", "-p", str(logged))
    assert result.exit_code == 0, result.output


def test_a_dropped_guard_is_named_by_verify_and_put_back_with_the_next_entry(logged: Path) -> None:
    with stores.connect(logged) as conn:
        conn.execute(text("DROP TRIGGER access_log_no_truncate ON access_log"))
        conn.execute(text("ALTER TABLE access_log DISABLE TRIGGER access_log_no_update"))
    result = audit("verify", "-p", str(logged))
    assert "access_log_no_truncate" in result.output and "access_log_no_update" in result.output
    practice = Practice.open(logged)
    operations.history(practice, "patient", "P000002", actor="dr.lee")
    practice.close()
    refused(logged, "TRUNCATE access_log")
    refused(logged, "UPDATE access_log SET actor = 'mallory' WHERE seq = 3")
    again = audit("verify", "-p", str(logged))
    assert again.exit_code == 0 and "access_log_no_" not in again.output, again.output
