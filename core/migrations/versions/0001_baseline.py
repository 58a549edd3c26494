"""The store's tables as they were when migrations began: records, versions, sync state, identity.

Revision ID: 0001_baseline
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    _records()
    _sync_state()
    op.create_table(
        "store_identity",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("value", sa.String(64), nullable=False),
    )


def _records() -> None:
    op.create_table(
        "records",
        sa.Column("entity", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "versions",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("diff", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_versions_record", "versions", ["entity", "id", "version"])
    op.create_index("ix_versions_entity_seq", "versions", ["entity", "seq"])


def _sync_state() -> None:
    op.create_table(
        "sync_base",
        sa.Column("backend", sa.String(256), primary_key=True),
        sa.Column("entity", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("raw_hash", sa.String(64)),
        sa.Column("store_version", sa.Integer, nullable=False),
        sa.Column("remote_id", sa.String(128)),
    )
    op.create_table(
        "pending_rows",
        sa.Column("backend", sa.String(256), primary_key=True),
        sa.Column("entity", sa.String(64), primary_key=True),
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "sync_tables",
        sa.Column("backend", sa.String(256), primary_key=True),
        sa.Column("entity", sa.String(64), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("marker", sa.Integer, nullable=False),
        sa.Column("report", sa.Text, nullable=False),
    )
    op.create_table(
        "sync_runs",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("backend", sa.String(256), nullable=False),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("finished_at", sa.String(32)),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("summary", sa.Text),
    )


def downgrade() -> None:
    for table in ("store_identity", "sync_runs", "sync_tables", "pending_rows", "sync_base", "versions", "records"):
        op.drop_table(table)
