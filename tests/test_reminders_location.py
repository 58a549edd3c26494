"""Reminders keep quiet hours where the patient is (47 CFR 64.1200(c)(1): 8 a.m. to 9 p.m. local
time at the called party's location), and reminder texts stay within one 160-character message
(FCC 15-72, the healthcare exemption's concise messages), through the sheet and the outbox."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clinicops.plugins.reminders import planning
from clinicops.plugins.reminders.messages import SAMPLE, Templates, context
from clinicops.plugins.reminders.settings import SCHEMA, Settings
from clinicops.plugins.reminders.zones import patient_zones

from .conftest import Clinic
from .test_plugin_reminders import alerts_of, reminder_clinic, visit

NY = ZoneInfo("America/New_York")


def settings(**overrides: Any) -> Settings:
    return Settings.of({k: v["default"] for k, v in SCHEMA["properties"].items()} | overrides)


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


def plan(now: dt.datetime, patient: dict[str, Any], start: dt.datetime) -> list[int]:
    a = {"id": "A1", "patient_id": "P1", "provider_id": "PR1", "status": "scheduled"}
    a["start"] = start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    person = {"id": "P1", "phone": "+16175550101", "reminder_consent": "sms", "preferred_channel": "sms"} | patient
    due = planning.due([a], {"P1": person}, now=now, tz=NY, settings=settings(), available=("sms",), taken=set())
    return [r.offset_minutes // 60 for r in due]


# --------------------------------------------------------------------------- where the patient is


@pytest.mark.parametrize(
    ("patient", "zones", "source"),
    [
        ({"state": "CA"}, ("America/Los_Angeles",), "their address in CA"),  # the address's state first
        ({"state": "CA", "phone": "+16175550101"}, ("America/Los_Angeles",), "their address in CA"),
        ({"phone": "+14155550101"}, ("America/Los_Angeles",), "their phone's area code"),  # 415: San Francisco
        ({"phone": "+12085550101"}, ("America/Boise", "America/Los_Angeles"), "their phone's area code"),  # Idaho
        ({"state": "TX"}, ("America/Chicago", "America/Denver"), "their address in TX"),  # El Paso is Mountain
        ({"phone": "+15555550101"}, ("America/New_York",), "the practice's time zone"),  # no area to go by
        ({}, ("America/New_York",), "the practice's time zone"),
    ],
)
def test_the_patients_zone_comes_from_the_state_else_the_area_code_else_the_practice(
    patient: dict[str, Any], zones: tuple[str, ...], source: str
) -> None:
    found, where = patient_zones(patient, NY)
    assert (tuple(z.key for z in found), where) == (zones, source)


def test_quiet_hours_are_kept_in_the_patients_own_time_zone() -> None:
    # 47 CFR 64.1200(c)(1): not before 8 a.m. at the called party's location.
    noon = local(2026, 11, 25, 12)  # the 2 h reminder is due at 10:00 Eastern, 7:00 Pacific
    assert plan(local(2026, 11, 25, 10), {}, noon) == [2]  # a Boston patient gets it at 10:00
    assert plan(local(2026, 11, 25, 10), {"state": "CA"}, noon) == []  # 7:00 a.m. in San Diego
    assert plan(local(2026, 11, 25, 10, 59), {"state": "CA"}, noon) == []
    assert plan(local(2026, 11, 25, 11), {"state": "CA"}, noon) == [2]  # 8:00 a.m. there
    # ...and not after 9 p.m. there, while later evenings in Boston are still daytime in Honolulu.
    late = local(2026, 11, 27, 22, 30)
    assert plan(local(2026, 11, 25, 22, 30), {}, late) == []
    assert plan(local(2026, 11, 25, 22, 30), {"state": "HI"}, late) == [48]  # 5:30 p.m. in Honolulu


def test_a_state_with_two_zones_waits_until_it_is_day_in_both() -> None:
    noon = local(2026, 11, 25, 11)  # 2 h reminder due 9:00 Eastern: 8:00 Central, 7:00 Mountain
    assert plan(local(2026, 11, 25, 9), {"state": "TX"}, noon) == []
    assert plan(local(2026, 11, 25, 10), {"state": "TX"}, noon) == [2]  # 8:00 in El Paso too


def test_a_reminder_held_by_the_patients_quiet_hours_is_shown_and_sent_when_they_end(xlsx_clinic: Clinic) -> None:
    rows = [visit("A000001", "P000002", local(2026, 11, 25, 12))]
    with time_machine.travel(local(2026, 11, 25, 9, 30), tick=False) as clock:
        runner = reminder_clinic(xlsx_clinic, rows, "", plugins=("reminders", "sms"))
        row = next(r for r in xlsx_clinic.sheet.rows("Patients") if r["MRN"] == "P000002")["_row"]
        xlsx_clinic.sheet.edit("Patients", row, "State", "CA")
        xlsx_clinic.sync()
        held = alerts_of(xlsx_clinic)
        assert held["reminders:quiet-A000001-2026-11-25T17:00:00Z-120m"] == (
            "The 2 h reminder for appointment A000001 comes due at Wed 10:00 AM EST, which is Wed 7:00 AM PST where "
            "patient P000002 is (America/Los_Angeles, from their address in CA): inside quiet hours there, so it "
            "waits until Wed 8:00 AM PST there (Wed 11:00 AM EST here)."
        )
        clock.move_to(local(2026, 11, 25, 10, 0))
        runner.run_job(runner.job("reminders:send-reminders"))
        outbox = xlsx_clinic.folder / "data" / "sms" / "outbox.jsonl"
        assert not outbox.exists()
        clock.move_to(local(2026, 11, 25, 11, 0))
        runner.run_job(runner.job("reminders:send-reminders"))
    [text] = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert text["key"].endswith(":120m:sms")


# --------------------------------------------------------------------------- 160 characters


def ctx(**more: Any) -> dict[str, Any]:
    appointment = {"type": "follow-up", "duration_min": 30}
    provider = {"first_name": "Maximilian-Alexander", "last_name": "Featherstonehaugh-Wolfeschlegel"}
    base = {
        "practice_name": "Maple Street Family Medicine and Pediatrics",
        "practice_phone": "(617) 555-0100",
        "appointment": appointment,
        "start": local(2026, 11, 25, 14, 30),
        "tz": NY,
        "provider": provider | {"credentials": "MD"},
        "include_type": True,
        "channel": "sms",
    }
    return context(**(base | more))


def test_a_reminder_text_stays_within_160_characters_keeping_how_to_opt_out(tmp_path: Any) -> None:
    # FCC 15-72 ¶ 147: healthcare messages must be concise, generally one message of 160 characters.
    body = Templates(tmp_path).message("sms", ctx()).body
    assert len(body) <= 160 and body.endswith("Reply STOP to opt out.")
    assert body == (
        "Maple Street Family Medicine and Pediatrics: appointment Wed Nov 25, 2:30 PM EST. To change it, call "
        "(617) 555-0100. Reply STOP to opt out."
    )
    short = Templates(tmp_path).message("sms", ctx(practice_name="Test Clinic", provider=None)).body
    assert short == (
        "Test Clinic: reminder of your follow-up visit with your provider, Wed Nov 25, 2:30 PM EST. To change it, "
        "call (617) 555-0100. Reply STOP to opt out."
    )


def test_the_limit_is_a_setting_and_a_practice_template_over_it_is_named(tmp_path: Any) -> None:
    (tmp_path / "reminder_sms.j2").write_text("{{ practice.name }} " * 12 + "Reply STOP to opt out.")
    templates = Templates(tmp_path, sms_max_chars=160)
    assert "over the 160 a reminder text may have" in templates.problems()["reminder_sms"]
    assert len(templates.message("sms", ctx()).body) <= 160
    cut = Templates(tmp_path, sms_max_chars=100).message("sms", ctx())
    assert len(cut.body) <= 100 and cut.body.endswith("… Reply STOP to opt out.")
    unlimited = Templates(tmp_path, sms_max_chars=0)
    assert unlimited.problems() == {} and len(unlimited.message("sms", ctx()).body) > 400
    assert SCHEMA["properties"]["sms_max_chars"]["default"] == 160
    assert SAMPLE["appointment"]["short_when"] == "Mon Jan 4, 9:00 AM EST"


def test_a_too_long_template_raises_an_alert_in_the_sheet(xlsx_clinic: Clinic) -> None:
    templates = xlsx_clinic.folder / "templates"
    templates.mkdir()
    (templates / "reminder_sms.j2").write_text("{{ practice.name }}: " + "x" * 170 + " Reply STOP to opt out.")
    with time_machine.travel(local(2026, 11, 23, 15), tick=False):
        reminder_clinic(xlsx_clinic, [], "", plugins=("reminders", "sms"))
    assert "characters on the sample, over the 160" in alerts_of(xlsx_clinic)["reminders:template-reminder_sms"]


def test_the_demo_shows_a_reminder_held_for_a_patient_in_california(tmp_path: Any) -> None:
    from clinicops.core import operations
    from clinicops.core.practice import Practice

    with time_machine.travel(local(2026, 11, 23, 12), tick=False):
        operations.create_demo(tmp_path, today=dt.date(2026, 11, 23))
        practice = Practice.open(tmp_path)
        operations.sync(practice)
        with practice.view() as view:
            held = [a for a in view.records("alert") if a["plugin"] == "reminders" and ":quiet-" in a["id"]]
        practice.close()
    assert held and all("(America/Los_Angeles, from their address in CA)" in a["message"] for a in held)
