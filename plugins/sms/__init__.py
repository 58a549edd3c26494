"""The SMS channel: an outbox drained by a provider adapter, and STOP honoured per number.

``adapter = "file"`` (the default) writes texts as JSON lines under the data folder and
reads replies from an inbox file there, for demos and tests; an alert says texts are not
really sent. ``adapter = "twilio"`` uses Twilio's REST API (or any service that speaks it,
at ``twilio_base_url``), with the account SID and token from the environment variables
the settings name. Scheduled tasks hand over texts left queued by a crash
(``sms:deliver``) and fetch replies (``sms:receive``).

Replies follow the FCC's consent-revocation rules (FCC 24-24, 47 CFR 64.1200(a)(10) and
(a)(12)) and the CTIA Messaging Principles and Best Practices: ``stop``, ``quit``, ``end``,
``revoke``, ``opt out``, ``cancel``, ``unsubscribe`` and other reasonable wording revoke
consent and get one confirmation; ``START``/``UNSTOP`` lift the block (and tell staff, who
restore consent in the sheet); ``HELP`` is answered. A reply that is not a keyword, and
``Cancel`` alone, become an alert for the front desk linked to the patient and the
appointment it most likely concerns; ``clinicops sms replies`` shows their text. See
:mod:`.keywords`, :mod:`.optout` and :mod:`.replies`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import and_, select

from clinicops import Alert, ScheduledTask, hookimpl, local_time
from clinicops.plugins.sms import commands, optout, outbox, replies
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
            "poll_every_minutes": {
                "type": "integer",
                "minimum": 1,
                "maximum": 60,
                "default": 5,
                "description": "How often replies are fetched; 5 or less lets an opt-out be confirmed within "
                "five minutes (47 CFR 64.1200(a)(12)).",
            },
            "practice_phone": {"type": "string", "default": "", "description": "The number HELP answers give."},
            "confirm_optout": {
                "type": "boolean",
                "default": True,
                "description": "Send the one confirmation text the rules allow after a revocation.",
            },
            "provider_confirms_keywords": {
                "type": "boolean",
                "default": False,
                "description": "The provider already confirms a bare STOP, QUIT… (Twilio Advanced Opt-Out): "
                "confirm only other wordings, so no one gets two.",
            },
            "keep_replies_days": {
                "type": "integer",
                "minimum": 1,
                "default": 30,
                "description": "Days a reply's text is kept for staff to read.",
            },
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
    storage.prepare(outbox.metadata)  # with sms_replies


@hookimpl
def register_commands(cli: Any) -> None:
    commands.add_commands(cli)


@hookimpl
def refresh_tables(practice: Any) -> None:
    """Each sync also reads the replies that came in, so a revoked consent shows in the sheet at once and
    replies for a person are alerts; their answers are queued for ``sms:deliver``."""
    optout.receive(practice, make_adapter(practice), send_now=False)


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
    storage = practice.storage(NAME)
    if not outbox.ready(storage):
        return out
    now = practice.now()
    table = outbox.outbox
    rows = storage.execute(
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
    for patients, when in optout.recent_optouts(storage, now - RECENT):
        who = f"patient(s) {patients.replace(',', ', ')}" if patients else "a number not on any patient's record"
        out.append(
            Alert(
                key=f"stop-{when}-{patients or 'unknown'}",
                severity="info",
                message=f"A STOP was received on {when[:10]} from {who}: they revoked consent to texts, so reminder "
                "consent no longer includes SMS.",
            )
        )
    return out + reply_alerts(practice, storage, now)


def reply_alerts(practice: Any, storage: Any, now: dt.datetime) -> list[Alert]:
    """START for staff to act on, and replies a person must read, each linked to patient and appointment."""
    by_number = replies.patients_by_number(practice.records("patient"))
    appointments = practice.records("appointment")
    out = []
    for number, when in optout.recent_starts(storage, now - RECENT):
        patients = by_number.get(number, [])
        ids = ", ".join(p["id"] for p in patients) or "a number not on any patient's record"
        consent = ", ".join(sorted({p.get("reminder_consent") or "none" for p in patients})) or "none"
        out.append(
            Alert(
                key=f"start-{when}-{'-'.join(p['id'] for p in patients) or 'unknown'}",
                severity="info",
                message=f"{ids} texted START on {when[:10]}: texts may go to them again, but their Reminder "
                f"consent is still '{consent}'. If they want text reminders, set it to sms or both.",
                entity="patient" if len(patients) == 1 else None,
                record_id=patients[0]["id"] if len(patients) == 1 else None,
            )
        )
    for row in replies.recent(storage, now - RECENT):
        out.append(_reply_alert(practice, row, by_number.get(row.sender, []), appointments, now))
    return out


def _reply_alert(
    practice: Any, row: Any, patients: list[dict[str, Any]], appointments: list[dict[str, Any]], now: dt.datetime
) -> Alert:
    ids = {p["id"] for p in patients}
    who = f"Patient {', '.join(sorted(ids))}" if ids else "A number not on any patient's record"
    appt = replies.likely_appointment(appointments, ids, now)
    about = ""
    if appt is not None:
        about = f" about appointment {appt['id']} ({local_time(appt['start'], practice.timezone)})"
    if row.keyword == "CANCEL":
        what = f"{who} texted 'Cancel'{about}: that revokes consent to texts (they get no more), and they may also "
        what += "mean the appointment"
    elif row.keyword == "STOP":
        what = f"{who} texted a reply{about} that revokes consent to texts (they get no more) and says more"
    else:
        what = f"{who} texted a reply{about} that needs a person"
    return Alert(
        key=f"reply-{row.provider_id}",
        severity="warning",
        message=f"{what}: read it with 'clinicops sms replies' and call them back.",
        entity="appointment" if appt is not None else ("patient" if len(ids) == 1 else None),
        record_id=appt["id"] if appt is not None else (next(iter(ids)) if len(ids) == 1 else None),
    )


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
