"""What only the Airtable backend has: the request floor, pacing, 429s and 503s, field
types laid out through the Meta API, staff fields left alone, and where the token lives."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from clinicops.connectors.airtable import AirtableBackend, pacing
from clinicops.connectors.airtable.credentials import read_token
from clinicops.connectors.base import BackendError
from clinicops.connectors.emulators.airtable import AirtableEmulator, RequestLogEntry
from clinicops.core import operations
from clinicops.core.backend_registry import open_backend
from clinicops.core.config import ConfigError
from clinicops.core.practice import Practice
from clinicops.core.sync import table_spec

from .backend_airtable import AirtableDriver, backend
from .conftest import write_config

PATIENT = {"First name": "Ada", "Last name": "Byron", "Date of birth": "12/10/1980", "Phone": "617 555 0100"}


class Base:
    """A practice on an emulated base, with a staff member's hands on it."""

    def __init__(
        self, folder: Path, body: str, staff: AirtableDriver, entities: list[str], plugins: list[str] | None = None
    ) -> None:
        write_config(folder, plugins=plugins or [], entities=entities, backend=body)
        self.folder = folder
        self.staff = staff
        self.emulator: AirtableEmulator = staff.emulator
        self.practice = Practice.open(folder)

    @property
    def now(self) -> float:
        return self.emulator.clock()

    def tables(self) -> dict[str, dict[str, Any]]:
        answer = self.staff.api.get(self.staff.api.base(self.staff.base_id).urls.tables)
        return {t["name"]: t for t in answer["tables"]}

    def fields(self, table: str) -> dict[str, dict[str, Any]]:
        return {f["name"]: f for f in self.tables()[table]["fields"]}

    def sync_logged(self, **kwargs: Any) -> tuple[Any, list[RequestLogEntry]]:
        """A sync and the requests the base received during it."""
        before = len(self.emulator.requests)
        report = operations.sync(self.practice, **kwargs)
        return report, self.emulator.requests[before:]


@pytest.fixture
def make_base(tmp_path: Path) -> Iterator[Any]:
    """Makes the practice of one test on an emulated base (laid out unless asked not to)."""
    with ExitStack() as stack:

        def make(entities: list[str] | None = None, lay_out: bool = True, plugins: list[str] | None = None) -> Base:
            body, staff = stack.enter_context(backend(tmp_path))
            made = Base(tmp_path, body, staff, entities or ["patient"], plugins)
            stack.callback(made.practice.close)
            if lay_out:
                operations.lay_out(made.practice)
            return made

        yield make


def floor(records: dict[str, int], changed: int) -> int:
    """Airtable's request floor for one sync: ceil(n/100) list requests per table (one
    for an empty table) and ceil(k/10) writes for k changed records."""
    return sum(max(1, math.ceil(n / 100)) for n in records.values()) + math.ceil(changed / 10)


def busiest_second(log: list[RequestLogEntry]) -> int:
    """The most requests the base saw in any one-second window [t, t + 1)."""
    times = sorted(entry.time for entry in log)
    return max((sum(1 for t in times if start <= t < start + 1.0) for start in times), default=0)


# the request floor and pacing


def test_2500_records_sync_at_the_request_floor_without_a_429_and_at_most_5_a_second(make_base: Any) -> None:
    base = make_base()
    base.staff.append("Patients", [{**PATIENT, "Last name": f"Byron{i}"} for i in range(2500)])
    started = base.now
    report, log = base.sync_logged()
    assert report.entities["patient"].created == 2500
    assert report.requests == len(log) == floor({"patient": 2500, "alert": 0}, 2500) == 276
    assert [e.method for e in log].count("GET") == 26 and all(e.status == 200 for e in log)
    assert not any("/meta/" in e.path for e in log)
    assert report.backend_stats["http_429"] == 0
    assert busiest_second(base.staff.emulator.requests) <= 5
    assert base.now - started >= (276 - 1) / pacing.REQUESTS_PER_SECOND
    assert report.backend_stats["rate_limit_wait_s"] > 0
    ids = [row["MRN"] for row in base.staff.rows("Patients")]
    assert len(set(ids)) == 2500 and all(ids)

    with base.practice.view(source="plugin:intake") as view:
        for rid in ids[:23]:
            view.save("patient", {**view.get("patient", rid), "insurance_payer": "Aetna"}, plugin="intake")
        for n in range(7):
            new = {"id": f"P09{n:04d}", "first_name": "New", "last_name": f"Person{n}", "date_of_birth": "2001-02-03"}
            view.save("patient", new, plugin="intake")
    report, log = base.sync_logged()
    assert report.requests == len(log) == floor({"patient": 2500, "alert": 0}, 23 + 7) == 29
    writes = [e for e in log if e.method != "GET"]
    assert [(e.method, e.records_in) for e in writes] == [("PATCH", 10), ("PATCH", 10), ("PATCH", 10)]
    assert busiest_second(base.staff.emulator.requests) <= 5
    assert sum(1 for row in base.staff.rows("Patients") if row["Insurance payer"] == "Aetna") == 23
    again, log = base.sync_logged()
    assert again.total_changes == 0 and not again.wrote
    assert len(log) == floor({"patient": 2507, "alert": 0}, 0) == 27


