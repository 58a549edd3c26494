"""The email channel, and the manager's daily digest of new alerts.

``mode = "smtp"`` sends through the practice's SMTP server (host, port, STARTTLS or TLS;
the user name and password come from the environment variables the settings name, never
from practice.toml). ``mode = "file"`` writes each message as an ``.eml`` file under the
data folder instead; the demo uses it, and an alert says so, so nobody mistakes it for
real sending.
"""

from __future__ import annotations

from typing import Any

from clinicops import Alert, ScheduledTask, hookimpl
from clinicops.plugins.email import digest, weekly
from clinicops.plugins.email.channel import EmailSettings, FileChannel, SmtpChannel

NAME = "email"
HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


@hookimpl
def plugin_settings_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "mode": {"enum": ["smtp", "file"], "default": "smtp", "description": "Send by SMTP or write .eml files."},
            "host": {"type": "string", "default": "", "description": "SMTP server; empty means not set up."},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535, "default": 587},
            "security": {"enum": ["starttls", "ssl", "none"], "default": "starttls"},
            "username_env": {"type": "string", "default": "", "description": "Env var holding the SMTP user."},
            "password_env": {"type": "string", "default": "", "description": "Env var holding the SMTP password."},
            "from_address": {"type": "string", "default": ""},
            "from_name": {"type": "string", "default": "", "description": "Default: the practice's name."},
            "reply_to": {"type": "string", "default": ""},
            "timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "default": 30},
            "file_dir": {"type": "string", "default": "outbox/email", "description": "file mode: under data/."},
            "digest_to": {"type": "string", "default": "", "description": "The manager's address; empty: no digest."},
            "digest_at": {"type": "string", "pattern": HHMM, "default": "07:00"},
            "digest_when_empty": {"type": "boolean", "default": True, "description": "Send even with nothing new."},
            "weekly_day": {
                "enum": [*weekly.WEEKDAYS, "never"],
                "default": "monday",
                "description": "The day the weekly report email goes to digest_to, at digest_at.",
            },
        },
    }


def settings_of(practice: Any) -> EmailSettings:
    return EmailSettings.of(practice.settings(NAME), practice.name, practice.data_dir)


@hookimpl
def prepare_storage(storage: Any) -> None:
    storage.prepare(digest.metadata)


@hookimpl
def register_channels(practice: Any) -> list[Any]:
    settings = settings_of(practice)
    channel = FileChannel if settings.mode == "file" else SmtpChannel
    return [channel(settings, practice.now)]


@hookimpl
def register_tasks(practice: Any) -> list[ScheduledTask]:
    settings = practice.settings(NAME)
    if not settings["digest_to"]:
        return []
    return [ScheduledTask("daily-digest", run=daily_and_weekly, daily_at=settings["digest_at"])]


def daily_and_weekly(practice: Any) -> None:
    """The ``email:daily-digest`` task: the daily digest, and on ``weekly_day`` the weekly report too."""
    digest.send_digest(practice)
    weekly.send_weekly(practice)


@hookimpl
def collect_alerts(practice: Any) -> list[Alert]:
    settings = settings_of(practice)
    out = []
    if settings.mode == "file":
        where = _shown(settings.file_dir, practice.root)
        out.append(
            Alert(
                key="file-mode",
                severity="info",
                message=f"Email is in file mode: messages are written to {where}, not sent. Set plugins.email.mode "
                f'= "smtp" and the SMTP settings to send them.',
            )
        )
    problem = settings.setup_problem()
    if problem:
        out.append(Alert(key="not-set-up", severity="warning", message=f"Email cannot be sent: {problem}."))
    latest = digest.last(practice.storage(NAME))
    if latest and latest["state"] == digest.FAILED:
        out.append(
            Alert(
                key=f"digest-{latest['day']}-failed",
                severity="warning",
                message=f"The daily digest for {latest['day']} was not sent ({latest['detail']}); the next one "
                "covers its alerts.",
            )
        )
    return out


def _shown(path: Any, root: Any) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
