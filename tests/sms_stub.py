"""A loopback stub of Twilio's Messages API, enough for the SMS adapter: send, list, replies.

- ``POST /2010-04-01/Accounts/{sid}/Messages.json`` (form ``To``, ``From``, ``Body``, basic
  auth sid:token) answers 201 with a message resource, or Twilio's error shapes: 401, 500
  while ``fail_next`` counts down, 400 with code 21610 for a number that texted STOP to
  the carrier (``unsubscribed``).
- ``GET`` on the same path lists messages ``To`` a number, newest first, ``PageSize`` a
  page, with ``next_page_uri``; :meth:`deliver_inbound` puts a patient's reply there.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from clinicops.core.clock import SystemClock

UNSUBSCRIBED = 21610


@dataclass
class TwilioStub:
    sid: str = "ACtest0000000000000000000000000000"
    token: str = "stub-token"
    number: str = "+16175550100"
    base_url: str = ""
    sent: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    unsubscribed: set[str] = field(default_factory=set)
    fail_next: int = 0
    requests: int = 0
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def new_sid(self) -> str:
        return f"SM{next(self._ids):032d}"

    def deliver_inbound(self, sender: str, body: str) -> str:
        """A patient's reply arrives at the practice's number."""
        with self._lock:
            sid = self.new_sid()
            reply = {"sid": sid, "from": sender, "to": self.number, "body": body, "direction": "inbound"}
            self.messages.append({**reply, "date_sent": _now()})
        return sid


def _now() -> str:
    return SystemClock().now().strftime("%a, %d %b %Y %H:%M:%S +0000")  # the provider's own clock


def _handler(stub: TwilioStub) -> type[BaseHTTPRequestHandler]:
    path = f"/2010-04-01/Accounts/{stub.sid}/Messages.json"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            expected = base64.b64encode(f"{stub.sid}:{stub.token}".encode()).decode()
            return self.headers.get("Authorization") == f"Basic {expected}"

        def _refuse(self) -> bool:
            stub.requests += 1
            if urlparse(self.path).path != path:
                self._answer(404, {"code": 20404, "message": "The requested resource was not found", "status": 404})
                return True
            if not self._authorised():
                self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
                return True
            return False

        def do_POST(self) -> None:
            if self._refuse():
                return
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode()).items()}
            with stub._lock:
                if stub.fail_next > 0:
                    stub.fail_next -= 1
                    self._answer(500, {"code": 20500, "message": "Internal Server Error", "status": 500})
                    return
                if form.get("To") in stub.unsubscribed:
                    message = "Attempt to send to unsubscribed recipient"
                    self._answer(400, {"code": UNSUBSCRIBED, "message": message, "status": 400})
                    return
                resource = {
                    "sid": stub.new_sid(),
                    "to": form.get("To"),
                    "from": form.get("From"),
                    "body": form.get("Body"),
                    "status": "queued",
                    "direction": "outbound-api",
                    "date_sent": _now(),
                }
                stub.sent.append(resource)
                stub.messages.append(resource)
            self._answer(201, resource)

        def do_GET(self) -> None:
            if self._refuse():
                return
            query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            size = int(query.get("PageSize", 50))
            page = int(query.get("Page", 0))
            with stub._lock:
                found = [m for m in reversed(stub.messages) if "To" not in query or m["to"] == query["To"]]
            chunk = found[page * size : (page + 1) * size]
            following = None
            if len(found) > (page + 1) * size:
                following = f"{path}?{urlencode({**query, 'Page': page + 1})}"
            self._answer(200, {"messages": chunk, "page": page, "page_size": size, "next_page_uri": following})

    return Handler


@contextmanager
def twilio_stub() -> Iterator[TwilioStub]:
    stub = TwilioStub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    stub.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
