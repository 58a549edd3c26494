"""The service account key: where practice.toml says it is, and whether it is safe to use.

The key itself never appears in practice.toml. The config names the file
(``credentials_file``) or an environment variable holding its path (``credentials_env``);
without either, ``GOOGLE_APPLICATION_CREDENTIALS`` is used, as Google's own tools do. A key
file that other users of the machine can read is refused: it gives whoever reads it
every patient record the sheet holds.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gspread
from google.oauth2.service_account import Credentials

from clinicops.connectors.base import BackendError, BackendSetup

DEFAULT_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)


@dataclass(frozen=True)
class ServiceAccountKey:
    """A checked key file: its path, the account's email (to share the sheet with) and contents."""

    path: Path
    email: str
    info: dict[str, Any]

    def client(self) -> gspread.Client:
        """A gspread client that signs its requests as this service account (Sheets scope only)."""
        try:
            creds = Credentials.from_service_account_info(self.info, scopes=list(SCOPES))
        except (ValueError, KeyError) as exc:
            raise BackendError(
                f"{self.path} is not a usable service account key ({exc}); download a new JSON key "
                "for the service account from the Google Cloud console."
            ) from None
        return gspread.Client(auth=creds)


def key_path(setup: BackendSetup) -> Path:
    """The key file's path from ``[backend]``: a file path, or the env var that holds one."""
    backend = setup.settings
    if backend.get("credentials_file"):
        return setup.path(str(backend["credentials_file"]), "credentials_file")
    env = str(backend.get("credentials_env") or DEFAULT_ENV)
    value = os.environ.get(env, "").strip()
    if not value:
        raise BackendError(
            f"The Google Sheets backend needs a service account key: set the environment variable {env} "
            "to the path of its JSON file, or name the file in practice.toml as backend.credentials_file "
            "(the path, never the key itself)."
        )
    return setup.path(value)


def load_key(path: Path) -> ServiceAccountKey:
    """Read a key file after checking that only its owner can read it."""
    try:
        mode = path.stat().st_mode
    except OSError:
        raise BackendError(
            f"The service account key file {path} does not exist; check backend.credentials_file "
            "(or the environment variable it comes from) in practice.toml."
        ) from None
    if not stat.S_ISREG(mode):
        raise BackendError(f"The service account key {path} is not a file; point the config at the JSON key file.")
    if os.name == "posix" and mode & 0o077:
        raise BackendError(
            f"The service account key {path} can be read by other users (mode {stat.S_IMODE(mode):04o}); "
            f"run 'chmod 600 {path}' so only you can read it, then sync again."
        )
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackendError(f"Cannot read the service account key {path}: {exc}.") from None
    if not isinstance(info, dict) or info.get("type") != "service_account" or not info.get("client_email"):
        raise BackendError(
            f"{path} is not a service account key (a JSON file with type 'service_account' and a "
            "client_email); create one for a service account in the Google Cloud console."
        )
    return ServiceAccountKey(path=path, email=str(info["client_email"]), info=info)