def test_a_forced_429_is_waited_out_as_the_30_second_penalty_and_nothing_is_lost(make_base: Any) -> None:
    base = make_base()
    base.staff.append("Patients", [{**PATIENT, "Last name": f"Byron{i}"} for i in range(120)])
    seen = {"n": 0}

    def on_request(entry: RequestLogEntry) -> None:
        seen["n"] += 1
        if seen["n"] == 5:
            base.emulator.fail_next(429)

    base.emulator.app.on_request = on_request
    report, log = base.sync_logged()
    base.emulator.app.on_request = None
    statuses = [e.status for e in log]
    assert statuses.count(429) == 1 and statuses[5] == 429 and log[5].method == "PATCH"
    assert log[6].time - log[5].time >= 30
    assert report.backend_stats["http_429"] == 1
    assert report.backend_stats["rate_limit_wait_s"] >= 30
    assert report.requests == floor({"patient": 120, "alert": 0}, 120) + 1
    rows = base.staff.rows("Patients")
    assert len(rows) == 120 and all(row["MRN"] for row in rows)
    with base.practice.view() as view:
        assert len(view.records("patient")) == 120
    assert operations.sync(base.practice).total_changes == 0


def test_503_is_retried_with_backoff_and_nothing_is_lost(make_base: Any) -> None:
    base = make_base()
    base.staff.append("Patients", [{**PATIENT, "Last name": f"Byron{i}"} for i in range(30)])

    def on_request(entry: RequestLogEntry) -> None:
        if entry.method == "PATCH" and entry.status == 200 and not on_request.done:  # type: ignore[attr-defined]
            on_request.done = True  # type: ignore[attr-defined]
            base.emulator.fail_next(503, times=2)

    on_request.done = False  # type: ignore[attr-defined]
    base.emulator.app.on_request = on_request
    report, log = base.sync_logged()
    base.emulator.app.on_request = None
    assert [e.status for e in log].count(503) == 2
    stats = report.backend_stats
    assert stats["http_5xx"] == 2 and stats["retries"] == 2 and stats["backoff_wait_s"] > 0
    assert all(row["MRN"] for row in base.staff.rows("Patients"))
    assert operations.sync(base.practice).total_changes == 0


# staff fields, layout


def test_a_staff_field_outside_the_schema_survives_every_sync_untouched(make_base: Any) -> None:
    base = make_base()
    table_id = base.tables()["Patients"]["id"]
    api = base.staff.api
    api.post(
        api.base(base.staff.base_id).table(table_id).urls.fields, json={"name": "Desk notes", "type": "multilineText"}
    )
    base.emulator.add_computed_field(base.staff.base_id, "Patients", "Changed", "lastModifiedTime")
    base.staff.append("Patients", [{**PATIENT, "Last name": f"Byron{i}", "Desk notes": f"note {i}"} for i in range(12)])

    def notes() -> dict[str, Any]:
        return {row["Last name"]: row["Desk notes"] for row in base.staff.rows("Patients")}

    kept = notes()
    assert operations.sync(base.practice).entities["patient"].created == 12
    assert notes() == kept
    base.staff.edit("Patients", 3, "ZIP", "2134")
    assert len(operations.sync(base.practice).errors) == 1
    assert notes() == kept
    base.staff.edit("Patients", 3, "ZIP", "02134")
    with base.practice.view(source="plugin:x") as view:
        for record in view.records("patient"):
            view.save("patient", {**record, "city": "Boston"}, plugin="x")
    operations.sync(base.practice)
    assert notes() == kept
    assert {row["City"] for row in base.staff.rows("Patients")} == {"Boston"}
    operations.lay_out(base.practice)
    assert {"Desk notes", "Changed"} <= set(base.fields("Patients"))


