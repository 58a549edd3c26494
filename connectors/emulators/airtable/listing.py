"""Reading records: list (GET, or POST ``listRecords``) and get one.

Listing follows Airtable's contract: at most ``pageSize`` (≤ 100, default 100) records a
page; more pages are announced by an opaque ``offset`` and the last page has none;
``maxRecords`` caps the whole listing; ``filterByFormula``, ``sort``, ``fields`` and
``view`` shape it. An offset names a server-side iterator over the records that matched
when listing began; it expires after a stretch of inactivity, after which the API answers
422 ``LIST_RECORDS_ITERATOR_NOT_AVAILABLE`` and the client must start over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import errors, formula
from .model import Base, Table, new_id
from .render import FormulaEnv, Shape, record_body, sort_key

MAX_PAGE_SIZE = 100

#: Query parameters the list endpoint takes (GET form), besides sort[n][field|direction].
_LIST_PARAMS = frozenset(
    {
        "pageSize",
        "offset",
        "fields[]",
        "filterByFormula",
        "maxRecords",
        "cellFormat",
        "timeZone",
        "userLocale",
        "view",
        "returnFieldsByFieldId",
        "recordMetadata[]",
    }
)
#: Members of the POST listRecords body (timeZone and userLocale stay in the query).
_LIST_BODY = frozenset(
    {
        "pageSize",
        "offset",
        "fields",
        "filterByFormula",
        "maxRecords",
        "cellFormat",
        "view",
        "returnFieldsByFieldId",
        "sort",
        "recordMetadata",
    }
)
_GET_RECORD_PARAMS = frozenset({"cellFormat", "timeZone", "userLocale", "returnFieldsByFieldId"})


@dataclass
class ListQuery:
    """The listing options, whichever form (query string or JSON body) they came in."""

    page_size: int = MAX_PAGE_SIZE
    offset: str | None = None
    fields: list[str] | None = None
    formula: str | None = None
    sort: list[tuple[str, str]] = field(default_factory=list)
    max_records: int | None = None
    cell_format: str = "json"
    time_zone: str | None = None
    user_locale: str | None = None
    view: str | None = None
    by_field_id: bool = False
    comment_count: bool = False


def _single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise errors.invalid_request()
    return values[0]


def _positive_int(value: object, *, highest: int | None = None) -> int:
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise errors.invalid_request() from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise errors.invalid_request()
    if highest is not None and value > highest:
        raise errors.invalid_request()
    return value


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise errors.invalid_request()


def _direction(value: object) -> str:
    if value is None:
        return "asc"
    if value not in ("asc", "desc"):
        raise errors.invalid_request()
    return str(value)


def _apply_common(query: ListQuery, get: dict[str, Any]) -> None:
    """Options spelled the same in both forms."""
    if get.get("pageSize") is not None:
        query.page_size = _positive_int(get["pageSize"], highest=MAX_PAGE_SIZE)
    if get.get("maxRecords") is not None:
        query.max_records = _positive_int(get["maxRecords"])
    if get.get("offset") is not None:
        if not isinstance(get["offset"], str):
            raise errors.iterator_not_available()
        query.offset = get["offset"]
    if get.get("filterByFormula") is not None:
        if not isinstance(get["filterByFormula"], str):
            raise errors.invalid_request()
        query.formula = get["filterByFormula"] or None
    if get.get("cellFormat") is not None:
        if get["cellFormat"] not in ("json", "string"):
            raise errors.invalid_request()
        query.cell_format = get["cellFormat"]
    if get.get("view") is not None:
        if not isinstance(get["view"], str):
            raise errors.invalid_request()
        query.view = get["view"]
    if get.get("returnFieldsByFieldId") is not None:
        query.by_field_id = _flag(get["returnFieldsByFieldId"])


def _metadata(values: object) -> bool:
    if not isinstance(values, list) or any(value != "commentCount" for value in values):
        raise errors.invalid_request()
    return bool(values)


def query_from_params(params: dict[str, list[str]]) -> ListQuery:
    """Options of ``GET /v0/{base}/{table}``."""
    sorts: dict[int, dict[str, str]] = {}
    for name in params:
        if name.startswith("sort[") and name.endswith("]"):
            index_text, _, rest = name[len("sort[") :].partition("]")
            if not index_text.isdigit() or rest not in ("[field]", "[direction]"):
                raise errors.invalid_request()
            sorts.setdefault(int(index_text), {})[rest[1:-1]] = _single(params, name) or ""
        elif name not in _LIST_PARAMS:
            raise errors.invalid_request(f"Unknown parameter: {name}")
    query = ListQuery()
    singles = _LIST_PARAMS - {"fields[]", "recordMetadata[]"}
    _apply_common(query, {name: _single(params, name) for name in singles})
    if "fields[]" in params:
        query.fields = list(params["fields[]"])
    query.time_zone = _single(params, "timeZone")
    query.user_locale = _single(params, "userLocale")
    for index in sorted(sorts):
        spec = sorts[index]
        if not spec.get("field"):
            raise errors.invalid_request()
        query.sort.append((spec["field"], _direction(spec.get("direction"))))
    if "recordMetadata[]" in params:
        query.comment_count = _metadata(params["recordMetadata[]"])
    return query


def query_from_body(body: dict[str, Any], params: dict[str, list[str]]) -> ListQuery:
    """Options of ``POST /v0/{base}/{table}/listRecords`` (time zone and locale in the query)."""
    for name in body:
        if name not in _LIST_BODY:
            raise errors.invalid_request(f"Unknown parameter: {name}")
    for name in params:
        if name not in ("timeZone", "userLocale"):
            raise errors.invalid_request(f"Unknown parameter: {name}")
    query = ListQuery()
    _apply_common(query, body)
    if body.get("fields") is not None:
        if not isinstance(body["fields"], list) or not all(isinstance(name, str) for name in body["fields"]):
            raise errors.invalid_request()
        query.fields = list(body["fields"])
    if body.get("sort") is not None:
        if not isinstance(body["sort"], list):
            raise errors.invalid_request()
        for spec in body["sort"]:
            if not isinstance(spec, dict) or not isinstance(spec.get("field"), str):
                raise errors.invalid_request()
            query.sort.append((spec["field"], _direction(spec.get("direction"))))
    if body.get("recordMetadata") is not None:
        query.comment_count = _metadata(body["recordMetadata"])
    query.time_zone = _single(params, "timeZone")
    query.user_locale = _single(params, "userLocale")
    return query


@dataclass
class _Iterator:
    table_id: str
    record_ids: list[str]
    last_used: float


class Iterators:
    """Open listings, by offset token; each expires ``ttl`` seconds after its last use."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._by_offset: dict[str, tuple[_Iterator, int]] = {}

    def _prune(self, now: float) -> None:
        expired = [offset for offset, (iterator, _) in self._by_offset.items() if now - iterator.last_used > self.ttl]
        for offset in expired:
            del self._by_offset[offset]

    def offset_for(self, iterator: _Iterator, position: int, now: float) -> str:
        """A new opaque offset (``itr…/rec…``, Airtable's shape) resuming at ``position``."""
        self._prune(now)
        iterator.last_used = now
        offset = f"{new_id('itr')}/{iterator.record_ids[position]}"
        self._by_offset[offset] = (iterator, position)
        return offset

    def start(self, table_id: str, record_ids: list[str], now: float) -> _Iterator:
        return _Iterator(table_id, record_ids, now)

    def resume(self, offset: str, table_id: str, now: float) -> tuple[_Iterator, int]:
        """The iterator and position an offset names, or the API's not-available error."""
        self._prune(now)
        found = self._by_offset.get(offset)
        if found is None or found[0].table_id != table_id:
            raise errors.iterator_not_available()
        found[0].last_used = now
        return found


