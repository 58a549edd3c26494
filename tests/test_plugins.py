"""Plugins: discovered through entry points, enabled per practice, settings checked."""

from __future__ import annotations

import datetime as dt
import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from clinicops.core import hookspecs, operations
from clinicops.core.cli import cli
from clinicops.core.config import ConfigError
from clinicops.core.plugin_manager import PluginError, block, get_plugin_manager
from clinicops.core.practice import Practice

from .conftest import Clinic, write_config

HOOKS = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, "clinicops_spec")]


def credential_alerts(clinic: Clinic) -> list[dict]:
    """The credentials plugin's alerts (the always-on access log raises its own)."""
    return [a for a in clinic.records("alert") if a["plugin"] == "credentials"]


def test_every_hook_is_documented() -> None:
    assert len(HOOKS) >= 9
    for name in HOOKS:
        doc = getattr(hookspecs, name).__doc__
        assert doc and len(doc.strip()) > 20, f"hook {name} has no docstring"


def test_plugins_json_lists_builtins_with_their_hooks() -> None:
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    entries = {e["name"]: e for e in json.loads(result.output)["plugins"]}
    assert "credentials" in entries
    assert "collect_alerts" in entries["credentials"]["hooks"]
    assert "plugin_settings_schema" in entries["credentials"]["hooks"]


def test_plugins_json_shows_what_a_practice_enables(tmp_path: Path) -> None:
    write_config(tmp_path, plugins=[])
    result = CliRunner().invoke(cli, ["plugins", "--json", "-p", str(tmp_path)])
    entries = {e["name"]: e for e in json.loads(result.output)["plugins"]}
    assert entries["credentials"]["enabled"] is False


def test_unknown_plugin_name_is_a_clear_error(tmp_path: Path) -> None:
    write_config(tmp_path, plugins=["credentails"])
    with pytest.raises(PluginError, match="Unknown plugin 'credentails'"):
        Practice.open(tmp_path)
    result = CliRunner().invoke(cli, ["status", "-p", str(tmp_path)])
    assert result.exit_code == 1
    assert "Unknown plugin 'credentails'" in result.output
    assert "Traceback" not in result.output


def test_bad_plugin_setting_names_the_plugin_and_key(tmp_path: Path) -> None:
    write_config(tmp_path, extra='\n[plugins.credentials]\nwarn_days = ["soon"]\n')
    with pytest.raises(PluginError, match=r"plugins\.credentials\.warn_days\.0"):
        Practice.open(tmp_path)


def test_settings_get_their_defaults(tmp_path: Path) -> None:
    write_config(tmp_path)
    assert Practice.open(tmp_path).settings["credentials"]["warn_days"] == [90, 60, 30]


def test_secret_in_config_is_refused(tmp_path: Path) -> None:
    write_config(tmp_path)
    text = (
        (tmp_path / "practice.toml")
        .read_text()
        .replace('path = "clinic.xlsx"', 'path = "clinic.xlsx"\ntoken = "pat123"')
    )
    (tmp_path / "practice.toml").write_text(text)
    with pytest.raises(ConfigError, match="secrets don't belong"):
        Practice.open(tmp_path)


def test_essential_plugin_cannot_be_blocked() -> None:
    pm = get_plugin_manager([])
    with pytest.raises(PluginError, match="cannot be disabled"):
        block(pm, "access_log")


def test_check_pending_catches_a_misspelled_hook() -> None:
    from clinicops.core.hookspecs import hookimpl

    class Typo:
        @hookimpl
        def collect_alert(self, practice):
            return []

    pm = get_plugin_manager([])
    pm.register(Typo())
    with pytest.raises(Exception, match="unknown hook 'collect_alert'"):
        pm.check_pending()


def test_credential_alerts_appear_and_disabling_the_plugin_removes_them(clinic: Clinic) -> None:
    import datetime as dt

    soon = clinic.practice.today() + dt.timedelta(days=20)
    past = clinic.practice.today() - dt.timedelta(days=3)
    clinic.sheet.append(
        "Credentials",
        [
            {"Holder type": "provider", "Holder": "PR000001", "Kind": "DEA", "Expires": soon, "Required": "yes"},
            {"Holder type": "provider", "Holder": "PR000001", "Kind": "license", "Expires": past, "Required": "yes"},
            {
                "Holder type": "provider",
                "Holder": "PR000001",
                "Kind": "cpr",
                "Expires": clinic.practice.today() + dt.timedelta(days=400),
            },
        ],
    )
    clinic.sync()
    alerts = {a["id"]: a for a in credential_alerts(clinic)}
    assert len(alerts) == 2
    assert any(a["severity"] == "critical" and "expired" in a["message"] for a in alerts.values())
    assert any("DEA registration" in a["message"] and "in 20 days" in a["message"] for a in alerts.values())
    assert len([r for r in clinic.sheet.rows("Alerts") if r["Plugin"] == "credentials"]) == 2
    again = clinic.sync()
    assert again.alerts_opened == 0 and len(credential_alerts(clinic)) == 2

    write_config(clinic.folder, plugins=[])
    clinic.reopen()
    clinic.sync()
    assert credential_alerts(clinic) == []
    assert [r for r in clinic.sheet.rows("Alerts") if r["Plugin"] == "credentials"] == []


