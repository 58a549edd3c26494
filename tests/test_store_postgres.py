"""A store on PostgreSQL: how practice.toml names it, and one schema per practice, so a practice
never reads another's rows."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from clinicops.core import operations
from clinicops.core.config import ConfigError, load_config
from clinicops.core.store import Store
from clinicops.core.store_engine import StoreUrlError, default_schema

from . import pg_stores, stores
from .conftest import PATIENTS, Clinic, write_config, xlsx_backend

PG_URL = os.environ.get("CLINICOPS_TEST_STORE_URL", "")
needs_postgres = pytest.mark.skipif(not PG_URL, reason="needs CLINICOPS_TEST_STORE_URL (PostgreSQL)")


def store_config(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "Maple Street"
    folder.mkdir()
    write_config(folder, extra=f"\n[store]\n{body}\n")
    return folder


def test_a_postgresql_store_gets_a_schema_named_after_the_folder_unless_one_is_set(tmp_path: Path) -> None:
    folder = store_config(tmp_path, 'url = "postgresql+psycopg://clinicops@db/clinics"')
    config = load_config(folder)
    assert (config.store_url, config.store_schema) == (
        "postgresql+psycopg://clinicops@db/clinics",
        "practice_maple_street",
    )
    assert default_schema("Eastside Clinic (2)") == "practice_eastside_clinic_2"
    write_config(folder, extra='\n[store]\nurl = "postgresql+psycopg://clinicops@db/clinics"\nschema = "eastside"\n')
    assert load_config(folder).store_schema == "eastside"


def test_a_password_in_practice_toml_is_refused_and_url_env_names_where_it_lives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = store_config(tmp_path, 'url = "postgresql+psycopg://clinicops:hunter2@db/clinics"')
    with pytest.raises(ConfigError, match=r"store\.url: a password doesn't belong in practice\.toml; .*url_env"):
        load_config(folder)
    write_config(folder, extra='\n[store]\nurl_env = "CLINIC_STORE_URL"\n')
    monkeypatch.delenv("CLINIC_STORE_URL", raising=False)
    with pytest.raises(ConfigError, match=r"store\.url_env: the environment variable CLINIC_STORE_URL is not set"):
        load_config(folder)
    monkeypatch.setenv("CLINIC_STORE_URL", "postgresql+psycopg://clinicops:hunter2@db/clinics")
    assert load_config(folder).store_url.endswith(":hunter2@db/clinics")


def test_a_schema_name_postgresql_would_need_quoted_is_refused(tmp_path: Path) -> None:
    folder = store_config(tmp_path, 'url = "postgresql+psycopg://db/clinics"\nschema = "Maple; DROP"')
    with pytest.raises(ConfigError, match=r"store\.schema"):
        load_config(folder)


def test_another_postgresql_driver_is_refused_with_the_one_to_use() -> None:
    with pytest.raises(StoreUrlError, match=r"use the psycopg 3 driver, 'postgresql\+psycopg://…'"):
        Store("postgresql://db/clinics", schema="eastside")


@needs_postgres
def test_two_practices_in_one_database_never_see_each_others_rows(tmp_path: Path) -> None:
    clinics: list[Clinic] = []
    with pg_stores.per_test(PG_URL) as schema_for:
        for name, extra_patient in (("east", "Eastman"), ("west", "Westwood")):
            folder = tmp_path / name
            folder.mkdir()
            with xlsx_backend(folder) as (backend, sheet):
                write_config(
                    folder, backend=backend, extra=f'\n[store]\nurl = "{PG_URL}"\nschema = "{schema_for(folder)}"\n'
                )
                clinic = Clinic(folder, sheet)
                operations.lay_out(clinic.practice)
                only = {"First name": "Only", "Last name": extra_patient, "Date of birth": "1/2/1980"}
                sheet.append("Patients", [*PATIENTS, only])
                clinic.sync()
                clinics.append(clinic)
        east, west = clinics
        assert {r["last_name"] for r in east.records("patient")} & {"Eastman", "Westwood"} == {"Eastman"}
        assert {r["last_name"] for r in west.records("patient")} & {"Eastman", "Westwood"} == {"Westwood"}
        for clinic in clinics:
            with stores.connect(clinic.folder) as conn:
                assert conn.execute(text("SELECT count(*) FROM records WHERE entity = 'patient'")).scalar_one() == (
                    len(PATIENTS) + 1
                )
                assert conn.execute(text("SHOW search_path")).scalar_one() == clinic.practice.config.store_schema
            clinic.practice.close()


@needs_postgres
def test_statements_are_never_prepared_and_a_first_import_is_followed_by_analyze(xlsx_clinic: Clinic) -> None:
    with xlsx_clinic.practice.store.engine.connect() as conn:
        assert conn.connection.dbapi_connection.prepare_threshold is None  # type: ignore[union-attr]
    many = [{"First name": f"P{i}", "Last name": f"Bulk{i:05d}", "Date of birth": "1/2/1980"} for i in range(1100)]
    xlsx_clinic.sheet.append("Patients", many)
    xlsx_clinic.sync()
    with stores.connect(xlsx_clinic.folder) as conn:
        analyzed = conn.execute(
            text(
                "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() "
                "AND last_analyze IS NOT NULL ORDER BY relname"
            )
        ).scalars()
        assert {"records", "versions", "sync_base"} <= set(analyzed)
