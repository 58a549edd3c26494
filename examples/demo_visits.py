"""The demo practice's calendar and billing: appointments, and the claims they produce.

Six weeks back and six weeks ahead of `today`. Each provider's day is a run of visits that
never overlap, inside office hours; patients come mostly from their own provider's panel.
Past visits were mostly seen, some cancelled or missed; future ones are booked. Completed
visits, and some from before the window, become claims at every stage of their life, plus
the slips a billing office really makes (see `plan_claims`).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from clinicops.examples import demo_catalog as cat
from clinicops.examples.demo_common import weekday_on_or_before, weighted
from clinicops.examples.demo_people import Patient, Provider

WINDOW_DAYS = 42
OPENS = 8 * 60
CLOSES = 17 * 60
LUNCH = (12 * 60, 13 * 60)
TIMELY_FILING_DAYS = 90

NEWCOMERS_EACH_SIDE = 6
REPEAT_NO_SHOW_PATIENTS = 3
NO_SHOWS_EACH = 3
STALE_SCHEDULED = 5
CLAIM_COUNT = 300
OLDER_CLAIMS = 45

# (visit type, relative weight, possible lengths in minutes)
VISIT_TYPES = (
    ("follow-up", 44, (15, 30)),
    ("annual", 8, (30, 45)),
    ("telehealth", 14, (15, 30)),
    ("new", 8, (45, 60)),
    ("urgent", 14, (15, 30)),
    ("procedure", 12, (30, 45, 60)),
)


# --------------------------------------------------------------------------- appointments


@dataclass(eq=False)
class Visit:
    """One appointment, with what billing will need if it becomes a claim."""

    provider: Provider
    start: dt.datetime
    minutes: int
    kind: str
    patient: Patient | None = None
    status: str = "scheduled"
    reason: str = ""
    cpt: list[str] = field(default_factory=list)
    icd10: list[str] = field(default_factory=list)
    modifiers: list[str] = field(default_factory=list)

    @property
    def day(self) -> dt.date:
        return self.start.date()


def _book_slots(providers: list[Provider], today: dt.date, rng: random.Random) -> list[Visit]:
    """Each provider's day as a run of non-overlapping visits on the quarter hour.

    Visits start at 8:00 at the earliest, skip the 12:00-13:00 lunch hour and end by 17:00;
    NP and PA each have a weekday off.
    """
    kinds = tuple((kind, weight) for kind, weight, _ in VISIT_TYPES)
    lengths = {kind: options for kind, _, options in VISIT_TYPES}
    visits = []
    for offset in range(-WINDOW_DAYS, WINDOW_DAYS + 1):
        day = today + dt.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for provider in providers:
            if day.weekday() == provider.day_off:
                continue
            clock = OPENS + rng.choice((0, 0, 15, 30))
            for _ in range(rng.randint(4, 7)):
                kind = weighted(rng, kinds)
                minutes = rng.choice(lengths[kind])
                if LUNCH[0] <= clock < LUNCH[1] or clock < LUNCH[0] < clock + minutes:
                    clock = LUNCH[1]
                if clock + minutes > CLOSES:
                    break
                start = dt.datetime.combine(day, dt.time(clock // 60, clock % 60))
                visits.append(Visit(provider, start, minutes, kind))
                clock += minutes + rng.choice((0, 0, 15, 15, 30, 45, 60))
    return visits


def _assign_patients(visits: list[Visit], patients: list[Patient], today: dt.date, rng: random.Random) -> set[str]:
    """Put a patient in every slot: mostly the provider's own panel, never twice a day.

    First come the patients joining the practice this quarter: each gets one of the
    new-patient slots, half already seen and half still ahead, becomes that provider's
    patient and has no visit before it. Then a few adults are booked into past follow-ups
    they all missed, the repeat no-shows the practice needs to call. New-patient slots
    nobody is joining in become follow-ups. Returns the repeat no-shows' ids.
    """
    booked: dict[dt.date, set[str]] = {}
    joins_at: dict[str, dt.datetime] = {}
    had_annual: set[str] = set()

    def book(visit: Visit, patient: Patient) -> None:
        assert patient.id is not None
        visit.patient = patient
        booked.setdefault(visit.day, set()).add(patient.id)
        if visit.kind == "annual":
            had_annual.add(patient.id)

    def fits(visit: Visit, patient: Patient) -> bool:
        return (
            patient.id not in booked.get(visit.day, set())
            and visit.start >= joins_at.get(patient.id or "", visit.start)
            and (visit.provider.sees_children or patient.age_on(visit.day) >= 18)
            and (visit.kind != "annual" or patient.id not in had_annual)
        )

    newcomers = rng.sample(patients, 2 * NEWCOMERS_EACH_SIDE)
    new_slots = [v for v in visits if v.kind == "new"]
    rng.shuffle(new_slots)
    for patient, seen in zip(newcomers, (True, False) * NEWCOMERS_EACH_SIDE, strict=True):
        visit = next(v for v in new_slots if v.patient is None and (v.day < today) == seen and fits(v, patient))
        book(visit, patient)
        assert patient.id is not None
        joins_at[patient.id] = visit.start
        patient.provider_id = visit.provider.id
        patient.new_to_practice = True
    for visit in new_slots:
        if visit.patient is None:
            visit.kind, visit.minutes = "follow-up", min(visit.minutes, 30)

    adults = [p for p in patients if p.age_on(today) >= 18 and not p.new_to_practice]
    repeaters = rng.sample(adults, REPEAT_NO_SHOW_PATIENTS)
    for patient in repeaters:
        slots = [
            v
            for v in visits
            if v.day < today and v.patient is None and v.provider.id == patient.provider_id and v.kind == "follow-up"
        ]
        rng.shuffle(slots)
        missed = 0
        for visit in slots:
            if missed == NO_SHOWS_EACH:
                break
            if fits(visit, patient):
                book(visit, patient)
                visit.status = "no-show"
                missed += 1

    panels: dict[str, list[Patient]] = {}
    for patient in patients:
        panels.setdefault(patient.provider_id, []).append(patient)
    for visit in visits:
        if visit.patient is not None:
            continue
        pool = panels[visit.provider.id] if rng.random() < 0.75 else patients
        for _ in range(40):
            candidate = rng.choice(pool)
            if fits(visit, candidate):
                book(visit, candidate)
                break
        else:
            if visit.kind == "annual" and not any(fits(visit, p) for p in patients):
                visit.kind, visit.minutes = "follow-up", min(visit.minutes, 30)
            book(visit, next(p for p in patients if fits(visit, p)))
    return {p.id for p in repeaters if p.id is not None}


def _set_statuses(visits: list[Visit], repeaters: set[str], today: dt.date, rng: random.Random) -> None:
    """Past visits are mostly completed, a few cancelled or missed; later ones are booked.

    Today's visits count as upcoming: the demo is generated for a day, not an hour.

    Apart from the repeat no-shows nobody misses more than one visit, so the no-show
    report tells a clear story. A handful of last week's visits were never closed out.
    """
    missed_once: set[str] = set()
    for visit in visits:
        assert visit.patient is not None and visit.patient.id is not None
        patient_id = visit.patient.id
        if visit.status == "no-show":
            continue
        if visit.day < today:
            draw = rng.random()
            if draw < 0.06:
                visit.status = "cancelled"
            elif draw < 0.10 and patient_id not in repeaters and patient_id not in missed_once:
                visit.status = "no-show"
                missed_once.add(patient_id)
            else:
                visit.status = "completed"
        else:
            days_ahead = (visit.day - today).days
            confirm = 0.7 if days_ahead <= 2 else 0.35 if days_ahead <= 7 else 0.04
            visit.status = "confirmed" if rng.random() < confirm else "scheduled"
    last_week = [v for v in visits if v.status == "completed" and today - dt.timedelta(days=7) <= v.day < today]
    for visit in rng.sample(last_week, min(STALE_SCHEDULED, len(last_week))):
        visit.status = "scheduled"


def _describe_visit(visit: Visit, rng: random.Random) -> None:
    """The reason staff typed, and the codes billing will put on the claim."""
    patient = visit.patient
    assert patient is not None
    age = patient.age_on(visit.day)
    chronic = list(patient.conditions)
    cpt: list[str] = []
    icd: list[str] = []
    modifiers: list[str] = []
    if visit.kind == "annual":
        cpt.append(next(code for limit, code in cat.PREVENTIVE_CPT if age < limit))
        if age < 18:
            reason, icd = "Well-child visit", [cat.ANNUAL_CHILD]
        else:
            abnormal = rng.random() < 0.2
            reason = "Annual physical"
            icd = [cat.ANNUAL_ADULT_ABNORMAL if abnormal else cat.ANNUAL_ADULT_NORMAL]
            if chronic and rng.random() < 0.25:
                condition = rng.choice(chronic)
                reason = f"Annual physical + {condition.label}"
                cpt.append("99213")
                icd.append(condition.icd10)
                modifiers.append("25")
            if rng.random() < 0.5:
                cpt.append("36415")
            if age >= 65 and rng.random() < 0.3:
                cpt.append("93000")
        vaccines = [v for v in cat.VACCINES if v.min_age <= age <= v.max_age]
        if vaccines and rng.random() < 0.35:
            cpt += ["90471", rng.choice(vaccines).cpt]
            icd.append(cat.IMMUNIZATION)
    elif visit.kind in ("follow-up", "telehealth"):
        condition = rng.choice(chronic) if chronic else rng.choice(cat.COMPLAINTS).condition
        icd = [condition.icd10, *(c.icd10 for c in chronic if c != condition)][:3]
        if visit.kind == "telehealth":
            reason = f"Telehealth check-in: {condition.label}"
            cpt = [weighted(rng, cat.TELEHEALTH_CPT)]
            modifiers = ["95"]
        else:
            template = rng.choice(("Follow-up: {}", "Medication review: {}", "Lab results: {}"))
            reason = template.format(condition.label)
            cpt = [weighted(rng, cat.ESTABLISHED_CPT)]
            if condition.icd10 == "E11.9" and rng.random() < 0.6:
                cpt.append("83036")
    elif visit.kind == "new":
        cpt = [weighted(rng, cat.NEW_PATIENT_CPT)]
        if chronic:
            reason = f"New patient: establish care, {chronic[0].label}"
            icd = [c.icd10 for c in chronic[:3]]
        else:
            complaint = rng.choice(cat.COMPLAINTS)
            reason = f"New patient: {complaint.condition.label}"
            icd = [complaint.condition.icd10]
            cpt += complaint.tests
    elif visit.kind == "urgent":
        complaint = rng.choice(cat.COMPLAINTS)
        reason = f"Same day: {complaint.condition.label}"
        cpt = [rng.choice(("99213", "99213", "99214")), *complaint.tests]
        icd = [complaint.condition.icd10]
    else:
        procedure = rng.choice(cat.PROCEDURES)
        reason = f"Procedure: {procedure.label}"
        cpt = list(procedure.cpt)
        icd = [procedure.icd10]
        if rng.random() < 0.3:
            cpt.insert(0, "99214")
            modifiers.append("25")
            icd += [c.icd10 for c in chronic[:1]]
        if procedure.label == "wart removal" and rng.random() < 0.3:
            cpt += cat.SEPARATE_BIOPSY.cpt
            icd.append(cat.SEPARATE_BIOPSY.icd10)
            modifiers.append("59")
    visit.reason = reason
    visit.cpt = list(dict.fromkeys(cpt))
    visit.icd10 = list(dict.fromkeys(icd))
    visit.modifiers = modifiers


def schedule(providers: list[Provider], patients: list[Patient], today: dt.date, rng: random.Random) -> list[Visit]:
    """The appointment book in start order, each visit with its patient, status and codes.

    Completed visits are also noted on the patient, for the Last visit column.
    """
    visits = sorted(_book_slots(providers, today, rng), key=lambda v: (v.start, v.provider.id))
    repeaters = _assign_patients(visits, patients, today, rng)
    _set_statuses(visits, repeaters, today, rng)
    for visit in visits:
        _describe_visit(visit, rng)
        if visit.status == "completed" and visit.patient is not None:
            visit.patient.visit_days.append(visit.day)
    return visits


# --------------------------------------------------------------------------- claims


@dataclass(eq=False)
class Claim:
    """One claim and where it stands with the payer."""

    patient: Patient
    provider_id: str
    service_day: dt.date
    cpt: list[str]
    icd10: list[str]
    modifiers: list[str]
    billed: float = 0.0
    status: str = "draft"
    submitted: dt.date | None = None
    paid_amount: float | None = None
    paid_on: dt.date | None = None
    denial_reason: str | None = None

    def age_on(self, today: dt.date) -> int:
        return (today - self.service_day).days

    def as_draft(self) -> None:
        self.status, self.submitted, self.paid_amount = "draft", None, None
        self.paid_on, self.denial_reason = None, None


def _claim_for(visit: Visit) -> Claim:
    assert visit.patient is not None
    return Claim(
        patient=visit.patient,
        provider_id=visit.provider.id,
        service_day=visit.day,
        cpt=list(visit.cpt),
        icd10=list(visit.icd10),
        modifiers=list(visit.modifiers),
        billed=round(sum(cat.FEES[code] for code in visit.cpt), 2),
    )


def _settle_claim(claim: Claim, today: dt.date, rng: random.Random) -> None:
    """Move a claim along its life so far: drafted, sent within days, then answered."""
    age = claim.age_on(today)
    if age <= 2 or (age <= 10 and rng.random() < 0.3):
        claim.as_draft()
        return
    claim.submitted = claim.service_day + dt.timedelta(days=rng.randint(1, min(6, age)))
    waiting = (today - claim.submitted).days
    draw = rng.random()
    if waiting < 14 or draw >= 0.93:
        claim.status = "submitted"
    elif draw < 0.75:
        claim.status = "paid"
        claim.paid_on = claim.submitted + dt.timedelta(days=rng.randint(14, min(35, waiting)))
        share = cat.PAID_SHARE[claim.patient.payer] * rng.uniform(0.92, 1.06)
        claim.paid_amount = round(min(claim.billed, claim.billed * share), 2)
    elif draw < 0.87 or waiting < 30:
        claim.status = "denied"
        claim.denial_reason = rng.choice(cat.DENIAL_REASONS)
    else:
        claim.status = "appealed"
        claim.denial_reason = rng.choice(cat.DENIAL_REASONS)


def _older_visit(
    patient: Patient,
    providers: dict[str, Provider],
    day: dt.date,
    rng: random.Random,
) -> Visit:
    """A visit from before the appointment sheet's window: only its claim is still open."""
    kind = weighted(rng, (("follow-up", 6), ("annual", 2), ("urgent", 2)))
    start = dt.datetime.combine(day, dt.time(rng.choice((9, 10, 11, 14, 15)), 0))
    visit = Visit(providers[patient.provider_id], start, 30, kind, patient, "completed")
    _describe_visit(visit, rng)
    patient.visit_days.append(day)
    return visit


