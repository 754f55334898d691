"""A local Salesforce org's REST API (OAuth, versions, describe, limits, SOQL) for one World.

Modelled on Salesforce's documentation, not on Thinline's connector:

* ``POST /services/oauth2/token``: the refresh-token grant and the client-credentials grant
  (``grant_type=client_credentials``, an External Client App's key and secret, run as its
  integration user; no refresh token), answering an ``access_token`` and the ``instance_url``
  (this server). Errors are ``{"error", "error_description"}``: ``invalid_client_id``,
  ``invalid_client``, ``invalid_grant`` "expired access/refresh token", ``unsupported_grant_type``.
  https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_client_credentials_flow.htm
* ``GET /services/data/`` (no session needed) lists the versions this org serves as
  ``[{"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"}, …]``
  (https://developer.salesforce.com/docs/platform/api-rest/guide/dome-versions.md). A retired
  version answers 410 ``GONE`` ("If you request any resource … from a retired API version, REST
  API returns the 410:GONE error code", API End-of-Life Policy,
  https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/api_rest_eol.htm; the
  ``GONE`` code as reported in restforce/restforce#941, its message text is not documented); a
  version this org does not have yet answers 404 ``NOT_FOUND`` "The requested resource does not
  exist" (tprouvot/Salesforce-Inspector-reloaded#744). Which versions are live is evaluated at
  ``api_today`` (default: today's real UTC date) from :data:`RETIREMENTS` and :func:`released`,
  Salesforce's own lifecycle kept here (21.0-30.0 retired in Summer '25; 31.0-40.0 retire in
  Summer '28, help article 005321531).
* ``GET /services/data/vNN.N/sobjects/{Object}/describe``: the object's metadata with
  ``fields[]`` (``name``, ``type``, ``custom``, ``calculated``, ``compoundFieldName``,
  ``referenceTo``, ``relationshipName``, ``picklistValues``, …) as the REST API's sObject Describe
  writes it. Field-level security hides a field from describe and from SOQL alike
  (``hidden_fields``); ``CurrencyIsoCode`` exists only when the org has enabled multiple
  currencies, an opt-in that cannot be undone (``single_currency``: the org's one currency;
  Metadata API CurrencySettings ``enableMultiCurrency``, "after set to true, this field can't be
  set to false", https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/
  meta_currencysettings.htm; CurrencyType "is not available in single-currency organizations").
  ``Account.BillingAddress`` is a compound address field whose component is ``BillingCountry``.
* ``CurrencyType`` and ``DatedConversionRate``: the org's own exchange rates
  (:mod:`sandbox.salesforce_data` cites what Salesforce documents of them). Neither exists in a
  single-currency org, and DatedConversionRate not without advanced currency management
  (``advanced_currency_management=False``): the object reference calls them "not available"
  there, so, as for any object the org lacks, a query answers 400 ``INVALID_TYPE``
  "sObject type 'CurrencyType' is not supported." (the text Apex reports in
  SalesforceFoundation/NPSP#3298; [inferred]: the REST errorCode) and describe 404
  ``NOT_FOUND``. An object the integration user's profile and permission sets do not grant
  (``hidden_objects``) looks the same to that user: Describe Global lists the objects
  "available in the org and to the logged-in user" (below). [inferred]: that a denied object
  answers exactly like a missing one.
* ``OpportunityFieldHistory``: one row per tracked field change (the Owner changes here),
  never edited, with no SystemModstamp or LastModifiedDate; ``OldValue`` and ``NewValue`` are
  ``anyType``, sortable but not filterable (the object reference lists their properties as
  "Nillable, Sort"; https://developer.salesforce.com/docs/atlas.en-us.264.0.object_reference.meta/
  object_reference/sforce_api_objects_opportunityfieldhistory.htm), so a WHERE on one answers
  400 ``INVALID_FIELD`` "field 'NewValue' can not be filtered in query call" ([inferred]: the
  text is not in the searched documentation). Supported calls include getUpdated() and
  getDeleted(): replicateable.
* ``GET /services/data/vNN.N/sobjects/`` (Describe Global): ``{"encoding", "maxBatchSize",
  "sobjects": [{"name", "label", "keyPrefix", "queryable", …}]}``, the objects "available in
  the org and to the logged-in user"
  (https://developer.salesforce.com/docs/atlas.ja-jp.218.0.api_rest.meta/api_rest/dome_describeGlobal.htm).
* ``SELECT … FROM Organization``: one row; ``DefaultCurrencyIsoCode`` only in a single-currency
  org (``getUserInfo``'s ``orgDefaultCurrencyIsoCode``: "Applicable only when
  organizationMultiCurrency is false").
* ``GET /services/data/vNN.N/limits``: ``{"DailyApiRequests": {"Max", "Remaining"}, …}``; every
  REST response carries ``Sforce-Limit-Info: api-usage=N/15000``.
* ``GET /services/data/vNN.N/query`` (live rows) and ``/queryAll`` (deleted rows too) take
  ``q=<SOQL>`` and answer ``totalSize``, ``done``, ``records`` and, while not done, a
  ``nextRecordsUrl`` to follow verbatim. Records carry ``attributes`` and native JSON numbers and
  booleans. A request URI over 16,384 bytes answers 414 (help article 000386264). An unknown or
  hidden column answers 400 ``INVALID_FIELD`` with Salesforce's text ("No such column 'X' on
  entity 'Y'. If you are attempting to use a custom field, …").

Errors are JSON arrays of ``{"message", "errorCode"}``. SOQL understood: ``SELECT f1, Rel.f2 FROM
Object [WHERE f op literal [AND ...]] [ORDER BY f [ASC|DESC]] [LIMIT n]``, with ``= != < <= > >=``
and unquoted date / datetime literals.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, quote_plus

from sandbox.clock import parse_ms, utc_today
from sandbox.faults import Fault, Faults
from sandbox.http import Request, Response, StandInServer, json_response
from sandbox.salesforce_data import (
    CUSTOM_FIELDS,
    FIELD_TYPES,
    KEY_PREFIXES,
    RATE_TABLES,
    REFERENCES,
    RELATIONSHIPS,
    SObject,
)
from sandbox.salesforce_data import FIELDS as WORLD_FIELDS
from sandbox.world import World

TOKEN_PATH = "/services/oauth2/token"
VERSIONS_PATH = re.compile(r"/services/data/?")
VERSIONED = re.compile(r"/services/data/v(\d+)\.(\d+)(/.*)?")
QUERY = re.compile(r"/services/data/(v\d+\.\d)/(query|queryAll)/?")
NEXT_PAGE = re.compile(r"/services/data/(v\d+\.\d)/(query|queryAll)/(01g[0-9A-Za-z]+)-(\d+)")
DESCRIBE = re.compile(r"/services/data/v\d+\.\d/sobjects/(\w+)/describe/?")
GLOBAL_DESCRIBE = re.compile(r"/services/data/(v\d+\.\d)/sobjects/?")
LIMITS = re.compile(r"/services/data/v\d+\.\d/limits/?")
BATCH_SIZE = 2000
OPEN_CURSORS = 50  # oldest query locators expire past this, as real ones do
DAILY_LIMIT = 15_000
URI_LIMIT = 16_384  # bytes of URI (and headers) per REST call
ORG_ID = "00D5g000004SbXqEAK"
ORG_CREATED = "2019-03-04T17:21:09.000+0000"

# Salesforce's release calendar: version N.0 ships in a season (Summer '14 = 31.0, then Winter,
# Spring, Summer each year), its production rollout ending on the release's last weekend.
LAST_WEEKENDS = {
    62: date(2024, 10, 12),
    63: date(2025, 2, 15),
    64: date(2025, 6, 14),
    65: date(2025, 10, 11),
    66: date(2026, 2, 21),
    67: date(2026, 6, 13),
    68: date(2026, 10, 10),
}
# (highest retired version, from when): 7.0-20.0 in Summer '22, 21.0-30.0 in Summer '25,
# 31.0-40.0 in Summer '28 (help articles 000351312, 000389618, 005321531).
RETIREMENTS = ((20, date(2022, 6, 11)), (30, date(2025, 6, 14)), (40, date(2028, 6, 10)))
SEASONS = (("Summer", 6), ("Winter", 10), ("Spring", 2))

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
NO_SUCH_COLUMN = (
    "No such column '{name}' on entity '{sobject}'. If you are attempting to use a custom field, "
    "be sure to append the '__c' after the custom field name. Please reference your WSDL or the "
    "describe call for the appropriate names."
)
SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "anyType": "xsd:anyType",
    "address": "urn:address",
}
ORGANIZATION_TYPES = {
    "FiscalYearStartMonth": "int",
    "IsSandbox": "boolean",
    "OrganizationType": "picklist",
    "DefaultCurrencyIsoCode": "picklist",
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


def released(major: int) -> date:
    """When version ``major``.0 was (or will be) on every production org."""
    if major in LAST_WEEKENDS:
        return LAST_WEEKENDS[major]
    season, month = SEASONS[(major - 31) % 3]
    year = 2014 + (major - 31 + 2) // 3 - (1 if season == "Winter" else 0)
    first = date(year, month, 1)
    return first + timedelta(days=(5 - first.weekday()) % 7 + 7)  # the second Saturday


def label(major: int) -> str:
    season, _ = SEASONS[(major - 31) % 3]
    return f"{season} '{(14 + (major - 31 + 2) // 3) % 100:02d}"


def retired_on(major: int) -> date | None:
    return next((day for highest, day in RETIREMENTS if major <= highest), None)


class SalesforceServer(StandInServer):
    def __init__(
        self,
        world: World,
        *,
        credentials: SalesforceCredentials | None = None,
        faults: Faults | None = None,
        batch_size: int = BATCH_SIZE,
        single_currency: str | None = None,
        advanced_currency_management: bool = True,
        hidden_fields: frozenset[tuple[str, str]] = frozenset(),
        hidden_objects: frozenset[str] = frozenset(),
        api_today: date | None = None,
        api_requests_used: int = 0,
    ) -> None:
        """``single_currency`` (e.g. ``"EUR"``) makes a single-currency org: no CurrencyIsoCode
        anywhere, amounts in that currency, no CurrencyType nor DatedConversionRate.
        ``advanced_currency_management=False``: a multi-currency org without dated rates (no
        DatedConversionRate). ``hidden_fields`` are ``(object, field)`` pairs the
        integration user's field-level security hides, ``hidden_objects`` the objects its
        profile does not grant. ``api_today`` fixes the date the API
        lifecycle is evaluated at; ``api_requests_used`` is the org's usage before this server."""
        super().__init__(faults)
        self.data = world.salesforce
        self.credentials = credentials or SalesforceCredentials()
        self.batch_size = batch_size
        self.single_currency = single_currency
        self.api_today = api_today
        self.organization = _organization(single_currency)
        self.schema = {
            sobject: fields
            for sobject, fields in _schema(
                single_currency, hidden_fields, advanced_currency_management
            ).items()
            if sobject not in hidden_objects
        }
        self._tokens: set[str] = set()
        self._cursors: OrderedDict[str, Cursor] = OrderedDict()
        self._state = threading.Lock()
        self._issued = itertools.count(1)
        self._locators = itertools.count(1)
        self._api_calls = itertools.count(api_requests_used + 1)
        self._api_used = api_requests_used

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    def env(self) -> dict[str, str]:
        credentials = self.credentials
        return {
            "THINLINE_SALESFORCE__BASE_URL": self.url,
            "THINLINE_SALESFORCE__TOKEN_URL": self.token_url,
            "THINLINE_SALESFORCE__CLIENT_ID": credentials.client_id,
            "THINLINE_SALESFORCE__CLIENT_SECRET": credentials.client_secret,
            "THINLINE_SALESFORCE__REFRESH_TOKEN": credentials.refresh_token,
        }

    def today(self) -> date:
        return self.api_today or utc_today()

    def live_versions(self) -> list[int]:
        """Major versions this org serves today, oldest first."""
        today = self.today()
        newest = max(major for major in range(31, 99) if released(major) <= today)
        return [m for m in range(21, newest + 1) if (retired_on(m) or date.max) > today]

    def takes_faults(self, request: Request) -> bool:
        # Faults model the REST API, not the OAuth server or the (uncounted) versions list.
        return request.path != TOKEN_PATH and not VERSIONS_PATH.fullmatch(request.path)

    def route(self, request: Request) -> Response:
        if request.path == TOKEN_PATH and request.method == "POST":
            return self._token(request)
        try:
            if request.method != "GET":
                raise SoqlError(
                    405, "METHOD_NOT_ALLOWED", f"HTTP Method '{request.method}' not allowed"
                )
            if VERSIONS_PATH.fullmatch(request.path):
                return self._versions()
            self._check_version(request.path)
            self._authorize(request)
            return self._rest(request)
        except SoqlError as error:
            return _error(error.status, error.code, error.message)

    def _rest(self, request: Request) -> Response:
        if match := QUERY.fullmatch(request.path):
            version, resource = match.groups()
            soql = request.param("q") or ""
            if len(request.path) + len("?q=") + len(quote_plus(soql)) > URI_LIMIT:
                return Response(414, b"URI Too Long", {"Content-Type": "text/plain"})
            query = parse(soql, self.schema)
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
        if match := DESCRIBE.fullmatch(request.path):
            sobject = next((s for s in self.schema if s.lower() == match[1].lower()), None)
            if sobject is None:
                raise SoqlError(404, "NOT_FOUND", "The requested resource does not exist")
            version = request.path.split("/")[3]
            return json_response(200, self._describe(version, sobject), self._limit_info())
        if LIMITS.fullmatch(request.path):
            return json_response(200, self._limits(), self._limit_info())
        if match := GLOBAL_DESCRIBE.fullmatch(request.path):
            return json_response(200, self._describe_global(match[1]), self._limit_info())
        raise SoqlError(404, "NOT_FOUND", "The requested resource does not exist")

    # GET /services/data/ and the version in every REST path.
    def _versions(self) -> Response:
        body = [
            {"label": label(m), "url": f"/services/data/v{m}.0", "version": f"{m}.0"}
            for m in self.live_versions()
        ]
        return json_response(200, body)

    def _check_version(self, path: str) -> None:
        match = VERSIONED.fullmatch(path)
        if not match:
            raise SoqlError(404, "NOT_FOUND", "The requested resource does not exist")
        major, minor = int(match[1]), int(match[2])
        retired = retired_on(major)
        if retired is not None and retired <= self.today():
            raise SoqlError(410, "GONE", f"API version {major}.{minor} has been retired")
        if minor != 0 or major not in self.live_versions():
            raise SoqlError(404, "NOT_FOUND", "The requested resource does not exist")

    # POST /services/oauth2/token: the refresh-token and client-credentials grants.
    def _token(self, request: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode(errors="replace")).items()}
        grant = form.get("grant_type")
        if grant not in ("refresh_token", "client_credentials"):
            body = {
                "error": "unsupported_grant_type",
                "error_description": "grant type not supported",
            }
            return json_response(400, body)
        expected = self.credentials
        if form.get("client_id") != expected.client_id:
            body = {"error": "invalid_client_id", "error_description": "client identifier invalid"}
            return json_response(400, body)
        if form.get("client_secret") != expected.client_secret:
            body = {"error": "invalid_client", "error_description": "invalid client credentials"}
            return json_response(400, body)
        if grant == "refresh_token" and form.get("refresh_token") != expected.refresh_token:
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
                "scope": "refresh_token api" if grant == "refresh_token" else "api",
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

    def _records(self, sobject: str) -> tuple[SObject, ...]:
        return (self.organization,) if sobject == "Organization" else self.data.of(sobject)

    def _run(self, query: Query, *, include_deleted: bool) -> list[SObject]:
        records = [
            record
            for record in self._records(query.sobject)
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
        with self._state:
            self._api_used = next(self._api_calls)
        return {"Sforce-Limit-Info": f"api-usage={self._api_used}/{DAILY_LIMIT}"}

    # GET /services/data/vNN.N/limits (a few of the limits it lists).
    def _limits(self) -> dict[str, Any]:
        used = self._api_used + 1  # this call counts too
        return {
            "DailyApiRequests": {"Max": DAILY_LIMIT, "Remaining": max(DAILY_LIMIT - used, 0)},
            "DailyAsyncApexExecutions": {"Max": 250_000, "Remaining": 250_000},
            "DailyBulkV2QueryJobs": {"Max": 10_000, "Remaining": 10_000},
            "DataStorageMB": {"Max": 5_120, "Remaining": 5_087},
            "FileStorageMB": {"Max": 20_480, "Remaining": 20_471},
        }

    # GET /services/data/vNN.N/sobjects/ (Describe Global; a few of each object's properties).
    def _describe_global(self, version: str) -> dict[str, Any]:
        return {
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [
                {
                    "name": sobject,
                    "label": sobject,
                    "keyPrefix": "00D" if sobject == "Organization" else KEY_PREFIXES[sobject],
                    "custom": False,
                    "queryable": True,
                    "retrieveable": True,
                    "urls": {"sobject": f"/services/data/{version}/sobjects/{sobject}"},
                }
                for sobject in sorted(self.schema)
            ],
        }

    # GET /services/data/vNN.N/sobjects/{Object}/describe
    def _describe(self, version: str, sobject: str) -> dict[str, Any]:
        names = [name for name in self.schema[sobject] if "." not in name]
        prefix = "00D" if sobject == "Organization" else KEY_PREFIXES[sobject]
        return {
            "name": sobject,
            "label": sobject,
            "labelPlural": f"{sobject}s",
            "keyPrefix": prefix,
            "custom": False,
            "queryable": True,
            "retrieveable": True,
            "replicateable": sobject != "Organization",
            "searchable": sobject != "Organization",
            "createable": sobject not in ("Organization", "DatedConversionRate"),
            "updateable": True,
            "deletable": sobject not in ("Organization", "User", "CurrencyType"),
            "fields": [self._field_describe(sobject, name) for name in names],
            "childRelationships": [],
            "recordTypeInfos": [],
            "urls": {
                "sobject": f"/services/data/{version}/sobjects/{sobject}",
                "describe": f"/services/data/{version}/sobjects/{sobject}/describe",
            },
        }

    def _field_describe(self, sobject: str, name: str) -> dict[str, Any]:
        custom = CUSTOM_FIELDS.get(sobject, {}).get(name)
        kind = _field_type(sobject, name)
        values = custom[1] if custom and custom[1] else self._picklist(sobject, name, kind)
        number = kind in ("double", "currency", "percent")
        return {
            "name": name,
            "label": re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name.removesuffix("__c")),
            "type": kind,
            "soapType": SOAP_TYPES.get(kind, "xsd:string"),
            "custom": custom is not None,
            "calculated": False,
            "compoundFieldName": "BillingAddress" if name == "BillingCountry" else None,
            "nillable": name not in ("Id", "CreatedDate", "SystemModstamp", "IsDeleted"),
            "length": 18 if kind in ("id", "reference") else 0 if number else 255,
            "precision": 18 if number else 0,
            "scale": (6 if name == "ConversionRate" else 2) if number else 0,
            "digits": 9 if kind == "int" else 0,
            "filterable": kind not in ("address", "anyType"),
            "sortable": kind != "address",
            "groupable": kind
            not in ("address", "anyType", "datetime", "double", "currency", "percent"),
            "referenceTo": list(REFERENCES.get(name, ())),
            "relationshipName": name.removesuffix("Id") if kind == "reference" else None,
            "picklistValues": [
                {"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v}
                for v in values
            ],
            "createable": custom is not None,
            "updateable": custom is not None,
            "deprecatedAndHidden": False,
            "externalId": False,
            "unique": False,
            "idLookup": name == "Id",
            "nameField": name == "Name",
            "autoNumber": False,
            "defaultValue": None,
        }

    def _picklist(self, sobject: str, name: str, kind: str) -> list[str]:
        if kind != "picklist":
            return []
        return sorted({str(r.fields.get(name)) for r in self._records(sobject)} - {"None"})

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


def _schema(
    single_currency: str | None,
    hidden: frozenset[tuple[str, str]],
    advanced_currency_management: bool = True,
) -> dict[str, tuple[str, ...]]:
    """Queryable fields per object as this org's integration user sees them."""
    absent = set(RATE_TABLES) if single_currency else set()
    if not advanced_currency_management:
        absent.add("DatedConversionRate")
    schema = {s: (*fields,) for s, fields in WORLD_FIELDS.items() if s not in absent}
    schema["Account"] = (*schema["Account"], "BillingAddress")
    schema["Organization"] = tuple(_organization(single_currency).fields)
    return {
        sobject: tuple(
            name
            for name in fields
            if (sobject, name.split(".")[0]) not in hidden
            and not (single_currency and name == "CurrencyIsoCode")
        )
        for sobject, fields in schema.items()
    }


def _organization(single_currency: str | None) -> SObject:
    """The org's one Organization row (``DefaultCurrencyIsoCode`` only in single-currency orgs)."""
    fields: dict[str, Any] = {
        "Id": ORG_ID,
        "Name": "Thinline Demo Co",
        "DefaultLocaleSidKey": "en_US",
        "TimeZoneSidKey": "America/Los_Angeles",
        "LanguageLocaleKey": "en_US",
        "FiscalYearStartMonth": 1,
        "OrganizationType": "Enterprise Edition",
        "IsSandbox": False,
        "InstanceName": "USA794",
        "NamespacePrefix": None,
        "CreatedDate": ORG_CREATED,
        "LastModifiedDate": ORG_CREATED,
        "SystemModstamp": ORG_CREATED,
    }
    if single_currency:
        fields["DefaultCurrencyIsoCode"] = single_currency
    stamp = parse_ms(ORG_CREATED)
    return SObject("Organization", ORG_ID, fields, stamp, stamp, False)


def _field_type(sobject: str, name: str) -> str:
    if custom := CUSTOM_FIELDS.get(sobject, {}).get(name):
        return custom[0]
    if name == "BillingAddress":
        return "address"
    if sobject == "Organization" and name in ORGANIZATION_TYPES:
        return ORGANIZATION_TYPES[name]
    if name in FIELD_TYPES:
        return FIELD_TYPES[name]
    if name in REFERENCES:
        return "reference"
    return "boolean" if re.match(r"(Is|Has)[A-Z]", name) else "string"


def parse(soql: str, schema: dict[str, tuple[str, ...]] | None = None) -> Query:
    """The supported SOQL subset; a :class:`SoqlError` as Salesforce would answer otherwise."""
    schema = schema or WORLD_FIELDS
    match = SOQL.match(soql)
    if not match:
        raise SoqlError(400, "MALFORMED_QUERY", f"unexpected token in query: {soql[:80]!r}")
    sobject = next((name for name in schema if name.lower() == match["object"].lower()), None)
    if sobject is None:
        message = f"sObject type '{match['object']}' is not supported."
        raise SoqlError(400, "INVALID_TYPE", message)
    known = schema[sobject]
    fields = tuple(
        _field(soql, known, sobject, name.strip()) for name in match["fields"].split(",")
    )
    conditions = []
    if match["where"]:
        if re.search(r"\s(or|not)\s|\(", match["where"], re.IGNORECASE):
            raise SoqlError(400, "MALFORMED_QUERY", "sandbox SOQL supports only AND filters")
        for part in re.split(r"\s+and\s+", match["where"], flags=re.IGNORECASE):
            condition = CONDITION.match(part)
            if not condition:
                raise SoqlError(400, "MALFORMED_QUERY", f"unexpected token: {part.strip()!r}")
            name, operator, literal = condition.groups()
            name = _field(soql, known, sobject, name)
            if _field_type(sobject, name) == "anyType":  # OldValue/NewValue: Sort, no Filter
                message = f"field '{name}' can not be filtered in query call"
                raise SoqlError(400, "INVALID_FIELD", message)
            conditions.append((name, operator, _literal(name, literal)))
    order = _field(soql, known, sobject, match["order"]) if match["order"] else None
    descending = (match["direction"] or "").lower() == "desc"
    limit = int(match["limit"]) if match["limit"] else None
    return Query(sobject, fields, tuple(conditions), order, descending, limit)


def _field(soql: str, known: tuple[str, ...], sobject: str, name: str) -> str:
    field = {field.lower(): field for field in known}.get(name.lower())
    if field is None:
        # Salesforce quotes the query around the column, points at it, then explains.
        column = soql.find(name) + 1
        start = max(column - 41, 0)
        excerpt = soql[start : column + len(name) + 40]
        message = NO_SUCH_COLUMN.format(name=name, sobject=sobject)
        where = f"\n{excerpt}\n{' ' * (column - 1 - start)}^\nERROR at Row:1:Column:{column}\n"
        raise SoqlError(400, "INVALID_FIELD", where + message)
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
        if head == "BillingAddress":  # compound: the components as one structure
            row[head] = _address(record)
        elif tail:
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


def _address(record: SObject) -> dict[str, Any] | None:
    country = record.fields.get("BillingCountry")
    if country is None:
        return None
    parts = ("city", "geocodeAccuracy", "latitude", "longitude", "postalCode", "state", "street")
    return dict.fromkeys(parts) | {"country": country}


def _attributes(version: str, sobject: str, record_id: str) -> dict[str, str]:
    return {"type": sobject, "url": f"/services/data/{version}/sobjects/{sobject}/{record_id}"}


def _error(status: int, code: str, message: str) -> Response:
    return json_response(status, [{"message": message, "errorCode": code}])
