"""A practice opened for work: config, schemas, plugins and store, wired together once.

The CLI, the scheduled runner and tests all start here; plugins see the practice
through :class:`PracticeView`, a small read-mostly window onto one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pluggy

from clinicops.core.access import AccessEvent
from clinicops.core.clock import Clock, clock_from_settings
from clinicops.core.coercion import CoerceContext
from clinicops.core.column_map_file import FILE_NAME, ColumnMap
from clinicops.core.config import PracticeConfig, load_config
from clinicops.core.plugin_manager import call_each, get_plugin_manager, resolve_settings
from clinicops.core.plugin_storage import PluginStorage
from clinicops.core.schema_registry import Entity, SchemaRegistry, builtin_schemas, load_folder, owned_by
from clinicops.core.store import Store, StoreTx


class Practice:
    def __init__(
        self, config: PracticeConfig, pm: pluggy.PluginManager | None = None, clock: Clock | None = None
    ) -> None:
        self.config = config
        self.clock: Clock = clock if clock is not None else clock_from_settings(config.clock, config.timezone)
        self.pm = pm if pm is not None else get_plugin_manager(config.enabled_plugins, config.disabled_plugins)
        self.settings = resolve_settings(self.pm, config.plugin_settings)
        self.registry = SchemaRegistry(builtin_schemas())
        self.plugin_entities: list[str] = []
        for plugin, extra in call_each(self.pm, "register_schemas").items():
            for schema in extra or []:
                if schema.get("title") not in self.registry:
                    self.plugin_entities.append(schema.get("title", ""))
                self.registry.add(owned_by(schema, plugin), origin=f"plugin {plugin}'s schema")
        for schema, origin in load_folder(config.schema_dir):
            self.registry.add(schema, origin=origin)
        self._store: Store | None = None
        self._column_map: ColumnMap | None = None

    @property
    def column_map(self) -> ColumnMap:
        """Which tab holds each entity and which column each field (``columns.toml``), read on first use."""
        if self._column_map is None:
            self._column_map = ColumnMap(self.config.root / FILE_NAME)
        return self._column_map

    @classmethod
    def open(cls, path: Path | str, *, clock: Clock | None = None) -> Practice:
        return cls(load_config(Path(path)), clock=clock)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.config.store_url, clock=self.clock, schema=self.config.store_schema)
            self._prepare_storage(self._store)
        return self._store

    def _prepare_storage(self, store: Store) -> None:
        """Each plugin creates its own tables when the store opens, before any work's transaction."""
        with store.engine.connect() as conn:
            for impl in self.pm.hook.prepare_storage.get_hookimpls():
                impl.function(storage=PluginStorage(impl.plugin_name, conn))

    def now(self) -> datetime:
        """The current moment by the practice's clock, aware, in UTC."""
        return self.clock.now()

    def today(self) -> date:
        """Today's date where the practice is, by its clock."""
        return self.now().astimezone(self.config.timezone).date()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    @property
    def coerce_context(self) -> CoerceContext:
        c = self.config
        return CoerceContext(
            timezone=c.timezone, phone_region=c.phone_region, date_order=c.date_order, reference_year=self.today().year
        )

    @property
    def computed_entities(self) -> set[str]:
        """Tabs only clinicops fills: alerts and the plugins' tables whose every field a plugin computes.

        A plugin may also add a tab staff keep (equipment, budget lines): that one is the
        staff's like any built-in tab.
        """
        return {"alert"} | {
            name for name in self.plugin_entities if name in self.registry and self.registry[name].computed_by_plugins
        }

    def enabled_plugins(self) -> set[str]:
        return {name for name, plugin in self.pm.list_name_plugin() if plugin is not None}

    def entities(self) -> list[Entity]:
        """The synced entities, each after the ones it refers to (patients before appointments)."""
        names = list(self.config.entities or self.registry.names())
        # Alerts and the tables plugins keep (summaries, suggestions) always sync.
        for extra in ["alert", *self.plugin_entities]:
            if extra not in names and extra in self.registry:
                names.append(extra)
        for n in names:
            self.registry[n]  # raises a clear KeyError for an unknown entity
        order: list[str] = []

        def visit(name: str, trail: tuple[str, ...]) -> None:
            if name in order or name in trail or name not in names:
                return
            for f in self.registry[name].fields:
                if f.ref and f.ref != name:
                    visit(f.ref, (*trail, name))
            order.append(name)

        for n in names:
            visit(n, ())
        order.sort(key=lambda n: n == "alert")  # alerts last: plugins report after the data syncs
        return [self.registry[n] for n in order]

    @contextmanager
    def view(self, source: str = "cli", actor: str | None = None) -> Iterator[PracticeView]:
        """A view in its own transaction, for commands and scheduled tasks."""
        with self.store.transaction() as tx:
            yield PracticeView(self, tx, source=source, actor=actor or self.config.actor)


