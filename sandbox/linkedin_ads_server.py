"""A local LinkedIn Marketing API (``/rest``, versioned) and OAuth endpoint for one World.

Wire format per ``reference/source_apis.md`` §5:
* ``GET /rest/adAnalytics?q=analytics&pivot=…&timeGranularity=DAILY|ALL&dateRange=(start:(…),
  end:(…))&accounts=List(urn%3Ali%3AsponsoredAccount%3A…)&fields=…``: one element per pivot
  and day, **no pagination**, and silently truncated at ``element_cap`` (15,000) elements;
  at most 20 ``fields``.
* Finders with ``pageSize`` / ``pageToken`` and ``metadata.nextPageToken``:
  ``/rest/adAccounts/{id}/adCampaigns?q=search``, ``…/adCampaignGroups?q=search`` and
  ``…/creatives?q=criteria`` (the latter needs ``X-RestLi-Method: FINDER``).
* ``GET /rest/adAccounts/{id}``; ``POST /oauth/v2/accessToken`` (refresh-token grant).
* ``POST /rest/conversionEvents`` (offline conversions, needs ``rw_conversions``):
  :mod:`sandbox.linkedin_ads_conversions`. The server keeps ``conversion_bodies`` (each body
  as received, faulted ones included), ``accepted_conversions`` and ``transient_click_ids``.
Every ``/rest`` call needs ``Authorization: Bearer``, a live ``LinkedIn-Version: YYYYMM`` and
``X-Restli-Protocol-Version: 2.0.0``. Errors are ``{"status", "serviceErrorCode", "code",
"message"}``.

What LinkedIn does that a client may not expect, from LinkedIn's pages:

* **Version lifecycle** at ``api_today`` (default: today, UTC). Each monthly version "is
  supported and stable for a minimum of one year before sunset"
  (https://learn.microsoft.com/en-us/linkedin/marketing/versioning); sunset dates from the
  migrations table (https://learn.microsoft.com/en-us/linkedin/marketing/integrations/migrations)
  as read 2026-12-05: 202510 2026-10-15, 202511 2026-11-16, 202601 2027-01-15, 202602
  2027-02-15, 202603 2027-03-16, 202411..202407 in 2025. There is no Marketing 202512.
  [secondary] 202504..202509 and 202604..202607 from a mirror of those pages
  (github.com/api-evangelist/linkedin-ads, lifecycle/linkedin-ads-lifecycle.yml, fetched
  2026-08-13). [inferred] a version goes live on the first of its month. A sunset, unknown or
  unreleased version answers HTTP 426 ``{"status": 426, "code": "NONEXISTENT_VERSION",
  "message": "Requested version 20250401 is not active"}`` (verbatim in
  github.com/n8n-io/n8n/issues/28967, PipedreamHQ/pipedream#18398 and
  gitroomhq/postiz-app#2005, which shows ``202501`` echoed as ``20250101``). The "Version
  Header is Deprecated" wording in a third-party lifecycle file is not what those bodies show.
* **Finder page sizes**: ``pageSize`` defaults to 100 on the cursor-paged search finders
  (https://learn.microsoft.com/en-us/linkedin/marketing/integrations/ads/cursor-based-pagination).
  ``creatives?q=criteria`` refuses more than 100 (Airbyte cut its creatives page 500 -> 100
  after LinkedIn refused 500, airbytehq/airbyte#26780, and calls 100 "the maximum size of the
  page", airbytehq/airbyte#34164); [inferred] 1000 for adCampaigns / adCampaignGroups
  (Airbyte sends 500 there) and the 400 body wording.
* **Creatives' landing pages**: the stand-in's creatives are Text Ads, whose ``content`` is
  ``{"textAd": {"headline", "description", "image"?, "landingPage"}}``; ``landingPage`` is "the
  URL where the member is directed when clicking the ad"
  (https://learn.microsoft.com/en-us/linkedin/marketing/integrations/ads/advertising-targeting/version/text-ads-integrations,
  "Schema for Text Ad Content"; the rest of the record is the Creatives schema,
  https://learn.microsoft.com/en-us/linkedin/marketing/integrations/ads/account-structure/create-and-manage-creatives).
  Sponsored content instead carries ``content.reference`` (a share or post URN) and keeps its
  landing page on that post; the stand-in serves none of those.
* **Scopes**: adAnalytics needs ``r_ads_reporting``, entities ``r_ads`` or ``rw_ads``
  (https://learn.microsoft.com/en-us/linkedin/marketing/integrations/ads-reporting/ads-reporting);
  without it a 403 ``serviceErrorCode`` 100 (github.com/linkedin-developers/
  linkedin-api-python-client/issues/37) [inferred message wording].
"""

