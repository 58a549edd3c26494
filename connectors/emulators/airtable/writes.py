"""Writing records: create, update (PATCH merges, PUT replaces), upsert and delete.

Every write is all-or-nothing, like Airtable's: all records of a request are validated
(field names, value types, select options, linked ids) before any is stored, and options
created by ``typecast`` are added only when the whole request succeeds. At most 10
records per request. Links keep their inverse field in the linked table in step, and
deleting a record removes it from every link that pointed at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import errors, field_types
from .model import Base, Field, Record, Table, new_id
from .render import Shape, record_body

MAX_RECORDS_PER_REQUEST = 10

_WRITE_BODY = frozenset({"records", "fields", "typecast", "returnFieldsByFieldId"})
_UPDATE_BODY = frozenset({"records", "typecast", "returnFieldsByFieldId", "performUpsert"})

Changes = dict[str, Any]


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise errors.invalid_request()
    return value


def _record_list(body: dict[str, Any], what: str) -> list[dict[str, Any]]:
    records = body.get("records")
    if (
        not isinstance(records, list)
        or not 1 <= len(records) <= MAX_RECORDS_PER_REQUEST
        or not all(isinstance(item, dict) for item in records)
    ):
        raise errors.invalid_records(f'"records" must be an array of up to {MAX_RECORDS_PER_REQUEST} {what}.')
    return records


def _only_keys(body: dict[str, Any], allowed: frozenset[str] | set[str]) -> None:
    for name in body:
        if name not in allowed:
            raise errors.invalid_request(f"Unknown parameter: {name}")


@dataclass
class _Planned:
    """One record of a write, validated: the record to change (None: create) and how."""

    record: Record | None
    changes: Changes
    created_index: int | None = None


class TableWriter:
    """Writes to one table of a base, stamped with the time of the request."""

    def __init__(self, base: Base, table: Table, now: datetime) -> None:
        self.base = base
        self.table = table
        self.now = now
        self.choices = field_types.PendingChoices()

    # Validation: nothing below changes the base until ``_commit``.

    def _link_exists(self, table_id: str, record_id: str) -> bool:
        linked = next((each for each in self.base.tables if each.id == table_id), None)
        return linked is not None and record_id in linked.records

    def _changes(self, fields: object, typecast: bool) -> Changes:
        if not isinstance(fields, dict):
            raise errors.invalid_request('"fields" must be an object')
        changes: Changes = {}
        for name, value in fields.items():
            field = self.table.get_field(name)
            changes[field.id] = field_types.coerce(
                field,
                value,
                typecast=typecast,
                choices=self.choices,
                link_exists=self._link_exists,
            )
        return changes

    def _existing(self, record_id: object) -> Record:
        record = self.table.records.get(record_id) if isinstance(record_id, str) else None
        if record is None:
            raise errors.row_does_not_exist(str(record_id))
        return record

    # Storing.

    def _field(self, field_id: str) -> Field:
        return next(each for each in self.table.fields if each.id == field_id)

    def _set(self, record: Record, field: Field, value: Any) -> None:
        old = record.cells.get(field.id)
        if value is None:
            record.cells.pop(field.id, None)
        else:
            record.cells[field.id] = value
        if old != value:
            record.modified[field.id] = self.now
            if field.type == "multipleRecordLinks":
                self._sync_inverse(field, record.id, old or [], value or [])

    def _sync_inverse(self, field: Field, record_id: str, old: list[str], new: list[str]) -> None:
        """Mirror a link change in the linked table's inverse field."""
        options = field.options or {}
        inverse_id = options.get("inverseLinkFieldId")
        linked = next((t for t in self.base.tables if t.id == options["linkedTableId"]), None)
        if not inverse_id or linked is None:
            return
        for other_id in [each for each in old if each not in new]:
            other = linked.records.get(other_id)
            if other is not None:
                remaining = [each for each in other.cells.get(inverse_id, []) if each != record_id]
                if remaining:
                    other.cells[inverse_id] = remaining
                else:
                    other.cells.pop(inverse_id, None)
                other.modified[inverse_id] = self.now
        for other_id in [each for each in new if each not in old]:
            other = linked.records.get(other_id)
            if other is not None and record_id not in other.cells.get(inverse_id, []):
                other.cells[inverse_id] = [*other.cells.get(inverse_id, []), record_id]
                other.modified[inverse_id] = self.now

    def _apply(self, record: Record, changes: Changes, *, replace: bool) -> None:
        if replace:
            for field in self.table.fields:
                if not field.is_computed and field.id not in changes:
                    self._set(record, field, None)
        for field_id, value in changes.items():
            self._set(record, self._field(field_id), value)

    def _create(self, changes: Changes) -> Record:
        record = Record(id=new_id("rec"), created_time=self.now)
        while record.id in self.table.records:
            record.id = new_id("rec")
        self.table.records[record.id] = record
        self._apply(record, changes, replace=False)
        return record

    def _commit(self, plan: list[_Planned], *, replace: bool) -> list[Record]:
        self.choices.commit()
        created: list[Record] = []
        result: list[Record] = []
        for step in plan:
            if step.record is None and step.created_index is None:
                record = self._create(step.changes)
                created.append(record)
            else:
                record = step.record if step.record is not None else created[step.created_index]
                self._apply(record, step.changes, replace=replace)
            result.append(record)
        return result

    def _body(self, record: Record, by_field_id: bool) -> dict[str, Any]:
        return record_body(self.base, self.table, record, Shape(by_field_id=by_field_id))

    # Endpoints.

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST``: ``{"records": [{"fields"}]}`` answers ``{"records"}``; a single
        ``{"fields"}`` answers the record itself."""
        _only_keys(body, _WRITE_BODY)
        typecast = _flag(body, "typecast")
        by_field_id = _flag(body, "returnFieldsByFieldId")
        if "records" in body:
            items = _record_list(body, "record objects")
            plan = []
            for item in items:
                _only_keys(item, {"fields"})
                if "fields" not in item:
                    raise errors.missing_field("fields")
                plan.append(_Planned(None, self._changes(item["fields"], typecast)))
            records = self._commit(plan, replace=False)
            return {"records": [self._body(record, by_field_id) for record in records]}
        if "fields" not in body:
            raise errors.missing_field("fields")
        plan = [_Planned(None, self._changes(body["fields"], typecast))]
        return self._body(self._commit(plan, replace=False)[0], by_field_id)

    def update(self, body: dict[str, Any], *, replace: bool) -> dict[str, Any]:
        """``PATCH`` (merge) or ``PUT`` (replace) of up to 10 records, or an upsert."""
        _only_keys(body, _UPDATE_BODY)
        typecast = _flag(body, "typecast")
        by_field_id = _flag(body, "returnFieldsByFieldId")
        items = _record_list(body, "record objects")
        if body.get("performUpsert") is not None:
            return self._upsert(items, body["performUpsert"], typecast, by_field_id, replace)
        plan = []
        for item in items:
            _only_keys(item, {"id", "fields"})
            if "id" not in item:
                raise errors.missing_field("id")
            if "fields" not in item:
                raise errors.missing_field("fields")
            record = self._existing(item["id"])
            plan.append(_Planned(record, self._changes(item["fields"], typecast)))
        records = self._commit(plan, replace=replace)
        return {"records": [self._body(record, by_field_id) for record in records]}

    def _merge_fields(self, perform_upsert: object) -> list[Field]:
        if not isinstance(perform_upsert, dict):
            raise errors.invalid_request('"performUpsert" must be an object')
        names = perform_upsert.get("fieldsToMergeOn")
        if not isinstance(names, list) or not 1 <= len(names) <= 3 or not all(isinstance(name, str) for name in names):
            raise errors.invalid_request('"fieldsToMergeOn" must list 1 to 3 field names or ids')
        fields = [self.table.get_field(name) for name in names]
        for field in fields:
            if field.is_computed:
                raise errors.invalid_request(f"Field {field.name} is computed and cannot be used in fieldsToMergeOn")
        return fields

    def _upsert(
        self,
        items: list[dict[str, Any]],
        perform_upsert: object,
        typecast: bool,
        by_field_id: bool,
        replace: bool,
    ) -> dict[str, Any]:
        """Records with an ``id`` are plain updates; the others match on the merge fields:
        no match creates, one match updates, several matches fail the request."""
        merge_fields = self._merge_fields(perform_upsert)
        plan: list[_Planned] = []
        created_keys: list[tuple[Any, ...]] = []
        for item in items:
            _only_keys(item, {"id", "fields"})
            if "fields" not in item:
                raise errors.missing_field("fields")
            changes = self._changes(item["fields"], typecast)
            if "id" in item:
                plan.append(_Planned(self._existing(item["id"]), changes))
                continue
            key = tuple(changes.get(field.id) for field in merge_fields)
            if any(value is None for value in key):
                raise errors.invalid_records(
                    "Each record without an id must give a value for every field in fieldsToMergeOn"
                )
            matches = [
                record
                for record in self.table.records.values()
                if tuple(record.cells.get(field.id) for field in merge_fields) == key
            ]
            if len(matches) > 1:
                raise errors.invalid_records("More than one record matches the fieldsToMergeOn values of a record")
            if matches:
                plan.append(_Planned(matches[0], changes))
            elif key in created_keys:
                plan.append(_Planned(None, changes, created_index=created_keys.index(key)))
            else:
                created_keys.append(key)
                plan.append(_Planned(None, changes))
        existed = set(self.table.records)
        records = self._commit(plan, replace=replace)
        created_ids = [record.id for record in records if record.id not in existed]
        return {
            "records": [self._body(record, by_field_id) for record in records],
            "createdRecords": list(dict.fromkeys(created_ids)),
            "updatedRecords": list(dict.fromkeys(record.id for record in records if record.id in existed)),
        }

    def update_one(self, record_id: str, body: dict[str, Any], *, replace: bool) -> dict[str, Any]:
        """``PATCH``/``PUT /v0/{base}/{table}/{recordId}`` with ``{"fields"}``."""
        _only_keys(body, _WRITE_BODY - {"records"})
        record = self.table.records.get(record_id)
        if record is None:
            raise errors.record_not_found(record_id)
        if "fields" not in body:
            raise errors.missing_field("fields")
        changes = self._changes(body["fields"], _flag(body, "typecast"))
        self._commit([_Planned(record, changes)], replace=replace)
        return self._body(record, _flag(body, "returnFieldsByFieldId"))

    def delete(self, record_ids: list[str]) -> dict[str, Any]:
        """``DELETE ?records[]=…``: up to 10 ids, all of which must exist."""
        if not 1 <= len(record_ids) <= MAX_RECORDS_PER_REQUEST:
            raise errors.invalid_records(f'"records" must be an array of up to {MAX_RECORDS_PER_REQUEST} record IDs.')
        for record_id in record_ids:
            if record_id not in self.table.records:
                raise errors.record_not_found(record_id)
        for record_id in dict.fromkeys(record_ids):
            self._remove(record_id)
        return {"records": [{"id": record_id, "deleted": True} for record_id in record_ids]}

    def delete_one(self, record_id: str) -> dict[str, Any]:
        """``DELETE /v0/{base}/{table}/{recordId}``."""
        if record_id not in self.table.records:
            raise errors.record_not_found(record_id)
        self._remove(record_id)
        return {"id": record_id, "deleted": True}

    def _remove(self, record_id: str) -> None:
        del self.table.records[record_id]
        for table in self.base.tables:
            for field in table.fields:
                options = field.options or {}
                if field.type != "multipleRecordLinks" or options["linkedTableId"] != self.table.id:
                    continue
                for record in table.records.values():
                    linked = record.cells.get(field.id)
                    if linked and record_id in linked:
                        remaining = [each for each in linked if each != record_id]
                        if remaining:
                            record.cells[field.id] = remaining
                        else:
                            del record.cells[field.id]
                        record.modified[field.id] = self.now