def test_status_lists_people_working_with_an_expired_required_credential(clinic: Clinic) -> None:
    import datetime as dt

    past = clinic.practice.today() - dt.timedelta(days=3)
    clinic.sheet.append(
        "Credentials",
        [
            {"Holder type": "provider", "Holder": "PR000001", "Kind": "license", "Expires": past, "Required": "yes"},
            {"Holder type": "provider", "Holder": "PR000001", "Kind": "acls", "Expires": past, "Required": "no"},
        ],
    )
    clinic.sync()
    [section] = [s for s in operations.status(clinic.practice)["sections"] if "expired required" in s["title"]]
    assert section["rows"] == [["Ada Lovelace, MD (PR000001)", "state license", past.isoformat()]]


def test_provider_tab_expiry_counts_only_without_a_credential_row(clinic: Clinic) -> None:
    import datetime as dt

    soon = clinic.practice.today() + dt.timedelta(days=10)
    row = clinic.sheet.rows("Providers")[0]["_row"]
    clinic.sheet.edit("Providers", row, "DEA expiry", soon)
    clinic.sheet.edit("Providers", row, "License expiry", soon)
    clinic.sheet.append(
        "Credentials", [{"Holder type": "provider", "Holder": "PR000001", "Kind": "license", "Expires": soon}]
    )
    clinic.sync()
    messages = sorted(a["message"] for a in credential_alerts(clinic))
    assert len(messages) == 2
    assert any("DEA registration" in m for m in messages)
    assert sum("state license" in m for m in messages) == 1


def test_renewed_credential_resolves_its_alert(clinic: Clinic) -> None:
    import datetime as dt

    clinic.sheet.append(
        "Credentials",
        [
            {
                "Holder type": "provider",
                "Holder": "PR000001",
                "Kind": "DEA",
                "Expires": clinic.practice.today() + dt.timedelta(days=10),
            },
        ],
    )
    clinic.sync()
    row = clinic.sheet.rows("Credentials")[0]["_row"]
    clinic.sheet.edit("Credentials", row, "Expires", clinic.practice.today() + dt.timedelta(days=1000))
    report = clinic.sync()
    assert report.alerts_resolved == 1
    [alert] = credential_alerts(clinic)
    assert alert["status"] == "resolved"
    assert next(r for r in clinic.sheet.rows("Alerts") if r["Plugin"] == "credentials")["Status"] == "resolved"


def test_hook_validate_record_holds_the_row_back(clinic: Clinic) -> None:
    from clinicops.core.hookspecs import hookimpl
    from clinicops.core.problems import FieldProblem

    class NoSmiths:
        @hookimpl
        def validate_record(self, entity, record):
            if entity == "patient" and record.get("last_name") == "Smith":
                return [FieldProblem("last_name", "Smith is not allowed here", "another name")]
            return []

    clinic.practice.pm.register(NoSmiths())
    clinic.sheet.append("Patients", [{"First name": "Jo", "Last name": "Smith", "Date of birth": "1/2/1990"}])
    report = clinic.sync()
    [err] = report.errors
    assert err.column == "Last name" and err.kind == "plugin-check"
    assert all(p["last_name"] != "Smith" for p in clinic.records("patient"))


