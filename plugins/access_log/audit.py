"""What ``clinicops audit`` does, as functions of a PracticeView: verify, report, export.

Reading the log is itself an access: the log names patients (record ids) and who looked
at them. A report appends an entry (action ``read`` shown on screen, ``export`` written
as CSV) on entity ``access_log`` whose record id names the filter (``patient:P000012``,
``actor:jlee``); an export appends an ``export`` entry before it copies the log, so the
copy carries its own record. Verifying shows no entry and appends nothing, so two
verifications in a row see the same head.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinicops import AccessEvent
from clinicops.plugins.access_log import anchors, guards, ledger, report
from clinicops.plugins.access_log.chain import Checkpoint, Verdict, verify

LOG_COLUMNS = ("seq", "at", "actor", "role", "source", "action", "entity", "record_id", "fields", "purpose", "outcome")
NAME = "access_log"
RETENTION = "keep at least six years from creation (45 CFR 164.316(b)(2)); never purge"


def anchor_file(practice: Any) -> anchors.AnchorFile:
    """Where this practice's anchors go: beside practice.toml unless the settings say otherwise."""
    return anchors.AnchorFile(practice.root / practice.settings(NAME)["anchor_file"])


def export_folder(practice: Any) -> Path:
    return Path(practice.root) / practice.settings(NAME)["export_dir"]


def verify_log(practice: Any, extra: Sequence[Path] = ()) -> tuple[Verdict, list[str]]:
    """The chain checked against itself, the store's checkpoints, the anchor file, the checkpoint
    of every export in the export folder and any further checkpoint files; plus the names of
    append-only guards that have gone missing.

    A store with no log at all fails when anything says there was one: an anchor, an export,
    or records holding PHI (each was logged when it was written).
    """
    storage = practice.storage(NAME)
    anchored, restart, notes = anchor_file(practice).read()
    exported: list[Checkpoint] = []
    for path in [*sorted(export_folder(practice).glob("*.checkpoint.json")), *extra]:
        try:
            cp, at = load_checkpoint(path)
        except ValueError as exc:
            notes.append(str(exc))
            continue
        if restart is not None and at < restart.at:
            notes.append(f"{path.name} is of the log before the store was rebuilt on {restart.at}")
        else:
            exported.append(cp)
    verdict = verify(ledger.entries(storage), [*ledger.stored_checkpoints(storage), *anchored, *exported])
    verdict.warnings.extend(notes)
    if restart is not None:
        verdict.warnings.append(
            f"The log starts again at entry 1 since {restart.at}, when {restart.by} rebuilt the store "
            f"({restart.reason}); earlier entries exist only in the exports made before then."
        )
    if verdict.ok and verdict.count == 0:
        phi = _phi_records(practice)
        if phi:
            verdict.bad_seq = 1
            verdict.reason = (
                f"the store holds no access log at all, but {phi} records with PHI, each of which was logged "
                "when it was written: the log was deleted"
            )
    elif verdict.ok and not anchored and verdict.count:
        verdict.warnings.append(
            f"No anchor of this log outside the store ({anchor_file(practice).path.name} is missing or empty), "
            "so entries cut from its end since the last export would go unnoticed; the next sync writes one."
        )
    return verdict, guards.missing(storage)


def _phi_records(practice: Any) -> int:
    registry = practice.registry
    return sum(practice.count(name) for name in registry.names() if registry[name].has_phi)


def load_checkpoint(path: Path) -> tuple[Checkpoint, str]:
    """A checkpoint file written by :func:`export_log`, and when it was exported."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        at = str(data["exported_at"])
        label = f"exported checkpoint of {at} ({path.name})"
        return Checkpoint(label, int(data["head_seq"]), data["head_hash"]), at
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not an access-log checkpoint file ({exc})") from None


def access_report(
    practice: Any,
    start: dt.date,
    end: dt.date,
    *,
    by: str,
    patient: str | None = None,
    actor: str | None = None,
    as_csv: bool = False,
) -> list[dict[str, Any]]:
    """Entries for the period and filter; the report itself is logged as an access."""
    found = report.find_entries(practice, start, end, patient=patient, actor=actor)
    subject = f"patient:{patient}" if patient else f"actor:{actor}" if actor else "all"
    purpose = f"privacy review {start.isoformat()}..{end.isoformat()}"
    practice.accessed(
        AccessEvent(by, "user", "cli", "export" if as_csv else "read", "access_log", subject, LOG_COLUMNS, purpose)
    )
    return found


@dataclass(frozen=True)
class Export:
    log_file: Path
    checkpoint_file: Path
    count: int
    head_seq: int
    head_hash: str


def export_log(practice: Any, folder: Path, *, by: str) -> Export:
    """Write every entry as JSON Lines plus a checkpoint file (head, count, time, file hash).

    Files are created, never overwritten, readable by their owner only: they name
    patients. Keep them off this computer; the checkpoint lets ``audit verify
    --checkpoint`` prove later that nothing was cut from the end of the log.
    """
    practice.accessed(AccessEvent(by, "user", "cli", "export", "access_log", "all", LOG_COLUMNS, "off-site retention"))
    now = practice.now()
    storage = practice.storage(NAME)
    head_seq, head_hash = ledger.add_export_checkpoint(storage, now)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"access-log-{now:%Y%m%dT%H%M%SZ}"
    log_path, cp_path = folder / f"{stem}.jsonl", folder / f"{stem}.checkpoint.json"
    digest, count = hashlib.sha256(), 0
    with _create(log_path) as out:
        for entry in ledger.entries(storage):
            line = (json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
            out.write(line)
            digest.update(line)
            count += 1
    checkpoint = {
        "practice": practice.name,
        "exported_at": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "exported_by": by,
        "head_seq": head_seq,
        "head_hash": head_hash,
        "count": count,
        "log_file": log_path.name,
        "log_sha256": digest.hexdigest(),
        "hash_chain": "SHA-256 over RFC 8785 canonical JSON of each entry, previous hash included",
        "retention": RETENTION,
    }
    with _create(cp_path) as out:
        out.write((json.dumps(checkpoint, indent=2) + "\n").encode())
    return Export(log_path, cp_path, count, head_seq, head_hash)


def _create(path: Path) -> Any:
    """A new file for the owner's eyes only; an existing export is never overwritten."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb")
