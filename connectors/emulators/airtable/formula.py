"""The ``filterByFormula`` language, the subset a sync needs: parsed, then evaluated per record.

Grammar (lowest precedence first)::

    comparison := concat (("=" | "!=" | "<>" | "<" | ">" | "<=" | ">=") concat)*
    concat     := additive ("&" additive)*
    additive   := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := "-" unary | primary
    primary    := number | string | "{" field name "}" | bare_field_name
                | FUNCTION "(" [comparison ("," comparison)*] ")" | "(" comparison ")"

Functions (case-insensitive): AND, OR, NOT, IF, BLANK, TRUE, FALSE, RECORD_ID, LOWER,
UPPER, TRIM, LEN, FIND, SEARCH, CONCATENATE, VALUE. Values follow Airtable's loose
rules: an empty cell is BLANK(), equal to ``""``, ``0`` and ``FALSE()``; a string is
compared to a number as a number when it reads as one; a record is kept when the formula's
value is truthy (non-empty text, a non-zero number, true). A formula that fails to
evaluate for a record (a division by zero) leaves that record out, as ``#ERROR!`` does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from . import errors

_INVALID = "Invalid formula. Please check your formula text."

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<field>\{(?:[^}\\]|\\.)*\})
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>!=|<>|<=|>=|[=<>&+\-*/(),])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


class Env(Protocol):
    """What a formula may read from a record."""

    record_id: str

    def value(self, field_id: str) -> Any:
        """The field's value in formula terms (None when the cell is empty)."""
        ...


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def _unescape(body: str) -> str:
    return _ESCAPE.sub(lambda match: _ESCAPES.get(match.group(1), match.group(1)), body)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise errors.invalid_formula(_INVALID)
        position = match.end()
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(_Token(kind, match.group()))
    return tokens


# Expression tree: each node evaluates itself against a record.


class _Node:
    def evaluate(self, env: Env) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class _Literal(_Node):
    value: Any

    def evaluate(self, env: Env) -> Any:
        return self.value


@dataclass(frozen=True)
class _FieldRef(_Node):
    field_id: str

    def evaluate(self, env: Env) -> Any:
        return env.value(self.field_id)


@dataclass(frozen=True)
class _Negate(_Node):
    operand: _Node

    def evaluate(self, env: Env) -> Any:
        number = to_number(self.operand.evaluate(env))
        return None if number is None else -number


@dataclass(frozen=True)
class _Binary(_Node):
    op: str
    left: _Node
    right: _Node

    def evaluate(self, env: Env) -> Any:
        left, right = self.left.evaluate(env), self.right.evaluate(env)
        if self.op == "&":
            return to_text(left) + to_text(right)
        if self.op in ("=", "!=", "<>"):
            equal = values_equal(left, right)
            return equal if self.op == "=" else not equal
        if self.op in ("<", ">", "<=", ">="):
            return _compare(self.op, left, right)
        a, b = to_number(left), to_number(right)
        if a is None or b is None:
            return None
        if self.op == "+":
            return a + b
        if self.op == "-":
            return a - b
        if self.op == "*":
            return a * b
        return None if b == 0 else a / b


@dataclass(frozen=True)
class _Call(_Node):
    name: str
    args: tuple[_Node, ...]

    def evaluate(self, env: Env) -> Any:
        return _FUNCTIONS[self.name][2](env, self.args)


def is_truthy(value: Any) -> bool:
    """Airtable's truth: non-empty text, a non-zero number, true."""
    if value is None:
        return False
    if isinstance(value, str):
        return value != ""
    return bool(value)


def to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_number(value: Any) -> float | None:
    """A value as a number: blank is 0, true is 1; None when text does not read as one."""
    if value is None:
        return 0.0
    if isinstance(value, bool | int | float):
        return float(value)
    try:
        return float(str(value).strip().replace(",", ""))
    except ValueError:
        return None


def _is_numeric(value: Any) -> bool:
    return isinstance(value, bool | int | float)


def values_equal(left: Any, right: Any) -> bool:
    """``=`` in Airtable formulas: blank equals the empty values; text meets numbers."""
    if left is None or right is None:
        other = right if left is None else left
        return other is None or other == "" or (_is_numeric(other) and other == 0)
    if _is_numeric(left) and _is_numeric(right):
        return float(left) == float(right)
    if _is_numeric(left) or _is_numeric(right):
        a, b = to_number(left), to_number(right)
        return a is not None and b is not None and a == b
    return to_text(left) == to_text(right)


def _compare(op: str, left: Any, right: Any) -> bool:
    a: Any
    b: Any
    a, b = to_number(left), to_number(right)
    both_text = isinstance(left, str) and isinstance(right, str)
    if both_text or a is None or b is None:
        a, b = to_text(left), to_text(right)
    if op == "<":
        return a < b
    if op == ">":
        return a > b
    if op == "<=":
        return a <= b
    return a >= b


def _and(env: Env, args: tuple[_Node, ...]) -> bool:
    return all(is_truthy(arg.evaluate(env)) for arg in args)


def _or(env: Env, args: tuple[_Node, ...]) -> bool:
    return any(is_truthy(arg.evaluate(env)) for arg in args)


def _if(env: Env, args: tuple[_Node, ...]) -> Any:
    if is_truthy(args[0].evaluate(env)):
        return args[1].evaluate(env)
    return args[2].evaluate(env) if len(args) > 2 else None


