"""A local Meta Graph API (Marketing API: ad accounts, campaigns, ad sets, ads, insights).

Wire format per ``reference/source_apis.md`` §4: ``GET /{version}/act_{id}/insights`` with
``level=ad``, ``time_increment=1`` and a JSON ``time_range``; every metric is a string; pages
carry ``paging.cursors`` and an absolute ``paging.next`` except on the last page. Errors are
``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`` and rate limits
come back as HTTP **400** with codes 17 / 80004 and an ``x-business-use-case-usage`` header
saying how many minutes until the account regains access.

What Meta does that a client may not expect, from Meta's pages:

* **Version lifecycle**, evaluated at ``api_today`` (default: today, UTC), from the Marketing
  API table (its dates differ from the Graph API's):
  https://developers.facebook.com/documentation/ads-commerce/marketing-api/marketing-api-changelog/versions
  After expiry "calls made to that version number may fail or be upgraded to the next available
  version" (https://developers.facebook.com/docs/marketing-api/overview/versioning). With the
  app's auto-upgrade on (Meta's default; opt-out in the app's Marketing API settings, same
  page, FAQ) the call is served by the oldest live version and the response carries
  ``X-Ad-Api-Version-Warning: The call has been auto-upgraded to vB as vA has been deprecated``
  (FAQ "Can I check if any specific API call has been auto-upgraded?"); with it off the call
  fails with ``(#2635) You are calling a deprecated version of the Ads API. Please update to
  the latest version: vXX.X.`` (https://developers.facebook.com/blog/post/2024/04/16/upcoming-change-in-marketing-api-version-deprecation;
  body as in github.com/maraujo/pySocialWatcher/issues/25). [inferred] HTTP 400 for it, and a
  version Meta never released answering ``(#2500) Unknown path components``.
* **Token** as the ``access_token`` query parameter, as Meta's examples send it
  (https://developers.facebook.com/docs/business-management-apis/system-users/guides/api-calls);
  an ``Authorization: Bearer``/``OAuth`` header is accepted too.
* **Require App Secret** (``require_app_secret=True``): every call needs ``appsecret_proof`` =
  hex HMAC-SHA256 of the access token keyed with the app secret
  (https://developers.facebook.com/docs/graph-api/securing-requests), or of
  ``token|appsecret_time`` with ``appsecret_time`` sent too, valid 5 minutes
  (https://developers.facebook.com/docs/facebook-login/security#proof). Missing: 400
  GraphMethodException 100 "API calls from the server require an appsecret_proof argument"
  (github.com/Yoctol/bottender/issues/271); wrong: 400 GraphMethodException 100 "Invalid
  appsecret_proof provided in the API argument"
  (github.com/facebook/facebook-python-business-sdk/issues/528). [inferred] an expired
  timestamped proof gets the "Invalid" answer.
* ``GET /{v}/me`` (the system user, "me refers to the system user", system-users API-calls
  page above) and ``GET /{v}/me/permissions`` (``{"data": [{"permission", "status"}]}``,
  https://developers.facebook.com/docs/graph-api/reference/user/permissions).
* An ad account's ``account_status`` (1 ACTIVE, 2 DISABLED, 3 UNSETTLED, 7 PENDING_RISK_REVIEW,
  8 PENDING_SETTLEMENT, 9 IN_GRACE_PERIOD, 100 PENDING_CLOSURE, 101 CLOSED;
  https://developers.facebook.com/docs/marketing-api/reference/ad-account/) can be set per
  account with ``account_statuses``.
* Faults (``sandbox/faults.py``) can be aimed at some ad accounts only (``fault_accounts``),
  or at a Conversions API dataset (its id in ``fault_accounts``).
* **Conversions API**: ``POST /{v}/{dataset_id}/events`` (:mod:`sandbox.meta_ads_conversions`),
  with its windows counted from ``conversions_now`` (default: the world's as-of moment, the
  midnight after its last day, as the other ad stand-ins count theirs). Tests read
  ``conversion_bodies``, ``accepted_conversions`` and ``test_events``, and fill
  ``transient_click_ids``: a request with such a click id gets Meta's transient error (503,
  code 2, ``is_transient``) every time, for the whole request, as Meta reports errors per
  request.
* **Ads with their creative**: ``GET /act_{id}/ads?fields=...,creative{id,name,url_tags,
  object_story_spec{page_id,link_data{link,message,name}}}``. Field expansion
  (``field{subfield,...}``, nestable) per https://developers.facebook.com/docs/graph-api/guides/field-expansion;
  a bare ``creative`` is ``{"id"}``, a bare struct (``object_story_spec``) is whole. The ad's
  ``creative`` is an AdCreative (https://developers.facebook.com/docs/marketing-api/reference/ad-creative/):
  ``url_tags``, "a set of query string parameters which will replace or be appended to urls
  clicked from page post ads", and ``object_story_spec`` (AdCreativeObjectStorySpec:
  ``page_id``, ``link_data``; https://developers.facebook.com/docs/marketing-api/reference/ad-creative-object-story-spec)
  whose ``link_data.link`` (AdCreativeLinkData,
  https://developers.facebook.com/docs/marketing-api/reference/ad-creative-link-data) is the
  landing page; the field names match ``AdCreative`` / ``AdCreativeLinkData`` in
  github.com/facebook/facebook-python-business-sdk. Like every edge, ``ads`` hides archived
  and deleted ads unless ``effective_status`` asks for them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from sandbox.clock import utc_now, utc_today
from sandbox.conversion_destinations import META_DATASET_ID
from sandbox.faults import Fault, Faults
from sandbox.http import Request, Response, StandInServer, json_response
from sandbox.meta_ads_conversions import ConversionsEndpoint, Refusal
from sandbox.meta_ads_data import LEAD, PURCHASE, Ad, AdSet, Campaign, InsightDay, MetaAdsData
from sandbox.world import World

TOKEN = "EAABsandboxMETA0ads0long0lived0token0000000000ZDZD"
APP_SECRET = "sandbox0meta0app0secret0000000000"
ROUTE = re.compile(r"/(v\d+\.\d+)/act_([^/]+)(?:/(insights|campaigns|adsets|ads))?/?")
EVENTS_ROUTE = re.compile(r"/(v\d+\.\d+)/([^/]+)/events/?")
ME_ROUTE = re.compile(r"/(v\d+\.\d+)/me(/permissions)?/?")
# Meta's Marketing API lifecycle (release, expiry or None for "TBD"), from the versions table
# cited above as read on 2026-12-05. The stand-in keeps its own copy: it models Meta.
LIFECYCLE: dict[str, tuple[date, date | None]] = {
    "v27.0": (date(2026, 11, 4), None),
    "v26.0": (date(2026, 7, 29), None),
    "v25.0": (date(2026, 2, 18), date(2027, 2, 23)),
    "v24.0": (date(2025, 10, 8), date(2026, 11, 10)),
    "v23.0": (date(2025, 5, 29), date(2026, 6, 9)),
    "v22.0": (date(2025, 1, 21), date(2026, 2, 19)),
    "v21.0": (date(2024, 10, 2), date(2025, 9, 9)),
    "v20.0": (date(2024, 5, 21), date(2025, 5, 6)),
}
PROOF_SECONDS = 300  # a timestamped appsecret_proof expires after 5 minutes
SYSTEM_USER = {"id": "122100000000000001", "name": "Thinline extract (system user)"}
GRANTED = ("ads_read", "read_insights", "business_management")
DEFAULT_LIMIT, MAX_LIMIT = 25, 5000
# A synchronous insights query over more rows than this "times out": the client must split it.
MAX_ROWS = 2500
ALL_STATUSES = ("ACTIVE", "PAUSED", "ARCHIVED", "DELETED", "IN_PROCESS", "WITH_ISSUES")
DEFAULT_STATUSES = ("ACTIVE", "PAUSED", "IN_PROCESS", "WITH_ISSUES")  # not archived or deleted
# Ads' further effective statuses (https://developers.facebook.com/docs/marketing-api/reference/adgroup/)
AD_ONLY_STATUSES = (
    "CAMPAIGN_PAUSED",
    "ADSET_PAUSED",
    "PENDING_REVIEW",
    "DISAPPROVED",
    "PREAPPROVED",
    "PENDING_BILLING_INFO",
)
ACCOUNT_FIELDS = ("id", "account_id", "name", "currency", "timezone_name", "account_status")
INSIGHT_FIELDS = (
    "account_id",
    "account_name",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "objective",
    "date_start",
    "date_stop",
    "spend",
    "impressions",
    "clicks",
    "inline_link_clicks",
    "reach",
    "frequency",
    "ctr",
    "cpc",
    "cpm",
    "actions",
    "action_values",
)
DEFAULT_INSIGHT_FIELDS = ("spend", "impressions")
PAGE_ID = "102000000000001"  # the company's Facebook page, the creatives' actor
# Nested objects an ``ads`` request may expand, and their Graph node types.
NODE_TYPES = {
    "creative": "AdCreative",
    "object_story_spec": "AdCreativeObjectStorySpec",
    "link_data": "AdCreativeLinkData",
}
ABOUT_LIMITS = "https://developers.facebook.com/docs/graph-api/overview/rate-limiting"
THROTTLED_ACCOUNT = (
    "(#80004) There have been too many calls to this ad-account. Wait a bit and try again. "
    f"For more info, please refer to {ABOUT_LIMITS}."
)
TOO_MUCH_DATA = (
    "Request timed out. Please reduce the amount of data you're asking for, then retry your request"
)


class GraphError(Exception):
    def __init__(self, status: int, code: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


class MetaAdsServer(StandInServer):
    def __init__(
        self,
        world: World,
        *,
        token: str = TOKEN,
        faults: Faults | None = None,
        max_rows: int = MAX_ROWS,
        api_today: date | None = None,
        auto_upgrade: bool = True,
        require_app_secret: bool = False,
        app_secret: str = APP_SECRET,
        permissions: Iterable[str] = GRANTED,
        account_statuses: Mapping[int, int] | None = None,
        fault_accounts: Iterable[int] | None = None,
        conversions_now: datetime | None = None,
    ) -> None:
        super().__init__(faults)
        self.data: MetaAdsData = world.meta_ads
        self.token = token
        self.max_rows = max_rows
        self.api_today = api_today
        self.auto_upgrade = auto_upgrade
        self.require_app_secret = require_app_secret
        self.app_secret = app_secret
        self.permissions = tuple(permissions)
        self.account_statuses = dict(account_statuses or {})
        self.fault_accounts = None if fault_accounts is None else frozenset(fault_accounts)
        # Conversions are judged at the world's as-of moment (midnight after its last day), as
        # the Google Ads and LinkedIn stand-ins judge theirs: the world's events are that old,
        # whatever the API's calendar (api_today: versions only).
        self.conversions_now = conversions_now or datetime.combine(
            world.config.end + timedelta(days=1), time.min, UTC
        )
        self.conversions = ConversionsEndpoint()
        self.conversion_bodies = self.conversions.conversion_bodies
        self.accepted_conversions = self.conversions.accepted_conversions
        self.test_events = self.conversions.test_events
        campaigns = {c.campaign_id: c for c in self.data.campaigns}
        self._campaigns = campaigns
        self._ad_sets = {s.ad_set_id: s for s in self.data.ad_sets}
        self._ads = {a.ad_id: a for a in self.data.ads}
        self._insights: dict[int, list[InsightDay]] = {}
        for row in self.data.insights:  # day-major, a stable order for cursors
            self._insights.setdefault(row.account_id, []).append(row)

    def env(self) -> dict[str, str]:
        """The THINLINE_META_ADS__* settings an extractor needs to reach this server."""
        env = {
            "THINLINE_META_ADS__BASE_URL": self.url,
            "THINLINE_META_ADS__ACCESS_TOKEN": self.token,
            "THINLINE_META_ADS__ACCOUNT_IDS": ",".join(
                f"act_{account.account_id}" for account in self.data.accounts
            ),
            # the demo's Conversions API dataset (sandbox/conversion_destinations.py)
            "THINLINE_META_ADS__CONVERSIONS_DATASET_ID": META_DATASET_ID,
        }
        if self.require_app_secret:
            env["THINLINE_META_ADS__APP_SECRET"] = self.app_secret
        return env

    @property
    def transient_click_ids(self) -> set[str]:
        return self.conversions.transient_click_ids

    @transient_click_ids.setter
    def transient_click_ids(self, click_ids: set[str]) -> None:
        self.conversions.transient_click_ids = set(click_ids)

    def today(self) -> date:
        return self.api_today or utc_today()

    def now(self) -> datetime:
        """The moment the Conversions API's windows count from (``conversions_now``)."""
        return self.conversions_now

    def live_versions(self) -> list[str]:
        """The versions callable on ``today()``, oldest first."""
        day = self.today()
        live = [
            (released, version)
            for version, (released, expires) in LIFECYCLE.items()
            if released <= day and (expires is None or day < expires)
        ]
        return [version for _, version in sorted(live)]

    def route(self, request: Request) -> Response:
        try:
            events = EVENTS_ROUTE.fullmatch(request.path)
            if events and request.method == "POST":
                return self._events(request, events[1], events[2])
            if request.method != "GET":
                raise GraphError(400, 100, f"Unsupported {request.method.lower()} request.")
            if me := ME_ROUTE.fullmatch(request.path):
                served = self._version(me[1], request.path)
                self._authorize(request)
                body = self._permissions() if me[2] else self._me(request)
                return json_response(200, body, served)
            match = ROUTE.fullmatch(request.path)
            if not match:
                raise GraphError(400, 2500, f"Unknown path components: {request.path}")
            version, account_id, edge = match.groups()
            served = self._version(version, request.path)
            self._authorize(request)
            account = self._account(account_id)
            headers = self._usage_headers(account, edge) | served
            if edge is None:
                return json_response(200, self._account_object(request, account), headers)
            if edge == "insights":
                return json_response(200, self._insights_page(request, account), headers)
            return json_response(200, self._objects_page(request, account, edge), headers)
        except GraphError as error:
            return _error(error)

    # POST /{dataset_id}/events (Conversions API)
    def _events(self, request: Request, version: str, dataset_id: str) -> Response:
        served = self._version(version, request.path)
        self._authorize(request)
        try:
            answer = self.conversions.post(request, dataset_id, self.now())
        except Refusal as refusal:
            raise GraphError(
                refusal.status, refusal.code, refusal.message, **refusal.extra
            ) from refusal
        return json_response(200, answer | {"fbtrace_id": _trace_id()}, served)

    # Version, auth and lookup.
    def _version(self, version: str, path: str) -> dict[str, str]:
        """Serve ``version`` if live; else auto-upgrade it (with Meta's header) or refuse it."""
        live = self.live_versions()
        if version in live:
            return {}
        released = LIFECYCLE.get(version, (None, None))[0]
        if released is None or released > self.today():
            raise GraphError(400, 2500, f"Unknown path components: {path}")
        if not self.auto_upgrade:
            raise GraphError(
                400,
                2635,
                "(#2635) You are calling a deprecated version of the Ads API. Please update "
                f"to the latest version: {live[-1]}.",
            )
        upgraded = live[0]
        warning = f"The call has been auto-upgraded to {upgraded} as {version} has been deprecated"
        return {"X-Ad-Api-Version-Warning": warning}

    def _authorize(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        token = request.param("access_token") or re.sub(r"^(Bearer|OAuth) ", "", header)
        if not token:
            raise GraphError(400, 104, "An access token is required to request this resource.")
        if token != self.token:
            # [inferred] HTTP 401 for code 190; the code is what clients must branch on.
            message = "Invalid OAuth access token - Cannot parse access token"
            raise GraphError(401, 190, message)
        if self.require_app_secret:
            self._check_proof(request, token)

    def _check_proof(self, request: Request, token: str) -> None:
        proof, stamp = request.param("appsecret_proof"), request.param("appsecret_time")
        if not proof:
            raise GraphError(
                400,
                100,
                "API calls from the server require an appsecret_proof argument",
                type="GraphMethodException",
            )
        signed = token if stamp is None else f"{token}|{stamp}"
        expected = app_secret_proof(self.app_secret, signed)
        fresh = stamp is None or (
            stamp.isdigit() and abs(utc_now().timestamp() - int(stamp)) <= PROOF_SECONDS
        )
        if not (fresh and hmac.compare_digest(proof, expected)):
            raise GraphError(
                400,
                100,
                "Invalid appsecret_proof provided in the API argument",
                type="GraphMethodException",
            )

    # GET /me, /me/permissions
    def _me(self, request: Request) -> dict[str, Any]:
        fields = _fields(request, ("id", "name"), ("id", "name"), "User")
        return {name: SYSTEM_USER[name] for name in ["id", *fields]}

    def _permissions(self) -> dict[str, Any]:
        return {"data": [{"permission": name, "status": "granted"} for name in self.permissions]}

    def _account(self, account_id: str) -> int:
        account = self.data.account(int(account_id)) if account_id.isdigit() else None
        if account is None:
            raise GraphError(
                400,
                100,
                f"Unsupported get request. Object with ID 'act_{account_id}' does not exist, "
                "cannot be loaded due to missing permissions, or does not support this "
                "operation. Please read the Graph API documentation at "
                "https://developers.facebook.com/docs/graph-api",
                error_subcode=33,
            )
        return account.account_id

    # GET /act_{id}
    def _account_object(self, request: Request, account_id: int) -> dict[str, Any]:
        account = self.data.account(account_id)
        assert account is not None
        values = {
            "id": f"act_{account.account_id}",
            "account_id": str(account.account_id),
            "name": account.name,
            "currency": account.currency,
            "timezone_name": account.timezone_name,
            "account_status": self.account_statuses.get(account_id, account.account_status),
        }
        fields = _fields(request, ACCOUNT_FIELDS, ("id",), "AdAccount")
        return {"id": values["id"], **{name: values[name] for name in fields}}

    # GET /act_{id}/campaigns|adsets|ads
    def _objects_page(self, request: Request, account_id: int, edge: str) -> dict[str, Any]:
        objects: Sequence[Campaign | AdSet | Ad] = {
            "campaigns": self.data.campaigns,
            "adsets": self.data.ad_sets,
            "ads": self.data.ads,
        }[edge]
        node = {"campaigns": "Campaign", "adsets": "AdSet", "ads": "Ad"}[edge]
        statuses = _json_param(request, "effective_status", list(DEFAULT_STATUSES))
        if not isinstance(statuses, list) or not set(statuses) <= set(ALL_STATUSES) | set(
            AD_ONLY_STATUSES
        ):
            raise GraphError(400, 100, "(#100) Param effective_status must be an array of statuses")
        rows = []
        for item in objects:
            if item.account_id != account_id:
                continue
            values = self._object_values(item)
            if values["effective_status"] in statuses:
                rows.append(values)
        tree = {"id": None, **_field_tree(request, _object_fields(edge), ("id",), node)}
        return self._page(request, rows, lambda row: _select(row, tree, node))

    def _object_values(self, item: Campaign | AdSet | Ad) -> dict[str, Any]:
        campaign = self._campaigns[item.campaign_id]
        created = f"{campaign.created_day.isoformat()}T09:00:00+0000"
        values: dict[str, Any] = {"id": "", "account_id": str(item.account_id)}
        if isinstance(item, Campaign):
            values |= {
                "id": str(item.campaign_id),
                "name": item.name,
                "objective": item.objective,
                "status": item.status,
                "configured_status": item.status,
                "effective_status": item.status,
                "created_time": created,
                "start_time": created,
                "updated_time": created,
            }
            if item.stop_day is not None and item.status != "ACTIVE":
                values["stop_time"] = f"{item.stop_day.isoformat()}T00:00:00+0000"
                values["updated_time"] = values["stop_time"]
            return values
        inherited = campaign.status in ("ARCHIVED", "DELETED")
        status = campaign.status if inherited else "ACTIVE"
        effective = {"ACTIVE": "ACTIVE", "PAUSED": "CAMPAIGN_PAUSED"}.get(campaign.status, status)
        values |= {
            "campaign_id": str(item.campaign_id),
            "status": status,
            "configured_status": status,
            "effective_status": effective,
            "created_time": created,
            "updated_time": created,
        }
        if isinstance(item, AdSet):
            return values | {"id": str(item.ad_set_id), "name": item.name}
        creative = {
            "id": str(item.creative_id),
            "name": f"{item.name} - creative",
            "url_tags": item.url_tags,
            "object_story_spec": {
                "page_id": PAGE_ID,
                "link_data": {"link": item.final_url, "message": campaign.name, "name": item.name},
            },
        }
        return values | {
            "id": str(item.ad_id),
            "adset_id": str(item.ad_set_id),
            "name": item.name,
            "creative": creative,
        }

    # GET /act_{id}/insights
    def _insights_page(self, request: Request, account_id: int) -> dict[str, Any]:
        level = request.param("level") or "account"
        if level != "ad":
            raise GraphError(400, 100, f"(#100) The sandbox serves level=ad only, not {level}")
        if request.param("time_increment") != "1":
            raise GraphError(400, 100, "(#100) The sandbox serves time_increment=1 only")
        since, until = _time_range(request)
        fields = _fields(request, INSIGHT_FIELDS, DEFAULT_INSIGHT_FIELDS, "AdsInsights")
        rows = [r for r in self._insights.get(account_id, []) if since <= r.day <= until]
        if len(rows) > self.max_rows:
            raise GraphError(
                400,
                100,
                TOO_MUCH_DATA,
                error_subcode=1504018,
                is_transient=False,
                error_user_title="Request timed out",
            )
        wanted = [f for f in fields if f not in ("date_start", "date_stop")]
        return self._page(request, rows, lambda row: self._insight(row, wanted))

    def _insight(self, row: InsightDay, fields: list[str]) -> dict[str, Any]:
        account = self.data.account(row.account_id)
        campaign = self._campaigns[row.campaign_id]
        spend = Decimal(row.spend)
        actions = [
            {"action_type": kind, "value": str(count)}
            for kind, count in (
                ("link_click", row.link_clicks),
                (LEAD, row.leads),
                (PURCHASE, row.purchases),
            )
            if count
        ]
        action_values = [{"action_type": PURCHASE, "value": str(row.purchase_value)}]
        values: dict[str, Any] = {
            "account_id": str(row.account_id),
            "account_name": account.name if account else None,
            "account_currency": account.currency if account else None,
            "campaign_id": str(row.campaign_id),
            "campaign_name": campaign.name,
            "adset_id": str(row.ad_set_id),
            "adset_name": self._ad_sets[row.ad_set_id].name,
            "ad_id": str(row.ad_id),
            "ad_name": self._ads[row.ad_id].name,
            "objective": campaign.objective,
            "spend": row.spend,
            "impressions": str(row.impressions),
            "clicks": str(row.clicks),
            "inline_link_clicks": str(row.link_clicks),
            "reach": str(row.reach),
            "frequency": _ratio(Decimal(row.impressions), Decimal(row.reach)),
            "ctr": _ratio(Decimal(row.clicks * 100), Decimal(row.impressions)),
            "cpc": _ratio(spend, Decimal(row.clicks)),
            "cpm": _ratio(spend * 1000, Decimal(row.impressions)),
        }
        record = {name: values[name] for name in fields if values.get(name) is not None}
        if "actions" in fields and actions:  # absent when there are none
            record["actions"] = actions
        if "action_values" in fields and row.purchases:
            record["action_values"] = action_values
        day = row.day.isoformat()
        return {**record, "date_start": day, "date_stop": day}

    # Paging: ``after`` names the last row served; ``next`` is absent on the last page.
    def _page(
        self, request: Request, rows: Sequence[Any], render: Callable[[Any], dict[str, Any]]
    ) -> dict[str, Any]:
        limit_text = request.param("limit") or str(DEFAULT_LIMIT)
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
            raise GraphError(400, 100, f"(#100) Param limit must be between 1 and {MAX_LIMIT}")
        limit = int(limit_text)
        start = _decode_cursor(request.param("after")) + 1 if request.param("after") else 0
        chunk = rows[start : start + limit]
        if not chunk:
            return {"data": []}
        last = start + len(chunk) - 1
        paging: dict[str, Any] = {
            "cursors": {"before": _encode_cursor(start), "after": _encode_cursor(last)}
        }
        if last + 1 < len(rows):
            query = {name: values[-1] for name, values in request.query.items()}
            query["after"] = _encode_cursor(last)
            paging["next"] = f"{self.url}{request.path}?{urlencode(query)}"
        return {"data": [render(row) for row in chunk], "paging": paging}

    def _usage_headers(self, account_id: int, edge: str | None, regain: int = 0) -> dict[str, str]:
        calls = min(100, len(self.requests) + 1)
        kind = "ads_insights" if edge == "insights" else "ads_management"
        usage = {
            str(account_id): [
                {
                    "type": kind,
                    "call_count": calls,
                    "total_cputime": max(1, calls // 2),
                    "total_time": max(1, calls // 2),
                    "estimated_time_to_regain_access": regain,
                }
            ]
        }
        headers = {"x-business-use-case-usage": json.dumps(usage)}
        if edge == "insights":
            throttle = {
                "app_id_util_pct": 0.0,
                "acc_id_util_pct": 100.0 if regain else float(calls),
                "ads_api_access_tier": "standard_access",
            }
            headers["x-fb-ads-insights-throttle"] = json.dumps(throttle)
        return headers

    # Faults.
    def _respond(self, request: Request) -> tuple[Response, Fault | None]:
        """Every Conversions API body is recorded as it arrived, before any fault or check."""
        if request.method == "POST" and EVENTS_ROUTE.fullmatch(request.path):
            with self._lock:
                self.conversion_bodies.append(request.body)
        return super()._respond(request)

    def takes_faults(self, request: Request) -> bool:
        """With ``fault_accounts``, faults hit only the requests for those ad accounts: Meta's
        errors and throttles are per ad account (``x-business-use-case-usage`` is keyed by
        account id, https://developers.facebook.com/docs/graph-api/overview/rate-limiting/), so
        one account can fail while the others answer."""
        if self.fault_accounts is None:
            return True
        events = EVENTS_ROUTE.fullmatch(request.path)
        if events:
            return events[2].isdigit() and int(events[2]) in self.fault_accounts
        match = ROUTE.fullmatch(request.path)
        return bool(match and match[2].isdigit() and int(match[2]) in self.fault_accounts)

    def fault_response(self, fault: Fault, nth: int, request: Request) -> Response:
        match = ROUTE.fullmatch(request.path)
        account_id = int(match[2]) if match and match[2].isdigit() else 0
        edge = match[3] if match else None
        if fault is Fault.RATE_LIMIT:
            seconds = self.faults.retry_after_seconds
            minutes = math.ceil(seconds / 60) if seconds else 0
            if nth % 2:
                error = GraphError(400, 80004, THROTTLED_ACCOUNT, error_subcode=2446079)
            else:
                error = GraphError(
                    400, 17, "(#17) User request limit reached", error_subcode=2446079
                )
            error.extra["is_transient"] = True
            return _error(error, self._usage_headers(account_id, edge, regain=minutes))
        if fault is Fault.DAILY_QUOTA:  # a long per-account block: backing off briefly is futile
            error = GraphError(
                400,
                17,
                "(#17) User request limit reached",
                error_subcode=2446079,
                is_transient=False,
                error_user_title="Ad Account Has Too Many API Calls",
                error_user_msg=(
                    "There have been too many calls from this ad-account. Please wait a bit "
                    "and try again."
                ),
            )
            return _error(error, self._usage_headers(account_id, edge, regain=60))
        if fault is Fault.SERVER_ERROR:
            if nth % 2:
                error = GraphError(503, 2, "Service temporarily unavailable", is_transient=True)
            else:
                error = GraphError(
                    500, 1, "An unknown error occurred", error_subcode=99, is_transient=True
                )
            return _error(error)
        error = GraphError(  # EXPIRED_TOKEN
            401,
            190,
            "Error validating access token: Session has expired on Thursday, 26-Nov-26 "
            "16:00:00 PST. The current time is Thursday, 26-Nov-26 17:02:11 PST.",
            error_subcode=463,
        )
        return _error(error)


def app_secret_proof(app_secret: str, signed: str) -> str:
    """Meta's ``appsecret_proof``: hex HMAC-SHA256 of ``signed`` keyed with the app secret."""
    return hmac.new(app_secret.encode(), signed.encode(), hashlib.sha256).hexdigest()


def _error(error: GraphError, headers: dict[str, str] | None = None) -> Response:
    default_type = "OAuthException" if error.code not in (1, 2) else "GraphMethodException"
    extra = dict(error.extra)
    body = {
        "message": error.message,
        "type": extra.pop("type", default_type),
        "code": error.code,
        **extra,
        "fbtrace_id": _trace_id(),
    }
    headers = dict(headers or {})
    if error.status == 401:
        headers["WWW-Authenticate"] = 'OAuth "Facebook Platform" "invalid_token"'
    return json_response(error.status, {"error": body}, headers)


def _trace_id() -> str:
    return "A" + uuid.uuid4().hex[:22]


def _object_fields(edge: str) -> tuple[str, ...]:
    common = ("id", "account_id", "name", "status", "configured_status", "effective_status")
    times = ("created_time", "updated_time")
    return {
        "campaigns": (*common, "objective", *times, "start_time", "stop_time"),
        "adsets": (*common, "campaign_id", *times),
        "ads": (*common, "campaign_id", "adset_id", *times, "creative"),
    }[edge]


def _fields(request: Request, known: Sequence[str], default: Sequence[str], node: str) -> list[str]:
    """The requested ``fields`` (CSV); an unknown one is the Graph API's (#100) error."""
    tree = _field_tree(request, known, default, node)
    if any(spec is not None for spec in tree.values()):
        raise GraphError(400, 100, f"(#100) Fields of {node} have no subfields to expand")
    return list(tree)


def _field_tree(
    request: Request, known: Sequence[str], default: Sequence[str], node: str
) -> dict[str, Any]:
    """``fields`` with field expansion: ``a,b{c,d{e}}`` is ``{a: None, b: {c: None, d: {e:
    None}}}``. Top-level names are checked against ``known``; nested ones by :func:`_select`."""
    text = request.param("fields")
    if not text:
        return dict.fromkeys(default)
    tree: dict[str, Any] = {}
    stack, name = [tree], ""
    for char in text + ",":
        if char not in ",{}":
            name += char
            continue
        name = name.strip()
        if (char == "{" and not name) or (char == "}" and len(stack) == 1):
            raise GraphError(400, 100, "(#100) Syntax error in the fields parameter")
        if name:
            stack[-1][name] = {} if char == "{" else None
        if char == "{":
            stack.append(stack[-1][name])
        elif char == "}":
            stack.pop()
        name = ""
    if len(stack) != 1:
        raise GraphError(400, 100, "(#100) Syntax error in the fields parameter")
    for name in tree:
        if name not in known:
            raise _no_field(name, node)
    return tree


def _select(values: dict[str, Any], tree: dict[str, Any], node: str) -> dict[str, Any]:
    """The fields of ``tree`` present in ``values``; an expanded object is selected in turn (a
    bare object field is its ``id``, a bare struct whole); unknown nested names are (#100)."""
    record: dict[str, Any] = {}
    for name, spec in tree.items():
        value = values.get(name)
        if value is None:
            if name not in values and node in NODE_TYPES.values():
                raise _no_field(name, node)
            continue  # Graph leaves out fields without a value
        if isinstance(value, dict):
            if spec is None:
                spec = {"id": None} if "id" in value else dict.fromkeys(value)
            record[name] = _select(value, spec, NODE_TYPES[name])
        elif spec is not None:
            raise GraphError(400, 100, f"(#100) Field {name} of {node} has no subfields")
        else:
            record[name] = value
    return record


def _no_field(name: str, node: str) -> GraphError:
    return GraphError(
        400, 100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({node})"
    )


def _json_param(request: Request, name: str, default: Any) -> Any:
    text = request.param(name)
    if text is None:
        return default
    try:
        return json.loads(text)
    except ValueError as error:
        raise GraphError(400, 100, f"(#100) Param {name} must be JSON") from error


def _time_range(request: Request) -> tuple[date, date]:
    value = _json_param(request, "time_range", None)
    if not isinstance(value, dict):
        raise GraphError(400, 100, "(#100) The sandbox needs time_range={since, until}")
    try:
        since, until = date.fromisoformat(value["since"]), date.fromisoformat(value["until"])
    except (KeyError, TypeError, ValueError) as error:
        raise GraphError(400, 100, "(#100) Param time_range[since] must be a date") from error
    if since > until:
        raise GraphError(400, 100, "(#100) time_range: since must not be after until")
    return since, until


def _ratio(numerator: Decimal, denominator: Decimal) -> str:
    return str((numerator / denominator).quantize(Decimal("0.000001"))) if denominator else "0"


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> int:
    try:
        text = base64.urlsafe_b64decode((cursor or "") + "=" * (-len(cursor or "") % 4)).decode()
        return int(text.removeprefix("offset:"))
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise GraphError(400, 100, "(#100) Invalid cursor") from error
