"""The demo clinic's billing detail: the Claim lines tab and the dates the remittances gave.

- Claim lines: the billing office started keeping service lines two weeks ago, so each
  claim sent for a date of service in the last 14 days has one row per code on the Claim
  lines tab (its charge from the fee schedule, one unit, pointing at up to four of the claim's
  diagnoses, modifier 25 or 95 on the visit code and 59 on the separate procedure); older
  claims have none and are read as one line per code.
- One submitted claim's Billed cell was keyed before its last line (a venipuncture or a
  vaccine administration) was added, so its lines add up to more than it billed.
- Denied on: the date of each denial notice, three weeks after the claim was sent (never
  after today). The earliest denial from MassHealth, Harvard Pilgrim or Tufts (90 days to
  appeal) was noticed later than that, so its appeal deadline is twelve days away.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clinicops.examples import demo_catalog as cat
from clinicops.examples.demo_common import Row

LINES_SINCE_DAYS = 14
NOTICE_AFTER_DAYS = 21
POINTERS = "ABCDEFGHIJKL"
# Days to appeal: MassHealth by the plugin's Medicaid default, the two plans by the demo's contracts
# (practice.toml, appeal_days_by_payer).
APPEAL_DAYS = {cat.MASSHEALTH: 90, cat.HARVARD_PILGRIM: 90, cat.TUFTS: 90}
APPEAL_DUE_IN = 12


def _day(cell: Any) -> dt.date:
    return cell if isinstance(cell, dt.date) else dt.date.fromisoformat(str(cell))


def _codes(cell: str | None) -> list[str]:
    return [c.strip() for c in cell.split(",")] if cell else []


def _modifiers_by_code(codes: list[str], modifiers: list[str]) -> dict[str, list[str]]:
    visit = next((c for c in codes if c.startswith("99")), codes[0])
    separate = next((c for c in reversed(codes) if not c.startswith("99")), codes[-1])
    out: dict[str, list[str]] = {c: [] for c in codes}
    for modifier in modifiers:
        out[separate if modifier == "59" else visit].append(modifier)
    return out


def _lines(claims: list[Row], today: dt.date) -> list[Row]:
    rows: list[Row] = []
    for claim in claims:
        served = _day(claim["date_of_service"])
        if (today - served).days > LINES_SINCE_DAYS or claim["status"] == "draft":
            continue
        codes = _codes(claim["cpt_codes"])
        diagnoses = _codes(claim["icd10_codes"])
        modifiers = _modifiers_by_code(codes, _codes(claim["modifiers"])) if codes else {}
        for number, code in enumerate(codes, start=1):
            rows.append(
                {
                    "id": f"CLN{len(rows) + 1:06d}",
                    "claim_id": claim["id"],
                    "line_number": number,
                    "date_of_service": served,
                    "code": code,
                    "modifiers": ", ".join(modifiers[code]) or None,
                    "units": 1,
                    "charge": cat.FEES.get(code),
                    "diagnosis_pointers": ", ".join(POINTERS[: min(4, len(diagnoses))]) or None,
                    "provider_id": None,
                    "paid_amount": None,
                }
            )
    return rows


def _billed_before_the_last_line(claims: list[Row], lines: list[Row]) -> None:
    counts: dict[str, int] = {}
    for line in lines:
        counts[line["claim_id"]] = counts.get(line["claim_id"], 0) + 1
    claim = next(
        c
        for c in claims
        if c["status"] == "submitted" and counts.get(c["id"], 0) >= 2 and isinstance(c["billed_amount"], float)
    )
    last = max((ln for ln in lines if ln["claim_id"] == claim["id"]), key=lambda ln: ln["line_number"])
    claim["billed_amount"] = round(claim["billed_amount"] - last["charge"], 2)


def _denial_dates(claims: list[Row], today: dt.date) -> None:
    denied = [c for c in claims if c["status"] in ("denied", "appealed") and c["submitted_date"]]
    for claim in denied:
        claim["denied_date"] = min(today, _day(claim["submitted_date"]) + dt.timedelta(days=NOTICE_AFTER_DAYS))
    waiting = [c for c in denied if c["status"] == "denied" and c["payer"] in APPEAL_DAYS]
    due_soon = min(waiting, key=lambda c: _day(c["submitted_date"]), default=None)
    if due_soon is not None:
        notice = today + dt.timedelta(days=APPEAL_DUE_IN - APPEAL_DAYS[due_soon["payer"]])
        due_soon["denied_date"] = max(notice, _day(due_soon["submitted_date"]))


def billing_tabs(today: dt.date, tables: dict[str, list[Row]]) -> dict[str, list[Row]]:
    """The Claim lines tab; the claims gain their denial dates and one billed-amount slip."""
    claims = tables["claim"]
    lines = _lines(claims, today)
    _billed_before_the_last_line(claims, lines)
    _denial_dates(claims, today)
    return {"claim_line": lines}
