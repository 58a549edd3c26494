"""Which plugin-computed fields a store has already filled in for every record.

A plugin computes its fields for the records a sync creates or changes. When a plugin is
switched on later, or adds a field in a new release, the records nobody touches would
keep that field empty forever; the sync looks here to find fields it has never filled
for an entity and computes them once for every record the entity already has.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, MetaData, String, Table, insert, select

from clinicops.core.schema_registry import Entity

metadata = MetaData()

computed = Table(
    "computed_fields",
    metadata,
    Column("entity", String(64), primary_key=True),
    Column("field", String(128), primary_key=True),
    Column("owner", String(128), nullable=False),
)


def new(conn: Connection, entity: Entity) -> set[str]:
    """Plugin fields of ``entity`` never filled in for the records it already has (or whose owner changed)."""
    if not entity.plugin_fields:
        return set()
    metadata.create_all(conn, checkfirst=True)
    done = {
        (row.field, row.owner)
        for row in conn.execute(select(computed.c.field, computed.c.owner).where(computed.c.entity == entity.name))
    }
    return {name for name, owner in entity.plugin_fields.items() if (name, owner) not in done}


def remember(conn: Connection, entity: Entity, fields: set[str]) -> None:
    """These fields are now filled in for every record of ``entity``."""
    if fields:
        conn.execute(computed.delete().where(computed.c.entity == entity.name, computed.c.field.in_(fields)))
        conn.execute(
            insert(computed), [{"entity": entity.name, "field": f, "owner": entity.plugin_fields[f]} for f in fields]
        )
