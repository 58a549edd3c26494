"""The sync engine on a real workbook on disk: every rule of the sync in ``docs/architecture.md``."""

from __future__ import annotations

from typing import Any

import pytest
from filelock import FileLock
from sqlalchemy import text

from clinicops import hookimpl
from clinicops.core.plugin_manager import get_plugin_manager
from clinicops.core.practice import Practice
from clinicops.core.sync import DeleteGuardTripped, SyncBusy

from .conftest import Clinic


def by_id(rows: list[dict], header: str = "MRN") -> dict:
    return {r[header]: r for r in rows if r.get(header)}


def row_of(clinic: Clinic, tab: str, header: str, value: str) -> int:
    """The row number of the first row whose cell under ``header`` is ``value``."""
    return next(r["_row"] for r in clinic.sheet.rows(tab) if r.get(header) == value)


def test_first_sync_imports_rows_and_writes_new_ids_back(clinic: Clinic) -> None:
    report = clinic.sync()
    assert report.entities["patient"].created == 5
    rows = clinic.sheet.rows("Patients")
    ids = {r["Last name"]: r["MRN"] for r in rows}
    assert ids == {
        "Hopper": "P000001",
        "Turing": "P000002",
        "Johnson": "P000003",
        "Dijkstra": "P000004",
        "Liskov": "P000005",
    }
    grace = clinic.record("patient", "P000001")
    assert grace["date_of_birth"] == "1956-12-09"
    assert grace["phone"] == "+16175550101"
    assert grace["zip"] == "02134"
    assert grace["reminder_consent"] == "email"
    assert clinic.record("patient", "P000002")["reminder_consent"] == "sms"
    assert clinic.record("patient", "P000004")["last_name"] == "Dijkstra"


def test_second_sync_writes_nothing_and_reports_zero_changes(clinic: Clinic) -> None:
    clinic.sync()
    before = clinic.sheet.fingerprint()
    report = clinic.sync()
    assert clinic.sheet.fingerprint() == before
    assert not report.wrote
    assert report.total_changes == 0
    assert report.entities["patient"].unchanged == 5


def test_sorted_rows_change_nothing(clinic: Clinic) -> None:
    clinic.sync()
    clinic.sheet.sort("Patients", "Last name", reverse=True)
    before = clinic.sheet.fingerprint()
    report = clinic.sync()
    assert report.total_changes == 0
    assert clinic.sheet.fingerprint() == before
    assert len(clinic.records("patient")) == 5


class ReminderField:
    """A plugin that declares one appointment field of its own, as the reminders plugin does."""

    @hookimpl
    def register_schemas(self) -> list[dict[str, Any]]:
        sent = {"type": "string", "x-title": "Reminder sent", "format": "date-time", "x-owner": "plugin"}
        return [{"title": "appointment", "properties": {"reminder_sent_at": sent}}]


def with_reminder_field(clinic: Clinic) -> None:
    pm = get_plugin_manager(clinic.practice.config.enabled_plugins)
    pm.register(ReminderField(), name="reminder_field")
    clinic.practice.close()
    clinic.practice = Practice(clinic.practice.config, pm=pm)


def test_sheet_edit_and_plugin_change_to_other_field_both_survive(clinic: Clinic) -> None:
    with_reminder_field(clinic)
    clinic.sync()
    clinic.sheet.append(
        "Appointments",
        [
            {
                "Patient": "P000001",
                "Provider": "PR000001",
                "Start": "3/4/2026 2:30 PM",
                "Minutes": 30,
                "Type": "follow-up",
                "Status": "Scheduled",
                "Reason": "Blood pressure check",
            },
        ],
    )
    clinic.sync()
    appt = clinic.records("appointment")[0]
    with clinic.practice.view(source="plugin:reminders") as view:
        view.save("appointment", {**appt, "reminder_sent_at": "2026-03-02T19:30:00Z"}, plugin="reminders")
    clinic.sheet.edit("Appointments", row_of(clinic, "Appointments", "ID", appt["id"]), "Status", "confirmed")
    report = clinic.sync()
    stored = clinic.record("appointment", appt["id"])
    assert stored["status"] == "confirmed"
    assert stored["reminder_sent_at"] == "2026-03-02T19:30:00Z"
    assert report.entities["appointment"].conflicts == []
    sheet_row = by_id(clinic.sheet.rows("Appointments"), "ID")[appt["id"]]
    assert sheet_row["Status"] == "confirmed"
    assert sheet_row["Reminder sent"] is not None


