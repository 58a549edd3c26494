"""The demo practice: Maple Street Family Medicine, a small family clinic in Boston, MA.

`generate_demo(today)` returns the practice's spreadsheets as rows of cells, the way its
front desk, medical assistants and billing office keep them in Excel: real date cells,
numbers, True/False, ZIP codes and member ids as text. Everything is dated relative to
`today`, so the credential, inventory, billing, reminder and review plugins always have
current work to show, and the same `(today, seed)` always gives the same rows. All people
are invented (Faker, seeded); every email is on example.com/.org/.net and every phone
number is in the 555-0100..0199 block reserved for fiction.

The practice: 5 providers, 12 staff, about 200 patients, about 1,500 appointments from six
weeks back to six weeks ahead, 80 stocked items, 300 claims, the team's credentials and
performance reviews.

Deliberately messy cells
------------------------
Each occurs exactly once, so the demo shows how clinicops treats what people really type:

- Patient P000012, Date of birth: a US-style date typed as text (like "7/14/1962"). Valid;
  it is normalised to a date.
- The claim with the highest billed amount, Billed: typed as text with a dollar sign and
  thousands separator (like "$1,135.00", a lesion excision with layered repair). Valid.
- The office manager's (S000001) HIPAA-training credential, Required: typed "Yes". Valid.
- Patient P000031, Phone: digits separated by spaces (like "617 555 0142"). Valid.
- Patient P000048, Maria Lopez, Email: "maria.lopez(at)example.com". An error: reported on
  the cell, the typed text kept. She has no appointments or claims, so nothing else
  depends on her row while it waits to be fixed.
- Patient P000073 copy-pasted: the same row, same MRN, a second time right after P000200.
  The second row is an error; nothing is merged.
- The first upcoming "new" appointment, Reason: `=HYPERLINK("http://example.com","click")`
  as pasted from the online booking form. Kept as literal text, never run as a formula.
- The last three patient rows: brand-new patients with a blank MRN. Sync assigns their ids.

Deliberate questionable facts (clean cells, work for the plugins)
-----------------------------------------------------------------
- Billing: a draft claim coded with the non-billable ICD-10-CM category "E11"; a draft claim
  with the malformed CPT "9921"; one claim entered twice (same patient, provider, date of
  service and codes); one commercial claim submitted 96 days after its date of service
  (timely filing is 90 days for commercial payers); three commercial drafts 66 to 85 days
  after their date of service. The last two are for visits older than the appointment
  sheet's six weeks. A Medicare claim denied as filed late (CO-29, not appealable); a
  commercial claim paid 40.00 more than it billed (a credit balance); the most recent
  submitted Medicare claim coded with I42.00, a code the packaged April 2026 ICD-10-CM
  release does not have; PR000003's license lapsed 4 days ago, so the claims since for
  their visits may not be billed under them. The Claim lines tab, denial dates and one
  billed amount keyed before its last line are in `demo_billing`.
- Credentials: expiries 12, 21 and 27 days ahead (within 30), 44, 52 and 58 (within 60),
  73, 84 and 88 (within 90), and three already expired (4, 6 and 15 days ago: PR000003's license among them); see
  `demo_people.EXPIRY_OVERRIDES` for whose.
- Inventory: 8 items at or below their reorder point (at least one out of stock and one
  exactly at the point); 2 expired lots; 5 lots expiring within 60 days (2 of them
  vaccines) and 2 more vaccine lots within 90 days; one more lot's expiry typed as a month
  and year that ends within 60 days, and one opened multi-dose vial two days from its
  beyond-use date (see `demo_care`).
- Texts (see `demo_care`): four patients' replies in the SMS inbox (a revocation in other
  words, a request to cancel a visit, "Cancel" alone, STOP then START), and a patient in
  San Diego whose 2 h reminder falls in quiet hours where she lives.
- Appointments: 3 patients with three no-shows each; 5 appointments of the past week
  still "scheduled", for no-show tracking to pick up.
- Reviews: one overdue (S000003), four due within 30 days (S000002, S000009, S000011 and
  the 90-day review of S000007, hired 75 days ago), one completed without goals (S000012).
"""

