"""Provider adapters that drain the SMS outbox and fetch replies.

- :class:`FileAdapter` appends each text as a JSON line to a file in the data folder (or
  prints it, with ``file_path = "-"``) and reads replies from an inbox file of JSON lines
  (``{"id": ..., "from": "+1...", "body": "STOP"}``): for demos, tests and dry runs.
- :class:`TwilioAdapter` speaks Twilio's REST API (``POST .../Messages.json`` to send,
  ``GET .../Messages.json?To=<our number>`` to read replies), with the account SID and
  auth token read from the environment variables the settings name. Twilio's error 21610
  (the recipient replied STOP to the carrier) is reported as an opt-out.

An adapter answers :class:`Handover`: accepted with the provider's id, or refused with a
reason that names the error, never the number or the text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import requests

from clinicops import private_files

UNSUBSCRIBED = 21610  # Twilio: "Attempt to send to unsubscribed recipient"


@dataclass(frozen=True)
class Handover:
    accepted: bool
    provider_id: str = ""
    detail: str = ""
    opted_out: bool = False  # the provider says the number has opted out


@dataclass(frozen=True)
class Inbound:
    provider_id: str
    sender: str
    body: str


class Adapter(Protocol):
    name: str

    def send(self, to: str, body: str, key: str) -> Handover: ...

    def receive(self) -> list[Inbound]: ...


class FileAdapter:
    name = "file"

    def __init__(self, outbox: Path | None, inbox: Path, sender: str, now: Callable[[], dt.datetime]) -> None:
        self.outbox = outbox  # None: print to standard output
        self.inbox = inbox
        self.sender = sender
        self.now = now  # the practice's clock

    def send(self, to: str, body: str, key: str) -> Handover:
        provider_id = f"file-{uuid.uuid4().hex[:16]}"
        line = json.dumps(
            {
                "id": provider_id,
                "key": key,
                "from": self.sender,
                "to": to,
                "body": body,
                "at": self.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            ensure_ascii=False,
        )
        try:
            if self.outbox is None:
                print(line, file=sys.stdout, flush=True)
            else:
                private_files.make_dir(self.outbox.parent)
                with private_files.open_append(self.outbox) as fh:
                    fh.write(line + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
        except OSError as exc:
            return Handover(False, detail=f"cannot write the SMS file ({type(exc).__name__})")
        return Handover(True, provider_id)

    def receive(self) -> list[Inbound]:
        if not self.inbox.is_file():
            return []
        out = []
        for number, line in enumerate(self.inbox.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(item, dict) or not item.get("from"):
                continue
            ident = item.get("id") or "line-" + hashlib.sha256(f"{number}:{line}".encode()).hexdigest()[:16]
            out.append(Inbound(str(ident), str(item["from"]), str(item.get("body", ""))))
        return out


class TwilioAdapter:
    name = "twilio"

    def __init__(self, base_url: str, sid_env: str, token_env: str, sender: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.sid_env = sid_env
        self.token_env = token_env
        self.sender = sender
        self.timeout = timeout
        self.session = requests.Session()

    def problem(self) -> str | None:
        missing = [name for name in (self.sid_env, self.token_env) if not os.environ.get(name)]
        if missing:
            return f"the environment variable {missing[0]} is not set"
        if not self.sender:
            return "plugins.sms.from_number is not set"
        return None

    def _url(self) -> str:
        return f"{self.base_url}/2010-04-01/Accounts/{os.environ[self.sid_env]}/Messages.json"

    def _auth(self) -> tuple[str, str]:
        return os.environ[self.sid_env], os.environ[self.token_env]

    def send(self, to: str, body: str, key: str) -> Handover:
        problem = self.problem()
        if problem:
            return Handover(False, detail=f"SMS is not set up: {problem}")
        try:
            answer = self.session.post(
                self._url(),
                data={"To": to, "From": self.sender, "Body": body},
                auth=self._auth(),
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            return Handover(False, detail=f"cannot reach the SMS provider ({type(exc).__name__})")
        if answer.status_code in (200, 201):
            return Handover(True, str(answer.json().get("sid", "")))
        code = _error_code(answer)
        detail = f"the SMS provider answered {answer.status_code} (error {code})"
        return Handover(False, detail=detail, opted_out=code == UNSUBSCRIBED)

    def receive(self) -> list[Inbound]:
        if self.problem():
            return []
        out: list[Inbound] = []
        url: str | None = self._url()
        params: dict[str, Any] | None = {"To": self.sender, "PageSize": 100}
        for _ in range(10):
            if url is None:
                break
            answer = self.session.get(url, params=params, auth=self._auth(), timeout=self.timeout)
            answer.raise_for_status()
            page = answer.json()
            for m in page.get("messages", []):
                if str(m.get("direction", "")).startswith("inbound"):
                    out.append(Inbound(str(m["sid"]), str(m.get("from", "")), str(m.get("body", ""))))
            following = page.get("next_page_uri")
            url, params = (f"{self.base_url}{following}", None) if following else (None, None)
        return out


def _error_code(answer: requests.Response) -> int | None:
    try:
        code = answer.json().get("code")
    except ValueError:
        return None
    return int(code) if isinstance(code, int) else None
