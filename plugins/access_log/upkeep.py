"""Keeping the access log trustworthy day to day: a nightly check of the chain, a check at
each sync that the newest anchored head is still in the store, and a reminder when no copy
has left the building for too long.

The nightly task verifies the chain (164.312(c) integrity) and keeps the outcome in a
small table of its own (``access_log_checks``, not part of the guarded log), so each sync can raise an alert
without walking the whole log again. An off-site copy that is overdue is an alert too:
the log is only as safe as its last export (164.316(b)(2) retention).
"""

from __future__ import annotations

import datetime as dt
from datetime import tzinfo
from typing import Any

from sqlalchemy import func, insert, select

from clinicops import Alert, PluginStorage, PracticeView, days_text
from clinicops.plugins.access_log import audit, ledger
from clinicops.plugins.access_log.ledger import checks

NAME = "access_log"


def verify_now(practice: PracticeView) -> None:
    """The nightly task: walk the chain and remember what was found."""
    verdict, missing = audit.verify_log(practice)
    storage = practice.storage(NAME)
    message = verdict.sentence()
    if missing:
        message += f" Append-only protection missing: {', '.join(missing)}."
    storage.execute(
        insert(checks).values(
            at=practice.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            ok=verdict.ok and not missing,
            entries=verdict.count,
            bad_seq=verdict.bad_seq,
            message=message[:512],
        )
    )


def alerts(practice: PracticeView, export_every_days: int) -> list[Alert]:
    storage = practice.storage(NAME)
    out: list[Alert] = []
    last = _last_check(storage)
    if last is not None and not last["ok"]:
        out.append(
            Alert(
                key="verify-failed",
                severity="critical",
                message=f"The nightly check of the HIPAA access log failed ({last['at']}): {last['message']} "
                "Run 'clinicops audit verify' and compare with the last off-site export.",
            )
        )
    behind = _behind_anchor(practice)
    if behind is not None:
        out.append(Alert(key="behind-anchor", severity="critical", message=behind))
    if export_every_days == 0:
        return out
    exported = _last_export(storage, practice.timezone)
    today = practice.today()
    if exported is None and ledger.head(storage)[0] > 0:
        out.append(
            Alert(
                key="never-exported",
                severity="warning",
                message="The HIPAA access log has never been copied off-site: run 'clinicops audit export' "
                "and keep the files somewhere the store's server cannot change (retain six years).",
            )
        )
    elif exported is not None and (today - exported).days > export_every_days:
        out.append(
            Alert(
                key=f"export-overdue-since-{exported.isoformat()}",
                severity="warning",
                message=f"The HIPAA access log was last copied off-site on {exported.isoformat()}, "
                f"{days_text((today - exported).days)} ago (the practice asks for every {export_every_days}): "
                "run 'clinicops audit export'.",
            )
        )
    return out


def _behind_anchor(practice: PracticeView) -> str | None:
    """The cheap check each sync makes: the store's log still holds the newest anchored head, unchanged.

    One lookup by sequence number; the whole chain is walked by the nightly check.
    """
    anchored, _restart, _notes = audit.anchor_file(practice).read()
    storage = practice.storage(NAME)
    if not anchored or ledger.restarting(storage):
        return None
    newest = max(anchored, key=lambda cp: cp.seq)
    if ledger.hash_at(storage, newest.seq) == newest.hash:
        return None
    return (
        f"The HIPAA access log in the store no longer holds entry {newest.seq} as its {newest.label} recorded it: "
        "the log was cut short, rebuilt or rewritten. Run 'clinicops audit verify' and compare with the last "
        "off-site export."
    )


def _last_check(storage: PluginStorage) -> dict[str, Any] | None:
    if not storage.exists(checks):
        return None
    row = storage.execute(select(checks).order_by(checks.c.id.desc()).limit(1)).first()
    return dict(row._mapping) if row else None


def _last_export(storage: PluginStorage, zone: tzinfo) -> dt.date | None:
    """The practice's date of the newest off-site export (days are counted where the practice is)."""
    if not ledger.has_log(storage):
        return None
    at = storage.execute(
        select(func.max(ledger.checkpoints.c.at)).where(ledger.checkpoints.c.kind == "export")
    ).scalar()
    return dt.datetime.fromisoformat(at).astimezone(zone).date() if at else None
