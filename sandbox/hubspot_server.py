"""A local HubSpot CRM: objects (list, search, batch read with history), properties, owners,
pipelines, deal-contact associations and account details, at HubSpot's date-versioned paths
and at the legacy ``/crm/v3`` + ``/crm/v4`` ones, from one implementation.

Wire format per ``reference/source_apis.md`` §1: property values are strings or null, list
paging uses an opaque ``after`` and drops ``paging`` on the last page, search pages by a
numeric offset and fails with 400 once ``after`` reaches the 10,000-result cap.

Batch read serves ``propertiesWithHistory`` newest first, but only for the properties the
world tracks (``HISTORY_PROPERTIES``: deals' ``dealstage``, ``amount``, ``closedate``,
``hubspot_owner_id`` and ``hs_manual_forecast_category``). Other requested names are left out
of a result's ``propertiesWithHistory``, where HubSpot would list their values. An entry is
``{"value", "timestamp", "sourceType", "sourceId", "updatedByUserId"}`` (HubSpot's
PropertyHistory schema, also ``sourceLabel``, which the stand-in leaves out:
https://raw.githubusercontent.com/api-evangelist/hubspot/refs/heads/main/json-schema/engagement-calls-api-property-history-schema.json;
``sourceId`` is ``userId:<id>`` for a change made in the app:
https://developers.hubspot.com/changelog/crm-property-change-source-will-show-owner-id-instead-of-owner-email).
[inferred] Every entry is attributed to the deal's current owner, as a UI edit (``CRM_UI``);
a property never set has no entry, and a value set again unchanged is no new entry.

What HubSpot's docs say, and the stand-in does:

* **Versions.** Since 2026-03-30 paths carry a date version after the API name
  (``/crm/objects/2026-09/contacts``, ``/crm/associations/2026-09/deals/contacts/batch/read``,
  ``/crm/owners/2026-09``, ``/crm/pipelines/2026-09/deals``, ``/crm/properties/2026-09/deals``,
  ``/account-info/2026-09/details``); a version is released each March and September and
  unsupported 18 months after
  (https://developers.hubspot.com/docs/developer-tooling/platform/versioning,
  https://developers.hubspot.com/docs/api-reference/legacy/migration-guide). 2026-09 shipped on
  2026-09-08 (https://developers.hubspot.com/changelog/breaking-change-crm-api-write-validation-enforcement-starting-with-the-2026-09-api-version).
  ``/crm/v4`` is unsupported from 2027-03-30 and v1-v3 from September 2027, day not given
  (https://developers.hubspot.com/changelog/legacy-apis-and-legacy-apps-whats-going-unsupported-and-when;
  the stand-in takes 2027-09-01). ``API_VERSIONS`` is the stand-in's own copy of that lifecycle
  (it models HubSpot, not Thinline's ``versions.toml``), evaluated at ``api_today`` (default:
  ``clock.utc_today()``). HubSpot says an unsupported version "may still work" but gets no fixes,
  and answers 404 for APIs it has retired (Lists v1, Pipelines v1 changelogs): the stand-in
  takes the end of support as the retirement, the worst case the docs allow. A version before
  its release, after its end, or unknown is a 404 with HubSpot's unknown-resource body
  ``{"status": "error", "message": "resource not found", "correlationId", "requestId"}``
  (no ``category``; https://github.com/HGData/mk-node-hubspot/issues/150).
* **Service keys.** A service key (or a legacy private-app token) is a Bearer token with
  granular scopes (https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/account-service-keys).
  ``scopes`` restricts the key; a call it does not cover gets HubSpot's 403 ``MISSING_SCOPES``
  with ``errors[].context.requiredGranularScopes`` (one of them is enough)
  (https://github.com/HubSpot/hubspot-api-nodejs/issues/268 for the envelope). Scopes per
  endpoint follow each reference page's "Scope requirements"; account details need none.
* **Properties.** ``GET /crm/properties/{version}/{objectType}`` lists every property, the
  portal's custom ones (no ``hubspotDefined``) included, unpaged
  (https://developers.hubspot.com/docs/api-reference/latest/crm/properties/get-properties).
* **Long URLs.** HubSpot documents no URL limit, but a long ``properties=`` list on a GET is
  refused with 414 past ~8 KB (https://github.com/airweave-ai/airweave/pull/1064; ~16 KB in
  https://github.com/PostHog/posthog/pull/31617): the stand-in refuses past ``url_limit``
  characters with a 414 whose body is not JSON, as a proxy's would be.
* **Search filters.** At most 5 filter groups, 10 filters per group, 25 in all
  (https://developers.hubspot.com/changelog/breaking-change-expanded-filtering-capabilities-and-error-messaging-in-hubspots-search-api).
* **Currencies.** ``GET /settings/currencies/{version}/company-currency`` answers
  ``{"id": <currency code>, "createdAt"}``
  (https://developers.hubspot.com/docs/api-reference/latest/account/settings/multicurrency/get-company-currency);
  ``GET .../exchange-rates`` lists every rate the portal has set, paged by ``limit`` (default
  100) and an opaque ``after``, filterable by ``fromCurrencyCode``, each rate ``{"id",
  "fromCurrencyCode", "toCurrencyCode", "conversionRate" (a JSON number), "effectiveAt",
  "createdAt", "updatedAt", "visibleInUI"}``
  (https://developers.hubspot.com/docs/api-reference/legacy/account/settings/multicurrency/exchange-rates/get-exchange-rates);
  ``GET .../exchange-rates/current`` gives the rate in effect per currency pair, unpaged
  (https://developers.hubspot.com/docs/api-reference/latest/account/settings/multicurrency/exchange-rates/get-current-exchange-rates).
  Legacy paths: ``/settings/v3/currencies/…`` (same pages, legacy tab). Scope:
  ``settings.currencies.read`` (the guide's "Scope requirements",
  https://developers.hubspot.com/docs/api-reference/latest/account/settings/multicurrency/guide.md);
  the stand-in asks it of all three. ``conversionRate`` is "the exchange rate from the
  additional currency to your company currency", greater than 0 with up to 6 decimals
  (https://developers.hubspot.com/docs/api/settings/currencies): company-currency units per
  unit of ``fromCurrencyCode``, so ``amount * conversionRate`` is the amount in the company
  currency. A deal's exchange rate follows the latest rate while the deal is open and is
  frozen at "the exchange rate in effect at the time of closing" once closed (HubSpot's
  knowledge base, quoted at https://help.hubdo.com/docurrencies/will-docurrencies-affect-the-value-of-my-deals;
  the English original, https://knowledge.hubspot.com/settings/add-and-edit-your-account-currencies,
  was not readable here). The portal's rates come from ``hubspot_data.exchange_rates``.
  [inferred]: ``toCurrencyCode`` is the company currency; results are ordered by id; the
  list's ``limit`` caps at 100; rates are rounded half-up to 6 decimals (the docs say only
  "up to 6"); the 2026-09 version serves these paths like the CRM ones (the reference shows
  2026-03); a portal without multi-currency (``multi_currency=False``: no currency added)
  still answers its company currency and lists no rates (``{"results": []}``) rather than
  failing. The stand-in's deals carry no ``amount_in_home_currency`` (nor HubSpot's
  ``hs_exchange_rate``): Thinline does not read them.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from sandbox.clock import iso, parse_ms, utc_today
from sandbox.faults import Fault, Faults
from sandbox.http import Request, Response, StandInServer, json_response
from sandbox.hubspot_data import (
    COMPANY_CURRENCY,
    COMPANY_CURRENCY_CREATED_MS,
    COMPANY_PROPERTIES,
    CONTACT_PROPERTIES,
    CUSTOM_PROPERTIES,
    DEAL_PROPERTIES,
    ENGAGEMENT_PROPERTIES,
    ENGAGEMENT_TYPES,
    UNFILLED_PROPERTIES,
    CrmRecord,
    ExchangeRate,
    Owner,
    Pipeline,
    exchange_rates,
)
from sandbox.world import World

# HubSpot documents no format for a service key, only that it is sent as a Bearer token:
# this one is made up, and Thinline treats it as opaque.
TOKEN = "hsk-na1-5a0d0b5e-7e11-4c4e-9a3b-sandbox00001"
# What a key made for Thinline is given: read access to what it extracts.
SERVICE_KEY_SCOPES = (
    "crm.objects.contacts.read",
    "crm.objects.companies.read",
    "crm.objects.deals.read",
    "crm.objects.owners.read",
    "crm.schemas.contacts.read",
    "crm.schemas.companies.read",
    "crm.schemas.deals.read",
    "settings.currencies.read",
)
PORTAL_ID = 24_681_357
# HubSpot's version lifecycle: (generally available, unsupported from). Sources in the docstring.
API_VERSIONS = {
    "2026-03": (date(2026, 3, 30), date(2027, 9, 30)),
    "2026-09": (date(2026, 9, 8), date(2028, 3, 8)),
    "v3": (date.min, date(2027, 9, 1)),
    "v4": (date.min, date(2027, 3, 30)),
}
OBJECT_TYPES = ("contacts", "companies", "deals")
# Engagements need a contacts scope (emails also take sales-email-read): the "Scope
# requirements" of each activity guide, e.g.
# https://developers.hubspot.com/docs/api-reference/latest/crm/activities/calls/guide.md,
# https://developers.hubspot.com/docs/api-reference/latest/crm/activities/emails/guide.md.
ENGAGEMENT_SCOPES = {
    kind: ("crm.objects.contacts.read",) + (("sales-email-read",) if kind == "emails" else ())
    for kind in ENGAGEMENT_TYPES
}
KINDS = "|".join((*OBJECT_TYPES, *ENGAGEMENT_TYPES))
DEFAULT_PROPERTIES = {
    "contacts": (
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "deals": (
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ),
    **dict.fromkeys(ENGAGEMENT_TYPES, ("hs_createdate", "hs_lastmodifieddate", "hs_object_id")),
}
NUMERIC_PROPERTIES = {
    "hs_object_id",
    "amount",
    "list_amount",
    "numberofemployees",
    "annualrevenue",
    "associatedcompanyid",
    "hubspot_owner_id",
    "hs_analytics_num_visits",
    "hs_deal_stage_probability",
    "hs_call_duration",
}
BOOLEAN_PROPERTIES = {"hs_is_closed", "hs_is_closed_won"}
ENUMERATION_PROPERTIES = {
    "lifecyclestage",
    "dealstage",
    "pipeline",
    "dealtype",
    "industry",
    "hs_analytics_source",
    "hs_latest_source",
    "deal_currency_code",
    "hs_manual_forecast_category",
}
# v3 list ``associations=`` support: (from, to) -> association type name
ASSOCIATION_TYPES = {
    ("contacts", "deals"): "contact_to_deal",
    ("deals", "contacts"): "deal_to_contact",
    ("contacts", "companies"): "contact_to_company",
    ("companies", "contacts"): "company_to_contact",
    **{
        (kind, to): f"{kind[:-1]}_to_{to[:-1].replace('companie', 'company')}"
        for kind in ENGAGEMENT_TYPES
        for to in ("contacts", "companies", "deals")
    },
}
# [inferred] HubSpot-defined association type ids of engagements (HubSpot's association type
# id table, https://developers.hubspot.com/docs/api-reference/latest/crm/associations/associations-v4/guide,
# as remembered, not re-read): call 194/182/206, email 198/186/210, meeting 200/188/212, task
# 204/192/216 to contact/company/deal; 3 is deal to contact. Note 202/190/214: 202 (note to
# contact) is the notes association example of HubSpot's published AssociationInput schema.
ASSOCIATION_TYPE_IDS = {
    ("deals", "contacts"): 3,
    **{
        (kind, to): type_id
        for kind, ids in (
            ("calls", (194, 182, 206)),
            ("emails", (198, 186, 210)),
            ("meetings", (200, 188, 212)),
            ("tasks", (204, 192, 216)),
            ("notes", (202, 190, 214)),
        )
        for to, type_id in zip(("contacts", "companies", "deals"), ids, strict=True)
    },
}
SEARCH_CAP = 10_000
MAX_FILTER_GROUPS, MAX_FILTERS_PER_GROUP, MAX_FILTERS = 5, 10, 25
MAX_BATCH_READ = 100
URL_LIMIT = 8_192
MISSING_SCOPES_MESSAGE = (
    "This app hasn't been granted all required scopes to make this call. Read more about "
    "required scopes here: https://developers.hubspot.com/scopes."
)


@dataclass(frozen=True)
class Route:
    """One endpoint at both its date-versioned path and its legacy one."""

    method: str
    api: str  # the API name, after which a date version goes: "crm/objects"
    legacy: str  # the legacy version, after the API name's first part: "v3"
    rest: str  # the regex of the path after the version
    handler: str  # the HubSpotServer method answering it

    def patterns(self) -> tuple[re.Pattern[str], re.Pattern[str]]:
        head, _, tail = self.api.partition("/")
        dated = rf"/{self.api}/(\d{{4}}-\d{{2}}(?:-beta)?){self.rest}"
        legacy = rf"/{head}/({self.legacy})" + (f"/{tail}" if tail else "") + self.rest
        return re.compile(dated), re.compile(legacy)


ROUTES = (
    Route("GET", "crm/objects", "v3", rf"/({KINDS})", "_list"),
    Route("POST", "crm/objects", "v3", rf"/({KINDS})/search", "_search"),
    Route("POST", "crm/objects", "v3", rf"/({KINDS})/batch/read", "_batch_read"),
    Route("GET", "crm/properties", "v3", rf"/({KINDS})", "_property_list"),
    Route("GET", "crm/owners", "v3", r"/?", "_owners"),
    Route("GET", "crm/pipelines", "v3", r"/deals", "_pipelines"),
    Route("POST", "crm/associations", "v4", r"/(deals)/(contacts)/batch/read", "_associations"),
    Route(
        "POST",
        "crm/associations",
        "v4",
        rf"/({'|'.join(ENGAGEMENT_TYPES)})/(contacts|companies|deals)/batch/read",
        "_associations",
    ),
    Route("GET", "account-info", "v3", r"/details", "_account_details"),
    Route("GET", "settings/currencies", "v3", r"/company-currency", "_company_currency"),
    Route("GET", "settings/currencies", "v3", r"/exchange-rates", "_exchange_rates"),
    Route("GET", "settings/currencies", "v3", r"/exchange-rates/current", "_current_rates"),
)
CURRENCY_SCOPE = "settings.currencies.read"


class HubSpotError(Exception):
    def __init__(self, status: int, category: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.category, self.message, self.extra = status, category, message, extra


class NotServed(Exception):
    """A path HubSpot does not serve (unknown, or a version not served on ``api_today``)."""


class HubSpotServer(StandInServer):
    def __init__(
        self,
        world: World,
        *,
        token: str = TOKEN,
        faults: Faults | None = None,
        search_cap: int = SEARCH_CAP,
        scopes: Iterable[str] | None = None,
        api_today: date | None = None,
        url_limit: int = URL_LIMIT,
        multi_currency: bool = True,
    ) -> None:
        super().__init__(faults)
        self.token, self.search_cap, self.url_limit = token, search_cap, url_limit
        self.scopes = frozenset(SERVICE_KEY_SCOPES if scopes is None else scopes)
        self.api_today = api_today
        self.posted: list[tuple[str, bytes]] = []  # (path, body) of every POST, for tests
        self.routes = [(route, pattern) for route in ROUTES for pattern in route.patterns()]
        data = world.hubspot
        self.as_of_ms = world.config.as_of_ms
        self.records = {"contacts": data.contacts, "companies": data.companies, "deals": data.deals}
        engagements = data.activities.engagements if data.activities else {}
        self.records |= {kind: engagements.get(kind, ()) for kind in ENGAGEMENT_TYPES}
        self.by_id = {kind: {r.object_id: r for r in rs} for kind, rs in self.records.items()}
        # The portal's schema, whether or not any record exists yet (a new portal has them all).
        filled = {
            "contacts": CONTACT_PROPERTIES,
            "companies": COMPANY_PROPERTIES,
            "deals": DEAL_PROPERTIES,
        }
        self.property_names = {
            kind: set(filled[kind]) | set(UNFILLED_PROPERTIES[kind]) for kind in OBJECT_TYPES
        } | {kind: {*ENGAGEMENT_PROPERTIES[kind], "hs_object_id"} for kind in ENGAGEMENT_TYPES}
        self.owners = data.owners
        self.user_ids = {str(o.owner_id): o.user_id for o in data.owners}
        self.pipelines = data.pipelines
        # A portal without multi-currency has its company currency and no rates.
        self.exchange_rates = exchange_rates(world.config) if multi_currency else ()
        self.links: dict[tuple[str, str], dict[int, list[int]]] = {
            pair: {} for pair in ASSOCIATION_TYPES
        }
        for deal_id, contact_id in data.deal_contacts:
            self.links["deals", "contacts"].setdefault(deal_id, []).append(contact_id)
            self.links["contacts", "deals"].setdefault(contact_id, []).append(deal_id)
        for contact in data.contacts:
            if contact.archived_ms is not None:
                continue
            if company := contact.properties["associatedcompanyid"]:
                self.links["contacts", "companies"][contact.object_id] = [int(company)]
                self.links["companies", "contacts"].setdefault(int(company), []).append(
                    contact.object_id
                )
        for kind, engagement_id, to, to_id in data.activities.links if data.activities else ():
            self.links[kind, to].setdefault(engagement_id, []).append(to_id)

    def env(self) -> dict[str, str]:
        return {"THINLINE_HUBSPOT__BASE_URL": self.url, "THINLINE_HUBSPOT__TOKEN": self.token}

    @property
    def today(self) -> date:
        """The day HubSpot's version lifecycle is read at."""
        return self.api_today or utc_today()

    def bodies(self, path: str) -> list[bytes]:
        """The bodies POSTed to ``path`` so far."""
        return [body for seen, body in list(self.posted) if seen == path]

    def properties_json(self, kind: str) -> list[dict[str, Any]]:
        """The property definitions the properties API lists for ``kind``."""
        return [_property_json(kind, name) for name in sorted(self.property_names[kind])]

    # Routing.
    def route(self, request: Request) -> Response:
        if request.method == "POST":
            self.posted.append((request.path, request.body))
        if len(request.path) + 1 + len(urlencode(request.query, doseq=True)) > self.url_limit:
            return Response(414, b"<html><body><h1>414 Request-URI Too Large</h1></body></html>")
        try:
            self._authenticate(request)
            return self._dispatch(request)
        except NotServed:
            body = {
                "status": "error",
                "message": "resource not found",
                "correlationId": str(uuid.uuid4()),
                "requestId": uuid.uuid4().hex,
            }
            return json_response(404, body)
        except HubSpotError as error:
            return self._error(error.status, error.category, error.message, **error.extra)

    def _dispatch(self, request: Request) -> Response:
        for route, pattern in self.routes:
            if match := pattern.fullmatch(request.path):
                version, *groups = match.groups()
                if not self.serves(version):
                    raise NotServed
                if request.method != route.method:
                    raise HubSpotError(
                        405, "METHOD_NOT_ALLOWED", f"Use {route.method} for {request.path}"
                    )
                return getattr(self, route.handler)(request, *groups)
        raise NotServed

    def serves(self, version: str) -> bool:
        """Whether HubSpot serves ``version`` (a date version, ``v3`` or ``v4``) on ``today``."""
        released, unsupported = API_VERSIONS.get(version, (date.max, date.max))
        return released <= self.today < unsupported

    def _require(self, *scopes: str) -> None:
        """HubSpot's 403 unless the key holds one of ``scopes``."""
        if self.scopes.isdisjoint(scopes):
            raise HubSpotError(
                403,
                "MISSING_SCOPES",
                MISSING_SCOPES_MESSAGE,
                errors=[
                    {
                        "message": "One or more of the following scopes are required.",
                        "context": {"requiredGranularScopes": list(scopes)},
                    }
                ],
                links={"scopes": "https://developers.hubspot.com/scopes"},
            )

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        if not header:
            raise HubSpotError(
                401,
                "INVALID_AUTHENTICATION",
                "Authentication credentials not found. This API supports OAuth 2.0 authentication "
                "and you can find more details at "
                "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            )
        if header != f"Bearer {self.token}":
            raise HubSpotError(
                401,
                "INVALID_AUTHENTICATION",
                "Authentication credentials are invalid. Check the private app access token.",
            )

    # GET /crm/v3/objects/{kind}: opaque-cursor paging by id.
    def _list(self, request: Request, kind: str) -> Response:
        self._require(*_read_scopes(kind))
        limit = _int_param(request.param("limit"), default=10, low=1, high=100)
        archived = _bool_param(request.param("archived"))
        after_id = _decode_cursor(request.param("after"))
        wanted = self._properties(kind, _csv(request.query.get("properties")))
        associations = [
            a for a in _csv(request.query.get("associations")) if (kind, a) in ASSOCIATION_TYPES
        ]
        rows = [
            r
            for r in self.records[kind]
            if r.object_id > after_id and (r.archived_ms is not None) == archived
        ][: limit + 1]
        page = rows[:limit]
        results = []
        for record in page:
            item = _record_json(record, wanted)
            linked = {a: self.links[kind, a].get(record.object_id, []) for a in associations}
            if any(linked.values()):
                item["associations"] = {
                    a: {
                        "results": [{"id": str(i), "type": ASSOCIATION_TYPES[kind, a]} for i in ids]
                    }
                    for a, ids in linked.items()
                    if ids
                }
            results.append(item)
        body: dict[str, Any] = {"results": results}
        if len(rows) > limit:
            body["paging"] = self._next_page(request, _encode_cursor(page[-1].object_id))
        return json_response(200, body)

    def _next_page(self, request: Request, after: str) -> dict[str, Any]:
        query = {k: v[-1] for k, v in request.query.items() if k != "after"} | {"after": after}
        return {"next": {"after": after, "link": f"{self.url}{request.path}?{urlencode(query)}"}}

    def _properties(self, kind: str, requested: list[str]) -> list[str]:
        if not requested:
            return list(DEFAULT_PROPERTIES[kind])
        return [name for name in dict.fromkeys(requested) if name in self.property_names[kind]]

    # POST /crm/v3/objects/{kind}/search: numeric offset paging, capped.
    def _search(self, request: Request, kind: str) -> Response:
        self._require(*_read_scopes(kind))
        body = _json_object(request)
        limit = _int_param(body.get("limit"), default=10, low=1, high=200)
        after = _int_param(body.get("after"), default=0, low=0, high=None, name="after")
        if after >= self.search_cap:
            raise HubSpotError(
                400,
                "VALIDATION_ERROR",
                f"There was a problem with the request: search cannot page past "
                f"{self.search_cap} results; narrow the query (e.g. by time window).",
            )
        matches = self._compile_filters(kind, body.get("filterGroups") or [])
        rows = [r for r in self.records[kind] if r.archived_ms is None and matches(r)]
        for sort in reversed(body.get("sorts") or []):
            name, descending = self._sort_spec(kind, sort)
            present = [r for r in rows if r.properties.get(name) is not None]
            missing = [r for r in rows if r.properties.get(name) is None]
            present.sort(key=lambda r: _typed(name, r.properties[name]), reverse=descending)
            rows = present + missing
        requested = body.get("properties")
        wanted = self._properties(kind, requested if isinstance(requested, list) else [])
        page = rows[after : after + limit]
        response: dict[str, Any] = {
            "total": len(rows),
            "results": [_record_json(r, wanted) for r in page],
        }
        if after + limit < len(rows):
            following = str(after + limit)
            response["paging"] = {"next": {"after": following, "link": f"?after={following}"}}
        return json_response(200, response)

    # POST /crm/v3/objects/{kind}/batch/read: records by id, with property history if asked.
    def _batch_read(self, request: Request, kind: str) -> Response:
        self._require(*_read_scopes(kind))
        archived = _bool_param(request.param("archived"))
        body = _json_object(request)
        ids = _batch_ids(body)
        wanted = self._properties(kind, _names(body, "properties"))
        history_names = _names(body, "propertiesWithHistory")
        results, missing = [], []
        for raw_id in ids:
            record = self.by_id[kind].get(int(raw_id)) if raw_id.isdigit() else None
            # like the list endpoint: archived=true reads archived records only
            if record is None or (record.archived_ms is not None) != archived:
                missing.append(raw_id)
                continue
            item = _record_json(record, wanted)
            if history_names:
                item["propertiesWithHistory"] = self._history_json(record, history_names)
            results.append(item)
        stamp = iso(self.as_of_ms - 1)
        response: dict[str, Any] = {"status": "COMPLETE", "results": results}
        if missing:  # 207 Multi-Status: one error lists every id not found
            error = {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": f"Could not get some {kind} objects, they may be deleted or not "
                "exist. Check that ids are valid.",
                "context": {"ids": missing},
            }
            response |= {"numErrors": 1, "errors": [error]}
        response |= {"startedAt": stamp, "completedAt": stamp}
        return json_response(207 if missing else 200, response)

    def _history_json(self, record: CrmRecord, names: list[str]) -> dict[str, list[dict]]:
        """Each tracked property's values, newest first, as the record owner's UI edits."""
        user_id = self.user_ids.get(record.properties.get("hubspot_owner_id") or "")
        source: dict[str, Any] = {"sourceType": "CRM_UI"}
        if user_id is not None:
            source |= {"sourceId": f"userId:{user_id}", "updatedByUserId": user_id}
        return {
            name: [
                {"value": value, "timestamp": iso(at_ms), **source}
                for at_ms, value in reversed(record.history[name])
            ]
            for name in names
            if name in record.history
        }

    def _compile_filters(self, kind: str, groups: Any) -> Callable[[CrmRecord], bool]:
        if not isinstance(groups, list) or len(groups) > MAX_FILTER_GROUPS:
            raise HubSpotError(
                400,
                "VALIDATION_ERROR",
                f"filterGroups must be a list of at most {MAX_FILTER_GROUPS}",
            )
        if sum(len(g.get("filters") or []) for g in groups if isinstance(g, dict)) > MAX_FILTERS:
            raise HubSpotError(
                400, "VALIDATION_ERROR", f"a search takes at most {MAX_FILTERS} filters in all"
            )
        compiled = []
        for group in groups:
            filters = group.get("filters") if isinstance(group, dict) else None
            if not isinstance(filters, list) or len(filters) > MAX_FILTERS_PER_GROUP:
                raise HubSpotError(
                    400,
                    "VALIDATION_ERROR",
                    f"each filter group needs 1-{MAX_FILTERS_PER_GROUP} filters",
                )
            compiled.append([self._compile_filter(kind, f) for f in filters])
        if not compiled:
            return lambda record: True
        # Filters within a group are ANDed, groups are ORed.
        return lambda record: any(all(test(record) for test in group) for group in compiled)

    def _compile_filter(self, kind: str, spec: Any) -> Callable[[CrmRecord], bool]:
        if not isinstance(spec, dict):
            raise HubSpotError(400, "VALIDATION_ERROR", "each filter must be an object")
        name, operator = spec.get("propertyName"), spec.get("operator")
        if name not in self.property_names[kind]:
            raise HubSpotError(
                400, "VALIDATION_ERROR", f"Property {name!r} does not exist on {kind}"
            )
        if operator in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
            expect = operator == "HAS_PROPERTY"
            return lambda r: (r.properties[name] is not None) == expect
        if operator in ("IN", "NOT_IN"):
            values = {_typed(name, str(v)) for v in spec.get("values") or []}
            inside = operator == "IN"
            return lambda r: (
                r.properties[name] is not None
                and (_typed(name, r.properties[name]) in values) == inside
            )
        compare = COMPARISONS.get(operator)
        if compare is None:
            raise HubSpotError(400, "VALIDATION_ERROR", f"Unsupported filter operator: {operator}")
        if "value" not in spec:
            raise HubSpotError(
                400, "VALIDATION_ERROR", f"filter on {name} with {operator} needs a value"
            )
        wanted = _typed(name, str(spec["value"]))
        high = _typed(name, str(spec.get("highValue"))) if operator == "BETWEEN" else None

        def test(record: CrmRecord) -> bool:
            value = record.properties[name]
            if value is None:
                return operator == "NEQ"
            return compare(_typed(name, value), wanted, high)

        return test

    def _sort_spec(self, kind: str, sort: Any) -> tuple[str, bool]:
        name = sort.get("propertyName") if isinstance(sort, dict) else sort
        if name not in self.property_names[kind]:
            raise HubSpotError(400, "VALIDATION_ERROR", f"Cannot sort by unknown property {name!r}")
        return name, isinstance(sort, dict) and sort.get("direction") == "DESCENDING"

    def _pipelines(self, request: Request) -> Response:
        self._require("crm.objects.deals.read")
        return json_response(200, {"results": [_pipeline_json(p) for p in self.pipelines]})

    # GET /crm/v3/owners/
    def _owners(self, request: Request) -> Response:
        self._require("crm.objects.owners.read")
        limit = _int_param(request.param("limit"), default=100, low=1, high=500)
        archived = _bool_param(request.param("archived"))
        after_id = _decode_cursor(request.param("after"))
        email = request.param("email")
        rows = [
            o
            for o in sorted(self.owners, key=lambda o: o.owner_id)
            if o.owner_id > after_id
            and (o.archived_ms is not None) == archived
            and email in (None, o.email)
        ][: limit + 1]
        body: dict[str, Any] = {"results": [_owner_json(o) for o in rows[:limit]]}
        if len(rows) > limit:
            body["paging"] = self._next_page(request, _encode_cursor(rows[limit - 1].owner_id))
        return json_response(200, body)

    # POST /crm/v4/associations/{from}/{to}/batch/read (deals to contacts, engagements to
    # contacts, companies and deals)
    def _associations(self, request: Request, kind: str, to_kind: str) -> Response:
        self._require(*_read_scopes(kind))
        association_type = {
            "category": "HUBSPOT_DEFINED",
            "typeId": ASSOCIATION_TYPE_IDS[kind, to_kind],
            "label": None,
        }
        inputs = _json_object(request).get("inputs")
        if not isinstance(inputs, list) or not 1 <= len(inputs) <= 1000:
            raise HubSpotError(
                400, "VALIDATION_ERROR", "inputs must hold between 1 and 1000 objects"
            )
        results, errors = [], []
        for item in inputs:
            raw_id = str(item.get("id", "")) if isinstance(item, dict) else ""
            linked = self.links[kind, to_kind].get(int(raw_id), []) if raw_id.isdigit() else []
            if linked:
                to = [{"toObjectId": c, "associationTypes": [association_type]} for c in linked]
                results.append({"from": {"id": raw_id}, "to": to})
            else:
                errors.append(
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                        "message": f"No {to_kind} are associated with {kind[:-1]} {raw_id}.",
                        "context": {"fromObjectId": [raw_id]},
                    }
                )
        stamp = iso(self.as_of_ms - 1)
        body: dict[str, Any] = {"status": "COMPLETE", "results": results}
        if errors:  # HubSpot answers 207 Multi-Status when some inputs failed
            body |= {"numErrors": len(errors), "errors": errors}
        body |= {"startedAt": stamp, "completedAt": stamp}
        return json_response(207 if errors else 200, body)

    # GET /crm/properties/{version}/{kind}: every property, unpaged.
    def _property_list(self, request: Request, kind: str) -> Response:
        schema = "contacts" if kind in ENGAGEMENT_TYPES else kind
        self._require(*_read_scopes(kind), f"crm.schemas.{schema}.read")
        return json_response(200, {"results": self.properties_json(kind)})

    # GET /account-info/{version}/details: any valid key may read it.
    def _account_details(self, request: Request) -> Response:
        body = {
            "portalId": PORTAL_ID,
            "accountType": "STANDARD",
            "timeZone": "US/Eastern",
            "companyCurrency": "USD",
            "additionalCurrencies": sorted({r.from_currency for r in self.exchange_rates}),
            "utcOffset": "-05:00",
            "utcOffsetMilliseconds": -18_000_000,
            "uiDomain": "app.hubspot.com",
            "dataHostingLocation": "na1",
        }
        return json_response(200, body)

    # GET /settings/currencies/{version}/company-currency
    def _company_currency(self, request: Request) -> Response:
        self._require(CURRENCY_SCOPE)
        return json_response(
            200, {"createdAt": iso(COMPANY_CURRENCY_CREATED_MS), "id": COMPANY_CURRENCY}
        )

    # GET /settings/currencies/{version}/exchange-rates: every rate set, paged by id.
    def _exchange_rates(self, request: Request) -> Response:
        self._require(CURRENCY_SCOPE)
        limit = _int_param(request.param("limit"), default=100, low=1, high=100)
        after_id = _decode_cursor(request.param("after"))
        wanted = request.param("fromCurrencyCode")
        rows = [
            r
            for r in sorted(self.exchange_rates, key=lambda r: int(r.exchange_rate_id))
            if int(r.exchange_rate_id) > after_id and wanted in (None, r.from_currency)
        ][: limit + 1]
        body: dict[str, Any] = {"results": [_rate_json(r) for r in rows[:limit]]}
        if len(rows) > limit:
            last = int(rows[limit - 1].exchange_rate_id)
            body["paging"] = self._next_page(request, _encode_cursor(last))
        return json_response(200, body)

    # GET /settings/currencies/{version}/exchange-rates/current: the rate in effect per pair.
    def _current_rates(self, request: Request) -> Response:
        self._require(CURRENCY_SCOPE)
        current: dict[tuple[str, str], ExchangeRate] = {}
        for rate in sorted(self.exchange_rates, key=lambda r: (r.effective_ms, r.created_ms)):
            if rate.effective_ms < self.as_of_ms:
                current[rate.from_currency, rate.to_currency] = rate
        return json_response(200, {"results": [_rate_json(r) for r in current.values()]})

    # Errors and faults.
    @staticmethod
    def _error(
        status: int,
        category: str,
        message: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> Response:
        body = {
            "status": "error",
            "message": message,
            "correlationId": str(uuid.uuid4()),
            "category": category,
        }
        return json_response(status, body | extra, headers)

    def fault_response(self, fault: Fault, nth: int, request: Request) -> Response:
        if fault in (Fault.RATE_LIMIT, Fault.DAILY_QUOTA):
            daily = fault is Fault.DAILY_QUOTA
            seconds = None if daily else self.faults.retry_after_seconds
            body = {
                "status": "error",
                "message": f"You have reached your {'daily' if daily else 'secondly'} limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": str(uuid.uuid4()),
                "policyName": "DAILY" if daily else "TEN_SECONDLY_ROLLING",
                "requestId": str(uuid.uuid4()),
            }
            return json_response(
                429, body, {"Retry-After": f"{seconds:g}"} if seconds is not None else {}
            )
        if fault is Fault.SERVER_ERROR:
            status = 503 if nth % 2 else 500
            return self._error(
                status,
                "INTERNAL_ERROR",
                "internal error" if status == 500 else "Service unavailable",
            )
        return self._error(
            401,
            "EXPIRED_AUTHENTICATION",
            "The OAuth token used to make this call expired 0 second(s) ago.",
        )


COMPARISONS: dict[str, Callable[[Any, Any, Any], bool]] = {
    "EQ": lambda value, wanted, _: value == wanted,
    "NEQ": lambda value, wanted, _: value != wanted,
    "LT": lambda value, wanted, _: value < wanted,
    "LTE": lambda value, wanted, _: value <= wanted,
    "GT": lambda value, wanted, _: value > wanted,
    "GTE": lambda value, wanted, _: value >= wanted,
    "BETWEEN": lambda value, low, high: low <= value <= high,
}


def _read_scopes(kind: str) -> tuple[str, ...]:
    """The scopes one of which reads ``kind``."""
    return ENGAGEMENT_SCOPES.get(kind) or (f"crm.objects.{kind}.read",)


def _typed(name: str, value: str) -> Any:
    """A property value (or filter value) as the type HubSpot compares it as."""
    try:
        if name.endswith("date") or name.startswith("hs_v2_date_") or name.endswith("timestamp"):
            return parse_ms(value)
        if name in NUMERIC_PROPERTIES:
            return Decimal(value)
    except (ValueError, InvalidOperation) as error:
        raise HubSpotError(
            400, "VALIDATION_ERROR", f"{value!r} is not a valid value for {name}"
        ) from error
    return value.lower()


def _record_json(record: CrmRecord, properties: list[str]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": str(record.object_id),
        "properties": {name: record.properties.get(name) for name in properties},
        "createdAt": iso(record.created_ms),
        "updatedAt": iso(record.updated_ms),
        "archived": record.archived_ms is not None,
    }
    if record.archived_ms is not None:
        item["archivedAt"] = iso(record.archived_ms)
    return item


def _property_json(kind: str, name: str) -> dict[str, Any]:
    """A property definition as the properties API gives it; custom ones lack hubspotDefined."""
    custom = CUSTOM_PROPERTIES.get(kind, {}).get(name)
    label, type_, field_type, options = custom or (*_standard_type(name), ())
    calculated = name in BOOLEAN_PROPERTIES or name.startswith("hs_v2_date_")
    stamp = "2025-06-01T09:00:00.000Z"
    item: dict[str, Any] = {
        "name": name,
        "label": label,
        "type": type_,
        "fieldType": field_type,
        "description": "",
        "groupName": f"{kind[:-1]}information",
        "options": [
            {"label": value, "value": value, "displayOrder": order, "hidden": False}
            for order, value in enumerate(options)
        ],
        "displayOrder": -1,
        "calculated": calculated,
        "externalOptions": False,
        "hasUniqueValue": name == "hs_object_id",
        "hidden": False,
        "formField": custom is not None,
        "modificationMetadata": {
            "archivable": custom is not None,
            "readOnlyDefinition": custom is None,
            "readOnlyValue": calculated,
        },
        "createdAt": stamp,
        "updatedAt": stamp,
        "archived": False,
    }
    if custom is None:
        item["hubspotDefined"] = True
    else:
        item["createdUserId"] = "9500001"
    return item


def _standard_type(name: str) -> tuple[str, str, str]:
    """A HubSpot-defined property's (label, type, fieldType), read off its name."""
    label = name.replace("_", " ").capitalize()
    if name.endswith("date") or name.startswith("hs_v2_date_") or name.endswith("timestamp"):
        return label, "datetime", "date"
    if name in NUMERIC_PROPERTIES:
        return label, "number", "number"
    if name in BOOLEAN_PROPERTIES:
        return label, "bool", "booleancheckbox"
    if name in ENUMERATION_PROPERTIES:
        return label, "enumeration", "select"
    return label, "string", "text"


def _owner_json(owner: Owner) -> dict[str, Any]:
    return {
        "id": str(owner.owner_id),
        "email": owner.email,
        "type": "PERSON",
        "firstName": owner.first_name,
        "lastName": owner.last_name,
        "userId": owner.user_id,
        "userIdIncludingInactive": owner.user_id,
        "createdAt": iso(owner.created_ms),
        "updatedAt": iso(owner.updated_ms),
        "archived": owner.archived_ms is not None,
        "teams": [{"id": owner.team_id, "name": owner.team_name, "primary": True}],
    }


def _pipeline_json(pipeline: Pipeline) -> dict[str, Any]:
    stamp = "2025-06-01T09:00:00.000Z"
    return {
        "id": pipeline.pipeline_id,
        "label": pipeline.label,
        "displayOrder": 0 if pipeline.pipeline_id == "default" else 1,
        "createdAt": stamp,
        "updatedAt": stamp,
        "archived": False,
        "stages": [
            {
                "id": stage.stage_id,
                "label": stage.label,
                "displayOrder": order,
                "metadata": {
                    "isClosed": str(stage.is_closed).lower(),
                    "probability": stage.probability,
                },
                "createdAt": stamp,
                "updatedAt": stamp,
                "archived": False,
                "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
            }
            for order, stage in enumerate(pipeline.stages)
        ],
    }


def _rate_json(rate: ExchangeRate) -> dict[str, Any]:
    return {
        "conversionRate": float(rate.conversion_rate),
        "createdAt": iso(rate.created_ms),
        "effectiveAt": iso(rate.effective_ms),
        "fromCurrencyCode": rate.from_currency,
        "id": rate.exchange_rate_id,
        "toCurrencyCode": rate.to_currency,
        "updatedAt": iso(rate.created_ms),
        "visibleInUI": True,
    }


def _encode_cursor(object_id: int) -> str:
    # URL-safe and unpadded, so clients can pass it back verbatim with or without encoding.
    return base64.urlsafe_b64encode(str(object_id).encode()).decode().rstrip("=")


def _decode_cursor(after: str | None) -> int:
    if not after:
        return -1
    text = after.replace("%3D", "").replace("=", "")
    try:
        return int(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())
    except (ValueError, binascii.Error) as error:
        raise HubSpotError(400, "VALIDATION_ERROR", f"Invalid paging cursor: {after!r}") from error


def _csv(values: list[str] | None) -> list[str]:
    return [name.strip() for value in values or [] for name in value.split(",") if name.strip()]


def _bool_param(value: str | None) -> bool:
    if value in (None, "", "false"):
        return False
    if value == "true":
        return True
    raise HubSpotError(400, "VALIDATION_ERROR", f"archived must be true or false, got {value!r}")


def _int_param(value: Any, *, default: int, low: int, high: int | None, name: str = "limit") -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError) as error:
        raise HubSpotError(
            400, "VALIDATION_ERROR", f"{name} must be an integer, got {value!r}"
        ) from error
    if number < low or (high is not None and number > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise HubSpotError(400, "VALIDATION_ERROR", f"{name} must be {bounds}, got {number}")
    return number


def _batch_ids(body: dict[str, Any]) -> list[str]:
    """The distinct ids of a batch read's ``inputs`` (by ``hs_object_id``, the only idProperty
    served), in request order."""
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not 1 <= len(inputs) <= MAX_BATCH_READ:
        raise HubSpotError(
            400, "VALIDATION_ERROR", f"inputs must hold between 1 and {MAX_BATCH_READ} objects"
        )
    if body.get("idProperty") not in (None, "hs_object_id"):
        raise HubSpotError(
            400,
            "VALIDATION_ERROR",
            f"idProperty {body['idProperty']!r} is not a unique identifier property here",
        )
    ids = [item.get("id") if isinstance(item, dict) else None for item in inputs]
    if any(not isinstance(i, str | int) or isinstance(i, bool) for i in ids):
        raise HubSpotError(400, "VALIDATION_ERROR", 'each input must be an object with an "id"')
    return list(dict.fromkeys(str(i) for i in ids))


def _names(body: dict[str, Any], key: str) -> list[str]:
    """A list of property names from a request body (absent: none)."""
    names = body.get(key) or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise HubSpotError(400, "VALIDATION_ERROR", f"{key} must be a list of property names")
    return list(dict.fromkeys(names))


def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError as error:
        raise HubSpotError(
            400, "VALIDATION_ERROR", "Invalid input JSON: the body is not JSON"
        ) from error
    if not isinstance(body, dict):
        raise HubSpotError(400, "VALIDATION_ERROR", "Invalid input JSON: expected an object")
    return body
