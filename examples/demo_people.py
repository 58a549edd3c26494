"""The demo practice's people: providers, staff, patients, and what the team must keep current.

Names and street names come from Faker (en_US, seeded); everything else from the seeded
`random.Random` passed in. Identifiers have valid check digits (NPI, DEA) so the demo
passes format checks the way a real practice's data would, while every phone number sits
in the 555-0100..0199 block reserved for fiction and every email on an example domain.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

from clinicops.examples import demo_catalog as cat
from clinicops.examples.demo_common import (
    Row,
    add_years,
    digits,
    letters,
    make_id,
    row,
    slug,
    weighted,
    years_between,
)

PATIENT_COUNT = 200
NEW_PATIENT_COUNT = 3

# How the front desk writes phone numbers. Digits separated only by spaces are left out
# on purpose: one such cell is among the demo's deliberately messy cells.
PHONE_STYLES = (
    ("({area}) 555-{line}", 40),
    ("{area}-555-{line}", 30),
    ("{area}.555.{line}", 12),
    ("+1 {area}-555-{line}", 10),
    ("1-{area}-555-{line}", 8),
)


# --------------------------------------------------------------------------- identifiers


def npi_check_digit(first_nine: str) -> str:
    """The NPI check digit: Luhn over the prefix "80840" and the first nine digits."""
    total = 0
    for position, char in enumerate(reversed("80840" + first_nine)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def _npi(rng: random.Random) -> str:
    """A valid individual NPI (they start with 1)."""
    first_nine = "1" + digits(rng, 8)
    return first_nine + npi_check_digit(first_nine)


def _dea_number(rng: random.Random, registrant: str, last_name: str) -> str:
    """A DEA registration number with its real check digit, so format checks pass."""
    serial = [rng.randrange(10) for _ in range(6)]
    check = (serial[0] + serial[2] + serial[4] + 2 * (serial[1] + serial[3] + serial[5])) % 10
    return f"{registrant}{last_name[0].upper()}{''.join(map(str, serial))}{check}"


def _member_id(rng: random.Random, payer: str) -> str | None:
    """A member id shaped like the payer's cards (Medicare's is an MBI)."""
    if payer == cat.MEDICARE:
        mbi_letters = "ACDEFGHJKMNPQRTUVWXY"
        alnum = mbi_letters + "0123456789"
        return (
            str(rng.randint(1, 9))
            + letters(rng, 1, mbi_letters)
            + rng.choice(alnum)
            + digits(rng, 1)
            + letters(rng, 1, mbi_letters)
            + rng.choice(alnum)
            + digits(rng, 1)
            + letters(rng, 2, mbi_letters)
            + digits(rng, 2)
        )
    if payer == cat.MASSHEALTH:
        return "100" + digits(rng, 9)
    if payer == cat.BCBS_MA:
        return "ZHB" + digits(rng, 9)
    if payer == cat.HARVARD_PILGRIM:
        return "HP" + digits(rng, 8)
    if payer == cat.TUFTS:
        return "T" + digits(rng, 9)
    if payer == cat.AETNA:
        return "W" + digits(rng, 9)
    return None


class Phones:
    """Hands out distinct fictional numbers (555-0100..0199) across the eastern-MA area codes."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._free = [(area, line) for area in cat.AREA_CODES for line in range(100, 200)]
        rng.shuffle(self._free)

    def take(self, style: str | None = None) -> str:
        area, line = self._free.pop()
        style = style or weighted(self._rng, PHONE_STYLES)
        return style.format(area=area, line=f"{line:04d}")


