"""The plugin author's guide and the code agree: every hook and every argument is documented."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import clinicops
from clinicops.core import hookspecs

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
HOOKS = {name: fn for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, "clinicops_spec")}


def sections() -> dict[str, str]:
    """``### name`` heading -> the text under it, up to the next heading."""
    parts = re.split(r"(?m)^### (\w+)\s*$", GUIDE.read_text(encoding="utf-8"))
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_hook_is_documented_with_every_argument(hook: str) -> None:
    text = sections().get(hook)
    assert text is not None, f"docs/plugins.md has no '### {hook}' section"
    signature = f"{hook}({', '.join(inspect.signature(HOOKS[hook]).parameters)})"
    assert f"`{signature}`" in text, f"the section of {hook} does not show `{signature}`"
    for argument in inspect.signature(HOOKS[hook]).parameters:
        if argument != "practice":  # documented once, for every hook, above the hooks
            assert f"`{argument}`" in text.split("\n", 2)[-1], f"argument {argument} of {hook} is not described"


def test_the_guide_documents_no_hook_that_does_not_exist() -> None:
    assert set(sections()) == set(HOOKS)


def test_every_public_name_is_in_the_guide() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    for name in clinicops.__all__:
        if name != "__version__" and name != "SEVERITIES":
            assert f"`{name}" in text, f"{name} is exported by clinicops but not in docs/plugins.md"
