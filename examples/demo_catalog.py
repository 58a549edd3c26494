"""Reference data behind the demo practice, Maple Street Family Medicine in Boston.

These are the lists a small Massachusetts family practice really works from: its payers,
the towns its patients live in, the diagnoses and fee schedule its billing office uses,
and the stock on its shelves. Keeping them apart from the generator lets the generator
read as a description of the practice's week, and lets tests check the lists on their own
(every ICD-10-CM code here must be a billable leaf code).
"""

from __future__ import annotations

from typing import NamedTuple

PRACTICE_NAME = "Maple Street Family Medicine"
PRACTICE_TIMEZONE = "America/New_York"
PRACTICE_EMAIL_DOMAIN = "example.org"

MEDICARE = "Medicare"
MASSHEALTH = "Medicaid (MassHealth)"
BCBS_MA = "Blue Cross Blue Shield of MA"
HARVARD_PILGRIM = "Harvard Pilgrim"
TUFTS = "Tufts Health Plan"
AETNA = "Aetna"
SELF_PAY = "Self-pay"

PAYERS = (MEDICARE, MASSHEALTH, BCBS_MA, HARVARD_PILGRIM, TUFTS, AETNA, SELF_PAY)
COMMERCIAL_PAYERS = (BCBS_MA, HARVARD_PILGRIM, TUFTS, AETNA)

# Coverage depends mostly on age: children are often on MassHealth, nearly everyone
# over 65 is on Medicare. Weights are relative.
# fmt: off
PAYER_MIX_CHILD = ((MASSHEALTH, 32), (BCBS_MA, 25), (HARVARD_PILGRIM, 15), (TUFTS, 14),
                   (AETNA, 10), (SELF_PAY, 4))
PAYER_MIX_ADULT = ((MASSHEALTH, 18), (BCBS_MA, 28), (HARVARD_PILGRIM, 17), (TUFTS, 15),
                   (AETNA, 15), (SELF_PAY, 7))
PAYER_MIX_SENIOR = ((MEDICARE, 84), (BCBS_MA, 6), (TUFTS, 5), (AETNA, 5))
# fmt: on

# Share of the billed amount a payer typically pays on a clean claim.
PAID_SHARE = {
    MEDICARE: 0.56,
    MASSHEALTH: 0.47,
    BCBS_MA: 0.72,
    HARVARD_PILGRIM: 0.70,
    TUFTS: 0.68,
    AETNA: 0.74,
}

# Where the patients live: Boston neighbourhoods and the towns around the practice,
# each with its real ZIP codes (typed as text: Massachusetts ZIPs start with 0).
# fmt: off
TOWNS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("Boston", ("02108", "02111", "02114", "02115", "02116", "02118", "02119", "02120",
                "02121", "02122", "02124", "02125", "02127", "02128", "02129", "02130",
                "02131", "02132", "02134", "02135", "02136"), 60),
    ("Cambridge", ("02138", "02139", "02140", "02141"), 10),
    ("Somerville", ("02143", "02144", "02145"), 8),
    ("Brookline", ("02445", "02446"), 6),
    ("Newton", ("02458", "02459", "02460"), 5),
    ("Quincy", ("02169", "02170", "02171"), 5),
    ("Medford", ("02155",), 3),
    ("Malden", ("02148",), 3),
    ("Watertown", ("02472",), 3),
    ("Arlington", ("02474", "02476"), 2),
    ("Milton", ("02186",), 2),
    ("Chelsea", ("02150",), 2),
)
# fmt: on

# Area codes of eastern Massachusetts. Every phone number in the demo uses the
# 555-0100..555-0199 block, which is reserved for fiction and never rings anyone.
AREA_CODES = ("617", "857", "781", "339", "508", "978")


class Condition(NamedTuple):
    """A diagnosis as the front desk words it and as billing codes it."""

    label: str
    icd10: str


class ChronicCondition(NamedTuple):
    """A long-term condition and how common it is among the practice's patients."""

    condition: Condition
    min_age: int
    prevalence: float


class Complaint(NamedTuple):
    """A same-day problem and the in-office tests it usually brings."""

    condition: Condition
    tests: tuple[str, ...]


class Procedure(NamedTuple):
    """An office procedure, the diagnosis it treats and the codes it is billed with."""

    label: str
    icd10: str
    cpt: tuple[str, ...]


