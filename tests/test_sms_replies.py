"""Patients' text replies as the FCC's 2024 consent-revocation order and the CTIA's messaging
principles read them: revocations in any reasonable wording with one confirmation, START and
HELP, and replies that need a person turned into front-desk alerts, through the SMS inbox, the
sheet and the command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click.testing import CliRunner

from clinicops.core.cli import cli
from clinicops.core.notify import Message
from clinicops.core.runner import Runner
from clinicops.plugins.sms import keywords

from .conftest import Clinic, write_config
from .test_plugin_reminders import clinicops

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=NY)
PATIENT_PHONE = "+16175550102"  # P000002, reminder consent "sms"
SMS = '\n[plugins.sms]\nfrom_number = "+16175550100"\npractice_phone = "(617) 555-0100"\n'

# --------------------------------------------------------------------------- reading a reply


@pytest.mark.parametrize(
    "body",
    [
        # FCC 24-24, 47 CFR 64.1200(a)(10)(ii): these words, sent in reply, revoke consent.
        "stop",
        "quit",
        "end",
        "revoke",
        "opt out",
        "cancel",
        "unsubscribe",
        # ...in any case and with punctuation.
        "STOP",
        "Stop.",
        "Opt-Out!",
        "  UNSUBSCRIBE  ",
        "Quit!!",
        # CTIA Messaging Principles and Best Practices: the carriers' STOPALL.
        "STOPALL",
        # FCC 24-24 ¶¶ 18-21: any reasonable means; words a reasonable person reads as a revocation.
        "Please stop texting me",
        "stop please",
        "don't text me anymore",
        "No more texts please",
        "Remove me from your list",
        "wrong number",
    ],
)
def test_a_revocation_in_the_listed_words_or_a_reasonable_other_wording_is_a_stop(body: str) -> None:
    assert keywords.read(body).keyword == keywords.STOP


@pytest.mark.parametrize(
    ("body", "keyword", "for_staff"),
    [
        # Not a keyword: the front desk reads it (and "cancel" inside a sentence is about the visit).
        ("please cancel my appointment on Tuesday", keywords.OTHER, True),
        ("See you at the end of the week", keywords.OTHER, True),
        ("Can't stop by today, can we move it?", keywords.OTHER, True),
        ("Thanks!", keywords.OTHER, True),
        # "Cancel" alone revokes consent and may also mean the visit: both.
        ("Cancel", keywords.STOP, True),
        # A revocation with more to say: stopped, and read by a person.
        ("Stop! Also can I move my visit to Friday?", keywords.STOP, True),
        # CTIA: START and UNSTOP resume, HELP (and INFO) are answered.
        ("START", keywords.START, False),
        ("unstop", keywords.START, False),
        ("Help", keywords.HELP, False),
        ("info?", keywords.HELP, False),
    ],
)
def test_what_each_reply_asks_for(body: str, keyword: str, for_staff: bool) -> None:
    reading = keywords.read(body)
    assert (reading.keyword, reading.for_staff) == (keyword, for_staff)


# --------------------------------------------------------------------------- through the inbox


def sms_clinic(clinic: Clinic, appointments: list[dict[str, Any]] | None = None) -> Runner:
    write_config(clinic.folder, plugins=["sms"], extra=SMS, entities=["provider", "patient", "appointment"])
    clinic.reopen()
    if appointments:
        clinic.sheet.append("Appointments", appointments)
    clinic.sync()
    return Runner(clinic.practice)


def reply(clinic: Clinic, *bodies: str, sender: str = PATIENT_PHONE) -> None:
    inbox = clinic.folder / "data" / "sms" / "inbox.jsonl"
    inbox.parent.mkdir(parents=True, exist_ok=True)
    known = inbox.read_text().splitlines() if inbox.exists() else []
    lines = [json.dumps({"id": f"in-{len(known) + n}", "from": sender, "body": b}) for n, b in enumerate(bodies)]
    inbox.write_text("".join(line + "\n" for line in known + lines))


def texts_sent(clinic: Clinic) -> list[dict[str, Any]]:
    outbox = clinic.folder / "data" / "sms" / "outbox.jsonl"
    return [json.loads(line) for line in outbox.read_text().splitlines()] if outbox.exists() else []


def sms_alerts(clinic: Clinic) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in clinic.records("alert") if a["plugin"] == "sms" and a["status"] == "open"}


def send(clinic: Clinic, key: str) -> Any:
    with clinic.practice.view() as view:
        return view.channels()["sms"].send(Message("sms", PATIENT_PHONE, "", "Your visit is on Monday.", key))


def test_other_wording_revokes_consent_and_gets_exactly_one_confirmation(xlsx_clinic: Clinic) -> None:
    with time_machine.travel(NOW, tick=False):
        runner = sms_clinic(xlsx_clinic)
        reply(xlsx_clinic, "Please stop texting me")  # FCC 24-24: a reasonable other wording
        assert runner.run_job(runner.job("sms:receive")) == "ok"
        reply(xlsx_clinic, "STOP")  # 47 CFR 64.1200(a)(12): one confirmation, not one per STOP
        runner.run_job(runner.job("sms:receive"))
        xlsx_clinic.sync()
    [confirmation] = texts_sent(xlsx_clinic)
    assert confirmation["to"] == PATIENT_PHONE and confirmation["body"] == (
        "Test Clinic: you will get no more texts from us. Reply START to get them again."
    )
    assert len(confirmation["body"]) <= 160
    assert xlsx_clinic.record("patient", "P000002")["reminder_consent"] == "none"
    [row] = [r for r in xlsx_clinic.sheet.rows("Patients") if r["MRN"] == "P000002"]
    assert row["Reminder consent"] == "none"
    refused = send(xlsx_clinic, "k-1")
    assert not refused.accepted and "opted out" in refused.detail
    [stop] = [a for a in sms_alerts(xlsx_clinic).values() if a["message"].startswith("A STOP was received")]
    assert "patient(s) P000002" in stop["message"] and "revoked consent" in stop["message"]
    assert not [k for k in sms_alerts(xlsx_clinic) if ":reply-" in k]  # nothing more for a person to read


def test_a_reply_that_is_not_a_keyword_is_an_alert_on_the_patient_and_the_appointment(xlsx_clinic: Clinic) -> None:
    visit = {"ID": "A000001", "Patient": "P000002", "Provider": "PR000001", "Status": "scheduled"}
    visit |= {"Start": dt.datetime(2026, 11, 24, 9, 30), "Minutes": 30}
    with time_machine.travel(NOW, tick=False):
        runner = sms_clinic(xlsx_clinic, [visit])
        reply(xlsx_clinic, "please cancel my appointment on Tuesday")
        runner.run_job(runner.job("sms:receive"))
        xlsx_clinic.sync()
        result = CliRunner().invoke(clinicops(), ["sms", "replies", "-p", str(xlsx_clinic.folder), "--json"])
    [alert] = [a for k, a in sms_alerts(xlsx_clinic).items() if ":reply-" in k]
    assert (alert["entity"], alert["record_id"], alert["severity"]) == ("appointment", "A000001", "warning")
    assert alert["message"] == (
        "Patient P000002 texted a reply about appointment A000001 (2026-11-24 09:30 EST) that needs a person: "
        "read it with 'clinicops sms replies' and call them back."
    )
    assert "Tuesday" not in alert["message"]  # the text stays out of the sheet and the digest
    assert xlsx_clinic.record("patient", "P000002")["reminder_consent"] == "sms"  # not an opt-out
    assert texts_sent(xlsx_clinic) == []  # and no automatic answer
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["replies"] == [
        {
            "received_at": "2026-11-23T20:00:00Z",
            "patients": ["P000002"],
            "appointment": "A000001",
            "kind": "reply",
            "text": "please cancel my appointment on Tuesday",
        }
    ]
    [row] = [r for r in xlsx_clinic.sheet.rows("Alerts") if r["Plugin"] == "sms" and r["Record"] == "A000001"]
    assert row["About"] == "appointment"


def test_cancel_alone_both_revokes_consent_and_raises_the_front_desk_alert(xlsx_clinic: Clinic) -> None:
    visit = {"ID": "A000001", "Patient": "P000002", "Provider": "PR000001", "Status": "scheduled"}
    visit |= {"Start": dt.datetime(2026, 11, 25, 14, 0), "Minutes": 30}
    with time_machine.travel(NOW, tick=False):
        runner = sms_clinic(xlsx_clinic, [visit])
        reply(xlsx_clinic, "Cancel")  # FCC 24-24 lists "cancel"; the patient may also mean the visit
        runner.run_job(runner.job("sms:receive"))
        xlsx_clinic.sync()
    assert xlsx_clinic.record("patient", "P000002")["reminder_consent"] == "none"
    assert [t["body"] for t in texts_sent(xlsx_clinic)] == [
        "Test Clinic: you will get no more texts from us. Reply START to get them again."
    ]
    [alert] = [a for k, a in sms_alerts(xlsx_clinic).items() if ":reply-" in k]
    assert alert["record_id"] == "A000001"
    assert alert["message"].startswith(
        "Patient P000002 texted 'Cancel' about appointment A000001 (2026-11-25 14:00 EST): that revokes consent to "
        "texts (they get no more), and they may also mean the appointment"
    )


def test_start_lifts_the_block_and_tells_staff_that_consent_is_still_none(xlsx_clinic: Clinic) -> None:
    with time_machine.travel(NOW, tick=False):
        runner = sms_clinic(xlsx_clinic)
        reply(xlsx_clinic, "STOP")
        runner.run_job(runner.job("sms:receive"))
        reply(xlsx_clinic, "START")  # CTIA: START (or UNSTOP) resumes, with a confirmation
        runner.run_job(runner.job("sms:receive"))
        xlsx_clinic.sync()
        assert send(xlsx_clinic, "k-1").accepted
    bodies = [t["body"] for t in texts_sent(xlsx_clinic)]
    assert bodies[:2] == [
        "Test Clinic: you will get no more texts from us. Reply START to get them again.",
        "Test Clinic: texts from us are on again; the front desk will confirm your reminders. Reply STOP to opt out.",
    ]
    assert xlsx_clinic.record("patient", "P000002")["reminder_consent"] == "none"  # staff restore it
    [start] = [a for k, a in sms_alerts(xlsx_clinic).items() if ":start-" in k]
    assert start["message"] == (
        "P000002 texted START on 2026-11-23: texts may go to them again, but their Reminder consent is still "
        "'none'. If they want text reminders, set it to sms or both."
    )
    assert start["record_id"] == "P000002"


def test_help_is_answered_with_who_is_texting_and_how_to_stop(xlsx_clinic: Clinic) -> None:
    with time_machine.travel(NOW, tick=False):
        runner = sms_clinic(xlsx_clinic)
        reply(xlsx_clinic, "HELP")  # CTIA Messaging Principles 5.1.3: program, contact, how to opt out
        runner.run_job(runner.job("sms:receive"))
        xlsx_clinic.sync()
    assert [t["body"] for t in texts_sent(xlsx_clinic)] == [
        "Test Clinic: appointment texts. For help, call (617) 555-0100. Reply STOP to opt out."
    ]
    assert xlsx_clinic.record("patient", "P000002")["reminder_consent"] == "sms"
    assert not [k for k in sms_alerts(xlsx_clinic) if ":reply-" in k or ":stop-" in k]


def test_a_sync_reads_new_replies_itself_and_queues_the_confirmation(xlsx_clinic: Clinic) -> None:
    with time_machine.travel(NOW, tick=False):
        runner = sms_clinic(xlsx_clinic)
        reply(xlsx_clinic, "opt out")
        result = CliRunner().invoke(cli, ["sync", "-p", str(xlsx_clinic.folder), "-s"])
        assert result.exit_code == 0, result.output
        [row] = [r for r in xlsx_clinic.sheet.rows("Patients") if r["MRN"] == "P000002"]
        assert row["Reminder consent"] == "none"  # shown by the same sync
        assert texts_sent(xlsx_clinic) == []  # queued, not sent from inside a sync
        runner.run_job(runner.job("sms:deliver"))
    assert [t["body"] for t in texts_sent(xlsx_clinic)] == [
        "Test Clinic: you will get no more texts from us. Reply START to get them again."
    ]


def test_the_demo_inbox_shows_a_revocation_a_front_desk_reply_and_a_start(tmp_path: Path) -> None:
    from clinicops.core import operations
    from clinicops.core.practice import Practice

    with time_machine.travel(dt.datetime(2026, 11, 23, 12, tzinfo=NY), tick=False):
        operations.create_demo(tmp_path, today=dt.date(2026, 11, 23))
        practice = Practice.open(tmp_path)
        operations.sync(practice)
        with practice.view() as view:
            mine = {a["id"].split(":", 1)[1]: a for a in view.records("alert") if a["plugin"] == "sms"}
        practice.close()
    kinds = sorted({key.split("-", 1)[0] for key in mine} - {"file"})
    assert kinds == ["reply", "start", "stop"]
    replies = [a["message"] for k, a in mine.items() if k.startswith("reply-")]
    assert len(replies) == 2 and any("texted 'Cancel'" in m for m in replies)
    assert all("about appointment A" in m for m in replies)
