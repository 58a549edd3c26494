"""A plugin keeps tables of its own through the storage API, and only its own."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text

from clinicops import PluginStorage, StorageError, hookimpl
from clinicops.core.practice import Practice
from clinicops.plugins.reminders import ledger

from . import stores
from .conftest import Clinic, write_config

metadata = MetaData()
seen = Table("tally_seen", metadata, Column("id", Integer, primary_key=True), Column("patient", String(32)))
stray = Table("records_copy", MetaData(), Column("id", Integer, primary_key=True))


class Tally:
    """Counts, in a table of its own, every patient a sync creates."""

    @hookimpl
    def prepare_storage(self, storage: PluginStorage) -> None:
        storage.prepare(metadata)

    @hookimpl
    def after_sync(self, practice: Any, changes: Any) -> None:
        storage = practice.storage("tally")
        for patient in changes.store_created.get("patient", []):
            storage.execute(insert(seen).values(patient=patient))

    @hookimpl
    def refresh_tables(self, practice: Any) -> None:
        practice.storage("tally").execute(insert(seen).values(patient="during-sync"))


def with_tally(clinic: Clinic) -> Practice:
    clinic.practice.close()
    clinic.practice = Practice.open(clinic.folder)
    clinic.practice.pm.register(Tally(), name="tally")
    return clinic.practice


def tally(clinic: Clinic) -> list[str]:
    with clinic.practice.view() as view:
        return [r.patient for r in view.storage("tally").execute(select(seen).order_by(seen.c.id))]


def test_a_plugin_table_is_created_when_the_store_opens_and_commits_with_the_sync(xlsx_clinic: Clinic) -> None:
    with_tally(xlsx_clinic)
    xlsx_clinic.sync(dry_run=True)
    assert tally(xlsx_clinic) == []  # the dry run's writes, the plugin's included, rolled back
    xlsx_clinic.sync()
    assert sorted(tally(xlsx_clinic)) == sorted(["during-sync", "P000001", "P000002", "P000003", "P000004", "P000005"])


def test_a_plugin_cannot_touch_a_table_that_is_not_its_own(xlsx_clinic: Clinic) -> None:
    with xlsx_clinic.practice.view() as view:
        storage = view.storage("tally")
        with pytest.raises(StorageError, match="may only use tables named 'tally_…', not 'records_copy'"):
            storage.execute(select(func.count()).select_from(stray))
        with pytest.raises(StorageError, match="not 'records_copy'"):
            storage.prepare(stray.metadata)


def test_separately_commits_even_when_the_work_around_it_rolls_back(xlsx_clinic: Clinic) -> None:
    practice = with_tally(xlsx_clinic)
    with pytest.raises(RuntimeError), practice.view() as view:
        storage = view.storage("tally")
        with storage.separately() as own:
            own.execute(insert(seen).values(patient="kept"))
        storage.execute(insert(seen).values(patient="rolled back"))
        raise RuntimeError("the work failed")
    assert tally(xlsx_clinic) == ["kept"]


def test_a_renamed_ledger_keeps_its_rows(xlsx_clinic: Clinic) -> None:
    """The reminders ledger was called reminder_outbox; a store made then keeps every row."""
    xlsx_clinic.practice.close()
    with stores.connect(xlsx_clinic.folder) as conn:
        conn.execute(text("DROP TABLE IF EXISTS reminders_outbox"))
        conn.execute(
            text(
                "CREATE TABLE reminder_outbox (id INTEGER PRIMARY KEY, appointment_id VARCHAR(128) NOT NULL, "
                "start VARCHAR(32) NOT NULL, offset_min INTEGER NOT NULL, channel VARCHAR(32) NOT NULL, "
                "patient_id VARCHAR(128) NOT NULL, idempotency_key VARCHAR(300) NOT NULL UNIQUE, "
                "state VARCHAR(16) NOT NULL, attempts INTEGER NOT NULL, reserved_at VARCHAR(32) NOT NULL, "
                "finished_at VARCHAR(32), detail TEXT, access_logged BOOLEAN NOT NULL)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO reminder_outbox VALUES (1, 'A000001', '2026-11-25T19:30:00Z', 2880, 'email', "
                "'P000001', 'A000001:2026-11-25T19:30:00Z:2880m:email', 'sent', 1, '2026-11-23T20:00:00Z', "
                "'2026-11-23T20:00:01Z', NULL, TRUE)"
            )
        )
    write_config(xlsx_clinic.folder, plugins=["reminders"])
    practice = Practice.open(xlsx_clinic.folder)
    with practice.view() as view:
        [row] = ledger.rows(view.storage("reminders"))
    practice.close()
    assert (row.appointment_id, row.state) == ("A000001", "sent")
    names = stores.table_names(xlsx_clinic.folder)
    assert "reminders_outbox" in names and "reminder_outbox" not in names


def test_insert_many_takes_dicts_or_tuples_and_only_the_plugins_tables(xlsx_clinic: Clinic) -> None:
    practice = with_tally(xlsx_clinic)
    with practice.view() as view:
        storage = view.storage("tally")
        storage.insert_many(seen, [{"patient": "P1"}, {"patient": "P2"}])
        storage.insert_many(seen, [("P3",), ("P4",)], ("patient",))
        storage.insert_many(seen, [])
        with pytest.raises(StorageError, match="not 'records_copy'"):
            storage.insert_many(stray, [(1,)])
        with pytest.raises(StorageError, match="not 'records_copy'"):  # a subquery on another table is caught too
            storage.execute(select(seen.c.id).where(seen.c.id.in_(select(stray.c.id))))
    assert tally(xlsx_clinic) == ["P1", "P2", "P3", "P4"]


def test_insert_many_writes_the_values_every_row_shares_as_given_quotes_and_all(xlsx_clinic: Clinic) -> None:
    practice = with_tally(xlsx_clinic)
    with practice.view() as view:
        storage = view.storage("tally")
        storage.insert_many(seen, [(1,), (2,)], ("id",), {"patient": "O'Brien'); DROP TABLE t; --"})
        storage.insert_many(seen, [(3,)], ("id",), {"patient": None})
        storage.insert_many(seen, [("P4",)], ("patient",), {"id": 4})
        rows = [tuple(r) for r in storage.execute(select(seen).order_by(seen.c.id))]
    assert rows == [
        (1, "O'Brien'); DROP TABLE t; --"),
        (2, "O'Brien'); DROP TABLE t; --"),
        (3, None),
        (4, "P4"),
    ]


def test_memo_lasts_one_transaction_and_at_commit_runs_only_after_a_commit(xlsx_clinic: Clinic) -> None:
    practice = with_tally(xlsx_clinic)
    ran: list[str] = []
    with practice.view() as view:
        view.storage("tally").memo["head"] = 7
        assert view.storage("tally").memo == {"head": 7}  # the same transaction: the same memo
        assert view.storage("other").memo == {}  # each plugin its own
        view.storage("tally").at_commit(lambda: ran.append("committed"))
        assert ran == []  # not before the commit
    assert ran == ["committed"]
    with pytest.raises(RuntimeError), practice.view() as view:
        assert view.storage("tally").memo == {}  # a new transaction starts with none
        view.storage("tally").at_commit(lambda: ran.append("rolled back"))
        raise RuntimeError("the work failed")
    assert ran == ["committed"]

    def fails() -> None:
        raise OSError("disk full")

    with practice.view() as view:  # a failing callback is logged; the commit stands
        view.storage("tally").insert_many(seen, [("after a failing callback",)], ("patient",))
        view.storage("tally").at_commit(fails)
    assert tally(xlsx_clinic) == ["after a failing callback"]
