"""ICD-10-CM code sets by date of service: a diagnosis is checked against the set in effect
on the day of the service, because the set changes every October 1 (and some years on
April 1 or January 1): codes are added, deleted, and turned from billable into headings
with more specific codes under them. Under HIPAA a code set is valid within the dates its
maintainer sets (45 CFR 162.1011), so the code to report is the one valid on the date of
service, whatever the date the claim is sent.

**Where the sets come from.** The installed simple-icd-10-cm library holds one CMS release
(the April 2026 one in version 1.5). ``icd10cm_changes.json`` beside this module lists
what changed between the releases packaged by the library's versions (January 2021, April
2025, April 2026), computed from each version's own code lists by
``scripts/icd10cm_changes.py``; the older releases are rebuilt from the installed one by
undoing those changes. Each release is checked exactly over the days it was in effect.

**Between two releases** (a year with no packaged release) a code is accepted when it is
billable in either neighbouring release, since the day it changed is not known here; a
code unknown to both, or a heading in both, is refused.

**After the newest release**, codes are checked against it, but a code it does not know is
not refused (it may be new that October) unless an older release had it (a deleted code does
not come back): the claim gets an alert asking to check it, and to add the CMS code file for
that year. A practice adds CMS's annual files without a new
release of clinicops under ``[plugins.billing] icd10cm_files``, mapping the first day a
file is in effect (or a fiscal year, ``"2027"`` meaning from 2026-10-01) to the path of the
CMS "codes" file (``icd10cm-codes-2027.txt``: each billable code, then its description) or
"order" file (with the billable flag); headings are what the billable codes fall under. A
practice file is in effect from its day until the next set begins and is checked exactly.

The sets are built once per process (the library's parse is cached in the practice's data
folder, see :func:`clinicops.plugins.billing.codes.icd10cm`), and a practice file is read
once per change of the file.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

ICD_SHAPE = re.compile(r"[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?")
ORDER_LINE = re.compile(r"\d{5} ([A-Z][0-9A-Z]{2,6}) +([01]) ")
CODES_LINE = re.compile(r"([A-Z][0-9][0-9A-Z]{1,5})\s")


def dotted(code: str) -> str:
    """ICD-10-CM codes are compared with their dot after the third character (``E119`` -> ``E11.9``)."""
    bare = code.replace(".", "")
    return f"{bare[:3]}.{bare[3:]}" if len(bare) > 3 else bare


@dataclass(frozen=True)
class CodeSet:
    """One release: billable (leaf) codes and the headings with codes under them."""

    name: str
    billable: frozenset[str]
    headings: frozenset[str]

    def problem(self, code: str) -> str | None:
        """Why a diagnosis code cannot be billed in this set, without naming it (diagnoses are PHI)."""
        found = dotted(code)
        if found in self.billable:
            return None
        if found in self.headings:
            return "is a heading with more specific codes under it, not a billable code"
        if not ICD_SHAPE.fullmatch(code):
            return "is not shaped like an ICD-10-CM code (a letter, two characters, then up to four after a dot)"
        return "is not an ICD-10-CM code"


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date | None  # None: open-ended (the newest set, or a practice file with nothing after it)
    codes: CodeSet
    exact: bool  # checked exactly (a release in effect, or a practice file)


@dataclass(frozen=True)
class Verdict:
    """What the sets say about one diagnosis on one date."""

    problem: str | None = None  # refused: why
    unverified: str | None = None  # accepted but unknown to the newest set we have: its name


class CodeSets:
    """Every ICD-10-CM set the practice has, by the days each was in effect."""

    def __init__(self, periods: list[Period]) -> None:
        self.periods = sorted(periods, key=lambda p: p.start)
        self._memo: dict[tuple[str, int], Verdict] = {}
        self._retired_codes: frozenset[str] | None = None

    def check(self, code: str, served: dt.date | None) -> Verdict:
        """Is ``code`` billable on ``served`` (today's newest set when the date is unknown)?"""
        index = self._period_index(served)
        key = (code, index)
        if key not in self._memo:
            self._memo[key] = self._verdict(code, index)
        return self._memo[key]

    def _period_index(self, served: dt.date | None) -> int:
        """Index of the period in effect (2n), or of the gap after period n (2n + 1)."""
        if served is None:
            return 2 * (len(self.periods) - 1)
        for n, period in enumerate(self.periods):
            if served < period.start:
                return max(0, 2 * n - 1)
            if period.end is None or served <= period.end:
                return 2 * n
        return 2 * len(self.periods) - 1  # after the newest set's last day

    def _verdict(self, code: str, index: int) -> Verdict:
        verdict = self._plain_verdict(code, index)
        newest = self.periods[-1].codes
        if verdict.problem and index < 2 * (len(self.periods) - 1) and newest.problem(code) != verdict.problem:
            n = index // 2
            when = self.periods[n].codes.name if index % 2 == 0 else "the sets before and after it"
            return Verdict(f"{verdict.problem} on the date of service (in effect then: {when})")
        return verdict

    def _plain_verdict(self, code: str, index: int) -> Verdict:
        n, in_gap = divmod(index, 2)
        period = self.periods[n]
        problem = period.codes.problem(code)
        if not in_gap:
            return Verdict(problem)
        if n + 1 < len(self.periods):  # between two sets: billable in either is accepted
            later = self.periods[n + 1].codes
            if problem is None or later.problem(code) is None:
                return Verdict()
            return Verdict(problem if dotted(code) in period.codes.headings else later.problem(code))
        if problem is None or problem.startswith("is a heading") or not ICD_SHAPE.fullmatch(code):
            return Verdict(problem)
        if dotted(code) in self._retired():  # deleted by a release we have: codes do not come back
            return Verdict(problem)
        return Verdict(unverified=period.codes.name)

    def _retired(self) -> frozenset[str]:
        """Codes an older set had and the newest does not."""
        if self._retired_codes is None:
            newest = self.periods[-1].codes
            older: set[str] = set()
            for period in self.periods[:-1]:
                older |= period.codes.billable | period.codes.headings
            self._retired_codes = frozenset(older - newest.billable - newest.headings)
        return self._retired_codes


def fiscal_year_start(key: str) -> dt.date:
    """``"2027"`` -> 2026-10-01 (the first day of federal fiscal year 2027); a date stays a date."""
    if re.fullmatch(r"\d{4}", key.strip()):
        return dt.date(int(key) - 1, 10, 1)
    return dt.date.fromisoformat(key.strip())


@functools.cache
def _changes() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath("icd10cm_changes.json").read_text(encoding="utf-8"))