def test_hook_compute_fields_fills_plugin_owned_fields_only(clinic: Clinic) -> None:
    from clinicops import hookimpl

    class Stamp:
        @hookimpl
        def register_schemas(self) -> list[dict[str, Any]]:
            return [{"title": "appointment", "properties": {"stamp": {"type": "string", "x-owner": "plugin"}}}]

        @hookimpl
        def compute_fields(self, entity: str, record: dict[str, Any]) -> dict[str, Any] | None:
            if entity == "appointment":
                return {"stamp": f"seen {record['id']}", "status": "cancelled"}
            return None

    class Thief:
        @hookimpl
        def compute_fields(self, entity: str, record: dict[str, Any]) -> dict[str, Any] | None:
            return {"stamp": "stolen"} if entity == "appointment" else None

    pm = get_plugin_manager([])
    pm.register(Stamp(), name="stamp")
    pm.register(Thief(), name="thief")
    clinic.practice.close()
    clinic.practice = Practice(clinic.practice.config, pm=pm)
    assert clinic.practice.registry["appointment"].plugin_fields == {"stamp": "stamp"}
    clinic.sheet.append(
        "Appointments",
        [{"Patient": "P000001", "Provider": "PR000001", "Start": "2026-03-04 14:30", "Status": "scheduled"}],
    )
    report = clinic.sync()
    [appt] = clinic.records("appointment")
    assert appt["stamp"] == f"seen {appt['id']}"  # the owner's value, not the thief's
    assert appt["status"] == "scheduled"  # a staff field no plugin may set
    refused = sorted(report.plugin_failures)
    assert len(refused) == 2
    assert "plugin stamp failed in compute_fields: it returned a value for appointment.status" in refused[0]
    assert "plugin thief failed in compute_fields: it returned a value for appointment.stamp" in refused[1]


def test_a_plugin_field_added_later_is_computed_for_every_existing_record(clinic: Clinic) -> None:
    from clinicops import hookimpl

    class Weekday:
        @hookimpl
        def register_schemas(self) -> list[dict[str, Any]]:
            weekday = {"type": "string", "x-title": "Weekday", "x-owner": "plugin"}
            return [{"title": "patient", "properties": {"birth_weekday": weekday}}]

        @hookimpl
        def compute_fields(self, entity: str, record: dict[str, Any]) -> dict[str, Any] | None:
            if entity != "patient" or not record.get("date_of_birth"):
                return None
            return {"birth_weekday": dt.date.fromisoformat(record["date_of_birth"]).strftime("%A")}

    clinic.sync()
    assert all("birth_weekday" not in p for p in clinic.records("patient"))
    pm = get_plugin_manager(clinic.practice.config.enabled_plugins)
    pm.register(Weekday(), name="weekday")
    clinic.practice.close()
    clinic.practice = Practice(clinic.practice.config, pm=pm)
    clinic.sync()  # no row was edited: every record still gets the new field
    patients = {p["id"]: p for p in clinic.records("patient")}
    assert patients["P000001"]["birth_weekday"] == "Sunday"  # 1956-12-09
    assert all(p["birth_weekday"] for p in patients.values())
    again = clinic.sync()
    assert again.total_changes == 0
    shown = {r["MRN"]: r.get("Weekday") for r in clinic.sheet.rows("Patients")}
    assert shown["P000001"] == "Sunday"


def test_hook_after_sync_receives_the_change_set(clinic: Clinic) -> None:
    from clinicops.core.hookspecs import hookimpl

    seen = []

    class Watcher:
        @hookimpl
        def after_sync(self, changes):
            seen.append(changes)

    clinic.practice.pm.register(Watcher())
    clinic.sync()
    assert sorted(seen[0].store_created["patient"]) == ["P000001", "P000002", "P000003", "P000004", "P000005"]
    assert seen[0].created == seen[0].store_created  # the earlier name reads the store's side


def test_after_sync_tells_records_the_store_created_from_rows_the_sync_wrote(clinic: Clinic) -> None:
    from clinicops.core.hookspecs import hookimpl

    clinic.sync()
    with clinic.practice.view() as view:  # a record the store has and the sheet does not, yet
        view.save("patient", {"id": "P000100", "first_name": "New", "last_name": "Person"}, plugin="intake")
        view.save("patient", {**view.get("patient", "P000002"), "city": "Salem"}, plugin="intake")
    row = next(r["_row"] for r in clinic.sheet.rows("Patients") if r["MRN"] == "P000004")
    clinic.sheet.edit("Patients", row, "City", "Boston")
    seen = []

    class Watcher:
        @hookimpl
        def after_sync(self, changes):
            seen.append(changes)

    clinic.practice.pm.register(Watcher())
    clinic.sync()
    [changes] = seen
    assert changes.sheet_appended == {"patient": ["P000100"]}  # written to the sheet, not created by this sync
    assert "P000100" not in changes.store_created.get("patient", [])
    assert "P000002" in changes.sheet_updated["patient"] and "P000002" not in changes.store_updated.get("patient", [])
    assert changes.store_updated["patient"] == ["P000004"]  # the staff's edit, taken into the store
    assert "P000004" not in changes.sheet_updated.get("patient", [])


