"""Duplicate billing, line by line: the same service billed twice to the same payer.

Two lines are the same service when they have the same patient, rendering provider, date
of service, payer, CPT/HCPCS code and modifiers. A claim with such a line repeats the
earlier claim (the lower id) that has it: ``CLM…:duplicate-of:CLM…``. Payers deny the
second as a duplicate (claim adjustment reason code 18).

Left out: denied claims (re-billing a denial on a new row is how a spreadsheet office
sends a corrected claim), replacement and void claims (frequency 7 and 8 are meant to
repeat the original), the same service billed to another payer (a secondary claim), and
lines with modifier 76, 77 or 91 (a real repeat, CPT Appendix A) when the earlier line
does not carry the same modifiers. Two identical lines on one claim are reported on the
claim as ``CLM…:duplicate-line``; bill the units on one line instead.
"""

from __future__ import annotations

from typing import Any

from clinicops import Alert

from .lines import Line
from .receivables import payer_name
from .transitions import REPLACES


def _key(claim: dict[str, Any], line: Line) -> tuple[Any, ...]:
    return (
        claim["patient_id"],
        line.provider_id,
        line.served,
        payer_name(claim).casefold(),
        line.code,
        tuple(sorted(set(line.modifiers) | (set() if line.record_id else set(claim.get("modifiers") or ())))),
    )


def alerts(claims: list[dict[str, Any]], lines: dict[str, list[Line]]) -> list[Alert]:
    first_of: dict[tuple[Any, ...], dict[str, Any]] = {}
    out = []
    for claim in claims:  # in id order: the earlier claim is the original
        if claim.get("status") == "denied" or claim.get("frequency") in REPLACES:
            continue
        originals: dict[str, dict[str, Any]] = {}
        seen_here: set[tuple[Any, ...]] = set()
        repeated_here = []
        for line in lines[claim["id"]]:
            key = _key(claim, line)
            if key in seen_here:
                repeated_here.append(line.label)
                continue
            seen_here.add(key)
            original = first_of.setdefault(key, claim)
            if original is not claim:
                originals.setdefault(original["id"], original)
        for original in originals.values():
            both_sent = claim["status"] != "draft" and original["status"] != "draft"
            out.append(
                Alert(
                    key=f"{claim['id']}:duplicate-of:{original['id']}",
                    severity="critical" if both_sent else "warning",
                    message=f"Claim {claim['id']} repeats {original['id']}: same patient, provider, date of service, "
                    "payer and CPT/HCPCS codes. Payers deny the second as a duplicate (CO-18): delete one, or add "
                    "modifier 76, 77 or 91 if the service really was repeated.",
                    entity="claim",
                    record_id=claim["id"],
                )
            )
        if repeated_here:
            out.append(
                Alert(
                    key=f"{claim['id']}:duplicate-line",
                    severity="warning",
                    message=f"Claim {claim['id']} bills the same service twice: {', '.join(repeated_here)} repeats "
                    "an earlier line (same date, code and modifiers). Bill it once with its units.",
                    entity="claim",
                    record_id=claim["id"],
                )
            )
    return out
