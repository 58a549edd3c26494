"""The SMS channel: an outbox drained by a provider adapter, and STOP honoured per number.

``adapter = "file"`` (the default) writes texts as JSON lines under the data folder and
reads replies from an inbox file there, for demos and tests; an alert says texts are not
really sent. ``adapter = "twilio"`` uses Twilio's REST API (or any service that speaks it,
at ``twilio_base_url``), with the account SID and token from the environment variables
the settings name. Scheduled tasks hand over texts left queued by a crash
(``sms:deliver``) and fetch replies (``sms:receive``), where a STOP turns the patient's
reminder consent off.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import and_, select

from clinicops import Alert, ScheduledTask, hookimpl
from clinicops.plugins.sms import optout, outbox
from clinicops.plugins.sms.adapters import Adapter, FileAdapter, TwilioAdapter

NAME = "sms"
STUCK_AFTER = dt.timedelta(minutes=15)
RECENT = dt.timedelta(days=7)


@hookimpl
def plugin_settings_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "adapter": {"enum": ["file", "twilio"], "default": "file"},
            "from_number": {"type": "string", "default": "", "description": "The practice's number, E.164."},
            "file_path": {"type": "string", "default": "sms/outbox.jsonl", "description": "file adapter; '-': print."},
            "inbox_path": {"type": "string", "default": "sms/inbox.jsonl", "description": "file adapter replies."},
            "twilio_base_url": {"type": "string", "default": "https://api.twilio.com"},
            "account_sid_env": {"type": "string", "default": "TWILIO_ACCOUNT_SID"},
            "auth_token_env": {"type": "string", "default": "TWILIO_AUTH_TOKEN"},
            "timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "default": 15},
            "max_age_minutes": {
                "type": "integer",
                "minimum": 1,
                "default": 60,
                "description": "A queued text older than this is not sent late.",
            },
            "poll_every_minutes": {"type": "integer", "minimum": 1, "maximum": 60, "default": 5},
        },
    }


def make_adapter(practice: Any) -> Adapter:
    s = practice.settings(NAME)
    if s["adapter"] == "twilio":
        return TwilioAdapter(
            s["twilio_base_url"], s["account_sid_env"], s["auth_token_env"], s["from_number"], s["timeout_seconds"]
        )
    out = None if s["file_path"] == "-" else _under(practice.data_dir, s["file_path"])
    return FileAdapter(out, _under(practice.data_dir, s["inbox_path"]), s["from_number"], practice.now)


def _under(folder: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else folder / path


def _max_age(practice: Any) -> dt.timedelta:
    return dt.timedelta(minutes=practice.settings(NAME)["max_age_minutes"])


@hookimpl
def prepare_storage(storage: Any) -> None:
    storage.prepare(outbox.metadata)


@hookimpl
def register_channels(practice: Any) -> list[Any]:
    return [outbox.SmsChannel(practice.storage(NAME), make_adapter(practice), practice.now, _max_age(practice))]


def deliver(practice: Any) -> None:
    outbox.drain(practice.storage(NAME), make_adapter(practice), practice.now(), _max_age(practice))


def receive(practice: Any) -> None:
    optout.receive(practice, make_adapter(practice))


@hookimpl
def register_tasks(practice: Any) -> list[ScheduledTask]:
    every = practice.settings(NAME)["poll_every_minutes"]
    return [
        ScheduledTask("deliver", run=deliver, every_minutes=every),
        ScheduledTask("receive", run=receive, every_minutes=every),
    ]


@hookimpl
def collect_alerts(practice: Any) -> list[Alert]:
    s = practice.settings(NAME)
    adapter = make_adapter(practice)
    out = []
    if isinstance(adapter, FileAdapter):
        where = "standard output" if adapter.outbox is None else _shown(adapter.outbox, practice.root)
        out.append(
            Alert(
                key="file-mode",
                severity="info",
                message=f"SMS is in file mode: texts are written to {where}, not sent. Set plugins.sms.adapter "
                '= "twilio" and its settings to send them.',
            )
        )
    elif problem := adapter.problem():
        out.append(Alert(key="not-set-up", severity="warning", message=f"Texts cannot be sent: {problem}."))
    conn = practice.storage(NAME)
    if not outbox.ready(conn):
        return out
    now = practice.now()
    table = outbox.outbox
    rows = conn.execute(
        select(table.c.id, table.c.state, table.c.updated_at).where(
            and_(table.c.state.in_([outbox.SENDING, outbox.EXPIRED]), table.c.updated_at >= outbox.stamp(now - RECENT))
        )
    )
    for row in rows:
        if row.state == outbox.SENDING and row.updated_at < outbox.stamp(now - STUCK_AFTER):
            out.append(
                Alert(
                    key=f"outbox-{row.id}-unknown",
                    severity="warning",
                    message=f"Text #{row.id} stopped while being handed to the SMS provider; it is not sent again. "
                    "The provider's log shows whether it went out.",
                )
            )
        elif row.state == outbox.EXPIRED:
            out.append(
                Alert(
                    key=f"outbox-{row.id}-expired",
                    severity="warning",
                    message=f"Text #{row.id} waited longer than {s['max_age_minutes']} minutes and was not sent.",
                )
            )
    for patients, when in optout.recent_optouts(conn, now - RECENT):
        who = f"patient(s) {patients.replace(',', ', ')}" if patients else "a number not on any patient's record"
        out.append(
            Alert(
                key=f"stop-{when}-{patients or 'unknown'}",
                severity="info",
                message=f"A STOP was received on {when[:10]} from {who}; reminder consent no longer includes SMS.",
            )
        )
    return out


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
