"""The Google Sheets backend against the emulator: the request floor, retries, errors, safety, layout."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gspread
import pytest
import requests
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from gspread.exceptions import APIError

from clinicops.connectors.base import BackendError, TableWrite
from clinicops.connectors.emulators.sheets import SheetsEmulator, gspread_client
from clinicops.connectors.gsheets import GSheetsBackend, RetryPolicy
from clinicops.connectors.gsheets.plan import REQUEST_BUDGET, Block, WritePlan, value_requests
from clinicops.connectors.gsheets.retry import transient
from clinicops.connectors.gsheets.values import column_letters, quote_title
from clinicops.core import operations
from clinicops.core.backend_registry import open_backend, setup_for
from clinicops.core.cli import cli
from clinicops.core.practice import Practice, store_tx
from clinicops.core.sync import table_spec

from .backend_gsheets import GSheetsDriver, backend, create_spreadsheet, roomy_emulator
from .conftest import PROVIDERS, Clinic, seeded_clinic, write_config

FAST = RetryPolicy.immediate()


def fast_backend(clinic: Clinic) -> GSheetsBackend:
    """The practice's spreadsheet, retrying without waiting."""
    return GSheetsBackend.open(setup_for(clinic.practice.config), retry=FAST)


@pytest.fixture
def gs(tmp_path: Path) -> Iterator[tuple[Clinic, GSheetsDriver]]:
    """The shared suite's seeded practice, on a Sheets emulator."""
    with backend(tmp_path) as (body, sheet):
        assert isinstance(sheet, GSheetsDriver)
        clinic = seeded_clinic(tmp_path, body, sheet)
        yield clinic, sheet
        clinic.practice.close()


def writes_to(emulator: SheetsEmulator, since: int) -> int:
    return sum(1 for r in emulator.requests[since:] if r.kind == "write")


def cell_data(sheet: GSheetsDriver, tab: str, a1: str, fields: str) -> dict[str, Any]:
    meta = sheet.sh.fetch_sheet_metadata({"ranges": f"{quote_title(tab)}!{a1}", "fields": fields})
    return meta["sheets"][0]["data"][0]["rowData"][0]["values"][0]


def column_of(sheet: GSheetsDriver, tab: str, header: str) -> str:
    headers = sheet.sh.worksheet(tab).row_values(1)
    return column_letters(headers.index(header))


# the request floor ---------------------------------------------------------------


def fill(sh: gspread.Spreadsheet, tab: str, header: list[str], rows: list[list[Any]]) -> None:
    """Type many rows at once (RAW), as if pasted by staff, under the tab's own header order."""
    ws = sh.worksheet(tab)
    order = ws.row_values(1)
    ws.add_rows(len(rows) + 1)
    at = [header.index(h) if h in header else None for h in order]
    grid = [[row[i] if i is not None else None for i in at] for row in rows]
    sh.values_batch_update({"valueInputOption": "RAW", "data": [{"range": f"{quote_title(tab)}!A2", "values": grid}]})


