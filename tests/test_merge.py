"""The three-way merge, as a specification and as properties over random records."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clinicops.core.merge import merge_record

FIELDS = ["a", "b", "c", "d", "e"]
values = st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["x", "y", "z"]))
records = st.fixed_dictionaries({}, optional={f: values for f in FIELDS}).map(
    lambda d: {k: v for k, v in d.items() if v is not None}
)
owned = st.frozensets(st.sampled_from(FIELDS))


def test_change_on_one_side_is_taken() -> None:
    base = {"a": 1, "b": 1}
    result = merge_record(base, {"a": 2, "b": 1}, {"a": 1, "b": 3})
    assert result.record == {"a": 2, "b": 3}
    assert result.conflicts == ()


def test_both_sides_changed_staff_field_sheet_wins_and_loser_reported() -> None:
    result = merge_record({"a": 1}, {"a": 2}, {"a": 3})
    assert result.record == {"a": 3}
    [c] = result.conflicts
    assert (c.field, c.kept, c.lost, c.winner) == ("a", 3, 2, "sheet")


def test_both_sides_changed_plugin_field_store_wins() -> None:
    result = merge_record({"a": 1}, {"a": 2}, {"a": 3}, frozenset({"a"}))
    assert result.record == {"a": 2}
    assert result.conflicts[0].winner == "store"


def test_same_change_on_both_sides_is_no_conflict() -> None:
    result = merge_record({"a": 1}, {"a": 2}, {"a": 2})
    assert result.record == {"a": 2} and result.conflicts == ()


def test_cleared_on_one_side_is_a_change() -> None:
    result = merge_record({"a": 1, "b": 2}, {"a": 1, "b": 2}, {"b": 2})
    assert result.record == {"b": 2}


@given(base=records, store=records, sheet=records, plugin_owned=owned)
def test_no_value_changed_on_exactly_one_side_is_lost(base, store, sheet, plugin_owned) -> None:
    result = merge_record(base, store, sheet, plugin_owned)
    for f in FIELDS:
        b, r, s = base.get(f), store.get(f), sheet.get(f)
        if r != b and s == b:
            assert result.record.get(f) == r
        if s != b and r == b:
            assert result.record.get(f) == s


@given(base=records, store=records, sheet=records, plugin_owned=owned)
def test_every_merged_value_comes_from_a_side_and_every_loss_is_reported(base, store, sheet, plugin_owned) -> None:
    result = merge_record(base, store, sheet, plugin_owned)
    conflicted = {c.field: c for c in result.conflicts}
    for f in FIELDS:
        merged, r, s = result.record.get(f), store.get(f), sheet.get(f)
        assert merged in (r, s)
        if r != s and f not in conflicted:
            assert base.get(f) in (r, s)
        if f in conflicted:
            c = conflicted[f]
            assert {c.kept, c.lost} == {r, s}
            assert (c.winner == "store") == (f in plugin_owned)


@given(base=records, store=records, sheet=records)
def test_merge_is_idempotent(base, store, sheet) -> None:
    first = merge_record(base, store, sheet).record
    again = merge_record(first, first, first).record
    assert again == first