class Emails:
    """Builds name-based addresses on the reserved example domains, never twice the same."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def make(self, first: str, last: str) -> str:
        first, last = slug(first), slug(last)
        domain = self._rng.choice(("example.com", "example.org", "example.net"))
        local = self._rng.choice((f"{first}.{last}", f"{first}{last}", f"{first[0]}{last}"))
        candidate = local
        while f"{candidate}@{domain}" in self._used:
            candidate = f"{local}{self._rng.randint(1, 99)}"
        self._used.add(f"{candidate}@{domain}")
        return f"{candidate}@{domain}"


# --------------------------------------------------------------------------- the team


@dataclass
class Provider:
    """A clinician, with how the practice schedules them."""

    id: str
    first: str
    last: str
    credentials: str
    specialty: str
    board: str
    sees_children: bool
    day_off: int | None
    panel_weight: int
    npi: str
    dea_number: str
    license_number: str
    phone: str
    email: str


# (credentials, specialty, board, sees children, weekday off, share of the patient panel)
PROVIDER_SPECS = (
    ("MD", "Family Medicine", "American Board of Family Medicine", True, None, 30),
    ("MD", "Internal Medicine", "American Board of Internal Medicine", False, None, 25),
    ("DO", "Family Medicine", "American Osteopathic Board of Family Physicians", True, None, 20),
    ("NP", "Family Medicine", "American Academy of Nurse Practitioners Certification Board",
     True, 4, 15),
    ("PA-C", "Family Medicine", "National Commission on Certification of Physician Assistants",
     True, 2, 10),
)  # fmt: skip

# Massachusetts license numbers: plain digits for physicians, lettered for NPs and PAs.
LICENSE_PREFIXES = {"MD": "", "DO": "", "NP": "NP", "PA-C": "PA"}


def plan_providers(fake: Faker, rng: random.Random, phones: Phones) -> list[Provider]:
    """Two MDs, a DO, an NP and a PA; the internist sees adults only."""
    providers = []
    for number, (creds, specialty, board, children, day_off, weight) in enumerate(PROVIDER_SPECS, start=1):
        first, last = fake.first_name(), fake.last_name()
        license_number = LICENSE_PREFIXES[creds] + digits(rng, 6)
        providers.append(
            Provider(
                id=make_id("provider", number),
                first=first,
                last=last,
                credentials=creds,
                specialty=specialty,
                board=board,
                sees_children=children,
                day_off=day_off,
                panel_weight=weight,
                npi=_npi(rng),
                dea_number=_dea_number(rng, "F" if creds in ("MD", "DO") else "M", last),
                license_number=license_number,
                phone=phones.take("({area}) 555-{line}"),
                email=f"{slug(first)}.{slug(last)}@{cat.PRACTICE_EMAIL_DOMAIN}",
            )
        )
    return providers


@dataclass
class Staff:
    """A team member who is not a billing provider."""

    id: str
    first: str
    last: str
    role: str
    hired: dt.date
    status: str
    phone: str
    email: str

    @property
    def clinical(self) -> bool:
        return self.role in ("medical-assistant", "nurse", "lab-tech")


STAFF_ROLES = (
    "office-manager",
    "front-desk",
    "front-desk",
    "front-desk",
    "medical-assistant",
    "medical-assistant",
    "medical-assistant",
    "nurse",
    "nurse",
    "billing",
    "billing",
    "lab-tech",
)
# Two people joined recently and are still in their first 90 days.
RECENT_HIRES = {"S000004": 20, "S000007": 75}
ON_LEAVE = "S000010"
OFFICE_MANAGER = "S000001"


def plan_staff(fake: Faker, rng: random.Random, phones: Phones, today: dt.date) -> list[Staff]:
    """The office manager first (everyone's manager), then the team; two recent hires."""
    staff = []
    for number, role in enumerate(STAFF_ROLES, start=1):
        staff_id = make_id("staff", number)
        first, last = fake.first_name(), fake.last_name()
        if staff_id in RECENT_HIRES:
            hired = today - dt.timedelta(days=RECENT_HIRES[staff_id])
        else:
            hired = today - dt.timedelta(days=rng.randint(3 * 365, 15 * 365))
        staff.append(
            Staff(
                id=staff_id,
                first=first,
                last=last,
                role=role,
                hired=hired,
                status="on-leave" if staff_id == ON_LEAVE else "active",
                phone=phones.take(),
                email=f"{slug(first)}.{slug(last)}@{cat.PRACTICE_EMAIL_DOMAIN}",
            )
        )
    return staff


# --------------------------------------------------------------------------- patients


@dataclass
class Patient:
    """A patient, with what the schedule and billing need to know about them."""

    id: str | None
    first: str
    last: str
    born: dt.date
    sex: str
    payer: str
    provider_id: str
    conditions: tuple[cat.Condition, ...]
    phone: str
    email: str | None
    address: str
    city: str
    zip: str
    channel: str
    consent: str
    member_id: str | None
    new_to_practice: bool = False
    visit_days: list[dt.date] = field(default_factory=list)

    def age_on(self, day: dt.date) -> int:
        return years_between(self.born, day)


def plan_patients(
    fake: Faker,
    rng: random.Random,
    phones: Phones,
    emails: Emails,
    providers: list[Provider],
    today: dt.date,
) -> list[Patient]:
    """The established patients (P000001…) followed by the few just added with no MRN."""
    oldest = dt.date(1935, 1, 1)
    youngest = min(dt.date(2024, 12, 31), today - dt.timedelta(days=60))
    towns = tuple((city, zips) for city, zips, _ in cat.TOWNS)
    town_weights = [weight for *_, weight in cat.TOWNS]
    patients = []
    for number in range(1, PATIENT_COUNT + NEW_PATIENT_COUNT + 1):
        sex = weighted(rng, (("female", 51), ("male", 47), ("other", 1), ("unknown", 1)))
        if sex == "female":
            first = fake.first_name_female()
        elif sex == "male":
            first = fake.first_name_male()
        else:
            first = fake.first_name_nonbinary()
        last = fake.last_name()
        born = dt.date.fromordinal(rng.randint(oldest.toordinal(), youngest.toordinal()))
        age = years_between(born, today)
        if age < 18:
            payer = weighted(rng, cat.PAYER_MIX_CHILD)
        elif age < 65:
            payer = weighted(rng, cat.PAYER_MIX_ADULT)
        else:
            payer = weighted(rng, cat.PAYER_MIX_SENIOR)
        doctors = [p for p in providers if p.sees_children or age >= 18]
        provider = rng.choices(doctors, weights=[p.panel_weight for p in doctors])[0]
        conditions = tuple(
            chronic.condition
            for chronic in cat.CHRONIC_CONDITIONS
            if age >= chronic.min_age and rng.random() < chronic.prevalence
        )
        email = emails.make(first, last) if rng.random() < 0.8 else None
        channel, consent = _contact_preferences(rng, has_email=email is not None)
        city, zips = rng.choices(towns, weights=town_weights)[0]
        address = f"{rng.randint(1, 480)} {fake.street_name()}"
        if rng.random() < 0.3:
            address += f", Apt {rng.randint(1, 12)}"
        patients.append(
            Patient(
                id=make_id("patient", number) if number <= PATIENT_COUNT else None,
                first=first,
                last=last,
                born=born,
                sex=sex,
                payer=payer,
                provider_id=provider.id,
                conditions=conditions,
                phone=phones.take(),
                email=email,
                address=address,
                city=city,
                zip=rng.choice(zips),
                channel=channel,
                consent=consent,
                member_id=_member_id(rng, payer),
            )
        )
    return patients


def _contact_preferences(rng: random.Random, has_email: bool) -> tuple[str, str]:
    """A preferred channel and a reminder consent that agree with each other."""
    if has_email:
        channel = weighted(rng, (("sms", 45), ("email", 25), ("phone", 25), ("mail", 5)))
    else:
        channel = weighted(rng, (("sms", 55), ("phone", 40), ("mail", 5)))
    if channel == "sms":
        consent = "both" if has_email and rng.random() < 0.5 else "sms"
    elif channel == "email":
        consent = "both" if rng.random() < 0.4 else "email"
    elif has_email:
        consent = weighted(rng, (("both", 30), ("sms", 30), ("email", 15), ("none", 25)))
    else:
        consent = weighted(rng, (("sms", 60), ("none", 40)))
    return channel, consent


# --------------------------------------------------------------------------- credentials


@dataclass
class Credential:
    """Something a person must keep current, and how long one renewal lasts."""

    holder_type: str
    holder_id: str
    kind: str
    issuer: str
    years: int
    number: str | None = None
    state: str | None = None
    required: bool = True


# Expiries pinned at known distances from today so every alert threshold has work.
EXPIRY_OVERRIDES = {
    ("PR000001", "cpr-bls"): 12,
    ("PR000004", "license"): 21,
    ("S000002", "hipaa-training"): 27,
    ("S000011", "osha-training"): 44,
    ("PR000002", "dea"): 52,
    ("S000012", "osha-training"): 58,
    ("S000008", "license"): 73,
    ("PR000003", "board-certification"): 84,
    ("PR000003", "license"): -4,
    ("S000009", "cpr-bls"): 88,
    ("PR000005", "hipaa-training"): -6,
    ("S000005", "cpr-bls"): -15,
}

LICENSING_BOARDS = {
    "MD": "Massachusetts Board of Registration in Medicine",
    "DO": "Massachusetts Board of Registration in Medicine",
    "NP": "Massachusetts Board of Registration in Nursing",
    "PA-C": "Massachusetts Board of Registration of Physician Assistants",
    "RN": "Massachusetts Board of Registration in Nursing",
}
DEA = "U.S. Drug Enforcement Administration"
AHA = "American Heart Association"
# Physicians keeping ACLS current by choice: tracked, not required.
ACLS_HOLDERS = ("PR000001", "PR000002")


def _plan_credentials(providers: list[Provider], staff: list[Staff], rng: random.Random) -> list[Credential]:
    """What each person must keep current, and for how long one renewal lasts.

    Providers: state license, DEA registration, board certification, CPR/BLS. Clinical
    staff: CPR/BLS (nurses also their RN license). Everyone: the annual HIPAA and OSHA
    bloodborne-pathogens training.
    """
    practice = cat.PRACTICE_NAME
    credentials = []
    for provider in providers:
        pid = provider.id
        credentials += [
            Credential(
                "provider",
                pid,
                "license",
                LICENSING_BOARDS[provider.credentials],
                2,
                number=provider.license_number,
                state="MA",
            ),
            Credential("provider", pid, "dea", DEA, 3, number=provider.dea_number, state="MA"),
            Credential("provider", pid, "board-certification", provider.board, 10, number=digits(rng, 7)),
            Credential("provider", pid, "cpr-bls", AHA, 2, number=digits(rng, 12)),
        ]
        if pid in ACLS_HOLDERS:
            credentials.append(Credential("provider", pid, "acls", AHA, 2, digits(rng, 12), required=False))
        credentials += [
            Credential("provider", pid, "hipaa-training", practice, 1),
            Credential("provider", pid, "osha-training", practice, 1),
        ]
    for member in staff:
        sid = member.id
        if member.role == "nurse":
            number = "RN" + digits(rng, 7)
            credentials.append(Credential("staff", sid, "license", LICENSING_BOARDS["RN"], 2, number, "MA"))
        if member.clinical:
            credentials.append(Credential("staff", sid, "cpr-bls", AHA, 2, digits(rng, 12)))
        credentials += [
            Credential("staff", sid, "hipaa-training", practice, 1),
            Credential("staff", sid, "osha-training", practice, 1),
        ]
    return credentials


def credential_rows(
    providers: list[Provider], staff: list[Staff], today: dt.date, rng: random.Random
) -> tuple[list[Row], dict[tuple[str, str], dt.date]]:
    """The credentials sheet, and each (holder, kind)'s expiry for the provider sheet.

    Expiries fall 100 days or more ahead unless pinned in `EXPIRY_OVERRIDES`; a new hire's
    annual trainings date from their first week.
    """
    hired = {member.id: member.hired for member in staff if member.id in RECENT_HIRES}
    rows, expiries = [], {}
    for number, credential in enumerate(_plan_credentials(providers, staff, rng), start=1):
        key = (credential.holder_id, credential.kind)
        if key in EXPIRY_OVERRIDES:
            expires = today + dt.timedelta(days=EXPIRY_OVERRIDES[key])
            issued = add_years(expires, -credential.years)
        elif credential.holder_id in hired and credential.years == 1:
            issued = hired[credential.holder_id] + dt.timedelta(days=rng.randint(0, 3))
            expires = add_years(issued, 1)
        else:
            expires = today + dt.timedelta(days=rng.randint(100, credential.years * 365 - 5))
            issued = add_years(expires, -credential.years)
        expiries[key] = expires
        rows.append(
            row(
                "credential",
                id=make_id("credential", number),
                holder_type=credential.holder_type,
                holder_id=credential.holder_id,
                kind=credential.kind,
                issuer=credential.issuer,
                number=credential.number,
                state=credential.state,
                issued=issued,
                expires=expires,
                required=credential.required,
            )
        )
    return rows, expiries


# --------------------------------------------------------------------------- reviews

# Days from today to each established staff member's next annual review. Reviews more
# than 60 days out have no row yet; the office manager opens them a month or two ahead.
NEXT_REVIEW_DUE = {
    "S000001": 95,
    "S000002": 6,
    "S000003": -12,
    "S000005": 150,
    "S000006": 48,
    "S000008": 210,
    "S000009": 17,
    "S000010": 270,
    "S000011": 27,
    "S000012": 330,
}
REVIEW_WITHOUT_GOALS = "S000012"


def review_rows(staff: list[Staff], today: dt.date, rng: random.Random) -> list[Row]:
    """Last year's completed reviews, the cycle now opening, and new hires' 90-day reviews."""
    reviews: list[Row] = []

    def review(member: Staff, start: dt.date, end: dt.date, due: dt.date, **cells: Any) -> None:
        reviews.append(
            row(
                "performance_review",
                staff_id=member.id,
                reviewer_id=None if member.id == OFFICE_MANAGER else OFFICE_MANAGER,
                period_start=start,
                period_end=end,
                due_date=due,
                **cells,
            )
        )

    for member in staff:
        if member.id in RECENT_HIRES:
            end = member.hired + dt.timedelta(days=90)
            review(member, member.hired, end, end, status="scheduled")
            continue
        next_due = today + dt.timedelta(days=NEXT_REVIEW_DUE[member.id])
        due = add_years(next_due, -1)
        end = due - dt.timedelta(days=14)
        goals = rng.sample(cat.REVIEW_GOALS, 2)
        review(
            member,
            add_years(end, -1) + dt.timedelta(days=1),
            end,
            due,
            status="completed",
            score_communication=weighted(rng, ((3, 3), (4, 5), (5, 3), (2, 1))),
            score_clinical_skills=(weighted(rng, ((3, 3), (4, 5), (5, 3))) if member.clinical else None),
            score_teamwork=weighted(rng, ((3, 3), (4, 5), (5, 3), (2, 1))),
            score_reliability=weighted(rng, ((3, 3), (4, 5), (5, 3), (2, 1))),
            score_professionalism=weighted(rng, ((3, 2), (4, 5), (5, 4))),
            goals=None if member.id == REVIEW_WITHOUT_GOALS else "; ".join(goals),
            completed_date=min(today, due + dt.timedelta(days=rng.randint(-10, 4))),
        )
        days_to_due = (next_due - today).days
        if days_to_due <= 60:
            review(
                member,
                end + dt.timedelta(days=1),
                next_due - dt.timedelta(days=14),
                next_due,
                status="in-progress" if days_to_due <= 7 else "scheduled",
            )
    reviews.sort(key=lambda r: (r["due_date"], r["staff_id"]))
    for number, entry in enumerate(reviews, start=1):
        entry["id"] = make_id("performance_review", number)
    return reviews
