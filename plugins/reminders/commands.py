"""``clinicops reminders``: look at the ledger and settle a reminder whose fate is unknown."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from clinicops import NotFound
from clinicops.plugins.reminders import ledger

NAME = "reminders"


def _open(practice_dir: Path) -> Any:
    from clinicops import open_practice

    try:
        return open_practice(practice_dir)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


def add_commands(cli: click.Group) -> None:
    from clinicops import json_option, local_time, practice_option  # the CLI's own options, so both read alike

    @cli.group(name="reminders", context_settings={"help_option_names": ["-h", "--help"]})
    def reminders() -> None:
        """Appointment reminders: the ledger of what was sent, and settling unknowns."""

    @reminders.command(name="list")
    @practice_option
    @click.option("--state", type=click.Choice(["sending", "sent", "failed"]), help="Only rows in this state.")
    @click.option("--days", default=7, show_default=True, help="Appointments from this many days back.")
    @json_option
    def list_rows(practice_dir: Path, state: str | None, days: int, as_json: bool) -> None:
        """Reminders in the ledger, newest appointment last (ids only, no contact details).

        Example: clinicops reminders list --state sending
        """
        practice = _open(practice_dir)
        with practice.view(source="cli", actor="cli") as view:
            since = view.now() - dt.timedelta(days=days)
            found = [r for r in ledger.rows(view.storage(NAME), since=since) if state is None or r.state == state]
            zone = view.timezone
        if as_json:
            click.echo(json.dumps({"count": len(found), "reminders": [ledger.as_dict(r) for r in found]}, indent=2))
            return
        for r in found:
            click.echo(
                f"{r.id:>6}  {r.appointment_id:<10} {local_time(r.start, zone)}  {r.offset_min / 60:>4g} h  "
                f"{r.channel:<5} {r.state:<7} tries {r.attempts}  {r.detail or ''}"
            )
        if not found:
            click.echo("No reminders in the ledger for that period.")

    @reminders.command(name="resolve")
    @click.argument("row_id", type=int)
    @click.option("--sent/--not-sent", required=True, help="Whether the patient got the reminder.")
    @practice_option
    @json_option
    def resolve(row_id: int, sent: bool, practice_dir: Path, as_json: bool) -> None:
        """Settle a reminder that stopped between sending and recording (its alert names the id).

        --not-sent lets it be sent again while it is still useful.

        Example: clinicops reminders resolve 17 --sent
        """
        practice = _open(practice_dir)
        with practice.view(source="cli", actor="cli") as view:
            try:
                row = ledger.resolve(view.storage(NAME), row_id, sent=sent, now=view.now(), who="cli")
            except NotFound as exc:
                raise click.ClickException(str(exc)) from None
        if as_json:
            click.echo(json.dumps(ledger.as_dict(row), indent=2))
            return
        click.echo(f"Reminder {row.id} for appointment {row.appointment_id} is now '{row.state}'.")
