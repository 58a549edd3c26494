"""Revenue by month: what payers paid on the practice's claims, by the date it was paid.

Claims are read as records of the ``claim`` entity, the same ones the billing plugin
checks. A claim counts with its ``paid_amount`` in the month of its ``paid_date``; when
the amount is carried on service lines instead (a list of lines each with
``paid_amount``, and a ``paid_date`` of its own or the claim's), the lines are added up.
A claim without a paid date or a paid amount adds nothing: unknown is not zero revenue,
but it is not revenue either.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any


def by_month(practice: Any) -> dict[str, Decimal]:
    """'YYYY-MM' -> amount paid that month."""
    if "claim" not in practice.registry:
        return {}
    out: dict[str, Decimal] = {}
    for claim in practice.records("claim"):
        for month, amount in _payments(claim):
            out[month] = out.get(month, Decimal("0.00")) + amount
    return out


def _payments(claim: dict[str, Any]) -> Iterator[tuple[str, Decimal]]:
    whole = _money(claim.get("paid_amount"))
    if whole is not None and claim.get("paid_date"):
        yield str(claim["paid_date"])[:7], whole
        return
    for value in claim.values():
        if isinstance(value, list) and value and all(isinstance(line, dict) for line in value):
            for line in value:
                amount, day = _money(line.get("paid_amount")), line.get("paid_date") or claim.get("paid_date")
                if amount is not None and day:
                    yield str(day)[:7], amount


def _money(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None