def test_conflict_is_resolved_by_owner_and_reported(clinic: Clinic) -> None:
    clinic.sync()
    grace = clinic.record("patient", "P000001")
    with clinic.practice.view(source="plugin:x") as view:
        view.save("patient", {**grace, "insurance_payer": "Aetna"}, plugin="x")
    clinic.sheet.edit("Patients", row_of(clinic, "Patients", "MRN", "P000001"), "Insurance payer", "Tufts Health Plan")
    report = clinic.sync()
    assert clinic.record("patient", "P000001")["insurance_payer"] == "Tufts Health Plan"
    [conflict] = report.entities["patient"].conflicts
    assert conflict["winner"] == "sheet"
    assert conflict["lost"] == "Aetna"
    history = clinic.practice.store
    with history.transaction() as tx:
        notes = [v.note for v in tx.history("patient", "P000001") if v.note]
    assert any("Aetna" in n for n in notes)


def test_plugin_owned_field_keeps_store_value_on_conflict(clinic: Clinic) -> None:
    with_reminder_field(clinic)
    clinic.sync()
    clinic.sheet.append(
        "Appointments",
        [
            {
                "Patient": "P000001",
                "Provider": "PR000001",
                "Start": "2026-03-04 14:30",
                "Minutes": 30,
                "Type": "annual",
                "Status": "scheduled",
            },
        ],
    )
    clinic.sync()
    appt = clinic.records("appointment")[0]
    with clinic.practice.view() as view:
        view.save("appointment", {**appt, "reminder_sent_at": "2026-03-02T19:30:00Z"}, plugin="reminders")
    clinic.sheet.edit(
        "Appointments", row_of(clinic, "Appointments", "ID", appt["id"]), "Reminder sent", "2026-01-01 09:00"
    )
    report = clinic.sync()
    assert clinic.record("appointment", appt["id"])["reminder_sent_at"] == "2026-03-02T19:30:00Z"
    [conflict] = report.entities["appointment"].conflicts
    assert conflict["winner"] == "store"


def test_duplicate_id_is_reported_on_second_row_and_nothing_merged(clinic: Clinic) -> None:
    clinic.sync()
    clinic.sheet.append(
        "Patients", [{"MRN": "P000001", "First name": "Impostor", "Last name": "Hopper", "Date of birth": "1956-12-09"}]
    )
    report = clinic.sync()
    [err] = report.entities["patient"].errors
    impostor = row_of(clinic, "Patients", "First name", "Impostor")
    assert err.row == impostor
    assert err.column == "MRN"
    assert f"row {row_of(clinic, 'Patients', 'First name', 'Grace')}" in err.problem
    assert clinic.record("patient", "P000001")["first_name"] == "Grace"
    assert clinic.sheet.note("Patients", impostor, "MRN")