from __future__ import annotations

import base64
import itertools
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs

from sandbox.clock import day_start_ms, utc_today
from sandbox.conversion_destinations import LINKEDIN_CONVERSION_RULES
from sandbox.faults import Fault, Faults
from sandbox.http import Request, Response, StandInServer, json_response
from sandbox.linkedin_ads_conversions import PATH as CONVERSIONS_PATH
from sandbox.linkedin_ads_conversions import PER_DAY, PER_MINUTE, ConversionEvents
from sandbox.linkedin_ads_data import (
    Campaign,
    Creative,
    CreativeDay,
    LinkedInAdsData,
    money_text,
)
from sandbox.world import World

ELEMENT_CAP = 15_000
MAX_FIELDS = 20
PAGE_SIZE = 100  # the documented default of every cursor-paged search finder
MAX_PAGE_SIZES = {"adCampaigns": 1000, "adCampaignGroups": 1000, "creatives": 100}
LONG_PLACES = 22  # digits after the point of a "long" cost string ("12.3400000000000000000000")
# LinkedIn's Marketing versions and their sunset days (sources in the module docstring).
SUNSETS: dict[str, date] = {
    "202407": date(2025, 7, 22),
    "202408": date(2025, 8, 18),
    "202409": date(2025, 9, 15),
    "202410": date(2025, 10, 15),
    "202411": date(2025, 11, 17),
    "202504": date(2026, 4, 15),
    "202505": date(2026, 5, 15),
    "202506": date(2026, 6, 15),
    "202507": date(2026, 7, 15),
    "202508": date(2026, 8, 17),
    "202509": date(2026, 9, 15),
    "202510": date(2026, 10, 15),
    "202511": date(2026, 11, 16),
    "202601": date(2027, 1, 15),
    "202602": date(2027, 2, 15),
    "202603": date(2027, 3, 16),
    "202604": date(2027, 4, 15),
    "202605": date(2027, 5, 15),
    "202606": date(2027, 6, 15),
    "202607": date(2027, 7, 15),
}
SCOPES = ("r_ads", "r_ads_reporting", "rw_conversions")
TOKEN_PATH = "/oauth/v2/accessToken"
ACCOUNT = re.compile(r"/rest/adAccounts/(\d+)")
FINDER = re.compile(r"/rest/adAccounts/(\d+)/(adCampaigns|adCampaignGroups|creatives)")
ACCOUNT_URN = "urn:li:sponsoredAccount:"
GROUP_URN = "urn:li:sponsoredCampaignGroup:"
CAMPAIGN_URN = "urn:li:sponsoredCampaign:"
CREATIVE_URN = "urn:li:sponsoredCreative:"
THROTTLE = "Resource level throttle limit for calls to this resource is reached."
DAY_THROTTLE = (
    "Resource level throttle APPLICATION_AND_MEMBER DAY limit for calls to this resource is "
    "reached."
)

# adAnalytics metric fields served, and how each is computed from a group of creative-days.
METRICS: dict[str, Callable[[list[CreativeDay]], Any]] = {
    "impressions": lambda rows: sum(r.impressions for r in rows),
    "clicks": lambda rows: sum(r.clicks for r in rows),
    "landingPageClicks": lambda rows: sum(r.landing_page_clicks for r in rows),
    "costInLocalCurrency": lambda rows: _cost(rows, lambda r: r.cost_micros),
    "costInUsd": lambda rows: _cost(rows, lambda r: r.cost_usd_micros),
    "externalWebsiteConversions": lambda rows: sum(r.conversions for r in rows),
    "oneClickLeads": lambda rows: sum(r.leads for r in rows),
}
PIVOTS: dict[str, Callable[[CreativeDay], str]] = {
    "CREATIVE": lambda r: f"{CREATIVE_URN}{r.creative_id}",
    "CAMPAIGN": lambda r: f"{CAMPAIGN_URN}{r.campaign_id}",
    "CAMPAIGN_GROUP": lambda r: f"{GROUP_URN}{r.group_id}",
    "ACCOUNT": lambda r: f"{ACCOUNT_URN}{r.account_id}",
}
DEFAULT_FIELDS = ("dateRange", "pivotValues", "impressions", "clicks", "costInLocalCurrency")