def _find(env: Env, args: tuple[_Node, ...], *, missing: Any) -> Any:
    needle, haystack = to_text(args[0].evaluate(env)), to_text(args[1].evaluate(env))
    start = to_number(args[2].evaluate(env)) if len(args) > 2 else 1.0
    index = haystack.find(needle, max(int(start or 1) - 1, 0))
    return missing if index < 0 else index + 1


def _text_function(transform: Callable[[str], Any]) -> Callable[[Env, tuple[_Node, ...]], Any]:
    return lambda env, args: transform(to_text(args[0].evaluate(env)))


#: name -> (fewest arguments, most arguments or None for any, implementation)
_FUNCTIONS: dict[str, tuple[int, int | None, Callable[[Env, tuple[_Node, ...]], Any]]] = {
    "AND": (1, None, _and),
    "OR": (1, None, _or),
    "NOT": (1, 1, lambda env, args: not is_truthy(args[0].evaluate(env))),
    "IF": (2, 3, _if),
    "BLANK": (0, 0, lambda env, args: None),
    "TRUE": (0, 0, lambda env, args: True),
    "FALSE": (0, 0, lambda env, args: False),
    "RECORD_ID": (0, 0, lambda env, args: env.record_id),
    "LOWER": (1, 1, _text_function(str.lower)),
    "UPPER": (1, 1, _text_function(str.upper)),
    "TRIM": (1, 1, _text_function(str.strip)),
    "LEN": (1, 1, _text_function(len)),
    "FIND": (2, 3, lambda env, args: _find(env, args, missing=0)),
    "SEARCH": (2, 3, lambda env, args: _find(env, args, missing=None)),
    "CONCATENATE": (1, None, lambda env, args: "".join(to_text(a.evaluate(env)) for a in args)),
    "VALUE": (1, 1, lambda env, args: to_number(args[0].evaluate(env))),
}


class _Parser:
    """Recursive descent over the tokens; field names are resolved to ids as they appear."""

    def __init__(self, tokens: list[_Token], resolve_field: Callable[[str], str | None]) -> None:
        self.tokens = tokens
        self.position = 0
        self.resolve_field = resolve_field
        self.unknown_fields: list[str] = []

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise errors.invalid_formula(_INVALID)
        self.position += 1
        return token

    def expect(self, text: str) -> None:
        if self.take().text != text:
            raise errors.invalid_formula(_INVALID)

    def at_op(self, *ops: str) -> str | None:
        token = self.peek()
        if token is not None and token.kind == "op" and token.text in ops:
            self.position += 1
            return token.text
        return None

    def binary(self, operand: Callable[[], _Node], *ops: str) -> _Node:
        node = operand()
        while (op := self.at_op(*ops)) is not None:
            node = _Binary(op, node, operand())
        return node

    def comparison(self) -> _Node:
        return self.binary(self.concat, "=", "!=", "<>", "<", ">", "<=", ">=")

    def concat(self) -> _Node:
        return self.binary(self.additive, "&")

    def additive(self) -> _Node:
        return self.binary(self.term, "+", "-")

    def term(self) -> _Node:
        return self.binary(self.unary, "*", "/")

    def unary(self) -> _Node:
        if self.at_op("-"):
            return _Negate(self.unary())
        return self.primary()

    def field(self, name: str) -> _Node:
        field_id = self.resolve_field(name)
        if field_id is None:
            self.unknown_fields.append(name)
            return _Literal(None)
        return _FieldRef(field_id)

    def primary(self) -> _Node:
        token = self.take()
        if token.kind == "number":
            return _Literal(float(token.text))
        if token.kind == "string":
            return _Literal(_unescape(token.text[1:-1]))
        if token.kind == "field":
            return self.field(_unescape(token.text[1:-1]))
        if token.kind == "name":
            following = self.peek()
            if following is not None and following.text == "(":
                return self.call(token.text)
            return self.field(token.text)
        if token.text == "(":
            node = self.comparison()
            self.expect(")")
            return node
        raise errors.invalid_formula(_INVALID)

    def call(self, name: str) -> _Node:
        self.expect("(")
        args: list[_Node] = []
        if not self.at_op(")"):
            args.append(self.comparison())
            while self.at_op(","):
                args.append(self.comparison())
            self.expect(")")
        spec = _FUNCTIONS.get(name.upper())
        if spec is None:
            raise errors.invalid_formula(f"Unknown function names: {name}")
        fewest, most, _ = spec
        if len(args) < fewest or (most is not None and len(args) > most):
            raise errors.invalid_formula(_INVALID)
        return _Call(name.upper(), tuple(args))


class Formula:
    """A parsed formula, ready to test records."""

    def __init__(self, root: _Node) -> None:
        self._root = root

    def matches(self, env: Env) -> bool:
        """Whether the record passes the filter."""
        return is_truthy(self._root.evaluate(env))


def parse(text: str, resolve_field: Callable[[str], str | None]) -> Formula:
    """Parse ``text``; ``resolve_field`` maps a field name (or id) to its id, or None.

    Raises the API's ``INVALID_FILTER_BY_FORMULA`` error for bad syntax, unknown
    functions and unknown field names.
    """
    parser = _Parser(_tokenize(text), resolve_field)
    if not parser.tokens:
        raise errors.invalid_formula(_INVALID)
    root = parser.comparison()
    if parser.peek() is not None:
        raise errors.invalid_formula(_INVALID)
    if parser.unknown_fields:
        raise errors.invalid_formula(f"Unknown field names: {', '.join(parser.unknown_fields)}")
    return Formula(root)
