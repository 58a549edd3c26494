"""Accounting of disclosures (45 CFR 164.528): what left the practice outside treatment,
payment and operations, and a patient's six-year accounting of it.

A patient has the right to an accounting of the disclosures of their protected health
information made in the six years before they ask (164.528(a)), except those the rule
leaves out: for treatment, payment or health care operations; to the patient; incident to
a permitted use; under the patient's authorization; for the facility directory or to
people involved in their care; for national security; to correctional institutions; as
part of a limited data set (164.528(a)(1)(i)–(x)). The ``Disclosures`` tab is where staff
record the others, one row each: the patient, the date, who received it (name and, if
known, address), what was disclosed and why, and the category (public health, law
enforcement, court order, health oversight, research, coroner, abuse report, workers'
compensation, required by law…), as 164.528(b)(2) requires. A row marked with a category
the rule excludes is kept but left out of the accounting. A health oversight agency or
law enforcement official may have the patient's accounting suspended for a time
(164.528(a)(2)): ``Suspended until`` keeps the row out of it until that day.

``clinicops disclosures accounting PATIENT`` produces the accounting as of today (or
``--as-of``), oldest first, as a table or ``--json``. Producing one is itself recorded
(164.528(d): the accountings provided are documentation kept six years) and logged as an
access to the patient's record; the answer says when the patient already had one in the
last twelve months, since only the first in any twelve months must be free (164.528(c)(2)).

This is not the access report. The access log (``clinicops audit report``) is the HIPAA
Security Rule's audit control (164.312(b)): who inside the practice read or changed which
record. An accounting is for the patient, about disclosures to people *outside* the
practice for purposes other than care, payment and running the practice.
"""

from __future__ import annotations

from typing import Any

from clinicops import Alert, hookimpl
from clinicops.plugins.disclosures import accounting, commands
from clinicops.plugins.disclosures.accounting import ACCOUNTED, ENTITY, EXCLUDED

NAME = "disclosures"


@hookimpl
def register_schemas() -> list[dict[str, Any]]:
    def staff(kind: dict[str, Any], title: str, **more: Any) -> dict[str, Any]:
        return {**kind, "x-title": title, **more}

    text = {"type": "string"}
    return [
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": ENTITY,
            "description": "A disclosure of a patient's health information that the patient may ask to be told "
            "about (45 CFR 164.528).",
            "type": "object",
            "x-title": "Disclosures",
            "x-primary-key": "id",
            "x-id-prefix": "DSC",
            "properties": {
                "id": staff(text, "ID", description="Assigned by clinicops when left blank; never reuse or edit it."),
                "patient_id": staff(text, "Patient", **{"x-ref": "patient"}),
                "disclosed_on": staff(
                    {"type": "string", "format": "date"}, "Date", **{"x-header-aliases": ["Disclosed on"]}
                ),
                "recipient": staff(
                    text,
                    "Recipient",
                    description="Who received it: name, and address if known.",
                    **{"x-header-aliases": ["To whom", "Disclosed to"]},
                ),
                "what": staff(text, "Information disclosed", **{"x-phi": True, "x-header-aliases": ["What"]}),
                "purpose": staff(text, "Purpose", **{"x-phi": True, "x-header-aliases": ["Why", "Reason"]}),
                "category": staff(
                    {"type": "string", "enum": [*ACCOUNTED, *EXCLUDED]},
                    "Category",
                    **{"x-aliases": {"subpoena": "court order", "police": "law enforcement", "tpo": "treatment"}},
                ),
                "suspended_until": staff({"type": "string", "format": "date"}, "Suspended until"),
                "recorded_by": staff(text, "Recorded by"),
            },
            "required": ["id", "patient_id", "disclosed_on", "recipient", "what", "purpose", "category"],
            "additionalProperties": False,
        }
    ]


@hookimpl
def collect_alerts(practice: Any) -> list[Alert]:
    """A disclosure dated in the future is probably a typo, and would sit outside every accounting."""
    today = practice.today().isoformat()
    return [
        Alert(
            key=f"{row['id']}:future",
            severity="warning",
            message=f"Disclosure {row['id']} is dated {row['disclosed_on']}, after today: check the date.",
            entity=ENTITY,
            record_id=row["id"],
        )
        for row in practice.records(ENTITY)
        if row.get("disclosed_on", "") > today
    ]


@hookimpl
def prepare_storage(storage: Any) -> None:
    storage.prepare(accounting.metadata)


@hookimpl
def register_commands(cli: Any) -> None:
    commands.add_commands(cli)
