"""``clinicops disclosures accounting PATIENT``: a patient's accounting of disclosures (45 CFR 164.528)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from clinicops import AccessEvent, NotFound
from clinicops.plugins.disclosures.accounting import ENTITY, account, record, six_years_before

NAME = "disclosures"
HEADERS = ["Date", "Recipient", "Information disclosed", "Purpose", "Category"]


def add_commands(cli: click.Group) -> None:
    from clinicops import friendly, json_option, open_practice, practice_option, render_table

    @cli.group(name="disclosures", context_settings={"help_option_names": ["-h", "--help"]})
    def disclosures() -> None:
        """Disclosures outside treatment, payment and operations, and patients' accountings of them."""

    @disclosures.command(name="accounting")
    @click.argument("patient_id")
    @click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="The day the patient asked (default: today).")
    @practice_option
    @json_option
    @friendly
    def accounting(patient_id: str, as_of: dt.datetime | None, practice_dir: Path, as_json: bool) -> None:
        """The patient's accounting of disclosures for the six years before the request (45 CFR 164.528).

        Example: clinicops disclosures accounting P000123 --as-of 2026-12-01
        """
        practice = open_practice(practice_dir)
        with practice.view(source="cli", actor="cli") as view:
            if view.get("patient", patient_id) is None:
                raise NotFound(f"No patient {patient_id}; the Patients tab lists them")
            day = as_of.date() if as_of else view.today()
            entries, left_out = account(view.records(ENTITY), patient_id, day)
            view.accessed(
                AccessEvent(
                    "cli",
                    "staff",
                    "cli",
                    "export",
                    "patient",
                    patient_id,
                    ("what", "purpose"),
                    "accounting of disclosures (45 CFR 164.528)",
                )
            )
            earlier = record(view.storage(NAME), patient_id, day, len(entries), view.now(), "cli")
        since = six_years_before(day)
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "patient_id": patient_id,
                        "from": since.isoformat(),
                        "to": day.isoformat(),
                        "disclosures": entries,
                        "left_out": left_out,
                        "previous_within_12_months": earlier,
                    },
                    indent=2,
                )
            )
            return
        click.echo(f"Accounting of disclosures for patient {patient_id}, {since.isoformat()} to {day.isoformat()}")
        if entries:
            rows = [[e["disclosed_on"], e["recipient"], e["what"], e["purpose"], e["category"]] for e in entries]
            click.echo(render_table(HEADERS, rows))
        else:
            click.echo("No disclosures to account for in that period.")
        if earlier:
            click.echo(f"An accounting was already provided on {earlier[:10]}: this one may carry a reasonable fee.")
