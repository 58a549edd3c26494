"""Notification channels as plugins: email over real SMTP (or .eml files), SMS through an outbox
drained by a file adapter or a Twilio-style HTTP adapter, STOP honoured, the daily digest.

Every test talks to a real server on loopback: an aiosmtpd SMTP server, a Twilio-style stub.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
import time_machine

from clinicops.core import operations
from clinicops.core.notify import Message
from clinicops.core.practice import Practice
from clinicops.core.runner import Runner

from .conftest import Clinic, write_config
from .sms_stub import TwilioStub, twilio_stub
from .smtp_server import SmtpServer, free_port, smtp_server


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def twilio(monkeypatch: pytest.MonkeyPatch) -> Iterator[TwilioStub]:
    with twilio_stub() as stub:
        monkeypatch.setenv("TEST_TWILIO_SID", stub.sid)
        monkeypatch.setenv("TEST_TWILIO_TOKEN", stub.token)
        yield stub


def email_settings(port: int, **more: Any) -> str:
    lines = {"host": "127.0.0.1", "port": port, "security": "none", "from_address": "desk@clinic.example.org", **more}
    return "\n[plugins.email]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in lines.items())


def twilio_settings(stub: TwilioStub) -> str:
    return (
        '\n[plugins.sms]\nadapter = "twilio"\n'
        f'from_number = "{stub.number}"\ntwilio_base_url = "{stub.base_url}"\n'
        'account_sid_env = "TEST_TWILIO_SID"\nauth_token_env = "TEST_TWILIO_TOKEN"\n'
    )


def open_with(folder: Path, plugins: list[str], extra: str) -> Practice:
    write_config(folder, plugins=plugins, extra=extra)
    return Practice.open(folder)


def send(practice: Practice, channel: str, to: str, key: str, body: str = "Your visit is on Monday.") -> Any:
    with practice.view() as view:
        return view.channels()[channel].send(Message(channel, to, "Reminder", body, key))


# --------------------------------------------------------------------------- email


def test_email_is_accepted_only_when_the_smtp_server_took_it(tmp_path: Path, smtp: SmtpServer) -> None:
    practice = open_with(tmp_path, ["email"], email_settings(smtp.port))
    delivery = send(practice, "email", "pat@example.org", "k-1")
    assert delivery.accepted and f"127.0.0.1:{smtp.port}" in delivery.detail
    [got] = smtp.messages
    assert got.rcpt == ("pat@example.org",)
    assert got.message["From"] == "Test Clinic <desk@clinic.example.org>"
    assert got.body.strip() == "Your visit is on Monday."
    assert got.message["Message-ID"].endswith("@clinic.example.org>")
    assert got.message["Message-ID"] == send_id(practice, "k-1")


def send_id(practice: Practice, key: str) -> str:
    from clinicops.plugins.email.channel import message_id

    return message_id(key, "desk@clinic.example.org")


def test_smtp_not_set_up_is_a_failure_with_an_alert_never_a_success(tmp_path: Path) -> None:
    practice = open_with(tmp_path, ["email"], "")
    delivery = send(practice, "email", "pat@example.org", "k-1")
    assert not delivery.accepted and "SMTP is not set up" in delivery.detail
    with practice.view() as view:
        alerts = practice.pm.hook.collect_alerts(practice=view)
    assert any("Email cannot be sent: SMTP is not set up" in a.message for found in alerts for a in found)


def test_a_server_that_is_down_or_refuses_the_recipient_is_a_failure_naming_no_address(tmp_path: Path) -> None:
    practice = open_with(tmp_path, ["email"], email_settings(free_port()))
    down = send(practice, "email", "pat@example.org", "k-1")
    assert not down.accepted and "cannot deliver" in down.detail
    with smtp_server() as server:
        server.refuse.add("gone@example.org")
        practice = open_with(tmp_path, ["email"], email_settings(server.port))
        refused = send(practice, "email", "gone@example.org", "k-2")
    assert not refused.accepted and "refused the recipient" in refused.detail
    assert "gone@example.org" not in refused.detail and server.messages == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_comes_from_the_environment_variables_the_settings_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(login=("clinic-bot", "s3cret")) as server:
        extra = email_settings(server.port, username_env="TEST_SMTP_USER", password_env="TEST_SMTP_PASSWORD")
        practice = open_with(tmp_path, ["email"], extra)
        missing = send(practice, "email", "pat@example.org", "k-1")
        assert not missing.accepted and "TEST_SMTP_USER" in missing.detail
        monkeypatch.setenv("TEST_SMTP_USER", "clinic-bot")
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
        assert send(practice, "email", "pat@example.org", "k-1").accepted
    assert server.logins == ["clinic-bot"] and len(server.messages) == 1
    assert "s3cret" not in (tmp_path / "practice.toml").read_text()


def test_password_is_never_sent_unencrypted_to_a_remote_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
    extra = email_settings(25, host="smtp.example.org", password_env="TEST_SMTP_PASSWORD")
    delivery = send(open_with(tmp_path, ["email"], extra), "email", "pat@example.org", "k-1")
    assert not delivery.accepted and "unencrypted" in delivery.detail


def test_email_file_mode_writes_one_eml_per_key_and_says_so_in_an_alert(tmp_path: Path) -> None:
    practice = open_with(tmp_path, ["email"], '\n[plugins.email]\nmode = "file"\n')
    assert send(practice, "email", "pat@example.org", "k-1").accepted
    assert send(practice, "email", "pat@example.org", "k-1").detail.startswith("already written")
    [eml] = (tmp_path / "data" / "outbox" / "email").glob("*.eml")
    parsed = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert parsed["To"] == "pat@example.org" and parsed.get_content().strip() == "Your visit is on Monday."
    with practice.view() as view:
        alerts = [a for found in practice.pm.hook.collect_alerts(practice=view) for a in found]
    assert [a.key for a in alerts] == ["file-mode"] and "data/outbox/email" in alerts[0].message


def test_daily_digest_mails_the_manager_the_alerts_opened_since_the_last_one(
    xlsx_clinic: Clinic, smtp: SmtpServer
) -> None:
    extra = email_settings(smtp.port, digest_to="manager@clinic.example.org", weekly_day="never")
    write_config(xlsx_clinic.folder, plugins=["credentials", "email"], extra=extra)
    xlsx_clinic.reopen()
    with time_machine.travel(dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC), tick=False) as clock:
        soon = dt.date(2026, 12, 3)
        xlsx_clinic.sheet.append(
            "Credentials", [{"Holder type": "provider", "Holder": "PR000001", "Kind": "DEA", "Expires": soon}]
        )
        xlsx_clinic.sync()
        runner = Runner(xlsx_clinic.practice)
        digest = runner.job("email:daily-digest")
        assert [r.cron_fields() for r in digest.rules] == [("0", "7", "*")]
        clock.move_to(dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC))
        assert runner.run_job(digest) == "ok"
        assert runner.run_job(digest) == "ok"  # a second run the same day sends nothing
        clock.move_to(dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC))
        runner.run_job(digest)
    first, second = smtp.to("manager@clinic.example.org")
    assert first.subject == "Test Clinic: 1 new alert"
    assert "[warning] credentials: Ada Lovelace, MD (PR000001)'s DEA registration expires on 2026-12-03" in first.body
    assert second.subject == "Test Clinic: 0 new alerts" and "No new alerts." in second.body


# --------------------------------------------------------------------------- sms


def test_sms_file_adapter_writes_each_text_once_as_a_json_line(tmp_path: Path) -> None:
    practice = open_with(tmp_path, ["sms"], '\n[plugins.sms]\nfrom_number = "+16175550100"\n')
    first = send(practice, "sms", "+16175550101", "k-1")
    again = send(practice, "sms", "+16175550101", "k-1")
    assert first.accepted and again.accepted and again.detail == f"already sent as {first.detail}"
    [line] = (tmp_path / "data" / "sms" / "outbox.jsonl").read_text().splitlines()
    assert json.loads(line) | {"at": None} == {
        "id": first.detail,
        "key": "k-1",
        "from": "+16175550100",
        "to": "+16175550101",
        "body": "Your visit is on Monday.",
        "at": None,
    }
    assert not send(practice, "sms", "617-555-0101", "k-2").accepted


def test_stop_in_the_file_inbox_turns_consent_off_and_the_channel_refuses_the_number(xlsx_clinic: Clinic) -> None:
    write_config(xlsx_clinic.folder, plugins=["sms"])
    xlsx_clinic.reopen()
    xlsx_clinic.sync()
    inbox = xlsx_clinic.folder / "data" / "sms" / "inbox.jsonl"
    inbox.parent.mkdir(parents=True, exist_ok=True)
    inbox.write_text(json.dumps({"id": "in-1", "from": "+16175550102", "body": "Stop please"}) + "\n")
    runner = Runner(xlsx_clinic.practice)
    assert runner.run_job(runner.job("sms:receive")) == "ok"
    assert xlsx_clinic.record("patient", "P000002")["reminder_consent"] == "none"
    refused = send(xlsx_clinic.practice, "sms", "+16175550102", "k-1")
    assert not refused.accepted and "opted out" in refused.detail
    xlsx_clinic.sync()
    [row] = [r for r in xlsx_clinic.sheet.rows("Patients") if r["MRN"] == "P000002"]
    assert row["Reminder consent"] == "none"
    latest = operations.history(xlsx_clinic.practice, "patient", "P000002")[-1]
    assert latest.source == "plugin:sms" and latest.note == "the patient texted STOP"


def test_twilio_adapter_sends_through_the_http_api_and_reads_a_stop_reply(
    xlsx_clinic: Clinic, twilio: TwilioStub
) -> None:
    xlsx_clinic.sheet.edit("Patients", 2, "Reminder consent", "both")
    write_config(xlsx_clinic.folder, plugins=["sms"], extra=twilio_settings(twilio))
    xlsx_clinic.reopen()
    xlsx_clinic.sync()
    delivery = send(xlsx_clinic.practice, "sms", "+16175550101", "k-1")
    assert delivery.accepted and delivery.detail == twilio.sent[0]["sid"]
    assert twilio.sent[0] | {"sid": "", "date_sent": ""} == {
        "sid": "",
        "to": "+16175550101",
        "from": twilio.number,
        "body": "Your visit is on Monday.",
        "status": "queued",
        "direction": "outbound-api",
        "date_sent": "",
    }
    twilio.deliver_inbound("+16175550101", "STOP")
    twilio.deliver_inbound("+16175550102", "What time is it again?")
    runner = Runner(xlsx_clinic.practice)
    runner.run_job(runner.job("sms:receive"))
    runner.run_job(runner.job("sms:receive"))  # the same replies again change nothing
    assert xlsx_clinic.record("patient", "P000001")["reminder_consent"] == "email"  # was both
    assert xlsx_clinic.record("patient", "P000002")["reminder_consent"] == "sms"
    assert not send(xlsx_clinic.practice, "sms", "+16175550101", "k-2").accepted
    with xlsx_clinic.practice.view() as view:
        alerts = [a for found in xlsx_clinic.practice.pm.hook.collect_alerts(practice=view) for a in found]
    assert any(a.message.startswith("A STOP was received") and "patient(s) P000001" in a.message for a in alerts)
    twilio.deliver_inbound("+16175550101", "START")
    runner.run_job(runner.job("sms:receive"))
    assert send(xlsx_clinic.practice, "sms", "+16175550101", "k-3").accepted
    assert xlsx_clinic.record("patient", "P000001")["reminder_consent"] == "email"  # staff restore consent


def test_twilio_failures_are_not_accepted_and_a_retry_sends_the_text_once(
    tmp_path: Path, twilio: TwilioStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    practice = open_with(tmp_path, ["sms"], twilio_settings(twilio))
    twilio.fail_next = 1
    failed = send(practice, "sms", "+16175550101", "k-1")
    assert not failed.accepted and "answered 500" in failed.detail
    assert send(practice, "sms", "+16175550101", "k-1").accepted
    assert send(practice, "sms", "+16175550101", "k-1").accepted
    assert len(twilio.sent) == 1
    twilio.unsubscribed.add("+16175550109")
    carrier = send(practice, "sms", "+16175550109", "k-2")
    assert not carrier.accepted and "21610" in carrier.detail
    assert "opted out" in send(practice, "sms", "+16175550109", "k-3").detail
    monkeypatch.setenv("TEST_TWILIO_TOKEN", "wrong")
    assert "answered 401" in send(practice, "sms", "+16175550101", "k-4").detail
    monkeypatch.delenv("TEST_TWILIO_SID")
    unset = send(practice, "sms", "+16175550101", "k-5")
    assert not unset.accepted and "TEST_TWILIO_SID" in unset.detail


def test_twilio_replies_are_read_across_pages(tmp_path: Path, twilio: TwilioStub) -> None:
    from clinicops.plugins.sms.adapters import TwilioAdapter

    for n in range(130):
        twilio.deliver_inbound(f"+1617555{n:04d}", "hello")
    adapter = TwilioAdapter(twilio.base_url, "TEST_TWILIO_SID", "TEST_TWILIO_TOKEN", twilio.number, 5)
    replies = adapter.receive()
    assert len(replies) == 130 and len({r.provider_id for r in replies}) == 130


def test_weekly_report_mails_the_headline_figures_with_the_page_once_a_week(
    xlsx_clinic: Clinic, smtp: SmtpServer
) -> None:
    extra = email_settings(smtp.port, digest_to="manager@clinic.example.org", weekly_day="monday")
    write_config(xlsx_clinic.folder, plugins=["credentials", "email"], extra=extra)
    xlsx_clinic.reopen()
    with time_machine.travel(dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC), tick=False) as clock:  # a Monday
        xlsx_clinic.sync()
        runner = Runner(xlsx_clinic.practice)
        digest = runner.job("email:daily-digest")
        assert runner.run_job(digest) == "ok"
        assert runner.run_job(digest) == "ok"  # the same Monday again: no second weekly email
        clock.move_to(dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC))  # Tuesday: the daily digest only
        runner.run_job(digest)
        status = operations.status(xlsx_clinic.practice)
    weekly = [m for m in smtp.to("manager@clinic.example.org") if "the week's report" in m.subject]
    assert [m.subject for m in weekly] == ["Test Clinic: the week's report (2026-08-26 to 2026-11-23)"]
    assert len(smtp.to("manager@clinic.example.org")) == 3  # two daily digests and one weekly report
    mail = weekly[0].message
    body = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert f"  Credentials due in 90 days: {status['figures']['credentials.due_90d']}" in body
    [page] = [part for part in mail.iter_attachments() if part.get_filename() == "report-2026-11-23.html"]
    html = page.get_content()
    assert html.startswith("<!DOCTYPE html>") and 'id="credentials.due"' in html and "<svg" in html
