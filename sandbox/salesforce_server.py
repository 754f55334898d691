"""A local Salesforce REST API (OAuth refresh-token grant, SOQL query/queryAll) for one World.

Wire format per ``reference/source_apis.md`` §2: ``POST /services/oauth2/token`` answers an
``access_token`` and the ``instance_url`` (this server); ``GET /services/data/vNN.N/query``
(live rows) and ``/queryAll`` (deleted rows too) take ``q=<SOQL>`` and answer ``totalSize``,
``done``, ``records`` and, while not done, a ``nextRecordsUrl`` to follow verbatim. Records
carry ``attributes`` and native JSON numbers and booleans. Errors are JSON arrays of
``{"message", "errorCode"}``.

SOQL understood: ``SELECT f1, Rel.f2 FROM Object [WHERE f op literal [AND ...]] [ORDER BY f
[ASC|DESC]] [LIMIT n]``, with ``= != < <= > >=`` and unquoted date / datetime literals.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from sandbox.clock import parse_ms
from sandbox.faults import Fault, Faults
from sandbox.http import Request, Response, StandInServer, json_response
from sandbox.salesforce_data import FIELDS, RELATIONSHIPS, SObject
from sandbox.world import World

TOKEN_PATH = "/services/oauth2/token"
QUERY = re.compile(r"/services/data/(v\d+\.\d)/(query|queryAll)")
NEXT_PAGE = re.compile(r"/services/data/(v\d+\.\d)/(query|queryAll)/(01g[0-9A-Za-z]+)-(\d+)")
BATCH_SIZE = 2000
OPEN_CURSORS = 50  # oldest query locators expire past this, as real ones do
DAILY_LIMIT = 15_000
ORG_ID = "00D5g000004SbXqEAK"

SOQL = re.compile(
    r"^\s*select\s+(?P<fields>.+?)\s+from\s+(?P<object>\w+)"
    r"(?:\s+where\s+(?P<where>.+?))?"
    r"(?:\s+order\s+by\s+(?P<order>[\w.]+)(?:\s+(?P<direction>asc|desc))?)?"
    r"(?:\s+limit\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
CONDITION = re.compile(r"^\s*([\w.]+)\s*(=|!=|<=|>=|<|>)\s*(.+?)\s*$", re.DOTALL)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$")
SF_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
OPERATORS = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a is not None and b is not None and a < b,
    "<=": lambda a, b: a is not None and b is not None and a <= b,
    ">": lambda a, b: a is not None and b is not None and a > b,
    ">=": lambda a, b: a is not None and b is not None and a >= b,
}


@dataclass(frozen=True)
class SalesforceCredentials:
    client_id: str = "3MVG9sandbox.connected.app.consumer.key"
    client_secret: str = "SANDBOX0CONSUMER0SECRET0000000001"
    refresh_token: str = "5Aep861sandbox.refresh.token.0001"


class SoqlError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Query:
    sobject: str
    fields: tuple[str, ...]
    conditions: tuple[tuple[str, str, Any], ...]
    order: str | None
    descending: bool
    limit: int | None


@dataclass
class Cursor:
    version: str
    resource: str
    query: Query
    records: list[SObject]


class SalesforceServer(StandInServer):
    def __init__(
        self,
        world: World,
        *,
        credentials: SalesforceCredentials | None = None,
        faults: Faults | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        super().__init__(faults)
        self.data = world.salesforce
        self.credentials = credentials or SalesforceCredentials()
        self.batch_size = batch_size
        self._tokens: set[str] = set()
        self._cursors: OrderedDict[str, Cursor] = OrderedDict()
        self._state = threading.Lock()
        self._issued = itertools.count(1)
        self._locators = itertools.count(1)
        self._api_calls = itertools.count(1)

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    def takes_faults(self, request: Request) -> bool:
        return request.path != TOKEN_PATH  # faults model the REST API, not the OAuth server

    def route(self, request: Request) -> Response:
        if request.path == TOKEN_PATH and request.method == "POST":
            return self._token(request)
        try:
            if request.method != "GET":
                raise SoqlError(
                    405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed"
                )
            self._authorize(request)
            if match := QUERY.fullmatch(request.path):
                version, resource = match.groups()
                query = parse(request.param("q") or "")
                records = self._run(query, include_deleted=resource == "queryAll")
                cursor = Cursor(version, resource, query, records)
                return self._page(cursor, self._new_locator(cursor), 0)
            if match := NEXT_PAGE.fullmatch(request.path):
                version, resource, locator, offset = match.groups()
                with self._state:
                    cursor = self._cursors.get(locator)
                if cursor is None or cursor.resource != resource or int(offset) % self.batch_size:
                    raise SoqlError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
                return self._page(cursor, locator, int(offset))
            raise SoqlError(404, "NOT_FOUND", "The requested resource does not exist")
        except SoqlError as error:
            return _error(error.status, error.code, error.message)

    # POST /services/oauth2/token: the refresh-token grant.
    def _token(self, request: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode(errors="replace")).items()}
        if form.get("grant_type") != "refresh_token":
            body = {
                "error": "unsupported_grant_type",
                "error_description": "grant type not supported",
            }
            return json_response(400, body)
        expected = self.credentials
        if form.get("client_id") != expected.client_id:
            body = {"error": "invalid_client_id", "error_description": "client identifier invalid"}
            return json_response(400, body)
        if (form.get("client_secret"), form.get("refresh_token")) != (
            expected.client_secret,
            expected.refresh_token,
        ):
            body = {"error": "invalid_grant", "error_description": "expired access/refresh token"}
            return json_response(400, body)
        issued = next(self._issued)
        token = f"{ORG_ID[:15]}!AQ8AQsandbox.access.token.{issued:06d}"
        with self._state:
            self._tokens.add(token)
        return json_response(
            200,
            {
                "access_token": token,
                "signature": "c2FuZGJveC1zaWduYXR1cmU=",
                "scope": "refresh_token api",
                "instance_url": self.url,
                "id": f"{self.url}/id/{ORG_ID}/0055g000000SaNdAAA",
                "token_type": "Bearer",
                "issued_at": "1767225600000",
            },
        )

    def _authorize(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        with self._state:
            valid = token in self._tokens
        if not valid:
            raise SoqlError(401, "INVALID_SESSION_ID", "Session expired or invalid")

    def _run(self, query: Query, *, include_deleted: bool) -> list[SObject]:
        records = [
            record
            for record in self.data.of(query.sobject)
            if (include_deleted or not record.is_deleted)
            and all(_matches(record, condition) for condition in query.conditions)
        ]
        if query.order:
            key = query.order
            records.sort(key=lambda r: (_value(r, key) is not None, _comparable(_value(r, key))))
            if query.descending:
                records.reverse()
        return records[: query.limit] if query.limit is not None else records

    def _new_locator(self, cursor: Cursor) -> str:
        locator = f"01g5g00000{next(self._locators):06d}AAA"
        with self._state:
            self._cursors[locator] = cursor
            while len(self._cursors) > OPEN_CURSORS:
                self._cursors.popitem(last=False)
        return locator

    def _page(self, cursor: Cursor, locator: str, offset: int) -> Response:
        batch = cursor.records[offset : offset + self.batch_size]
        body: dict[str, Any] = {"totalSize": len(cursor.records), "done": True}
        following = offset + self.batch_size
        if following < len(cursor.records):
            body["done"] = False
            base = f"/services/data/{cursor.version}/{cursor.resource}"
            body["nextRecordsUrl"] = f"{base}/{locator}-{following}"
        body["records"] = [_wire(cursor.version, r, cursor.query.fields) for r in batch]
        return json_response(200, body, self._limit_info())

    def _limit_info(self) -> dict[str, str]:
        return {"Sforce-Limit-Info": f"api-usage={next(self._api_calls)}/{DAILY_LIMIT}"}

    def fault_response(self, fault: Fault, nth: int, request: Request) -> Response:
        if fault is Fault.RATE_LIMIT:  # Salesforce's short-term limit is on concurrency
            message = "ConcurrentRequests (Concurrent API Requests) Limit exceeded."
            return _error(403, "REQUEST_LIMIT_EXCEEDED", message)
        if fault is Fault.DAILY_QUOTA:
            return _error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        if fault is Fault.SERVER_ERROR:
            if nth % 2:
                return _error(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable")
            message = (
                "An unexpected error occurred. Please include this ErrorId if you contact "
                "support: 1964203728-94215 (-1425716389)"
            )
            return _error(500, "UNKNOWN_EXCEPTION", message)
        # EXPIRED_TOKEN: the presented session stops working; the client must refresh
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with self._state:
            self._tokens.discard(token)
        return _error(401, "INVALID_SESSION_ID", "Session expired or invalid")


def parse(soql: str) -> Query:
    """The supported SOQL subset; a :class:`SoqlError` as Salesforce would answer otherwise."""
    match = SOQL.match(soql)
    if not match:
        raise SoqlError(400, "MALFORMED_QUERY", f"unexpected token in query: {soql[:80]!r}")
    sobject = next((name for name in FIELDS if name.lower() == match["object"].lower()), None)
    if sobject is None:
        message = f"sObject type '{match['object']}' is not supported."
        raise SoqlError(400, "INVALID_TYPE", message)
    fields = tuple(_field(sobject, name.strip()) for name in match["fields"].split(","))
    conditions = []
    if match["where"]:
        if re.search(r"\s(or|not)\s|\(", match["where"], re.IGNORECASE):
            raise SoqlError(400, "MALFORMED_QUERY", "sandbox SOQL supports only AND filters")
        for part in re.split(r"\s+and\s+", match["where"], flags=re.IGNORECASE):
            condition = CONDITION.match(part)
            if not condition:
                raise SoqlError(400, "MALFORMED_QUERY", f"unexpected token: {part.strip()!r}")
            name, operator, literal = condition.groups()
            name = _field(sobject, name)
            conditions.append((name, operator, _literal(name, literal)))
    order = _field(sobject, match["order"]) if match["order"] else None
    descending = (match["direction"] or "").lower() == "desc"
    limit = int(match["limit"]) if match["limit"] else None
    return Query(sobject, fields, tuple(conditions), order, descending, limit)


def _field(sobject: str, name: str) -> str:
    known = {field.lower(): field for field in FIELDS[sobject]}
    field = known.get(name.lower())
    if field is None:
        message = (
            f"No such column '{name}' on entity '{sobject}'. If you are attempting to use a "
            "custom field, be sure to append the '__c' after the custom field name."
        )
        raise SoqlError(400, "INVALID_FIELD", message)
    return field


def _literal(name: str, text: str) -> Any:
    if text.startswith("'") and text.endswith("'") and len(text) >= 2:
        value = text[1:-1]
        if DATE.match(value) or DATETIME.match(value):  # date literals are never quoted
            message = (
                f"value of filter criterion for field '{name}' must be of type date "
                "and should not be enclosed in quotes"
            )
            raise SoqlError(400, "INVALID_FIELD", message)
        return value
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if DATETIME.match(text):
        return parse_ms(text)
    if DATE.match(text):
        return text
    try:
        return Decimal(text)
    except ArithmeticError:
        raise SoqlError(400, "MALFORMED_QUERY", f"unexpected token: '{text}'") from None


def _value(record: SObject, name: str) -> Any:
    head, _, tail = name.partition(".")
    value = record.fields.get(head)
    return value.get(tail) if tail and isinstance(value, dict) else value


def _comparable(value: Any) -> Any:
    """Datetimes compare as epoch ms, numbers as Decimal, everything else as itself."""
    if isinstance(value, str) and SF_DATETIME.match(value):
        return parse_ms(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _matches(record: SObject, condition: tuple[str, str, Any]) -> bool:
    name, operator, literal = condition
    value = _comparable(_value(record, name))
    if type(literal) is int and isinstance(value, str):  # a datetime literal on a date
        value = parse_ms(value)
    try:
        return OPERATORS[operator](value, literal)
    except TypeError:
        return False


def _wire(version: str, record: SObject, fields: tuple[str, ...]) -> dict[str, Any]:
    """One record as the API writes it: ``attributes`` first, then the selected fields."""
    row: dict[str, Any] = {"attributes": _attributes(version, record.sobject, record.record_id)}
    for name in fields:
        head, _, tail = name.partition(".")
        value = record.fields.get(head)
        if tail:
            related = row.get(head)
            if value is None:
                row[head] = None
                continue
            if related is None:
                related_type = RELATIONSHIPS[(record.sobject, head)]
                related = row[head] = {
                    "attributes": _attributes(version, related_type, value["Id"])
                }
            related[tail] = value.get(tail)
        else:
            row[head] = float(value) if isinstance(value, Decimal) else value
    return row


def _attributes(version: str, sobject: str, record_id: str) -> dict[str, str]:
    return {"type": sobject, "url": f"/services/data/{version}/sobjects/{sobject}/{record_id}"}


def _error(status: int, code: str, message: str) -> Response:
    return json_response(status, [{"message": message, "errorCode": code}])
