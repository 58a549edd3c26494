"""The database refuses to change the access log: only new entries get in.

On SQLite, triggers on both log tables abort any UPDATE or DELETE, and any INSERT that
would land on a row that exists already: ``INSERT OR REPLACE`` (and ``REPLACE INTO``)
resolves its conflict by deleting the old row, which fires no delete trigger, so the
insert guard is what stops it. The guards are put in place (``CREATE TRIGGER IF NOT
EXISTS``) once per transaction, with its first entry, so guards that went missing are put
back with the next entry; ``clinicops audit verify`` names the ones it finds missing. A large
batch of entries goes in with the insert guard lifted inside its own transaction
(:func:`lifted`): no other connection ever sees the log without it.

Other databases get the same through :data:`STATEMENTS`, keyed by SQLAlchemy dialect name.
On PostgreSQL one trigger function (in the practice's own schema) raises, fired before
each UPDATE and DELETE of a row and before a TRUNCATE of either table; ``INSERT ... ON
CONFLICT DO UPDATE`` rewrites an entry through the update trigger, so it is refused too,
and a plain INSERT onto an existing key fails on the primary key. The guards are put in
place by one ``DO`` block that creates them only when one is missing or disabled (a look
at ``pg_trigger``), so a transaction does not take the table lock ``CREATE TRIGGER`` needs.
A role that owns the tables can still drop the triggers; giving the application a role
with only INSERT and SELECT on the log closes that, and the chain and its anchors catch
the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from clinicops import PluginStorage

TABLES = {"access_log": "seq", "access_log_checkpoints": "id"}
REFUSAL = "the clinicops access log is append-only: entries cannot be changed, replaced or deleted"


def _sqlite() -> dict[str, str]:
    out: dict[str, str] = {}
    for table, key in TABLES.items():
        for verb in ("UPDATE", "DELETE"):
            out[f"{table}_no_{verb.lower()}"] = (
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )
        out[f"{table}_no_replace"] = (
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {key} = NEW.{key}) "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )
    return out


_PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION clinicops_access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    f"$fn$ BEGIN RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'restrict_violation'; END $fn$"
)
_PG_PRESENT = (
    "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
    "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal AND t.tgenabled <> 'D'"
)


def _postgresql() -> dict[str, str]:
    out: dict[str, str] = {}
    for table in TABLES:
        for verb, each in (("UPDATE", "ROW"), ("DELETE", "ROW"), ("TRUNCATE", "STATEMENT")):
            out[f"{table}_no_{verb.lower()}"] = (
                f"CREATE OR REPLACE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"FOR EACH {each} EXECUTE FUNCTION clinicops_access_log_append_only()"
            )
    return out


def _postgresql_block(guards: dict[str, str]) -> str:
    """One statement that (re)creates the function and every trigger only when one is missing or disabled."""
    names = ", ".join(f"'{name}'" for name in guards)
    creates = " ".join(f"EXECUTE $q${ddl}$q$;" for ddl in [_PG_FUNCTION, *guards.values()])
    return (
        f"DO $do$ BEGIN IF (SELECT count(*) FROM ({_PG_PRESENT}) AS present WHERE tgname IN ({names})) "
        f"< {len(guards)} THEN {creates} END IF; END $do$"
    )


# dialect name -> guard name -> the statement that creates it if missing
STATEMENTS: dict[str, dict[str, str]] = {"sqlite": _sqlite(), "postgresql": _postgresql()}


@contextmanager
def lifted(storage: PluginStorage) -> Iterator[None]:
    """The log's insert guard lifted while the rest of a large batch goes in (SQLite).

    SQLite runs a row trigger's program for every row inserted, at ten times the cost of the
    insert itself: a 100,000-record import spent a second in it. Entered only once the
    transaction has inserted entries, so it is open (SQLite's DDL is transactional, but the
    driver begins a transaction only at a row's INSERT): the guard is dropped and made again
    inside it, no other connection ever sees the log without it, a rollback puts it back with
    everything else, and what goes in meanwhile is plain INSERTs, which fail on a key that
    exists anyway. It is made again whatever happens in between.
    """
    name = "access_log_no_replace"
    if storage.dialect != "sqlite":
        yield
        return
    storage.execute_ddl(f"DROP TRIGGER IF EXISTS {name}")
    try:
        yield
    finally:
        storage.execute_ddl(STATEMENTS["sqlite"][name])


def statements(dialect: str) -> list[str]:
    """The statements that put every guard in place on this kind of database (none where none apply)."""
    if dialect == "postgresql":
        return [_postgresql_block(STATEMENTS["postgresql"])]
    return list(STATEMENTS.get(dialect, {}).values())


def missing(storage: PluginStorage) -> list[str]:
    """Guards that should refuse edits but are gone (empty where none apply or the log has no entry yet)."""
    if storage.dialect == "postgresql":
        if not storage.execute(text("SELECT to_regclass('access_log') IS NOT NULL")).scalar_one():
            return []
        if not storage.execute(text("SELECT 1 FROM access_log LIMIT 1")).first():
            return []
        present = set(storage.execute(text(_PG_PRESENT)).scalars())
        return [name for name in STATEMENTS["postgresql"] if name not in present]
    if (
        storage.dialect != "sqlite"
        or not storage.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'access_log'")).first()
    ):
        return []
    if not storage.execute(text("SELECT 1 FROM access_log LIMIT 1")).first():
        return []
    present = set(storage.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    return [name for name in STATEMENTS["sqlite"] if name not in present]
