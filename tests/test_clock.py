"""The practice's clock: pinned by config or by a test, and read by everything that asks the date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from clinicops.core import operations
from clinicops.core.cli import cli
from clinicops.core.clock import PinnedClock, SystemClock
from clinicops.core.config import ConfigError, load_config
from clinicops.core.practice import Practice

from .conftest import Clinic, write_config

NEW_YORK = ZoneInfo("America/New_York")
DAY = dt.date(2026, 11, 23)


def test_demo_today_pins_the_practice_clock_for_every_later_command(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", str(folder), "--today", "2026-11-23", "--json"])
    assert result.exit_code == 0, result.output
    assert '[clock]\ntoday = "2026-11-23"' in (folder / "practice.toml").read_text()
    practice = Practice.open(folder)
    assert practice.today() == DAY
    again = operations.sync(practice)
    assert (again.alerts_opened, again.alerts_resolved) == (0, 0)
    with practice.view() as view:
        first_seen = {a["first_seen"][:10] for a in view.records("alert")}
    practice.close()
    # every alert was stamped by the pinned clock: the UTC date is the pinned day or, late in a
    # New York evening, the next one, never the machine's real date
    assert first_seen <= {"2026-11-23", "2026-11-24"}


def test_a_pinned_moment_is_read_in_the_practice_time_zone(tmp_path: Path) -> None:
    write_config(tmp_path, extra='\n[clock]\nnow = "2026-11-23T23:30:00"\n')
    practice = Practice.open(tmp_path)
    assert practice.today() == DAY  # 04:30 UTC on the 24th, but still the 23rd in New York
    assert practice.now().astimezone(dt.UTC).date() == DAY + dt.timedelta(days=1)
    practice.close()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ('today = "2026-13-01"', "clock.today: not a date or time clinicops can read"),
        ('today = "next tuesday"', "clock.today: 'next tuesday' does not match"),
        ('now = "2026-11-23 nine"', "clock.now: not a date or time clinicops can read"),
        ('today = "2026-11-23"\nnow = "2026-11-23T09:00"', "clock: {"),
        ('tomorrow = "2026-11-23"', "Additional properties are not allowed ('tomorrow'"),
    ],
)
def test_a_clock_setting_that_cannot_be_read_is_one_sentence(tmp_path: Path, setting: str, message: str) -> None:
    write_config(tmp_path, extra=f"\n[clock]\n{setting}\n")
    with pytest.raises(ConfigError, match=None) as caught:
        load_config(tmp_path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(tmp_path / "practice.toml"))


def test_an_unpinned_practice_follows_the_system_clock(tmp_path: Path) -> None:
    write_config(tmp_path)
    practice = Practice.open(tmp_path)
    assert isinstance(practice.clock, SystemClock)
    assert abs((practice.now() - SystemClock().now()).total_seconds()) < 60
    practice.close()


def test_a_pinned_clock_runs_on_and_a_frozen_one_does_not() -> None:
    start = dt.datetime(2026, 11, 23, 9, tzinfo=NEW_YORK)
    running, frozen = PinnedClock(start), PinnedClock(start, frozen=True)
    assert running.now() >= start and frozen.now() == start
    frozen.advance(dt.timedelta(days=365))
    assert frozen.now() == start + dt.timedelta(days=365)
    with pytest.raises(ValueError, match="aware"):
        PinnedClock(dt.datetime(2026, 11, 23, 9))


# The same credentials seen at a mid-morning, at a late evening in New York (already the next day
# in UTC), and a year ahead: each expiry is counted in the practice's own days every time.
MOMENTS = [
    dt.datetime(2026, 11, 23, 9, 30, tzinfo=NEW_YORK),
    dt.datetime(2026, 11, 23, 23, 30, tzinfo=NEW_YORK),
    dt.datetime(2027, 11, 23, 0, 15, tzinfo=NEW_YORK),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=["morning", "late-evening", "a-year-ahead"])
def test_credential_expiry_counts_days_where_the_practice_is(xlsx_clinic: Clinic, moment: dt.datetime) -> None:
    xlsx_clinic.practice = Practice.open(xlsx_clinic.folder, clock=PinnedClock(moment, frozen=True))
    today = moment.date()
    assert xlsx_clinic.practice.today() == today
    xlsx_clinic.sheet.append(
        "Credentials",
        [
            {
                "Holder type": "provider",
                "Holder": "PR000001",
                "Kind": "DEA",
                "Expires": today + dt.timedelta(days=20),
                "Required": "yes",
            },
            {
                "Holder type": "provider",
                "Holder": "PR000001",
                "Kind": "license",
                "Expires": today - dt.timedelta(days=1),
                "Required": "yes",
            },
        ],
    )
    xlsx_clinic.sync()
    messages = sorted(a["message"] for a in xlsx_clinic.records("alert") if a["plugin"] == "credentials")
    assert len(messages) == 2
    assert any("DEA registration" in m and "in 20 days" in m for m in messages)
    expired_on = (today - dt.timedelta(days=1)).isoformat()
    assert any(f"expired on {expired_on} (1 day ago)" in m for m in messages), messages