@dataclass(frozen=True)
class LinkedInAdsCredentials:
    access_token: str = "AQVsandbox-linkedin-access-token-000000"
    client_id: str = "86sandboxclientid"
    client_secret: str = "sandbox-linkedin-client-secret"
    refresh_token: str = "AQXsandbox-linkedin-refresh-token"
    refresh_expires_in: int = 31_536_000  # seconds left; 365 days when issued, never reset


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, service_code: int | None = 100
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.service_code = (
            status,
            code,
            message,
            service_code,
        )

    def response(self, headers: dict[str, str] | None = None) -> Response:
        body: dict[str, Any] = {"status": self.status}
        if self.service_code is not None:  # LinkedIn leaves it out of some bodies (426)
            body["serviceErrorCode"] = self.service_code
        body |= {"code": self.code, "message": self.message}
        return json_response(self.status, body, headers)


class RestliError(ValueError):
    """The Rest.li 2.0 text does not parse."""


def parse_restli(text: str) -> Any:
    """A Rest.li 2.0 value: ``List(a,b)`` → list, ``(k:v,…)`` → dict, anything else → str."""
    value, end = _restli_value(text, 0)
    if end != len(text):
        raise RestliError(f"unexpected {text[end:]!r}")
    return value


def _restli_value(text: str, at: int) -> tuple[Any, int]:
    if text.startswith("List(", at):
        items: list[Any] = []
        at += len("List(")
        while not text.startswith(")", at):
            item, at = _restli_value(text, at)
            items.append(item)
            at = _after_separator(text, at)
        return items, at + 1
    if text.startswith("(", at):
        record: dict[str, Any] = {}
        at += 1
        while not text.startswith(")", at):
            colon = text.find(":", at)
            if colon < 0:
                raise RestliError("expected key:value")
            record[text[at:colon]], at = _restli_value(text, colon + 1)
            at = _after_separator(text, at)
        return record, at + 1
    match = re.compile(r"[^,()]*").match(text, at)
    assert match is not None  # the pattern matches the empty string
    return match.group(), match.end()


def _after_separator(text: str, at: int) -> int:
    if text.startswith(",", at):
        return at + 1
    if text.startswith(")", at):
        return at
    raise RestliError("unclosed ( or List(")


