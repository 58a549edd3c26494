"""``endpoint_url``: the real gspread client sending Google's API calls to another root.

gspread hard-codes ``https://sheets.googleapis.com`` and ``https://www.googleapis.com``
(Drive). A transport adapter mounted on those prefixes rewrites each prepared request
to the endpoint's base URL just before it is sent; everything above the transport —
gspread, its URL building and error handling — runs unchanged. This is how a practice
reaches a loopback emulator of the API (``clinicops emulator sheets``) or a proxy.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import gspread
import requests
from requests.adapters import HTTPAdapter

GOOGLE_HOSTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")


class LoopbackAdapter(HTTPAdapter):
    """Sends requests for Google's hosts to another base URL instead."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        parts = urlsplit(base_url)
        self._scheme, self._netloc = parts.scheme, parts.netloc

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        """Rewrite scheme and host to the endpoint, keep path and query, then send."""
        parts = urlsplit(request.url or "")
        request.url = urlunsplit((self._scheme, self._netloc, parts.path, parts.query, ""))
        request.headers.pop("Host", None)
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)


def session_for(base_url: str, token: str | None = None) -> requests.Session:
    """A ``requests.Session`` whose calls to Google's API hosts reach ``base_url``.

    ``token`` adds ``Authorization: Bearer <token>`` (an emulator's per-user quota and
    ``require_auth`` look at it). Raw calls work with either URL form:
    ``session.post("https://sheets.googleapis.com/v4/spreadsheets", json=...)``.
    """
    session = requests.Session()
    adapter = LoopbackAdapter(base_url)
    for prefix in GOOGLE_HOSTS:
        session.mount(prefix, adapter)
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


def gspread_client(base_url: str, token: str | None = None) -> gspread.Client:
    """A real ``gspread.Client`` talking to the API at ``base_url``."""
    return gspread.Client(auth=None, session=session_for(base_url, token))
