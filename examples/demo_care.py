"""Demo rows for the patient-message and supply rules, each sourced from the rule it shows.

Each function changes a few cells of rows the demo already made (or writes a file beside
the workbook), so the demo practice shows these rules at work without reshuffling
anything else:

- four patients' text replies waiting in the SMS inbox: "Please stop texting me" (a
  revocation in other words, FCC 24-24), "please cancel my appointment on <day>" (for the
  front desk), "Cancel" alone (both), and a STOP followed by START (CTIA);
- a patient who lives in California with a 10 a.m. visit in the coming days, whose 2 h
  reminder falls before 8 a.m. where she is (47 CFR 64.1200(c)(1));

- an expiry typed as a month and year, as a drug label prints it, read as the last day
  of that month (CDC Vaccine Storage and Handling Toolkit), close enough to warn about;
- a multi-dose vial opened 26 days ago, two days before its 28-day beyond-use date and
  months before its expiry (CDC Injection Safety, multi-dose vials).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re

from clinicops.examples.demo_common import Row

MONTH_YEAR_ITEM = "Ketorolac 30 mg/mL, 1 mL vial"
OPENED_VIAL_ITEM = "Methylprednisolone acetate 40 mg/mL, 1 mL vial"
OPENED_DAYS_AGO = 26


def _stock_row(tables: dict[str, list[Row]], name: str) -> Row:
    return next(r for r in tables["inventory_item"] if r["name"] == name)


def type_expiry_as_month_and_year(tables: dict[str, list[Row]], today: dt.date) -> None:
    """One lot's expiry typed like ``1/2027``: the month that is 25 days ahead, so it ends within 60 days."""
    row = _stock_row(tables, MONTH_YEAR_ITEM)
    month = today + dt.timedelta(days=25)
    row["expiry"] = f"{month.month}/{month.year}"


def full_dates(tables: dict[str, list[Row]]) -> None:
    """Expiries typed as a month and year, as the last day of that month: for a database whose date fields
    take only full dates (Airtable), where nobody could have typed one."""
    for row in tables["inventory_item"]:
        if isinstance(row["expiry"], str):
            month, year = map(int, row["expiry"].split("/"))
            row["expiry"] = dt.date(year, month, calendar.monthrange(year, month)[1])


def open_a_multi_dose_vial(tables: dict[str, list[Row]], today: dt.date) -> None:
    """The methylprednisolone multi-dose vial was first punctured 26 days ago; it expires months later."""
    row = _stock_row(tables, OPENED_VIAL_ITEM)
    row["opened"] = today - dt.timedelta(days=OPENED_DAYS_AGO)


SPECIAL_PATIENTS = ("P000012", "P000031", "P000048", "P000073")
WEST_STATE, WEST_CITY, WEST_ZIP = "CA", "San Diego", "92101"
TEXTERS = ("sms", "both")


def _upcoming(tables: dict[str, list[Row]], today: dt.date) -> list[Row]:
    later = [
        a
        for a in tables["appointment"]
        if a["status"] in ("scheduled", "confirmed") and today < a["start"].date() <= today + dt.timedelta(days=6)
    ]
    return sorted(later, key=lambda a: (a["start"], a["id"]))


def _patients(tables: dict[str, list[Row]]) -> dict[str, Row]:
    return {r["id"]: r for r in tables["patient"] if r["id"] and r["id"] not in SPECIAL_PATIENTS}


def move_a_patient_west(tables: dict[str, list[Row]], today: dt.date) -> str:
    """A patient with a 10 o'clock visit in the next days now lives in San Diego; her id."""
    patients = _patients(tables)
    for appt in _upcoming(tables, today):
        patient = patients.get(appt["patient_id"])
        if appt["start"].hour == 10 and patient and patient["reminder_consent"] in ("sms", "email", "both"):
            patient.update(state=WEST_STATE, city=WEST_CITY, zip=WEST_ZIP)
            return patient["id"]
    raise LookupError("no 10 o'clock visit in the coming days")


def sms_inbox(tables: dict[str, list[Row]], today: dt.date, skip: str) -> str:
    """The SMS inbox file: replies from four texting patients with visits coming up."""
    patients = _patients(tables)
    chosen: list[tuple[Row, Row]] = []
    for appt in _upcoming(tables, today):
        patient = patients.get(appt["patient_id"])
        taken = {p["id"] for p, _ in chosen} | {skip}
        if patient and patient["id"] not in taken and patient["reminder_consent"] in TEXTERS and patient["phone"]:
            chosen.append((patient, appt))
        if len(chosen) == 4:
            break
    (stop, _), (asks, visit), (cancel, _), (back, _) = chosen
    replies = [
        (stop, "Please stop texting me"),
        (asks, f"please cancel my appointment on {visit['start']:%A}"),
        (cancel, "Cancel"),
        (back, "STOP"),
        (back, "START"),
    ]
    lines = [
        json.dumps({"id": f"demo-reply-{n}", "from": _e164(p["phone"]), "body": body})
        for n, (p, body) in enumerate(replies, start=1)
    ]
    return "\n".join(lines) + "\n"


def _e164(phone: str) -> str:
    return "+1" + re.sub(r"\D", "", phone)[-10:]


def demo_files(tables: dict[str, list[Row]], today: dt.date) -> dict[str, str]:
    """Files under the practice's data folder, by path: what arrived before the first sync."""
    west = next((r["id"] for r in tables["patient"] if r["state"] == WEST_STATE), "")
    return {"sms/inbox.jsonl": sms_inbox(tables, today, west)}
