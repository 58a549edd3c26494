"""Where the patient is, for quiet hours: the time zones of their address's state, else of their
phone's area code, else the practice's.

The TCPA's calling-time rule (47 CFR 64.1200(c)(1)) forbids messages before 8 a.m. and after
9 p.m. *local time at the called party's location*, and the FCC's 2015 healthcare exemption
(FCC 15-72, 47 CFR 64.1200(a)(9)(iv)) keeps the same window. A practice near a state line, a
student away at college, a snowbird in Florida: the practice's clock is the wrong one.

A state that spans two zones (Texas, Florida, Kentucky…) gives both, as does an area code
that does (phonenumbers' area-code data), and a reminder waits until it is outside quiet
hours in every one: sending an hour late is harmless, sending at 7 a.m. is not. The state
table lists each state's zones by IANA name, most populous first; a state not in it
(or a foreign address) falls through to the phone.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_zones

EASTERN, CENTRAL, MOUNTAIN, PACIFIC = "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"

STATE_ZONES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("CT", "DC", "DE", "GA", "MA", "MD", "ME", "NC", "NH", "NJ", "NY", "OH", "PA", "RI", "SC", "VA", "VT", "WV"),
        (EASTERN,),
    ),
    **dict.fromkeys(("AL", "AR", "IA", "IL", "LA", "MN", "MO", "MS", "OK", "WI"), (CENTRAL,)),
    **dict.fromkeys(("CO", "MT", "NM", "UT", "WY"), (MOUNTAIN,)),
    **dict.fromkeys(("CA", "NV", "WA"), (PACIFIC,)),
    "AK": ("America/Anchorage", "America/Adak"),
    "AZ": ("America/Phoenix",),
    "FL": (EASTERN, CENTRAL),
    "HI": ("Pacific/Honolulu",),
    "ID": ("America/Boise", PACIFIC),
    "IN": ("America/Indiana/Indianapolis", CENTRAL),
    "KS": (CENTRAL, MOUNTAIN),
    "KY": (EASTERN, CENTRAL),
    "MI": ("America/Detroit", "America/Menominee"),
    "ND": (CENTRAL, MOUNTAIN),
    "NE": (CENTRAL, MOUNTAIN),
    "OR": (PACIFIC, "America/Boise"),
    "SD": (CENTRAL, MOUNTAIN),
    "TN": (CENTRAL, EASTERN),
    "TX": (CENTRAL, MOUNTAIN),
    "PR": ("America/Puerto_Rico",),
    "VI": ("America/St_Thomas",),
    "GU": ("Pacific/Guam",),
    "AS": ("Pacific/Pago_Pago",),
    "MP": ("Pacific/Saipan",),
}


def patient_zones(patient: dict[str, Any], practice: ZoneInfo) -> tuple[tuple[ZoneInfo, ...], str]:
    """The patient's possible time zones, and where they were read from (for messages)."""
    state = (patient.get("state") or "").upper()
    if state in STATE_ZONES:
        return tuple(ZoneInfo(z) for z in STATE_ZONES[state]), f"their address in {state}"
    zones = _phone_zones(patient.get("phone"))
    if zones:
        return zones, "their phone's area code"
    return (practice,), "the practice's time zone"


def _phone_zones(phone: Any) -> tuple[ZoneInfo, ...]:
    if not isinstance(phone, str) or not phone.startswith("+"):
        return ()
    try:
        names = phone_zones.time_zones_for_number(phonenumbers.parse(phone))
    except phonenumbers.NumberParseException:
        return ()
    return tuple(ZoneInfo(n) for n in names if n != phone_zones.UNKNOWN_TIMEZONE)