def _shape(table: Table, query: ListQuery) -> Shape:
    field_ids = None
    if query.fields is not None:
        field_ids = frozenset(table.get_field(name).id for name in query.fields)
    if query.cell_format == "string" and (not query.time_zone or not query.user_locale):
        raise errors.invalid_request("The cellFormat string requires timeZone and userLocale")
    return Shape(
        field_ids=field_ids,
        by_field_id=query.by_field_id,
        cell_format=query.cell_format,
        time_zone=query.time_zone,
        comment_count=query.comment_count,
    )


def _matching_ids(base: Base, table: Table, query: ListQuery) -> list[str]:
    """The ids the listing covers, in view order, filtered, sorted and capped."""
    if query.view is not None and table.find_view(query.view) is None:
        raise errors.ApiError(422, "VIEW_NAME_NOT_FOUND", f"View {query.view} not found")
    sort_fields = [(table.get_field(name), direction) for name, direction in query.sort]
    records = list(table.records.values())
    if query.formula is not None:

        def resolve(name: str) -> str | None:
            found = table.find_field(name)
            return found.id if found else None

        test = formula.parse(query.formula, resolve)
        records = [record for record in records if test.matches(FormulaEnv(base, table, record))]
    for sort_field, direction in reversed(sort_fields):
        records.sort(
            key=lambda record, f=sort_field: sort_key(base, table, f, record),
            reverse=direction == "desc",
        )
    if query.max_records is not None:
        records = records[: query.max_records]
    return [record.id for record in records]


def list_records(base: Base, table: Table, query: ListQuery, iterators: Iterators, now: float) -> dict[str, Any]:
    """One page of records, with an ``offset`` when more pages follow."""
    shape = _shape(table, query)
    if query.offset is not None:
        iterator, position = iterators.resume(query.offset, table.id, now)
    else:
        iterator, position = iterators.start(table.id, _matching_ids(base, table, query), now), 0
    ids = iterator.record_ids
    page: list[dict[str, Any]] = []
    while position < len(ids) and len(page) < query.page_size:
        record = table.records.get(ids[position])
        if record is not None:
            page.append(record_body(base, table, record, shape))
        position += 1
    while position < len(ids) and ids[position] not in table.records:
        position += 1
    body: dict[str, Any] = {"records": page}
    if position < len(ids):
        body["offset"] = iterators.offset_for(iterator, position, now)
    return body


def get_record(base: Base, table: Table, record_id: str, params: dict[str, list[str]]) -> dict[str, Any]:
    """One record by id; only the cell-format options apply (``fields[]`` is refused)."""
    for name in params:
        if name not in _GET_RECORD_PARAMS:
            raise errors.invalid_request()
    query = ListQuery()
    _apply_common(query, {name: _single(params, name) for name in _GET_RECORD_PARAMS})
    query.time_zone = _single(params, "timeZone")
    query.user_locale = _single(params, "userLocale")
    record = table.records.get(record_id)
    if record is None:
        raise errors.record_not_found(record_id)
    return record_body(base, table, record, _shape(table, query))