def test_invalid_cell_keeps_typed_text_gains_note_highlight_and_errors_then_fix_clears(clinic: Clinic) -> None:
    clinic.sync()
    grace = row_of(clinic, "Patients", "MRN", "P000001")
    clinic.sheet.edit("Patients", grace, "ZIP", "2134")
    clinic.sheet.edit("Patients", grace, "Last name", "Hopper-Smith")
    report = clinic.sync()
    [err] = report.entities["patient"].errors
    assert (err.sheet, err.row, err.column) == ("Patients", grace, "ZIP")
    assert err.value == "<phi: 4 chars>"
    row = by_id(clinic.sheet.rows("Patients"))["P000001"]
    assert row["ZIP"] == "2134"
    assert "ZIP" in row["Errors"]
    assert clinic.sheet.highlighted("Patients", grace, "ZIP")
    assert "expected" in clinic.sheet.note("Patients", grace, "ZIP")
    stored = clinic.record("patient", "P000001")
    assert stored["zip"] == "02134"
    assert stored["last_name"] == "Hopper"

    clinic.sheet.edit("Patients", grace, "ZIP", "02134-1234")
    report = clinic.sync()
    assert report.errors == []
    row = by_id(clinic.sheet.rows("Patients"))["P000001"]
    assert row.get("Errors") in (None, "")
    assert not clinic.sheet.highlighted("Patients", grace, "ZIP")
    assert clinic.sheet.note("Patients", grace, "ZIP") is None
    stored = clinic.record("patient", "P000001")
    assert stored["zip"] == "02134-1234"
    assert stored["last_name"] == "Hopper-Smith"


def test_invalid_new_row_gets_no_id_until_fixed(clinic: Clinic) -> None:
    clinic.sheet.append(
        "Patients", [{"First name": "Ida", "Last name": "Rhodes", "Date of birth": "5/15/1960", "ZIP": "0213"}]
    )
    report = clinic.sync()
    assert len(report.errors) == 1
    ida = row_of(clinic, "Patients", "First name", "Ida")
    assert clinic.sheet.rows("Patients")[-1]["MRN"] in (None, "")
    clinic.sheet.edit("Patients", ida, "ZIP", "02139")
    clinic.sync()
    assert next(r for r in clinic.sheet.rows("Patients") if r["First name"] == "Ida")["MRN"] == "P000006"


def test_removed_row_becomes_tombstone_and_can_be_restored(clinic: Clinic) -> None:
    from clinicops.core import operations

    clinic.sync()
    clinic.sheet.delete_row("Patients", row_of(clinic, "Patients", "MRN", "P000003"))
    report = clinic.sync()
    assert report.entities["patient"].deleted == 1
    assert clinic.record("patient", "P000003") is None
    operations.restore(clinic.practice, "patient", "P000003")
    clinic.sync()
    assert "P000003" in by_id(clinic.sheet.rows("Patients"))
    assert clinic.record("patient", "P000003")["last_name"] == "Johnson"


def test_cleared_sheet_is_stopped_by_the_delete_guard(clinic: Clinic) -> None:
    clinic.sync()
    clinic.sheet.clear("Patients")
    before = clinic.sheet.fingerprint()
    with pytest.raises(DeleteGuardTripped, match="would delete 5 of 5 rows in 'Patients'"):
        clinic.sync()
    assert len(clinic.records("patient")) == 5
    assert clinic.sheet.fingerprint() == before
    report = clinic.sync(allow_delete=True)
    assert report.entities["patient"].deleted == 5
    assert clinic.records("patient") == []


def test_id_edited_to_one_that_does_not_exist_is_an_error_and_nothing_deleted(clinic: Clinic) -> None:
    clinic.sync()
    clinic.sheet.edit("Patients", row_of(clinic, "Patients", "MRN", "P000003"), "MRN", "P999999")
    report = clinic.sync()
    [err] = report.entities["patient"].errors
    assert err.kind == "unknown-id"
    assert clinic.record("patient", "P000003") is not None
    assert report.entities["patient"].deleted == 0


def test_second_concurrent_sync_exits_clearly(clinic: Clinic) -> None:
    held = FileLock(str(clinic.practice.config.data_dir / "sync.lock"))
    clinic.practice.config.data_dir.mkdir(parents=True, exist_ok=True)
    with held, pytest.raises(SyncBusy, match="Another sync"):
        clinic.sync()


class Killed(Exception):
    """The process dying at a chosen point of a sync."""


def sync_killed_after_its_commit(clinic: Clinic) -> None:
    """A sync that dies after the store's commit, before the backend's write."""
    from clinicops.core.backend_registry import open_backend
    from clinicops.core.sync import SyncEngine

    def crash() -> None:
        raise Killed

    with pytest.raises(Killed):
        SyncEngine(clinic.practice, open_backend(clinic.practice.config), fail_after_store_commit=crash).run()


