"""Each store's own identity, and which backends have been marked with it.

A practice's store is made once and then kept; a new store under a sheet clinicops has
already filled means the old one was deleted or replaced (see :mod:`.lost_store`). The rows
of a sheet are not always enough to tell: a tab may hold no ids yet, and the tabs only
clinicops fills may be empty. So every store has an identity of its own (a random UUID made
with the store), laying out a backend or the first sync that finishes marks it with that
identity in an owned, hidden place (a hidden defined name in a workbook, developer
metadata on a Google spreadsheet, a field description in Airtable), and the store
remembers which backends carry its mark so the mark is written only when it is missing.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Column, Connection, MetaData, String, Table, insert, select

metadata = MetaData()

identity = Table(
    "store_identity",
    metadata,
    Column("key", String(300), primary_key=True),  # "store", or "marked:" + a backend's key
    Column("value", String(64), nullable=False),
)

STORE = "store"


def of(conn: Connection) -> str:
    """This store's identity, made the first time it is asked for."""
    metadata.create_all(conn, checkfirst=True)
    found = conn.execute(select(identity.c.value).where(identity.c.key == STORE)).scalar()
    if found is None:
        found = str(uuid.uuid4())
        conn.execute(insert(identity).values(key=STORE, value=found))
    return str(found)


def marked(conn: Connection, backend_key: str) -> bool:
    """Whether this store has marked the backend ``backend_key`` with its identity."""
    metadata.create_all(conn, checkfirst=True)
    key = f"marked:{backend_key}"
    return conn.execute(select(identity.c.value).where(identity.c.key == key)).scalar() is not None


def remember_marked(conn: Connection, backend_key: str, value: str) -> None:
    """The backend ``backend_key`` now carries this store's identity ``value``."""
    metadata.create_all(conn, checkfirst=True)
    conn.execute(insert(identity).values(key=f"marked:{backend_key}", value=value))