class Vaccine(NamedTuple):
    """A vaccine given at a visit: its product code and who it is for."""

    cpt: str
    min_age: int
    max_age: int


CHRONIC_CONDITIONS = (
    ChronicCondition(Condition("hypertension", "I10"), 35, 0.32),
    ChronicCondition(Condition("high cholesterol", "E78.5"), 35, 0.24),
    ChronicCondition(Condition("type 2 diabetes", "E11.9"), 30, 0.12),
    ChronicCondition(Condition("anxiety", "F41.1"), 14, 0.11),
    ChronicCondition(Condition("depression", "F32.A"), 14, 0.08),
    ChronicCondition(Condition("hypothyroidism", "E03.9"), 25, 0.06),
    ChronicCondition(Condition("acid reflux", "K21.9"), 18, 0.08),
    ChronicCondition(Condition("asthma", "J45.909"), 3, 0.08),
    ChronicCondition(Condition("obesity", "E66.9"), 10, 0.10),
    ChronicCondition(Condition("low back pain", "M54.50"), 18, 0.08),
    ChronicCondition(Condition("migraine", "G43.909"), 12, 0.05),
    ChronicCondition(Condition("allergic rhinitis", "J30.9"), 3, 0.09),
    ChronicCondition(Condition("vitamin D deficiency", "E55.9"), 18, 0.05),
)

COMPLAINTS = (
    Complaint(Condition("sore throat", "J02.9"), ("87880",)),
    Complaint(Condition("cough", "R05.9"), ()),
    Complaint(Condition("cold symptoms", "J06.9"), ()),
    Complaint(Condition("urinary tract infection", "N39.0"), ("81002",)),
    Complaint(Condition("abdominal pain", "R10.9"), ("81002",)),
    Complaint(Condition("headache", "R51.9"), ()),
    Complaint(Condition("knee pain", "M25.561"), ()),
    Complaint(Condition("rash", "R21"), ()),
    Complaint(Condition("ear pain", "H92.09"), ()),
    Complaint(Condition("bronchitis", "J20.9"), ()),
    Complaint(Condition("sinus infection", "J01.90"), ()),
    Complaint(Condition("pink eye", "H10.9"), ()),
    Complaint(Condition("fever", "R50.9"), ("87804",)),
    Complaint(Condition("palpitations", "R00.2"), ("93000",)),
)

PROCEDURES = (
    Procedure("wart removal", "B07.9", ("17110",)),
    Procedure("skin biopsy", "D48.5", ("11102",)),
    Procedure("ear wax removal", "H61.23", ("69210",)),
    Procedure("knee injection", "M17.11", ("20610", "J1030")),
    Procedure("abscess drainage", "L02.91", ("10060",)),
    Procedure("lesion excision", "D23.5", ("11402", "12032")),
    Procedure("spirometry", "R06.02", ("94010",)),
    Procedure("ECG", "R00.2", ("93000",)),
)

# A second, separate lesion treated at a wart-removal visit: billed with modifier 59.
SEPARATE_BIOPSY = Procedure("skin biopsy", "D48.5", ("11102",))

VACCINES = (
    Vaccine("90686", 1, 120),  # influenza
    Vaccine("90715", 11, 120),  # Tdap
    Vaccine("90750", 50, 120),  # zoster (Shingrix)
    Vaccine("90677", 65, 120),  # pneumococcal (Prevnar 20)
    Vaccine("90651", 9, 26),  # HPV (Gardasil 9)
)

ANNUAL_ADULT_NORMAL = "Z00.00"
ANNUAL_ADULT_ABNORMAL = "Z00.01"
ANNUAL_CHILD = "Z00.129"
IMMUNIZATION = "Z23"

# Preventive-visit codes for established patients, by age band (upper bound exclusive).
# fmt: off
PREVENTIVE_CPT = ((1, "99391"), (5, "99392"), (12, "99393"), (18, "99394"), (40, "99395"),
                  (65, "99396"), (200, "99397"))
# fmt: on

NEW_PATIENT_CPT = (("99202", 1), ("99203", 4), ("99204", 4), ("99205", 1))
ESTABLISHED_CPT = (("99212", 2), ("99213", 6), ("99214", 4), ("99215", 1))
TELEHEALTH_CPT = (("99212", 3), ("99213", 6), ("99214", 2))

