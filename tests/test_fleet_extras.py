"""Without the fleet extras (psycopg, Alembic, Celery, Redis, limits) one practice works as
before, and each fleet command says in one sentence how to install them."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from clinicops.core.cli import cli

from . import stores
from .conftest import Clinic

EXTRAS = ("psycopg", "alembic", "celery", "kombu", "redis", "limits")


@pytest.fixture
def no_extras() -> Iterator[None]:
    """Importing any of them raises ImportError, as if not installed (undone before the store is dropped)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in EXTRAS:
            patch.setitem(sys.modules, name, None)
            for loaded in [m for m in sys.modules if m.startswith(f"{name}.")]:
                patch.setitem(sys.modules, loaded, None)  # a submodule imported before would still import
        yield


@pytest.mark.skipif(stores.on_postgres(), reason="a PostgreSQL store needs psycopg")
def test_a_practice_syncs_and_reports_without_the_fleet_extras(xlsx_clinic: Clinic, no_extras: None) -> None:
    folder = str(xlsx_clinic.folder)
    xlsx_clinic.practice.close()
    for args in (["sync", "-s", "-p", folder], ["status", "-p", folder]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["store", "migrate"], "Migrating a store needs Alembic, which comes with the fleet extras"),
        (["fleet", "list"], "The fleet needs its extras"),
        (["fleet", "add", "."], "The fleet needs its extras"),
        (["worker"], "The fleet needs its extras"),
        (["beat"], "The fleet needs its extras"),
    ],
)
def test_each_fleet_command_says_how_to_install_the_extras(
    args: list[str], sentence: str, xlsx_clinic: Clinic, no_extras: None
) -> None:
    extra = ["-p", str(xlsx_clinic.folder)] if args[0] == "store" else []
    if args[:2] == ["fleet", "add"]:
        args = ["fleet", "add", str(xlsx_clinic.folder)]
    result = CliRunner().invoke(cli, [*args, *extra])
    assert result.exit_code == 1
    assert f"Error: {sentence}: pip install 'clinicops[fleet]'" in result.output
    assert "Traceback" not in result.output
