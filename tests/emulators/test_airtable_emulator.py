"""The Airtable emulator, driven through the real pyairtable client wherever it has the call.

Raw ``requests`` are used where pyairtable hides the behaviour (it chunks writes to 10
records, retries 429s with real sleeps, and drops error bodies into exception args).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
from pyairtable import Api, Base, Table
from pyairtable.models import schema as airtable_schema

from clinicops.connectors.emulators.airtable import AirtableEmulator, FakeClock

TOKEN = "patClinicTest"

PATIENT_FIELDS: list[dict[str, Any]] = [
    {"name": "Name", "type": "singleLineText"},
    {"name": "Notes", "type": "multilineText"},
    {"name": "Email", "type": "email"},
    {"name": "Phone", "type": "phoneNumber"},
    {"name": "Website", "type": "url"},
    {"name": "Visits", "type": "number", "options": {"precision": 0}},
    {"name": "Weight", "type": "number", "options": {"precision": 1}},
    {"name": "Balance", "type": "currency", "options": {"precision": 2, "symbol": "$"}},
    {"name": "Discount", "type": "percent", "options": {"precision": 0}},
    {"name": "Active", "type": "checkbox", "options": {"color": "greenBright", "icon": "check"}},
    {
        "name": "Born",
        "type": "date",
        "options": {"dateFormat": {"name": "iso", "format": "YYYY-MM-DD"}},
    },
    {
        "name": "Next visit",
        "type": "dateTime",
        "options": {
            "dateFormat": {"name": "iso"},
            "timeFormat": {"name": "24hour"},
            "timeZone": "America/New_York",
        },
    },
    {
        "name": "Status",
        "type": "singleSelect",
        "options": {"choices": [{"name": "New"}, {"name": "Active"}, {"name": "Discharged"}]},
    },
    {
        "name": "Tags",
        "type": "multipleSelects",
        "options": {"choices": [{"name": "VIP"}, {"name": "Allergy"}]},
    },
]

RECORD_ID = re.compile(r"^rec[A-Za-z0-9]{14}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@pytest.fixture
def emulator() -> Iterator[AirtableEmulator]:
    """Rate limits off: these tests are about shapes and semantics, not pacing."""
    with AirtableEmulator(per_base_rps=None, per_token_rps=None) as running:
        yield running


@pytest.fixture
def api(emulator: AirtableEmulator) -> Api:
    return Api(TOKEN, endpoint_url=emulator.endpoint_url, retry_strategy=False)


@pytest.fixture
def base(api: Api) -> Base:
    return api.create_base("wspClinic", "Clinic", tables=[{"name": "Patients", "fields": PATIENT_FIELDS}])


@pytest.fixture
def patients(base: Base) -> Table:
    return base.table("Patients")


@pytest.fixture
def http() -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    return session


def records_url(emulator: AirtableEmulator, base_id: str, table: str, *rest: str) -> str:
    parts = [quote(part, safe="") for part in (base_id, table, *rest)]
    return f"{emulator.endpoint_url}/v0/" + "/".join(parts)


def error_of(response: requests.Response) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


# Meta API


def test_create_base_answers_airtable_shaped_ids_and_full_tables(
    emulator: AirtableEmulator, http: requests.Session
) -> None:
    response = http.post(
        f"{emulator.endpoint_url}/v0/meta/bases",
        json={
            "name": "Clinic",
            "workspaceId": "wspAny",
            "tables": [{"name": "Patients", "description": "Everyone we see", "fields": PATIENT_FIELDS}],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert re.fullmatch(r"app[A-Za-z0-9]{14}", body["id"])
    (table,) = body["tables"]
    assert re.fullmatch(r"tbl[A-Za-z0-9]{14}", table["id"])
    assert table["description"] == "Everyone we see"
    assert all(re.fullmatch(r"fld[A-Za-z0-9]{14}", field["id"]) for field in table["fields"])
    assert table["primaryFieldId"] == table["fields"][0]["id"]
    assert table["views"] == [{"id": table["views"][0]["id"], "name": "Grid view", "type": "grid"}]
    status = next(field for field in table["fields"] if field["name"] == "Status")
    assert [choice["name"] for choice in status["options"]["choices"]] == [
        "New",
        "Active",
        "Discharged",
    ]
    assert all(choice["id"].startswith("sel") and choice["color"] for choice in status["options"]["choices"])
    name_field = table["fields"][0]
    assert "options" not in name_field


def test_pyairtable_parses_every_field_into_its_typed_schema_model(base: Base) -> None:
    (table,) = base.tables()
    kinds = {field.name: type(field) for field in table.schema().fields}
    assert kinds == {
        "Name": airtable_schema.SingleLineTextFieldSchema,
        "Notes": airtable_schema.MultilineTextFieldSchema,
        "Email": airtable_schema.EmailFieldSchema,
        "Phone": airtable_schema.PhoneNumberFieldSchema,
        "Website": airtable_schema.UrlFieldSchema,
        "Visits": airtable_schema.NumberFieldSchema,
        "Weight": airtable_schema.NumberFieldSchema,
        "Balance": airtable_schema.CurrencyFieldSchema,
        "Discount": airtable_schema.PercentFieldSchema,
        "Active": airtable_schema.CheckboxFieldSchema,
        "Born": airtable_schema.DateFieldSchema,
        "Next visit": airtable_schema.DateTimeFieldSchema,
        "Status": airtable_schema.SingleSelectFieldSchema,
        "Tags": airtable_schema.MultipleSelectsFieldSchema,
    }
    born = table.schema().field("Born")
    assert born.options.date_format.format == "YYYY-MM-DD"
    visit = table.schema().field("Next visit")
    assert (visit.options.time_zone, visit.options.time_format.format) == (
        "America/New_York",
        "HH:mm",
    )


def test_list_bases_shows_created_bases_and_refuses_page_size(
    api: Api, emulator: AirtableEmulator, http: requests.Session
) -> None:
    first = api.create_base("wspA", "North clinic", tables=[{"name": "T", "fields": PATIENT_FIELDS[:1]}])
    second = api.create_base("wspA", "South clinic", tables=[{"name": "T", "fields": PATIENT_FIELDS[:1]}])
    listed = {base.id: (base.name, base.permission_level) for base in api.bases(force=True)}
    assert listed == {first.id: ("North clinic", "create"), second.id: ("South clinic", "create")}
    refused = http.get(f"{emulator.endpoint_url}/v0/meta/bases", params={"pageSize": 10})
    assert refused.status_code == 422


def test_create_base_requires_a_workspace_id(emulator: AirtableEmulator, http: requests.Session) -> None:
    response = http.post(
        f"{emulator.endpoint_url}/v0/meta/bases",
        json={"name": "Clinic", "tables": [{"name": "T", "fields": PATIENT_FIELDS[:1]}]},
    )
    assert response.status_code == 422
    assert error_of(response)["type"] == "INVALID_REQUEST"


def test_unknown_base_is_403_and_unknown_table_is_404(
    base: Base, emulator: AirtableEmulator, http: requests.Session
) -> None:
    missing_base = http.get(records_url(emulator, "appNoSuchBase0000", "Patients"))
    assert missing_base.status_code == 403
    assert error_of(missing_base)["type"] == "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"
    schema = http.get(f"{emulator.endpoint_url}/v0/meta/bases/appNoSuchBase0000/tables")
    assert schema.status_code == 403
    missing_table = http.get(records_url(emulator, base.id, "Payroll"))
    assert missing_table.status_code == 404
    assert error_of(missing_table) == {
        "type": "TABLE_NOT_FOUND",
        "message": f"Could not find table Payroll in application {base.id}",
    }
    no_route = http.get(f"{emulator.endpoint_url}/v1/whatever")
    assert no_route.status_code == 404
    assert error_of(no_route)["type"] == "NOT_FOUND"


def test_create_table_and_field_through_pyairtable(base: Base) -> None:
    providers = base.create_table("Providers", [{"name": "Name", "type": "singleLineText"}], description="Clinicians")
    assert providers.schema().primary_field_id == providers.schema().fields[0].id
    npi = providers.create_field("NPI", "singleLineText", description="10 digits")
    assert isinstance(npi, airtable_schema.SingleLineTextFieldSchema)
    assert npi.description == "10 digits"
    names = [field.name for field in base.table(providers.id).schema(force=True).fields]
    assert names == ["Name", "NPI"]


def test_field_options_are_validated_as_airtable_validates_them(
    base: Base, emulator: AirtableEmulator, http: requests.Session
) -> None:
    table_id = base.table("Patients").id
    url = f"{emulator.endpoint_url}/v0/meta/bases/{base.id}/tables/{table_id}/fields"
    refused = {
        "number without precision": {"name": "A", "type": "number"},
        "text with options": {"name": "B", "type": "singleLineText", "options": {}},
        "checkbox without icon": {
            "name": "C",
            "type": "checkbox",
            "options": {"color": "greenBright"},
        },
        "time zone in capitals": {
            "name": "D",
            "type": "dateTime",
            "options": {
                "dateFormat": {"name": "iso"},
                "timeFormat": {"name": "24hour"},
                "timeZone": "UTC",
            },
        },
        "date format mismatch": {
            "name": "E",
            "type": "date",
            "options": {"dateFormat": {"name": "iso", "format": "M/D/YYYY"}},
        },
        "link with extra option": {
            "name": "F",
            "type": "multipleRecordLinks",
            "options": {"linkedTableId": table_id, "prefersSingleRecordLink": True},
        },
    }
    for case, body in refused.items():
        response = http.post(url, json=body)
        assert response.status_code == 422, case
        assert error_of(response)["type"] == "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE", case
    computed = http.post(url, json={"name": "Created", "type": "createdTime"})
    assert computed.status_code == 422
    assert error_of(computed) == {
        "type": "UNSUPPORTED_FIELD_TYPE_FOR_CREATE",
        "message": "Invalid options for Patients.Created: Creating createdTime fields is not supported at this time",
    }
    duplicate = http.post(url, json={"name": "name", "type": "singleLineText"})
    assert error_of(duplicate)["type"] == "DUPLICATE_OR_EMPTY_FIELD_NAME"
    names = [field.name for field in base.table("Patients").schema(force=True).fields]
    assert names == [field["name"] for field in PATIENT_FIELDS]


def test_renaming_a_field_keeps_its_values(
    base: Base, patients: Table, emulator: AirtableEmulator, http: requests.Session
) -> None:
    record = patients.create({"Notes": "penicillin allergy"})
    field_id = patients.schema().field("Notes").id
    response = http.patch(
        f"{emulator.endpoint_url}/v0/meta/bases/{base.id}/tables/{patients.id}/fields/{field_id}",
        json={"name": "Clinical notes", "description": "free text"},
    )
    assert response.json() == {
        "id": field_id,
        "name": "Clinical notes",
        "type": "multilineText",
        "description": "free text",
    }
    assert patients.get(record["id"])["fields"] == {"Clinical notes": "penicillin allergy"}


def test_renaming_a_table_moves_its_records_url(
    base: Base, patients: Table, emulator: AirtableEmulator, http: requests.Session
) -> None:
    patients.create({"Name": "Ana"})
    response = http.patch(
        f"{emulator.endpoint_url}/v0/meta/bases/{base.id}/tables/{patients.id}",
        json={"name": "Patients 2026"},
    )
    assert response.json()["name"] == "Patients 2026"
    assert [r["fields"] for r in base.table("Patients 2026").all()] == [{"Name": "Ana"}]
    assert http.get(records_url(emulator, base.id, "Patients")).status_code == 404


def test_a_link_field_gets_an_inverse_field_that_mirrors_links(base: Base, patients: Table) -> None:
    providers = base.create_table("Providers", [{"name": "Name", "type": "singleLineText"}])
    link = patients.create_field("Provider", "multipleRecordLinks", options={"linkedTableId": providers.id})
    inverse = providers.schema(force=True).field("Patients")
    assert isinstance(inverse, airtable_schema.MultipleRecordLinksFieldSchema)
    assert link.options.inverse_link_field_id == inverse.id
    assert inverse.options.inverse_link_field_id == link.id
    doctor = providers.create({"Name": "Dr Osei"})
    ana, ben = patients.batch_create([{"Name": "Ana", "Provider": [doctor["id"]]}, {"Name": "Ben"}])
    patients.update(ben["id"], {"Provider": [doctor["id"]]})
    assert providers.get(doctor["id"])["fields"]["Patients"] == [ana["id"], ben["id"]]
    patients.update(ana["id"], {"Provider": []})
    assert providers.get(doctor["id"])["fields"]["Patients"] == [ben["id"]]
    providers.delete(doctor["id"])
    assert "Provider" not in patients.get(ben["id"])["fields"]


# Reading records


def test_paging_with_offsets_returns_each_record_once_and_the_last_page_has_no_offset(
    base: Base, patients: Table, emulator: AirtableEmulator, http: requests.Session
) -> None:
    created = patients.batch_create([{"Name": f"Patient {n:03d}", "Visits": n} for n in range(250)])
    pages = list(patients.iterate(page_size=100))
    assert [len(page) for page in pages] == [100, 100, 50]
    assert [record["id"] for page in pages for record in page] == [r["id"] for r in created]
    first = http.get(records_url(emulator, base.id, "Patients"), params={"pageSize": 40}).json()
    assert len(first["records"]) == 40 and isinstance(first["offset"], str)
    default = http.get(records_url(emulator, base.id, "Patients")).json()
    assert len(default["records"]) == 100
    last = http.get(records_url(emulator, base.id, "Patients"), params={"maxRecords": 30}).json()
    assert len(last["records"]) == 30 and "offset" not in last


def test_page_size_over_100_and_bad_offsets_are_422(
    base: Base, patients: Table, emulator: AirtableEmulator, http: requests.Session
) -> None:
    patients.batch_create([{"Name": str(n)} for n in range(3)])
    url = records_url(emulator, base.id, "Patients")
    too_big = http.get(url, params={"pageSize": 101})
    assert too_big.status_code == 422
    assert error_of(too_big)["type"] == "INVALID_REQUEST_UNKNOWN"
    forged = http.get(url, params={"offset": "itrForged0000000/recForged0000000"})
    assert forged.status_code == 422
    assert error_of(forged)["type"] == "LIST_RECORDS_ITERATOR_NOT_AVAILABLE"


def test_an_offset_expires_after_inactivity() -> None:
    clock = FakeClock()
    with AirtableEmulator(clock=clock, per_base_rps=None, per_token_rps=None) as emulator:
        api = Api(TOKEN, endpoint_url=emulator.endpoint_url, retry_strategy=False)
        table = api.create_base("wsp", "C", tables=[{"name": "T", "fields": PATIENT_FIELDS[:1]}]).table("T")
        table.batch_create([{"Name": str(n)} for n in range(3)])
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        url = records_url(emulator, table.base.id, "T")
        first = session.get(url, params={"pageSize": 1}).json()
        clock.advance(299)
        second = session.get(url, params={"pageSize": 1, "offset": first["offset"]}).json()
        assert len(second["records"]) == 1
        clock.advance(301)
        expired = session.get(url, params={"pageSize": 1, "offset": second["offset"]})
        assert expired.status_code == 422
        assert error_of(expired)["type"] == "LIST_RECORDS_ITERATOR_NOT_AVAILABLE"


def test_empty_values_are_omitted_from_fields(patients: Table) -> None:
    record = patients.create({"Name": "", "Notes": None, "Active": False, "Tags": [], "Visits": 0, "Email": "a@b.org"})
    assert record["fields"] == {"Visits": 0, "Email": "a@b.org"}
    assert patients.get(record["id"])["fields"] == {"Visits": 0, "Email": "a@b.org"}


def test_records_have_airtable_ids_and_millisecond_utc_created_times(patients: Table) -> None:
    records = patients.batch_create([{"Name": "Ana"}, {"Name": "Ben"}])
    assert all(RECORD_ID.match(record["id"]) for record in records)
    assert all(TIMESTAMP.match(record["createdTime"]) for record in records)
    assert len({record["id"] for record in records}) == 2


def test_fields_parameter_limits_the_fields_and_refuses_unknown_names(
    base: Base, patients: Table, emulator: AirtableEmulator, http: requests.Session
) -> None:
    patients.create({"Name": "Ana", "Visits": 3, "Email": "ana@example.org"})
    (record,) = patients.all(fields=["Name", "Visits"])
    assert record["fields"] == {"Name": "Ana", "Visits": 3}
    unknown = http.get(records_url(emulator, base.id, "Patients"), params={"fields[]": ["Nmae"]})
    assert unknown.status_code == 422
    assert error_of(unknown) == {
        "type": "UNKNOWN_FIELD_NAME",
        "message": 'Unknown field name: "Nmae"',
    }


def test_filter_by_formula_supports_the_documented_subset(patients: Table) -> None:
    created = patients.batch_create(
        [
            {"Name": "Ana", "Visits": 5, "Status": "Active", "Active": True, "Born": "1990-04-01"},
            {"Name": "Ben", "Visits": 1, "Status": "New", "Tags": ["VIP", "Allergy"]},
            {"Name": "O'Hara", "Status": "Discharged", "Active": True},
        ]
    )
    ids = {record["fields"]["Name"]: record["id"] for record in created}

    def names(formula: str) -> set[str]:
        return {record["fields"]["Name"] for record in patients.all(formula=formula)}

    assert names("{Status} = 'Active'") == {"Ana"}
    assert names("AND({Active}, {Visits} > 2)") == {"Ana"}
    assert names("OR({Status} = 'New', {Name} = \"O'Hara\")") == {"Ben", "O'Hara"}
    assert names("NOT({Active})") == {"Ben"}
    assert names("{Visits} = BLANK()") == {"O'Hara"}
    assert names("{Tags} = ''") == {"Ana", "O'Hara"}
    assert names(f"RECORD_ID() = '{ids['Ben']}'") == {"Ben"}
    assert names("AND({Born}, {Born} < '2000-01-01')") == {"Ana"}
    assert names("FIND('VIP', {Tags})") == {"Ben"}
    assert names("{Visits} * 2 >= 10") == {"Ana"}
    assert names("LOWER({Name}) = 'o\\'hara'") == {"O'Hara"}


def test_an_invalid_formula_is_422_invalid_filter_by_formula(
    base: Base, patients: Table, emulator: AirtableEmulator, http: requests.Session
) -> None:
    url = records_url(emulator, base.id, "Patients")
    for formula in ("{Status} = ", "AND({Status} = 'x'", "NOSUCH({Name})", "{Nmae} = 'x'"):
        response = http.get(url, params={"filterByFormula": formula})
        assert response.status_code == 422, formula
        assert error_of(response)["type"] == "INVALID_FILTER_BY_FORMULA", formula
    unknown = http.get(url, params={"filterByFormula": "{Nmae} = 'x'"})
    assert "Unknown field names: Nmae" in error_of(unknown)["message"]


def test_sort_and_max_records(base: Base, patients: Table, emulator: AirtableEmulator, http: requests.Session) -> None:
    patients.batch_create(
        [
            {"Name": "b", "Visits": 2, "Status": "Discharged"},
            {"Name": "A", "Visits": 2, "Status": "New"},
            {"Name": "c", "Visits": 9, "Status": "Active"},
            {"Name": "d"},
        ]
    )
    assert [r["fields"]["Name"] for r in patients.all(sort=["-Visits", "Name"])] == [
        "c",
        "A",
        "b",
        "d",
    ]
    assert [r["fields"]["Name"] for r in patients.all(sort=["Name"], max_records=2)] == ["A", "b"]
    by_option_order = patients.all(sort=["Status"], fields=["Name"])
    assert [r["fields"]["Name"] for r in by_option_order] == ["d", "A", "c", "b"]
    raw = http.get(
        records_url(emulator, base.id, "Patients"),
        params={"sort[0][field]": "Visits", "sort[0][direction]": "desc", "sort[1][field]": "Name"},
    ).json()
    assert [r["fields"]["Name"] for r in raw["records"]] == ["c", "A", "b", "d"]


def test_return_fields_by_field_id_keys_fields_by_id(patients: Table) -> None:
    record = patients.create({"Name": "Ana", "Visits": 2}, use_field_ids=True)
    schema = patients.schema()
    assert record["fields"] == {schema.field("Name").id: "Ana", schema.field("Visits").id: 2}
    (listed,) = patients.all(use_field_ids=True)
    assert listed["fields"] == record["fields"]


def test_cell_format_string_needs_time_zone_and_locale(
    base: Base, patients: Table, emulator: AirtableEmulator, http: requests.Session
) -> None:
    patients.create(
        {
            "Name": "Ana",
            "Balance": 1234.5,
            "Discount": 0.15,
            "Active": True,
            "Tags": ["VIP", "Allergy"],
            "Next visit": "2026-03-02T14:30:00.000Z",
        }
    )
    url = records_url(emulator, base.id, "Patients")
    assert http.get(url, params={"cellFormat": "string"}).status_code == 422
    (record,) = patients.all(cell_format="string", time_zone="Europe/Paris", user_locale="en-us")
    assert record["fields"] == {
        "Name": "Ana",
        "Balance": "$1,234.50",
        "Discount": "15%",
        "Active": "checked",
        "Tags": "VIP, Allergy",
        "Next visit": "2026-03-02 09:30",
    }


def test_post_list_records_takes_the_options_as_a_json_body(
    base: Base, patients: Table, emulator: AirtableEmulator, http: requests.Session
) -> None:
    patients.batch_create([{"Name": n, "Visits": v} for n, v in (("Ana", 1), ("Ben", 3), ("Cy", 2))])
    response = http.post(
        records_url(emulator, base.id, "Patients", "listRecords"),
        json={
            "filterByFormula": "{Visits} >= 2",
            "sort": [{"field": "Visits", "direction": "desc"}],
            "fields": ["Name"],
            "pageSize": 1,
        },
    ).json()
    assert [r["fields"] for r in response["records"]] == [{"Name": "Ben"}]
    following = http.post(
        records_url(emulator, base.id, "Patients", "listRecords"),
        json={"pageSize": 1, "offset": response["offset"], "fields": ["Name"]},
    ).json()
    assert [r["fields"] for r in following["records"]] == [{"Name": "Cy"}]
    assert "offset" not in following


def test_a_get_over_16000_characters_is_refused_and_pyairtable_falls_back_to_post(
    base: Base, patients: Table, emulator: AirtableEmulator, http: requests.Session
) -> None:
    patients.batch_create([{"Name": "Ana"}, {"Name": "Ben"}])
    long_formula = "OR(" + ", ".join([f"{{Name}} = 'nobody {n}'" for n in range(700)] + ["{Name} = 'Ana'"]) + ")"
    too_long = http.get(records_url(emulator, base.id, "Patients"), params={"filterByFormula": long_formula})
    assert too_long.status_code == 422
    assert error_of(too_long)["type"] == "INVALID_REQUEST_UNKNOWN"
    emulator.clear_requests()
    assert [r["fields"]["Name"] for r in patients.all(formula=long_formula)] == ["Ana"]
    assert [(entry.method, entry.path.rsplit("/", 1)[-1]) for entry in emulator.requests] == [("POST", "listRecords")]


def test_get_one_record_and_a_missing_record_is_404(
    base: Base, patients: Table, emulator: AirtableEmulator, http: requests.Session
) -> None:
    record = patients.create({"Name": "Ana"})
    assert patients.get(record["id"]) == record
    missing = http.get(records_url(emulator, base.id, "Patients", "recMissing0000000"))
    assert missing.status_code == 404
    assert error_of(missing)["type"] == "NOT_FOUND"
    with_fields = http.get(records_url(emulator, base.id, "Patients", record["id"]), params={"fields[]": "Name"})
    assert with_fields.status_code == 422


def test_table_names_are_percent_encoded_in_the_path(api: Api, emulator: AirtableEmulator) -> None:
    names = ["Front desk / 2026", "Médecins – été", "50% off?&#"]
    base = api.create_base("wsp", "Clinic", tables=[{"name": n, "fields": PATIENT_FIELDS[:1]} for n in names])
    for name in names:
        table = base.table(name)
        created = table.create({"Name": f"in {name}"})
        assert [r["fields"] for r in table.all()] == [{"Name": f"in {name}"}]
        table.delete(created["id"])
        assert table.all() == []
    assert emulator.requests[-1].table == names[-1]


# Writing records


def test_a_single_fields_body_answers_the_record_itself(
    base: Base, emulator: AirtableEmulator, http: requests.Session
) -> None:
    response = http.post(records_url(emulator, base.id, "Patients"), json={"fields": {"Name": "Ana"}})
    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"id", "createdTime", "fields"} and body["fields"] == {"Name": "Ana"}
    batch = http.post(records_url(emulator, base.id, "Patients"), json={"records": [{"fields": {"Name": "Ben"}}]})
    assert set(batch.json()) == {"records"}


def test_more_than_ten_records_per_write_is_422_invalid_records(
    base: Base, patients: Table, emulator: AirtableEmulator, http: requests.Session
) -> None:
    url = records_url(emulator, base.id, "Patients")
    eleven = [{"fields": {"Name": str(n)}} for n in range(11)]
    created = http.post(url, json={"records": eleven})
    assert created.status_code == 422
    assert error_of(created)["type"] == "INVALID_RECORDS"
    ten = patients.batch_create([{"Name": str(n)} for n in range(11)])
    updated = http.patch(url, json={"records": [{"id": r["id"], "fields": {"Visits": 1}} for r in ten]})
    assert error_of(updated)["type"] == "INVALID_RECORDS"
    deleted = http.delete(url, params={"records[]": [r["id"] for r in ten]})
    assert deleted.status_code == 422
    assert error_of(deleted) == {
        "type": "INVALID_RECORDS",
        "message": '"records" must be an array of up to 10 record IDs.',
    }
    assert len(patients.all()) == 11
    assert http.post(url, json={"records": eleven[:10]}).status_code == 200


def test_patch_merges_fields_and_put_clears_the_omitted_ones(patients: Table) -> None:
    ana = patients.create({"Name": "Ana", "Visits": 3, "Email": "ana@example.org"})
    (merged,) = patients.batch_update([{"id": ana["id"], "fields": {"Visits": 4}}])
    assert merged["fields"] == {"Name": "Ana", "Visits": 4, "Email": "ana@example.org"}
    (replaced,) = patients.batch_update([{"id": ana["id"], "fields": {"Visits": 5}}], replace=True)
    assert replaced["fields"] == {"Visits": 5}
    assert patients.get(ana["id"])["fields"] == {"Visits": 5}
    single = patients.update(ana["id"], {"Name": "Ana B"})
    assert single["fields"] == {"Name": "Ana B", "Visits": 5}
    assert patients.update(ana["id"], {"Email": "x@y.org"}, replace=True)["fields"] == {"Email": "x@y.org"}


def test_updating_a_missing_record_is_422_row_does_not_exist(
    base: Base, patients: Table, emulator: AirtableEmulator, http: requests.Session
) -> None:
    ana = patients.create({"Name": "Ana"})
    response = http.patch(
        records_url(emulator, base.id, "Patients"),
        json={
            "records": [
                {"id": ana["id"], "fields": {"Visits": 1}},
                {"id": "recGone0000000000", "fields": {}},
            ]
        },
    )
    assert response.status_code == 422
    assert error_of(response)["type"] == "ROW_DOES_NOT_EXIST"
    assert patients.get(ana["id"])["fields"] == {"Name": "Ana"}


def test_upsert_answers_records_and_created_and_updated_ids(patients: Table) -> None:
    ana = patients.create({"Name": "Ana", "Email": "ana@example.org", "Visits": 1})
    result = patients.batch_upsert(
        [
            {"fields": {"Email": "ana@example.org", "Visits": 2}},
            {"fields": {"Email": "ben@example.org", "Name": "Ben"}},
        ],
        key_fields=["Email"],
    )
    assert result["updatedRecords"] == [ana["id"]]
    (ben_id,) = result["createdRecords"]
    assert [record["id"] for record in result["records"]] == [ana["id"], ben_id]
    assert result["records"][0]["fields"] == {
        "Name": "Ana",
        "Email": "ana@example.org",
        "Visits": 2,
    }
    replaced = patients.batch_upsert(
        [{"fields": {"Email": "ana@example.org", "Visits": 3}}], key_fields=["Email"], replace=True
    )
    assert replaced["records"][0]["fields"] == {"Email": "ana@example.org", "Visits": 3}
    assert len(patients.all()) == 2


def test_upsert_with_several_matches_fails_and_changes_nothing(
    base: Base, patients: Table, emulator: AirtableEmulator, http: requests.Session
) -> None:
    patients.batch_create([{"Name": "Twin", "Visits": 1}, {"Name": "Twin", "Visits": 2}])
    response = http.patch(
        records_url(emulator, base.id, "Patients"),
        json={
            "records": [{"fields": {"Name": "Solo"}}, {"fields": {"Name": "Twin", "Visits": 9}}],
            "performUpsert": {"fieldsToMergeOn": ["Name"]},
        },
    )
    assert response.status_code == 422
    assert sorted(r["fields"]["Name"] for r in patients.all()) == ["Twin", "Twin"]


def test_a_wrong_typed_value_is_422_invalid_value_for_column(
    base: Base, patients: Table, emulator: AirtableEmulator, http: requests.Session
) -> None:
    url = records_url(emulator, base.id, "Patients")
    wrong = {
        "Visits": "12",
        "Name": 5,
        "Active": "yes",
        "Born": "soon",
        "Next visit": 1700000000,
        "Tags": "VIP",
        "Balance": True,
        "Status": ["New"],
    }
    for name, value in wrong.items():
        response = http.post(url, json={"fields": {name: value}})
        assert response.status_code == 422, name
        assert error_of(response) == {
            "type": "INVALID_VALUE_FOR_COLUMN",
            "message": f'Field "{name}" cannot accept the provided value',
        }, name
    assert patients.all() == []


def test_an_unknown_select_option_is_refused_unless_typecast_creates_it(
    base: Base, patients: Table, emulator: AirtableEmulator, http: requests.Session
) -> None:
    url = records_url(emulator, base.id, "Patients")
    refused = http.post(url, json={"fields": {"Status": "Waitlist"}})
    assert refused.status_code == 422
    assert error_of(refused) == {
        "type": "INVALID_MULTIPLE_CHOICE_OPTIONS",
        "message": 'Insufficient permissions to create new select option ""Waitlist""',
    }
    record = patients.create({"Status": "Waitlist", "Tags": ["VIP", "Deaf"]}, typecast=True)
    assert record["fields"] == {"Status": "Waitlist", "Tags": ["VIP", "Deaf"]}
    schema = patients.schema(force=True)
    assert [c.name for c in schema.field("Status").options.choices] == [
        "New",
        "Active",
        "Discharged",
        "Waitlist",
    ]
    assert [c.name for c in schema.field("Tags").options.choices] == ["VIP", "Allergy", "Deaf"]


def test_typecast_converts_strings_where_airtable_would(patients: Table) -> None:
    record = patients.create(
        {
            "Name": 42,
            "Visits": "12",
            "Weight": "70.26",
            "Balance": "$1,200.5",
            "Discount": "15%",
            "Active": "true",
            "Born": "3/1/1990",
            "Tags": "VIP, Allergy",
        },
        typecast=True,
    )
    assert record["fields"] == {
        "Name": "42",
        "Visits": 12,
        "Weight": 70.3,
        "Balance": 1200.5,
        "Discount": 0.15,
        "Active": True,
        "Born": "1990-03-01",
        "Tags": ["VIP", "Allergy"],
    }


def test_values_are_stored_as_airtable_stores_them(patients: Table) -> None:
    record = patients.create(
        {
            "Visits": 2.6,
            "Weight": 70.0,
            "Born": "1990-03-01T23:30:00-05:00",
            "Next visit": "2026-07-01T09:00:00",
            "Tags": ["Allergy", "VIP", "Allergy"],
        }
    )
    assert record["fields"] == {
        "Visits": 3,
        "Weight": 70,
        "Born": "1990-03-02",
        "Next visit": "2026-07-01T13:00:00.000Z",
        "Tags": ["Allergy", "VIP"],
    }
    assert isinstance(record["fields"]["Weight"], int)


def test_an_unknown_field_name_is_422_unknown_field_name(
    base: Base, emulator: AirtableEmulator, http: requests.Session
) -> None:
    response = http.post(records_url(emulator, base.id, "Patients"), json={"fields": {"Surname": "X"}})
    assert response.status_code == 422
    assert error_of(response) == {
        "type": "UNKNOWN_FIELD_NAME",
        "message": 'Unknown field name: "Surname"',
    }


def test_computed_fields_refuse_writes_and_compute_their_values(
    base: Base, patients: Table, emulator: AirtableEmulator, http: requests.Session
) -> None:
    emulator.add_computed_field(base.id, "Patients", "Created", "createdTime")
    emulator.add_computed_field(base.id, "Patients", "Visits changed", "lastModifiedTime", ["Visits"])
    record = patients.create({"Name": "Ana"})
    assert record["fields"]["Created"] == record["createdTime"]
    assert "Visits changed" not in record["fields"]
    updated = patients.update(record["id"], {"Visits": 1})
    assert TIMESTAMP.match(updated["fields"]["Visits changed"])
    kinds = {f.name: type(f) for f in patients.schema(force=True).fields}
    assert kinds["Created"] is airtable_schema.CreatedTimeFieldSchema
    assert kinds["Visits changed"] is airtable_schema.LastModifiedTimeFieldSchema
    response = http.patch(
        records_url(emulator, base.id, "Patients", record["id"]),
        json={"fields": {"Created": "2020-01-01"}},
    )
    assert response.status_code == 422
    assert error_of(response) == {
        "type": "INVALID_VALUE_FOR_COLUMN",
        "message": 'Field "Created" cannot accept a value because the field is computed',
    }


def test_a_rejected_write_changes_nothing(
    base: Base, patients: Table, emulator: AirtableEmulator, http: requests.Session
) -> None:
    response = http.post(
        records_url(emulator, base.id, "Patients"),
        json={
            "records": [
                {"fields": {"Name": "Ana", "Status": "Brand new"}},
                {"fields": {"Visits": "many"}},
            ],
            "typecast": True,
        },
    )
    assert response.status_code == 422
    assert patients.all() == []
    choices = [c.name for c in patients.schema(force=True).field("Status").options.choices]
    assert choices == ["New", "Active", "Discharged"]


def test_delete_removes_records_singly_and_in_batches(patients: Table) -> None:
    ana, ben, cy = patients.batch_create([{"Name": "Ana"}, {"Name": "Ben"}, {"Name": "Cy"}])
    assert patients.batch_delete([ana["id"], ben["id"]]) == [
        {"id": ana["id"], "deleted": True},
        {"id": ben["id"], "deleted": True},
    ]
    assert patients.delete(cy["id"]) == {"id": cy["id"], "deleted": True}
    assert patients.all() == []


def test_a_body_that_is_not_json_is_422(base: Base, emulator: AirtableEmulator, http: requests.Session) -> None:
    url = records_url(emulator, base.id, "Patients")
    for body in (b"{not json", b'{"fields": {"Visits": NaN}}'):
        response = http.post(url, data=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 422
        assert error_of(response)["type"] == "INVALID_REQUEST_BODY"


# Authentication


def test_a_request_without_a_bearer_token_is_401(base: Base, emulator: AirtableEmulator) -> None:
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}):
        response = requests.get(records_url(emulator, base.id, "Patients"), headers=headers)
        assert response.status_code == 401
        assert error_of(response) == {
            "type": "AUTHENTICATION_REQUIRED",
            "message": "Authentication required",
        }


def test_only_configured_tokens_are_accepted() -> None:
    with AirtableEmulator(tokens={"patGood"}) as emulator:
        bases = f"{emulator.endpoint_url}/v0/meta/bases"
        assert requests.get(bases, headers={"Authorization": "Bearer patBad"}).status_code == 401
        good = requests.get(bases, headers={"Authorization": "Bearer patGood"})
        assert good.status_code == 200 and good.json() == {"bases": []}


# Rate limits (a fake clock: no sleeping)


def _limited(clock: FakeClock, **limits: Any) -> AirtableEmulator:
    return AirtableEmulator(clock=clock, **limits).start()


def _new_base(emulator: AirtableEmulator, http: requests.Session, name: str = "Clinic") -> str:
    response = http.post(
        f"{emulator.endpoint_url}/v0/meta/bases",
        json={
            "name": name,
            "workspaceId": "wsp",
            "tables": [{"name": "T", "fields": PATIENT_FIELDS[:1]}],
        },
    )
    assert response.status_code == 200
    return response.json()["id"]


def test_the_sixth_request_to_a_base_within_a_second_is_429(http: requests.Session) -> None:
    clock = FakeClock()
    emulator = _limited(clock)
    try:
        base_id = _new_base(emulator, http)
        url = records_url(emulator, base_id, "T")
        statuses = []
        for _ in range(6):
            statuses.append(http.get(url).status_code)
            clock.advance(0.1)
        assert statuses == [200] * 5 + [429]
        assert http.get(url).json() == {
            "error": {
                "type": "RATE_LIMIT_REACHED",
                "message": "Rate limit exceeded. Please try again later",
            }
        }
    finally:
        emulator.stop()


def test_the_window_slides_so_paced_requests_are_never_refused(http: requests.Session) -> None:
    clock = FakeClock()
    emulator = _limited(clock)
    try:
        url = records_url(emulator, _new_base(emulator, http), "T")
        burst = [http.get(url).status_code for _ in range(5)]
        clock.advance(1.0)
        next_burst = [http.get(url).status_code for _ in range(5)]
        assert burst + next_burst == [200] * 10
        clock.advance(1.0)
        paced = []
        for _ in range(40):
            paced.append(http.get(url).status_code)
            clock.advance(0.25)
        assert set(paced) == {200}
    finally:
        emulator.stop()


def test_the_penalty_lasts_30_seconds_for_that_base_only(http: requests.Session) -> None:
    clock = FakeClock()
    emulator = _limited(clock)
    try:
        limited = records_url(emulator, _new_base(emulator, http, "A"), "T")
        other = records_url(emulator, _new_base(emulator, http, "B"), "T")
        for _ in range(5):
            assert http.get(limited).status_code == 200
        assert http.get(limited).status_code == 429
        assert http.get(other).status_code == 200
        clock.advance(29.9)
        assert http.get(limited).status_code == 429
        clock.advance(0.1)
        assert http.get(limited).status_code == 200
    finally:
        emulator.stop()


def test_more_than_50_requests_a_second_with_one_token_is_429(http: requests.Session) -> None:
    clock = FakeClock()
    emulator = _limited(clock)
    try:
        url = f"{emulator.endpoint_url}/v0/meta/bases"
        statuses = [http.get(url).status_code for _ in range(51)]
        assert statuses == [200] * 50 + [429]
        other_token = requests.get(url, headers={"Authorization": "Bearer patSomeoneElse"})
        assert other_token.status_code == 200
    finally:
        emulator.stop()


def test_pyairtable_without_retries_raises_on_the_429(http: requests.Session) -> None:
    clock = FakeClock()
    emulator = _limited(clock)
    try:
        base_id = _new_base(emulator, http)
        table = Api(TOKEN, endpoint_url=emulator.endpoint_url, retry_strategy=False).table(base_id, "T")
        for _ in range(5):
            table.all()
        with pytest.raises(requests.HTTPError) as raised:
            table.all()
        assert raised.value.response.status_code == 429
    finally:
        emulator.stop()


# Fault injection and the request log


def test_fail_next_answers_the_chosen_status_then_recovers(
    base: Base, emulator: AirtableEmulator, http: requests.Session
) -> None:
    url = records_url(emulator, base.id, "Patients")
    emulator.fail_next(status=503, times=2)
    first, second, third = (http.get(url) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (503, 503, 200)
    assert error_of(first)["type"] == "SERVICE_UNAVAILABLE"
    assert [entry.status for entry in emulator.requests[-3:]] == [503, 503, 200]


def test_a_forced_429_starts_the_30_second_penalty(http: requests.Session) -> None:
    clock = FakeClock()
    emulator = _limited(clock, per_base_rps=None, per_token_rps=None)
    try:
        url = records_url(emulator, _new_base(emulator, http), "T")
        emulator.fail_next(status=429)
        assert http.get(url).status_code == 429
        clock.advance(29)
        assert http.get(url).status_code == 429
        clock.advance(1)
        assert http.get(url).status_code == 200
    finally:
        emulator.stop()


def test_the_request_log_records_each_request(patients: Table, base: Base, emulator: AirtableEmulator) -> None:
    emulator.clear_requests()
    patients.batch_create([{"Name": str(n)} for n in range(12)])
    patients.all(page_size=5, fields=["Name"])
    log = emulator.requests
    assert [(e.method, e.status, e.records_in, e.records_out) for e in log] == [
        ("POST", 200, 10, 10),
        ("POST", 200, 2, 2),
        ("GET", 200, 0, 5),
        ("GET", 200, 0, 5),
        ("GET", 200, 0, 2),
    ]
    assert all(entry.base_id == base.id and entry.table == "Patients" for entry in log)
    assert log[0].path == f"/v0/{base.id}/Patients"
    assert log[0].bytes_in == len(
        json.dumps(
            {
                "records": [{"fields": {"Name": str(n)}} for n in range(10)],
                "typecast": False,
                "returnFieldsByFieldId": False,
            }
        )
    )
    assert all(entry.bytes_out > 0 for entry in log)
    assert log[2].query == {"pageSize": ["5"], "fields[]": ["Name"]}
    assert "offset" in log[3].query
    assert [entry.time for entry in log] == sorted(entry.time for entry in log)


def test_serve_prints_its_url_first_then_serves_until_terminated() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "clinicops.connectors.emulators.airtable", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        response = requests.get(f"{url}/v0/meta/bases", headers={"Authorization": "Bearer any"}, timeout=5)
        assert response.json() == {"bases": []}
        assert "GET /v0/meta/bases 200" in process.stdout.readline()
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0