# The practice's charge master: what it bills, before any payer discount.
# fmt: off
FEES = {
    "99202": 120.00, "99203": 175.00, "99204": 265.00, "99205": 335.00,
    "99212": 85.00, "99213": 135.00, "99214": 195.00, "99215": 265.00,
    "99391": 195.00, "99392": 205.00, "99393": 210.00, "99394": 225.00,
    "99395": 240.00, "99396": 260.00, "99397": 285.00,
    "90471": 30.00, "90686": 28.00, "90715": 55.00, "90750": 245.00,
    "90677": 295.00, "90651": 310.00,
    "36415": 18.00, "81002": 15.00, "83036": 40.00, "87880": 38.00, "87804": 42.00,
    "93000": 75.00, "94010": 95.00,
    "17110": 185.00, "11102": 165.00, "69210": 110.00, "20610": 215.00, "J1030": 18.00,
    "10060": 240.00, "11402": 420.00, "12032": 520.00,
}
# fmt: on

# Claim adjustment reason codes the billing office sees most on denials.
TIMELY_FILING_DENIAL = "CO-29: the time limit for filing has expired"
DENIAL_REASONS = (
    "CO-16: claim lacks information needed for adjudication",
    "CO-97: service included in another service already adjudicated",
    "CO-50: not deemed a medical necessity by the payer",
    "CO-197: precertification/authorization absent",
    "CO-22: care may be covered by another payer (coordination of benefits)",
    "CO-27: expenses incurred after coverage terminated",
    "CO-4: procedure code inconsistent with the modifier used",
)

REVIEW_GOALS = (
    "Cross-train on insurance eligibility checks",
    "Complete the phlebotomy refresher course",
    "Bring average check-in time under five minutes",
    "Lead the quarterly vaccine inventory count",
    "Sit the CPC coding exam",
    "Mentor the newest medical assistant",
    "Cut prior-authorization turnaround to two days",
    "Own the monthly no-show call list",
    "Update the front-desk training binder",
    "Take the lead on the OSHA safety walk-through",
)


class StockItem(NamedTuple):
    """One line of the supply list: what is ordered, from whom, in what packs."""

    name: str
    category: str
    unit: str
    pack_size: int
    par_level: int
    unit_cost: float
    vendor: str
    has_lot: bool = False


MCKESSON = "McKesson Medical-Surgical"
HENRY_SCHEIN = "Henry Schein Medical"
MEDLINE = "Medline Industries"
CARDINAL = "Cardinal Health"
STAPLES = "Staples Business Advantage"
FISHER = "Fisher Healthcare"
GRAINGER = "Grainger"

STOCK_LOCATIONS = {
    "medical": "Supply room",
    "office": "Front office closet",
    "vaccine": "Vaccine fridge",
    "medication": "Med room, locked cabinet",
    "lab": "Lab",
    "cleaning": "Janitor closet",
}