def test_init_lays_out_an_empty_base_with_the_mapped_field_types(make_base: Any) -> None:
    entities = ["provider", "patient", "appointment", "claim", "performance_review", "credential"]
    base = make_base(entities, plugins=["reviews"])
    tables = base.tables()
    assert {"Table 1", "Providers", "Patients", "Appointments", "Claims", "Performance reviews", "Alerts"} <= set(
        tables
    )
    patients = base.fields("Patients")
    assert tables["Patients"]["fields"][0]["name"] == "MRN"
    assert patients["MRN"]["type"] == "singleLineText"
    assert patients["Date of birth"]["type"] == "date"
    assert patients["Date of birth"]["options"]["dateFormat"]["name"] == "us"
    assert patients["Email"]["type"] == "email"
    assert patients["Phone"]["type"] == "phoneNumber"
    assert patients["ZIP"]["type"] == "singleLineText"
    assert patients["Primary provider"]["type"] == "singleLineText"
    assert [c["name"] for c in patients["Sex"]["options"]["choices"]] == ["female", "male", "other", "unknown"]
    assert patients["Errors"]["type"] == "multilineText"
    assert "Protected health information" in patients["Last name"]["description"]
    start = base.fields("Appointments")["Start"]
    assert start["type"] == "dateTime" and start["options"]["timeZone"] == "America/New_York"
    minutes = base.fields("Appointments")["Minutes"]
    assert minutes["type"] == "number" and minutes["options"]["precision"] == 0
    severity = base.fields("Alerts")["Severity"]
    assert "Filled in by clinicops" in severity["description"]
    billed = base.fields("Claims")["Billed"]
    assert billed["type"] == "currency" and billed["options"] == {"precision": 2, "symbol": "$"}
    overall = base.fields("Performance reviews")["Overall"]  # the reviews plugin's field
    assert overall["type"] == "number" and overall["options"]["precision"] == 8
    active = base.fields("Providers")["Active"]
    assert active["type"] == "singleSelect" and [c["name"] for c in active["options"]["choices"]] == ["yes", "no"]


def test_init_adds_missing_fields_to_an_existing_table_and_drops_none(make_base: Any) -> None:
    base = make_base(lay_out=False)
    api = base.staff.api
    api.post(
        api.base(base.staff.base_id).urls.tables,
        json={
            "name": "patients",
            "fields": [
                {"name": "MRN", "type": "singleLineText"},
                {"name": "first NAME", "type": "singleLineText"},
                {"name": "Desk notes", "type": "multilineText"},
            ],
        },
    )
    before = len(base.emulator.requests)
    operations.lay_out(base.practice)
    log = base.emulator.requests[before:]
    patients = base.fields("patients")
    spec = table_spec(base.practice.registry["patient"])
    assert {"first NAME", "Desk notes", "Errors", "Last name", "Member ID"} <= set(patients)
    assert "First name" not in patients and "Patients" not in base.tables()
    added = len(spec.columns) + 1 - 2
    assert [e.method for e in log].count("POST") == added + 1  # the fields, and the Alerts table
    before = len(base.emulator.requests)
    operations.lay_out(base.practice)
    assert [e.method for e in base.emulator.requests[before:]] == ["GET"]

    base.staff.append("patients", [{"first NAME": "Ada", "Last name": "Byron", "Date of birth": "1980-12-10"}])
    report = operations.sync(base.practice)
    assert report.entities["patient"].created == 1
    assert base.staff.rows("patients")[0]["MRN"] == "P000001"


def test_a_base_missing_a_field_costs_one_schema_request_and_gets_the_field(make_base: Any) -> None:
    base = make_base(lay_out=False)
    api = base.staff.api
    api.post(
        api.base(base.staff.base_id).urls.tables,
        json={"name": "Patients", "fields": [{"name": "MRN", "type": "singleLineText"}]},
    )
    base.staff.append("Patients", [{"MRN": "P000001"}])
    report, log = base.sync_logged()
    assert sum(1 for e in log if "/meta/" in e.path and e.method == "GET") == 1
    assert report.entities["patient"].errors
    assert "Errors" in base.fields("Patients") and "Alerts" in base.tables()
    assert "Last name" in base.staff.rows("Patients")[0]["Errors"]


# configuration and the token


def airtable_config(folder: Path, lines: str) -> Practice:
    write_config(folder, plugins=[], entities=["patient"], backend='type = "airtable"\n' + lines)
    return Practice.open(folder)


def test_a_token_file_others_can_read_is_refused_without_showing_the_token(tmp_path: Path) -> None:
    secret = "patSecretSecret123.0123456789abcdef0123456789abcdef"
    (tmp_path / "token").write_text(secret)
    (tmp_path / "token").chmod(0o644)
    practice = airtable_config(tmp_path, 'base_id = "appAAAAAAAAAAAAAA"\ntoken_file = "token"')
    with pytest.raises(BackendError, match=r"can be read by others \(mode 0644\); run 'chmod 600") as raised:
        open_backend(practice.config)
    assert secret not in str(raised.value)
    (tmp_path / "token").chmod(0o600)
    assert isinstance(open_backend(practice.config), AirtableBackend)
    assert read_token({"token_file": "token"}, tmp_path) == secret


