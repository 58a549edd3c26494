"""References typed as names resolve to ids when exactly one record fits."""

from __future__ import annotations

from clinicops.core.references import NameIndex, name_key
from clinicops.core.schema_registry import SchemaRegistry, builtin_schemas

from .conftest import Clinic

REGISTRY = SchemaRegistry(builtin_schemas())
PROVIDERS = [
    {"id": "PR000001", "first_name": "Alice", "last_name": "Nguyen", "credentials": "MD"},
    {"id": "PR000002", "first_name": "Bao", "last_name": "Tran", "credentials": "NP"},
    {"id": "PR000003", "first_name": "Carol", "last_name": "Tran", "credentials": "PA-C"},
]
PATIENTS = [
    {"id": "P000001", "first_name": "Grace", "last_name": "Hopper"},
    {"id": "P000002", "first_name": "Grace", "last_name": "Hopper"},
    {"id": "P000003", "first_name": "Alan", "last_name": "Turing"},
]


def test_name_key_ignores_titles_credentials_order_and_commas() -> None:
    assert name_key("Dr. Alice Nguyen, MD") == name_key("nguyen,  ALICE") == "alice nguyen"


def test_provider_names_resolve_to_their_id() -> None:
    index = NameIndex(REGISTRY["provider"], PROVIDERS)
    for typed in ("Dr. Nguyen", "Alice Nguyen", "Nguyen, Alice", "Dr Alice Nguyen MD"):
        assert index.resolve(typed).record_id == "PR000001", typed


def test_ambiguous_name_lists_the_candidates() -> None:
    found = NameIndex(REGISTRY["provider"], PROVIDERS).resolve("Dr. Tran")
    assert found.record_id is None and found.ambiguous
    assert found.candidates == ("Bao Tran (PR000002)", "Carol Tran (PR000003)")


def test_unknown_name_suggests_close_ones() -> None:
    found = NameIndex(REGISTRY["provider"], PROVIDERS).resolve("Alice Ngyuen")
    assert found.record_id is None and not found.ambiguous
    assert found.candidates == ("Alice Nguyen (PR000001)",)


def test_patients_need_a_full_name_and_are_listed_by_id_only() -> None:
    index = NameIndex(REGISTRY["patient"], PATIENTS)
    assert index.resolve("Turing, Alan").record_id == "P000003"
    assert index.resolve("Turing").record_id is None
    twins = index.resolve("Grace Hopper")
    assert twins.record_id is None and twins.candidates == ("P000001", "P000002")


def test_reference_cells_take_names_and_keep_what_was_typed(clinic: Clinic) -> None:
    clinic.sync()
    visit = {"Start": "3/4/2026 2:30 PM", "Minutes": 30, "Type": "follow-up", "Status": "Scheduled"}
    clinic.sheet.append(
        "Appointments",
        [
            {**visit, "Patient": "Hopper, Grace", "Provider": "Dr. Lovelace"},
            {**visit, "Patient": "P000002", "Provider": "Dr. Babbage"},
        ],
    )
    report = clinic.sync()
    [error] = report.errors
    assert (error.column, error.kind) == ("Provider", "unknown-reference")
    assert "no provider has this id or name" in error.problem
    [appt] = clinic.records("appointment")
    assert (appt["patient_id"], appt["provider_id"]) == ("P000001", "PR000001")
    rows = {r["Patient"]: r for r in clinic.sheet.rows("Appointments")}
    assert rows["Hopper, Grace"]["Provider"] == "Dr. Lovelace"
    before = clinic.sheet.fingerprint()
    clinic.sync()
    assert clinic.sheet.fingerprint() == before


def test_workbook_reference_columns_offer_the_target_tabs_ids(xlsx_clinic: Clinic) -> None:
    import openpyxl

    book = openpyxl.load_workbook(xlsx_clinic.folder / "clinic.xlsx")
    sources = {
        (ws.title, str(dv.sqref).split(":")[0]): dv.formula1
        for ws in book.worksheets
        for dv in ws.data_validations.dataValidation
        if dv.type == "list" and "!" in (dv.formula1 or "")
    }
    assert sources[("Appointments", "B2")] == "'Patients'!$A$2:$A$1048576"
    assert sources[("Appointments", "C2")] == "'Providers'!$A$2:$A$1048576"
    assert sources[("Patients", "P2")] == "'Providers'!$A$2:$A$1048576"
    assert sources[("Staff", "H2")] == "'Staff'!$A$2:$A$1048576"


def test_sheets_reference_columns_offer_the_target_tabs_ids(tmp_path) -> None:
    from .backend_gsheets import backend as gsheets_backend
    from .conftest import seeded_clinic

    with gsheets_backend(tmp_path) as (body, sheet):
        clinic = seeded_clinic(tmp_path, body, sheet)
        fields = "sheets.data.rowData.values.dataValidation"
        meta = sheet.sh.fetch_sheet_metadata({"ranges": "'Appointments'!C2", "fields": fields})
        rule = meta["sheets"][0]["data"][0]["rowData"][0]["values"][0]["dataValidation"]
        assert rule["condition"] == {"type": "ONE_OF_RANGE", "values": [{"userEnteredValue": "='Providers'!A2:A"}]}
        assert rule.get("strict") is not True
        clinic.practice.close()
