"""Credential cycles: an expiry further out than one renewal of its kind is flagged as a probable
typo, through the Credentials tab and ``clinicops status``; the cycles are the practice's data."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click.testing import CliRunner

from clinicops.core.cli import cli

from .conftest import Clinic, write_config

TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def pinned(xlsx_clinic: Clinic) -> Iterator[Clinic]:
    moment = dt.datetime.combine(TODAY, dt.time(12), tzinfo=ZoneInfo("America/New_York"))
    with time_machine.travel(moment, tick=False):
        yield xlsx_clinic


def credential(kind: str, expires: Any, issued: Any = None, holder: str = "PR000001") -> dict[str, Any]:
    row = {"Holder type": "provider", "Holder": holder, "Kind": kind, "Expires": expires, "Required": "yes"}
    return row | ({"Issued": issued} if issued else {})


def beyond_cycle(clinic: Clinic) -> dict[str, str]:
    return {
        a["record_id"]: a["message"]
        for a in clinic.records("alert")
        if a["plugin"] == "credentials" and a["id"].endswith(":beyond-cycle") and a["status"] == "open"
    }


def test_an_expiry_beyond_one_renewal_is_flagged_as_a_probable_typo(pinned: Clinic) -> None:
    pinned.sheet.append(
        "Credentials",
        [
            # 21 CFR 1301.13(e): a practitioner's DEA registration runs 3 years.
            credential("DEA", dt.date(2029, 1, 31), issued=dt.date(2026, 1, 10)),  # CR000001: 3 years, fine
            credential("DEA", dt.date(2039, 1, 31), issued=dt.date(2026, 1, 10)),  # CR000002: 2039 for 2029
            # American Heart Association: a BLS or ACLS card is valid two years, to the end of the month.
            credential("BLS", dt.date(2028, 3, 31)),  # CR000003: two years from this month, fine
            credential("ACLS", dt.date(2028, 5, 31)),  # CR000004: no issue date, more than 2 years from today
            # 29 CFR 1910.1030(g)(2)(ii)(B): bloodborne-pathogens training at least annually.
            credential("OSHA", dt.date(2027, 12, 1), issued=dt.date(2026, 2, 1)),  # CR000005
            # HIPAA training: annual by practice policy (45 CFR 164.530(b) sets no period).
            credential("HIPAA", dt.date(2028, 2, 1), issued=dt.date(2026, 2, 1)),  # CR000006
            # A state license is not checked: its cycle is the state board's.
            credential("license", dt.date(2036, 6, 30)),  # CR000007
        ],
    )
    pinned.sync()
    flagged = beyond_cycle(pinned)
    assert sorted(flagged) == ["CR000002", "CR000004", "CR000005", "CR000006"]
    assert flagged["CR000002"] == (
        "Ada Lovelace, MD (PR000001)'s DEA registration expires on 2039-01-31, more than 3 years (issued "
        "2026-01-10); one renewal lasts 3 years. Probably a typo: check the card and correct the date."
    )
    assert "more than 2 years (from today)" in flagged["CR000004"]
    result = CliRunner().invoke(cli, ["alerts", "-p", str(pinned.folder), "--json"])
    shown = [a["id"] for a in json.loads(result.output)["alerts"] if a["id"].endswith(":beyond-cycle")]
    assert sorted(shown) == [f"credentials:CR00000{n}:beyond-cycle" for n in (2, 4, 5, 6)]

    row = next(r for r in pinned.sheet.rows("Credentials") if r["ID"] == "CR000002")["_row"]
    pinned.sheet.edit("Credentials", row, "Expires", dt.date(2029, 1, 31))
    pinned.sync()
    assert "CR000002" not in beyond_cycle(pinned)


def test_the_cycles_are_the_practices_to_set(pinned: Clinic) -> None:
    write_config(pinned.folder, extra='\n[plugins.credentials]\ncycle_years = {"hipaa-training" = 2, "license" = 2}\n')
    pinned.reopen()
    pinned.sheet.append(
        "Credentials",
        [
            credential("HIPAA", dt.date(2028, 2, 1), issued=dt.date(2026, 2, 1)),  # two-yearly by this policy
            credential("license", dt.date(2036, 6, 30)),  # now checked: 2 years
            credential("OSHA", dt.date(2027, 12, 1), issued=dt.date(2026, 2, 1)),  # the default still applies
        ],
    )
    pinned.sync()
    assert sorted(beyond_cycle(pinned)) == ["CR000002", "CR000003"]


def test_the_demo_credentials_are_all_within_their_cycles(tmp_path: Path) -> None:
    from clinicops.examples.demo_clinic import generate_demo
    from clinicops.plugins.credentials import CYCLE_YEARS, cycle_end

    for row in generate_demo(TODAY)["credential"]:
        years = CYCLE_YEARS.get(row["kind"])
        if years:
            assert row["expires"] <= cycle_end(row["issued"], years), row["id"]
