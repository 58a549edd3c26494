"""The store's tables carry their revision: new stores start at the newest, stores made before
migrations are stamped as the baseline losing nothing, Alembic's migrations build exactly what
the code declares on SQLite and PostgreSQL, and a store at a revision this clinicops does not
know is refused with the way out."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData, text

from clinicops.core import store_revision
from clinicops.core.cli import cli
from clinicops.core.store import Store
from clinicops.core.store_engine import make_engine
from clinicops.core.store_revision import StoreRevisionError

from . import pg_stores, stores
from .conftest import Clinic

alembic = pytest.importorskip("alembic", reason="migrations need the fleet extras")

from alembic.autogenerate import compare_metadata  # noqa: E402
from alembic.migration import MigrationContext  # noqa: E402

from clinicops.core import store_migration  # noqa: E402

PG_URL = os.environ.get("CLINICOPS_TEST_STORE_URL", "")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """(url, schema) of a database with no store in it yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}", None
        return
    if not PG_URL:
        pytest.skip("needs CLINICOPS_TEST_STORE_URL (PostgreSQL)")
    with pg_stores.per_test(PG_URL) as schema_for:
        yield PG_URL, schema_for(tmp_path)


def test_the_code_knows_the_newest_migration() -> None:
    assert store_migration.head() == store_revision.HEAD


def test_migrations_build_exactly_the_tables_the_code_declares(empty_store: tuple[str, str | None]) -> None:
    url, schema = empty_store
    declared = MetaData()
    for tables in store_revision.core_metadata():
        for table in tables.tables.values():
            table.to_metadata(declared)
    assert store_migration.migrate(url, schema) == (None, store_revision.HEAD)
    engine = make_engine(url, schema)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_object": include_core_objects, "compare_type": True}
            )
            differences = compare_metadata(context, declared)
    finally:
        engine.dispose()
    assert differences == []
    Store(url, schema=schema).close()  # and it opens as a store at the newest revision


def include_core_objects(obj: object, name: str | None, kind: str, reflected: bool, compare_to: object) -> bool:
    own = {n for tables in store_revision.core_metadata() for n in tables.tables}
    if kind == "table":
        return name in own
    table = getattr(obj, "table", None)
    return table is None or table.name in own


def test_a_new_store_starts_at_the_newest_revision(xlsx_clinic: Clinic) -> None:
    with stores.connect(xlsx_clinic.folder) as conn:
        assert store_revision.current(conn) == store_revision.HEAD


def test_a_store_made_before_migrations_is_stamped_as_the_baseline_and_loses_nothing(xlsx_clinic: Clinic) -> None:
    xlsx_clinic.sync()
    xlsx_clinic.practice.close()
    with stores.connect(xlsx_clinic.folder) as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text("DROP TABLE store_identity"))  # made on first use back then; this one never marked
        before = contents(conn)
    result = CliRunner().invoke(cli, ["store", "migrate", "-p", str(xlsx_clinic.folder), "--json"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f'{{"before": "{store_revision.BASELINE}", "after": "{store_revision.HEAD}"}}'
    with stores.connect(xlsx_clinic.folder) as conn:
        assert contents(conn) == before
        assert store_revision.current(conn) == store_revision.HEAD
    xlsx_clinic.reopen()
    assert xlsx_clinic.sync().total_changes == 0
    again = CliRunner().invoke(cli, ["store", "migrate", "-p", str(xlsx_clinic.folder)])
    assert again.exit_code == 0 and "the newest; nothing to do" in again.output


def test_opening_a_legacy_store_stamps_it_without_alembic_and_keeps_every_row(xlsx_clinic: Clinic) -> None:
    xlsx_clinic.sync()
    xlsx_clinic.practice.close()
    with stores.connect(xlsx_clinic.folder) as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        before = contents(conn)
    xlsx_clinic.reopen()
    assert xlsx_clinic.sync().total_changes == 0
    with stores.connect(xlsx_clinic.folder) as conn:
        assert store_revision.current(conn) == store_revision.BASELINE == store_revision.HEAD
        assert contents(conn) == before


def test_a_store_at_a_revision_this_clinicops_does_not_know_is_refused_with_the_way_out(
    xlsx_clinic: Clinic,
) -> None:
    xlsx_clinic.practice.close()
    with stores.connect(xlsx_clinic.folder) as conn:
        store_revision.stamp(conn, "0099_later")
    with pytest.raises(StoreRevisionError, match=r"revision 0099_later .* run 'clinicops store migrate'"):
        xlsx_clinic.reopen()
        xlsx_clinic.practice.store  # noqa: B018


def contents(conn: object) -> dict[str, list[tuple[object, ...]]]:
    q = {
        "records": "SELECT entity, id, version, deleted, data, updated_at FROM records ORDER BY entity, id",
        "versions": "SELECT seq, entity, id, version, at, source, actor, deleted, data, diff, note FROM versions "
        "ORDER BY seq",
        "sync_base": "SELECT backend, entity, id, data, raw_hash, store_version, remote_id FROM sync_base "
        "ORDER BY backend, entity, id",
        "access_log": "SELECT * FROM access_log ORDER BY seq",
    }
    return {name: [tuple(r) for r in conn.execute(text(sql))] for name, sql in q.items()}  # type: ignore[attr-defined]
