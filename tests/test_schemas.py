"""The entity schemas: valid JSON Schema, declaring what sync and plugins rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from clinicops.core.practice import Practice
from clinicops.core.schema_registry import SchemaProblem, SchemaRegistry, builtin_schemas

from .conftest import write_config

EXPECTED = {
    "patient",
    "provider",
    "staff",
    "appointment",
    "inventory_item",
    "claim",
    "credential",
    "performance_review",
    "alert",
}


def test_every_builtin_entity_ships() -> None:
    assert {s["title"] for s in builtin_schemas()} == EXPECTED


@pytest.mark.parametrize("schema", builtin_schemas(), ids=lambda s: s["title"])
def test_schema_is_valid_draft_2020_12(schema: dict) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert schema["x-primary-key"] in schema["properties"]
    assert schema["x-primary-key"] in schema["required"]
    for name, prop in schema["properties"].items():
        assert prop.get("x-title"), f"{name} has no column header"
        assert prop.get("x-owner", "staff") in ("staff", "plugin")


def test_references_point_at_known_entities() -> None:
    registry = SchemaRegistry(builtin_schemas())
    for entity in registry:
        for f in entity.fields:
            if f.ref:
                assert f.ref in registry, f"{entity.name}.{f.name} refers to unknown {f.ref}"


def test_patient_identity_and_contact_fields_are_phi() -> None:
    patient = SchemaRegistry(builtin_schemas())["patient"]
    for name in ("first_name", "last_name", "date_of_birth", "phone", "email", "address", "member_id"):
        assert patient.by_name[name].phi, name


def test_practice_can_add_a_field_and_an_entity_from_its_folder(tmp_path: Path) -> None:
    write_config(tmp_path)
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "patient.schema.json").write_text(
        json.dumps(
            {
                "title": "patient",
                "properties": {"preferred_pharmacy": {"type": "string", "x-title": "Pharmacy"}},
            }
        )
    )
    (tmp_path / "schemas" / "referral.schema.json").write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "title": "referral",
                "x-title": "Referrals",
                "x-primary-key": "id",
                "x-id-prefix": "REF",
                "type": "object",
                "required": ["id", "patient_id"],
                "properties": {
                    "id": {"type": "string", "x-title": "ID"},
                    "patient_id": {"type": "string", "x-title": "Patient", "x-ref": "patient"},
                },
            }
        )
    )
    practice = Practice.open(tmp_path)
    assert practice.registry["patient"].by_name["preferred_pharmacy"].title == "Pharmacy"
    assert "first_name" in practice.registry["patient"].by_name
    assert practice.registry["referral"].title == "Referrals"


def test_practice_cannot_redefine_a_builtin_field(tmp_path: Path) -> None:
    registry = SchemaRegistry(builtin_schemas())
    with pytest.raises(SchemaProblem, match="already exists"):
        registry.add({"title": "patient", "properties": {"email": {"type": "integer"}}}, origin="mine.json")


def test_practice_may_re_title_a_builtin_field_but_not_change_what_it_holds(tmp_path: Path) -> None:
    registry = SchemaRegistry(builtin_schemas())
    registry.add({"title": "patient", "properties": {"email": {"x-title": "E-mail address"}}}, origin="mine")
    email = registry["patient"].by_name["email"]
    assert (
        email.title == "E-mail address"
        and email.kind == SchemaRegistry(builtin_schemas())["patient"].by_name["email"].kind
    )
    with pytest.raises(SchemaProblem, match="may re-title it"):
        registry.add({"title": "patient", "properties": {"email": {"x-title": "Mail", "format": "uri"}}}, origin="m")


def test_a_schema_file_not_named_schema_json_is_named_not_ignored(tmp_path: Path) -> None:
    write_config(tmp_path)
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "referral.json").write_text("{}")
    with pytest.raises(
        SchemaProblem, match=r"referral\.json: schema files are read only when named NAME\.schema\.json"
    ):
        Practice.open(tmp_path)