def test_hook_records_accessed_gets_a_syncs_merge_in_one_batch_and_the_same_events_as_record_accessed(
    clinic: Clinic,
) -> None:
    from clinicops.core.hookspecs import hookimpl

    batches: list[list[Any]] = []
    singles: list[Any] = []

    class Batched:
        @hookimpl
        def records_accessed(self, events):
            batches.append(list(events))

    class Single:  # the older hook still hears of every event, one by one, in the same order
        @hookimpl
        def record_accessed(self, event):
            singles.append(event)

    clinic.practice.pm.register(Batched())
    clinic.practice.pm.register(Single())
    clinic.sync()
    creates = [(i, e) for i, batch in enumerate(batches) for e in batch if e.action == "create"]
    assert len(creates) >= 5 and len({i for i, _ in creates}) == 1  # every record the merge created: one call
    assert [e for batch in batches for e in batch] == singles
    assert all(isinstance(batch, list) and batch for batch in batches)


def test_hook_record_accessed_gets_field_names_never_values(clinic: Clinic) -> None:
    from clinicops.core.hookspecs import hookimpl

    events = []

    class Log:
        @hookimpl
        def record_accessed(self, event):
            events.append(event)

    clinic.practice.pm.register(Log())
    clinic.sync()
    creates = [e for e in events if e.entity == "patient" and e.action == "create"]
    assert len(creates) == 5
    assert "date_of_birth" in creates[0].fields
    assert all("Hopper" not in str(e) for e in events)
    operations.history(clinic.practice, "patient", "P000001")
    assert events[-1].action == "read"


def test_hook_register_schemas_adds_an_entity(tmp_path: Path) -> None:
    from clinicops.core.hookspecs import hookimpl

    class Extra:
        @hookimpl
        def register_schemas(self):
            return [{"title": "patient", "properties": {"pronouns": {"type": "string", "x-title": "Pronouns"}}}]

    write_config(tmp_path)
    practice = Practice.open(tmp_path)
    pm = practice.pm
    pm.register(Extra())
    assert "pronouns" in Practice(practice.config, pm).registry["patient"].by_name


def test_hook_register_commands_adds_a_cli_command() -> None:
    import click

    from clinicops.core.hookspecs import hookimpl

    class Cmd:
        @hookimpl
        def register_commands(self, cli):
            @cli.command(name="hello-test")
            def hello() -> None:
                click.echo("hello from a plugin")

    group = click.Group(commands=dict(cli.commands))
    pm = get_plugin_manager([])
    pm.register(Cmd())
    pm.hook.register_commands(cli=group)
    result = CliRunner().invoke(group, ["hello-test"])
    assert result.output.strip() == "hello from a plugin"


def test_hook_refresh_tables_keeps_a_plugin_table_in_the_sheet(tmp_path: Path) -> None:
    from clinicops.core.hookspecs import hookimpl

    from .sheet_drivers import XlsxDriver

    summary = {
        "title": "head_count",
        "x-title": "Head count",
        "x-primary-key": "id",
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {"type": "string", "x-title": "Table", "x-owner": "plugin"},
            "rows": {"type": "integer", "x-title": "Rows", "x-owner": "plugin"},
        },
    }

    class Counter:
        @hookimpl
        def register_schemas(self):
            return [summary]

        @hookimpl
        def refresh_tables(self, practice):
            practice.replace_table(
                "head_count", [{"id": "patient", "rows": len(practice.records("patient"))}], plugin="counter"
            )

    write_config(tmp_path, entities=["provider", "patient", "head_count"])
    base = Practice.open(tmp_path)
    base.pm.register(Counter(), name="counter")
    practice = Practice(base.config, base.pm)
    operations.lay_out(practice)
    sheet = XlsxDriver(tmp_path / "clinic.xlsx")
    sheet.append("Patients", [{"First name": "A", "Last name": "B", "Date of birth": "1/1/1990"}])
    operations.sync(practice)
    assert sheet.rows("Head count")[0]["Rows"] == 1
    sheet.append("Patients", [{"First name": "C", "Last name": "D", "Date of birth": "1/1/1991"}])
    operations.sync(practice)
    assert sheet.rows("Head count")[0]["Rows"] == 2


