"""Service lines: what a claim bills, one procedure a line, as on the CMS-1500 (items 24A–24J)
and the 837P (loop 2400).

A line has its own date of service, one CPT/HCPCS code, up to four modifiers (24D), units
(24G), a charge (24F) and up to four diagnosis pointers (24E), the letters A–L of the
claim's twelve diagnoses (item 21). The claim's billed amount is the sum of its lines'
charges (item 28, total charge).

**Layout.** Staff keep lines on the ``Claim lines`` tab, one row a line: the claim's id,
the line number, then the line's cells; ``Rendering provider`` is filled only when someone
other than the claim's provider performed that service, and ``Paid`` holds the line's
payment from the remittance when the office records it per line.

**Claims without lines** (every claim kept before this tab existed, and any office that
keeps only the Claims tab) are read as one line per code in their ``CPT/HCPCS`` column: the
claim's date of service, its modifiers when it has a single code (with several codes the
sheet does not say which code a modifier belongs to, so the claim's modifiers stay checked
as a list), its billed amount as the charge when it has a single code, pointing at all of
its diagnoses. Nothing is written for them and no cell changes: the Claims tab keeps
every column it had, and a claim gains real lines the day staff add rows for it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ENTITY = "claim_line"
MAX_MODIFIERS = 4
MAX_POINTERS = 4
POINTERS = "ABCDEFGHIJKL"


@dataclass(frozen=True)
class Line:
    """One service line, from the Claim lines tab or read from the claim's own columns."""

    claim_id: str
    number: int
    served: dt.date | None
    code: str
    modifiers: tuple[str, ...]
    units: Decimal | None
    charge: Decimal | None
    pointers: tuple[str, ...]  # letters A–L; empty: unknown (a line read from the claim)
    provider_id: str
    paid: Decimal | None
    record_id: str | None  # the Claim lines row's id; None for a line read from the claim

    @property
    def label(self) -> str:
        return f"line {self.number} ({self.code})"


def schema() -> dict[str, Any]:
    """The staff-kept ``claim_line`` entity: the plugin writes only the ids it assigns."""

    def f(kind: dict[str, Any], title: str, **extra: Any) -> dict[str, Any]:
        return {**kind, "x-title": title, **extra}

    code = {"type": "string", "x-format": "code"}
    money = {"type": "string", "x-format": "money", "pattern": r"^-?\d+\.\d{2}$"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": ENTITY,
        "description": "A claim's service lines: one procedure each, with its date, modifiers, units, charge "
        "and diagnosis pointers (CMS-1500 item 24).",
        "type": "object",
        "x-title": "Claim lines",
        "x-tab-aliases": ["Service lines", "Charges detail", "Line items"],
        "x-primary-key": "id",
        "x-id-prefix": "CLN",
        "properties": {
            "id": f(
                {"type": "string"}, "ID", description="Assigned by clinicops when left blank; never reuse or edit it."
            ),
            "claim_id": f(
                {"type": "string"}, "Claim", **{"x-ref": "claim", "x-header-aliases": ["Claim ID", "Claim #"]}
            ),
            "line_number": f(
                {"type": "integer", "minimum": 1, "maximum": 50},
                "Line",
                description="1, 2, 3… within the claim (an 837P claim carries at most 50 lines).",
                **{"x-header-aliases": ["Line #", "Line number"]},
            ),
            "date_of_service": f(
                {"type": "string", "format": "date"},
                "Date of service",
                **{"x-phi": True, "x-header-aliases": ["DOS", "Service date"]},
            ),
            "code": f(code, "CPT/HCPCS", **{"x-header-aliases": ["CPT", "HCPCS", "Procedure", "Code"]}),
            "modifiers": f(
                {"type": "array", "items": code},
                "Modifiers",
                description="Up to four.",
                **{"x-header-aliases": ["Mod", "Mods", "Modifier"]},
            ),
            "units": f(
                {"type": "number", "exclusiveMinimum": 0},
                "Units",
                **{"x-header-aliases": ["Days or units", "Qty", "Quantity"]},
            ),
            "charge": f(money, "Charge", **{"x-header-aliases": ["Charges", "Amount", "Line charge"]}),
            "diagnosis_pointers": f(
                {"type": "array", "items": code},
                "Dx pointers",
                description="Up to four letters A–L: which of the claim's diagnoses this line treats, in order.",
                **{"x-phi": True, "x-header-aliases": ["Diagnosis pointer", "Dx pointer", "Pointers"]},
            ),
            "provider_id": f(
                {"type": "string"},
                "Rendering provider",
                description="Blank when it is the claim's provider.",
                **{"x-ref": "provider", "x-header-aliases": ["Rendering", "Performed by"]},
            ),
            "paid_amount": f(money, "Paid", **{"x-header-aliases": ["Line paid", "Payment"]}),
        },
        "required": ["id", "claim_id", "code"],
        "additionalProperties": False,
    }


