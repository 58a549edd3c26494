"""Vaccine storage temperatures (CDC, Vaccine Storage and Handling Toolkit, 2024 update).

- Refrigerator: between 2 °C and 8 °C (36 °F and 46 °F).
- Freezer: between −50 °C and −15 °C (−58 °F and +5 °F).

Any reading outside the range, current, minimum or maximum, is a temperature excursion:
the toolkit asks staff to label the vaccines "Do Not Use", keep them stored at the right
temperature, and call the manufacturers before using them, then record what was done.
"""

from __future__ import annotations

from typing import Any

RANGES: dict[str, tuple[float, float]] = {"refrigerator": (2.0, 8.0), "freezer": (-50.0, -15.0)}
READINGS = (("reading_c", "reading"), ("min_c", "minimum"), ("max_c", "maximum"))


def excursions(row: dict[str, Any]) -> list[str]:
    """What was out of range in one log row, e.g. ``['maximum 9.4 °C']``; empty when all is well."""
    low, high = RANGES[row["kind"]]
    return [
        f"{label} {row[field]:g} °C"
        for field, label in READINGS
        if row.get(field) is not None and not low <= row[field] <= high
    ]