def test_hook_register_channels_and_status_sections(clinic: Clinic) -> None:
    from clinicops.core.hookspecs import hookimpl
    from clinicops.core.notify import Delivery, Message
    from clinicops.core.tasks import StatusSection

    sent: list[Message] = []

    class Pigeon:
        name = "pigeon"

        def send(self, message: Message) -> Delivery:
            sent.append(message)
            return Delivery(True, "coo")

    class Plugin:
        @hookimpl
        def register_channels(self):
            return [Pigeon()]

        @hookimpl
        def status_sections(self, practice):
            return [
                StatusSection("Patients by city", ("City", "count"), [("Boston", len(practice.records("patient")))])
            ]

    clinic.practice.pm.register(Plugin())
    clinic.sync()
    with clinic.practice.view() as view:
        channel = view.channels()["pigeon"]
        assert channel.send(Message("pigeon", "roof", "hi", "body", "k1")).accepted
    assert sent[0].to == "roof"
    info = operations.status(clinic.practice)
    assert {"title": "Patients by city", "headers": ["City", "count"], "rows": [["Boston", 5]]} in info["sections"]


def test_hook_report_sections_adds_a_plugin_section_and_leaves_out_a_failing_one(xlsx_clinic: Clinic) -> None:
    from clinicops import Chart, Definition, Figure, ReportSection, Series, hookimpl
    from clinicops.core import metrics

    class Visits:
        @hookimpl
        def report_sections(self, practice, period):
            count = len(practice.records("patient"))
            figure = Figure("visits.patients", "Patients", count, "patients", Definition("patients on file"))
            chart = Chart("Patients", "bar", (Series("patients", (("all", float(count)),)),))
            return [ReportSection("visits.patients", "Patients", (figure,), (chart,), order=1)]

    class Broken:
        @hookimpl
        def report_sections(self, practice, period):
            raise KeyError("Hopper")

    xlsx_clinic.practice.pm.register(Visits(), name="visits")
    xlsx_clinic.practice.pm.register(Broken(), name="broken")
    xlsx_clinic.sync()
    with xlsx_clinic.practice.view() as view:
        found = metrics.collect(view, metrics.period_for(view.today()))
    assert found.sections[0].key == "visits.patients"
    assert found.figures()["visits.patients"].value == 5
    assert "core.alerts" in {s.key for s in found.sections}
    assert [f.split(" at ")[0] for f in found.failures] == ["broken: KeyError"]
    assert "Hopper" not in str(found.as_json())


def test_hook_register_tasks_are_collected_from_plugins(clinic: Clinic) -> None:
    from clinicops.core.hookspecs import hookimpl
    from clinicops.core.tasks import ScheduledTask

    class Plugin:
        @hookimpl
        def register_tasks(self):
            return [ScheduledTask("tidy", run=lambda practice: None, every_minutes=5)]

    clinic.practice.pm.register(Plugin())
    with clinic.practice.view() as view:
        tasks = [t for found in clinic.practice.pm.hook.register_tasks(practice=view) for t in found or []]
    assert "tidy" in [t.name for t in tasks]


def test_hook_plugin_settings_schema_and_collect_alerts_are_per_plugin(clinic: Clinic) -> None:
    from clinicops.core.plugin_manager import call_each

    schemas = call_each(clinic.practice.pm, "plugin_settings_schema")
    assert "warn_days" in schemas["credentials"]["properties"]
    with clinic.practice.view() as view:
        assert call_each(clinic.practice.pm, "collect_alerts", practice=view)["credentials"] == []


def test_disabling_an_essential_plugin_in_config_is_refused(tmp_path: Path) -> None:
    write_config(tmp_path, extra="\n[plugins.x]\n")
    text = (tmp_path / "practice.toml").read_text().replace("[plugins]\n", '[plugins]\ndisabled = ["access_log"]\n')
    (tmp_path / "practice.toml").write_text(text.replace("\n[plugins.x]\n", ""))
    with pytest.raises(PluginError, match="'access_log' cannot be disabled: the HIPAA access log"):
        Practice.open(tmp_path)


def test_hook_prepare_storage_creates_the_plugins_tables_when_the_store_opens(tmp_path: Path) -> None:
    from sqlalchemy import Column, Integer, MetaData, Table, inspect

    from clinicops.core.hookspecs import hookimpl

    metadata = MetaData()
    Table("notes_kept", metadata, Column("id", Integer, primary_key=True))

    class Notes:
        @hookimpl
        def prepare_storage(self, storage: Any) -> None:
            storage.prepare(metadata)

    write_config(tmp_path, plugins=[])
    practice = Practice.open(tmp_path)
    practice.pm.register(Notes(), name="notes")
    assert inspect(practice.store.engine).has_table("notes_kept")
    practice.close()


def test_every_hook_has_a_test_named_after_it() -> None:
    source = Path(__file__).read_text()
    for name in HOOKS:
        assert (
            f"def test_hook_{name}" in source
            or f"test_hook_{name.split('_')[0]}" in source
            or (f"and_{name}" in source)
        ), f"no test_hook_{name}"
