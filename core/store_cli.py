"""``clinicops store``: the store's revision and its move to another database."""

from __future__ import annotations

import json
from pathlib import Path

import click

from clinicops.core import store_copy, store_migration
from clinicops.core.cli import CONTEXT, friendly, json_option, open_practice, practice_option
from clinicops.core.config import load_config
from clinicops.core.operations import current_user
from clinicops.core.store_engine import check_schema, default_schema, is_postgres


@click.group("store", context_settings=CONTEXT)
def store_group() -> None:
    """The practice's store: migrate its tables, copy it to another database (SQLite or PostgreSQL)."""


@store_group.command()
@practice_option
@json_option
@friendly
def migrate(practice_dir: Path, as_json: bool) -> None:
    """Bring the store's tables to this clinicops's revision (needs the fleet extras).

    Example: clinicops store migrate -p ~/clinic
    """
    config = load_config(practice_dir)
    before, after = store_migration.migrate(config.store_url, config.store_schema)
    if as_json:
        click.echo(json.dumps({"before": before, "after": after}))
    elif before == after:
        click.echo(f"The store is at revision {after}, the newest; nothing to do.")
    else:
        click.echo(f"The store moved from revision {before or 'none (a new store)'} to {after}.")


@store_group.command()
@practice_option
@click.option("--to", "to_url", required=True, help="The destination, e.g. postgresql+psycopg://db/clinics.")
@click.option("--schema", help="The destination's schema on PostgreSQL (default: the practice's).")
@json_option
@friendly
def copy(practice_dir: Path, to_url: str, schema: str | None, as_json: bool) -> None:
    """Copy the whole store (records, history, sync state, access log, plugins' tables) to an
    empty store at --to, losing nothing; then point [store] url at it.

    Example: clinicops store copy --to postgresql+psycopg://clinicops@db/clinics --schema eastside
    """
    practice = open_practice(practice_dir)
    try:
        if is_postgres(to_url):
            schema = check_schema(schema or practice.config.store_schema or default_schema(practice.config.root.name))
        copied = store_copy.copy_store(practice, to_url, schema, current_user())
    finally:
        practice.close()
    if as_json:
        click.echo(json.dumps({"to": store_copy.safe_url(to_url), "schema": schema, "rows": copied}))
        return
    click.echo(
        f"Copied {sum(copied.values())} rows in {len(copied)} tables to {store_copy.safe_url(to_url)}"
        + (f" (schema {schema})" if schema else "")
        + ". Point practice.toml's [store] url there"
        + (f' (and schema = "{schema}")' if schema else "")
        + " to use it."
    )
