"""Opening the Airtable backend from practice.toml, or on an emulated base (``--emulate``).

The ``[backend]`` table of an Airtable practice::

    [backend]
    type = "airtable"
    base_id = "appXXXXXXXXXXXXXX"      # the base (required unless --emulate)
    token_env = "AIRTABLE_TOKEN"       # the environment variable holding the token, or
    # token_file = "~/.config/clinicops/airtable-token"   # a file only its owner can read
    # endpoint_url = "http://127.0.0.1:8086"   # another API root, e.g. `clinicops emulator airtable`

Unknown keys are refused (a misspelt ``token_file`` would otherwise be silently ignored).
``endpoint_url`` may use plain http only on a loopback address, so the token never
crosses a network in clear. Against a standalone emulator, create the base through its
API (``POST /v0/meta/bases``, e.g. pyairtable's ``Api.create_base``) and put its id here.

``--emulate`` starts an :class:`AirtableEmulator` in this process for the life of the
backend, creates a base through ``POST /v0/meta/bases`` with every table laid out (on
the first read or write, when the tables are known) and syncs with it. The base lives
only as long as the process, so each emulated sync starts from an empty base and gets
its own sync-base key (``airtable:emulated-…``). No account or token is needed. The
emulator enforces Airtable's 5 requests/s with its 30 s penalty; it and the pacer share
a virtual clock, so the sync shows the waits real Airtable would impose
(``rate_limit_wait_s``, with ``clock: virtual`` in ``sync --json``) without spending them.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from pyairtable import Api

from clinicops.connectors.base import BackendError, TableSpec
from clinicops.core.config import PracticeConfig

from . import pacing
from .backend import AirtableBackend
from .credentials import read_token
from .fields import Style, table_body
from .pacing import TokenBucket
from .transport import PacedSession

KEYS = frozenset({"type", "base_id", "token_env", "token_file", "endpoint_url"})
DEFAULT_ENDPOINT = "https://api.airtable.com"
#: (connect, read) seconds; a listing page or a 10-record write answers well within these.
TIMEOUT = (10, 120)
_BASE_ID = re.compile(r"app[A-Za-z0-9]{14}")
#: Any non-empty workspace is accepted by the emulator; real bases are not created here.
EMULATED_WORKSPACE = "wspClinicopsEmulate"
EMULATED_TOKEN = "patClinicopsEmulated"


def open_backend(config: PracticeConfig, *, emulate: bool = False) -> AirtableBackend:
    """The practice's Airtable base, or an emulated one; nothing is requested yet."""
    settings = config.backend
    unknown = sorted(set(settings) - KEYS)
    if unknown:
        raise BackendError(
            f"practice.toml backend.{unknown[0]}: not a setting of the airtable backend "
            f"(it takes {', '.join(sorted(KEYS - {'type'}))})"
        )
    style = Style(zone=config.timezone, date_order=config.date_order)
    if emulate:
        return _emulated(config, style)
    base_id = str(settings.get("base_id", ""))
    if not _BASE_ID.fullmatch(base_id):
        raise BackendError(
            "practice.toml backend.base_id: give the Airtable base id (it starts with 'app' and is in the base's "
            "URL), or run with --emulate to try clinicops on an emulated base"
        )
    endpoint = _endpoint(str(settings.get("endpoint_url", DEFAULT_ENDPOINT)))
    token = read_token(settings, config.root)
    api, session = make_api(token, endpoint, pacing.shared_bucket(base_id))
    return AirtableBackend(api, session, base_id, style)


def make_api(token: str, endpoint: str, bucket: TokenBucket) -> tuple[Api, PacedSession]:
    """The real pyairtable client, sending through a paced session instead of its own."""
    api = Api(token, endpoint_url=endpoint, retry_strategy=False, timeout=TIMEOUT)
    session = PacedSession(bucket)
    session.headers.update(api.session.headers)
    api.session = session
    return api, session


def _endpoint(url: str) -> str:
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


def _emulated(config: PracticeConfig, style: Style) -> AirtableBackend:
    from clinicops.connectors.emulators.airtable import AirtableEmulator, FakeClock

    clock = FakeClock()
    emulator = AirtableEmulator(clock=clock).start()
    api, session = make_api(EMULATED_TOKEN, emulator.endpoint_url, TokenBucket(clock=clock, sleep=clock.advance))

    def create_base(specs: list[TableSpec]) -> str:
        body: dict[str, Any] = {
            "name": config.name,
            "workspaceId": EMULATED_WORKSPACE,
            "tables": [table_body(spec, style) for spec in specs],
        }
        return str(api.post(api.urls.bases, json=body)["id"])

    backend = AirtableBackend(
        api,
        session,
        None,
        style,
        key=f"airtable:emulated-{secrets.token_hex(6)}",
        clock="virtual",
        create_base=create_base,
    )
    backend.keep_alive(emulator, emulator.stop)
    return backend
