"""``docs/architecture.md`` and the code agree: its module map names modules that exist and
every module of the core, and its store tables are the tables the code creates."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
PATH = re.compile(r"`((?:api|core|connectors|plugins|schemas|examples|tests)/[\w./]*)`")


def section(title: str) -> str:
    """The text under ``## title``, up to the next ``## `` heading."""
    parts = re.split(r"(?m)^## (.+?)\s*$", DOC.read_text(encoding="utf-8"))
    found = dict(zip(parts[1::2], parts[2::2], strict=True))
    assert title in found, f"docs/architecture.md has no '## {title}' section"
    return found[title]


def first_column(text: str) -> list[str]:
    """The backticked names in the first column of a section's tables."""
    cells = (line.split("|")[1] for line in text.splitlines() if line.startswith("|") and not line.startswith("|-"))
    return [name for cell in cells for name in re.findall(r"`([^`]+)`", cell)]


def mapped() -> list[str]:
    return [name for name in first_column(section("Module map")) if PATH.fullmatch(f"`{name}`")]


def test_the_module_map_is_found() -> None:
    assert "core/sync.py" in mapped()


def test_every_path_the_document_names_exists() -> None:
    named = set(PATH.findall(DOC.read_text(encoding="utf-8")))
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, f"docs/architecture.md names {missing[0]}, which does not exist"


def test_every_mapped_module_exists() -> None:
    for name in mapped():
        path = ROOT / name
        assert path.is_dir() if name.endswith("/") else path.is_file(), f"the module map names {name}: not found"


def test_every_core_module_is_in_the_map() -> None:
    listed = mapped()
    folders = [ROOT / name for name in listed if name.endswith("/")]
    for file in sorted((ROOT / "core").rglob("*.py")):
        if file.name == "__init__.py" and file.parent == ROOT / "core":
            continue
        rel = file.relative_to(ROOT).as_posix()
        covered = rel in listed or any(folder in file.parents for folder in folders)
        assert covered, f"{rel} is missing from the module map in docs/architecture.md"


def created_tables() -> set[str]:
    """Every table the core or a built-in plugin declares: ``Table("name", …)`` in its source."""
    names: set[str] = set()
    for folder in ("core", "plugins"):
        for file in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", None) == "Table"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    names.add(node.args[0].value)
    return names


def test_the_store_tables_are_the_tables_the_code_creates() -> None:
    code = created_tables()
    assert {"records", "versions", "sync_base", "access_log"} <= code  # the reader finds them
    documented = set(first_column(section("The store's tables")))
    assert code <= documented, f"{sorted(code - documented)[:1]} is created by the code but not in docs/architecture.md"
    assert documented <= code, f"docs/architecture.md lists {sorted(documented - code)[:1]}, which no code creates"
