"""The ``filterByFormula`` subset: parsing, Airtable's loose value rules, and errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicops.connectors.emulators.airtable import formula
from clinicops.connectors.emulators.airtable.errors import ApiError

FIELDS = {"Name", "Visits", "Notes", "Active", "Due date"}


class Row:
    """A record as a formula sees it: field values by id (here, id == name)."""

    def __init__(self, record_id: str = "recRow00000000001", **values: Any) -> None:
        self.record_id = record_id
        self.values = {name.replace("_", " "): value for name, value in values.items()}

    def value(self, field_id: str) -> Any:
        return self.values.get(field_id)


def resolve(name: str) -> str | None:
    return name if name in FIELDS else None


def passes(text: str, row: Row | None = None) -> bool:
    return formula.parse(text, resolve).matches(row or Row())


def quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def test_operators_follow_arithmetic_then_concatenation_then_comparison() -> None:
    assert passes("1 + 2 * 3 = 7")
    assert passes("(1 + 2) * 3 = 9")
    assert passes("10 - 4 - 3 = 3")
    assert passes("1 & 2 + 3 = '15'")
    assert passes("-{Visits} < 0", Row(Visits=2))
    assert not passes("1 = 2")


def test_field_references_in_braces_or_bare() -> None:
    row = Row(Name="Ana", Visits=3, Due_date="2026-05-01")
    assert passes("{Name} = 'Ana'", row)
    assert passes("Visits >= 3", row)
    assert passes('{Due date} = "2026-05-01"', row)


def test_blank_equals_the_empty_values() -> None:
    empty = Row()
    assert passes("{Name} = ''", empty)
    assert passes("{Visits} = 0", empty)
    assert passes("{Visits} = BLANK()", empty)
    assert passes("BLANK() = FALSE()")
    assert not passes("{Name} = BLANK()", Row(Name="Ana"))
    assert not passes("{Name}", empty)


def test_text_is_compared_to_numbers_as_a_number() -> None:
    assert passes("{Visits} = '5'", Row(Visits=5))
    assert passes("'10' > 9")
    assert not passes("{Visits} = 'five'", Row(Visits=5))
    assert passes("'abc' < 'abd'")


def test_functions_are_case_insensitive_and_check_their_arguments() -> None:
    row = Row(Name="  Ana Lopez ", Visits=2, Active=True)
    assert passes("and({Active}, or({Visits} = 1, {Visits} = 2))", row)
    assert passes("NOT(AND({Active}, FALSE()))", row)
    assert passes("IF({Visits} > 1, 'many', 'few') = 'many'", row)
    assert passes("TRIM({Name}) = 'Ana Lopez'", row)
    assert passes("UPPER(TRIM({Name})) = 'ANA LOPEZ'", row)
    assert passes("LEN(TRIM({Name})) = 9", row)
    assert passes("FIND('Lopez', {Name}) = 7", row)
    assert passes("SEARCH('zz', {Name}) = BLANK()", row)
    assert passes("CONCATENATE('a', 1, TRUE()) = 'a11'")
    assert passes("VALUE('1,200') = 1200")
    assert passes("RECORD_ID() = 'recX'", Row(record_id="recX"))


def test_a_formula_that_errors_for_a_record_leaves_it_out() -> None:
    assert not passes("1 / {Visits} > 0", Row(Visits=0))
    assert passes("1 / {Visits} > 0", Row(Visits=4))


def test_string_literals_take_either_quote_and_backslash_escapes() -> None:
    assert passes('{Name} = "O\'Hara"', Row(Name="O'Hara"))
    assert passes("{Name} = 'O\\'Hara'", Row(Name="O'Hara"))
    assert passes("{Notes} = 'line\\nbreak'", Row(Notes="line\nbreak"))


@given(st.text())
def test_any_text_round_trips_through_an_escaped_literal(text: str) -> None:
    assert passes(f"{{Name}} = {quoted(text)}", Row(Name=text))
    assert not passes(f"{{Name}} = {quoted(text + 'x')}", Row(Name=text))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{Name} =",
        "AND({Name} = 'x'",
        "{Name} = 'x')",
        "'unclosed",
        "1 2",
        "NOT()",
        "IF(1)",
        "#",
    ],
)
def test_malformed_formulas_are_invalid_filter_by_formula(text: str) -> None:
    with pytest.raises(ApiError) as raised:
        formula.parse(text, resolve)
    assert (raised.value.status, raised.value.error_type) == (422, "INVALID_FILTER_BY_FORMULA")


def test_unknown_names_are_reported_by_name() -> None:
    with pytest.raises(ApiError) as fields:
        formula.parse("AND({Nmae} = 1, Vists = 2)", resolve)
    assert fields.value.message.endswith("Unknown field names: Nmae, Vists")
    with pytest.raises(ApiError) as functions:
        formula.parse("REGEX_MATCH({Name}, 'a')", resolve)
    assert functions.value.message.endswith("Unknown function names: REGEX_MATCH")
