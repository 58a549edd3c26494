"""The overall score of a review: a weighted mean of its per-competency scores.

Competencies are the ``score_*`` fields of the performance_review entity (five built in;
a practice that adds ``score_empathy`` to its schema gets an ``empathy`` competency).
Every competency weighs 1 unless ``weights`` says otherwise; weight 0 leaves it out.

An overall appears only once every weighted competency is scored, except the
``optional`` ones (clinical skills by default: front-desk and billing staff have none),
which count when scored and are skipped when blank. A half-filled review has no overall,
so nobody reads 4.5 off two scores of five.

Rounding: two decimals, half up (3.125 → 3.13), computed exactly (fractions) so the
result is the one a person gets on paper, not a binary-float artefact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

PREFIX = "score_"
CENTS = Decimal("0.01")


def competencies(field_names: Iterable[str]) -> list[str]:
    return [name.removeprefix(PREFIX) for name in field_names if name.startswith(PREFIX)]


def overall(
    record: Mapping[str, Any], names: Iterable[str], weights: Mapping[str, float], optional: Iterable[str]
) -> float | None:
    skip_if_blank = set(optional)
    total, weight_sum = Fraction(0), Fraction(0)
    for name in names:
        weight = Fraction(str(weights.get(name, 1)))
        if weight == 0:
            continue
        score = record.get(PREFIX + name)
        if score is None:
            if name in skip_if_blank:
                continue
            return None
        total += weight * Fraction(str(score))
        weight_sum += weight
    if weight_sum == 0:
        return None
    mean = total / weight_sum
    exact = Decimal(mean.numerator) / Decimal(mean.denominator)
    return float(exact.quantize(CENTS, rounding=ROUND_HALF_UP))
