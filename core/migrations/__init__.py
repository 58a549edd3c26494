"""Alembic migrations of the store's tables, for SQLite and PostgreSQL (see core.store_revision).

Run through ``clinicops store migrate``, never by hand: it passes the practice's connection
(already inside its schema on PostgreSQL) to ``env.py``.
"""
