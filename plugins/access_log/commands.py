"""``clinicops audit``: the privacy officer's commands, a thin face over :mod:`.audit`."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from pathlib import Path

import click

from clinicops import friendly, json_option, open_practice, practice_option
from clinicops.plugins.access_log import audit, report

NAME = "access_log"

by_option = click.option(
    "--by",
    "by",
    envvar="CLINICOPS_USER",
    default=None,
    help="Who is running this, for the access log (default: your login name).",
)


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def add_commands(cli: click.Group) -> None:
    """Add the ``audit`` group with ``verify``, ``report`` and ``export``."""

    @cli.group(name="audit")
    def audit_group() -> None:
        """The HIPAA access log: check its hash chain, report who accessed what, export it."""

    @audit_group.command()
    @practice_option
    @click.option(
        "--checkpoint",
        "checkpoint_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Also check against this checkpoint file of an export (those in the export folder are always checked).",
    )
    @json_option
    @friendly
    def verify(practice_dir: Path, checkpoint_file: Path | None, as_json: bool) -> None:
        """Recompute the access log's hash chain and hold it against every checkpoint and anchor;
        name the first altered or missing entry and the anchor that disagrees (exit 1).

        Example: clinicops audit verify --checkpoint audit-exports/access-log-20261123T140305Z.checkpoint.json
        """
        try:
            extra = [checkpoint_file] if checkpoint_file else []
            for path in extra:
                audit.load_checkpoint(path)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--checkpoint") from None
        practice = open_practice(practice_dir)
        try:
            with practice.view(source="cli") as view:
                verdict, missing = audit.verify_log(view, extra)
        finally:
            practice.close()
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "ok": verdict.ok,
                        "entries": verdict.count,
                        "head_seq": verdict.head_seq,
                        "head_hash": verdict.head_hash,
                        "bad_seq": verdict.bad_seq,
                        "reason": verdict.reason or None,
                        "checkpoints_checked": verdict.checkpoints_ok,
                        "missing_guards": missing,
                        "warnings": verdict.warnings,
                    },
                    indent=2,
                )
            )
        for warning in [] if as_json else verdict.warnings:
            click.echo(f"Warning: {warning}", err=True)
        if missing and not as_json:
            click.echo(
                f"Warning: the append-only guard(s) {', '.join(missing)} are missing from the store "
                "(someone removed them); the next write puts them back.",
                err=True,
            )
        if not verdict.ok:
            raise click.ClickException(verdict.sentence())
        if not as_json:
            click.echo(
                f"{verdict.sentence()} Head hash {verdict.head_hash}; {verdict.checkpoints_ok} checkpoint(s) match."
            )

    @audit_group.command(name="report")
    @practice_option
    @click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day (local).")
    @click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day (local).")
    @click.option("--patient", default=None, help="Only access to this patient and the records that refer to them.")
    @click.option("--actor", default=None, help="Only what this person or process did.")
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "csv"]),
        default="table",
        show_default=True,
        help="A table to read, or CSV to keep (cells safe to open in a spreadsheet).",
    )
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
    @by_option
    @json_option
    @friendly
    def report_command(
        practice_dir: Path,
        start: dt.datetime,
        end: dt.datetime,
        patient: str | None,
        actor: str | None,
        fmt: str,
        output: Path | None,
        by: str | None,
        as_json: bool,
    ) -> None:
        """Who accessed which records in a period, for one patient or one actor (164.308(a)(1)(ii)(D)).

        The report is itself recorded in the access log. --json prints one object (to -o's file
        when given) with the period, the filter and every entry.

        Example: clinicops audit report --from 2026-11-01 --to 2026-11-30 --patient P000012 --format csv -o p12.csv
        """
        if patient and actor:
            raise click.UsageError("Give --patient or --actor, not both.")
        if end < start:
            raise click.UsageError("--to is before --from.")
        if as_json and fmt == "csv":
            raise click.UsageError("Give --json or --format csv, not both.")
        practice = open_practice(practice_dir)
        try:
            with practice.view(source="cli", actor=_who(by)) as view:
                found = audit.access_report(
                    view, start.date(), end.date(), by=_who(by), patient=patient, actor=actor, as_csv=fmt == "csv"
                )
                zone = practice.config.timezone
        finally:
            practice.close()
        if as_json:
            period = {"from": f"{start:%Y-%m-%d}", "to": f"{end:%Y-%m-%d}", "timezone": zone.key}
            shown = {**period, "patient": patient, "actor": actor, "count": len(found), "entries": found}
            _emit(json.dumps(shown, indent=2) + "\n", output)
            return
        if fmt == "csv":
            _emit(report.to_csv(found), output)
            if output is not None:
                click.echo(f"Wrote {len(found)} entries to {output}")
            return
        subject = f"patient {patient} and their records" if patient else f"actor {actor}" if actor else "all records"
        count = f"{len(found)} {'entry' if len(found) == 1 else 'entries'}"
        title = f"Access to {subject}, {start:%Y-%m-%d} to {end:%Y-%m-%d} ({zone.key} days): {count}"
        _emit(title + ("\n" + report.to_table(found, zone) if found else "") + "\n", output)

    @audit_group.command(name="export")
    @practice_option
    @click.option(
        "-o",
        "--output",
        "folder",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Folder for the files (default: the practice's audit-exports folder).",
    )
    @by_option
    @json_option
    @friendly
    def export_command(practice_dir: Path, folder: Path | None, by: str | None, as_json: bool) -> None:
        """Write the whole access log (JSON Lines) and a checkpoint file to keep off-site, six years or more.

        Example: clinicops audit export -p ./maple-street -o /mnt/offsite/maple-street
        """
        practice = open_practice(practice_dir)
        try:
            with practice.view(source="cli", actor=_who(by)) as view:
                target = folder or view.root / view.settings(NAME)["export_dir"]
                result = audit.export_log(view, target, by=_who(by))
        finally:
            practice.close()
        if as_json:
            files = {"log_file": str(result.log_file), "checkpoint_file": str(result.checkpoint_file)}
            head = {"head_seq": result.head_seq, "head_hash": result.head_hash}
            click.echo(json.dumps({"count": result.count, **files, **head, "retention": audit.RETENTION}, indent=2))
            return
        click.echo(f"Exported {result.count} access-log entries to {result.log_file}")
        click.echo(f"Checkpoint: head entry {result.head_seq}, hash {result.head_hash}, in {result.checkpoint_file}")
        click.echo("Keep both files off this computer for at least six years (45 CFR 164.316(b)(2)).")


def _emit(text: str, output: Path | None) -> None:
    """Print, or write a file only its owner can read: a report names patients."""
    if output is None:
        click.echo(text, nl=False)
        return
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        out.write(text)
