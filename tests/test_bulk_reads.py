"""The store's bulk reads of a whole entity (its record index, a backend's bases) are built from
the driver's rows by C loops; they must say what each row says, value for value and type for type."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from clinicops.core.clock import PinnedClock
from clinicops.core.store import Store
from clinicops.core.store_sql import keyed
from clinicops.core.sync_state import BaseEntry


def test_keyed_takes_the_first_column_as_key_and_makes_the_rest() -> None:
    rows = [("a", 1, "x"), ("b", 2, None)]
    assert keyed(rows, tuple) == {"a": (1, "x"), "b": (2, None)}
    assert keyed([], tuple) == {}


def test_index_and_bases_read_back_as_written(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}", PinnedClock(datetime(2024, 5, 1, 9, tzinfo=UTC)))
    with store.transaction() as tx:
        tx.insert_new("patient", [("P1", {"id": "P1"}), ("P2", {"id": "P2"})], source="test", actor="test")
        tx.save("patient", "P2", {"id": "P2", "first_name": "Ada"}, source="test", actor="test")
        tx.save("patient", "P1", None, source="test", actor="test")  # a tombstone
        base = [
            {"id": "P1", "data": {}, "raw_hash": "h1", "store_version": 1, "remote_id": None},
            {"id": "P2", "data": {}, "raw_hash": None, "store_version": 2, "remote_id": "rec2"},
        ]
        tx.sync.put_base("xlsx:a.xlsx", "patient", base)
    with store.transaction() as tx:
        index = tx.index("patient")
        bases = tx.sync.base("xlsx:a.xlsx", "patient")
    store.close()
    assert index == {"P1": (2, True), "P2": (2, False)}
    assert [type(deleted) for _, deleted in index.values()] == [bool, bool]
    assert bases == {"P1": BaseEntry("h1", 1, None), "P2": BaseEntry(None, 2, "rec2")}
    assert bases["P2"].remote_id == "rec2" and type(bases["P2"]) is BaseEntry
