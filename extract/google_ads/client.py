"""Google Ads REST calls: OAuth refresh-token flow and ``googleAds:searchStream``.

Every failure carries Google's own words: the HTTP status name, the ``GoogleAdsFailure`` error
code as ``category.ENUM`` (``requestError.UNKNOWN``) and its message, whether or not Thinline
knows the code; a hint is added for the codes it does know, and a link to Google's reference
page of the error enum for the others.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx

from extract.api_versions import default_version
from extract.base import SourceError
from extract.google_ads.settings import DEVELOPER_TOKEN_SUNSET, GoogleAdsSettings
from extract.http import (
    ApiSession,
    Classifier,
    Failure,
    FailureKind,
    HttpClient,
    Sleep,
    one_line,
    parse_duration,
)
from extract.oauth import AccessToken

REFRESH_HINT = "check THINLINE_GOOGLE_ADS__REFRESH_TOKEN"
OAUTH_HINT = (
    "check THINLINE_GOOGLE_ADS__REFRESH_TOKEN, THINLINE_GOOGLE_ADS__CLIENT_ID "
    "and THINLINE_GOOGLE_ADS__CLIENT_SECRET"
)
PERMISSION_HINT = (
    "check THINLINE_GOOGLE_ADS__LOGIN_CUSTOMER_ID (the manager account) "
    "and THINLINE_GOOGLE_ADS__CUSTOMER_IDS"
)
DEVELOPER_TOKEN_HINT = (
    "check THINLINE_GOOGLE_ADS__DEVELOPER_TOKEN, or leave it unset: "
    f"Google ignores developer tokens from {DEVELOPER_TOKEN_SUNSET}"
)
ACCESS_HINT = (
    "the Google Cloud project that owns THINLINE_GOOGLE_ADS__CLIENT_ID has Test access only: "
    "apply for Explorer or Basic access on its Google Ads API Overview page "
    "(console.cloud.google.com/google/ads-apis/overview)"
)
SCOPE_HINT = (
    "authorize THINLINE_GOOGLE_ADS__REFRESH_TOKEN again with the "
    "https://www.googleapis.com/auth/adwords scope"
)
DAILY_QUOTA_HINT = "the Cloud project's daily operations quota is spent; rerun after it resets"
REFERENCE = "https://developers.google.com/google-ads/api/reference/rpc/latest/{0}Enum.{0}"
# Codes that mean "this Cloud project may not read production accounts": v25 on, and before.
ACCESS_CODES = frozenset(
    {
        "authorizationError.CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION",
        "authorizationError.ACTION_NOT_PERMITTED",
    }
)
# Error codes worth retrying (singer-io/tap-google-ads retries the same set).
TRANSIENT_CODES = frozenset(
    {"RESOURCE_TEMPORARILY_EXHAUSTED", "INTERNAL_ERROR", "TRANSIENT_ERROR", "DEADLINE_EXCEEDED"}
)
TRANSIENT_STATUSES = frozenset({"INTERNAL", "UNAVAILABLE", "DEADLINE_EXCEEDED", "ABORTED"})
DAILY_WORDS = ("daily", "per day", "basic access", "explorer access")
DAILY_DELAY_SECONDS = 3600.0  # a quota that asks for an hour or more is not worth waiting for
ROWS = ("*", "results", "*")  # searchStream's rows, in each batch: kept as the JSON text sent


def version_hint() -> str:
    newest = default_version("google_ads")
    return (
        f"set THINLINE_GOOGLE_ADS__API_VERSION to {newest} "
        "(newest Thinline knows; README: API versions)"
    )


def classify(response: httpx.Response, body: Any) -> Failure | None:
    """Read ``[{"error": Status}]`` (searchStream), ``{"error": Status}``, OAuth error bodies and
    the HTML 404 page Google's front end serves for a path (a version) it does not know."""
    if isinstance(body, list) and body:
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):  # the OAuth token endpoint: {"error", "error_description"}
        message = one_line(f"{error}: {body.get('error_description', '')}")
        return Failure(FailureKind.FATAL, message, hint=OAUTH_HINT)
    if isinstance(error, dict):
        return status_failure(response.status_code, error)
    if response.status_code == 404:
        said = re.sub(r"<[^>]+>", " ", response.text)
        found = re.search(r"The requested URL .*", " ".join(said.split()))
        message = f"NOT_FOUND: {found[0] if found else response.reason_phrase}"
        hint = f"{version_hint()}; or check THINLINE_GOOGLE_ADS__BASE_URL"
        return Failure(FailureKind.FATAL, one_line(message), hint=hint)
    return None  # fall back to the HTTP status (5xx retried, other 4xx fatal)


