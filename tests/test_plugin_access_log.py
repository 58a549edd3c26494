"""The HIPAA access log, through its hooks and its ``clinicops audit`` commands: the chain
verifies after the demo's first sync, an attacker's edit or deletion (made straight in
the SQLite file, triggers dropped) is named by sequence number, reports and exports say
who touched which patient without ever holding a value, and a rolled-back sync leaves
nothing behind."""

from __future__ import annotations

import collections
import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from clinicops.core import operations
from clinicops.core.access import AccessEvent
from clinicops.core.cli import cli
from clinicops.core.clock import PinnedClock
from clinicops.core.hookspecs import hookimpl
from clinicops.core.plugin_manager import PluginError, get_plugin_manager
from clinicops.core.practice import Practice, store_tx

from .conftest import Clinic, write_config

DEMO_DAY = dt.date(2026, 11, 23)
ANCHORS = "access-log-anchors.jsonl"
NEW_YORK = ZoneInfo("America/New_York")


def at(day: dt.date, hour: int = 10) -> PinnedClock:
    """The practice's clock stopped at ``hour`` o'clock in New York on ``day``."""
    return PinnedClock(dt.datetime.combine(day, dt.time(hour), tzinfo=NEW_YORK), frozen=True)


def audit(*args: str) -> Result:
    """``clinicops audit ...`` with the commands the plugin registers, as ``main()`` does."""
    group = click.Group(commands=dict(cli.commands))
    get_plugin_manager([]).hook.register_commands(cli=group)
    return CliRunner().invoke(group, ["audit", *args])


def db(folder: Path) -> sqlite3.Connection:
    """The store file opened directly, the way someone with shell access would."""
    return sqlite3.connect(folder / "data" / "clinicops.db")


def log_rows(folder: Path) -> list[tuple[Any, ...]]:
    """Every entry as a row; none if the log was never created (its creation rolls back too)."""
    with db(folder) as conn:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'access_log'").fetchall():
            return []
        return conn.execute("SELECT * FROM access_log ORDER BY seq").fetchall()


@pytest.fixture(scope="module")
def demo_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "clinic"
    practice = operations.create_demo(folder, today=DEMO_DAY)  # pins the practice's clock to that day
    operations.sync(practice)
    practice.close()
    return folder


@pytest.fixture
def demo(demo_master: Path, tmp_path: Path) -> Path:
    """A private copy of the demo practice after its first sync."""
    return Path(shutil.copytree(demo_master, tmp_path / "clinic"))


# --------------------------------------------------------------------------- the chain


def test_chain_verifies_after_the_demo_sync_and_holds_one_entry_per_phi_record(demo: Path) -> None:
    result = audit("verify", "-p", str(demo), "--json")
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.output)
    with db(demo) as conn:
        phi_records = conn.execute(
            "SELECT count(*) FROM records WHERE entity IN ('patient', 'appointment', 'claim', 'claim_line', 'feedback')"
        ).fetchone()[0]
    assert verdict["ok"] and verdict["missing_guards"] == []
    opt_outs = 2  # the demo's two texted revocations: the patient's number read, their consent updated
    assert verdict["entries"] == verdict["head_seq"] == phi_records + 2 * opt_outs
    kinds = collections.Counter((r[6], r[5]) for r in log_rows(demo))
    assert {k for k in kinds if k[1] == "create"} == {
        ("patient", "create"),
        ("appointment", "create"),
        ("claim", "create"),
        ("claim_line", "create"),  # a service line's date and diagnosis pointers are PHI
        ("feedback", "create"),
    }
    assert (kinds[("patient", "read")], kinds[("patient", "update")]) == (opt_outs, opt_outs)


