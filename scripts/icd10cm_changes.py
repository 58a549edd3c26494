"""Regenerate ``plugins/billing/icd10cm_changes.json``: what changed in ICD-10-CM between the
code releases packaged by the ``simple-icd-10-cm`` library.

The billing plugin checks a diagnosis against the code set in effect on the date of service.
The installed library holds one release; the older ones are rebuilt from it with the changes
this script records. For each library version that brought a new ICD-10-CM release, it
downloads that version's wheel with pip into a temporary folder (nothing is installed),
lists the release's billable codes and headings with that version's own functions, and
writes, release after release, the codes added, deleted, turned into headings and turned
billable.

Run it after a new library release, adding the version and its release below::

    python scripts/icd10cm_changes.py > plugins/billing/icd10cm_changes.json
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# Library version -> the CMS ICD-10-CM release it packages and the days that release was in
# effect (from its release notes and data file names; CMS publishes each fiscal year's set
# for October 1 and, in some years, an update for April 1 or January 1).
RELEASES = [
    ("1.2.0", "January 2021", "2021-01-01", "2021-09-30"),
    ("1.4.0", "April 2025", "2025-04-01", "2025-09-30"),
    ("1.5.0", "April 2026", "2026-04-01", "2026-09-30"),
]
OTHER_VERSIONS = {"1.1.0": "1.2.0", "1.1.1": "1.2.0", "1.1.2": "1.2.0", "1.3.0": "1.4.0"}

LIST_CODES = """
import json, sys, warnings
sys.path.insert(0, sys.argv[1])
warnings.simplefilter("ignore")
import simple_icd_10_cm as icd
billable, headings = [], []
for code in icd.get_all_codes(with_dots=True):
    if not icd.is_chapter_or_block(code):
        (billable if icd.is_leaf(code) else headings).append(code)
print(json.dumps({"billable": billable, "headings": headings}))
"""


def release_codes(version: str, scratch: Path) -> dict[str, set[str]]:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", f"simple-icd-10-cm=={version}", "-d", scratch],
        check=True,
    )
    [wheel] = scratch.glob(f"simple_icd_10_cm-{version}-*.whl")
    unpacked = scratch / version
    zipfile.ZipFile(wheel).extractall(unpacked)
    out = subprocess.run([sys.executable, "-c", LIST_CODES, unpacked], check=True, capture_output=True, text=True)
    data = json.loads(out.stdout)
    return {"billable": set(data["billable"]), "headings": set(data["headings"])}


def changes(old: dict[str, set[str]], new: dict[str, set[str]]) -> dict[str, list[str]]:
    old_all, new_all = old["billable"] | old["headings"], new["billable"] | new["headings"]
    return {
        "added_billable": sorted(new["billable"] - old_all),
        "added_headings": sorted(new["headings"] - old_all),
        "deleted_billable": sorted(old["billable"] - new_all),
        "deleted_headings": sorted(old["headings"] - new_all),
        "became_headings": sorted(old["billable"] & new["headings"]),
        "became_billable": sorted(old["headings"] & new["billable"]),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sets = [release_codes(version, Path(tmp)) for version, *_ in RELEASES]
    releases = []
    for n, (version, name, start, end) in enumerate(RELEASES):
        entry = {"release": name, "library_version": version, "in_effect_from": start, "in_effect_to": end}
        if n:
            entry["changes_from_previous"] = changes(sets[n - 1], sets[n])
        releases.append(entry)
    header = (
        "ICD-10-CM changes between the releases packaged by simple-icd-10-cm (PyPI), computed from each "
        "version's own code lists by scripts/icd10cm_changes.py; regenerate with "
        "`python scripts/icd10cm_changes.py > plugins/billing/icd10cm_changes.json`."
    )
    other = {v: dict(RELEASES_BY_VERSION[base]) for v, base in OTHER_VERSIONS.items()}
    json.dump(
        {"source": header, "releases": releases, "library_versions": {**RELEASES_BY_VERSION, **other}},
        sys.stdout,
        indent=1,
    )
    print()


RELEASES_BY_VERSION = {version: {"release": name} for version, name, *_ in RELEASES}

if __name__ == "__main__":
    main()
