"""A local Google Ads REST API (searchStream) and OAuth token endpoint for one World.

Wire format per ``reference/source_apis.md`` §3: ``POST /{version}/customers/{id}/
googleAds:searchStream`` answers a JSON array of batches, and its errors are arrays too
(``google.rpc.Status`` with a ``GoogleAdsFailure``). Requests need an access token from
``POST /token`` and, for client accounts reached through the manager, ``login-customer-id``.

What it models of Google, each from Google's pages rather than from the connector:

* **Versions** live and die by :data:`API_VERSIONS`, evaluated at ``api_today`` (default: the
  real UTC date; the world's data has its own as-of day, the API is live today). A version
  Google has not released, or one older than the table, is a path Google does not serve: its
  HTML 404 page. A sunset version gets the 400 clients have seen for years, ``requestError:
  UNKNOWN`` with " Version vN is deprecated. Requests to this version will be blocked."
  (googleads/google-ads-python#332, Opteo/google-ads-api#438). Months after a sunset Google
  drops the version altogether and answers the 404 (cohnen/mcp-google-ads#24); the stand-in
  keeps the 400 for the versions in its table.
* **Developer tokens** were sunset on 2026-09-09: since then the header is optional and ignored,
  and the access level belongs to the Google Cloud project that owns the OAuth client
  (https://developers.google.com/google-ads/api/docs/api-policy/developer-token). Before that
  day a missing token is ``requestError: DEVELOPER_TOKEN_PARAMETER_MISSING`` (400,
  google/megalista#106) and a wrong one ``authenticationError: DEVELOPER_TOKEN_INVALID`` (v19.1+).
  A project with Test access (``access_level="TEST"``) may not read production accounts:
  ``authorizationError: CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION`` from v25,
  ``ACTION_NOT_PERMITTED`` before (same page).
* **Account status**: an account in ``inactive_customers`` (CANCELED, SUSPENDED, CLOSED;
  ``CustomerStatusEnum``) answers ``authorizationError: CUSTOMER_NOT_ENABLED``, an error the
  connector has no special case for (the body as quoted on the Google Ads API forum).
* **OAuth**: an unknown client is 401 ``invalid_client`` "The OAuth client was not found.", a
  wrong secret 401 ``invalid_client`` "Unauthorized", a bad refresh token 400 ``invalid_grant``
  "Token has been expired or revoked." (developers.google.com/google-ads/api/docs/get-started/
  common-errors).
* **A broken stream**: ``stream_error_after=n`` sends ``n`` result batches, then an ``{"error":
  Status}`` element instead of the rest, as Google's REST streaming does once the 200 is on the
  wire (https://cloud.google.com/apis/docs/http "streaming"; googleapis/gapic-showcase#1377).
* ``GET /{version}/customers:listAccessibleCustomers``: the accounts the OAuth user reaches
  directly (``ListAccessibleCustomersResponse.resource_names``): the manager.
* ``POST /{version}/customers/{id}:uploadClickConversions``: offline click conversions,
  validated and answered by :mod:`sandbox.google_ads_conversions` against the world's clicks,
  with the world's as-of moment as "now" (``conversions_now``). It records every body as
  received (``conversion_bodies``) and what it took (``accepted_conversions``); a click id in
  ``transient_click_ids`` fails its row with ``internalError: INTERNAL_ERROR`` every time.
  Faults reach it as the other methods, answered as a unary method: ``{"error": Status}``.
"""

from __future__ import annotations

import itertools
import re
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs

from sandbox.clock import utc_today
from sandbox.faults import Fault, Faults
from sandbox.gaql import GaqlError, parse
from sandbox.google_ads_conversions import UPLOAD, ConversionUploads, Refusal
from sandbox.google_ads_report import field_mask, run
from sandbox.http import Request, Response, StandInServer, json_array_stream, json_response
from sandbox.world import World

SEARCH_STREAM = re.compile(r"/(v\d+)/customers/([^/]+)/googleAds:searchStream")
ACCESSIBLE = re.compile(r"/(v\d+)/customers:listAccessibleCustomers")
VERSIONED = re.compile(r"/(v\d+)/.*")
BATCH_ROWS = 10_000
FAILURE_TYPE = "type.googleapis.com/google.ads.googleads.{version}.errors.GoogleAdsFailure"

