"""``clinicops sms replies``: the text of patients' replies that need a person, for the front desk.

Reading them is an access to the patients' records, logged like any other (purpose
"answer a patient's text reply"); alerts in the sheet name only ids.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from clinicops import AccessEvent
from clinicops.plugins.sms import replies

NAME = "sms"


def add_commands(cli: click.Group) -> None:
    from clinicops import friendly, json_option, local_time, open_practice, practice_option

    @cli.group(name="sms", context_settings={"help_option_names": ["-h", "--help"]})
    def sms() -> None:
        """Text messages: patients' replies that need a person."""

    @sms.command(name="replies")
    @practice_option
    @click.option("--days", default=7, show_default=True, help="Replies received in this many days.")
    @json_option
    @friendly
    def list_replies(practice_dir: Path, days: int, as_json: bool) -> None:
        """Replies that are not a bare keyword, newest last: when, patient, appointment, text.

        Example: clinicops sms replies --days 2
        """
        practice = open_practice(practice_dir)
        with practice.view(source="cli", actor="cli") as view:
            now = view.now()
            found = _found(view, now - dt.timedelta(days=days), now)
            zone = view.timezone
        if as_json:
            click.echo(json.dumps({"count": len(found), "replies": found}, indent=2))
            return
        for item in found:
            who = ", ".join(item["patients"]) or "unknown number"
            about = f" (appointment {item['appointment']})" if item["appointment"] else ""
            click.echo(f"{local_time(item['received_at'], zone)}  {who}{about}  {item['kind']}: {item['text']}")
        if not found:
            click.echo("No replies waiting for a person in that period.")


def _found(view: Any, since: dt.datetime, now: dt.datetime) -> list[dict[str, Any]]:
    by_number = replies.patients_by_number(view.records("patient"))
    appointments = view.records("appointment")
    out = []
    for row in replies.recent(view.storage(NAME), since):
        ids = sorted(p["id"] for p in by_number.get(row.sender, []))
        view.accessed_many(
            AccessEvent("cli", "staff", "cli", "read", "patient", pid, ("phone",), "answer a patient's text reply")
            for pid in ids
        )
        appt = replies.likely_appointment(appointments, set(ids), now)
        out.append(
            {
                "received_at": row.received_at,
                "patients": ids,
                "appointment": appt["id"] if appt else None,
                "kind": {"CANCEL": "cancel", "STOP": "opt-out and more"}.get(row.keyword, "reply"),
                "text": row.body if row.body is not None else "(no longer kept)",
            }
        )
    return out
