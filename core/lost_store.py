"""A store that comes up empty under a sheet clinicops has already filled is a lost store, not a new practice.

Deleting or replacing ``data/clinicops.db`` would otherwise start the practice over
without a word: every record's history gone, the access log restarted as if nothing had
been logged, and reminders sent again because the ledger that remembered them is gone.
So a sync that finds the store empty (no record, no earlier sync) stops before changing
anything when the sheet shows clinicops has worked on it: rows with ids, together with
rows in a tab only clinicops fills (Alerts, the tables plugins keep) or backups clinicops
made of the workbook, or the backend carries the mark of another store: each store has an
identity of its own, and a finished sync marks the backend with it once (see
:mod:`.store_identity`), so even a sheet whose rows hold no ids yet, with empty clinicops
tabs and the data folder gone, is known to have been synced before. A sheet whose staff
typed ids before any sync (an import from an older system) has none of these, and imports
as usual.

The way out is a sentence away: restore the store from a backup, or rebuild it from the
sheet on purpose with ``clinicops sync --adopt-ids``, which is recorded in the access log
as a rebuild by the person who ran it. Reminders are not sent twice after a rebuild: the
sheet's "Reminder sent" column comes back into the store with each appointment, and a
reminder whose time that column already covers is not due again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select

from clinicops.connectors.base import BackendError, SheetTable, normalize_header
from clinicops.core import store_identity
from clinicops.core.access import AccessEvent
from clinicops.core.errors import ClinicopsError
from clinicops.core.practice import store_tx
from clinicops.core.records import records
from clinicops.core.schema_registry import Entity


class StoreLost(ClinicopsError, RuntimeError):
    """The sheet says this practice has synced before, but its store is empty."""


def check(
    view: Any,
    entities: list[Entity],
    tables: Mapping[str, SheetTable | None],
    headers: Mapping[str, str | None],
    *,
    clinicops_tabs: set[str],
    adopted_by: str | None,
    backend_mark: Callable[[], str | None] | None = None,
    backend_key: str = "",
) -> None:
    """Stop (or, with ``adopted_by``, record the rebuild) when the store is new under a sheet clinicops filled.

    ``headers`` names each entity's id column as the sheet has it; ``clinicops_tabs`` are the
    entities only clinicops writes (alerts, plugins' tables); ``backend_mark`` reads the identity of
    the store that last synced the backend ``backend_key``, which the backend keeps (see
    core.store_identity).
    """
    if not _is_new(store_tx(view)):
        return
    found = _evidence(view, entities, tables, headers, clinicops_tabs, backend_mark, backend_key)
    if found is None:
        return
    if adopted_by:
        view.accessed(
            AccessEvent(
                adopted_by,
                "user",
                "cli",
                "rebuild",
                "store",
                "all",
                (),
                "store rebuilt from the sheet's ids (--adopt-ids)",
            )
        )
        return
    schema = getattr(view, "store_schema", None)
    where = f"the store (schema {schema})" if schema else f"{view.data_dir.name}/clinicops.db"
    raise StoreLost(
        f"Stopped: {found}, but {where} is empty, so the store "
        "was deleted or replaced. Restore it from a backup of the data folder, or run 'clinicops sync --adopt-ids' "
        "to rebuild it from the sheet on purpose (recorded in the access log; the records' history before now stays "
        "lost). Nothing was changed."
    )


def _evidence(
    view: Any,
    entities: list[Entity],
    tables: Mapping[str, SheetTable | None],
    headers: Mapping[str, str | None],
    clinicops_tabs: set[str],
    backend_mark: Callable[[], str | None] | None,
    backend_key: str,
) -> str | None:
    """What shows the sheet was synced before, as the start of a sentence; None when nothing does."""
    typed = _first_id([e for e in entities if e.name not in clinicops_tabs], tables, headers)
    if typed is not None:
        ours = _first_id([e for e in entities if e.name in clinicops_tabs], tables, headers)
        evidence = (f"rows in a tab only clinicops fills ({ours})" if ours else None) or _backups(view.data_dir)
        if evidence:
            return f"the sheet carries clinicops ids ({typed}) and {evidence}"
    if backend_mark is None or store_identity.marked(store_tx(view).conn, backend_key):
        return None  # this store marked the backend itself (when laying it out)
    mark = backend_mark()
    if mark and mark != store_identity.of(store_tx(view).conn):
        return f"the sheet carries the mark of the store that synced it before (store {mark[:8]})"
    return None


def mark(store: Any, backend: Any, key: str, *, after_sync: bool = True) -> None:
    """Mark the backend with the store's identity: after a finished sync, once; or when laying it out.

    Laying out (``init``) leaves another store's mark alone: the sync that follows stops
    with the way out. A local workbook is checked after every finished sync, so one replaced
    under the same name (a copy, a restored backup) carries the mark again. A backend that
    cannot take the mark now (someone has the workbook open, the network failed) is marked by
    a later sync; the sync itself has succeeded.
    """
    with store.transaction() as tx:
        done_before = store_identity.marked(tx.conn, key)
        local = backend.store_mark_is_local
        if after_sync and done_before and not local:
            return  # a remote backend's mark is not read again: it would cost a request every sync
        identity = store_identity.of(tx.conn)
        try:
            current = backend.store_mark() if local or not after_sync else None
            if not after_sync and current not in (None, identity):
                return
            done = current == identity or backend.mark_store(identity)
        except BackendError:
            return
        if done and not done_before:
            store_identity.remember_marked(tx.conn, key, identity)


def _is_new(tx: Any) -> bool:
    conn = tx.conn
    return conn.execute(select(records.c.id).limit(1)).first() is None and tx.sync.last_run() is None


def _first_id(
    entities: list[Entity],
    tables: Mapping[str, SheetTable | None],
    headers: Mapping[str, str | None],
) -> str | None:
    """Where the first id in these entities' tabs sits: ``Patients row 2: P000001``."""
    for entity in entities:
        table, header = tables.get(entity.name), headers.get(entity.name)
        if table is None or header is None:
            continue
        wanted = normalize_header(header)
        col = next((i for i, h in enumerate(table.header) if normalize_header(h) == wanted), None)
        if col is None:
            continue
        for row in table.rows:
            value = row.values[col] if col < len(row.values) else None
            if value not in (None, "") and str(value).strip():
                return f"{table.title} row {row.number}: {str(value).strip()}"
    return None


def _backups(data_dir: Any) -> str | None:
    folder = data_dir / "backups"
    if folder.is_dir() and any(folder.iterdir()):
        return f"clinicops's backups of the workbook are in {data_dir.name}/backups"
    return None
