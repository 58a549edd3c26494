"""The manager's command line: one sentence and a non-zero exit for mistakes, JSON for scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from clinicops.core.cli import cli
from clinicops.core.practice import store_tx

from .conftest import Clinic


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_help_works_with_dash_h() -> None:
    code, out = run("sync", "-h")
    assert code == 0 and "--dry-run" in out and "Example:" in out


def test_init_creates_a_practice_and_refuses_to_overwrite(tmp_path: Path) -> None:
    code, out = run("init", str(tmp_path / "p"), "--name", "Elm Clinic")
    assert code == 0, out
    assert (tmp_path / "p" / "practice.toml").exists() and (tmp_path / "p" / "clinic.xlsx").exists()
    code, out = run("init", str(tmp_path / "p"))
    assert code == 1 and "already exists" in out


def test_missing_practice_is_one_clear_sentence(tmp_path: Path) -> None:
    code, out = run("sync", "-p", str(tmp_path))
    assert code == 1
    assert "No practice.toml" in out and "clinicops init" in out


def test_bad_config_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "practice.toml").write_text(
        '[practice]\nname = "X"\ntimezone = "Mars/Olympus"\n[backend]\ntype = "xlsx"\n'
    )
    code, out = run("status", "-p", str(tmp_path))
    assert code == 1 and "practice.timezone" in out and "Mars/Olympus" in out


def test_sync_json_reports_every_entity_with_counts_errors_and_requests(xlsx_clinic: Clinic) -> None:
    xlsx_clinic.sheet.append("Patients", [{"First name": "Ida", "Last name": "Rhodes", "Date of birth": "13/13/2026"}])
    code, out = run("sync", "-p", str(xlsx_clinic.folder), "--json")
    assert code == 0, out
    report = json.loads(out)
    assert set(report["entities"]["patient"]) >= {"created", "updated", "deleted", "conflicts", "unchanged", "errors"}
    assert report["entities"]["patient"]["created"] == 5
    [error] = report["errors"]
    assert set(error) >= {"entity", "sheet", "row", "column", "message"}
    assert error["value"] == "<phi: 10 chars>"
    assert "13/13/2026" not in out
    assert report["requests"] >= 1


def test_dry_run_and_validate_change_nothing_and_validate_exits_1_on_errors(xlsx_clinic: Clinic) -> None:
    folder = str(xlsx_clinic.folder)
    before = xlsx_clinic.sheet.fingerprint()
    code, out = run("sync", "-p", folder, "--dry-run")
    assert code == 0 and out.startswith("Would sync")
    assert xlsx_clinic.sheet.fingerprint() == before
    assert run("validate", "-p", folder)[0] == 0
    xlsx_clinic.sheet.append("Patients", [{"First name": "Ida", "Last name": "Rhodes", "Date of birth": "soon"}])
    code, out = run("validate", "-p", folder)
    assert code == 1 and "Date of birth" in out


def test_history_and_restore_from_the_command_line(xlsx_clinic: Clinic) -> None:
    folder = str(xlsx_clinic.folder)
    run("sync", "-p", folder)
    xlsx_clinic.sheet.delete_row("Patients", 3)
    run("sync", "-p", folder)
    code, out = run("history", "patient", "P000002", "-p", folder)
    assert code == 0 and "v1" in out and "v2" in out and "deleted" in out
    code, out = run("restore", "patient", "P000002", "-p", folder)
    assert code == 0 and "version 3" in out
    run("sync", "-p", folder)
    assert any(r["MRN"] == "P000002" for r in xlsx_clinic.sheet.rows("Patients"))
    code, out = run("restore", "patient", "P000002", "--version", "9", "-p", folder)
    assert code == 1 and "no version 9" in out
    code, out = run("history", "pateint", "P1", "-p", folder)
    assert code == 1 and "unknown entity 'pateint'" in out


def test_status_shows_last_sync_counts_and_alerts(xlsx_clinic: Clinic) -> None:
    folder = str(xlsx_clinic.folder)
    code, out = run("status", "-p", folder)
    assert code == 0 and "Last sync: never" in out
    run("sync", "-p", folder)
    code, out = run("status", "-p", folder, "--json")
    assert code == 0
    info = json.loads(out)
    assert info["records"]["patient"] == 5 and info["last_sync"]["outcome"] == "ok"


def test_delete_guard_is_a_clear_error_with_exit_1(xlsx_clinic: Clinic) -> None:
    folder = str(xlsx_clinic.folder)
    run("sync", "-p", folder)
    xlsx_clinic.sheet.clear("Patients")
    code, out = run("sync", "-p", folder)
    assert code == 1 and "--allow-delete" in out and "Nothing was changed" in out


def test_demo_runs_end_to_end_and_shows_errors_and_alerts(tmp_path: Path) -> None:
    code, out = run("demo", str(tmp_path / "demo"), "--today", "2026-11-23")
    assert code == 0, out
    assert "Cells to fix" in out and "Email <phi:" in out and "already used on row" in out
    assert "credentials" in out and "expired" in out
    code, out = run("sync", "-p", str(tmp_path / "demo"), "--json")
    again = json.loads(out)
    assert not again["wrote"] and all(e["created"] == e["updated"] == 0 for e in again["entities"].values())


def test_init_lays_out_an_empty_airtable_base_through_the_meta_api(tmp_path: Path, monkeypatch) -> None:
    from pyairtable import Api

    from clinicops.connectors.emulators.airtable import AirtableEmulator

    with AirtableEmulator(per_base_rps=None, per_token_rps=None) as emulator:
        api = Api("patTESTTOKEN", endpoint_url=emulator.endpoint_url)
        base = api.create_base(
            "wspDEMO", "Elm Clinic", [{"name": "Desk notes", "fields": [{"name": "Note", "type": "singleLineText"}]}]
        )
        monkeypatch.setenv("ELM_AIRTABLE_TOKEN", "patTESTTOKEN")
        code, out = run(
            "init",
            str(tmp_path / "elm"),
            "--backend",
            "airtable",
            "--base-id",
            base.id,
            "--token-env",
            "ELM_AIRTABLE_TOKEN",
            "--endpoint-url",
            emulator.endpoint_url,
        )
        assert code == 0, out
        tables = {t.name: t for t in api.base(base.id).tables(force=True)}
        assert {"Desk notes", "Patients", "Appointments", "Alerts"} <= set(tables)
        status = next(f for f in tables["Appointments"].schema().fields if f.name == "Status")
        assert status.type == "singleSelect"
    config = (tmp_path / "elm" / "practice.toml").read_text()
    assert 'token_env = "ELM_AIRTABLE_TOKEN"' in config and "patTESTTOKEN" not in config


def test_init_refuses_an_option_of_another_backend(tmp_path: Path) -> None:
    code, out = run("init", str(tmp_path / "p"), "--base-id", "app123")
    assert code == 2 and "does not apply to the xlsx backend" in out
    assert not (tmp_path / "p" / "practice.toml").exists()


def test_commands_take_the_tab_name_and_show_practice_time(xlsx_clinic: Clinic) -> None:
    folder = str(xlsx_clinic.folder)
    run("sync", "-p", folder)
    code, out = run("history", "Patients", "P000003", "-p", folder)
    assert code == 0, out
    assert out.startswith("v1  ") and (" EST " in out or " EDT " in out)
    _, out = run("history", "Patients", "P000003", "-p", folder, "--json")
    [version] = json.loads(out)["versions"]
    assert version["at"].endswith("Z")
    code, out = run("status", "-p", folder)
    assert code == 0 and ("EST (ok)" in out or "EDT (ok)" in out)
    code, out = run("restore", "Patients", "P000404", "-p", folder)
    assert code == 1 and "No patient with id P000404" in out


def test_sync_json_and_dry_run_name_the_records_each_change_touches(xlsx_clinic: Clinic) -> None:
    folder = str(xlsx_clinic.folder)
    xlsx_clinic.sheet.append("Patients", [{"First name": "Ida", "Last name": "Rhodes", "Date of birth": "soon"}])
    _, out = run("sync", "-p", folder, "--dry-run", "--json")
    patients = json.loads(out)["entities"]["patient"]
    assert patients["ids"]["created"] == ["P000001", "P000002", "P000003", "P000004", "P000005"]
    assert patients["held"] == [{"id": None, "row": 7}]
    run("sync", "-p", folder)
    xlsx_clinic.sheet.edit("Patients", 2, "Phone", "617 555 0142")
    xlsx_clinic.sheet.edit("Patients", 3, "Date of birth", "never")
    _, out = run("sync", "-p", folder, "--json")
    patients = json.loads(out)["entities"]["patient"]
    assert patients["ids"] == {"created": [], "updated": ["P000001"], "deleted": []}
    assert patients["held"] == [{"id": "P000002", "row": 3}, {"id": None, "row": 7}]
    xlsx_clinic.sheet.edit("Patients", 2, "Phone", "617 555 0143")
    _, out = run("sync", "-p", folder)
    assert "Patients: updated P000001; held back P000002 (row 3), row 7" in out


def conflicted_email(clinic: Clinic) -> str:
    """Grace's email changed by a plugin and in the sheet at once: the sheet wins, the plugin's value is lost."""
    run("sync", "-p", str(clinic.folder))
    grace = clinic.record("patient", "P000001")
    with clinic.practice.view(source="plugin:intake") as view:
        view.save("patient", {**grace, "email": "grace.private@hopper.example"}, plugin="intake")
    row = next(i for i, r in enumerate(clinic.sheet.rows("Patients"), start=2) if r["MRN"] == "P000001")
    clinic.sheet.edit("Patients", row, "Email", "g.hopper@navy.example")
    run("sync", "-p", str(clinic.folder))
    return "grace.private@hopper.example"


def test_history_masks_phi_in_conflict_notes_and_json_versions(xlsx_clinic: Clinic) -> None:
    lost = conflicted_email(xlsx_clinic)
    folder = str(xlsx_clinic.folder)
    code, out = run("history", "patient", "P000001", "-p", folder)
    assert code == 0, out
    assert f"email kept sheet value, lost <phi: {len(repr(lost)) - 2} chars>" in out
    assert lost not in out and "Hopper" not in out
    code, out = run("history", "patient", "P000001", "-p", folder, "--json")
    versions = json.loads(out)["versions"]
    assert len(versions) >= 3
    assert all(v["data"]["last_name"] == "<phi: 6 chars>" for v in versions)
    assert versions[-1]["diff"]["email"] == ["<phi: 28 chars>", "<phi: 21 chars>"]
    assert "Hopper" not in out and "navy.example" not in out and lost not in out
    assert versions[0]["data"]["id"] == "P000001"  # what is not PHI is shown as stored


def test_history_reveal_needs_a_purpose_and_is_access_logged(xlsx_clinic: Clinic) -> None:
    lost = conflicted_email(xlsx_clinic)
    folder = str(xlsx_clinic.folder)
    code, out = run("history", "patient", "P000001", "-p", folder, "--reveal")
    assert code == 2 and "--reveal needs --purpose" in out
    code, out = run("history", "patient", "P000001", "-p", folder, "--reveal", "--purpose", "billing dispute", "--json")
    assert code == 0, out
    assert json.loads(out)["versions"][0]["data"]["last_name"] == "Hopper" and lost in out
    with xlsx_clinic.practice.view() as view:
        conn = store_tx(view).conn
        entry = conn.exec_driver_sql(
            "SELECT action, record_id, fields, purpose FROM access_log ORDER BY seq DESC LIMIT 1"
        ).one()
    assert entry.action == "read" and entry.record_id == "P000001" and entry.purpose == "billing dispute"
    assert "email" in entry.fields.split(",") and "last_name" in entry.fields.split(",")


def test_a_folder_that_cannot_be_made_is_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(cli, ["init", str(blocker / "practice")])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: Cannot create the folder {blocker / 'practice'}: Not a directory")
    assert "Traceback" not in result.output


def test_only_clinicops_errors_are_turned_into_sentences() -> None:
    from clinicops.core import cli as cli_module

    @cli_module.friendly
    def buggy() -> None:
        raise LookupError("a bug, not a message for the user")

    with pytest.raises(LookupError):
        buggy()
