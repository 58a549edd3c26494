"""Adopting a Google Sheet and an Airtable base as the office keeps them, through the emulators and real clients."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from clinicops.connectors.gsheets.values import quote_title
from clinicops.core import operations
from clinicops.core.cli import cli
from clinicops.core.practice import Practice

from .backend_airtable import TOKEN_FILE
from .backend_airtable import backend as airtable_backend
from .backend_gsheets import backend as gsheets_backend
from .office_workbook import held_counts, office_tabs, valid_counts

SMALL = {"patients": 36, "visits": 20, "claims": 14, "supplies": 6}


def adopt(folder: Path, *options: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["adopt", "-p", str(folder), *options, "--yes", "--json"])
    assert result.exit_code == 0, result.output
    return {t["entity"]: t for t in json.loads(result.output)["tabs"] if t["entity"]}


def check_adopted(folder: Path, tabs: dict[str, list], found: dict[str, Any]) -> Practice:
    assert found["patient"]["tab"] == "Pt List" and found["appointment"]["tab"] == "Schedule"
    assert found["patient"]["split"] == {"Last, First": ["last_name", "first_name"]}
    assert found["appointment"]["joined"] == {"start": ["Appt Date", "Time"]}
    assert {e: f["import"] for e, f in found.items()} == valid_counts(tabs)
    assert {e: f["held_back"] for e, f in found.items()} == held_counts(tabs)
    practice = Practice.open(folder)
    report = operations.sync(practice)
    assert {e: report.entities[e].created for e in valid_counts(tabs)} == valid_counts(tabs)
    return practice


def test_adopt_a_google_sheet_as_it_is(tmp_path: Path) -> None:
    tabs = office_tabs(**SMALL)
    with gsheets_backend(tmp_path) as (body, sheet):
        sh = sheet.sh
        placeholder = sh.sheet1
        for title, grid in tabs.items():
            sh.add_worksheet(title, rows=len(grid) + 20, cols=len(grid[0]) + 4)
        sh.del_worksheet(placeholder)
        data = [
            {"range": f"{quote_title(t)}!A1", "values": [["" if v is None else v for v in row] for row in grid]}
            for t, grid in tabs.items()
        ]
        sh.values_batch_update({"valueInputOption": "RAW", "data": data})
        settings = dict(line.split(" = ") for line in body.splitlines())
        found = adopt(
            tmp_path,
            "--backend",
            "gsheets",
            "--spreadsheet-id",
            json.loads(settings["spreadsheet_id"]),
            "--endpoint-url",
            json.loads(settings["endpoint_url"]),
        )
        practice = check_adopted(tmp_path, tabs, found)
        header = sh.worksheet("Pt List").row_values(1)
        assert header == ["Last, First", "DOB", "Cell", "Email", "Ins", "Dr", "Notes", "MRN", "Errors"]
        assert sh.worksheet("Pt List").col_values(1)[1] == tabs["Pt List"][1][0]
        before = sheet.fingerprint()
        assert operations.sync(practice).total_changes == 0
        assert sheet.fingerprint() == before
        practice.close()


def test_adopt_an_airtable_base_as_it_is(tmp_path: Path) -> None:
    tabs = office_tabs(**SMALL)
    with airtable_backend(tmp_path) as (body, sheet):
        api = sheet.api
        tables_url = api.base(sheet.base_id).urls.tables
        for title, grid in tabs.items():
            fields = [{"name": h, "type": "singleLineText"} for h in grid[0]]
            created = api.post(tables_url, json={"name": title, "fields": fields})
            rows = [{h: str(v) for h, v in zip(grid[0], row, strict=True) if v is not None} for row in grid[1:]]
            api.table(sheet.base_id, created["id"]).batch_create([r for r in rows if r], typecast=True)
        settings = dict(line.split(" = ") for line in body.splitlines())
        found = adopt(
            tmp_path,
            "--backend",
            "airtable",
            "--base-id",
            sheet.base_id,
            "--token-file",
            TOKEN_FILE,
            "--endpoint-url",
            json.loads(settings["endpoint_url"]),
        )
        practice = check_adopted(tmp_path, tabs, found)
        rows = sheet.rows("Pt List")
        assert all(r["MRN"] for r in rows if "13/45/1980" not in str(r["DOB"]))
        assert rows[0]["Last, First"] == tabs["Pt List"][1][0]
        before = sheet.fingerprint()
        assert operations.sync(practice).total_changes == 0
        assert sheet.fingerprint() == before
        practice.close()
