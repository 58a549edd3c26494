"""The HIPAA access log (essential: a practice cannot switch it off).

Serves 45 CFR 164.312(b) audit controls and 164.312(c) integrity. Every read, create,
update, delete, restore and export of a record that holds PHI (the core calls
``records_accessed`` for sync, CLI and plugin writes alike, a sync's merge in one batch)
appends one entry: sequence
number, UTC time, actor and role, source, action, entity, record id, the names of the
fields touched (never their values), purpose, outcome, the previous entry's hash and its
own hash (SHA-256 over RFC 8785 canonical JSON of all the other fields; see
:mod:`.chain`).

- Same transaction: an entry is written with the change it records, through the plugin's
  storage in the practice's store, so a rolled-back or dry-run sync leaves none
  (:mod:`.ledger`).
- Append-only: the plugin only inserts; on SQLite, triggers refuse UPDATE, DELETE and
  INSERT OR REPLACE (:mod:`.guards`). Anyone who gets past them is caught by ``clinicops
  audit verify``, which names the first altered or missing entry and exits 1; checkpoints
  in the store, the anchor file beside the practice and the checkpoint file of each
  export catch a log cut short, rebuilt or rehashed (:mod:`.anchors`), and a store with
  no log at all fails.
- Reading the log is an access too: ``audit report`` and ``audit export`` append their
  own entries (:mod:`.audit`); ``audit verify`` shows no entry and appends none.
- Retention: keep the log, and each export with its checkpoint, at least six years
  (164.316(b)(2)). There is no purge command and nothing expires entries.

Commands: ``clinicops audit verify [--checkpoint FILE] [--json]``, ``clinicops audit
report --from DAY --to DAY [--patient ID | --actor NAME] [--format table|csv] [-o FILE]``
and ``clinicops audit export [-o FOLDER]``; each takes ``-p/--practice``.

Settings (``[plugins.access_log]``, all optional):

- ``export_dir`` (default ``"audit-exports"``): where ``audit export`` writes, relative to
  the practice folder, when ``-o`` is not given. Copy its files off-site.
- ``anchor_file`` (default ``"access-log-anchors.jsonl"``): the append-only file of the
  log's head after each change, relative to the practice folder; put it on append-only
  or write-once storage where you can.
- ``export_every_days`` (default 7): an alert asks for an off-site export when the last
  one is older than this (or there has never been one); 0 turns that reminder off, for a
  practice whose whole store is already copied off-site by other means.

Upkeep (:mod:`.upkeep`): a nightly task (02:00 practice time, under ``clinicops run``)
verifies the chain; a failed check, a missing export and an overdue one are alerts.
"""

from __future__ import annotations

from typing import Any

import click

from clinicops import AccessEvent, Alert, PluginStorage, PracticeView, ScheduledTask, hookimpl
from clinicops.plugins.access_log import anchors, audit, ledger, upkeep

NAME = "access_log"


@hookimpl
def plugin_settings_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "export_dir": {
                "type": "string",
                "minLength": 1,
                "default": "audit-exports",
                "description": "Folder for 'clinicops audit export', relative to the practice folder.",
            },
            "anchor_file": {
                "type": "string",
                "minLength": 1,
                "default": anchors.FILE_NAME,
                "description": "Append-only file of the log's head after each change, relative to the practice folder.",
            },
            "export_every_days": {
                "type": "integer",
                "minimum": 0,
                "default": 7,
                "description": "Alert when the last off-site export is older than this.",
            },
        },
    }


@hookimpl
def prepare_storage(storage: PluginStorage) -> None:
    ledger.prepare(storage)


@hookimpl
def records_accessed(practice: PracticeView, events: list[AccessEvent]) -> None:
    now = practice.now()
    storage = practice.storage(NAME)
    ledger.append(storage, events, now, lambda: audit.anchor_file(practice))
    for event in events:
        if event.action == "rebuild" and event.entity == "store":
            restart = anchors.Restart(now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), str(event.actor), str(event.purpose))
            ledger.note_restart(storage, restart)


@hookimpl
def collect_alerts(practice: Any) -> list[Alert]:
    return upkeep.alerts(practice, practice.settings(NAME)["export_every_days"])


@hookimpl
def register_tasks() -> list[ScheduledTask]:
    return [ScheduledTask("verify-log", run=upkeep.verify_now, daily_at="02:00")]


@hookimpl
def register_commands(cli: click.Group) -> None:
    # Imported here: the commands need the core CLI, which loads plugins itself.
    from clinicops.plugins.access_log.commands import add_commands

    add_commands(cli)
