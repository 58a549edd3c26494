"""No function in the core is longer than a screen: each one can be read, and tested, on its own.

A function's length runs from its ``def`` line to its last line, docstring included; a
function nested in another counts within it and is measured again on its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 60


def long_functions(source: str) -> list[tuple[str, int, int]]:
    """(name, first line, length) of every function in ``source`` longer than ``MAX_LINES``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_LINES:
                found.append((node.name, node.lineno, length))
    return found


def test_no_function_in_the_core_is_longer_than_sixty_lines() -> None:
    offenders = [
        f"{file.relative_to(ROOT).as_posix()}:{line} {name} ({length} lines)"
        for file in sorted((ROOT / "core").rglob("*.py"))
        for name, line, length in long_functions(file.read_text(encoding="utf-8"))
    ]
    assert not offenders, "functions over 60 lines: " + ", ".join(offenders)


def test_a_long_function_is_found() -> None:
    body = "\n".join(f"    x = {i}" for i in range(MAX_LINES))
    assert long_functions(f"def short():\n    return 1\n\ndef long():\n{body}\n") == [("long", 4, MAX_LINES + 1)]
