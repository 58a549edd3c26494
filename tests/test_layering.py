"""The layers and their import rules, checked on the source of every module (its AST, every import
statement, at module top or inside a function):

- the core never imports a plugin or an emulator;
- a connector (outside ``connectors/emulators/``) never imports an emulator, nor the engine
  (the store, the sync, the practice, its config…): only the leaf utilities listed in
  ``CONNECTOR_MAY_USE``;
- a plugin imports nothing of clinicops but the public API (``clinicops`` itself) and its own package,
  and reaches the store only through ``practice.storage(NAME)``: no ``.tx``, ``.pm``, ``.conn``
  or engine, and no name ``conn`` (the view exposes none of them, and a plugin that went
  looking for them behind the view would be reaching past the API);
- nothing in the product imports the emulators, which reach ``clinicops`` only as a tool.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Source folder -> the package it is installed as (pyproject's ``package-dir``).
PACKAGES = {
    "api": "clinicops",
    "core": "clinicops.core",
    "connectors": "clinicops.connectors",
    "plugins": "clinicops.plugins",
    "schemas": "clinicops.schemas",
    "examples": "clinicops.examples",
}
EMULATORS = "clinicops.connectors.emulators"
#: What a connector may take from the core: leaf utilities that know nothing of a practice or a sync.
CONNECTOR_MAY_USE = frozenset({"clinicops.core.clock", "clinicops.core.errors", "clinicops.core.private_files"})


def modules(folder: str) -> Iterator[tuple[str, Path]]:
    """(dotted name, file) of every module under a source folder."""
    base = ROOT / folder
    for file in sorted(base.rglob("*.py")):
        parts = list(file.relative_to(base).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join([PACKAGES[folder], *parts]), file


def is_module(dotted: str) -> bool:
    """True when ``dotted`` names a module or package of this repository (not a name inside one)."""
    for folder, package in sorted(PACKAGES.items(), key=lambda item: -len(item[1])):
        if within(dotted, package):
            rest = dotted[len(package) :].lstrip(".").split(".") if dotted != package else []
            path = ROOT.joinpath(folder, *rest)
            return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()
    return False


def imports(name: str, file: Path) -> set[str]:
    """Every module ``file`` imports, absolute; ``from x import y`` counts as x, and as x.y when y is a module."""
    package = name if file.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"), str(file))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*anchor, source] if source else anchor)
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names if is_module(f"{source}.{alias.name}"))
    return found


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_import_reader_resolves_relative_imports() -> None:
    file = ROOT / "connectors" / "gsheets" / "backend.py"
    found = imports("clinicops.connectors.gsheets.backend", file)
    assert "clinicops.connectors.gsheets.api" in found
    assert "clinicops.connectors.base" in found


def core_breaks(found: set[str]) -> list[str]:
    """What the core may not import: plugins and emulators."""
    return sorted(m for m in found if within(m, "clinicops.plugins") or within(m, EMULATORS))


def connector_breaks(found: set[str]) -> list[str]:
    """What a connector may not import: emulators, plugins, and the core beyond its leaf utilities."""
    engine = {m for m in found if within(m, "clinicops.core") and m != "clinicops.core"}
    engine -= {m for m in engine if any(within(m, ok) for ok in CONNECTOR_MAY_USE)}
    return sorted(engine | {m for m in found if within(m, EMULATORS) or within(m, "clinicops.plugins")})


def test_the_rules_catch_what_they_forbid() -> None:
    assert core_breaks({"clinicops.connectors.base", "clinicops.plugins.billing.codes"}) == [
        "clinicops.plugins.billing.codes"
    ]
    assert core_breaks({"clinicops.connectors.emulators.sheets"}) == ["clinicops.connectors.emulators.sheets"]
    found = {"clinicops.core", "clinicops.core.clock", "clinicops.core.clock.SystemClock", "clinicops.core.store"}
    assert connector_breaks(found) == ["clinicops.core.store"]
    assert connector_breaks({"clinicops.core.config", "clinicops.connectors.emulators"}) == [
        "clinicops.connectors.emulators",
        "clinicops.core.config",
    ]


def plugin_breaks(name: str, found: set[str]) -> list[str]:
    """What a plugin may not import: anything of clinicops beyond ``clinicops`` itself and its own package."""
    own = ".".join(name.split(".")[:3])
    return sorted(m for m in found if within(m, "clinicops") and m != "clinicops" and not within(m, own))


def test_the_plugin_rule_allows_the_public_api_and_its_own_package_only() -> None:
    found = {"clinicops", "clinicops.plugins.billing.codes", "clinicops.core.store", "clinicops.plugins.sms"}
    assert plugin_breaks("clinicops.plugins.billing.receivables", found) == [
        "clinicops.core.store",
        "clinicops.plugins.sms",
    ]
    # ``from clinicops import Alert, hookimpl`` imports the module clinicops, not modules named Alert or hookimpl
    plugin = imports("clinicops.plugins.credentials", ROOT / "plugins" / "credentials.py")
    assert "clinicops" in plugin and not any(m.startswith(("clinicops.Alert", "clinicops.hookimpl")) for m in plugin)


def ids(value: object) -> str:
    return value if isinstance(value, str) else ""


@pytest.mark.parametrize(("name", "file"), list(modules("core")), ids=ids)
def test_the_core_imports_no_plugin_and_no_emulator(name: str, file: Path) -> None:
    wrong = core_breaks(imports(name, file))
    assert not wrong, f"{name} imports {wrong[0]}"


@pytest.mark.parametrize(
    ("name", "file"), [(n, f) for n, f in modules("connectors") if not within(n, EMULATORS)], ids=ids
)
def test_a_connector_imports_no_emulator_and_nothing_of_the_engine(name: str, file: Path) -> None:
    wrong = connector_breaks(imports(name, file))
    assert not wrong, f"{name} imports {wrong[0]}"


@pytest.mark.parametrize(("name", "file"), [m for m in modules("plugins") if m[0] != "clinicops.plugins"], ids=ids)
def test_a_plugin_imports_only_the_public_api_and_its_own_package(name: str, file: Path) -> None:
    wrong = plugin_breaks(name, imports(name, file))
    assert not wrong, f"{name} imports {wrong[0]}"


@pytest.mark.parametrize(("name", "file"), list(modules("api")), ids=ids)
def test_the_public_api_imports_no_plugin_and_no_emulator(name: str, file: Path) -> None:
    wrong = core_breaks(imports(name, file))
    assert not wrong, f"{name} imports {wrong[0]}"


#: What a plugin never touches: the view's transaction and plugin manager (which it does not
#: expose) and a database connection or engine of any kind.
PLUGIN_MAY_NOT_REACH = frozenset({"tx", "_tx", "pm", "_practice", "conn", "engine", "connection", "dbapi_connection"})


def reaches(file: Path) -> list[str]:
    """Each ``.tx``/``.pm``/``.conn``-like attribute and each name ``conn`` in a module, as ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"), str(file))):
        if isinstance(node, ast.Attribute) and node.attr in PLUGIN_MAY_NOT_REACH:
            found.append(f"{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Name) and node.id == "conn":
            found.append(f"{node.lineno}: conn")
        elif isinstance(node, ast.arg) and node.arg == "conn":
            found.append(f"{node.lineno}: argument conn")
    return found


def test_the_reach_rule_catches_what_it_forbids(tmp_path: Path) -> None:
    plugin = tmp_path / "sneaky.py"
    plugin.write_text(
        "def collect_alerts(practice):\n"
        "    conn = practice.tx.conn\n"
        "    practice.pm.hook.collect_alerts(practice=practice)\n"
        "    return practice.storage('sneaky').execute(None)\n"
    )
    assert reaches(plugin) == ["2: conn", "2: .conn", "2: .tx", "3: .pm"]


@pytest.mark.parametrize(("name", "file"), [m for m in modules("plugins") if m[0] != "clinicops.plugins"], ids=ids)
def test_a_plugin_reaches_no_transaction_plugin_manager_or_connection(name: str, file: Path) -> None:
    wrong = reaches(file)
    assert not wrong, f"{name} line {wrong[0]}: a plugin reaches the store through practice.storage(NAME) only"


def test_the_view_a_plugin_gets_exposes_no_transaction_and_no_plugin_manager(tmp_path: Path) -> None:
    from clinicops.core.practice import Practice, plugin_manager, store_tx

    from .conftest import write_config

    write_config(tmp_path, plugins=[])
    practice = Practice.open(tmp_path)
    try:
        with practice.view() as view:
            for name in ("tx", "pm", "conn", "engine"):
                assert not hasattr(view, name), f"PracticeView exposes .{name}"
            assert store_tx(view).conn is not None and plugin_manager(view) is practice.pm  # the core's own way in
    finally:
        practice.close()
