"""The codes on a claim: CPT and HCPCS Level II procedures, modifiers, ICD-10-CM diagnoses, NPIs.

- **CPT** is the AMA's licensed code set, so its *format* is checked, not a list: five
  characters, four digits and then a digit (Category I, ``99213``), ``F`` (Category II
  performance measures, ``3074F``), ``T`` (Category III emerging technology, ``0042T``) or
  ``U`` (proprietary laboratory analyses, ``0001U``).
- **HCPCS Level II** (supplies, drugs, vaccines and services CPT does not cover): a letter
  and four digits (``J1030``, ``G0439``), the letter one of the sections CMS uses (A, B, C,
  D, E, G, H, J, K, L, M, P, Q, R, S, T, U, V; there are no F, I, N or O codes: CMS HCPCS
  Level II code set, "HCPCS – General Information"). Some sections are for one kind of payer
  only, so a code is also checked against the claim's payer (CMS HCPCS Level II coding
  procedures): D codes are the ADA's dental codes, for dental claims, not a medical claim;
  S codes are temporary national codes for private payers and Medicaid, not payable by
  Medicare; T codes are for state Medicaid agencies (not valid for Medicare; a private payer
  may adopt some), so a T code to any other payer is flagged, to be checked against that
  payer's policy.
- **Modifiers** are data: the list shipped beside this module (``modifiers.txt``: CPT
  modifiers, HCPCS Level II modifiers such as ``A1``–``A9`` and ``GA``, and the CPT Category
  II performance-measure exclusion modifiers ``1P``, ``2P``, ``3P`` and ``8P``) plus the
  practice's own (``[plugins.billing] modifiers``).
- **ICD-10-CM** comes from simple-icd-10-cm: a code must exist and be *billable*, a leaf with
  nothing more specific under it (``E11.9``, not the category ``E11``; ``S72.001A``, not
  ``S72.001`` which still needs its 7th character), in the set in effect on the date of
  service (:mod:`.icd10cm`). The library parses the whole code set when imported (about two
  seconds), so the billable and heading codes it yields are kept in a small file in the
  practice's data folder, one per library version: later runs read that file instead of
  importing the library.
- **NPI**: ten digits whose last is the Luhn check digit over ``80840`` and the first nine,
  and whose first is 1 (a person) or 2 (an organization), the only ones NPPES issues (NPI
  Final Rule, 69 FR 3434).
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import warnings
from importlib import metadata, resources
from pathlib import Path

from clinicops import npi_check_digit, private_files

from .deadlines import MEDICAID, MEDICARE
from .icd10cm import CodeSet

CPT = re.compile(r"\d{4}[0-9FTU]")
HCPCS = re.compile(r"[A-V]\d{4}")
# The HCPCS Level II sections CMS assigns codes in; F, I, N and O hold none.
HCPCS_SECTIONS = frozenset("ABCDEGHJKLMPQRSTUV")
MODIFIER = re.compile(r"[0-9A-Z]{2}")
INSTALLED = "the installed simple-icd-10-cm release"

PROCEDURE_EXPECTED = "a CPT code such as 99213, 3074F, 0042T or 0001U, or a HCPCS code such as J1030"
MODIFIER_EXPECTED = "a modifier such as 25, 59, 95 or LT (a practice adds its own under plugins.billing.modifiers)"
ICD_EXPECTED = "a billable ICD-10-CM code, the most specific one (such as J45.909 rather than J45)"


def procedure_problem(code: str) -> str | None:
    """Why a CPT/HCPCS code cannot go on a claim, or None when its format is right."""
    if CPT.fullmatch(code):
        return None
    if HCPCS.fullmatch(code):
        if code[0] in HCPCS_SECTIONS:
            return None
        return f"{code} is in no HCPCS Level II section: none uses the letters F, I, N or O"
    return f"{code} is neither a CPT code (four digits, then a digit, F, T or U) nor a HCPCS code (A–V, four digits)"


def payer_problem(code: str, payer_kind: str) -> str | None:
    """Why a well-formed HCPCS code should not go to this kind of payer, or None."""
    if not HCPCS.fullmatch(code):
        return None
    if code[0] == "D":
        return f"{code} is a dental (CDT) code: it goes on a dental claim, not a medical one"
    if code[0] == "S" and payer_kind == MEDICARE:
        return f"{code} is an S code, for private payers and Medicaid: Medicare does not accept S codes"
    if code[0] == "T" and payer_kind != MEDICAID:
        return (
            f"{code} is a T code, for state Medicaid agencies: other payers do not accept T codes "
            "(Medicare never; a private payer only where its policy lists the code)"
        )
    return None


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
    """Ten digits, the first 1 or 2, the last the check digit (see the module docstring)."""
    return bool(
        npi
        and len(npi) == 10
        and npi.isascii()
        and npi.isdigit()
        and npi[0] in "12"
        and npi_check_digit(npi[:9]) == int(npi[9])
    )


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@functools.cache
def icd10cm(cache_dir: Path) -> CodeSet:
    """The code set, read from this practice's cache file or, the first time, from the library."""
    path = cache_dir / f"icd10cm-{metadata.version('simple-icd-10-cm')}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return CodeSet(INSTALLED, frozenset(data["billable"]), frozenset(data["headings"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    codes = _from_library()
    with contextlib.suppress(OSError):  # a read-only data folder only costs the next run the library import
        private_files.make_dir(cache_dir)
        private_files.replace_text(
            path, json.dumps({"billable": sorted(codes.billable), "headings": sorted(codes.headings)})
        )
    return codes


@functools.cache
def _from_library() -> CodeSet:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the library still uses pkg_resources
        import simple_icd_10_cm as icd
    billable, headings = [], []
    for code in icd.get_all_codes(with_dots=True):
        if icd.is_chapter_or_block(code):
            continue
        (billable if icd.is_leaf(code) else headings).append(code)
    return CodeSet(INSTALLED, frozenset(billable), frozenset(headings))
