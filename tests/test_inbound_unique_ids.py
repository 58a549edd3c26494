"""A tab whose ids are each on one row is sorted without a Python step per row as last synced
(``InboundPass._take_unique``): it must decide exactly what the row-by-row pass decides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clinicops.core.inbound import InboundPass
from clinicops.core.table_plan import Inbound

from .conftest import Clinic, seeded_clinic, xlsx_backend


def _row_of(clinic: Clinic, mrn: str) -> int:
    return next(r["_row"] for r in clinic.sheet.rows("Patients") if r.get("MRN") == mrn)


def _edited(clinic: Clinic) -> None:
    """Rows as last synced between an edited row, a held-back row, a row added with a blank id
    and one with an id nobody knows: every kind of decision, interleaved."""
    clinic.sheet.edit("Patients", _row_of(clinic, "P000002"), "Last name", "Turing-Smith")
    clinic.sheet.edit("Patients", _row_of(clinic, "P000004"), "ZIP", "2134")
    clinic.sheet.append(
        "Patients", [{"MRN": "", "First name": "Frances", "Last name": "Allen", "Date of birth": "8/4/1932"}]
    )
    clinic.sheet.append("Patients", [{"MRN": "P000099", "First name": "John", "Last name": "Backus"}])


def _decided(inbound: Inbound) -> dict[str, Any]:
    return {
        "same": [(rid, row.number) for rid, row in inbound.same.items()],
        "seen": list(inbound.seen.items()),
        "rows": [(rs.record_id, rs.row.number, rs.parsed, rs.new, rs.content) for rs in inbound.rows],
        "held": [(row.number, [p.kind for p in problems]) for row, problems in inbound.held],
        "held_ids": sorted(inbound.held_ids),
        "reserved": dict(inbound.reserved),
        "carried": dict(inbound.carried),
        "to_delete": inbound.to_delete,
        "notes": inbound.notes,
        "created": sorted(inbound.created),
        "updated": sorted(inbound.updated),
    }


def _patients_inbound(folder: Path, monkeypatch: pytest.MonkeyPatch, *, row_by_row: bool) -> tuple[dict, int]:
    """The patient tab's inbound answer after the edits, and how often the shortcut was taken."""
    answers: list[Inbound] = []
    shortcut: list[int] = []
    run, unique = InboundPass.run, InboundPass._take_unique

    def recording_run(self: InboundPass, read: Any) -> Inbound:
        answer = run(self, read)
        if read.entity.name == "patient":
            answers.append(answer)
        return answer

    def counted_unique(self: InboundPass, *args: Any) -> None:
        if args[0].read.entity.name == "patient":
            shortcut.append(1)
        (InboundPass._take_rows if row_by_row else unique)(self, *args)

    folder.mkdir()
    with xlsx_backend(folder) as (backend, sheet):
        clinic = seeded_clinic(folder, backend, sheet)
        clinic.sync()
        _edited(clinic)
        with monkeypatch.context() as patched:
            patched.setattr(InboundPass, "run", recording_run)
            patched.setattr(InboundPass, "_take_unique", counted_unique)
            clinic.sync()
        clinic.practice.close()
    return _decided(answers[-1]), len(shortcut)


def test_rows_with_unique_ids_are_decided_as_row_by_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, taken = _patients_inbound(tmp_path / "fast", monkeypatch, row_by_row=False)
    slow, _ = _patients_inbound(tmp_path / "slow", monkeypatch, row_by_row=True)
    assert taken == 1
    assert fast == slow
    assert [rid for rid, _ in fast["same"]] == ["P000001", "P000003", "P000005"]
    seen_before = [("P000001", 2), ("P000002", 3), ("P000003", 4), ("P000004", 5), ("P000005", 6), ("P000099", 8)]
    assert fast["seen"] == [*seen_before, ("P000100", 7)]  # a new row's id is seen once given, after the others
    assert [(rid, number, new) for rid, number, _, new, _ in fast["rows"]] == [
        ("P000002", 3, False),
        ("P000100", 7, True),
    ]
    assert fast["held"] == [(5, ["invalid-value"]), (8, ["unknown-id", "missing-value"])]


def test_a_tab_with_an_id_on_two_rows_is_decided_row_by_row(xlsx_clinic: Clinic) -> None:
    xlsx_clinic.sync()
    row = {k: v for k, v in xlsx_clinic.sheet.rows("Patients")[0].items() if not k.startswith("_")}
    xlsx_clinic.sheet.append("Patients", [{**row, "Errors": ""}])
    report = xlsx_clinic.sync()
    [problem] = report.entities["patient"].errors
    assert problem.kind == "duplicate-id"
    assert report.entities["patient"].unchanged == 5
