"""The Airtable backend's ``[backend]`` settings, checked, and the client they make.

The ``[backend]`` table of an Airtable practice::

    [backend]
    type = "airtable"
    base_id = "appXXXXXXXXXXXXXX"      # the base
    token_env = "AIRTABLE_TOKEN"       # the environment variable holding the token, or
    # token_file = "~/.config/clinicops/airtable-token"   # a file only its owner can read
    # endpoint_url = "http://127.0.0.1:8086"   # another API root, e.g. `clinicops emulator airtable`

Unknown keys are refused (a misspelt ``token_file`` would otherwise be silently ignored).
``endpoint_url`` may use plain http only on a loopback address, so the token never
crosses a network in clear. Against a standalone emulator, create the base through its
API (``POST /v0/meta/bases``, e.g. pyairtable's ``Api.create_base``) and put its id here.
Requests to one base are paced by the process-wide bucket of :mod:`.pacing`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from pyairtable import Api

from clinicops.connectors.base import BackendError

from .pacing import TokenBucket
from .transport import PacedSession

SETTINGS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "base_id": {"type": "string", "description": "The base's id (it starts with 'app')."},
        "token_env": {"type": "string", "minLength": 1, "description": "The variable holding the token."},
        "token_file": {"type": "string", "minLength": 1, "description": "A file only its owner can read."},
        "endpoint_url": {"type": "string", "description": "Another API root, e.g. a loopback emulator."},
    },
}
DEFAULT_ENDPOINT = "https://api.airtable.com"
#: (connect, read) seconds; a listing page or a 10-record write answers well within these.
TIMEOUT = (10, 120)
_BASE_ID = re.compile(r"app[A-Za-z0-9]{14}")


def base_id_of(settings: dict[str, Any]) -> str:
    """``backend.base_id``, checked for the shape Airtable gives base ids."""
    base_id = str(settings.get("base_id", ""))
    if not _BASE_ID.fullmatch(base_id):
        raise BackendError(
            "practice.toml backend.base_id: give the Airtable base id (it starts with 'app' and is in the base's "
            "URL), or run 'clinicops demo --backend airtable' to try clinicops on an emulated base"
        )
    return base_id


def make_api(token: str, endpoint: str, bucket: TokenBucket, base_id: str = "") -> tuple[Api, PacedSession]:
    """The real pyairtable client, sending through a paced session instead of its own."""
    api = Api(token, endpoint_url=endpoint, retry_strategy=False, timeout=TIMEOUT)
    session = PacedSession(bucket, base_id=base_id, token_key=token_key(token))
    session.headers.update(api.session.headers)
    api.session = session
    return api, session


def token_key(token: str) -> str:
    """A name for the token that cannot be turned back into it: what the fleet's shared limiter
    counts the token's requests under (Airtable allows 50 a second per token, over all bases)."""
    return hashlib.sha256(token.encode()).hexdigest()[:24]


def endpoint_of(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BackendError(f"practice.toml backend.endpoint_url: '{url}' is not an http(s) URL")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise BackendError(
            "practice.toml backend.endpoint_url: plain http is only for an emulator on this machine "
            "(127.0.0.1); use https so the token is not sent in clear"
        )
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
