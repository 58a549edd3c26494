"""``clinicops store copy --to URL`` moves a practice's whole store to another database losing
nothing: every table and row, the access log's chain (which verifies on the copy), and a sync
on the copy is an ordinary one. SQLite to PostgreSQL is the move a growing practice makes."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import MetaData, select

from clinicops.core import config as config_module
from clinicops.core import operations
from clinicops.core.cli import cli
from clinicops.core.plugin_manager import get_plugin_manager
from clinicops.core.practice import Practice

from . import conftest, pg_stores

PG_URL = os.environ.get("CLINICOPS_TEST_STORE_URL", "")
DEMO_DAY = dt.date(2026, 11, 23)


def clinicops(*args: str) -> Result:
    group = click.Group(commands=dict(cli.commands))
    get_plugin_manager([]).hook.register_commands(cli=group)
    return CliRunner(env={"CLINICOPS_USER": "office.manager"}).invoke(group, list(args))


@pytest.fixture
def on_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    """The practice keeps its store where its practice.toml says (SQLite), even in a PostgreSQL run."""
    monkeypatch.setattr(config_module, "parse_config", conftest.PARSE_CONFIG)


@pytest.fixture(params=["postgresql", "sqlite"])
def destination(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """(url, schema) of an empty store to copy into."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'copy.db'}", None
        return
    if not PG_URL:
        pytest.skip("needs CLINICOPS_TEST_STORE_URL (PostgreSQL)")
    with pg_stores.per_test(PG_URL) as schema_for:
        yield PG_URL, schema_for(tmp_path / "copy")


@pytest.fixture
def demo(on_sqlite: None, tmp_path: Path) -> Path:
    """The demo practice, synced, on a clock that starts at the same moment in every run: pinned
    to a day only, each run would start at the machine's time of day, and an appointment passing
    its start between two runs would make the next sync one that writes."""
    folder = tmp_path / "clinic"
    operations.create_demo(folder, today=DEMO_DAY).close()
    config = folder / "practice.toml"
    text = config.read_text()
    pinned = text.replace(f'today = "{DEMO_DAY.isoformat()}"', f'now = "{DEMO_DAY.isoformat()}T06:50:00"')
    assert pinned != text
    config.write_text(pinned)
    practice = Practice.open(folder)
    operations.sync(practice)
    practice.close()
    return folder


def point_at(folder: Path, url: str, schema: str | None) -> None:
    config = folder / "practice.toml"
    lines = [f'url = "{url}"'] + ([f'schema = "{schema}"'] if schema else [])
    config.write_text(config.read_text().replace("[store]\n", "[store]\n" + "\n".join(lines) + "\n", 1))


def every_row(url: str, schema: str | None) -> dict[str, list[tuple[object, ...]]]:
    from clinicops.core.store_engine import make_engine

    engine = make_engine(url, schema)
    try:
        with engine.connect() as conn:
            tables = MetaData()
            tables.reflect(conn)
            out = {}
            for name, table in tables.tables.items():
                if name in {"alembic_version", "sqlite_sequence"}:
                    continue
                order = list(table.primary_key.columns) or list(table.columns)
                out[name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
            return out
    finally:
        engine.dispose()


def test_a_copy_holds_every_row_its_log_verifies_and_the_next_sync_is_ordinary(
    demo: Path, destination: tuple[str, str | None]
) -> None:
    url, schema = destination
    source_url = f"sqlite:///{demo / 'data' / 'clinicops.db'}"
    args = ["store", "copy", "-p", str(demo), "--to", url] + (["--schema", schema] if schema else [])
    result = clinicops(*args)
    assert result.exit_code == 0, result.output
    assert "Copied " in result.output and "Point practice.toml's [store] url there" in result.output
    source, copy = every_row(source_url, None), every_row(url, schema)
    log = copy.pop("access_log")
    assert log[:-1] == source.pop("access_log")  # the copy's own arrival is its newest entry
    assert (log[-2][5], log[-2][6], log[-1][5], log[-1][6]) == ("export", "store", "import", "store")
    assert copy == source and len(copy["records"]) > 2000 and copy["reminders_outbox"] is not None
    point_at(demo, url, schema)
    verified = clinicops("audit", "verify", "-p", str(demo))
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith(f"The access log is intact: {len(log)} entries")
    assert "Warning" not in verified.output
    synced = clinicops("sync", "-p", str(demo), "--json")
    assert synced.exit_code == 0, synced.output
    report = json.loads(synced.output)
    assert not report["wrote"]
    assert [(e["created"], e["updated"], e["deleted"]) for e in report["entities"].values()] == [(0, 0, 0)] * len(
        report["entities"]
    )


def test_a_copy_into_a_store_that_holds_rows_is_refused(demo: Path, destination: tuple[str, str | None]) -> None:
    url, schema = destination
    args = ["store", "copy", "-p", str(demo), "--to", url] + (["--schema", schema] if schema else [])
    assert clinicops(*args).exit_code == 0
    again = clinicops(*args)
    assert again.exit_code == 1
    assert "already holds rows in records; copy only into an empty one" in again.output


def test_new_rows_in_the_copy_get_keys_after_the_copied_ones(demo: Path, destination: tuple[str, str | None]) -> None:
    url, schema = destination
    args = ["store", "copy", "-p", str(demo), "--to", url] + (["--schema", schema] if schema else [])
    assert clinicops(*args).exit_code == 0
    point_at(demo, url, schema)
    before = max(r[0] for r in every_row(url, schema)["versions"])
    practice = Practice.open(demo)
    with practice.store.transaction() as tx:
        record = tx.get("patient", "P000012")
        assert record is not None
        tx.save("patient", "P000012", {**record.data, "City": "Salem"}, source="cli", actor="office.manager")
    practice.close()
    after = every_row(url, schema)["versions"]
    assert max(r[0] for r in after) == before + 1
