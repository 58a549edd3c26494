"""The Airtable token: named in practice.toml, read at the moment of use, never echoed.

``practice.toml`` says where the personal access token is — ``token_env`` (the name of
an environment variable) or ``token_file`` (a path, relative to the practice folder) —
never the token itself (``core.config`` already refuses a ``token`` key). A token file
readable by anyone but its owner is refused, as ssh refuses a private key: on a shared
office PC a world-readable token is a leaked token. Messages never contain the token,
and never a configured value that looks like one.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clinicops.connectors.base import BackendError

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Airtable personal access tokens: ``pat`` + 14 characters, a dot, 64 hex digits.
_LOOKS_LIKE_TOKEN = re.compile(r"(pat|key)[A-Za-z0-9]{10,}(\.[0-9a-f]{16,})?")


def looks_like_token(value: str) -> bool:
    """Whether a configured value is probably a token pasted in the wrong place."""
    return bool(_LOOKS_LIKE_TOKEN.fullmatch(value.strip()))


def read_token(backend: Mapping[str, Any], root: Path, environ: Mapping[str, str] | None = None) -> str:
    """The token the practice's ``[backend]`` table points at, or a BackendError saying what to fix."""
    environ = os.environ if environ is None else environ
    env_name = backend.get("token_env")
    file_name = backend.get("token_file")
    if env_name and file_name:
        raise BackendError("practice.toml backend: name either token_env or token_file, not both")
    if env_name:
        return _from_env(str(env_name), environ)
    if file_name:
        return _from_file(str(file_name), root)
    raise BackendError(
        'practice.toml backend: say where the Airtable token is — token_env = "AIRTABLE_TOKEN" '
        '(an environment variable) or token_file = "~/.config/clinicops/airtable-token" (a file only you can read)'
    )


def _from_env(name: str, environ: Mapping[str, str]) -> str:
    if looks_like_token(name):
        raise BackendError(
            "practice.toml backend.token_env holds what looks like the token itself; put the token in an "
            "environment variable and write that variable's name here (then revoke the exposed token)"
        )
    if not _ENV_NAME.fullmatch(name):
        raise BackendError(f"practice.toml backend.token_env: '{name}' is not an environment variable name")
    token = environ.get(name, "").strip()
    if not token:
        raise BackendError(f"The environment variable {name} (backend.token_env) is not set; set it to the token")
    return token


def _from_file(name: str, root: Path) -> str:
    if looks_like_token(name):
        raise BackendError(
            "practice.toml backend.token_file holds what looks like the token itself; save the token in a file "
            "only you can read and write that file's path here (then revoke the exposed token)"
        )
    path = Path(name).expanduser()
    if not path.is_absolute():
        path = root / path
    try:
        info = path.stat()
    except FileNotFoundError:
        raise BackendError(f"The Airtable token file {path} (backend.token_file) does not exist") from None
    if not stat.S_ISREG(info.st_mode):
        raise BackendError(f"The Airtable token file {path} (backend.token_file) is not a file")
    if info.st_mode & 0o077:
        raise BackendError(
            f"The Airtable token file {path} can be read by others (mode {stat.S_IMODE(info.st_mode):04o}); "
            f"run 'chmod 600 {path}' and sync again"
        )
    token = path.read_text(encoding="utf-8").strip()
    if not token:
        raise BackendError(f"The Airtable token file {path} is empty")
    return token
