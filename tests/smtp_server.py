"""A real SMTP server (aiosmtpd) on a free loopback port that keeps every message it accepts.

Tests read what was delivered as a mail server would see it: the envelope recipients,
the parsed message and the (possibly simulated) time it arrived. ``refuse`` makes the
server reject recipients; ``on_message`` runs while the client still waits for the
server's answer, which is how a test makes a sender die between "the server has it" and
"the sender recorded it".
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from clinicops.core.clock import SystemClock


@dataclass(frozen=True)
class Received:
    rcpt: tuple[str, ...]
    message: EmailMessage
    at: dt.datetime  # when the server accepted it (time-machine moves this too)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        """The text as a mail reader shows it (SMTP carries CRLF line ends)."""
        return self.message.get_content().replace("\r\n", "\n")


@dataclass
class SmtpServer:
    host: str = "127.0.0.1"
    port: int = 0
    messages: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    logins: list[str] = field(default_factory=list)
    on_message: Callable[[Received], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        received = Received(tuple(envelope.rcpt_tos), message, SystemClock().now())  # the server's own clock
        with self._lock:
            self.messages.append(received)
        if self.on_message is not None:
            self.on_message(received)
        return "250 2.0.0 queued"

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _authenticator(server: SmtpServer, user: str, password: str) -> Callable[..., AuthResult]:
    def check(smtp: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == (user, password)
        if ok:
            server.logins.append(user)
        return AuthResult(success=ok)

    return check


@contextmanager
def smtp_server(login: tuple[str, str] | None = None) -> Iterator[SmtpServer]:
    """Run the server for the duration of the block; ``login`` requires that user and password."""
    server = SmtpServer(port=free_port())
    options: dict[str, Any] = {}
    if login:
        options = {"authenticator": _authenticator(server, *login), "auth_require_tls": False, "auth_required": True}
    controller = Controller(server, hostname=server.host, port=server.port, **options)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