def shipped_periods(installed: CodeSet) -> list[Period]:
    """The packaged releases, rebuilt from the installed library's set."""
    data = _changes()
    releases = data["releases"]
    version = metadata.version("simple-icd-10-cm")
    name = data["library_versions"].get(version, {}).get("release")
    newest = next((n for n, r in enumerate(releases) if r["release"] == name), None)
    if newest is None:  # a library release the data does not know: its one set for every date
        return [Period(dt.date.min, None, installed, True)]
    return _older(releases, newest, _sets(installed))


def _sets(codes: CodeSet) -> tuple[frozenset[str], frozenset[str]]:
    return codes.billable, codes.headings


def _older(releases: list[dict[str, Any]], newest: int, sets: tuple[frozenset[str], frozenset[str]]) -> list[Period]:
    """Periods for releases[0..newest], the set of ``releases[newest]`` being ``sets`` (or the
    set after the last release when ``newest == len(releases)``)."""
    out = []
    billable, headings = set(sets[0]), set(sets[1])
    for n in range(newest, -1, -1):
        if n < len(releases):
            release = releases[n]
            end = dt.date.fromisoformat(release["in_effect_to"])
            codes = CodeSet(f"the {release['release']} release", frozenset(billable), frozenset(headings))
            out.append(Period(dt.date.fromisoformat(release["in_effect_from"]), end, codes, True))
            change = release.get("changes_from_previous")
            if change:
                billable -= set(change["added_billable"]) | set(change["became_billable"])
                headings -= set(change["added_headings"]) | set(change["became_headings"])
                billable |= set(change["became_headings"]) | set(change["deleted_billable"])
                headings |= set(change["became_billable"]) | set(change["deleted_headings"])
    return out[::-1]


@functools.cache
def practice_file(path: Path, mtime: float) -> CodeSet:
    """A CMS codes or order file: billable codes, and the headings they fall under."""
    billable: set[str] = set()
    headings: set[str] = set()
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            order = ORDER_LINE.match(line)
            if order:
                (billable if order[2] == "1" else headings).add(dotted(order[1]))
                continue
            plain = CODES_LINE.match(line + " ")
            if plain:
                billable.add(dotted(plain[1]))
    for code in list(billable):
        bare = code.replace(".", "")
        headings.update(dotted(bare[:n]) for n in range(3, len(bare)) if dotted(bare[:n]) not in billable)
    return CodeSet(f"the practice's file {path.name}", frozenset(billable), frozenset(headings))


def build(installed: CodeSet, files: dict[str, str], root: Path) -> CodeSets:
    """The shipped periods plus the practice's files, each file in effect until the next set starts."""
    periods = shipped_periods(installed)
    added = sorted((fiscal_year_start(key), root / path) for key, path in files.items())
    for start, path in added:
        codes = practice_file(path, path.stat().st_mtime)
        periods = [_trimmed(p, start) for p in periods if p.start < start]
        periods.append(Period(start, None, codes, True))
    fixed = []
    for n, period in enumerate(periods):
        after = periods[n + 1].start if n + 1 < len(periods) else None
        if after is not None and (period.end is None or period.end >= after):
            period = Period(period.start, after - dt.timedelta(days=1), period.codes, period.exact)
        fixed.append(period)
    return CodeSets(fixed)


def _trimmed(period: Period, before: dt.date) -> Period:
    if period.end is not None and period.end < before:
        return period
    return Period(period.start, before - dt.timedelta(days=1), period.codes, period.exact)