def plan_claims(
    visits: list[Visit],
    patients: list[Patient],
    providers: list[Provider],
    today: dt.date,
    rng: random.Random,
) -> list[Claim]:
    """300 claims: recent completed visits, older ones, and the billing office's slips."""
    by_id = {p.id: p for p in providers}
    insured = [v for v in visits if v.status == "completed" and v.patient and v.patient.payer != cat.SELF_PAY]
    # Five more are added below: the late submission, three aging drafts, a duplicate.
    recent_count = CLAIM_COUNT - OLDER_CLAIMS - 5
    claims = [_claim_for(v) for v in rng.sample(insured, min(recent_count, len(insured)))]

    established = [p for p in patients if p.id is not None and p.payer != cat.SELF_PAY and not p.new_to_practice]

    def older(days_ago: int, patient: Patient | None = None) -> Claim:
        day = weekday_on_or_before(today - dt.timedelta(days=days_ago))
        return _claim_for(_older_visit(patient or rng.choice(established), by_id, day, rng))

    claims += [older(rng.randint(WINDOW_DAYS + 1, 130)) for _ in range(OLDER_CLAIMS)]
    for claim in claims:
        _settle_claim(claim, today, rng)

    # The billing office's slips, for the billing checks to catch. Each is for a commercial
    # payer, whose filing limit is 90 days (Medicare's is a year, MassHealth's 365 days).
    # Sent 96 days after the visit:
    commercial = [p for p in established if p.payer in cat.COMMERCIAL_PAYERS]
    late = older(125, commercial[0])
    late.status = "submitted"
    late.submitted = late.service_day + dt.timedelta(days=TIMELY_FILING_DAYS + 6)
    # Drafts nobody got to, closing in on the 90-day filing limit:
    aging = [older(days, commercial[n]) for n, days in enumerate((66, 74, 83), start=1)]

    # This week's drafts: one coded with the category "E11" instead of a billable code,
    # preferably where "E11.9" was meant, and one with a CPT code missing its last digit.
    recent = sorted(
        (c for c in claims if c.age_on(today) <= 10),
        key=lambda c: ("E11.9" not in c.icd10, c.service_day),
    )
    category_coded = recent[0]
    category_coded.as_draft()
    category_coded.icd10 = ["E11" if code == "E11.9" else code for code in category_coded.icd10]
    if "E11" not in category_coded.icd10:
        category_coded.icd10[0] = "E11"
    typo = next(c for c in recent[1:] if c.cpt[0].startswith("992"))
    typo.as_draft()
    typo.cpt[0] = "9921"

    # A claim keyed in a second time, and sent again nine days after the first went out:
    original = next(c for c in claims if c.status in ("submitted", "paid") and 15 <= c.age_on(today) <= WINDOW_DAYS)
    assert original.submitted is not None
    duplicate = Claim(
        patient=original.patient,
        provider_id=original.provider_id,
        service_day=original.service_day,
        cpt=list(original.cpt),
        icd10=list(original.icd10),
        modifiers=list(original.modifiers),
        billed=original.billed,
        status="submitted",
        submitted=min(today, original.submitted + dt.timedelta(days=9)),
    )
    claims.insert(claims.index(original) + 1, duplicate)
    _money_and_code_slips(claims, today)
    claims += [late, *aging]
    claims.sort(key=lambda c: (c.service_day, c.patient.id or ""))
    return claims


# A diagnosis code the April 2026 ICD-10-CM release does not have: the FY2027 code the
# billing plugin cannot verify until the practice adds CMS's FY2027 code file.
NEWER_CODE = "I42.00"


def _money_and_code_slips(claims: list[Claim], today: dt.date) -> None:
    """A Medicare claim denied as filed late, a payment posted on top of a full payment, and
    a cardiomyopathy coded with the new FY2027 code on a claim already sent."""
    sent = [c for c in claims if c.status in ("submitted", "denied", "appealed") and c.age_on(today) >= 20]
    medicare = [c for c in sent if c.patient.payer == cat.MEDICARE]
    medicare_denied = next((c for c in medicare if c.status == "denied"), medicare[0])
    medicare_denied.status, medicare_denied.denial_reason = "denied", cat.TIMELY_FILING_DENIAL
    overpaid = next(c for c in claims if c.status == "paid" and c.patient.payer in cat.COMMERCIAL_PAYERS)
    overpaid.paid_amount = round(overpaid.billed + 40.0, 2)
    newer = max((c for c in medicare if c.status == "submitted"), key=lambda c: c.service_day)
    newer.icd10 = [NEWER_CODE, *newer.icd10[:2]]