from __future__ import annotations

import datetime as dt
import random
import re

from faker import Faker

from clinicops.examples import demo_care
from clinicops.examples import demo_catalog as cat
from clinicops.examples.demo_billing import billing_tabs
from clinicops.examples.demo_budget import budget_tabs
from clinicops.examples.demo_common import Row, digits, letters, make_id, row
from clinicops.examples.demo_feedback import feedback_tabs
from clinicops.examples.demo_flow import flow_tabs
from clinicops.examples.demo_people import (
    OFFICE_MANAGER,
    Emails,
    Patient,
    Phones,
    Provider,
    Staff,
    credential_rows,
    plan_patients,
    plan_providers,
    plan_staff,
    review_rows,
)
from clinicops.examples.demo_upkeep import upkeep_tabs
from clinicops.examples.demo_visits import WINDOW_DAYS, Claim, Visit, plan_claims, schedule

ENTITIES = (
    "patient",
    "provider",
    "staff",
    "appointment",
    "inventory_item",
    "claim",
    "credential",
    "performance_review",
)

DEFAULT_SEED = 20261123
LOW_STOCK_ITEMS = 8

TEXT_DATE_PATIENT = "P000012"
SPACED_PHONE_PATIENT = "P000031"
BAD_EMAIL_PATIENT = "P000048"
COPIED_PATIENT = "P000073"
YES_CREDENTIAL_HOLDER = OFFICE_MANAGER
FORMULA_REASON = '=HYPERLINK("http://example.com","click")'


# --------------------------------------------------------------------------- inventory