def test_sync_killed_during_write_converges_on_next_run(clinic: Clinic) -> None:
    sync_killed_after_its_commit(clinic)
    assert by_id(clinic.sheet.rows("Patients"), "First name")["Edsger"]["MRN"] in (None, "")
    report = clinic.sync()
    assert report.entities["patient"].created == 0
    ids = sorted(r["id"] for r in clinic.records("patient"))
    assert ids == ["P000001", "P000002", "P000003", "P000004", "P000005"]
    assert sorted(r["MRN"] for r in clinic.sheet.rows("Patients")) == ids
    again = clinic.sync()
    assert again.total_changes == 0 and not again.wrote


def test_the_cycle_collector_rests_during_a_sync_and_is_left_as_it_was_found(clinic: Clinic) -> None:
    import gc

    from clinicops.core.backend_registry import open_backend
    from clinicops.core.sync import SyncEngine

    seen: list[bool] = []

    def crash() -> None:
        seen.append(gc.isenabled())
        raise Killed

    assert gc.isenabled()
    with pytest.raises(Killed):
        SyncEngine(clinic.practice, open_backend(clinic.practice.config), fail_after_store_commit=crash).run()
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        clinic.sync()
        assert not gc.isenabled()  # a program that turned it off keeps it off
    finally:
        gc.enable()


def test_a_first_import_stopped_before_its_write_has_the_rows_it_leaves_as_read_synced_already(
    clinic: Clinic,
) -> None:
    sync_killed_after_its_commit(clinic)
    key = clinic.backend().key
    records = {r["id"]: r for r in clinic.records("patient")}
    with clinic.practice.store.transaction() as tx:
        base = tx.sync.base(key, "patient")
        data = tx.sync.base_data(key, "patient", list(base))
    # the three rows typed with their id need nothing written: their base is the record at its version
    # with the commit; the two new rows' bases wait, as read, for the write that gives them their id
    assert sorted(b.store_version for b in base.values()) == [0, 0, 1, 1, 1]
    synced = [rid for rid, b in base.items() if b.store_version == 1]
    assert {rid: data[rid] for rid in synced} == {rid: records[rid] for rid in synced}
    report = clinic.sync()
    assert report.entities["patient"].created == 0 and report.entities["patient"].updated == 0
    assert clinic.sync().total_changes == 0


def test_after_a_first_import_each_base_is_the_stored_record_at_its_version(clinic: Clinic) -> None:
    clinic.sync()
    key = clinic.backend().key
    records = {r["id"]: r for r in clinic.records("patient")}
    with clinic.practice.store.transaction() as tx:
        base = tx.sync.base(key, "patient")
        data = tx.sync.base_data(key, "patient", list(records))
    assert data == records
    assert {rid: b.store_version for rid, b in base.items()} == dict.fromkeys(records, 1)
    assert all(b.raw_hash for b in base.values())
    assert clinic.sync().total_changes == 0


def bases_kept_by_reference(clinic: Clinic) -> set[str]:
    """The ids whose base holds no data of its own: it stands for its record's data at its version."""
    q = text("SELECT id FROM sync_base WHERE entity = 'patient' AND data = ''")
    with clinic.practice.store.transaction() as tx:
        return {rid for (rid,) in tx.conn.execute(q)}


