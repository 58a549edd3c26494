"""The database refuses to change the access log: only new entries get in.

On SQLite, triggers on both log tables abort any UPDATE or DELETE, and any INSERT that
would land on a row that exists already: ``INSERT OR REPLACE`` (and ``REPLACE INTO``)
resolves its conflict by deleting the old row, which fires no delete trigger, so the
insert guard is what stops it. The guards are put in place (``CREATE TRIGGER IF NOT
EXISTS``) once per transaction, with its first entry, so guards that went missing are put
back with the next entry; ``clinicops audit verify`` names the ones it finds missing.

Other databases get the same through :data:`STATEMENTS`, keyed by SQLAlchemy dialect name.
PostgreSQL's equivalent is one trigger function that raises, fired ``BEFORE UPDATE OR
DELETE OR TRUNCATE`` on each table (``INSERT ... ON CONFLICT DO UPDATE`` fires the update
trigger), plus grants that give the application role only INSERT and SELECT; until it is
added there, such a store relies on the chain and the anchors alone.
"""

from __future__ import annotations

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


# dialect name -> guard name -> the statement that creates it if missing
STATEMENTS: dict[str, dict[str, str]] = {"sqlite": _sqlite()}


def statements(dialect: str) -> list[str]:
    """The statements that put every guard in place on this kind of database (none where none apply)."""
    return list(STATEMENTS.get(dialect, {}).values())


def missing(storage: PluginStorage) -> list[str]:
    """Guards that should refuse edits but are gone (empty where none apply or the log has no entry yet)."""
    if (
        storage.dialect != "sqlite"
        or not storage.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'access_log'")).first()
    ):
        return []
    if not storage.execute(text("SELECT 1 FROM access_log LIMIT 1")).first():
        return []
    present = set(storage.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    return [name for name in STATEMENTS["sqlite"] if name not in present]