def _inventory_rows(today: dt.date, rng: random.Random) -> list[Row]:
    """The stock list with lots, expiries and counts chosen so each stock alert has work."""
    with_lots = [i for i, item in enumerate(cat.STOCK) if item.has_lot]
    vaccines = [i for i in with_lots if cat.STOCK[i].category == "vaccine"]
    others = [i for i in with_lots if cat.STOCK[i].category != "vaccine"]
    vaccines_soon = rng.sample(vaccines, 4)
    expired_and_soon = rng.sample(others, 5)
    expiry_in = {i: rng.randint(-40, -2) for i in expired_and_soon[:2]}
    expiry_in |= {i: rng.randint(5, 58) for i in expired_and_soon[2:] + vaccines_soon[:2]}
    expiry_in |= {i: rng.randint(63, 88) for i in vaccines_soon[2:]}
    low = rng.sample(range(len(cat.STOCK)), LOW_STOCK_ITEMS)

    rows = []
    for index, item in enumerate(cat.STOCK):
        reorder_point = max(1, round(item.par_level * 0.3))
        if index == low[0]:
            on_hand = 0
        elif index == low[1]:
            on_hand = reorder_point
        elif index in low:
            on_hand = rng.randint(0, reorder_point)
        else:
            on_hand = rng.randint(reorder_point + 1, item.par_level + item.par_level // 4 + 1)
        lot = expiry = None
        if item.has_lot:
            lot = letters(rng, 2) + digits(rng, 4) + letters(rng, 1)
            days = expiry_in.get(index)
            if days is None:
                days = rng.randint(100, 540 if item.category == "vaccine" else 900)
            expiry = today + dt.timedelta(days=days)
        location = cat.STOCK_LOCATIONS[item.category]
        if item.category == "vaccine":
            location += f" {1 + index % 2}"
        rows.append(
            row(
                "inventory_item",
                id=make_id("inventory_item", index + 1),
                name=item.name,
                category=item.category,
                unit=item.unit,
                on_hand=on_hand,
                par_level=item.par_level,
                reorder_point=reorder_point,
                pack_size=item.pack_size,
                lot=lot,
                expiry=expiry,
                vendor=item.vendor,
                unit_cost=item.unit_cost,
                location=location,
            )
        )
    return rows


# --------------------------------------------------------------------------- rows


def _patient_row(patient: Patient, today: dt.date, rng: random.Random) -> Row:
    if patient.visit_days:
        last_visit = max(patient.visit_days)
    elif patient.id is None or patient.new_to_practice:
        last_visit = None
    else:
        last_visit = today - dt.timedelta(days=rng.randint(WINDOW_DAYS + 1, 720))
    return row(
        "patient",
        id=patient.id,
        first_name=patient.first,
        last_name=patient.last,
        date_of_birth=patient.born,
        sex=patient.sex,
        phone=patient.phone,
        email=patient.email,
        address=patient.address,
        city=patient.city,
        state="MA",
        zip=patient.zip,
        preferred_channel=patient.channel,
        reminder_consent=patient.consent,
        insurance_payer=patient.payer,
        member_id=patient.member_id,
        primary_provider_id=patient.provider_id,
        last_visit=last_visit,
    )


def _provider_row(provider: Provider, expiries: dict[tuple[str, str], dt.date]) -> Row:
    return row(
        "provider",
        id=provider.id,
        first_name=provider.first,
        last_name=provider.last,
        credentials=provider.credentials,
        npi=provider.npi,
        specialty=provider.specialty,
        email=provider.email,
        phone=provider.phone,
        license_number=provider.license_number,
        license_state="MA",
        license_expiry=expiries[(provider.id, "license")],
        dea_number=provider.dea_number,
        dea_expiry=expiries[(provider.id, "dea")],
        active=True,
    )


def _staff_row(member: Staff) -> Row:
    return row(
        "staff",
        id=member.id,
        first_name=member.first,
        last_name=member.last,
        role=member.role,
        email=member.email,
        phone=member.phone,
        hire_date=member.hired,
        manager_id=None if member.id == OFFICE_MANAGER else OFFICE_MANAGER,
        status=member.status,
    )


def _appointment_row(number: int, visit: Visit) -> Row:
    assert visit.patient is not None
    return row(
        "appointment",
        id=make_id("appointment", number),
        patient_id=visit.patient.id,
        provider_id=visit.provider.id,
        start=visit.start,
        duration_min=visit.minutes,
        type=visit.kind,
        status=visit.status,
        reason=visit.reason,
    )


def _claim_row(number: int, claim: Claim) -> Row:
    return row(
        "claim",
        id=make_id("claim", number),
        patient_id=claim.patient.id,
        provider_id=claim.provider_id,
        date_of_service=claim.service_day,
        cpt_codes=", ".join(claim.cpt),
        icd10_codes=", ".join(claim.icd10),
        modifiers=", ".join(claim.modifiers) or None,
        payer=claim.patient.payer,
        billed_amount=claim.billed,
        status=claim.status,
        submitted_date=claim.submitted,
        paid_amount=claim.paid_amount,
        paid_date=claim.paid_on,
        denial_reason=claim.denial_reason,
    )


# --------------------------------------------------------------------------- messy cells


def _type_like_people_do(tables: dict[str, list[Row]], today: dt.date) -> None:
    """Put in the deliberately messy cells listed in the module docstring, once each."""
    patients = {r["id"]: r for r in tables["patient"] if r["id"]}

    born = patients[TEXT_DATE_PATIENT]["date_of_birth"]
    patients[TEXT_DATE_PATIENT]["date_of_birth"] = f"{born.month}/{born.day}/{born.year}"

    phone = re.sub(r"\D", "", patients[SPACED_PHONE_PATIENT]["phone"])[-10:]
    patients[SPACED_PHONE_PATIENT]["phone"] = f"{phone[:3]} {phone[3:6]} {phone[6:]}"

    patients[BAD_EMAIL_PATIENT].update(
        first_name="Maria", last_name="Lopez", sex="female", email="maria.lopez(at)example.com"
    )

    numbered = [r for r in tables["patient"] if r["id"]]
    tables["patient"].insert(len(numbered), dict(patients[COPIED_PATIENT]))

    priciest = max(tables["claim"], key=lambda r: r["billed_amount"])
    priciest["billed_amount"] = f"${priciest['billed_amount']:,.2f}"

    hipaa = next(
        r for r in tables["credential"] if r["holder_id"] == YES_CREDENTIAL_HOLDER and r["kind"] == "hipaa-training"
    )
    hipaa["required"] = "Yes"

    upcoming = [r for r in tables["appointment"] if r["start"].date() >= today]
    booked_online = next(r for r in upcoming if r["type"] == "new")
    booked_online["reason"] = FORMULA_REASON


# --------------------------------------------------------------------------- entry point


def generate_demo(today: dt.date, seed: int = DEFAULT_SEED) -> dict[str, list[Row]]:
    """Rows per entity name (patient, provider, staff, appointment, inventory_item, claim,
    credential, performance_review), each row a dict field-name -> cell value as office
    staff would have typed it into Excel.

    Cells are `str`, `int`, `float`, `bool`, `datetime.date`, naive `datetime.datetime`
    (practice local time, America/New_York) or None for an empty cell. Dates are relative
    to `today` so the plugins' alerts are current on any day the demo runs; the same
    `(today, seed)` always gives identical rows. Each part of the practice draws from its
    own seeded stream, so adding a column to one sheet does not reshuffle the others.
    """
    if isinstance(today, dt.datetime):
        today = today.date()

    def stream(part: str) -> random.Random:
        return random.Random(f"{seed}:{part}")

    fake = Faker("en_US")
    fake.seed_instance(seed)
    people_rng = stream("people")
    phones = Phones(stream("phones"))
    providers = plan_providers(fake, people_rng, phones)
    staff = plan_staff(fake, people_rng, phones, today)
    patients = plan_patients(fake, people_rng, phones, Emails(people_rng), providers, today)
    # Maria Lopez's row holds the one invalid email, so it is not imported; keeping her off
    # the schedule and the claims stops that one error from cascading into broken references.
    bookable = [p for p in patients if p.id is not None and p.id != BAD_EMAIL_PATIENT]

    visits = schedule(providers, bookable, today, stream("schedule"))
    claims = plan_claims(visits, bookable, providers, today, stream("billing"))
    credentials, expiries = credential_rows(providers, staff, today, stream("credentials"))
    history_rng = stream("history")
    tables = {
        "patient": [_patient_row(p, today, history_rng) for p in patients],
        "provider": [_provider_row(p, expiries) for p in providers],
        "staff": [_staff_row(member) for member in staff],
        "appointment": [_appointment_row(n, v) for n, v in enumerate(visits, start=1)],
        "inventory_item": _inventory_rows(today, stream("inventory")),
        "claim": [_claim_row(n, c) for n, c in enumerate(claims, start=1)],
        "credential": credentials,
        "performance_review": review_rows(staff, today, stream("reviews")),
    }
    _type_like_people_do(tables, today)
    demo_care.type_expiry_as_month_and_year(tables, today)
    demo_care.open_a_multi_dose_vial(tables, today)
    demo_care.move_a_patient_west(tables, today)
    return tables


def generate_workbook(today: dt.date, seed: int = DEFAULT_SEED) -> dict[str, list[Row]]:
    """Everything the demo workbook holds: `generate_demo`'s sheets plus the tabs of the
    back-office plugins the demo enables (equipment, feedback, budget, schedule), each from its own
    seeded stream and module, keyed by entity name like the rest."""
    tables = generate_demo(today, seed)
    tables |= billing_tabs(today, tables)
    tables |= upkeep_tabs(today, random.Random(f"{seed}:upkeep"))
    tables |= feedback_tabs(today, tables, random.Random(f"{seed}:feedback"))
    tables |= budget_tabs(today, random.Random(f"{seed}:budget"))
    tables |= flow_tabs(today, tables, random.Random(f"{seed}:flow"))
    demo_care.move_a_patient_west(tables, today)  # again once the visits are final: one still at 10 o'clock
    return tables
