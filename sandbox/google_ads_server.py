"""A local Google Ads REST API (searchStream) and OAuth token endpoint for one World.

Wire format per ``reference/source_apis.md`` §3: ``POST /{version}/customers/{id}/
googleAds:searchStream`` answers a JSON array of batches, and its errors are arrays too
(``google.rpc.Status`` with a ``GoogleAdsFailure``). Requests need an access token from
``POST /token``, the ``developer-token`` header and, for client accounts reached through the
manager, ``login-customer-id``.
"""

from __future__ import annotations

import itertools
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from sandbox.faults import Fault, Faults
from sandbox.gaql import GaqlError, parse
from sandbox.google_ads_report import field_mask, run
from sandbox.http import Request, Response, StandInServer, json_array_stream, json_response
from sandbox.world import World

SEARCH_STREAM = re.compile(r"/(v\d+)/customers/([^/]+)/googleAds:searchStream")
BATCH_ROWS = 10_000
FAILURE_TYPE = "type.googleapis.com/google.ads.googleads.{version}.errors.GoogleAdsFailure"
PERMISSION_DENIED = (
    "User doesn't have permission to access customer. Note: If you're accessing a client "
    "customer, the manager's customer id must be set in the 'login-customer-id' header."
)
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


@dataclass(frozen=True)
class GoogleAdsCredentials:
    developer_token: str = "SANDBOXdevTOKEN0000001"  # 22 characters, like real ones
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
    ) -> None:
        super().__init__(faults)
        self.data = world.google_ads
        # The day requests are "made": the as-of day after ``end`` (click_view's 90 days end here).
        self.today = world.config.end + timedelta(days=1)
        self.credentials = credentials or GoogleAdsCredentials()
        manager = str(self.data.manager.customer_id)
        self.login_customer_id = manager if require_login_customer_id else None
        self.batch_rows = batch_rows
        self._tokens: set[str] = set()
        self._token_lock = threading.Lock()
        self._issued = itertools.count(1)

    def takes_faults(self, request: Request) -> bool:
        return request.path != "/token"  # faults model the Ads API, not Google's OAuth server

    def route(self, request: Request) -> Response:
        if request.path == "/token" and request.method == "POST":
            return self._token(request)
        match = SEARCH_STREAM.fullmatch(request.path)
        if not match or request.method != "POST":
            error = {
                "code": 404,
                "message": f"No sandbox route for {request.path}",
                "status": "NOT_FOUND",
            }
            return json_response(404, {"error": error})
        version, customer_id = match.groups()
        request_id = _request_id()
        try:
            return self._search_stream(request, customer_id, request_id)
        except AdsError as error:
            return _error(version, request_id, error)

    # POST /token: OAuth 2 refresh-token grant.
    def _token(self, request: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode(errors="replace")).items()}
        if form.get("grant_type") != "refresh_token":
            body = {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}
            return json_response(400, body)
        expected = self.credentials
        if (form.get("client_id"), form.get("client_secret"), form.get("refresh_token")) != (
            expected.client_id,
            expected.client_secret,
            expected.refresh_token,
        ):
            return json_response(
                400, {"error": "invalid_grant", "error_description": "Bad Request"}
            )
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

    # POST /{version}/customers/{id}/googleAds:searchStream
    def _search_stream(self, request: Request, customer_id: str, request_id: str) -> Response:
        self._authorize(request, customer_id)
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
        return Response(200, json_array_stream(batches), {"request-id": request_id})

    def _authorize(self, request: Request, customer_id: str) -> None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        with self._token_lock:
            valid = token in self._tokens
        if not valid:
            reason = "OAUTH_TOKEN_INVALID" if header else "OAUTH_TOKEN_HEADER_INVALID"
            raise AdsError(
                401, {"authenticationError": reason}, "Authentication of the request failed."
            )
        developer_token = request.headers.get("developer-token")
        if developer_token != self.credentials.developer_token:
            # [inferred] the missing-header code; DEVELOPER_TOKEN_INVALID is documented (v19.1+)
            reason = (
                "DEVELOPER_TOKEN_INVALID"
                if developer_token
                else "DEVELOPER_TOKEN_PARAMETER_MISSING"
            )
            raise AdsError(
                401, {"authenticationError": reason}, "The developer token is not valid."
            )
        if (
            self.login_customer_id
            and request.headers.get("login-customer-id") != self.login_customer_id
        ):
            raise AdsError(403, {"authorizationError": "USER_PERMISSION_DENIED"}, PERMISSION_DENIED)
        if not customer_id.isdigit():
            raise AdsError(
                400, {"authenticationError": "CLIENT_CUSTOMER_ID_INVALID"}, "Invalid customer ID."
            )

    def fault_response(self, fault: Fault, nth: int, request: Request) -> Response:
        match = SEARCH_STREAM.fullmatch(request.path)
        version = match[1] if match else "v21"
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
        return _error(version, _request_id(), error)


def _error(version: str, request_id: str, error: AdsError) -> Response:
    status, message = TOP_MESSAGES[error.code]
    failure: dict[str, Any] = {"errorCode": error.error_code, "message": error.message}
    if error.details:
        failure["details"] = error.details
    body = {
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
    return json_response(error.code, [body], {"request-id": request_id})  # searchStream: an array


def _request_id() -> str:
    return uuid.uuid4().hex[:22]
