"""Which revision of the store's tables a store has, checked each time it opens.

The store's tables change with clinicops; each change is an Alembic migration in
``core/migrations`` (for SQLite and PostgreSQL alike), and a store records the revision it
is at in Alembic's own table, ``alembic_version``. Opening a store needs no Alembic: a new
store gets every table and the newest revision; a store made before migrations existed
(no ``alembic_version``, but records) is at the baseline and is stamped so; a store behind
(or ahead of) this clinicops is refused with the command that moves it, ``clinicops store
migrate`` (which needs the fleet extras, where Alembic comes from). On PostgreSQL the
check runs under an advisory lock of the practice's schema, so workers opening a new
practice at once create it once.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, MetaData, String, Table, inspect, select, text

from clinicops.core import store_identity
from clinicops.core.errors import ClinicopsError
from clinicops.core.store_sql import metadata

BASELINE = "0001_baseline"
# The newest migration in core/migrations/versions (a test holds the two together).
HEAD = "0001_baseline"

# Alembic's own version table, as Alembic creates it.
_versions = MetaData()
alembic_version = Table(
    "alembic_version", _versions, Column("version_num", String(32), primary_key=True, nullable=False)
)


class StoreRevisionError(ClinicopsError, RuntimeError):
    """The store's tables are at a revision this clinicops does not run on."""


def core_metadata() -> list[MetaData]:
    """Every table the core keeps in a store (plugins create and keep their own)."""
    return [metadata, store_identity.metadata]


def lock(conn: Connection, schema: str | None) -> None:
    """Hold the schema's advisory lock until the transaction ends (PostgreSQL; SQLite locks the file)."""
    if conn.dialect.name == "postgresql":
        key = f"clinicops store {schema or 'public'}"
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def current(conn: Connection) -> str | None:
    """The store's revision; None for a store with no ``alembic_version``."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(select(alembic_version.c.version_num)).scalar()


def stamp(conn: Connection, revision: str) -> None:
    _versions.create_all(conn, checkfirst=True)
    conn.execute(alembic_version.delete())
    conn.execute(alembic_version.insert().values(version_num=revision))


def adopt_legacy(conn: Connection) -> str | None:
    """Stamp a store made before migrations existed as the baseline; its revision (None if new)."""
    revision = current(conn)
    if revision is None and inspect(conn).has_table("records"):
        store_identity.metadata.create_all(conn, checkfirst=True)  # made on first use back then
        stamp(conn, BASELINE)
        revision = BASELINE
    return revision


def settle(conn: Connection, where: str) -> None:
    """Make a new store at the newest revision, stamp a legacy one, refuse one at another revision."""
    revision = adopt_legacy(conn)
    if revision is None:
        for tables in core_metadata():
            tables.create_all(conn, checkfirst=True)
        stamp(conn, HEAD)
        return
    if revision != HEAD:
        raise StoreRevisionError(
            f"{where} is at revision {revision} of the store's tables and this clinicops runs on {HEAD}: "
            "run 'clinicops store migrate' (with pip install 'clinicops[fleet]'), or use the clinicops that made it"
        )
