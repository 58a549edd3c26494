"""Who may bill: a service billed under a provider who could not lawfully provide it that day.

A claim line's rendering provider (the line's own, else the claim's) must have held an
active license on the line's date of service: Medicare pays only for services by a
practitioner licensed by the state where they are furnished (42 CFR 410.20(b), and each
non-physician practitioner's section, e.g. 410.75(b) for nurse practitioners), and
Medicaid and commercial plans credential on the same license. A license is active on a
day from its ``Issued`` date (when recorded) to its ``Expires`` date, on the Credentials
tab; a provider with no license row there is checked on the Providers tab's ``License
expiry``. A provider whose license is recorded nowhere is not checked (the credentials
plugin asks for the dates).

Some services also need a credential of their own, listed per practice in
``[plugins.billing] credentials_for_codes`` (code -> credential kind). By default, the
exercise stress test codes 93015–93018 need ACLS: the ACC/AHA/ACP-ASIM clinical competence
statement on stress testing (Rodgers et al., Circulation, 2000) asks that those supervising
exercise tests hold current ACLS. A required credential not held on the date
of service flags the line even when nothing is recorded.

``CLM…:who-may-bill`` is critical on a draft (do not send it) and a warning once sent
(void or correct it, and return any payment).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from clinicops import Alert

from .lines import Line

KIND_NAMES = {"license": "an active license", "acls": "ACLS certification", "dea": "a DEA registration"}
DEFAULT_CODE_CREDENTIALS = {"93015": "acls", "93016": "acls", "93017": "acls", "93018": "acls"}

Spans = dict[tuple[str, str], list[tuple[dt.date | None, dt.date]]]


def held_spans(credentials: list[dict[str, Any]], providers: list[dict[str, Any]]) -> Spans:
    """(provider, kind) -> the (issued, expires) spans recorded for it."""
    spans: Spans = defaultdict(list)
    for cred in credentials:
        if cred.get("holder_type") == "provider" and cred.get("expires"):
            issued = dt.date.fromisoformat(cred["issued"]) if cred.get("issued") else None
            spans[(cred.get("holder_id", ""), cred.get("kind", ""))].append(
                (issued, dt.date.fromisoformat(cred["expires"]))
            )
    for provider in providers:
        if provider.get("license_expiry") and (provider["id"], "license") not in spans:
            spans[(provider["id"], "license")].append((None, dt.date.fromisoformat(provider["license_expiry"])))
    return spans


def _held_on(spans: Spans, provider: str, kind: str, day: dt.date) -> bool:
    return any(
        (issued is None or issued <= day) and day <= expires for issued, expires in spans.get((provider, kind), [])
    )


def line_problems(line: Line, spans: Spans, needs: dict[str, str]) -> list[str]:
    """What the line's provider lacked on its date of service (the line itself is named by the caller)."""
    if line.served is None or not line.provider_id:
        return []
    out = []
    if (line.provider_id, "license") in spans and not _held_on(spans, line.provider_id, "license", line.served):
        out.append(f"{line.provider_id} had no active license")
    kind = needs.get(line.code)
    if kind and not _held_on(spans, line.provider_id, kind, line.served):
        out.append(f"{line.provider_id} held no {KIND_NAMES.get(kind, kind)}, which {line.code} requires")
    return out


def alerts(
    claims: list[dict[str, Any]], lines: dict[str, list[Line]], practice: Any, settings: dict[str, Any]
) -> list[Alert]:
    spans = held_spans(practice.records("credential"), practice.records("provider"))
    needs = DEFAULT_CODE_CREDENTIALS | {k.upper(): v for k, v in settings["credentials_for_codes"].items()}
    out = []
    for claim in claims:
        grouped: dict[str, list[str]] = {}
        for line in lines[claim["id"]]:
            for problem in line_problems(line, spans, needs):
                grouped.setdefault(problem, []).append(line.label)
        if not grouped:
            continue
        found = [f"{problem} on the date of service of {', '.join(labels)}" for problem, labels in grouped.items()]
        draft = claim.get("status") == "draft"
        then = (
            "Do not submit it until the line is billed under a provider who may provide it."
            if draft
            else "It was billed: void or correct it (frequency 8 or 7) and return any payment for those lines."
        )
        out.append(
            Alert(
                key=f"{claim['id']}:who-may-bill",
                severity="critical" if draft else "warning",
                message=f"Claim {claim['id']} ({claim.get('status')}) bills services its provider could not bill that "
                f"day: {'; '.join(found)}. {then}",
                entity="claim",
                record_id=claim["id"],
            )
        )
    return out