class PracticeView:
    """What a plugin hook sees: the practice's settings, clock and current records.

    The transaction and the plugin manager behind it stay the core's (:func:`store_tx`,
    :func:`plugin_manager`): a plugin reaches its tables through :meth:`storage`, never a
    connection.
    """

    def __init__(self, practice: Practice, tx: StoreTx, source: str, actor: str) -> None:
        self._practice = practice
        self._tx = tx
        self.source = source
        self.actor = actor

    @property
    def name(self) -> str:
        return self._practice.config.name

    @property
    def timezone(self) -> ZoneInfo:
        return self._practice.config.timezone

    @property
    def root(self) -> Path:
        return self._practice.config.root

    @property
    def data_dir(self) -> Path:
        return self._practice.config.data_dir

    @property
    def store_schema(self) -> str | None:
        """The practice's schema when its store is on PostgreSQL; None for a SQLite file."""
        return self._practice.config.store_schema

    @property
    def registry(self) -> SchemaRegistry:
        return self._practice.registry

    def now(self) -> datetime:
        """The current moment by the practice's clock, aware, in UTC."""
        return self._practice.now()

    def today(self) -> date:
        """Today's date where the practice is, by its clock."""
        return self._practice.today()

    def settings(self, plugin: str) -> dict[str, Any]:
        return self._practice.settings.get(plugin, {})

    def records(self, entity: str, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Every current record of an entity, as plain dicts; with ``include_deleted`` the
        last data of deleted ones too (each then carries ``"_deleted": True``)."""
        if entity not in self.registry:
            return []
        return [
            {**r.data, "_deleted": True} if r.deleted else r.data
            for r in self._tx.all(entity, include_deleted=include_deleted)
        ]

    def count(self, entity: str) -> int:
        """How many current (not deleted) records an entity has, without reading them."""
        return self._tx.count(entity) if entity in self.registry else 0

    def get(self, entity: str, record_id: str, *, include_deleted: bool = False) -> dict[str, Any] | None:
        """One record; a deleted one only with ``include_deleted`` (then with ``"_deleted": True``)."""
        rec = self._tx.get(entity, record_id)
        if rec is None or (rec.deleted and not include_deleted):
            return None
        return {**rec.data, "_deleted": True} if rec.deleted else rec.data

    def save(self, entity: str, record: dict[str, Any], *, plugin: str, note: str | None = None) -> int:
        """Create or update a record on behalf of a plugin; the next sync shows it in the sheet."""
        pk = self.registry[entity].primary_key
        current = self._tx.get(entity, record[pk])
        version = self._tx.save(
            entity, record[pk], record, source=f"plugin:{plugin}", actor=plugin, note=note, current=current
        )
        if self.registry[entity].has_phi and (current is None or current.version != version):
            action = "create" if current is None or current.deleted else "update"
            fields = tuple(
                sorted(record if current is None else {k for k in record if current.data.get(k) != record.get(k)})
            )
            self.accessed(AccessEvent(plugin, "plugin", f"plugin:{plugin}", action, entity, record[pk], fields))
        return version

    def replace_table(self, entity: str, records: list[dict[str, Any]], *, plugin: str) -> int:
        """Make a plugin-owned table hold exactly these records (a summary, a suggestion list).

        Unchanged records keep their version; vanished ones become tombstones. Returns the
        number of records that changed.
        """
        pk = self.registry[entity].primary_key
        current = {r.id: r for r in self._tx.all(entity, include_deleted=True)}
        wanted = {r[pk]: r for r in records}
        changed = 0
        for record_id, record in wanted.items():
            old = current.get(record_id)
            if old is None or old.deleted or old.data != record:
                self._tx.save(entity, record_id, record, source=f"plugin:{plugin}", actor=plugin, current=old)
                changed += 1
        for record_id, old in current.items():
            if record_id not in wanted and not old.deleted:
                self._tx.save(entity, record_id, None, source=f"plugin:{plugin}", actor=plugin, current=old)
                changed += 1
        return changed

    def storage(self, plugin: str) -> PluginStorage:
        """The plugin's own tables, in this view's transaction (see :mod:`clinicops.core.plugin_storage`);
        its ``prepare_storage`` hook created them when the store opened."""
        return PluginStorage(plugin, self._tx.conn, scope=self._tx.scope)

    def channels(self) -> dict[str, Any]:
        """Notification channels by name, from every enabled plugin that offers one."""
        out: dict[str, Any] = {}
        for found in self._practice.pm.hook.register_channels(practice=self):
            for channel in found or []:
                out[channel.name] = channel
        return out

    def accessed(self, event: AccessEvent) -> None:
        """Report one access to a record that holds PHI (see :meth:`accessed_many`)."""
        self.accessed_many([event])

    def accessed_many(self, events: Iterable[AccessEvent]) -> None:
        """Report accesses in one call of ``records_accessed``, in this view's transaction.

        The access log writes them with the change they record; if it raises, so does this,
        and the work that made the accesses stops. Plugins still implementing the older
        ``record_accessed`` hear of each event on its own.
        """
        batch = list(events)
        if not batch:
            return
        hook = self._practice.pm.hook
        hook.records_accessed(practice=self, events=batch)
        if hook.record_accessed.get_hookimpls():
            for event in batch:
                hook.record_accessed(practice=self, event=event)


def store_tx(view: PracticeView) -> StoreTx:
    """The store transaction behind a view: for the core's own commands, never handed to plugins."""
    return view._tx


def plugin_manager(view: PracticeView) -> pluggy.PluginManager:
    """The plugin manager behind a view: for the core, which calls hooks; plugins never need it."""
    return view._practice.pm
