"""The code checks of a claim and of its lines, with what they need prepared once per sync.

A claim's checks (its row on the Claims tab): every CPT/HCPCS code well-formed, in a HCPCS
section in use and right for the payer; every modifier on the list; at most 12 diagnoses,
each billable in the ICD-10-CM set in effect on the date of service, the first not an
external cause, none for the other sex than the patient's recorded one.

A line's checks (its row on the Claim lines tab): the same for its code and modifiers, at
most four modifiers and four diagnosis pointers, each pointer a letter A–L naming one of
the claim's diagnoses, and each diagnosis it points to billable on the line's own date.

Sources are in :mod:`.codes`, :mod:`.icd10cm`, :mod:`.diagnoses` and :mod:`.lines`.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass
from typing import Any

from . import codes, diagnoses, icd10cm
from .deadlines import payer_type
from .lines import MAX_MODIFIERS, MAX_POINTERS, POINTERS, Line
from .receivables import payer_name

NAME = "billing"
MAX_DIAGNOSES = 12
COLUMN = {
    "cpt_codes": "CPT/HCPCS",
    "icd10_codes": "ICD-10-CM",
    "modifiers": "Modifiers",
    "code": "CPT/HCPCS",
    "diagnosis_pointers": "Dx pointers",
}
POINTER_EXPECTED = "up to four letters A–L, each naming a diagnosis the claim lists (A is its 1st)"


@dataclass
class Context:
    """Settings, code sets and lookups, prepared once for every check of one sync."""

    settings: dict[str, Any]
    code_sets: icd10cm.CodeSets
    extra_modifiers: frozenset[str]
    practice: Any

    _patients: dict[str, dict[str, Any]] | None = None

    def payer_kind(self, claim: dict[str, Any]) -> str:
        return payer_type(claim.get("payer") or "", self.settings)

    def patient(self, patient_id: str) -> dict[str, Any] | None:
        """A patient, from one read of the patients per sync (they sync before claims)."""
        if self._patients is None:
            self._patients = {p["id"]: p for p in self.practice.records("patient")}
        return self._patients.get(patient_id)


_contexts: weakref.WeakKeyDictionary[Any, Context] = weakref.WeakKeyDictionary()


def context(practice: Any) -> Context:
    """This sync's context (one per practice view: a view is one sync's transaction)."""
    found = _contexts.get(practice)
    if found is not None:
        return found
    settings = practice.settings(NAME)
    installed = codes.icd10cm(practice.data_dir / "cache")
    made = Context(
        settings=settings,
        code_sets=_code_sets(installed, tuple(sorted(settings["icd10cm_files"].items())), practice.root),
        extra_modifiers=frozenset(m.upper() for m in settings["modifiers"]),
        practice=practice,
    )
    _contexts[practice] = made
    return made


_built: dict[tuple[Any, ...], icd10cm.CodeSets] = {}


def _code_sets(installed: icd10cm.CodeSet, files: tuple[tuple[str, str], ...], root: Any) -> icd10cm.CodeSets:
    stamps = tuple((key, path, _mtime(root / path)) for key, path in files)
    key = (id(installed), stamps, str(root) if files else "")
    if key not in _built:
        if len(_built) > 8:
            _built.clear()
        _built[key] = icd10cm.build(installed, dict(files), root)
    return _built[key]


def _mtime(path: Any) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


# --------------------------------------------------------------------------- claims


def claim_problems(ctx: Context, claim: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field, problem, expected) for each code on a claim's row a payer would reject."""
    kind = ctx.payer_kind(claim)
    out = []
    for code in claim.get("cpt_codes") or []:
        problem = codes.procedure_problem(code) or codes.payer_problem(code, kind)
        if problem:
            out.append(("cpt_codes", problem, codes.PROCEDURE_EXPECTED))
    for code in claim.get("modifiers") or []:
        problem = codes.modifier_problem(code, ctx.extra_modifiers)
        if problem:
            out.append(("modifiers", problem, codes.MODIFIER_EXPECTED))
    if len(claim.get("cpt_codes") or []) == 1 and len(claim.get("modifiers") or []) > MAX_MODIFIERS:
        out.append(("modifiers", f"a line carries at most {MAX_MODIFIERS} modifiers", "the four that apply"))
    return out + diagnosis_problems(ctx, claim)