# Google's version lifecycle, (released, sunset). Releases: the release notes
# (https://developers.google.com/google-ads/api/docs/release-notes). Sunsets v19-v22: the
# "Google Ads API vN sunset reminder" posts on https://developers.google.com/ads/blog; v23-v26:
# the month projected in .../ads/blog/posts/2025/09/more-frequent-releases-coming-for, taken as
# its first day. Minor versions (v26.1) are served at their major's path.
API_VERSIONS: dict[str, tuple[date, date]] = {
    "v19": (date(2025, 2, 26), date(2026, 2, 11)),
    "v20": (date(2025, 6, 4), date(2026, 6, 10)),
    "v21": (date(2025, 8, 6), date(2026, 8, 5)),
    "v22": (date(2025, 10, 15), date(2026, 10, 7)),
    "v23": (date(2026, 1, 28), date(2027, 2, 1)),
    "v24": (date(2026, 4, 22), date(2027, 5, 1)),
    "v25": (date(2026, 7, 22), date(2027, 8, 1)),
    "v26": (date(2026, 10, 14), date(2027, 11, 1)),
}
DEVELOPER_TOKEN_SUNSET = date(2026, 9, 9)
CLOUD_PROJECT_ERROR_FROM = 25  # CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION exists from v25 on
ACCESS_LEVELS = ("TEST", "EXPLORER", "BASIC", "STANDARD")

DEPRECATED = " Version {version} is deprecated. Requests to this version will be blocked."
PERMISSION_DENIED = (
    "User doesn't have permission to access customer. Note: If you're accessing a client "
    "customer, the manager's customer id must be set in the 'login-customer-id' header."
)
TEST_PROJECT = (
    "The Google Cloud project is only approved for use with test accounts. To access non-test "
    "accounts, apply for Explorer, Basic or Standard access."
)
NOT_ENABLED = "The customer can't be used because it isn't enabled."
TOP_MESSAGES = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: (
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential.",
    ),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    500: ("INTERNAL", "Internal error encountered."),
    503: ("UNAVAILABLE", "The service is currently unavailable."),
}
# Google's front end answers a path it does not serve with this page, not with JSON.
NOT_FOUND_PAGE = (
    "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
    "  <title>Error 404 (Not Found)!!1</title>\n"
    "  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>\n"
    "  <p><b>404.</b> <ins>That\u2019s an error.</ins>\n"
    "  <p>The requested URL <code>{path}</code> was not found on this server.  "
    "<ins>That\u2019s all we know.</ins>\n"
)


@dataclass(frozen=True)
class GoogleAdsCredentials:
    developer_token: str = "SANDBOXdevTOKEN0000001"  # 22 characters, like the old real ones
    client_id: str = "100000000001-sandbox.apps.googleusercontent.com"
    client_secret: str = "GOCSPX-sandbox-client-secret"
    refresh_token: str = "1//0sandbox-refresh-token"


class AdsError(Exception):
    def __init__(self, code: int, error_code: dict[str, str], message: str, **details: Any) -> None:
        super().__init__(message)
        self.code, self.error_code, self.message, self.details = code, error_code, message, details


