"""``columns.toml``: the practice's column map on disk, beside ``practice.toml``.

A file of its own because clinicops writes it (each binding a sync or ``adopt`` finds)
while ``practice.toml`` is only ever written by people. It stays a file people can read
and edit; comments and order survive a rewrite (tomlkit)::

    [patient]
    tab = "Pt List"                  # the tab (or Airtable table) holding patients
    skip = ["address"]               # fields this tab keeps no column for: never added

    [patient.columns]                # field = "header"
    first_name = "First"
    date_of_birth = "DOB"

    [patient.aliases]                # more headers that mean a field, for this practice
    phone = ["Cell #"]
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from clinicops.core import private_files
from clinicops.core.column_map import Binding, TabMap
from clinicops.core.config import ConfigError
from clinicops.core.schema_registry import Entity

FILE_NAME = "columns.toml"
HEADER = (
    'Which tab holds each entity and which column holds each field (field = "header").\n'
    "clinicops records a binding when it first finds a field's column; edit a binding to point a field\n"
    "at a renamed column. Columns not listed here are the staff's own and are never touched."
)


class ColumnMap:
    """The practice's bindings, read once and written back only when a binding changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._doc = self._read()
        self.tabs = {name: _tab_map(name, body) for name, body in self._doc.items() if isinstance(body, dict)}
        self.changed = False

    def _read(self) -> tomlkit.TOMLDocument:
        if not self.path.exists():
            doc = tomlkit.document()
            for line in HEADER.splitlines():
                doc.add(tomlkit.comment(line))
            return doc
        try:
            return tomlkit.parse(self.path.read_text(encoding="utf-8"))
        except TOMLKitError as exc:
            raise ConfigError(f"{self.path}: not valid TOML ({exc})") from None

    def tab_for(self, entity: Entity) -> TabMap:
        return self.tabs.get(entity.name) or TabMap(entity.name, entity.title)

    def record(self, entity: Entity, binding: Binding) -> None:
        """Keep what a sync found: bindings only grow or move, a lost one stays until found again."""
        kept = self.tab_for(entity)
        computed = kept.computed()
        columns = {**kept.columns, **{f: h for f, h in binding.headers.items() if f not in computed}}
        if kept.tab == binding.tab and columns == kept.columns and entity.name in self.tabs:
            return
        self.set(entity.name, replace(kept, tab=binding.tab, columns=columns))

    def set(self, entity: str, tab: TabMap) -> None:
        self.tabs[entity] = tab
        body = self._doc.get(entity)
        if not isinstance(body, dict):
            body = tomlkit.table()
            self._doc[entity] = body
        body["tab"] = tab.tab
        if tab.skip:
            body["skip"] = sorted(tab.skip)
        elif "skip" in body:
            del body["skip"]
        columns = body.get("columns")
        if not isinstance(columns, dict):
            columns = tomlkit.table()
            body["columns"] = columns
        for name in [k for k in columns if k not in tab.columns]:
            del columns[name]
        for name, header in tab.columns.items():
            if columns.get(name) != header:
                columns[name] = header
        for key in ("split", "joined"):
            rules = getattr(tab, key)
            if rules:
                body[key] = {k: list(v) for k, v in rules.items()}
            elif key in body:
                del body[key]
        self.changed = True

    def save(self) -> None:
        """Write the file atomically, and only when something changed."""
        if not self.changed:
            return
        private_files.replace_text(self.path, tomlkit.dumps(self._doc))
        self.changed = False


def _tab_map(entity: str, body: dict[str, Any]) -> TabMap:
    where = f"{FILE_NAME}: {entity}"
    tab = body.get("tab", "")
    columns = body.get("columns", {})
    skip = body.get("skip", [])
    aliases = body.get("aliases", {})
    split = body.get("split", {})
    joined = body.get("joined", {})
    if not isinstance(tab, str) or not tab:
        raise ConfigError(f"{where}.tab: give the name of the tab that holds this entity")
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise ConfigError(f"{where}.columns: each field takes the header of its column as text")
    if not isinstance(skip, list) or not all(isinstance(v, str) for v in skip):
        raise ConfigError(f"{where}.skip: a list of field names")
    for key, value in (("aliases", aliases), ("split", split), ("joined", joined)):
        if not isinstance(value, dict) or not all(isinstance(v, list) for v in value.values()):
            raise ConfigError(f"{where}.{key}: each entry takes a list")
    return TabMap(
        entity,
        str(tab),
        {str(k): str(v) for k, v in columns.items()},
        {str(s) for s in skip},
        {str(k): [str(x) for x in v] for k, v in aliases.items()},
        {str(k): [str(x) for x in v] for k, v in split.items()},
        {str(k): [str(x) for x in v] for k, v in joined.items()},
    )
