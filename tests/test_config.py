"""practice.toml's [backend] table: only the settings the chosen backend reads, and never a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinicops.core.config import ConfigError, load_config

from .conftest import write_config


@pytest.mark.parametrize(
    ("backend", "key"),
    [
        ('type = "xlsx"\npath = "clinic.xlsx"\napi_token = "pat0123456789"', "api_token"),
        ('type = "xlsx"\npath = "clinic.xlsx"\nsecret = "hunter2"', "secret"),
        ('type = "gsheets"\nspreadsheet_id = "1AbC"\nservice_account_key = "{...}"', "service_account_key"),
        ('type = "airtable"\nbase_id = "appAAAAAAAAAAAAAA"\nPassword = "x"', "Password"),
    ],
)
def test_a_key_that_looks_like_a_secret_is_refused_in_one_sentence(tmp_path: Path, backend: str, key: str) -> None:
    write_config(tmp_path, backend=backend)
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    message = str(raised.value)
    assert f"backend.{key}: secrets don't belong in practice.toml" in message
    assert "\n" not in message and "hunter2" not in message and "pat0123456789" not in message


@pytest.mark.parametrize(
    ("backend", "key", "takes"),
    [
        ('type = "xlsx"\nbase_id = "appAAAAAAAAAAAAAA"', "base_id", "it takes path"),
        ('type = "gsheets"\nspreadsheet_id = "1AbC"\nsheet = "Patients"', "sheet", "credentials_env, credentials_file"),
        ('type = "airtable"\nbase_id = "appAAAAAAAAAAAAAA"\npath = "x.xlsx"', "path", "base_id, endpoint_url"),
    ],
)
def test_an_unknown_backend_key_is_refused_naming_what_the_backend_takes(
    tmp_path: Path, backend: str, key: str, takes: str
) -> None:
    write_config(tmp_path, backend=backend)
    with pytest.raises(ConfigError, match=rf"backend\.{key}: not a setting of the \w+ backend \(.*{takes}"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    "backend",
    [
        'type = "xlsx"\npath = "clinic.xlsx"',
        'type = "gsheets"\nspreadsheet_id = "1AbC"\ncredentials_file = "key.json"\nendpoint_url = "http://127.0.0.1:1"',
        'type = "gsheets"\nspreadsheet_id = "1AbC"\ncredentials_env = "GSHEETS_KEY"',
        'type = "airtable"\nbase_id = "appAAAAAAAAAAAAAA"\ntoken_env = "AIRTABLE_TOKEN"',
        'type = "airtable"\nbase_id = "appAAAAAAAAAAAAAA"\ntoken_file = "token"\nendpoint_url = "http://127.0.0.1:1"',
    ],
)
def test_every_setting_a_backend_reads_is_accepted(tmp_path: Path, backend: str) -> None:
    write_config(tmp_path, backend=backend)
    assert load_config(tmp_path).backend["type"] in {"xlsx", "gsheets", "airtable"}


def test_a_misspelt_setting_is_named_with_the_one_meant(tmp_path: Path) -> None:
    write_config(tmp_path, backend='type = "xlsx"\npathh = "clinic.xlsx"')
    with pytest.raises(ConfigError, match=r"backend\.pathh: not a setting of the xlsx backend; did you mean path\?"):
        load_config(tmp_path)
