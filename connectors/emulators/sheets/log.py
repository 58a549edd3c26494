"""The request log: what a connector actually sent, for tests to count and inspect."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote


@dataclass(frozen=True)
class LoggedRequest:
    """One request the emulator answered.

    ``kind`` is ``read`` or ``write`` (the quota it counts against); ``api`` is ``sheets``
    or ``drive``; ``path`` is as sent (percent-encoded); sizes are body lengths in bytes.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    kind: str
    api: str
    spreadsheet_id: str | None
    request_bytes: int
    response_bytes: int
    time: float
    body: bytes = field(repr=False, default=b"")
    response: bytes = field(repr=False, default=b"")

    @property
    def decoded_path(self) -> str:
        """The path with percent-escapes decoded, e.g. ``.../values/'Front desk'!A1``."""
        return unquote(self.path)

    def json(self) -> Any:
        """The request body parsed as JSON (``None`` when there was no body)."""
        return json.loads(self.body) if self.body else None

    def response_json(self) -> Any:
        """The response body parsed as JSON (``None`` when it was empty)."""
        return json.loads(self.response) if self.response else None

    def line(self) -> str:
        """A one-line summary for a console log."""
        return (
            f"{self.method} {self.decoded_path} -> {self.status} "
            f"[{self.kind}] {self.request_bytes}B/{self.response_bytes}B"
        )