class LinkedInAdsServer(StandInServer):
    def __init__(
        self,
        world: World,
        *,
        credentials: LinkedInAdsCredentials | None = None,
        faults: Faults | None = None,
        element_cap: int = ELEMENT_CAP,
        api_today: date | None = None,
        scopes: Iterable[str] = SCOPES,
        account_status: str = "ACTIVE",  # or CANCELED, DRAFT, PENDING_DELETION, REMOVED
        conversion_requests_per_minute: int = PER_MINUTE,
        conversion_requests_per_day: int = PER_DAY,
        conversions_today: date | None = None,
    ) -> None:
        super().__init__(faults)
        self.data: LinkedInAdsData = world.linkedin_ads
        self.credentials = credentials or LinkedInAdsCredentials()
        self.element_cap = element_cap
        self.api_today = api_today
        self.scopes = frozenset(scopes)
        self.account_status = account_status
        self._tokens = {self.credentials.access_token}
        self._token_lock = threading.Lock()
        self._issued = itertools.count(1)
        # The demo account's conversion rules; the conversion uploads' state and records.
        # Conversions are judged on the world's as-of day (the day after its end), as Google's
        # stand-in judges them: the world's events are that old, whatever the API's calendar.
        as_of = conversions_today or world.config.end + timedelta(days=1)
        self.conversions = ConversionEvents(
            set(LINKEDIN_CONVERSION_RULES.values()),
            lambda: as_of,
            per_minute=conversion_requests_per_minute,
            per_day=conversion_requests_per_day,
        )
        self.conversion_bodies = self.conversions.bodies
        self.accepted_conversions = self.conversions.accepted
        self.transient_click_ids = self.conversions.transient_click_ids

    def env(self) -> dict[str, str]:
        """The ``THINLINE_LINKEDIN_ADS__*`` settings that reach this server."""
        credentials = self.credentials
        return {
            "THINLINE_LINKEDIN_ADS__BASE_URL": self.url,
            "THINLINE_LINKEDIN_ADS__TOKEN_URL": self.url + TOKEN_PATH,
            "THINLINE_LINKEDIN_ADS__ACCESS_TOKEN": credentials.access_token,
            "THINLINE_LINKEDIN_ADS__CLIENT_ID": credentials.client_id,
            "THINLINE_LINKEDIN_ADS__CLIENT_SECRET": credentials.client_secret,
            "THINLINE_LINKEDIN_ADS__REFRESH_TOKEN": credentials.refresh_token,
            "THINLINE_LINKEDIN_ADS__ACCOUNT_IDS": str(self.data.account.account_id),
        }

    def today(self) -> date:
        return self.api_today or utc_today()

    def is_live(self, version: str) -> bool:
        """Released (the first of its month) and not yet sunset, as of ``today()``."""
        sunset = SUNSETS.get(version)
        if sunset is None:
            return False
        released = date(int(version[:4]), int(version[4:6]), 1)
        return released <= self.today() < sunset

    def takes_faults(self, request: Request) -> bool:
        return request.path != TOKEN_PATH  # faults model the Marketing API, not OAuth

    def _respond(self, request: Request) -> tuple[Response, Fault | None]:
        if request.path == CONVERSIONS_PATH and request.method == "POST":
            self.conversions.received(request.body)  # before faults: every body is seen
        return super()._respond(request)

    def route(self, request: Request) -> Response:
        if request.path == TOKEN_PATH and request.method == "POST":
            return self._token(request)
        try:
            if request.path == CONVERSIONS_PATH and request.method == "POST":
                return self._conversion_events(request)
            if not request.path.startswith("/rest/") or request.method != "GET":
                raise ApiError(404, "NOT_FOUND", f"No sandbox route for {request.path}")
            self._check_headers(request)
            if request.path == "/rest/adAnalytics":
                return self._analytics(request)
            if match := FINDER.fullmatch(request.path):
                return self._finder(request, int(match[1]), match[2])
            if match := ACCOUNT.fullmatch(request.path):
                self._require_scope("r_ads", "rw_ads", resource="adAccounts")
                return json_response(200, self._account_json(int(match[1])))
            raise ApiError(404, "NOT_FOUND", f"No sandbox route for {request.path}")
        except ApiError as error:
            return error.response()

    # POST /oauth/v2/accessToken: the refresh-token grant.
    def _token(self, request: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode(errors="replace")).items()}
        expected = self.credentials
        if form.get("grant_type") != "refresh_token":
            body = {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}
            return json_response(400, body)
        if (form.get("client_id"), form.get("client_secret"), form.get("refresh_token")) != (
            expected.client_id,
            expected.client_secret,
            expected.refresh_token,
        ):
            description = "The provided authorization grant or refresh token is invalid"
            return json_response(
                400, {"error": "invalid_request", "error_description": description}
            )
        token = f"AQVsandbox-refreshed-{next(self._issued):06d}"
        with self._token_lock:
            self._tokens.add(token)
        return json_response(
            200,
            {
                "access_token": token,
                "expires_in": 5_184_000,  # 60 days
                "refresh_token": expected.refresh_token,  # the same: its TTL does not reset
                "refresh_token_expires_in": expected.refresh_expires_in,
                "scope": ",".join(sorted(self.scopes)),
            },
        )

    def _check_headers(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        with self._token_lock:
            valid = token in self._tokens
        if not valid:
            raise ApiError(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
        version = request.headers.get("LinkedIn-Version")
        if not version:
            # [inferred] code and wording of the missing-version error
            message = "A version must be present. Please specify a version by adding the "
            raise ApiError(400, "VERSION_MISSING", message + "LinkedIn-Version header.")
        if not self.is_live(version):
            echoed = version + "01" if len(version) == 6 else version
            message = f"Requested version {echoed} is not active"
            raise ApiError(426, "NONEXISTENT_VERSION", message, service_code=None)
        if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
            # [inferred] Rest.li 1.0 cannot read List(...) parameters
            message = "Rest.li protocol 2.0.0 is required (X-Restli-Protocol-Version: 2.0.0)"
            raise ApiError(400, "ILLEGAL_ARGUMENT", message)

    # GET /rest/adAccounts/{id}
    def _account_json(self, account_id: int) -> dict[str, Any]:
        account = self.data.account
        if account_id != account.account_id:
            raise ApiError(404, "NOT_FOUND", f"Not found: {ACCOUNT_URN}{account_id}", 404)
        return {
            "id": account.account_id,
            "name": account.name,
            "currency": account.currency,
            "status": self.account_status,
            "type": "BUSINESS",
            "reference": f"urn:li:organization:{account.organization_id}",
            "test": False,
            "notifiedOnCampaignOptimization": True,
            "servingStatuses": ["RUNNABLE"],
            "changeAuditStamps": {
                "created": {"time": account.created_ms},
                "lastModified": {"time": account.created_ms},
            },
        }

    # Finders: adCampaigns / adCampaignGroups (q=search) and creatives (q=criteria).
    def _finder(self, request: Request, account_id: int, kind: str) -> Response:
        self._account_json(account_id)  # 404 for an unknown account
        expected = "criteria" if kind == "creatives" else "search"
        if request.param("q") != expected:
            raise ApiError(400, "ILLEGAL_ARGUMENT", f"{kind} needs q={expected}")
        if kind == "creatives" and request.headers.get("X-RestLi-Method", "").upper() != "FINDER":
            raise ApiError(400, "ILLEGAL_ARGUMENT", "creatives needs X-RestLi-Method: FINDER")
        self._require_scope("r_ads", "rw_ads", resource=kind)
        size, largest = _int_param(request, "pageSize", PAGE_SIZE), MAX_PAGE_SIZES[kind]
        if not 1 <= size <= largest:
            message = f"Invalid value {size} for pageSize: it must be between 1 and {largest}"
            raise ApiError(400, "ILLEGAL_ARGUMENT", message)
        offset = _offset(request.param("pageToken"))
        items = self._finder_items(request, kind)
        page = items[offset : offset + size]
        metadata: dict[str, Any] = {}
        if offset + size < len(items):
            metadata["nextPageToken"] = base64.urlsafe_b64encode(
                f"offset:{offset + size}".encode()
            ).decode()
        body = {
            "elements": page,
            "metadata": metadata,
            "paging": {"start": 0, "count": size, "links": []},
        }
        return json_response(200, body)

    def _finder_items(self, request: Request, kind: str) -> list[dict[str, Any]]:
        data = self.data
        if kind == "creatives":
            campaigns = _urn_ids(request, "campaigns", CAMPAIGN_URN)
            statuses = _list_param(request, "intendedStatuses")
            by_id = {c.campaign_id: c for c in data.campaigns}
            return [
                self._creative_json(c, by_id[c.campaign_id])
                for c in data.creatives
                if (campaigns is None or c.campaign_id in campaigns)
                and (statuses is None or c.intended_status in statuses)
            ]
        search = request.param("search")
        try:
            criteria = parse_restli(search) if search else {}
            statuses = (criteria.get("status") or {}).get("values")
        except (RestliError, AttributeError) as error:
            raise ApiError(400, "ILLEGAL_ARGUMENT", f"Invalid search: {search}") from error
        if kind == "adCampaignGroups":
            groups = [g for g in data.groups if statuses is None or g.status in statuses]
            return [
                {
                    "id": g.group_id,
                    "account": f"{ACCOUNT_URN}{g.account_id}",
                    "name": g.name,
                    "status": g.status,
                    "test": False,
                }
                for g in groups
            ]
        return [
            self._campaign_json(c)
            for c in data.campaigns
            if statuses is None or c.status in statuses
        ]

    def _campaign_json(self, campaign: Campaign) -> dict[str, Any]:
        currency = self.data.account.currency
        launched = day_start_ms(campaign.launch_day)
        stop_day = campaign.stop_day if campaign.status != "ACTIVE" else None
        modified = day_start_ms(stop_day) if stop_day else launched
        schedule: dict[str, int] = {"start": launched}
        if stop_day:
            schedule["end"] = modified
        return {
            "id": campaign.campaign_id,
            "account": f"{ACCOUNT_URN}{campaign.account_id}",
            "campaignGroup": f"{GROUP_URN}{campaign.group_id}",
            "name": campaign.name,
            "status": campaign.status,
            "type": "SPONSORED_UPDATES",
            "costType": campaign.cost_type,
            "objectiveType": campaign.objective,
            "dailyBudget": {
                "amount": money_text(campaign.daily_budget_micros, 2),
                "currencyCode": currency,
            },
            "unitCost": {
                "amount": money_text(campaign.unit_cost_micros, 2),
                "currencyCode": currency,
            },
            "runSchedule": schedule,
            "locale": {"country": "US", "language": "en"},
            "test": False,
            "changeAuditStamps": {
                "created": {"time": launched - 86_400_000},
                "lastModified": {"time": modified},
            },
        }

    def _creative_json(self, creative: Creative, campaign: Campaign) -> dict[str, Any]:
        created = day_start_ms(campaign.launch_day) - 3_600_000
        stopped = campaign.stop_day if creative.intended_status != "ACTIVE" else None
        modified = day_start_ms(stopped) if stopped else created
        return {
            "id": f"{CREATIVE_URN}{creative.creative_id}",
            "account": f"{ACCOUNT_URN}{creative.account_id}",
            "campaign": f"{CAMPAIGN_URN}{creative.campaign_id}",
            "name": creative.name,
            "intendedStatus": creative.intended_status,
            "isServing": creative.intended_status == "ACTIVE",
            "isTest": False,
            "content": {
                "textAd": {
                    "headline": campaign.name[:25],
                    "description": f"{creative.name} - see how Thinline does it"[:75],
                    "landingPage": creative.landing_page,
                }
            },
            "createdAt": created,
            "lastModifiedAt": modified,
        }

    def _require_scope(self, *accepted: str, resource: str, method: str = "GET") -> None:
        if not self.scopes & set(accepted):
            message = f"Not enough permissions to access: {resource}.{method}"
            raise ApiError(403, "ACCESS_DENIED", message)

    # POST /rest/conversionEvents
    def _conversion_events(self, request: Request) -> Response:
        self._check_headers(request)
        method = (request.headers.get("X-RestLi-Method") or "CREATE").upper()
        self._require_scope("rw_conversions", resource="conversionEvents", method=method)
        limit = self.conversions.over_limit()
        if limit is not None:
            message = DAY_THROTTLE if limit == "day" else THROTTLE
            raise ApiError(429, "TOO_MANY_REQUESTS", message, 101)
        return self.conversions.create(request)

    # GET /rest/adAnalytics?q=analytics
    def _analytics(self, request: Request) -> Response:
        self._require_scope("r_ads_reporting", resource="adAnalytics")
        if request.param("q") != "analytics":
            raise ApiError(400, "ILLEGAL_ARGUMENT", "adAnalytics needs q=analytics")
        pivot = request.param("pivot") or ""
        if pivot not in PIVOTS:
            raise ApiError(400, "ILLEGAL_ARGUMENT", f"Unsupported pivot: {pivot}")
        granularity = request.param("timeGranularity") or ""
        if granularity not in ("DAILY", "ALL"):
            raise ApiError(400, "ILLEGAL_ARGUMENT", f"Unsupported timeGranularity: {granularity}")
        first, last = _date_range(request.param("dateRange"))
        fields = (request.param("fields") or ",".join(DEFAULT_FIELDS)).split(",")
        if len(fields) > MAX_FIELDS:
            raise ApiError(400, "ILLEGAL_ARGUMENT", f"At most {MAX_FIELDS} fields per request")
        unknown = [f for f in fields if f not in METRICS and f not in ("dateRange", "pivotValues")]
        if unknown:
            raise ApiError(400, "ILLEGAL_ARGUMENT", f"Invalid fields: {','.join(unknown)}")
        accounts = _urn_ids(request, "accounts", ACCOUNT_URN)
        campaigns = _urn_ids(request, "campaigns", CAMPAIGN_URN)
        creatives = _urn_ids(request, "creatives", CREATIVE_URN)
        if accounts is None and campaigns is None and creatives is None:
            raise ApiError(400, "ILLEGAL_ARGUMENT", "One of accounts, campaigns or creatives")
        groups: dict[tuple[str, date | None], list[CreativeDay]] = defaultdict(list)
        for row in self.data.analytics:
            if not first <= row.day <= (last or row.day):
                continue
            if (
                (accounts is not None and row.account_id not in accounts)
                or (campaigns is not None and row.campaign_id not in campaigns)
                or (creatives is not None and row.creative_id not in creatives)
            ):
                continue
            groups[PIVOTS[pivot](row), row.day if granularity == "DAILY" else None].append(row)
        elements = []
        for (pivot_value, day), rows in sorted(groups.items(), key=_element_order):
            span = (day, day) if day else (first, last or max(r.day for r in rows))
            elements.append(_element(fields, pivot_value, span, rows))
        body = {
            "paging": {"start": 0, "count": 10, "links": []},
            "elements": elements[: self.element_cap],  # truncated silently, as LinkedIn does
        }
        return json_response(200, body)

    def fault_response(self, fault: Fault, nth: int, request: Request) -> Response:
        if fault is Fault.RATE_LIMIT:
            seconds = self.faults.retry_after_seconds
            headers = {} if seconds is None else {"Retry-After": f"{seconds:g}"}
            return ApiError(429, "TOO_MANY_REQUESTS", THROTTLE, 101).response(headers)
        if fault is Fault.DAILY_QUOTA:
            return ApiError(429, "TOO_MANY_REQUESTS", DAY_THROTTLE, 101).response()
        if fault is Fault.SERVER_ERROR:
            if nth % 2:
                return ApiError(503, "SERVICE_UNAVAILABLE", "Service Unavailable", 0).response()
            return ApiError(500, "INTERNAL_SERVER_ERROR", "Internal Server Error", 0).response()
        # EXPIRED_TOKEN: the presented token stops working; the client must refresh.
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with self._token_lock:
            self._tokens.discard(token)
        message = "The token used in the request has expired"
        return ApiError(401, "EXPIRED_ACCESS_TOKEN", message, 65601).response()


def _cost(rows: list[CreativeDay], micros: Callable[[CreativeDay], int]) -> str:
    places = LONG_PLACES if len(rows) == 1 and rows[0].long_cost else 0
    return money_text(sum(micros(r) for r in rows), places)


def _element(
    fields: list[str], pivot_value: str, span: tuple[date, date], rows: list[CreativeDay]
) -> dict[str, Any]:
    element: dict[str, Any] = {}
    for name in fields:
        if name == "dateRange":
            element[name] = {"start": _date_json(span[0]), "end": _date_json(span[1])}
        elif name == "pivotValues":
            element[name] = [pivot_value]
        else:
            element[name] = METRICS[name](rows)
    return element


def _element_order(item: tuple[tuple[str, date | None], Any]) -> tuple[date, int]:
    (pivot_value, day), _ = item
    return day or date.min, int(pivot_value.rsplit(":", 1)[1])


def _date_json(day: date) -> dict[str, int]:
    return {"year": day.year, "month": day.month, "day": day.day}


def _date_range(text: str | None) -> tuple[date, date | None]:
    """``(start:(year:Y,month:M,day:D),end:(…))``; ``end`` (inclusive) is optional."""
    try:
        value = parse_restli(text or "")
        start = value["start"]
        first = date(int(start["year"]), int(start["month"]), int(start["day"]))
        end = value.get("end")
        last = date(int(end["year"]), int(end["month"]), int(end["day"])) if end else None
    except (RestliError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise ApiError(400, "ILLEGAL_ARGUMENT", f"Invalid dateRange: {text}") from error
    if last is not None and last < first:
        raise ApiError(400, "ILLEGAL_ARGUMENT", "dateRange end is before its start")
    return first, last


def _list_param(request: Request, name: str) -> list[str] | None:
    text = request.param(name)
    if text is None:
        return None
    try:
        value = parse_restli(text)
    except RestliError as error:
        raise ApiError(400, "ILLEGAL_ARGUMENT", f"Invalid {name}: {text}") from error
    if not isinstance(value, list):
        raise ApiError(400, "ILLEGAL_ARGUMENT", f"{name} must be List(...)")
    return [str(item) for item in value]


def _urn_ids(request: Request, name: str, prefix: str) -> set[int] | None:
    items = _list_param(request, name)
    if items is None:
        return None
    if not all(item.startswith(prefix) and item[len(prefix) :].isdigit() for item in items):
        raise ApiError(400, "ILLEGAL_ARGUMENT", f"{name} must list {prefix}<id> URNs")
    return {int(item[len(prefix) :]) for item in items}


def _int_param(request: Request, name: str, default: int) -> int:
    text = request.param(name)
    if text is None:
        return default
    if not text.isdigit():
        raise ApiError(400, "ILLEGAL_ARGUMENT", f"{name} must be a number")
    return int(text)


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        prefix, offset = text.split(":")
        if prefix != "offset":
            raise ValueError(text)
        return int(offset)
    except ValueError as error:
        raise ApiError(400, "ILLEGAL_ARGUMENT", "Invalid pageToken") from error
