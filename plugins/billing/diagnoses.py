"""Diagnosis rules beyond billability: what may be listed first, and for whom.

- **External causes** (V00–Y99, ICD-10-CM chapter 20: how an injury happened, where, doing
  what) are never the first-listed diagnosis: ICD-10-CM Official Guidelines for Coding and
  Reporting, section I.C.20 (an external cause code can never be a principal, first-listed,
  diagnosis), which the Medicare Code Editor enforces as its own edit. They follow the
  injury they explain.
- **Sex-specific diagnoses**: a code that applies to one sex only, on a patient whose
  recorded sex is the other, is what the Medicare Code Editor's sex-conflict edit rejects
  (CMS, Definitions of Medicare Code Edits). The ranges kept here are the whole
  chapters and blocks the Tabular List itself scopes to one sex: pregnancy, childbirth and
  the puerperium (O00–O9A) and the pregnancy encounters Z33–Z3A; diseases of female pelvic
  organs and genital tract (N70–N98); malignant and benign neoplasms of female genital organs
  (C51–C58, D25–D28); diseases and neoplasms of male genital organs (N40–N53, C60–C63, D29).
  Patients recorded as ``other`` or ``unknown`` (or blank) are not checked.

Messages name the diagnosis by its position only: diagnoses are protected health information.
"""

from __future__ import annotations

from collections.abc import Iterable

FEMALE = "female"
MALE = "male"
# (first, last) category, inclusive, compared on the first three characters of the code.
FEMALE_ONLY = (("O00", "O9A"), ("Z33", "Z3A"), ("N70", "N98"), ("C51", "C58"), ("D25", "D28"))
MALE_ONLY = (("N40", "N53"), ("C60", "C63"), ("D29", "D29"))


def _in(code: str, ranges: Iterable[tuple[str, str]]) -> bool:
    category = code.replace(".", "")[:3].upper()
    return any(first <= category <= last for first, last in ranges)


def is_external_cause(code: str) -> bool:
    return "V" <= code[:1].upper() <= "Y"


def first_listed_problem(diagnoses: list[str]) -> str | None:
    if diagnoses and is_external_cause(diagnoses[0]):
        return (
            "the 1st code is an external cause (V00–Y99), which is never listed first: "
            "list the injury or condition first and the external cause after it"
        )
    return None


def sex_problems(diagnoses: list[str], sex: str | None) -> list[str]:
    """One message per diagnosis that conflicts with the patient's recorded sex."""
    conflicting = MALE_ONLY if sex == FEMALE else FEMALE_ONLY if sex == MALE else ()
    if not conflicting:
        return []
    other = MALE if sex == FEMALE else FEMALE
    return [
        f"the {_ordinal(n)} code is for {other} patients only, and the patient's recorded sex is {sex}"
        for n, code in enumerate(diagnoses, start=1)
        if _in(code, conflicting)
    ]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
