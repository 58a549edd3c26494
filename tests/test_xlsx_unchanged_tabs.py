"""A workbook tab whose bytes are as the last sync left them is skipped without parsing it, and nothing else is."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from clinicops.connectors.base import BackendBusy
from clinicops.connectors.xlsx import XlsxBackend
from clinicops.core.practice import store_tx
from clinicops.core.sync import SyncEngine, table_spec

from .conftest import Clinic
from .workbook_parts import members, sheet_part


def rewrite_member(book: Path, name: str, old: bytes, new: bytes) -> None:
    """Change one zip member's bytes; every other member keeps its bytes (and so its CRC-32)."""
    parts = members(book)
    assert old in parts[name]
    with zipfile.ZipFile(book) as z:
        infos = z.infolist()
    with zipfile.ZipFile(book, "w") as out:
        for info in infos:
            data = parts[info.filename].replace(old, new) if info.filename == name else parts[info.filename]
            out.writestr(info, data)


def stored_digest(clinic: Clinic, entity: str) -> str | None:
    key = clinic.backend().key
    with clinic.practice.view() as view:
        found = store_tx(view).sync.table_state(key, entity)
    return found[0] if found else None


def read_digest(clinic: Clinic, entity: str) -> str | None:
    table = clinic.backend().read([table_spec(clinic.practice.registry[entity])])[entity]
    return table.digest if table is not None else None


def settled(clinic: Clinic) -> None:
    """Synced until a sync changes nothing: every tab's fingerprint is then kept."""
    clinic.sync()
    clinic.sync()
    assert clinic.sync().total_changes == 0
    assert stored_digest(clinic, "patient") == read_digest(clinic, "patient")


def test_an_edit_in_a_tab_whose_other_parts_are_byte_for_byte_the_same_is_seen(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    settled(clinic)
    book = clinic.folder / "clinic.xlsx"
    part = sheet_part(book, "Patients")
    before = members(book)
    rewrite_member(book, part, b">Hopper<", b">Hoppers<")
    after = members(book)
    assert [name for name in before if before[name] != after[name]] == [part]
    report = clinic.sync()
    assert report.entities["patient"].updated == 1
    assert clinic.record("patient", "P000001")["last_name"] == "Hoppers"


def test_a_store_change_is_written_into_a_tab_whose_bytes_did_not_change(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    settled(clinic)
    with clinic.practice.view() as view:
        view.save("patient", {**view.get("patient", "P000003"), "city": "Lowell"}, plugin="test")
    assert clinic.sync().wrote
    assert {r["MRN"]: r.get("City") for r in clinic.sheet.rows("Patients")}["P000003"] == "Lowell"
    assert clinic.sync().total_changes == 0


def test_a_tab_another_tabs_write_left_alone_is_still_skipped_after_it(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    settled(clinic)
    book = clinic.folder / "clinic.xlsx"
    styles = members(book)["xl/styles.xml"]
    rewrite_member(book, sheet_part(book, "Providers"), b">1234567893<", b">1234567890<")  # a bad check digit
    report = clinic.sync()
    assert report.wrote and len(report.errors) == 1  # the note and highlight on the Providers tab
    assert members(book)["xl/styles.xml"] != styles  # the highlight's style was added to the shared styles
    assert report.entities["patient"].unchanged == 5
    assert stored_digest(clinic, "patient") == read_digest(clinic, "patient")  # still skipped next time
    assert clinic.sync().total_changes == 0
    clinic.sheet.edit("Patients", 2, "City", "Salem")
    assert clinic.sync().entities["patient"].updated == 1


def test_a_header_kept_for_a_fingerprint_is_used_only_while_the_tab_has_those_bytes(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    settled(clinic)
    cache = clinic.practice.config.data_dir / "workbook-tabs.json"
    kept = json.loads(cache.read_text())
    patients = read_digest(clinic, "patient")
    assert patients in kept
    spec = table_spec(clinic.practice.registry["patient"])
    parsed = XlsxBackend(clinic.folder / "clinic.xlsx", clinic.folder / "backups").read([spec])["patient"]
    unparsed = clinic.backend().read([spec])["patient"]
    assert unparsed.header == parsed.header
    assert [r.values for r in unparsed.rows] == [r.values for r in parsed.rows]  # parsed when asked for
    kept[patients] = ["Renamed" if h == "City" else h for h in kept[patients]]
    cache.write_text(json.dumps(kept))
    assert "Renamed" in clinic.backend().read([spec])["patient"].header  # taken as kept, not parsed
    clinic.sheet.edit("Patients", 2, "City", "Salem")
    assert "City" in clinic.backend().read([spec])["patient"].header  # other bytes: parsed again


def test_a_tab_saved_again_between_the_read_and_its_parse_is_not_taken_for_what_was_read(xlsx_clinic: Clinic) -> None:
    clinic = xlsx_clinic
    settled(clinic)
    table = clinic.backend().read([table_spec(clinic.practice.registry["patient"])])["patient"]  # listed, not parsed
    clinic.sheet.edit("Patients", 2, "City", "Salem")  # staff save the workbook meanwhile
    with pytest.raises(BackendBusy, match="changed while syncing"):
        _ = table.rows
    assert clinic.sync().entities["patient"].updated == 1  # the next sync reads it whole


def test_a_store_change_made_while_a_sync_writes_reaches_the_tab_on_the_next_sync(xlsx_clinic: Clinic) -> None:
    """The tab's fingerprint is kept with the store as the sync's own commit left it: a change
    another process saves between that commit and the write is not taken as already in the tab."""
    clinic = xlsx_clinic
    settled(clinic)
    book = clinic.folder / "clinic.xlsx"
    clinic.sheet.edit("Patients", 2, "City", "Salem")  # read and imported: nothing to write in the tab
    rewrite_member(book, sheet_part(book, "Providers"), b">1234567893<", b">1234567890<")  # a note to write there

    def another_process_saves() -> None:
        with clinic.practice.view() as view:
            view.save("patient", {**view.get("patient", "P000004"), "city": "Lowell"}, plugin="test")

    report = SyncEngine(clinic.practice, clinic.backend(), fail_after_store_commit=another_process_saves).run()
    assert report.wrote and report.entities["patient"].updated == 1
    clinic.sync()
    assert {r["MRN"]: r.get("City") for r in clinic.sheet.rows("Patients")}["P000004"] == "Lowell"
