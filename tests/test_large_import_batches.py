"""A sheet larger than a write batch: the store, the bases, the reservations and the access log
are written a batch at a time (so a large import holds one batch of statement rows), and
nothing is lost or doubled at the seams between batches."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from clinicops.core.store import StoreTx
from clinicops.core.store_sql import WRITE_BATCH

from .conftest import Clinic
from .test_plugin_access_log import audit
from .test_sync_identity import crash_after_commit

ROWS = WRITE_BATCH + 700


def new_patients(n: int) -> list[dict[str, Any]]:
    return [{"First name": f"Pat{i}", "Last name": f"Batch{i:05d}", "Date of birth": "1/2/1980"} for i in range(n)]


def batch_names(clinic: Clinic) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in clinic.records("patient"):
        if p["last_name"].startswith("Batch"):
            counts[p["last_name"]] = counts.get(p["last_name"], 0) + 1
    return counts


def test_a_first_import_larger_than_a_write_batch_stores_every_row_once_and_logs_every_access(
    xlsx_clinic: Clinic,
) -> None:
    clinic = xlsx_clinic
    clinic.sync()  # the practice's own few rows
    clinic.sheet.append("Patients", new_patients(ROWS))
    report = clinic.sync()
    assert report.errors == []
    assert report.entities["patient"].created == ROWS
    assert batch_names(clinic) == {f"Batch{i:05d}": 1 for i in range(ROWS)}
    ids = [row["MRN"] for row in clinic.sheet.rows("Patients")]
    assert all(ids) and len(set(ids)) == len(ids)
    assert clinic.sync().total_changes == 0  # every row's base arrived, across the batches
    if clinic.practice.store.engine.dialect.name == "sqlite":
        assert audit("verify", "-p", str(clinic.folder)).exit_code == 0
        with sqlite3.connect(clinic.folder / "data" / "clinicops.db") as conn:
            created = conn.execute("SELECT count(*) FROM access_log WHERE action = 'create'").fetchone()[0]
        assert created >= ROWS


def test_a_kill_after_the_commit_of_a_large_import_converges_without_a_duplicate(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    clinic.sync()  # the practice's own few rows
    clinic.sheet.append("Patients", new_patients(ROWS))
    crash_after_commit(clinic)  # every id is reserved in the store, none reached the sheet
    report = clinic.sync()
    assert report.errors == []
    assert report.entities["patient"].created == 0
    assert batch_names(clinic) == {f"Batch{i:05d}": 1 for i in range(ROWS)}
    assert all(row["MRN"] for row in clinic.sheet.rows("Patients"))
    assert clinic.sync().total_changes == 0


def test_updates_larger_than_a_write_batch_each_get_one_new_version(xlsx_clinic: Clinic) -> None:
    engine = xlsx_clinic.practice.store.engine
    with engine.connect() as conn:
        trans = conn.begin()
        tx = StoreTx(conn, xlsx_clinic.practice.clock)
        ids = [f"B{i:05d}" for i in range(ROWS)]
        tx.insert_new("patient", [(i, {"id": i, "last_name": "Old"}) for i in ids], source="test", actor="test")
        current = tx.get_many("patient", ids)
        versions = tx.save_many(
            "patient", [(current[i], {"id": i, "last_name": "New"}, None) for i in ids], source="test", actor="test"
        )
        assert versions == {i: 2 for i in ids}
        after = tx.get_many("patient", ids)
        assert {r.data["last_name"] for r in after.values()} == {"New"} and len(after) == ROWS
        assert [v.data["last_name"] for v in tx.history("patient", ids[-1])] == ["Old", "New"]
        assert tx.changed()["created"]["patient"] == sorted(ids)
        trans.rollback()


@pytest.mark.parametrize("rows", [WRITE_BATCH, ROWS])
def test_bases_and_reservations_of_more_than_a_batch_are_all_kept(xlsx_clinic: Clinic, rows: int) -> None:
    engine = xlsx_clinic.practice.store.engine
    with engine.connect() as conn:
        trans = conn.begin()
        state = StoreTx(conn, xlsx_clinic.practice.clock).sync
        bases = [{"id": f"B{i:05d}", "data": {"n": i}, "raw_hash": f"h{i}", "store_version": 1} for i in range(rows)]
        state.put_base("test", "patient", bases)
        state.put_base("test", "patient", bases[-3:])  # replacing some leaves one base each
        assert len(state.base("test", "patient")) == rows
        assert state.base_data("test", "patient", ["B00000"]) == {"B00000": {"n": 0}}
        state.set_pending("test", "patient", {b["id"]: b["raw_hash"] for b in bases})
        assert state.pending("test", "patient") == {b["id"]: b["raw_hash"] for b in bases}
        trans.rollback()


@contextmanager
def created_in_bulk(clinic: Clinic, source: str, actor: str) -> Iterator[tuple[StoreTx, list[str]]]:
    """A transaction, rolled back after, in which ``ROWS`` records were created in one bulk insert."""
    with clinic.practice.store.engine.connect() as conn:
        trans = conn.begin()
        tx = StoreTx(conn, clinic.practice.clock)
        ids = [f"B{i:05d}" for i in range(ROWS)]
        tx.insert_new("patient", [(i, {"id": i}) for i in ids], source=source, actor=actor)
        yield tx, ids
        trans.rollback()


def test_records_created_in_bulk_keep_what_they_share_as_given_quotes_and_all(xlsx_clinic: Clinic) -> None:
    with created_in_bulk(xlsx_clinic, source="sheet 'Q1'; --", actor="o'brien") as (tx, ids):
        [first] = tx.history("patient", ids[-1])
        assert (first.version, first.source, first.actor, first.deleted, first.data) == (
            1,
            "sheet 'Q1'; --",
            "o'brien",
            False,
            {"id": ids[-1]},
        )
        assert tx.index("patient") == dict.fromkeys(ids, (1, False))


def test_settled_bases_with_and_without_a_remote_id_refer_each_to_its_records_version(xlsx_clinic: Clinic) -> None:
    with created_in_bulk(xlsx_clinic, source="test", actor="test") as (tx, ids):
        remote = {i: f"rec{n}" if n % 2 else None for n, i in enumerate(ids)}
        bases = [
            {"id": i, "data": {"id": i}, "raw_hash": f"h{i}", "store_version": 0, "remote_id": remote[i]} for i in ids
        ]
        tx.sync.put_base("xlsx:o'brien.xlsx", "patient", bases, settled=dict.fromkeys(ids, 1))
        base = tx.sync.base("xlsx:o'brien.xlsx", "patient")
        assert base == {i: (f"h{i}", 1, remote[i]) for i in ids}
        assert tx.sync.base_data("xlsx:o'brien.xlsx", "patient", ids) == {i: {"id": i} for i in ids}
        tx.sync.put_base("other", "patient", bases[:1], settled={ids[0]: 2})
        with pytest.raises(RuntimeError, match="refers to a version the store does not have"):
            tx.sync.base_data("other", "patient", ids[:1])
