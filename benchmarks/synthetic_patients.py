"""The synthetic patients the benchmarks type into a sheet: columns and the lists they draw from."""

HEADERS = [
    "MRN",
    "First name",
    "Last name",
    "Date of birth",
    "Sex",
    "Phone",
    "Email",
    "Address",
    "City",
    "State",
    "ZIP",
    "Preferred contact",
    "Reminder consent",
    "Insurance payer",
]
FIRST = ["Ava", "Liam", "Noah", "Emma", "Mia", "Lucas", "Zoe", "Omar", "Priya", "Chen", "Sofia", "Diego"]
LAST = ["Smith", "Nguyen", "Garcia", "Patel", "Kim", "Okafor", "Rossi", "Cohen", "Silva", "Murphy"]
CITIES = ["Boston", "Cambridge", "Somerville", "Brookline", "Quincy", "Newton"]
PAYERS = ["Medicare", "MassHealth", "Blue Cross Blue Shield of MA", "Harvard Pilgrim", "Aetna", "Self-pay"]
