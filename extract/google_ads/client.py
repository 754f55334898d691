"""Google Ads REST calls: OAuth refresh-token flow and ``googleAds:searchStream``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Self

import httpx

from extract.base import SourceError
from extract.google_ads.settings import GoogleAdsSettings
from extract.http import Failure, FailureKind, HttpClient, Sleep, one_line, parse_duration
from extract.oauth import refresh_token_grant

REFRESH_HINT = "check THINLINE_GOOGLE_ADS__REFRESH_TOKEN"
OAUTH_HINT = (
    "check THINLINE_GOOGLE_ADS__REFRESH_TOKEN, THINLINE_GOOGLE_ADS__CLIENT_ID "
    "and THINLINE_GOOGLE_ADS__CLIENT_SECRET"
)
PERMISSION_HINT = (
    "check THINLINE_GOOGLE_ADS__LOGIN_CUSTOMER_ID (the manager account) "
    "and THINLINE_GOOGLE_ADS__CUSTOMER_IDS"
)
DEVELOPER_TOKEN_HINT = "check THINLINE_GOOGLE_ADS__DEVELOPER_TOKEN (approved for production?)"
DAILY_QUOTA_HINT = "the developer token's daily quota is spent; rerun after it resets"
# Error codes worth retrying (singer-io/tap-google-ads retries the same set).
TRANSIENT_CODES = frozenset(
    {"RESOURCE_TEMPORARILY_EXHAUSTED", "INTERNAL_ERROR", "TRANSIENT_ERROR", "DEADLINE_EXCEEDED"}
)
TRANSIENT_STATUSES = frozenset({"INTERNAL", "UNAVAILABLE", "DEADLINE_EXCEEDED", "ABORTED"})
DAILY_WORDS = ("daily", "per day", "basic access", "explorer access")
DAILY_DELAY_SECONDS = 3600.0  # a quota that asks for an hour or more is not worth waiting for
TOKEN_EARLY_SECONDS = 60.0  # refresh a little before Google says the token expires


def classify(response: httpx.Response, body: Any) -> Failure | None:
    """Read ``[{"error": Status}]`` (searchStream), ``{"error": Status}`` or OAuth error bodies."""
    if isinstance(body, list) and body:
        body = body[0]
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, str):  # the OAuth token endpoint: {"error", "error_description"}
        message = one_line(f"{error}: {body.get('error_description', '')}")
        return Failure(FailureKind.FATAL, message, hint=OAUTH_HINT)
    if not isinstance(error, dict):
        return None
    status = str(error.get("status") or "")
    codes, texts, quota = _failure_details(error)
    label = " ".join(dict.fromkeys(filter(None, [status, *codes[:1]])))  # "PERMISSION_DENIED X"
    message = one_line(f"{label or error.get('code')}: {(texts or [error.get('message')])[0]}")
    if status == "RESOURCE_EXHAUSTED" or "RESOURCE_EXHAUSTED" in codes:
        delay = parse_duration(quota.get("retryDelay"))
        said = " ".join([*texts, str(error.get("message", "")), *map(str, quota.values())])
        daily = any(word in said.lower() for word in DAILY_WORDS)
        if daily or (delay or 0) >= DAILY_DELAY_SECONDS:
            return Failure(FailureKind.DAILY_QUOTA, message, hint=DAILY_QUOTA_HINT)
        return Failure(FailureKind.RETRY, message, delay=delay)
    if any("DEVELOPER_TOKEN" in item for item in codes):  # a refreshed OAuth token won't help
        return Failure(FailureKind.FATAL, message, hint=DEVELOPER_TOKEN_HINT)
    if status == "UNAUTHENTICATED":
        return Failure(FailureKind.AUTH, message)
    if status == "PERMISSION_DENIED":
        return Failure(FailureKind.FATAL, message, hint=PERMISSION_HINT)
    if status in TRANSIENT_STATUSES or TRANSIENT_CODES.intersection(codes):
        return Failure(FailureKind.RETRY, message)
    return None  # fall back to the HTTP status (5xx retried, other 4xx fatal)


def _failure_details(error: dict[str, Any]) -> tuple[list[str], list[str], dict[str, Any]]:
    """Error enums, messages and quota details from the GoogleAdsFailure in ``details``."""
    codes: list[str] = []
    texts: list[str] = []
    quota: dict[str, Any] = {}
    for detail in error.get("details") or []:
        if not isinstance(detail, dict):
            continue
        for item in detail.get("errors") or []:
            codes += [str(value) for value in (item.get("errorCode") or {}).values()]
            if item.get("message"):
                texts.append(str(item["message"]))
            quota = quota or ((item.get("details") or {}).get("quotaErrorDetails") or {})
    return codes, texts, quota


class AccessToken:
    """The OAuth access token, cached across the streams of one connector."""

    def __init__(self) -> None:
        self.value: str | None = None
        self.expires_at = 0.0

    def fresh(self) -> bool:
        return self.value is not None and time.monotonic() < self.expires_at

    def refresh(self, http: HttpClient, settings: GoogleAdsSettings) -> None:
        """Trade the refresh token for an access token (form post to ``token_url``)."""
        body = refresh_token_grant(
            http,
            "google_ads",
            settings.token_url,
            settings.client_id,
            settings.client_secret,
            settings.refresh_token,
            OAUTH_HINT,
        )
        self.value = str(body["access_token"])
        expires_in = float(body.get("expires_in") or 3600)
        self.expires_at = time.monotonic() + max(expires_in - TOKEN_EARLY_SECONDS, 0.0)


class GoogleAdsClient:
    """One HTTP session against the Google Ads API; use as a context manager."""

    def __init__(
        self, settings: GoogleAdsSettings, token: AccessToken, *, sleep: Sleep = time.sleep
    ) -> None:
        settings.check_credentials()
        self.settings = settings
        self.customer_ids = settings.customer_id_list()
        self._token = token
        self.http = HttpClient(
            settings,
            classify=classify,
            auth_hint=REFRESH_HINT,
            headers=self._headers,
            refresh_auth=self._refresh,
            sleep=sleep,
        )
        self.log = self.http.log

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.http.close()

    def search_stream(self, customer_id: str, query: str) -> Iterator[dict[str, Any]]:
        """Every result row of one GAQL query (the response is a JSON array of batches)."""
        if not self._token.fresh():
            self._refresh()
        path = f"/{self.settings.api_version}/customers/{customer_id}/googleAds:searchStream"
        batches = self.http.post(path, {"query": query})
        if not isinstance(batches, list):
            kind = type(batches).__name__
            raise SourceError(
                f"google_ads: searchStream returned a {kind}, not an array, from POST {path} — "
                "check THINLINE_GOOGLE_ADS__BASE_URL and API_VERSION"
            )
        for batch in batches:
            yield from (batch.get("results") or []) if isinstance(batch, dict) else []

    def _refresh(self) -> None:
        self._token.refresh(self.http, self.settings)

    def _headers(self) -> dict[str, str]:
        developer = self.settings.developer_token
        headers = {
            "Authorization": f"Bearer {self._token.value or ''}",
            "developer-token": developer.get_secret_value() if developer else "",
        }
        if self.settings.login_customer_id:
            headers["login-customer-id"] = self.settings.login_customer_id
        return headers