def status_failure(http_status: int, error: dict[str, Any]) -> Failure:
    """A ``google.rpc.Status``: what it means, in Google's words (first ``GoogleAdsError``)."""
    status = str(error.get("status") or error.get("code") or http_status)
    code, text, quota = _first_failure(error)
    message = one_line(f"{' '.join(filter(None, [status, code]))}: {text}")
    enum = code.rpartition(".")[2]
    if status == "RESOURCE_EXHAUSTED" or enum == "RESOURCE_EXHAUSTED":
        delay = parse_duration(quota.get("retryDelay"))
        said = " ".join([text, str(error.get("message", "")), *map(str, quota.values())])
        if any(word in said.lower() for word in DAILY_WORDS) or (delay or 0) >= DAILY_DELAY_SECONDS:
            return Failure(FailureKind.DAILY_QUOTA, message, hint=DAILY_QUOTA_HINT)
        return Failure(FailureKind.RETRY, message, delay=delay)
    if enum == "ACCESS_TOKEN_SCOPE_INSUFFICIENT":  # common-errors: token minted for other scopes
        return Failure(FailureKind.FATAL, message, hint=SCOPE_HINT)
    if "DEVELOPER_TOKEN" in enum:  # a refreshed OAuth token won't help
        return Failure(FailureKind.FATAL, message, hint=DEVELOPER_TOKEN_HINT)
    if code in ACCESS_CODES:
        return Failure(FailureKind.FATAL, message, hint=ACCESS_HINT)
    if re.search(r"\bversion v?\d+\b.*\bdeprecated\b", text, re.IGNORECASE):
        return Failure(FailureKind.FATAL, message, hint=version_hint())
    if status == "UNAUTHENTICATED":
        return Failure(FailureKind.AUTH, message)
    if code == "authorizationError.USER_PERMISSION_DENIED":
        return Failure(FailureKind.FATAL, message, hint=PERMISSION_HINT)
    if status in TRANSIENT_STATUSES or enum in TRANSIENT_CODES or http_status >= 500:
        return Failure(FailureKind.RETRY, message)
    if http_status == 429:
        return Failure(FailureKind.RETRY, message)
    # A code Thinline has no rule for: Google's words, and where Google explains the code.
    category = code.partition(".")[0]
    hint = f"see {REFERENCE.format(category[:1].upper() + category[1:])}" if code else None
    if status == "PERMISSION_DENIED":
        hint = f"{hint or 'Google refused the account'}; check THINLINE_GOOGLE_ADS__CUSTOMER_IDS"
    return Failure(FailureKind.FATAL, message, hint=hint)


def _first_failure(error: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """``("category.ENUM", message, quotaErrorDetails)`` of the first ``GoogleAdsError``; else
    a ``google.rpc.ErrorInfo`` reason (``ACCESS_TOKEN_SCOPE_INSUFFICIENT``) with the Status
    message; else just the Status message."""
    details = [item for item in error.get("details") or [] if isinstance(item, dict)]
    for detail in details:
        for item in detail.get("errors") or []:
            codes = [f"{key}.{value}" for key, value in (item.get("errorCode") or {}).items()]
            quota = (item.get("details") or {}).get("quotaErrorDetails") or {}
            return ", ".join(codes), str(item.get("message") or ""), quota
    reason = next((str(item["reason"]) for item in details if item.get("reason")), "")
    return reason, str(error.get("message") or ""), {}


class GoogleAdsClient(ApiSession):
    """One HTTP session against the Google Ads API; use as a context manager."""

    def __init__(
        self,
        settings: GoogleAdsSettings,
        token: AccessToken,
        *,
        sleep: Sleep = time.sleep,
        classifier: Classifier = classify,
    ) -> None:
        """``classifier`` defaults to :func:`classify`; a caller that must know how a request
        failed (the conversion uploader: transient or not) wraps it."""
        settings.check_credentials()
        self.settings = settings
        self.customer_ids = settings.customer_id_list()
        self.token = token
        self.http = HttpClient(
            settings,
            classify=classifier,
            auth_hint=REFRESH_HINT,
            headers=self._headers,
            refresh_auth=self.sign_in,
            sleep=sleep,
        )
        self.log = self.http.log

    def sign_in(self) -> None:
        """A new access token from the refresh token."""
        self.token.refresh(self.http, "google_ads", self.settings, OAUTH_HINT)

    def accessible_customers(self) -> list[str]:
        """Customer ids the OAuth user reaches directly (``customers:listAccessibleCustomers``)."""
        if not self.token.fresh():
            self.sign_in()
        body = self.http.get(f"/{self.settings.api_version}/customers:listAccessibleCustomers")
        names = body.get("resourceNames") if isinstance(body, dict) else None
        return [str(name).rpartition("/")[2] for name in names or []]

    def search_stream(self, customer_id: str, query: str) -> Iterator[dict[str, Any]]:
        """Every result row of one GAQL query (the response is a JSON array of batches).

        Google reports a failure after the 200 as an ``{"error": Status}`` element of the array;
        that raises, so a caller never takes the rows before it for a whole answer.
        """
        if not self.token.fresh():
            self.sign_in()
        path = f"/{self.settings.api_version}/customers/{customer_id}/googleAds:searchStream"
        batches = self.http.post(path, {"query": query}, records_at=ROWS)
        if not isinstance(batches, list):
            kind = type(batches).__name__
            raise SourceError(
                f"google_ads: searchStream returned a {kind}, not an array, from POST {path} — "
                "check THINLINE_GOOGLE_ADS__BASE_URL and API_VERSION"
            )
        rows = 0
        for batch in batches:
            if isinstance(batch, dict) and isinstance(batch.get("error"), dict):
                raise self._stream_error(batch["error"], path, rows)
            for row in (batch.get("results") or []) if isinstance(batch, dict) else []:
                rows += 1
                yield row

    def _stream_error(self, error: dict[str, Any], path: str, rows: int) -> SourceError:
        code = int(error.get("code") or 500)
        failure = status_failure(code, error)
        hint = failure.hint or "rerun the window; none of it was loaded"
        text = (
            f"google_ads: {code} {failure.message} in the searchStream of POST {path} after "
            f"{rows} rows — {hint}"
        )
        return SourceError(self.http._redact(text, self._headers()))  # as the client's own errors

    def _headers(self) -> dict[str, str]:
        headers = self.token.bearer()
        if self.settings.developer_token:  # optional since Google's developer-token sunset
            headers["developer-token"] = self.settings.developer_token.get_secret_value()
        if self.settings.login_customer_id:
            headers["login-customer-id"] = self.settings.login_customer_id
        return headers