def test_sync_of_5000_patients_and_20000_appointments_costs_at_most_4_requests_and_a_rerun_writes_nothing(
    tmp_path: Path,
) -> None:
    with roomy_emulator() as emulator:
        sid = create_spreadsheet(gspread_client(emulator.base_url))
        body = f'type = "gsheets"\nspreadsheet_id = "{sid}"\nendpoint_url = "{emulator.base_url}"'
        write_config(tmp_path, backend=body, entities=["provider", "patient", "appointment"], plugins=[])
        clinic = Clinic(tmp_path, GSheetsDriver(emulator, sid))
        operations.lay_out(clinic.practice)
        sh = clinic.sheet.sh
        clinic.sheet.append("Providers", PROVIDERS)
        fill(
            sh,
            "Patients",
            ["MRN", "First name", "Last name", "Date of birth", "ZIP"],
            [[f"P{i:06d}", "Pat", f"Person{i}", 20000 + i, f"0{2000 + i % 900}"] for i in range(1, 5001)],
        )
        fill(
            sh,
            "Appointments",
            ["Patient", "Provider", "Start", "Minutes", "Status"],
            [
                [f"P{1 + i % 5000:06d}", "PR000001", 46000 + i // 8 + (9 + i % 8) / 24, 30, "scheduled"]
                for i in range(20_000)
            ],
        )

        mark = len(emulator.requests)
        report = clinic.sync()
        assert report.entities["patient"].created == 5000
        assert report.entities["appointment"].created == 20_000
        assert not report.errors
        assert report.requests <= 4
        assert len(emulator.requests) - mark == report.requests
        assert report.backend_stats["requests_by_kind"]["values_update"] == 1
        ids = [r["ID"] for r in clinic.sheet.rows("Appointments")]
        assert len(set(ids)) == 20_000 and ids[0].startswith("A")

        mark = len(emulator.requests)
        again = clinic.sync()
        assert again.total_changes == 0 and not again.wrote
        assert writes_to(emulator, mark) == 0
        assert again.requests <= 2
        clinic.practice.close()


# retries and errors --------------------------------------------------------------


def test_429_twice_then_success_completes_with_nothing_lost(gs: tuple[Clinic, GSheetsDriver]) -> None:
    clinic, sheet = gs
    sheet.emulator.fail_next(429, times=2)
    report = clinic.sync(backend=fast_backend(clinic))
    assert report.entities["patient"].created == 5
    assert report.backend_stats["retries"] == 2
    assert sorted(r["MRN"] for r in sheet.rows("Patients")) == [f"P00000{i}" for i in range(1, 6)]

    with clinic.practice.view() as view:
        view.save("patient", {"id": "P000100", "first_name": "Late", "last_name": "Write"}, plugin="intake")
    sheet.emulator.fail_next(429, times=2, kind="write")
    report = clinic.sync(backend=fast_backend(clinic))
    assert report.backend_stats["retries"] == 2
    assert "P000100" in {r["MRN"] for r in sheet.rows("Patients")}
    assert clinic.sync().total_changes == 0


def test_server_errors_are_retried_but_a_row_deleting_batch_is_not_repeated() -> None:
    def error(code: int, status: str) -> APIError:
        response = requests.Response()
        response.status_code = code
        response._content = json.dumps({"error": {"code": code, "message": "x", "status": status}}).encode()
        return APIError(response)

    assert transient(error(503, "UNAVAILABLE"), safe_to_repeat=True)
    assert not transient(error(503, "UNAVAILABLE"), safe_to_repeat=False)
    assert transient(error(429, "RESOURCE_EXHAUSTED"), safe_to_repeat=False)
    assert not transient(error(403, "PERMISSION_DENIED"), safe_to_repeat=True)
    assert not transient(error(400, "INVALID_ARGUMENT"), safe_to_repeat=True)


def test_a_503_and_a_403_that_is_really_a_quota_answer_are_retried(gs: tuple[Clinic, GSheetsDriver]) -> None:
    clinic, sheet = gs
    sheet.emulator.fail_next(503)
    sheet.emulator.fail_next(403, message="Quota exceeded for quota metric 'Read requests' and limit 'Read requests'.")
    report = clinic.sync(backend=fast_backend(clinic))
    assert report.entities["patient"].created == 5
    assert report.backend_stats["retries"] == 2


def test_403_is_one_clear_sentence_and_the_store_is_unchanged(gs: tuple[Clinic, GSheetsDriver]) -> None:
    clinic, sheet = gs
    sheet.emulator.deny(sheet.sh.id)
    with pytest.raises(BackendError) as raised:
        clinic.sync(backend=fast_backend(clinic))
    message = str(raised.value)
    assert sheet.sh.id in message and "share it with" in message and "nothing was changed" in message
    assert "\n" not in message
    assert clinic.records("patient") == []
    result = CliRunner().invoke(cli, ["sync", "-p", str(clinic.folder)])
    assert result.exit_code == 1
    assert "share it with" in result.output and "Traceback" not in result.output


def test_unknown_spreadsheet_names_the_id_and_the_config_key(tmp_path: Path) -> None:
    with roomy_emulator() as emulator:
        body = f'type = "gsheets"\nspreadsheet_id = "nope123"\nendpoint_url = "{emulator.base_url}"'
        write_config(tmp_path, backend=body)
        practice = Practice.open(tmp_path)
        with pytest.raises(BackendError, match=r"no spreadsheet nope123 \(404 NOT_FOUND\).*backend\.spreadsheet_id"):
            operations.sync(practice)
        practice.close()


# formulas ------------------------------------------------------------------------

IMPORTXML = '=IMPORTXML("http://x","//a")'


def test_formula_text_is_stored_and_written_back_as_plain_text(gs: tuple[Clinic, GSheetsDriver]) -> None:
    clinic, sheet = gs
    sheet.append("Patients", [{"First name": "+1+1", "Last name": IMPORTXML, "Date of birth": "1/1/1990"}])
    clinic.sync()
    stored = next(p for p in clinic.records("patient") if p["first_name"] == "+1+1")
    assert stored["last_name"] == IMPORTXML

    with clinic.practice.view() as view:
        view.save("patient", {"id": "P000200", "first_name": "+1+1", "last_name": IMPORTXML}, plugin="intake")
    mark = len(sheet.emulator.requests)
    clinic.sync()
    sent = [r.json() for r in sheet.emulator.requests[mark:] if r.path.endswith("values:batchUpdate")]
    assert sent and all(body["valueInputOption"] == "RAW" for body in sent)
    row = next(r for r in sheet.rows("Patients") if r["MRN"] == "P000200")
    assert (row["First name"], row["Last name"]) == ("+1+1", IMPORTXML)
    for header in ("First name", "Last name"):
        a1 = f"{column_of(sheet, 'Patients', header)}{row['_row']}"
        entered = cell_data(sheet, "Patients", a1, "sheets.data.rowData.values.userEnteredValue")
        assert set(entered["userEnteredValue"]) == {"stringValue"}
    assert clinic.sync().total_changes == 0


def test_a_live_formula_typed_into_a_data_column_is_reported_and_never_imported(
    gs: tuple[Clinic, GSheetsDriver],
) -> None:
    clinic, sheet = gs
    clinic.sync()
    grace = next(r["_row"] for r in sheet.rows("Patients") if r["MRN"] == "P000001")
    sheet.type_formula("Patients", grace, "Last name", '=UPPER("hopper")')
    report = clinic.sync()
    [err] = report.entities["patient"].errors
    assert (err.row, err.column) == (grace, "Last name")
    assert clinic.record("patient", "P000001")["last_name"] == "Hopper"
    a1 = f"{column_of(sheet, 'Patients', 'Last name')}{grace}"
    entered = cell_data(sheet, "Patients", a1, "sheets.data.rowData.values.userEnteredValue")
    assert entered["userEnteredValue"] == {"formulaValue": '=UPPER("hopper")'}
    assert "holds a formula" in (sheet.note("Patients", grace, "Last name") or "")
    assert "Last name" in next(r for r in sheet.rows("Patients") if r["MRN"] == "P000001")["Errors"]


# notes ---------------------------------------------------------------------------


def test_clearing_its_error_notes_leaves_a_staff_note_alone(gs: tuple[Clinic, GSheetsDriver]) -> None:
    clinic, sheet = gs
    clinic.sync()
    alan = next(r["_row"] for r in sheet.rows("Patients") if r["MRN"] == "P000002")
    ws = sheet.sh.worksheet("Patients")
    ws.update_note(f"{column_of(sheet, 'Patients', 'Phone')}{alan}", "prefers mornings")
    sheet.edit("Patients", alan, "Date of birth", "31/12/1962")
    clinic.sync()
    assert sheet.note("Patients", alan, "Date of birth")
    sheet.edit("Patients", alan, "Date of birth", "12/31/1962")
    clinic.sync()
    assert sheet.note("Patients", alan, "Date of birth") is None
    assert not sheet.highlighted("Patients", alan, "Date of birth")
    assert sheet.staff_note("Patients", alan, "Phone") == "prefers mornings"


def test_notes_and_edits_land_on_the_right_rows_when_rows_are_deleted_and_added_in_one_sync(
    gs: tuple[Clinic, GSheetsDriver],
) -> None:
    clinic, sheet = gs
    clinic.sync()
    liskov = next(r["_row"] for r in sheet.rows("Patients") if r["MRN"] == "P000005")
    sheet.edit("Patients", liskov, "Date of birth", "tomorrow")
    with clinic.practice.view() as view:
        store_tx(view).save("patient", "P000001", None, source="cli", actor="test")
        view.save("patient", {**view.get("patient", "P000004"), "city": "Salem"}, plugin="test")
        view.save("patient", {"id": "P000100", "first_name": "New", "last_name": "Person"}, plugin="intake")
    report = clinic.sync()
    assert report.entities["patient"].deleted == 1 and len(report.errors) == 1
    rows = {r["MRN"]: r for r in sheet.rows("Patients")}
    assert "P000001" not in rows and rows["P000004"]["City"] == "Salem"
    assert rows["P000100"]["_row"] == max(r["_row"] for r in rows.values())
    moved = rows["P000005"]["_row"]
    assert moved == liskov - 1
    assert "Date of birth" in (sheet.note("Patients", moved, "Date of birth") or "")
    assert sheet.highlighted("Patients", moved, "Date of birth")
    assert not any(sheet.note("Patients", r["_row"], "Date of birth") for m, r in rows.items() if m != "P000005")
    sheet.edit("Patients", moved, "Date of birth", "11/7/1979")
    assert clinic.sync().errors == []
    assert sheet.note("Patients", moved, "Date of birth") is None
    assert clinic.sync().total_changes == 0


def stored_digests(clinic: Clinic) -> dict[str, str]:
    """Each tab's fingerprint as the last sync left it in the store ("" when it kept none)."""
    key = fast_backend(clinic).key
    with clinic.practice.view() as view:
        sync = store_tx(view).sync
        return {e: found[0] for e in ("patient", "provider") if (found := sync.table_state(key, e)) is not None}


def read_digests(clinic: Clinic) -> dict[str, str | None]:
    """Each tab's fingerprint as a fresh read of the spreadsheet computes it."""
    specs = [table_spec(clinic.practice.registry[e]) for e in ("patient", "provider")]
    return {e: t.digest if t is not None else None for e, t in fast_backend(clinic).read(specs).items()}


def test_a_sync_that_wrote_keeps_the_digest_of_what_each_tab_now_holds(gs: tuple[Clinic, GSheetsDriver]) -> None:
    clinic, sheet = gs
    first = clinic.sync()
    assert first.wrote and first.errors == []  # the new rows' ids went into the sheet
    assert stored_digests(clinic) == read_digests(clinic)
    sheet.edit("Patients", row_of(sheet, "P000002"), "Last name", "=Turing")  # text read closely, below a deleted row
    assert clinic.sync().entities["patient"].updated == 1
    with clinic.practice.view() as view:
        store_tx(view).save("patient", "P000001", None, source="cli", actor="test")  # a row deleted
        view.save("patient", {**view.get("patient", "P000004"), "city": "Salem"}, plugin="test")  # a cell
        view.save("patient", {"id": "P000100", "first_name": "New", "last_name": "Person"}, plugin="intake")
    report = clinic.sync()
    assert report.wrote and report.entities["patient"].deleted == 1
    assert stored_digests(clinic)["patient"] == read_digests(clinic)["patient"]
    assert clinic.sync().total_changes == 0


def test_after_a_sync_that_wrote_an_edit_or_a_store_change_is_still_seen(gs: tuple[Clinic, GSheetsDriver]) -> None:
    clinic, sheet = gs
    assert clinic.sync().wrote
    sheet.edit("Patients", row_of(sheet, "P000003"), "City", "Salem")
    assert clinic.sync().entities["patient"].updated == 1
    with clinic.practice.view() as view:
        view.save("patient", {**view.get("patient", "P000005"), "city": "Lowell"}, plugin="test")
    assert clinic.sync().wrote
    assert {r["MRN"]: r["City"] for r in sheet.rows("Patients")}["P000005"] == "Lowell"
    assert clinic.sync().total_changes == 0


def row_of(sheet: GSheetsDriver, mrn: str) -> int:
    return next(r["_row"] for r in sheet.rows("Patients") if r["MRN"] == mrn)


# layout --------------------------------------------------------------------------


def test_layout_freezes_headers_adds_drop_downs_date_formats_and_warning_only_protection(
    gs: tuple[Clinic, GSheetsDriver],
) -> None:
    _, sheet = gs
    meta = sheet.sh.fetch_sheet_metadata({"fields": "sheets(properties,protectedRanges)"})
    tabs = {s["properties"]["title"]: s for s in meta["sheets"]}
    for title in ("Patients", "Appointments", "Alerts"):
        assert tabs[title]["properties"]["gridProperties"]["frozenRowCount"] == 1
    status = column_of(sheet, "Appointments", "Status")
    rule = cell_data(sheet, "Appointments", f"{status}2", "sheets.data.rowData.values.dataValidation")
    condition = rule["dataValidation"]["condition"]
    assert condition["type"] == "ONE_OF_LIST"
    assert [v["userEnteredValue"] for v in condition["values"]][:3] == ["scheduled", "confirmed", "checked-in"]
    dob = column_of(sheet, "Patients", "Date of birth")
    fmt = cell_data(sheet, "Patients", f"{dob}2", "sheets.data.rowData.values.userEnteredFormat.numberFormat")
    assert fmt["userEnteredFormat"]["numberFormat"]["type"] == "DATE"
    headers = sheet.sh.worksheet("Alerts").row_values(1)
    protected = tabs["Alerts"]["protectedRanges"]
    columns = {p["range"]["startColumnIndex"] for p in protected}
    assert headers.index("Severity") in columns  # filled in by clinicops
    assert headers.index("Status") not in columns  # staff acknowledge alerts
    assert all(p["warningOnly"] for p in protected)


def test_a_laid_out_sheet_is_left_alone_and_a_missing_column_comes_back_after_staff_columns(
    gs: tuple[Clinic, GSheetsDriver],
) -> None:
    clinic, sheet = gs
    mark = len(sheet.emulator.requests)
    operations.lay_out(clinic.practice)
    assert writes_to(sheet.emulator, mark) == 0
    ws = sheet.sh.worksheet("Patients")
    header = ws.row_values(1)
    ws.delete_columns(header.index("Errors") + 1)
    ws.update_cell(1, len(header), "Staff notes")
    assert clinic.sync().entities["patient"].created == 5
    header = ws.row_values(1)
    assert header[-2:] == ["Staff notes", "Errors"]
    meta = sheet.sh.fetch_sheet_metadata({"fields": "sheets(properties.title,protectedRanges)"})
    protected = next(s for s in meta["sheets"] if s["properties"]["title"] == "Patients")["protectedRanges"]
    assert [p["range"]["startColumnIndex"] for p in protected] == [len(header) - 1]
    assert clinic.sync().total_changes == 0


# credentials ---------------------------------------------------------------------


def key_file(path: Path, mode: int) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "clinic",
        "private_key_id": "1",
        "private_key": pem,
        "client_email": "sync@clinic.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    path.write_text(json.dumps(info))
    os.chmod(path, mode)
    return path


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    key = key_file(tmp_path / "sa.json", 0o644)
    write_config(tmp_path, backend='type = "gsheets"\nspreadsheet_id = "abc123"\ncredentials_file = "sa.json"')
    config = Practice.open(tmp_path).config
    with pytest.raises(BackendError, match=r"can be read by other users \(mode 0644\); run 'chmod 600"):
        open_backend(config)
    os.chmod(key, 0o600)
    ready = open_backend(config)
    assert isinstance(ready, GSheetsBackend)
    assert ready.key == "gsheets:abc123"
    assert ready.api.account == "sync@clinic.iam.gserviceaccount.com"


def test_key_path_can_come_from_an_env_var_and_is_never_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file(tmp_path / "sa.json", 0o600)
    write_config(tmp_path, backend='type = "gsheets"\nspreadsheet_id = "abc123"\ncredentials_env = "CLINIC_SA"')
    config = Practice.open(tmp_path).config
    monkeypatch.delenv("CLINIC_SA", raising=False)
    with pytest.raises(BackendError, match="set the environment variable CLINIC_SA"):
        open_backend(config)
    monkeypatch.setenv("CLINIC_SA", str(tmp_path / "sa.json"))
    assert isinstance(open_backend(config), GSheetsBackend)


# requests under the size limit ----------------------------------------------------


def test_a_huge_first_export_is_split_into_requests_under_two_megabytes() -> None:
    rows = [[f"P{i:06d}", "Katherine", "Johnson-Coleman", 25_000 + i, "617 555 0103"] for i in range(60_000)]
    plan = WritePlan(blocks=[Block("Patients", 2, 0, rows)])
    bodies = value_requests(plan)
    assert len(bodies) > 1
    assert sum(len(d["values"]) for body in bodies for d in body) == len(rows)
    for body in bodies:
        assert len(json.dumps({"valueInputOption": "RAW", "data": body})) < 2_000_000
    assert bodies[1][0]["range"] == f"'Patients'!A{2 + len(bodies[0][0]['values'])}"
    assert REQUEST_BUDGET < 2_000_000


def test_write_without_a_prior_read_reads_first(gs: tuple[Clinic, GSheetsDriver]) -> None:
    clinic, sheet = gs
    sheets = open_backend(clinic.practice.config)
    spec = table_spec(clinic.practice.registry["patient"])
    sheets.write([TableWrite(spec=spec, appends=[{"MRN": "P000777", "Last name": "Direct"}])])
    assert any(r["MRN"] == "P000777" for r in sheet.rows("Patients"))
