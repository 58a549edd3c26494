"""The email channel: real SMTP (smtplib), or ``.eml`` files in the data folder for demos and tests.

A message counts as delivered only once the SMTP server has accepted it (``250`` after
DATA). Everything else is a failure the caller records and retries: no host configured
("SMTP not set up"), a missing password variable, a refused connection, a refused
recipient. Failure details name the error and the server, never the recipient or content.
The Message-ID is derived from the idempotency key, so a duplicate would be recognisable
downstream as the same message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from clinicops import Delivery, Message, private_files


@dataclass(frozen=True)
class EmailSettings:
    mode: str
    host: str
    port: int
    security: str
    username_env: str
    password_env: str
    from_address: str
    from_name: str
    reply_to: str
    timeout_seconds: float
    file_dir: Path

    @classmethod
    def of(cls, raw: dict[str, Any], practice_name: str, data_dir: Path) -> EmailSettings:
        folder = Path(raw["file_dir"]).expanduser()
        return cls(
            mode=raw["mode"],
            host=raw["host"],
            port=raw["port"],
            security=raw["security"],
            username_env=raw["username_env"],
            password_env=raw["password_env"],
            from_address=raw["from_address"],
            from_name=raw["from_name"] or practice_name,
            reply_to=raw["reply_to"],
            timeout_seconds=raw["timeout_seconds"],
            file_dir=folder if folder.is_absolute() else data_dir / folder,
        )

    def setup_problem(self) -> str | None:
        """Why SMTP cannot send as configured, or None."""
        if self.mode != "smtp":
            return None
        if not self.host or not self.from_address:
            return "SMTP is not set up: plugins.email needs host and from_address"
        if self.username_env and not os.environ.get(self.username_env):
            return f"the environment variable {self.username_env} (SMTP user) is not set"
        if self.password_env and not os.environ.get(self.password_env):
            return f"the environment variable {self.password_env} (SMTP password) is not set"
        if self.password_env and self.security == "none" and not _is_loopback(self.host):
            return "refusing to send the SMTP password unencrypted; set plugins.email.security to starttls or ssl"
        return None


def build(message: Message, settings: EmailSettings, now: dt.datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((settings.from_name, settings.from_address or "clinicops@localhost"))
    msg["To"] = message.to
    msg["Subject"] = message.subject
    msg["Date"] = format_datetime(now.astimezone(dt.UTC))
    msg["Message-ID"] = message_id(message.idempotency_key, settings.from_address)
    msg["Auto-Submitted"] = "auto-generated"
    if settings.reply_to:
        msg["Reply-To"] = settings.reply_to
    msg.set_content(message.body)
    for attachment in message.attachments:
        kind, _, subtype = attachment.content_type.partition("/")
        msg.add_attachment(attachment.data, maintype=kind, subtype=subtype, filename=attachment.filename)
    return msg


def message_id(key: str, from_address: str) -> str:
    domain = from_address.rpartition("@")[2] or "clinicops.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


class SmtpChannel:
    """Hands each message to the practice's SMTP server; accepted only on the server's 250."""

    name = "email"

    def __init__(self, settings: EmailSettings, clock: Any) -> None:
        self.settings = settings
        self._now = clock

    def send(self, message: Message) -> Delivery:
        s = self.settings
        problem = s.setup_problem()
        if problem:
            return Delivery(False, problem)
        msg = build(message, s, self._now())
        server = f"{s.host}:{s.port}"
        try:
            smtp_class = smtplib.SMTP_SSL if s.security == "ssl" else smtplib.SMTP
            kwargs: dict[str, Any] = {"context": ssl.create_default_context()} if s.security == "ssl" else {}
            with smtp_class(s.host, s.port, timeout=s.timeout_seconds, **kwargs) as smtp:
                if s.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if s.username_env:
                    smtp.login(os.environ[s.username_env], os.environ.get(s.password_env, ""))
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused:
            return Delivery(False, f"{server} refused the recipient")
        except smtplib.SMTPResponseException as exc:
            return Delivery(False, f"{server} answered {exc.smtp_code} ({type(exc).__name__})")
        except (smtplib.SMTPException, OSError) as exc:
            return Delivery(False, f"cannot deliver through {server} ({type(exc).__name__})")
        return Delivery(True, f"accepted by {server} as {msg['Message-ID']}")


class FileChannel:
    """Writes each message as an ``.eml`` file (one per idempotency key) instead of sending it."""

    name = "email"

    def __init__(self, settings: EmailSettings, clock: Any) -> None:
        self.settings = settings
        self._now = clock

    def send(self, message: Message) -> Delivery:
        folder = self.settings.file_dir
        name = f"{hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:24]}.eml"
        target = folder / name
        if target.exists():
            return Delivery(True, f"already written as {name}")
        try:
            private_files.make_dir(folder)
            data = bytes(build(message, self.settings, self._now()))
            with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as tmp:
                tmp.write(data)
            os.replace(tmp.name, target)
        except OSError as exc:
            return Delivery(False, f"cannot write to {folder} ({type(exc).__name__})")
        return Delivery(True, f"written as {name}")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