# fmt: off
STOCK = (
    StockItem("Nitrile exam gloves, small", "medical", "box of 100", 10, 20, 8.50, MCKESSON),
    StockItem("Nitrile exam gloves, medium", "medical", "box of 100", 10, 40, 8.50, MCKESSON),
    StockItem("Nitrile exam gloves, large", "medical", "box of 100", 10, 30, 8.50, MCKESSON),
    StockItem("Exam table paper, 21 in crepe", "medical", "roll", 12, 24, 6.75, MEDLINE),
    StockItem("Alcohol prep pads", "medical", "box of 200", 10, 20, 3.20, MCKESSON),
    StockItem("Gauze sponges 2x2 in, non-sterile", "medical", "pack of 200", 10, 15, 4.10, MEDLINE),
    StockItem("Adhesive bandages 1x3 in", "medical", "box of 100", 12, 12, 3.95, MEDLINE),
    StockItem("Cotton-tipped applicators 6 in", "medical", "pack of 100", 10, 20, 1.80, MEDLINE),
    StockItem("Tongue depressors", "medical", "box of 500", 10, 6, 7.40, MCKESSON),
    StockItem("Otoscope specula 4 mm, disposable", "medical", "bag of 250", 4, 6, 14.90,
              HENRY_SCHEIN),
    StockItem("Syringe 3 mL with 25G 1 in needle", "medical", "box of 100", 4, 8, 21.00,
              HENRY_SCHEIN),
    StockItem("Syringe 1 mL with 27G 1/2 in needle", "medical", "box of 100", 4, 6, 19.50,
              HENRY_SCHEIN),
    StockItem("Safety needles 23G 1 in", "medical", "box of 100", 4, 6, 24.00, HENRY_SCHEIN),
    StockItem("Sharps container 2 gal", "medical", "each", 20, 10, 5.60, MCKESSON),
    StockItem("Surgical masks, ear loop", "medical", "box of 50", 10, 20, 5.25, MEDLINE),
    StockItem("N95 respirators", "medical", "box of 20", 6, 6, 18.00, MEDLINE),
    StockItem("Isolation gowns, yellow", "medical", "pack of 10", 10, 10, 9.80, MEDLINE),
    StockItem("Sterile gloves, size 7", "medical", "box of 50 pairs", 4, 4, 38.00, CARDINAL),
    StockItem("Suture removal kit", "medical", "each", 50, 25, 2.10, CARDINAL),
    StockItem("Nylon suture 4-0, P-3 needle", "medical", "box of 12", 1, 4, 42.00, CARDINAL,
              True),
    StockItem("Disposable biopsy punch 4 mm", "medical", "box of 25", 1, 3, 46.00, CARDINAL,
              True),
    StockItem("ECG electrodes, tab", "medical", "pack of 100", 10, 10, 6.40, MCKESSON),
    StockItem("Elastic bandage 3 in", "medical", "each", 10, 20, 1.35, MEDLINE),
    StockItem("Instant cold packs", "medical", "each", 24, 24, 0.95, MEDLINE),
    StockItem("Nebulizer kit, adult mask", "medical", "each", 50, 15, 1.90, MCKESSON),
    StockItem("Spirometer filters, disposable", "medical", "box of 50", 1, 3, 62.00,
              HENRY_SCHEIN),
    StockItem("Copy paper, letter", "office", "ream", 10, 20, 5.40, STAPLES),
    StockItem("Toner cartridge, front desk printer", "office", "each", 1, 3, 89.00, STAPLES),
    StockItem("Label printer rolls, 1x2-1/8 in", "office", "roll", 6, 6, 11.50, STAPLES),
    StockItem("Ballpoint pens, black", "office", "box of 12", 6, 6, 4.30, STAPLES),
    StockItem("Clipboards", "office", "each", 6, 12, 2.20, STAPLES),
    StockItem("File folders, letter", "office", "box of 100", 1, 3, 14.60, STAPLES),
    StockItem("Envelopes #10, window", "office", "box of 500", 1, 2, 27.00, STAPLES),
    StockItem("Receipt paper rolls", "office", "roll", 12, 12, 1.60, STAPLES),
    StockItem("Appointment reminder cards", "office", "pack of 100", 5, 5, 7.20, STAPLES),
    StockItem("Sign-in privacy labels", "office", "roll", 2, 4, 16.00, STAPLES),
    StockItem("Influenza vaccine, high-dose (Fluzone High-Dose)", "vaccine", "dose", 10, 40,
              58.00, "Sanofi Pasteur", True),
    StockItem("Influenza vaccine, standard (Flucelvax)", "vaccine", "dose", 10, 60, 24.00,
              "CSL Seqirus", True),
    StockItem("Tdap vaccine (Boostrix)", "vaccine", "dose", 10, 20, 46.00, "GSK", True),
    StockItem("Zoster vaccine recombinant (Shingrix)", "vaccine", "dose", 10, 20, 196.00, "GSK",
              True),
    StockItem("Pneumococcal conjugate vaccine (Prevnar 20)", "vaccine", "dose", 10, 20, 245.00,
              "Pfizer", True),
    StockItem("HPV vaccine (Gardasil 9)", "vaccine", "dose", 10, 10, 268.00, "Merck", True),
    StockItem("Hepatitis B vaccine (Engerix-B)", "vaccine", "dose", 10, 10, 61.00, "GSK", True),
    StockItem("Hepatitis A vaccine (Havrix)", "vaccine", "dose", 10, 10, 68.00, "GSK", True),
    StockItem("MMR vaccine (M-M-R II)", "vaccine", "dose", 10, 10, 84.00, "Merck", True),
    StockItem("Varicella vaccine (Varivax)", "vaccine", "dose", 10, 10, 152.00, "Merck", True),
    StockItem("COVID-19 vaccine (Spikevax)", "vaccine", "dose", 10, 20, 136.00, "Moderna", True),
    StockItem("RSV vaccine (Arexvy)", "vaccine", "dose", 10, 10, 280.00, "GSK", True),
    StockItem("Lidocaine 1% injection, 20 mL vial", "medication", "vial", 25, 10, 3.10,
              HENRY_SCHEIN, True),
    StockItem("Methylprednisolone acetate 40 mg/mL, 1 mL vial", "medication", "vial", 25, 10,
              7.80, HENRY_SCHEIN, True),
    StockItem("Triamcinolone 40 mg/mL, 1 mL vial", "medication", "vial", 10, 10, 9.40,
              HENRY_SCHEIN, True),
    StockItem("Ketorolac 30 mg/mL, 1 mL vial", "medication", "vial", 25, 10, 1.90, HENRY_SCHEIN,
              True),
    StockItem("Ceftriaxone 500 mg vial", "medication", "vial", 10, 10, 4.60, CARDINAL, True),
    StockItem("Epinephrine 1 mg/mL ampule", "medication", "ampule", 10, 10, 12.50, CARDINAL,
              True),
    StockItem("Diphenhydramine 50 mg/mL vial", "medication", "vial", 25, 5, 2.40, CARDINAL,
              True),
    StockItem("Ondansetron 4 mg ODT", "medication", "tablet", 30, 30, 0.45, CARDINAL, True),
    StockItem("Albuterol 2.5 mg/3 mL nebules", "medication", "nebule", 25, 50, 0.38, CARDINAL,
              True),
    StockItem("Ibuprofen 200 mg tablets", "medication", "bottle of 100", 1, 4, 3.20, MCKESSON,
              True),
    StockItem("Acetaminophen 500 mg tablets", "medication", "bottle of 100", 1, 4, 2.90,
              MCKESSON, True),
    StockItem("Sodium chloride 0.9% flush, 10 mL", "medication", "syringe", 30, 30, 0.42,
              MEDLINE, True),
    StockItem("Tuberculin PPD (Tubersol), 1 mL vial", "medication", "vial", 1, 4, 78.00,
              "Sanofi Pasteur", True),
    StockItem("Medroxyprogesterone 150 mg/mL syringe", "medication", "syringe", 1, 6, 42.00,
              CARDINAL, True),
    StockItem("Rapid strep A test kit", "lab", "kit of 25", 1, 4, 72.00, FISHER, True),
    StockItem("Rapid influenza A/B test kit", "lab", "kit of 25", 1, 3, 195.00, FISHER, True),
    StockItem("COVID-19 antigen test kit", "lab", "kit of 25", 1, 3, 165.00, FISHER, True),
    StockItem("Urine dipstick strips, 10 parameter", "lab", "bottle of 100", 1, 4, 31.00,
              FISHER, True),
    StockItem("Urine pregnancy test cassettes", "lab", "box of 50", 1, 2, 24.00, FISHER, True),
    StockItem("HbA1c test cartridges", "lab", "box of 10", 1, 4, 98.00, FISHER, True),
    StockItem("Glucose test strips", "lab", "box of 50", 1, 4, 22.00, FISHER, True),
    StockItem("Lancets, safety 21G", "lab", "box of 200", 1, 3, 17.00, FISHER),
    StockItem("Blood collection tubes, lavender EDTA", "lab", "box of 100", 1, 3, 26.00,
              FISHER, True),
    StockItem("Blood collection tubes, gold SST", "lab", "box of 100", 1, 3, 29.00, FISHER,
              True),
    StockItem("Specimen cups, sterile 4 oz", "lab", "case of 100", 1, 2, 21.00, FISHER),
    StockItem("Butterfly collection sets 23G", "lab", "box of 50", 1, 3, 48.00, FISHER),
    StockItem("Germicidal wipes (Sani-Cloth Plus)", "cleaning", "canister", 12, 24, 8.90,
              GRAINGER),
    StockItem("Hand sanitizer, 1 L pump", "cleaning", "bottle", 12, 12, 9.75, GRAINGER),
    StockItem("Foaming hand soap refill", "cleaning", "refill", 6, 12, 7.30, GRAINGER),
    StockItem("Paper towels, multifold", "cleaning", "case of 16 packs", 1, 4, 34.00, GRAINGER),
    StockItem("Biohazard bags, red 10 gal", "cleaning", "box of 250", 1, 2, 39.00, MEDLINE),
    StockItem("Trash bags, 33 gal", "cleaning", "box of 100", 1, 3, 21.00, GRAINGER),
)
# fmt: on