def test_a_base_kept_by_reference_stays_its_records_data_at_its_version_after_the_record_moved_on(
    clinic: Clinic,
) -> None:
    clinic.sync()
    assert bases_kept_by_reference(clinic) == {"P000001", "P000002", "P000003"}  # the rows typed with their id
    key = clinic.backend().key
    first = clinic.record("patient", "P000001")
    with clinic.practice.view(source="plugin:test") as view:
        view.save("patient", {**first, "email": "grace.hopper@example.org"}, plugin="test")
    with clinic.practice.store.transaction() as tx:
        assert tx.get("patient", "P000001").version == 2
        assert tx.sync.base(key, "patient")["P000001"].store_version == 1
        assert tx.sync.base_data(key, "patient", ["P000001"]) == {"P000001": first}
    # the three-way merge sees version 1 as the base: the sheet's edit and the store's both survive
    clinic.sheet.edit("Patients", row_of(clinic, "Patients", "MRN", "P000001"), "ZIP", "02139")
    report = clinic.sync()
    stored = clinic.record("patient", "P000001")
    assert (stored["zip"], stored["email"]) == ("02139", "grace.hopper@example.org")
    assert report.entities["patient"].conflicts == []
    assert by_id(clinic.sheet.rows("Patients"))["P000001"]["Email"] == "grace.hopper@example.org"


def test_bases_holding_their_data_and_bases_kept_by_reference_are_read_alike(clinic: Clinic) -> None:
    clinic.sync()
    key = clinic.backend().key
    records = {r["id"]: r for r in clinic.records("patient")}
    with clinic.practice.store.transaction() as tx:  # one base as a store written before references has it
        tx.conn.execute(
            text(
                "UPDATE sync_base SET data = (SELECT data FROM records"
                " WHERE records.entity = sync_base.entity AND records.id = sync_base.id) WHERE id = 'P000002'"
            )
        )
    assert bases_kept_by_reference(clinic) == {"P000001", "P000003"}
    with clinic.practice.store.transaction() as tx:
        assert tx.sync.base_data(key, "patient", list(records)) == records
    for rid in ("P000001", "P000002"):
        with clinic.practice.view(source="plugin:test") as view:
            view.save("patient", {**records[rid], "zip": "02140"}, plugin="test")
        clinic.sheet.edit("Patients", row_of(clinic, "Patients", "MRN", rid), "Email", f"{rid}@example.net")
    report = clinic.sync()
    assert report.entities["patient"].conflicts == []
    for rid in ("P000001", "P000002"):
        assert clinic.record("patient", rid) == {**records[rid], "zip": "02140", "email": f"{rid}@example.net"}
    assert clinic.sync().total_changes == 0


def test_a_base_marked_as_holding_its_data_moves_only_its_version_or_is_written_whole_when_absent(
    clinic: Clinic,
) -> None:
    clinic.sync()
    key = clinic.backend().key
    kept = {"id": "P000001", "data": {"id": "P000001"}, "raw_hash": "h1", "store_version": 7, "same_data": True}
    absent = {"id": "P999999", "data": {"id": "P999999"}, "raw_hash": "h2", "store_version": 2, "same_data": True}
    with clinic.practice.store.transaction() as tx:
        before = tx.sync.base_data(key, "patient", ["P000001"])["P000001"]
        tx.sync.put_base(key, "patient", [kept])
        assert tx.sync.base_data(key, "patient", ["P000001"])["P000001"] == before  # its data was left as it was
        assert tx.sync.base(key, "patient")["P000001"][:2] == ("h1", 7)
        tx.sync.put_base(key, "patient", [kept, absent])  # one has no entry: both are written whole
        assert tx.sync.base_data(key, "patient", ["P000001", "P999999"]) == {
            "P000001": {"id": "P000001"},
            "P999999": {"id": "P999999"},
        }
        assert tx.sync.base(key, "patient")["P999999"][:2] == ("h2", 2)


def test_dry_run_changes_nothing(clinic: Clinic) -> None:
    before = clinic.sheet.fingerprint()
    report = clinic.sync(dry_run=True)
    assert report.entities["patient"].created == 5
    assert clinic.sheet.fingerprint() == before
    assert clinic.records("patient") == []


def test_formula_typed_as_text_is_stored_and_written_back_as_text(clinic: Clinic) -> None:
    typed = '=HYPERLINK("http://example.com","x")'
    clinic.sheet.append("Patients", [{"First name": "Mallory", "Last name": typed, "Date of birth": "1/1/1990"}])
    clinic.sync()
    stored = next(p for p in clinic.records("patient") if p["first_name"] == "Mallory")
    assert stored["last_name"] == typed
    assert by_id(clinic.sheet.rows("Patients"), "First name")["Mallory"]["Last name"] == typed


