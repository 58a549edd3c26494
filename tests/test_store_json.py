"""The store's one JSON form: every value as the standard encoder writes it, whichever encoder wrote it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicops.core.store_sql import dumps, loads


def standard(data: object) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# what records hold, floats apart: text of any character (lone surrogates too), integers of any
# size, booleans, none, and lists and objects of them
plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(plain)
def test_a_value_without_floats_is_written_byte_for_byte_as_the_standard_encoder_writes_it(data: object) -> None:
    assert dumps(data) == standard(data)
    assert loads(dumps(data)) == data


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_finite_number_reads_back_as_the_same_number(x: float) -> None:
    assert loads(dumps({"amount": x})) == {"amount": x}
    assert math.copysign(1, loads(dumps([x]))[0]) == math.copysign(1, x)


class Status(enum.IntEnum):
    open = 1


class Code(enum.StrEnum):
    a = "A1"


def test_kinds_the_standard_encoder_writes_its_own_way_are_written_its_way() -> None:
    data = {"n": Status.open, "c": Code.a, "big": 2**70, "t": (1, "x"), "k": "\ud800"}
    assert dumps(data) == standard(data)
    assert dumps({2: "b", 1: "a"}) == standard({2: "b", 1: "a"}) == '{"1":"a","2":"b"}'


def test_what_the_standard_encoder_refuses_is_refused() -> None:
    @dataclasses.dataclass
    class Point:
        x: int

    for value in (dt.date(2026, 3, 4), dt.datetime(2026, 3, 4, 9, 30), Point(1), {1, 2}):
        with pytest.raises(TypeError):
            dumps({"v": value})


def test_a_text_an_older_store_wrote_with_nan_still_reads() -> None:
    assert math.isnan(loads('{"x":NaN}')["x"])
    assert loads(b'{"a":[1,"\\u00e9"]}') == {"a": [1, "é"]}
