"""Small helpers the demo practice's generator modules share.

Rows are built against the entity JSON Schemas, so the demo always has exactly the
columns the sheets have and ids carry each schema's own prefix. The random helpers take
an explicit `random.Random`: the demo never touches global random state, which keeps
it reproducible inside any program that also uses `random`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
import re
from importlib import resources
from typing import Any

Row = dict[str, Any]


@functools.cache
def _schema(entity: str) -> dict[str, Any]:
    """The entity's JSON Schema, read once: it names the columns and the id prefix."""
    text = resources.files("clinicops.schemas").joinpath(f"{entity}.schema.json").read_text()
    return json.loads(text)


def make_id(entity: str, number: int) -> str:
    """An id the way clinicops assigns them: the schema's `x-id-prefix` and six digits."""
    return f"{_schema(entity)['x-id-prefix']}{number:06d}"


def row(entity: str, **cells: Any) -> Row:
    """A row with every column of the entity, in schema order, blank where nothing was typed.

    Unknown names raise, so a typo here cannot quietly create a column the schema lacks.
    """
    columns = tuple(_schema(entity)["properties"])
    unknown = set(cells) - set(columns)
    if unknown:
        raise ValueError(f"{entity} has no column {sorted(unknown)}")
    return {name: cells.get(name) for name in columns}


def weighted(rng: random.Random, options: tuple[tuple[Any, int], ...]) -> Any:
    """One value from `(value, relative weight)` pairs."""
    values = [value for value, _ in options]
    weights = [weight for _, weight in options]
    return rng.choices(values, weights=weights)[0]


def digits(rng: random.Random, count: int) -> str:
    """A string of random digits; kept as text, since leading zeros matter in ids."""
    return "".join(rng.choice("0123456789") for _ in range(count))


def letters(rng: random.Random, count: int, alphabet: str = "ABCDEFGHJKMNPQRTUVWXY") -> str:
    """Random capitals, by default without the ones easily misread as digits (I, L, O, S, Z)."""
    return "".join(rng.choice(alphabet) for _ in range(count))


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later or earlier (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def years_between(born: dt.date, on: dt.date) -> int:
    """Age in completed years, as a birthday counts it."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def weekday_on_or_before(day: dt.date) -> dt.date:
    """The practice is closed at weekends: move a date back to the Friday before."""
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def slug(name: str) -> str:
    """A name reduced to lowercase ASCII letters, for building email addresses."""
    return re.sub(r"[^a-z]", "", name.lower())