def test_store_side_record_is_appended_to_the_sheet(clinic: Clinic) -> None:
    clinic.sync()
    with clinic.practice.view() as view:
        view.save(
            "patient",
            {"id": "P000100", "first_name": "New", "last_name": "Person", "date_of_birth": "2001-02-03"},
            plugin="intake",
        )
    report = clinic.sync()
    assert report.entities["patient"].created == 1
    row = by_id(clinic.sheet.rows("Patients"))["P000100"]
    assert row["Last name"] == "Person"
    assert clinic.sync().total_changes == 0


def test_reference_to_unknown_record_is_a_cell_error(clinic: Clinic) -> None:
    clinic.sync()
    clinic.sheet.append(
        "Appointments",
        [
            {"Patient": "P404404", "Provider": "PR000001", "Start": "2026-03-04 14:30", "Status": "scheduled"},
        ],
    )
    report = clinic.sync()
    [err] = report.entities["appointment"].errors
    assert err.column == "Patient"
    assert clinic.records("appointment") == []


def test_conflicting_sorting_and_editing_together_change_only_the_edit(clinic: Clinic) -> None:
    clinic.sync()
    clinic.sheet.sort("Patients", "First name")
    clinic.sheet.edit("Patients", row_of(clinic, "Patients", "MRN", "P000003"), "City", "Hampton")
    report = clinic.sync()
    assert report.entities["patient"].updated == 1
    assert clinic.record("patient", "P000003")["city"] == "Hampton"


def test_copy_pasted_above_the_original_is_the_error_and_its_edits_are_not_merged(clinic: Clinic) -> None:
    clinic.sync()
    rows = clinic.sheet.rows("Patients")
    grace = next(r for r in rows if r["MRN"] == "P000001")
    copy = {k: v for k, v in grace.items() if not k.startswith("_") and k != "Errors"}
    copy["Last name"] = "Copy"
    clinic.sheet.sort("Patients", "Last name")
    clinic.sheet.append("Patients", [copy])
    clinic.sheet.sort("Patients", "Last name")
    copy_row = row_of(clinic, "Patients", "Last name", "Copy")
    assert copy_row < row_of(clinic, "Patients", "Last name", "Hopper")
    report = clinic.sync()
    [err] = report.entities["patient"].errors
    assert err.row == copy_row and err.kind == "duplicate-id"
    assert clinic.record("patient", "P000001")["last_name"] == "Hopper"


def test_untouched_tabs_are_skipped_but_every_later_change_is_seen(clinic: Clinic) -> None:
    clinic.sync()
    clinic.sync()
    quiet = clinic.sync()
    assert quiet.entities["patient"].unchanged == 5 and quiet.total_changes == 0
    clinic.sheet.edit("Patients", row_of(clinic, "Patients", "MRN", "P000004"), "City", "Salem")
    assert clinic.sync().entities["patient"].updated == 1
    clinic.sync()
    with clinic.practice.view() as view:
        view.save("patient", {**view.get("patient", "P000005"), "city": "Lowell"}, plugin="test")
    clinic.sync()
    assert by_id(clinic.sheet.rows("Patients"))["P000005"]["City"] == "Lowell"


def test_a_row_waiting_for_a_missing_reference_syncs_once_the_reference_exists(clinic: Clinic) -> None:
    clinic.sync()
    clinic.sheet.append(
        "Appointments",
        [{"Patient": "P000009", "Provider": "PR000001", "Start": "2026-03-04 14:30", "Status": "scheduled"}],
    )
    assert len(clinic.sync().errors) == 1
    assert len(clinic.sync().errors) == 1
    with clinic.practice.view() as view:
        view.save(
            "patient",
            {"id": "P000009", "first_name": "Late", "last_name": "Comer", "date_of_birth": "1990-01-01"},
            plugin="intake",
        )
    report = clinic.sync()
    assert report.errors == []
    assert len(clinic.records("appointment")) == 1