def diagnosis_problems(ctx: Context, claim: dict[str, Any]) -> list[tuple[str, str, str]]:
    found = claim.get("icd10_codes") or []
    out = []
    if len(found) > MAX_DIAGNOSES:
        out.append(("icd10_codes", f"a claim carries at most {MAX_DIAGNOSES} diagnoses", "the 12 most relevant"))
    served = day(claim.get("date_of_service"))
    for n, code in enumerate(found, start=1):
        problem = ctx.code_sets.check(code, served).problem
        if problem:
            out.append(("icd10_codes", f"the {codes.ordinal(n)} code {problem}", codes.ICD_EXPECTED))
    first = diagnoses.first_listed_problem(found)
    if first:
        out.append(("icd10_codes", first, "the injury or condition first, then its external cause"))
    sex = (ctx.patient(claim.get("patient_id", "")) or {}).get("sex") if found else None
    for problem in diagnoses.sex_problems(found, sex):
        out.append(("icd10_codes", problem, "a diagnosis that fits the patient, or the patient's sex corrected"))
    return out


def unverified_diagnoses(ctx: Context, claim: dict[str, Any], lines: list[Line]) -> list[tuple[int, str]]:
    """(position, newest set) of diagnoses accepted only because their date is past the newest set."""
    dates = {line.served for line in lines} | {day(claim.get("date_of_service"))}
    out = []
    for n, code in enumerate(claim.get("icd10_codes") or [], start=1):
        for served in dates:
            name = ctx.code_sets.check(code, served).unverified
            if name:
                out.append((n, name))
                break
    return out


# --------------------------------------------------------------------------- lines


def line_shape_problems(line: Line, claim: dict[str, Any] | None, today: dt.date) -> list[tuple[str, str, str]]:
    """What is wrong with a line whatever its claim's status: a typo to fix in the cell."""
    out = []
    if len(line.modifiers) > MAX_MODIFIERS:
        out.append(("modifiers", f"a line carries at most {MAX_MODIFIERS} modifiers", "the four that apply"))
    if len(line.pointers) > MAX_POINTERS:
        out.append(("diagnosis_pointers", f"a line points to at most {MAX_POINTERS} diagnoses", POINTER_EXPECTED))
    listed = len((claim or {}).get("icd10_codes") or [])
    for letter in line.pointers:
        if letter not in POINTERS:
            out.append(("diagnosis_pointers", f"{letter} is not a diagnosis pointer (A to L)", POINTER_EXPECTED))
        elif claim is not None and POINTERS.index(letter) >= listed:
            out.append(
                (
                    "diagnosis_pointers",
                    f"{letter} points to diagnosis {POINTERS.index(letter) + 1}, and the claim lists {listed}",
                    POINTER_EXPECTED,
                )
            )
    if line.served and line.served > today:
        out.append(("date_of_service", "is in the future; a line is for a service that took place", "today or earlier"))
    return out


def line_code_problems(ctx: Context, line: Line, claim: dict[str, Any]) -> list[tuple[str, str, str]]:
    """What a payer would reject on the line: its code, modifiers, and the diagnoses it points to on its date."""
    out = []
    problem = codes.procedure_problem(line.code) or codes.payer_problem(line.code, ctx.payer_kind(claim))
    if problem:
        out.append(("code", problem, codes.PROCEDURE_EXPECTED))
    for code in line.modifiers:
        problem = codes.modifier_problem(code, ctx.extra_modifiers)
        if problem:
            out.append(("modifiers", problem, codes.MODIFIER_EXPECTED))
    listed = claim.get("icd10_codes") or []
    if line.served and line.served != day(claim.get("date_of_service")):
        for letter in line.pointers:
            n = POINTERS.find(letter)
            if 0 <= n < len(listed):
                problem = ctx.code_sets.check(listed[n], line.served).problem
                if problem:
                    out.append(("diagnosis_pointers", f"{letter}: the code {problem}", codes.ICD_EXPECTED))
    return out


def listed(problems: list[tuple[str, str, str]]) -> str:
    return "; ".join(f"{COLUMN.get(f, f)}: {problem}" for f, problem, _ in problems)


def who(claim: dict[str, Any]) -> str:
    return f"{claim['status']}, {payer_name(claim)}"
