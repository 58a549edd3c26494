"""``clinicops store migrate``: bring a practice's store to the newest revision of its tables.

Alembic runs the migrations in ``core/migrations`` on the practice's own connection (inside
its schema on PostgreSQL, under the schema's advisory lock, in one transaction: PostgreSQL
migrates all or nothing). A store made before migrations existed is stamped as the
baseline first, so nothing in it is recreated or lost. Alembic comes with the fleet
extras; opening a store never needs it (see :mod:`.store_revision`).
"""

from __future__ import annotations

from pathlib import Path

from clinicops.core import store_revision
from clinicops.core.errors import ClinicopsError
from clinicops.core.store_engine import ensure_schema, make_engine

SCRIPTS = Path(__file__).parent / "migrations"


class MigrationUnavailable(ClinicopsError, RuntimeError):
    """Alembic is not installed."""


def alembic_config() -> object:
    try:
        from alembic.config import Config
    except ImportError:
        raise MigrationUnavailable(
            "Migrating a store needs Alembic, which comes with the fleet extras: pip install 'clinicops[fleet]'"
        ) from None
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    return config


def migrate(url: str, schema: str | None) -> tuple[str | None, str]:
    """Upgrade the store at ``url`` (and ``schema``) to the newest revision; (revision before, after)."""
    config = alembic_config()  # first: says how to install Alembic when it is missing
    from alembic import command

    engine = make_engine(url, schema)
    try:
        with engine.begin() as conn:
            store_revision.lock(conn, schema)
            ensure_schema(conn, schema)
            before = store_revision.adopt_legacy(conn)
            config.attributes["connection"] = conn  # type: ignore[attr-defined]
            command.upgrade(config, "head")  # type: ignore[arg-type]
            after = store_revision.current(conn)
    finally:
        engine.dispose()
    return before, str(after)


def head() -> str:
    """The newest revision among the migrations shipped (what ``store_revision.HEAD`` must say)."""
    config = alembic_config()
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(config).get_current_head())  # type: ignore[arg-type]