def money(text: Any) -> Decimal | None:
    return None if text in (None, "") else Decimal(str(text))


def pointer_letters(cells: list[str] | None) -> tuple[str, ...]:
    """``["A", "BC"]`` and ``["1", "2"]`` alike -> the letters, in order (``1`` is ``A``)."""
    out: list[str] = []
    for cell in cells or []:
        if cell.isdigit():
            out.append(POINTERS[int(cell) - 1] if 1 <= int(cell) <= len(POINTERS) else cell)
        else:
            out.extend(cell.upper())
    return tuple(out)


def from_row(row: dict[str, Any], claim: dict[str, Any] | None) -> Line:
    served = row.get("date_of_service") or (claim or {}).get("date_of_service")
    units = row.get("units")
    return Line(
        claim_id=row.get("claim_id", ""),
        number=row.get("line_number") or 0,
        served=dt.date.fromisoformat(served) if served else None,
        code=row.get("code", ""),
        modifiers=tuple(row.get("modifiers") or ()),
        units=None if units is None else Decimal(str(units)),
        charge=money(row.get("charge")),
        pointers=pointer_letters(row.get("diagnosis_pointers")),
        provider_id=row.get("provider_id") or (claim or {}).get("provider_id", ""),
        paid=money(row.get("paid_amount")),
        record_id=row.get("id"),
    )


def read_from_claim(claim: dict[str, Any]) -> list[Line]:
    """A claim without rows on the Claim lines tab, as one line per code (see the module docstring)."""
    codes = claim.get("cpt_codes") or []
    served = claim.get("date_of_service")
    single = len(codes) == 1
    return [
        Line(
            claim_id=claim["id"],
            number=n,
            served=dt.date.fromisoformat(served) if served else None,
            code=code,
            modifiers=tuple(claim.get("modifiers") or ()) if single else (),
            units=Decimal(1),
            charge=money(claim.get("billed_amount")) if single else None,
            pointers=(),
            provider_id=claim.get("provider_id", ""),
            paid=None,
            record_id=None,
        )
        for n, code in enumerate(codes, start=1)
    ]


def by_claim(claims: list[dict[str, Any]], rows: list[dict[str, Any]]) -> dict[str, list[Line]]:
    """Every claim's lines: its Claim lines rows in line order, or read from the claim."""
    known = {c["id"]: c for c in claims}
    kept: dict[str, list[Line]] = defaultdict(list)
    for row in rows:
        claim = known.get(row.get("claim_id", ""))
        if claim is not None:
            kept[claim["id"]].append(from_row(row, claim))
    out = {}
    for claim in claims:
        rows_kept = kept.get(claim["id"])
        out[claim["id"]] = (
            sorted(rows_kept, key=lambda ln: (ln.number, ln.record_id or "")) if rows_kept else read_from_claim(claim)
        )
    return out


def kept_on_tab(lines: list[Line]) -> bool:
    return any(line.record_id for line in lines)


def total_charge(lines: list[Line]) -> Decimal | None:
    """The sum of the lines' charges, or None when a line's charge is unknown."""
    if not lines or any(line.charge is None for line in lines):
        return None
    return sum((line.charge for line in lines if line.charge is not None), Decimal("0.00"))