def test_the_database_refuses_to_change_or_delete_an_entry_or_a_checkpoint(demo: Path, tmp_path: Path) -> None:
    audit("export", "-p", str(demo), "-o", str(tmp_path / "offsite"))
    with db(demo) as conn:
        for statement in (
            "UPDATE access_log SET actor = 'mallory' WHERE seq = 3",
            "DELETE FROM access_log",
            "UPDATE access_log_checkpoints SET head_seq = 1",
            "DELETE FROM access_log_checkpoints",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(statement)


def test_an_entry_edited_in_the_file_is_named_by_its_sequence_number(demo: Path) -> None:
    with db(demo) as conn:
        conn.execute("DROP TRIGGER access_log_no_update")
        conn.execute("UPDATE access_log SET actor = 'front-desk' WHERE seq = 42")
    result = audit("verify", "-p", str(demo))
    assert result.exit_code == 1
    assert "fails verification at entry 42: its contents no longer match its hash" in result.output
    assert "access_log_no_update" in result.output  # the missing guard is pointed out too
    assert "Traceback" not in result.output


def jcs_sha256(entry: dict[str, Any]) -> str:
    """The documented hash, worked out independently: SHA-256 of RFC 8785 JSON of every field but the hash."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()


def test_every_hash_is_sha256_of_the_entrys_canonical_json(demo: Path) -> None:
    with db(demo) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in conn.execute("SELECT * FROM access_log ORDER BY seq")]
    assert all(r["hash"] == jcs_sha256(r) for r in rows)
    assert rows[0]["prev_hash"] == "0" * 64
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(rows))


def test_an_entry_rewritten_with_a_fresh_hash_is_caught_at_the_next_entry(demo: Path) -> None:
    with db(demo) as conn:
        conn.row_factory = sqlite3.Row
        conn.execute("DROP TRIGGER access_log_no_update")
        row = dict(conn.execute("SELECT * FROM access_log WHERE seq = 7").fetchone())
        row["record_id"] = "P000999"
        conn.execute("UPDATE access_log SET record_id = ?, hash = ? WHERE seq = 7", (row["record_id"], jcs_sha256(row)))
    result = audit("verify", "-p", str(demo))
    assert result.exit_code == 1
    assert "fails verification at entry 8: its previous-hash does not match entry 7" in result.output


def test_a_deleted_entry_is_caught_although_every_remaining_row_is_intact(demo: Path) -> None:
    with db(demo) as conn:
        conn.execute("DROP TRIGGER access_log_no_delete")
        conn.execute("DELETE FROM access_log WHERE seq = 100")
    result = audit("verify", "-p", str(demo))
    assert result.exit_code == 1
    assert "fails verification at entry 100: entry 100 is missing" in result.output


def test_entries_cut_from_the_end_are_caught_by_each_copy_of_the_head_kept_elsewhere(
    demo: Path, tmp_path: Path
) -> None:
    exported = audit("export", "-p", str(demo), "-o", str(tmp_path / "offsite"), "--by", "privacy.officer")
    assert exported.exit_code == 0, exported.output
    [checkpoint] = (tmp_path / "offsite").glob("*.checkpoint.json")
    head = json.loads(checkpoint.read_text())["head_seq"]
    with db(demo) as conn:
        conn.execute("DROP TRIGGER access_log_no_delete")
        conn.execute("DELETE FROM access_log WHERE seq > ?", (head - 5,))
    assert audit("verify", "-p", str(demo)).exit_code == 1  # the store's export checkpoint still names it
    with db(demo) as conn:
        conn.execute("DROP TRIGGER access_log_checkpoints_no_delete")
        conn.execute("DELETE FROM access_log_checkpoints")
    result = audit("verify", "-p", str(demo))
    assert result.exit_code == 1  # a thorough attacker cleans the store, but the anchor file beside it names the head…
    assert f"fails verification at entry {head - 4}: it is missing, but the anchor of" in result.output
    (demo / ANCHORS).unlink()
    assert audit("verify", "-p", str(demo)).exit_code == 0  # …and one who removes that file too…
    result = audit("verify", "-p", str(demo), "--checkpoint", str(checkpoint))
    assert result.exit_code == 1  # …is still caught by the copy kept off-site
    assert f"fails verification at entry {head - 4}: it is missing, but the exported checkpoint" in result.output


def test_a_daily_checkpoint_catches_a_tail_cut_from_an_earlier_day(tmp_path: Path) -> None:
    write_config(tmp_path, plugins=[])
    clock = at(DEMO_DAY)
    practice = Practice.open(tmp_path, clock=clock)
    event = AccessEvent("clinician", "user", "cli", "read", "patient", "P000001", ("date_of_birth",))
    for _day in range(2):
        with practice.view() as view:
            for _ in range(3):
                view.accessed(event)
        clock.advance(dt.timedelta(days=1))
    practice.close()
    with db(tmp_path) as conn:
        assert conn.execute("SELECT kind, head_seq FROM access_log_checkpoints").fetchall() == [("daily", 3)]
        conn.execute("DROP TRIGGER access_log_no_delete")
        conn.execute("DELETE FROM access_log WHERE seq >= 3")
    result = audit("verify", "-p", str(tmp_path))
    assert result.exit_code == 1
    assert "fails verification at entry 3: it is missing, but the daily checkpoint" in result.output


# --------------------------------------------------------------------------- what an entry holds


def test_entries_name_fields_never_values(demo: Path, tmp_path: Path) -> None:
    with db(demo) as conn:
        patient = json.loads(conn.execute("SELECT data FROM records WHERE id = 'P000012'").fetchone()[0])
    secrets = [patient["last_name"], patient["date_of_birth"], patient["phone"], patient["zip"]]
    audit("export", "-p", str(demo), "-o", str(tmp_path / "out"))
    text = "\n".join(map(str, log_rows(demo))) + "".join(p.read_text() for p in (tmp_path / "out").iterdir())
    assert "date_of_birth" in text and "P000012" in text
    for secret in secrets:  # a ZIP's five digits can occur inside a hex hash by chance: match whole tokens
        assert not re.search(rf"(?<![0-9a-f]){re.escape(secret)}(?![0-9a-f])", text), secret
    assert len(text) > 100_000


def test_a_value_passed_as_a_field_name_is_not_written(xlsx_clinic: Clinic) -> None:
    with xlsx_clinic.practice.view() as view:
        view.accessed(AccessEvent("x", "user", "cli", "read", "patient", "P000001", ("last_name", "Grace Hopper")))
    [row] = log_rows(xlsx_clinic.folder)
    assert row[8] == "last_name,<not a field name: 12 chars>"


def test_sync_cli_and_plugin_writes_are_all_logged(xlsx_clinic: Clinic) -> None:
    xlsx_clinic.sync()
    row = xlsx_clinic.sheet.rows("Patients")[0]["_row"]
    xlsx_clinic.sheet.edit("Patients", row, "Phone", "617-555-0199")
    xlsx_clinic.sync()
    operations.history(xlsx_clinic.practice, "patient", "P000001", actor="dr.lee")
    with xlsx_clinic.practice.view() as view:
        view.save("patient", {**view.get("patient", "P000002"), "city": "Boston"}, plugin="intake")
    entries = [(r[2], r[3], r[4], r[5], r[7], r[8]) for r in log_rows(xlsx_clinic.folder)]
    assert entries[5:] == [
        ("sync", "system", "sync:xlsx", "update", "P000001", "phone"),
        ("dr.lee", "user", "cli", "read", "P000001", "history"),
        ("intake", "plugin", "plugin:intake", "update", "P000002", "city"),
    ]
    assert audit("verify", "-p", str(xlsx_clinic.folder)).exit_code == 0


def test_a_dry_run_or_failed_sync_leaves_no_entry(xlsx_clinic: Clinic) -> None:
    report = xlsx_clinic.sync(dry_run=True)
    assert report.entities["patient"].created == 5
    assert log_rows(xlsx_clinic.folder) == []

    class Broken:  # an access that cannot be recorded stops the sync (other hooks' failures don't)
        @hookimpl
        def record_accessed(self, practice: Any, event: AccessEvent) -> None:
            raise RuntimeError("a second access log failed mid-sync")

    xlsx_clinic.practice.pm.register(Broken())
    with pytest.raises(RuntimeError):
        xlsx_clinic.sync()
    assert log_rows(xlsx_clinic.folder) == []
    with xlsx_clinic.practice.view() as view:
        assert view.records("patient") == []


def test_entries_in_a_rolled_back_savepoint_vanish_and_the_chain_stays_whole(tmp_path: Path) -> None:
    write_config(tmp_path, plugins=[])
    practice = Practice.open(tmp_path)
    event = AccessEvent("clinician", "user", "cli", "read", "patient", "P000001", ("date_of_birth",))
    with practice.view() as view:
        view.accessed(event)
        for keep in (False, True):
            savepoint = store_tx(view).conn.begin_nested()  # no product path makes one: robustness
            view.accessed(event)
            if keep:
                savepoint.commit()
            else:
                savepoint.rollback()
            view.accessed(event)
    practice.close()
    assert [r[0] for r in log_rows(tmp_path)] == [1, 2, 3, 4]
    assert audit("verify", "-p", str(tmp_path)).exit_code == 0


def test_the_guards_are_put_in_place_once_per_transaction_not_once_per_batch(tmp_path: Path) -> None:
    """Re-issuing the six CREATE TRIGGER statements for every batch made a one-event append cost 40 times more."""
    from sqlalchemy import event

    write_config(tmp_path, plugins=[])
    practice = Practice.open(tmp_path, clock=at(DEMO_DAY))
    issued: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("CREATE TRIGGER"):
            issued.append(statement)

    event.listen(practice.store.engine, "before_cursor_execute", count)
    reading = AccessEvent("clinician", "user", "cli", "read", "patient", "P000001", ("date_of_birth",))
    for _transaction in range(2):
        with practice.view() as view:
            for _batch in range(5):
                view.accessed(reading)
            view.accessed_many([reading] * 3)
    practice.close()
    assert len(issued) == 2 * 6  # three guards on each of the two log tables, once in each transaction
    assert [r[0] for r in log_rows(tmp_path)] == list(range(1, 17))
    assert audit("verify", "-p", str(tmp_path)).exit_code == 0


def test_a_large_batch_goes_in_with_the_insert_guard_lifted_where_no_other_connection_can_see_it(
    tmp_path: Path,
) -> None:
    """A row trigger costs ten times the insert: a large batch lifts it inside its own transaction."""
    from sqlalchemy import event

    from clinicops.plugins.access_log import ledger

    write_config(tmp_path, plugins=[])
    practice = Practice.open(tmp_path, clock=at(DEMO_DAY))
    reading = AccessEvent("clinician", "user", "cli", "read", "patient", "P000001", ("date_of_birth",))
    with practice.view() as view:
        view.accessed(reading)  # the log and its guards are in the file
    present = "SELECT count(*) FROM sqlite_master WHERE name = 'access_log_no_replace'"
    statements: list[str] = []
    seen_elsewhere: list[int] = []

    def trace(statement: str) -> None:
        statements.append(statement.split("(")[0].strip())
        if statement.startswith("INSERT INTO access_log ") and "DROP TRIGGER" in str(statements):
            with db(tmp_path) as other:  # another connection, while the guard is lifted
                seen_elsewhere.append(other.execute(present).fetchone()[0])

    event.listen(practice.store.engine, "checkout", lambda dbapi, *_: dbapi.set_trace_callback(trace))
    with practice.view() as view:
        view.accessed_many([reading] * (ledger._BATCH + 10))
    guard = "CREATE TRIGGER IF NOT EXISTS access_log_no_replace BEFORE INSERT ON access_log WHEN EXISTS"
    inserted = statements.index("INSERT INTO access_log")  # the first batch, which opens the transaction
    lifted = statements.index("DROP TRIGGER IF EXISTS access_log_no_replace")
    rest = statements.index("INSERT INTO access_log", lifted)
    assert inserted < lifted < rest < statements.index(guard, rest)  # put back before the commit
    assert seen_elsewhere and set(seen_elsewhere) == {1}  # no other connection ever sees the log without it

    class Unreadable(str):
        def __str__(self) -> str:
            raise RuntimeError("the batch fails halfway")

    broken = AccessEvent("clinician", "user", "cli", "read", "patient", Unreadable("P9"), ("date_of_birth",))
    with pytest.raises(RuntimeError, match="halfway"), practice.view() as view:
        view.accessed_many([reading] * (ledger._BATCH + 10) + [broken])
    practice.close()
    with db(tmp_path) as conn:
        assert conn.execute(present).fetchone()[0] == 1  # the rollback put it back with everything else
    assert [r[0] for r in log_rows(tmp_path)] == list(range(1, ledger._BATCH + 12))
    assert audit("verify", "-p", str(tmp_path)).exit_code == 0


def test_a_batch_of_mixed_events_stores_each_one_as_given_with_its_canonical_hash(tmp_path: Path) -> None:
    """A batch turns each distinct actor, action and field list into text once: every entry still
    holds its own, and every hash is the documented one."""
    from clinicops.plugins.access_log.chain import FIELDS, entry_hash

    write_config(tmp_path, plugins=[])
    practice = Practice.open(tmp_path, clock=at(DEMO_DAY))
    events = [
        AccessEvent("sync", "system", "sync:xlsx", "create", "patient", "P000001", ("first_name", "phone")),
        AccessEvent("sync", "system", "sync:xlsx", "create", "patient", "P000002", ("first_name", "phone")),
        AccessEvent("dr.lee", "user", "cli", "read", "patient", "P000001", ("date_of_birth",)),
        AccessEvent("sync", "system", "sync:xlsx", "create", "patient", "P000003", ("first_name", "phone")),
        AccessEvent("sync", "system", "sync:xlsx", "update", "patient", "P000002", ("phone",)),
        AccessEvent("dr.lee", "user", "cli", "read", "patient", "P000003", ["zip", "Ada Lovelace"]),  # type: ignore[arg-type]
        AccessEvent("dr.lée", "user", "cli", "read", "patient", 'P"4', ("zip",), purpose="billing", outcome="denied"),
    ]
    with practice.view() as view:
        view.accessed_many(events)
    practice.close()
    rows = log_rows(tmp_path)
    entries = [dict(zip((*FIELDS, "hash"), row, strict=True)) for row in rows]
    assert [(e["actor"], e["action"], e["record_id"], e["fields"]) for e in entries] == [
        ("sync", "create", "P000001", "first_name,phone"),
        ("sync", "create", "P000002", "first_name,phone"),
        ("dr.lee", "read", "P000001", "date_of_birth"),
        ("sync", "create", "P000003", "first_name,phone"),
        ("sync", "update", "P000002", "phone"),
        ("dr.lee", "read", "P000003", "zip,<not a field name: 12 chars>"),
        ("dr.lée", "read", 'P"4', "zip"),
    ]
    assert (entries[-1]["purpose"], entries[-1]["outcome"]) == ("billing", "denied")
    assert all(e["hash"] == entry_hash(e) for e in entries)
    assert [e["prev_hash"] for e in entries[1:]] == [e["hash"] for e in entries[:-1]]
    assert audit("verify", "-p", str(tmp_path)).exit_code == 0


def test_batches_of_entries_sharing_their_texts_store_each_entry_whole_with_its_canonical_hash(
    tmp_path: Path,
) -> None:
    """A batch whose entries share actor, action and fields writes those into its statement once:
    every entry still holds them, quotes and all, up to a batch of mixed entries after it."""
    from clinicops.plugins.access_log import ledger
    from clinicops.plugins.access_log.chain import FIELDS, entry_hash

    write_config(tmp_path, plugins=[])
    practice = Practice.open(tmp_path, clock=at(DEMO_DAY))
    shared = ("first_name", "phone")
    events = [
        AccessEvent("o'brien %s", "user", "cli", "create", "patient", f"P{i:06d}", shared)
        for i in range(ledger._BATCH + 2)
    ]
    events.append(AccessEvent("dr.lée", "user", "cli", "read", "patient", "P000001", ("zip",)))
    with practice.view() as view:
        view.accessed_many(events)
    practice.close()
    entries = [dict(zip((*FIELDS, "hash"), row, strict=True)) for row in log_rows(tmp_path)]
    assert [(e["actor"], e["action"], e["record_id"], e["fields"]) for e in entries] == [
        (str(e.actor), e.action, e.record_id, ",".join(e.fields)) for e in events
    ]
    assert len({e["at"] for e in entries}) == 1
    assert all(e["hash"] == entry_hash(e) for e in entries)
    assert [e["prev_hash"] for e in entries[1:]] == [e["hash"] for e in entries[:-1]]
    assert audit("verify", "-p", str(tmp_path)).exit_code == 0


# --------------------------------------------------------------------------- report and export


def test_report_by_patient_covers_their_records_and_is_itself_logged(demo: Path) -> None:
    practice = Practice.open(demo)
    operations.history(practice, "patient", "P000012", actor="dr.lee")
    practice.close()
    args = ["report", "-p", str(demo), "--from", "2026-11-01", "--to", "2026-11-30", "--patient", "P000012"]
    result = audit(*args, "--by", "privacy.officer")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Access to patient P000012 and their records, 2026-11-01 to 2026-11-30")
    assert "patient P000012" in result.output and "appointment A" in result.output and "claim CLM" in result.output
    assert "dr.lee" in result.output and "history" in result.output
    assert "P000013" not in result.output
    assert " EST " in result.output and "UTC" not in result.output  # New York time for New York's office
    last = log_rows(demo)[-1]
    assert last[2:9] == ("privacy.officer", "user", "cli", "read", "access_log", "patient:P000012", last[8])
    empty = audit("report", "-p", str(demo), "--from", "2026-10-01", "--to", "2026-10-31", "--patient", "P000012")
    assert "0 entries" in empty.output


def test_report_by_actor_as_csv_is_safe_to_open_in_a_spreadsheet(demo: Path, tmp_path: Path) -> None:
    practice = Practice.open(demo)
    with practice.view() as view:
        for actor in ('=HYPERLINK("http://evil")', "-5", "@SUM(A1)", "+1 617 555 0100", "\tsneaky"):
            view.accessed(AccessEvent(actor, "user", "cli", "read", "patient", "P000001", ("last_name",)))
        view.accessed(AccessEvent("-5", "user", "cli", "read", "patient", "-2+3", ("last_name",)))
    practice.close()
    out = tmp_path / "report.csv"
    period = ["--from", "2026-11-01", "--to", "2026-11-30"]
    result = audit("report", "-p", str(demo), *period, "--actor", "-5", "--format", "csv", "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["actor"], r["record_id"]) for r in rows] == [("-5", "P000001"), ("-5", "'-2+3")]
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    everything = audit("report", "-p", str(demo), *period, "--format", "csv")
    cells = [c for row in csv.reader(io.StringIO(everything.output)) for c in row]
    for cell in cells:
        assert not cell.startswith(("=", "+", "@", "\t", "\r", "\n")), cell
        assert not cell.startswith("-") or cell == "-5", cell
    assert '\'=HYPERLINK("http://evil")' in cells and "'\tsneaky" in cells and "'+1 617 555 0100" in cells
    assert log_rows(demo)[-1][5] == "export"  # a CSV leaves the system: logged as an export


def test_report_refuses_both_filters_at_once(demo: Path) -> None:
    period = ["--from", "2026-11-01", "--to", "2026-11-30"]
    result = audit("report", "-p", str(demo), *period, "--patient", "P000001", "--actor", "sync")
    assert result.exit_code == 2 and "not both" in result.output


def test_export_writes_the_log_and_a_checkpoint_that_matches_verify(demo: Path, tmp_path: Path) -> None:
    result = audit("export", "-p", str(demo), "-o", str(tmp_path / "offsite"), "--by", "privacy.officer")
    assert result.exit_code == 0, result.output
    [log_file] = (tmp_path / "offsite").glob("*.jsonl")
    [cp_file] = (tmp_path / "offsite").glob("*.checkpoint.json")
    checkpoint = json.loads(cp_file.read_text())
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert lines[-1]["action"] == "export" and lines[-1]["actor"] == "privacy.officer"
    assert checkpoint["count"] == len(lines) == checkpoint["head_seq"]
    assert checkpoint["head_hash"] == lines[-1]["hash"]
    assert checkpoint["log_sha256"] == hashlib.sha256(log_file.read_bytes()).hexdigest()
    verified = json.loads(audit("verify", "-p", str(demo), "--json").output)
    assert (verified["head_seq"], verified["head_hash"]) == (checkpoint["head_seq"], checkpoint["head_hash"])
    ok = audit("verify", "-p", str(demo), "--checkpoint", str(cp_file))
    assert ok.exit_code == 0 and "checkpoint(s) match" in ok.output
    assert oct(log_file.stat().st_mode & 0o777) == "0o600"


def test_export_defaults_to_the_configured_folder(tmp_path: Path) -> None:
    write_config(tmp_path, plugins=[], extra='\n[plugins.access_log]\nexport_dir = "vault"\n')
    result = audit("export", "-p", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "vault").glob("access-log-*"))) == 2


# --------------------------------------------------------------------------- always on


def test_access_log_cannot_be_disabled(tmp_path: Path) -> None:
    write_config(tmp_path, plugins=["credentials"])
    text = (tmp_path / "practice.toml").read_text().replace("[plugins]\n", '[plugins]\ndisabled = ["access_log"]\n')
    (tmp_path / "practice.toml").write_text(text)
    with pytest.raises(PluginError, match="'access_log' cannot be disabled"):
        Practice.open(tmp_path)
    result = CliRunner().invoke(cli, ["sync", "-p", str(tmp_path)])
    assert result.exit_code == 1 and "cannot be disabled: the HIPAA access log" in result.output


def test_access_log_is_on_even_when_no_plugin_is_enabled_and_lists_its_hooks(tmp_path: Path) -> None:
    write_config(tmp_path, plugins=[])
    result = CliRunner().invoke(cli, ["plugins", "--json", "-p", str(tmp_path)])
    entry = next(e for e in json.loads(result.output)["plugins"] if e["name"] == "access_log")
    assert entry["enabled"] is True and entry["essential"] is True
    assert {"records_accessed", "prepare_storage", "register_commands", "plugin_settings_schema"} <= set(entry["hooks"])


def test_verify_on_a_new_practice_passes_with_no_entries(tmp_path: Path) -> None:
    write_config(tmp_path, plugins=[])
    result = audit("verify", "-p", str(tmp_path))
    assert result.exit_code == 0
    assert result.output.startswith("The access log is intact: 0 entries")


# --------------------------------------------------------------------------- upkeep


def access_alerts(folder: Path) -> dict[str, dict[str, Any]]:
    practice = Practice.open(folder)
    try:
        with practice.view() as view:
            return {a["id"]: a for a in view.records("alert") if a["plugin"] == "access_log"}
    finally:
        practice.close()


def test_an_off_site_export_is_asked_for_until_made_and_again_when_overdue(demo: Path, tmp_path: Path) -> None:
    alerts = access_alerts(demo)
    assert alerts["access_log:never-exported"]["status"] == "open"
    assert audit("export", "-p", str(demo), "-o", str(tmp_path / "offsite")).exit_code == 0
    operations.sync(Practice.open(demo))
    assert access_alerts(demo)["access_log:never-exported"]["status"] == "resolved"
    operations.sync(Practice.open(demo, clock=at(DEMO_DAY + dt.timedelta(days=9))))
    overdue = [a for a in access_alerts(demo).values() if "export-overdue" in a["id"]]
    assert len(overdue) == 1 and "9 days ago" in overdue[0]["message"]


def test_the_nightly_check_turns_a_tampered_log_into_a_critical_alert(demo: Path) -> None:
    from clinicops.plugins.access_log import upkeep

    practice = Practice.open(demo)
    with practice.view(source="plugin:access_log") as view:
        upkeep.verify_now(view)
    operations.sync(practice)
    assert "access_log:verify-failed" not in access_alerts(demo)
    with db(demo) as conn:
        conn.execute("DROP TRIGGER access_log_no_update")
        conn.execute("UPDATE access_log SET actor = 'someone' WHERE seq = 7")
    with practice.view(source="plugin:access_log") as view:
        upkeep.verify_now(view)
    operations.sync(practice)
    failed = access_alerts(demo)["access_log:verify-failed"]
    assert failed["severity"] == "critical" and "entry 7" in failed["message"]
    practice.close()


# --------------------------------------------------------------------------- someone with the database file


def anchors(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / ANCHORS).read_text().splitlines()]


def rows_as_dicts(conn: sqlite3.Connection, table: str) -> list[dict[str, Any]]:
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1")]
    finally:
        conn.row_factory = None


def test_every_sync_and_export_anchors_the_head_outside_the_store(demo: Path, tmp_path: Path) -> None:
    [first] = anchors(demo)
    head = log_rows(demo)[-1]
    assert (first["seq"], first["hash"]) == (head[0], head[-1])
    assert first["source"] in ("sync:xlsx", "plugin:sms")  # the demo sync's last entry may be a texted opt-out
    assert (demo / ANCHORS).stat().st_mode & 0o777 == 0o600
    assert audit("export", "-p", str(demo), "--by", "privacy.officer").exit_code == 0
    assert anchors(demo)[-1]["seq"] == first["seq"] + 1 == log_rows(demo)[-1][0]  # the export's own entry
    result = audit("verify", "-p", str(demo), "--json")
    verdict = json.loads(result.output)
    assert verdict["ok"] and verdict["checkpoints_checked"] >= 3  # the store's, the anchors, the export folder's


def test_a_tail_cut_after_the_newest_checkpoint_is_caught_by_the_anchor(demo: Path) -> None:
    count = len(log_rows(demo))
    with db(demo) as conn:
        assert conn.execute("SELECT count(*) FROM access_log_checkpoints").fetchone()[0] == 0
        conn.execute("DROP TRIGGER access_log_no_delete")
        conn.execute("DELETE FROM access_log WHERE seq > ?", (count - 3,))
    result = audit("verify", "-p", str(demo))
    assert result.exit_code == 1
    assert f"fails verification at entry {count - 2}: it is missing, but the anchor of " in result.output
    assert re.search(r"\((sync:xlsx|plugin:sms), access-log-anchors\.jsonl line 1\)", result.output)
    assert "fewer entries than were anchored" in result.output


def test_a_tail_cut_with_every_checkpoint_is_caught_by_the_anchor(demo: Path) -> None:
    assert audit("export", "-p", str(demo), "-o", str(demo.parent / "usb")).exit_code == 0
    shutil.rmtree(demo.parent / "usb")  # the copy never left the building
    count = len(log_rows(demo))
    with db(demo) as conn:
        conn.execute("DROP TRIGGER access_log_no_delete")
        conn.execute("DROP TRIGGER access_log_checkpoints_no_delete")
        conn.execute("DELETE FROM access_log WHERE seq > ?", (count - 10,))
        conn.execute("DELETE FROM access_log_checkpoints")
    result = audit("verify", "-p", str(demo))
    assert result.exit_code == 1
    assert f"at entry {count - 9}: it is missing, but the anchor of" in result.output


def test_tables_dropped_and_rebuilt_with_a_shorter_chain_are_caught(demo: Path) -> None:
    count = len(log_rows(demo))
    with db(demo) as conn:
        schema = [
            sql
            for (sql,) in conn.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name IN ('access_log', 'access_log_checkpoints')"
            )
        ]
        kept = [r for r in rows_as_dicts(conn, "access_log") if r["seq"] <= count - 20]
        conn.execute("DROP TABLE access_log")
        conn.execute("DROP TABLE access_log_checkpoints")
        for sql in schema:
            if sql and "TRIGGER" not in sql:
                conn.execute(sql)
        conn.executemany(
            f"INSERT INTO access_log ({', '.join(kept[0])}) VALUES ({', '.join('?' * len(kept[0]))})",
            [tuple(r.values()) for r in kept],
        )
    result = audit("verify", "-p", str(demo))
    assert result.exit_code == 1
    assert f"at entry {count - 19}: it is missing, but the anchor of" in result.output


def test_a_fully_rehashed_chain_is_caught_by_the_anchor_that_no_longer_matches(demo: Path) -> None:
    with db(demo) as conn:
        entries = rows_as_dicts(conn, "access_log")
        conn.execute("DROP TRIGGER access_log_no_update")
        prev = "0" * 64
        for e in entries:
            if e["seq"] == 5:
                e["actor"] = "someone-else"
            e["prev_hash"] = prev
            e["hash"] = jcs_sha256(e)
            prev = e["hash"]
            conn.execute(
                "UPDATE access_log SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                (e["actor"], e["prev_hash"], e["hash"], e["seq"]),
            )
    result = audit("verify", "-p", str(demo))
    assert result.exit_code == 1
    head = entries[-1]["seq"]
    assert f"fails verification at entry {head}: it differs from the anchor of " in result.output
    assert "so the log was rewritten from here or earlier" in result.output


def test_both_log_tables_dropped_is_a_failure_not_an_empty_log(demo: Path) -> None:
    with db(demo) as conn:
        conn.execute("DROP TABLE access_log")
        conn.execute("DROP TABLE access_log_checkpoints")
    result = audit("verify", "-p", str(demo))
    assert result.exit_code == 1
    assert "fails verification at entry 1: the store holds no access log at all, but the anchor of" in result.output
    (demo / ANCHORS).unlink()  # the anchors gone too: the records it should have logged still say so
    result = audit("verify", "-p", str(demo))
    assert result.exit_code == 1
    assert "the store holds no access log at all, but 2189 records with PHI" in result.output


def test_insert_or_replace_cannot_rewrite_an_entry_or_a_checkpoint(demo: Path) -> None:
    assert audit("export", "-p", str(demo), "-o", str(demo.parent / "offsite")).exit_code == 0
    with db(demo) as conn:
        entry = rows_as_dicts(conn, "access_log")[2]
        entry["actor"] = "someone-else"
        columns, marks = ", ".join(entry), ", ".join("?" * len(entry))
        for verb in ("INSERT OR REPLACE", "REPLACE"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(f"{verb} INTO access_log ({columns}) VALUES ({marks})", tuple(entry.values()))
        checkpoint = rows_as_dicts(conn, "access_log_checkpoints")[0]
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(
                "INSERT OR REPLACE INTO access_log_checkpoints (id, kind, day, at, head_seq, head_hash) "
                "VALUES (?, 'export', ?, ?, 1, ?)",
                (checkpoint["id"], checkpoint["day"], checkpoint["at"], "0" * 64),
            )
    assert audit("verify", "-p", str(demo)).exit_code == 0


def test_a_missing_replace_guard_is_named_and_put_back(demo: Path) -> None:
    with db(demo) as conn:
        conn.execute("DROP TRIGGER access_log_no_replace")
    result = audit("verify", "-p", str(demo))
    assert "access_log_no_replace" in result.output
    practice = Practice.open(demo)
    operations.history(practice, "patient", "P000012", actor="dr.lee")
    practice.close()
    with db(demo) as conn:
        assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'access_log_no_replace'").fetchone()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(), min_size=10, max_size=10), st.integers(min_value=1, max_value=2**40))
def test_the_batched_hash_is_the_documented_canonical_hash(texts: list[str], seq: int) -> None:
    from clinicops.plugins.access_log import ledger
    from clinicops.plugins.access_log.chain import canonical

    entry = dict(
        zip(
            ("at", "actor", "role", "source", "action", "entity", "record_id", "fields", "purpose", "outcome"),
            texts,
            strict=True,
        )
    )
    entry |= {"seq": seq, "prev_hash": "ab" * 32}
    fast = ledger._CANONICAL % (
        *(ledger._enc(entry[k]) for k in ("action", "actor", "at", "entity", "fields", "outcome")),
        entry["prev_hash"],
        *(ledger._enc(entry[k]) for k in ("purpose", "record_id", "role")),
        entry["seq"],
        ledger._enc(entry["source"]),
    )
    assert fast.encode() == canonical(entry)
    names = ("actor", "role", "source", "action", "entity", "fields", "purpose", "outcome")
    texts = (*(entry[k] for k in names), *(ledger._enc(entry[k]) for k in sorted(names)))
    template = ledger._entry_template(texts, ledger._enc(entry["at"]))
    assert template % (entry["prev_hash"], ledger._enc(entry["record_id"]), entry["seq"]) == fast


def test_the_next_sync_raises_a_critical_alert_when_the_log_no_longer_holds_its_anchored_head(demo: Path) -> None:
    with db(demo) as conn:
        conn.execute("DROP TABLE access_log")
        conn.execute("DROP TABLE access_log_checkpoints")
    practice = Practice.open(demo)
    operations.sync(practice)
    practice.close()
    alert = access_alerts(demo)["access_log:behind-anchor"]
    assert alert["severity"] == "critical" and alert["status"] == "open"
    assert "no longer holds entry" in alert["message"] and "anchor of" in alert["message"]
