"""The codes on a claim: CPT and HCPCS Level II procedures, modifiers, ICD-10-CM diagnoses, NPIs.

- **CPT** is the AMA's licensed code set, so its *format* is checked, not a list: five
  characters, four digits and then a digit (Category I, ``99213``), ``F`` (Category II
  performance measures, ``3074F``), ``T`` (Category III emerging technology, ``0042T``) or
  ``U`` (proprietary laboratory analyses, ``0001U``).
- **HCPCS Level II** (supplies, drugs, vaccines and services CPT does not cover): a letter
  A–V and four digits (``J1030``, ``G0439``).
- **Modifiers** come from the list shipped beside this module (``modifiers.txt``) plus the
  practice's own (``[plugins.billing] modifiers``).
- **ICD-10-CM** comes from simple-icd-10-cm: a code must exist and be *billable*, a leaf with
  nothing more specific under it (``E11.9``, not the category ``E11``; ``S72.001A``, not
  ``S72.001`` which still needs its 7th character). The library parses the whole code set
  when imported (about two seconds), so the billable and heading codes it yields are kept in
  a small file in the practice's data folder, one per library version: later runs read that
  file instead of importing the library.
- **NPI**: ten digits whose last is the Luhn check digit over ``80840`` and the first nine.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from clinicops import npi_check_digit, private_files

CPT = re.compile(r"\d{4}[0-9FTU]")
HCPCS = re.compile(r"[A-V]\d{4}")
MODIFIER = re.compile(r"[0-9A-Z]{2}")
ICD_SHAPE = re.compile(r"[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?")

PROCEDURE_EXPECTED = "a CPT code such as 99213, 3074F, 0042T or 0001U, or a HCPCS code such as J1030"
MODIFIER_EXPECTED = "a modifier such as 25, 59, 95 or LT (a practice adds its own under plugins.billing.modifiers)"
ICD_EXPECTED = "a billable ICD-10-CM code, the most specific one (such as J45.909 rather than J45)"


def procedure_problem(code: str) -> str | None:
    """Why a CPT/HCPCS code cannot go on a claim, or None when its format is right."""
    if CPT.fullmatch(code) or HCPCS.fullmatch(code):
        return None
    return f"{code} is neither a CPT code (four digits, then a digit, F, T or U) nor a HCPCS code (A–V, four digits)"


@functools.cache
def shipped_modifiers() -> dict[str, str]:
    """Modifier -> what it means, from ``modifiers.txt``."""
    text = resources.files(__package__).joinpath("modifiers.txt").read_text(encoding="utf-8")
    pairs = (line.split("\t", 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {code.strip(): meaning.strip() for code, meaning in pairs}


def modifier_problem(code: str, extra: frozenset[str]) -> str | None:
    if code in extra or code in shipped_modifiers():
        return None
    if not MODIFIER.fullmatch(code):
        return f"{code} is not a modifier: a modifier has two letters or digits"
    return f"{code} is not a modifier on the practice's list"


def npi_is_valid(npi: str | None) -> bool:
    return bool(npi and len(npi) == 10 and npi.isascii() and npi.isdigit() and npi_check_digit(npi[:9]) == int(npi[9]))


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class Icd10cm:
    """The ICD-10-CM code set: billable (leaf) codes, and the headings that have codes under them."""

    billable: frozenset[str]
    headings: frozenset[str]

    def problem(self, code: str) -> str | None:
        """Why a diagnosis code cannot be billed, without naming it (diagnoses are PHI)."""
        dotted = _dotted(code)
        if dotted in self.billable:
            return None
        if dotted in self.headings:
            return "is a heading with more specific codes under it, not a billable code"
        if not ICD_SHAPE.fullmatch(code):
            return "is not shaped like an ICD-10-CM code (a letter, two characters, then up to four after a dot)"
        return "is not an ICD-10-CM code"


def _dotted(code: str) -> str:
    """ICD-10-CM codes are compared with their dot after the third character (``E119`` -> ``E11.9``)."""
    bare = code.replace(".", "")
    return f"{bare[:3]}.{bare[3:]}" if len(bare) > 3 else bare


@functools.cache
def icd10cm(cache_dir: Path) -> Icd10cm:
    """The code set, read from this practice's cache file or, the first time, from the library."""
    path = cache_dir / f"icd10cm-{metadata.version('simple-icd-10-cm')}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Icd10cm(frozenset(data["billable"]), frozenset(data["headings"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    codes = _from_library()
    try:
        private_files.make_dir(cache_dir)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
    except OSError:
        return codes  # a read-only data folder only costs the next run the library import
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"billable": sorted(codes.billable), "headings": sorted(codes.headings)}, out)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return codes


@functools.cache
def _from_library() -> Icd10cm:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the library still uses pkg_resources
        import simple_icd_10_cm as icd
    billable, headings = [], []
    for code in icd.get_all_codes(with_dots=True):
        if icd.is_chapter_or_block(code):
            continue
        (billable if icd.is_leaf(code) else headings).append(code)
    return Icd10cm(frozenset(billable), frozenset(headings))
