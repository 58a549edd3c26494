"""Claim status changes that lose track of money, and what marks a corrected claim.

A claim row is one claim's life: draft, submitted, then paid, denied or appealed. Two moves
backwards on the same row hide what happened at the payer:

- a **paid** claim set back to draft or submitted (the payment and its remittance stop
  counting; a refund or a recoupment is recorded as one, and a change after payment is a
  corrected claim);
- a **denied** (or appealed) claim set back to submitted: sending it again is either a new
  claim, which the payer denies as a duplicate (CO-18), or a corrected claim.

A corrected claim is a replacement of the original: claim frequency code 7 (void: 8),
with the payer's claim number of the original, the ICN/DCN from its remittance
(CMS-1500 item 22 "Resubmission code" and "Original ref. no."; 837P CLM05-3 and REF*F8;
NUCC 1500 Claim Form Reference Instruction Manual, item 22). So either move is accepted
when the row says ``Frequency`` = replacement (or void) and gives the ``Original ref. no.``;
otherwise the status cell is held back with a note, the stored claim keeping its status.

A replacement or void sent to the payer needs the original's reference number, wherever
it is kept (on the same row or a new one).
"""

from __future__ import annotations

from typing import Any

from clinicops import FieldProblem

REPLACES = ("replacement", "void")
BACKWARDS = {"paid": ("draft", "submitted"), "denied": ("submitted",), "appealed": ("submitted",)}
BACK_TO = frozenset(s for targets in BACKWARDS.values() for s in targets)
EXPECTED = "the status it had, or Frequency = replacement (code 7) with the Original ref. no. of the claim it corrects"


def problems(stored: dict[str, Any] | None, record: dict[str, Any]) -> list[FieldProblem]:
    out = []
    marked = record.get("frequency") in REPLACES and bool(record.get("original_reference"))
    was, now = (stored or {}).get("status"), record.get("status")
    if was in BACKWARDS and now in BACKWARDS[was] and not marked:
        why = (
            "a paid claim does not go back: record a refund or a recoupment as one, and send a change as a corrected "
            "claim"
            if was == "paid"
            else "sending a denied claim again as it was is a duplicate (CO-18): mark it as a corrected claim"
        )
        out.append(FieldProblem("status", f"was {was}; {why}", EXPECTED))
    if record.get("frequency") in REPLACES and now != "draft" and not record.get("original_reference"):
        out.append(
            FieldProblem(
                "original_reference",
                f"a {record['frequency']} claim needs the payer's claim number of the original (CMS-1500 item 22)",
                "the ICN/DCN on the original claim's remittance",
            )
        )
    return out


def schema_extension() -> dict[str, Any]:
    """The claim fields a corrected claim and the later rules need, added to the Claims tab."""
    date = {"type": "string", "format": "date"}
    return {
        "title": "claim",
        "properties": {
            "frequency": {
                "type": "string",
                "x-title": "Frequency",
                "description": "Claim frequency: original (1), replacement of an earlier claim (7) or void (8).",
                "enum": ["original", "replacement", "void"],
                "x-aliases": {"1": "original", "7": "replacement", "8": "void", "corrected": "replacement"},
                "x-header-aliases": ["Resubmission code", "Claim frequency", "Frequency code"],
            },
            "original_reference": {
                "type": "string",
                "x-title": "Original ref. no.",
                "description": "For a replacement or void: the payer's claim number (ICN/DCN) of the original.",
                "x-header-aliases": ["Original ref no", "ICN", "DCN", "Payer claim number"],
            },
            "denied_date": {
                **date,
                "x-title": "Denied on",
                "description": "The date on the denial notice (remittance): appeal deadlines count from it.",
                "x-header-aliases": ["Denial date", "Date denied"],
            },
            "refunded_date": {
                **date,
                "x-title": "Refunded on",
                "description": "When an overpayment was returned to the payer.",
                "x-header-aliases": ["Refund date", "Date refunded"],
            },
        },
    }
