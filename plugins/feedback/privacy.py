"""A complaint or grievance that alleges a privacy breach, and what HIPAA asks next.

A row is treated as alleging a breach when staff tick ``Privacy concern``, or when its
comments use the words people use for one (privacy, HIPAA, confidential, disclosed,
breach, overheard, leaked, "wrong patient"). The comments are read only here, never
quoted in an alert.

The steps (45 CFR 164 subparts D and E): presume an impermissible use or disclosure of
PHI is a breach unless a documented risk assessment of the four factors of 164.402(2)
shows a low probability of compromise; notify each affected patient without unreasonable
delay and at the latest 60 days after discovery (164.404); notify HHS (164.408) and, for
500 or more residents of a state, the media (164.406); mitigate harm (164.530(f)) and
document the complaint and its outcome (164.530(d)), kept six years (164.530(j)).
"""

from __future__ import annotations

import re
from typing import Any

WORDS = re.compile(
    r"\b(privacy|private information|hipaa|confidential\w*|disclos\w*|breach\w*|overheard|leak\w*|wrong patient)\b",
    re.IGNORECASE,
)
STEPS = (
    "Start the HIPAA breach assessment now: a documented four-factor risk assessment (45 CFR 164.402), notice "
    "to the patient within 60 days of discovery if it is a breach (164.404), the HHS report (164.408), "
    "mitigation and a record of the complaint and its outcome (164.530(d), (f))."
)


def alleges_breach(record: dict[str, Any]) -> bool:
    if record.get("type") not in ("complaint", "grievance"):
        return False
    return bool(record.get("privacy")) or bool(WORDS.search(record.get("text") or ""))
