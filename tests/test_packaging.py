"""The install ships every package folder: a folder missing from pyproject works in a checkout
and breaks for users."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    for package, folder in config["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            name = ".".join([package, *relative.parts]) if relative.parts else package
            assert name in listed, f"{name} ({init.parent}) is not in [tool.setuptools] packages"


def test_required_top_level_layout_exists() -> None:
    for name in ("pyproject.toml", "core", "plugins", "schemas", "connectors", "examples", "tests", "README.md"):
        assert (ROOT / name).exists(), name