class GoogleAdsServer(StandInServer):
    def __init__(
        self,
        world: World,
        *,
        credentials: GoogleAdsCredentials | None = None,
        faults: Faults | None = None,
        require_login_customer_id: bool = True,
        batch_rows: int = BATCH_ROWS,
        api_today: date | None = None,
        access_level: str = "STANDARD",
        inactive_customers: Mapping[int, str] | None = None,
        stream_error_after: int | None = None,
        conversions_now: datetime | None = None,
    ) -> None:
        super().__init__(faults)
        if access_level not in ACCESS_LEVELS:
            raise ValueError(f"access_level must be one of {ACCESS_LEVELS}")
        self.data = world.google_ads
        # The day the world's requests are "made": the as-of day after ``end`` (click_view's 90
        # days end here). The API's own calendar (versions, developer tokens) is ``api_today``.
        self.today = world.config.end + timedelta(days=1)
        self.credentials = credentials or GoogleAdsCredentials()
        manager = str(self.data.manager.customer_id)
        self.login_customer_id = manager if require_login_customer_id else None
        self.batch_rows = batch_rows
        self.access_level = access_level
        self.inactive_customers = dict(inactive_customers or {})
        self.stream_error_after = stream_error_after
        self._api_today = api_today
        self._tokens: set[str] = set()
        self._token_lock = threading.Lock()
        self._issued = itertools.count(1)
        # Offline conversions are judged at the world's as-of moment: its clicks are that old.
        self.conversions = ConversionUploads(
            self.data, conversions_now or datetime.combine(self.today, time.min, UTC)
        )
        self.conversion_bodies = self.conversions.bodies
        self.accepted_conversions = self.conversions.accepted
        self.transient_click_ids = self.conversions.transient_click_ids

    @property
    def api_today(self) -> date:
        return self._api_today or utc_today()

    @property
    def newest_version(self) -> str:
        """The newest version Google serves on ``api_today``."""
        today = self.api_today
        live = [v for v, (released, sunset) in API_VERSIONS.items() if released <= today < sunset]
        return max(live, key=lambda version: API_VERSIONS[version][0])

    def env(self) -> dict[str, str]:
        credentials, customers = self.credentials, self.data.customers
        return {
            "THINLINE_GOOGLE_ADS__BASE_URL": self.url,
            "THINLINE_GOOGLE_ADS__TOKEN_URL": f"{self.url}/token",
            "THINLINE_GOOGLE_ADS__DEVELOPER_TOKEN": credentials.developer_token,
            "THINLINE_GOOGLE_ADS__CLIENT_ID": credentials.client_id,
            "THINLINE_GOOGLE_ADS__CLIENT_SECRET": credentials.client_secret,
            "THINLINE_GOOGLE_ADS__REFRESH_TOKEN": credentials.refresh_token,
            "THINLINE_GOOGLE_ADS__CUSTOMER_IDS": ",".join(str(c.customer_id) for c in customers),
            "THINLINE_GOOGLE_ADS__LOGIN_CUSTOMER_ID": str(self.data.manager.customer_id),
        }

    def takes_faults(self, request: Request) -> bool:
        return request.path != "/token"  # faults model the Ads API, not Google's OAuth server

    def route(self, request: Request) -> Response:
        if request.path == "/token" and request.method == "POST":
            return self._token(request)
        versioned = VERSIONED.fullmatch(request.path)
        version = versioned[1] if versioned else None
        released, sunset = API_VERSIONS.get(version or "", (None, None))
        if released is None or sunset is None or released > self.api_today:
            return _not_found(request.path)  # never released, or older than anyone serves
        search = SEARCH_STREAM.fullmatch(request.path) if request.method == "POST" else None
        accessible = ACCESSIBLE.fullmatch(request.path) if request.method == "GET" else None
        upload = UPLOAD.fullmatch(request.path) if request.method == "POST" else None
        if not (search or accessible or upload):
            return _not_found(request.path)
        request_id = _request_id()
        try:
            if sunset <= self.api_today:
                raise AdsError(400, {"requestError": "UNKNOWN"}, DEPRECATED.format(version=version))
            if accessible:
                return self._accessible_customers(request, request_id)
            if upload:
                return self._upload_click_conversions(request, upload[1], upload[2], request_id)
            return self._search_stream(request, search[1], search[2], request_id)
        except AdsError as error:
            if search is None:  # a unary method: the Status alone, not in an array
                body = _error_body(str(version), request_id, error)
                return json_response(error.code, body, {"request-id": request_id})
            return _error(search[1], request_id, error)

    # POST /token: OAuth 2 refresh-token grant.
    def _token(self, request: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode(errors="replace")).items()}
        expected = self.credentials
        if form.get("grant_type") != "refresh_token":
            body = {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}
            return json_response(400, body)
        if form.get("client_id") != expected.client_id:
            body = {
                "error": "invalid_client",
                "error_description": "The OAuth client was not found.",
            }
            return json_response(401, body)
        if form.get("client_secret") != expected.client_secret:
            return json_response(
                401, {"error": "invalid_client", "error_description": "Unauthorized"}
            )
        if form.get("refresh_token") != expected.refresh_token:
            body = {
                "error": "invalid_grant",
                "error_description": "Token has been expired or revoked.",
            }
            return json_response(400, body)
        token = f"ya29.sandbox-{next(self._issued):06d}"
        with self._token_lock:
            self._tokens.add(token)
        return json_response(
            200,
            {
                "access_token": token,
                "expires_in": 3599,
                "scope": "https://www.googleapis.com/auth/adwords",
                "token_type": "Bearer",
            },
        )

    # GET /{version}/customers:listAccessibleCustomers
    def _accessible_customers(self, request: Request, request_id: str) -> Response:
        self._authenticate(request)
        direct = [self.data.manager] if self.login_customer_id else list(self.data.customers)
        names = [f"customers/{customer.customer_id}" for customer in direct]
        return json_response(200, {"resourceNames": names}, {"request-id": request_id})

    # POST /{version}/customers/{id}/googleAds:searchStream
    def _search_stream(
        self, request: Request, version: str, customer_id: str, request_id: str
    ) -> Response:
        self._authenticate(request)
        self._authorize(request, version, customer_id)
        customer = self.data.customer(int(customer_id))
        if customer is None:
            raise AdsError(403, {"authorizationError": "USER_PERMISSION_DENIED"}, PERMISSION_DENIED)
        try:
            body = request.json()
            query = parse(body["query"])
            rows = run(self.data, customer, query, today=self.today)
        except (ValueError, TypeError, KeyError) as error:
            raise AdsError(
                400, {"requestError": "BAD_REQUEST_BODY"}, 'The body must be {"query": "<GAQL>"}.'
            ) from error
        except GaqlError as error:
            raise AdsError(400, {error.category: error.code}, error.message) from error
        mask = field_mask(query)
        batches: list[dict[str, Any]] = [
            {
                "results": rows[start : start + self.batch_rows],
                "fieldMask": mask,
                "requestId": request_id,
            }
            for start in range(0, len(rows), self.batch_rows)
        ] or [{"fieldMask": mask, "requestId": request_id}]  # no rows: one batch without results
        batches[-1]["queryResourceConsumption"] = str(10 + len(rows) // 100)
        broken = self.stream_error_after
        if broken is not None and len(batches) > broken:
            failure = AdsError(500, {"internalError": "INTERNAL_ERROR"}, "Internal error.")
            batches = [*batches[:broken], _error_body(version, request_id, failure)]
        return Response(200, json_array_stream(batches), {"request-id": request_id})

    # POST /{version}/customers/{id}:uploadClickConversions
    def _upload_click_conversions(
        self, request: Request, version: str, customer_id: str, request_id: str
    ) -> Response:
        self._authenticate(request)
        self._authorize(request, version, customer_id)
        if self.data.customer(int(customer_id)) is None:
            raise AdsError(403, {"authorizationError": "USER_PERMISSION_DENIED"}, PERMISSION_DENIED)
        try:
            answer = self.conversions.upload(version, int(customer_id), request.body, request_id)
        except Refusal as refusal:
            raise AdsError(refusal.http_status, refusal.error_code, refusal.message) from refusal
        return json_response(200, answer, {"request-id": request_id})

    def _authenticate(self, request: Request) -> None:
        """The OAuth bearer, and before the developer-token sunset, the developer token."""
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        with self._token_lock:
            valid = token in self._tokens
        if not valid:
            reason = "OAUTH_TOKEN_INVALID" if header else "OAUTH_TOKEN_HEADER_INVALID"
            raise AdsError(
                401, {"authenticationError": reason}, "Authentication of the request failed."
            )
        if self.api_today >= DEVELOPER_TOKEN_SUNSET:
            return  # the header is optional and ignored
        developer_token = request.headers.get("developer-token")
        if not developer_token:
            raise AdsError(
                400,
                {"requestError": "DEVELOPER_TOKEN_PARAMETER_MISSING"},
                "developer-token parameter is missing.",
            )
        if developer_token != self.credentials.developer_token:
            raise AdsError(
                401,
                {"authenticationError": "DEVELOPER_TOKEN_INVALID"},
                "The developer token is not valid.",
            )

    def _authorize(self, request: Request, version: str, customer_id: str) -> None:
        """``login-customer-id``, the project's access level and the account's status."""
        if (
            self.login_customer_id
            and request.headers.get("login-customer-id") != self.login_customer_id
        ):
            raise AdsError(403, {"authorizationError": "USER_PERMISSION_DENIED"}, PERMISSION_DENIED)
        if not customer_id.isdigit():
            raise AdsError(
                400, {"authenticationError": "CLIENT_CUSTOMER_ID_INVALID"}, "Invalid customer ID."
            )
        if self.access_level == "TEST":  # every account of the world is a production account
            reason = (
                "CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION"
                if int(version[1:]) >= CLOUD_PROJECT_ERROR_FROM
                else "ACTION_NOT_PERMITTED"
            )
            raise AdsError(403, {"authorizationError": reason}, TEST_PROJECT)
        if int(customer_id) in self.inactive_customers:
            raise AdsError(403, {"authorizationError": "CUSTOMER_NOT_ENABLED"}, NOT_ENABLED)

    def fault_response(self, fault: Fault, nth: int, request: Request) -> Response:
        match = VERSIONED.fullmatch(request.path)
        version = match[1] if match else self.newest_version
        if fault is Fault.RATE_LIMIT:
            seconds = self.faults.retry_after_seconds
            quota = {"rateScope": "ACCOUNT", "rateName": "Requests per service per method"}
            if seconds is not None:
                quota["retryDelay"] = f"{seconds:g}s"
            message = "Too many requests." + (f" Retry in {seconds:g} seconds." if seconds else "")
            error = AdsError(
                429, {"quotaError": "RESOURCE_EXHAUSTED"}, message, quotaErrorDetails=quota
            )
        elif fault is Fault.DAILY_QUOTA:
            quota = {
                "rateScope": "DEVELOPER",
                "rateName": "Number of operations for basic access",
                "retryDelay": "86400s",
            }
            message = "Too many requests. Retry in 86400 seconds."
            error = AdsError(
                429, {"quotaError": "RESOURCE_EXHAUSTED"}, message, quotaErrorDetails=quota
            )
        elif fault is Fault.SERVER_ERROR:
            code, reason = (503, "TRANSIENT_ERROR") if nth % 2 else (500, "INTERNAL_ERROR")
            error = AdsError(code, {"internalError": reason}, "An internal error has occurred.")
        else:  # EXPIRED_TOKEN: the presented token stops working; the client must refresh
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            with self._token_lock:
                self._tokens.discard(token)
            error = AdsError(
                401, {"authenticationError": "OAUTH_TOKEN_EXPIRED"}, "OAuth token expired."
            )
        if UPLOAD.fullmatch(request.path):  # a unary method: the Status alone
            request_id = _request_id()
            body = _error_body(version, request_id, error)
            return json_response(error.code, body, {"request-id": request_id})
        return _error(version, _request_id(), error)


def _error_body(version: str, request_id: str, error: AdsError) -> dict[str, Any]:
    """``{"error": google.rpc.Status}`` carrying one GoogleAdsFailure."""
    status, message = TOP_MESSAGES[error.code]
    if not error.error_code:  # refused before Google Ads read it (bad JSON): no GoogleAdsFailure
        return {"error": {"code": error.code, "message": error.message, "status": status}}
    failure: dict[str, Any] = {"errorCode": error.error_code, "message": error.message}
    if error.details:
        failure["details"] = error.details
    return {
        "error": {
            "code": error.code,
            "message": message,
            "status": status,
            "details": [
                {
                    "@type": FAILURE_TYPE.format(version=version),
                    "errors": [failure],
                    "requestId": request_id,
                }
            ],
        }
    }


def _error(version: str, request_id: str, error: AdsError) -> Response:
    body = [_error_body(version, request_id, error)]  # searchStream: an array
    return json_response(error.code, body, {"request-id": request_id})


def _not_found(path: str) -> Response:
    return Response(404, NOT_FOUND_PAGE.format(path=path).encode())


def _request_id() -> str:
    return uuid.uuid4().hex[:22]