def test_the_token_never_lives_in_the_config(tmp_path: Path) -> None:
    write_config(tmp_path, backend='type = "airtable"\nbase_id = "appAAAAAAAAAAAAAA"\ntoken = "patABCDEFGHIJKLMN"')
    with pytest.raises(ConfigError, match="secrets don't belong"):
        Practice.open(tmp_path)
    practice = airtable_config(
        tmp_path, 'base_id = "appAAAAAAAAAAAAAA"\ntoken_env = "patABCDEFGHIJKLMN.0123456789abcdef"'
    )
    with pytest.raises(BackendError, match="looks like the token itself") as raised:
        open_backend(practice.config)
    assert "patABCDEFGHIJKLMN" not in str(raised.value)
    practice = airtable_config(tmp_path, 'base_id = "appAAAAAAAAAAAAAA"\ntoken_env = "CLINICOPS_TEST_NO_SUCH_VAR"')
    with pytest.raises(BackendError, match=r"CLINICOPS_TEST_NO_SUCH_VAR \(backend.token_env\) is not set"):
        open_backend(practice.config)


def test_the_token_comes_from_the_named_variable_and_is_not_in_the_report(
    make_base: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = make_base()
    token = (base.folder / "airtable.token").read_text()
    config = base.folder / "practice.toml"
    text = config.read_text().replace('token_file = "airtable.token"', 'token_env = "AT_TOKEN"')
    config.write_text(text)
    os.unlink(base.folder / "airtable.token")
    monkeypatch.setenv("AT_TOKEN", token)
    practice = Practice.open(base.folder)
    try:
        report = operations.sync(practice)
    finally:
        practice.close()
    assert token not in json.dumps(report.as_dict()) and token not in text


def test_unknown_keys_and_plain_http_off_this_machine_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"backend\.token_fiel: not a setting .*did you mean token_file\?"):
        airtable_config(tmp_path, 'base_id = "appAAAAAAAAAAAAAA"\ntoken_env = "X"\ntoken_fiel = "t"')
    practice = airtable_config(
        tmp_path, 'base_id = "appAAAAAAAAAAAAAA"\ntoken_env = "X"\nendpoint_url = "http://airtable.example.org"'
    )
    with pytest.raises(BackendError, match="plain http is only for an emulator on this machine"):
        open_backend(practice.config)


def test_every_kind_of_value_reads_back_as_read_back_predicts(tmp_path: Path) -> None:
    entities = ["provider", "patient", "appointment", "claim", "performance_review"]
    with backend(tmp_path) as (body, _staff):
        write_config(tmp_path, plugins=["reminders", "reviews"], entities=entities, backend=body)
        practice = Practice.open(tmp_path)
        read_back_every_kind(practice)


def read_back_every_kind(practice: Practice) -> None:
    import datetime as dt

    from clinicops.connectors.base import TableWrite

    specs = {e.name: table_spec(e) for e in practice.entities()}
    sent = {
        "provider": [{"ID": "PR000001", "Active": True}, {"ID": "PR000002", "Active": False, "NPI": "1234567893"}],
        "patient": [{"MRN": "P000001", "Date of birth": dt.date(1956, 12, 9), "Email": "a@x.org", "ZIP": "02134"}],
        "appointment": [
            {"ID": "A1", "Start": dt.datetime(2026, 11, 1, 1, 30, fold=1), "Minutes": 30, "Type": "follow-up"},
            {"ID": "A2", "Start": dt.datetime(2026, 3, 8, 3, 15), "Reminder sent": dt.datetime(2026, 3, 2, 14, 30)},
        ],
        "claim": [{"ID": "C1", "Billed": 1200.0, "Paid": 12.5, "CPT/HCPCS": "99213, 99214"}],
        "performance_review": [{"ID": "R1", "Overall": 3.8, "Teamwork (1-5)": 4}],
    }
    base = open_backend(practice.config)
    base.write([TableWrite(spec=specs[name], appends=rows) for name, rows in sent.items()])
    tables = base.read(list(specs.values()))
    practice.close()
    for name, rows in sent.items():
        table = tables[name]
        assert table is not None
        for row, values in zip(table.rows, rows, strict=True):
            read = dict(zip(table.header, row.values, strict=True))
            assert {h: read[h] for h in values} == {h: base.read_back(v) for h, v in values.items()}
    start = dict(zip(tables["appointment"].header, tables["appointment"].rows[0].values, strict=True))["Start"]
    assert start == "2026-11-01T06:30:00.000Z"
