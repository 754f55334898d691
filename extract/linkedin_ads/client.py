"""LinkedIn Marketing API calls (versioned ``/rest``): accounts, cursor-paged finders, adAnalytics.

Parameters use Rest.li 2.0 syntax (``List(…)``, ``(key:value)``), so query strings are built
here: httpx would percent-encode the parentheses and colons that LinkedIn must see as they are.

Finders page by ``pageSize`` (LinkedIn's default 100,
https://learn.microsoft.com/en-us/linkedin/marketing/integrations/ads/cursor-based-pagination)
and ``metadata.nextPageToken``; ``creatives?q=criteria`` refuses more than 100 a page, so each
finder gets at most :data:`FINDER_PAGE_LIMITS`. A sunset ``LinkedIn-Version`` answers 426
``NONEXISTENT_VERSION``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any
from urllib.parse import quote

import httpx

from extract.base import SourceError
from extract.http import (
    ApiSession,
    Classifier,
    Failure,
    FailureKind,
    HttpClient,
    RecordPath,
    Sleep,
    one_line,
)
from extract.linkedin_ads.settings import ACCOUNT_URN, LinkedInAdsSettings
from extract.oauth import AccessToken

ACCESS_HINT = "check THINLINE_LINKEDIN_ADS__ACCESS_TOKEN (LinkedIn access tokens last 60 days)"
REFRESH_HINT = "check THINLINE_LINKEDIN_ADS__REFRESH_TOKEN"
OAUTH_HINT = (
    "check THINLINE_LINKEDIN_ADS__REFRESH_TOKEN, THINLINE_LINKEDIN_ADS__CLIENT_ID "
    "and THINLINE_LINKEDIN_ADS__CLIENT_SECRET"
)
VERSION_HINT = (
    "set THINLINE_LINKEDIN_ADS__LINKEDIN_VERSION to a live YYYYMM version (README: API versions)"
)
ACCOUNT_HINT = (
    "check THINLINE_LINKEDIN_ADS__ACCOUNT_IDS (sponsored account ids the token's member can read)"
)
PERMISSION_HINT = (
    "check the token has r_ads_reporting and can read THINLINE_LINKEDIN_ADS__ACCOUNT_IDS"
)
DAILY_HINT = "LinkedIn's daily API limit is spent; rerun after it resets at midnight UTC"
VERSION_CODES = frozenset({"VERSION_MISSING", "NONEXISTENT_VERSION"})
DAY_LIMIT = re.compile(r"\bDAY limit\b")  # "… APPLICATION_AND_MEMBER DAY limit for calls …"
# The largest page each finder takes: creatives 100 (LinkedIn refuses more; airbytehq/airbyte
# #26780, #34164); adCampaigns / adCampaignGroups more (Airbyte sends 500), 1000 assumed.
FINDER_PAGE_LIMITS = {"adCampaigns": 1000, "adCampaignGroups": 1000, "creatives": 100}


def classify(response: httpx.Response, body: Any) -> Failure | None:
    """Read ``{"status", "serviceErrorCode", "code", "message"}`` and OAuth error bodies."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("error"), str):  # the OAuth endpoint: {"error", "error_description"}
        message = one_line(f"{body['error']}: {body.get('error_description', '')}")
        return Failure(FailureKind.FATAL, message, hint=OAUTH_HINT)
    code = str(body.get("code") or body.get("serviceErrorCode") or response.reason_phrase)
    message = one_line(f"{code}: {body.get('message') or response.reason_phrase}")
    status = response.status_code
    if status == 429:
        # A daily limit resets at midnight UTC: waiting in-process won't help.
        if DAY_LIMIT.search(str(body.get("message", ""))):
            return Failure(FailureKind.DAILY_QUOTA, message, hint=DAILY_HINT)
        return Failure(FailureKind.RETRY, message)
    if status == 401:
        return Failure(FailureKind.AUTH, message)
    if status == 426 or code in VERSION_CODES:
        return Failure(FailureKind.FATAL, message, hint=VERSION_HINT)
    if status == 403:
        return Failure(FailureKind.FATAL, message, hint=PERMISSION_HINT)
    if status == 404:  # an account id the API does not know (or the token cannot see)
        return Failure(FailureKind.FATAL, message, hint=ACCOUNT_HINT)
    if status >= 500:
        return Failure(FailureKind.RETRY, message)
    return Failure(FailureKind.FATAL, message)


def urn_id(value: Any) -> int | None:
    """``urn:li:sponsoredCreative:123`` (or a bare id) → 123; None when unreadable."""
    text = str(value).rsplit(":", 1)[-1] if value is not None else ""
    return int(text) if text.isdigit() else None


def restli_date(day: date) -> str:
    return f"(year:{day.year},month:{day.month},day:{day.day})"


def restli_list(urns: list[str]) -> str:
    """``List(…)`` with each URN percent-encoded, as Rest.li 2.0 wants inside a list."""
    return "List(" + ",".join(quote(urn, safe="") for urn in urns) + ")"


def configured_token(settings: LinkedInAdsSettings) -> AccessToken:
    """The access token the settings give (LinkedIn issues them by hand; a refresh replaces
    it when a refresh token is configured)."""
    secret = settings.access_token
    return AccessToken(secret.get_secret_value() if secret else None)


class LinkedInAdsClient(ApiSession):
    """One HTTP session against the Marketing API; use as a context manager."""

    def __init__(
        self,
        settings: LinkedInAdsSettings,
        token: AccessToken,
        *,
        sleep: Sleep = time.sleep,
        classify: Classifier = classify,  # another endpoint's reading of its errors
    ) -> None:
        settings.check_credentials()
        self.settings = settings
        self.account_ids = settings.account_id_list()
        self._token = token
        # X-RestLi-Method of the request being sent: finders send FINDER (creatives need it)
        self._method: str | None = None
        refreshable = settings.can_refresh()
        self.http = HttpClient(
            settings,
            classify=classify,
            auth_hint=REFRESH_HINT if refreshable else ACCESS_HINT,
            headers=self._headers,
            refresh_auth=self.refresh if refreshable else None,
            sleep=sleep,
        )
        self.log = self.http.log

    def account(self, account_id: int) -> dict[str, Any]:
        """``GET /rest/adAccounts/{id}``."""
        body = self._get(f"/rest/adAccounts/{account_id}", records_at=())
        return self._object(body, "adAccounts")

    def find(self, path: str, query: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        """Every element of a finder, following ``metadata.nextPageToken`` to the last page."""
        largest = FINDER_PAGE_LIMITS.get(path.rsplit("/", 1)[-1], self.settings.page_size)
        params = {**query, "pageSize": str(min(self.settings.page_size, largest))}
        pages = rows = 0
        while True:
            page = self._object(self._get(path, params, True, ("elements", "*")), path)
            elements = page.get("elements")
            if not isinstance(elements, list):
                raise SourceError(
                    f"linkedin_ads: GET {path} page {pages + 1} has no elements array — "
                    "has the API changed? check THINLINE_LINKEDIN_ADS__LINKEDIN_VERSION"
                )
            pages, rows = pages + 1, rows + len(elements)
            yield from elements
            token = (page.get("metadata") or {}).get("nextPageToken")
            if not token:
                break
            params = {**params, "pageToken": quote(str(token), safe="")}
        self.log.info("linkedin_ads: GET %s: %d elements in %d pages", path, rows, pages)

    def analytics(
        self, account_id: int, first: date, last: date, fields: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """One adAnalytics call: daily elements per creative for ``first..last`` (inclusive).

        The endpoint has no paging: this is the whole answer, or its first ``element_cap``
        elements when LinkedIn truncated it (the caller checks).
        """
        params = {
            "q": "analytics",
            "pivot": "CREATIVE",
            "timeGranularity": "DAILY",
            "dateRange": f"(start:{restli_date(first)},end:{restli_date(last)})",
            "accounts": restli_list([f"{ACCOUNT_URN}{account_id}"]),
            "fields": ",".join(fields),
        }
        answer = self._get("/rest/adAnalytics", params, True, ("elements", "*"))
        body = self._object(answer, "adAnalytics")
        elements = body.get("elements")
        if not isinstance(elements, list) or not all(isinstance(e, dict) for e in elements):
            raise SourceError(
                f"linkedin_ads: adAnalytics for account {account_id} {first}..{last} has no "
                "elements array of objects — has the API changed? "
                "check THINLINE_LINKEDIN_ADS__LINKEDIN_VERSION"
            )
        return elements

    def _get(
        self,
        path: str,
        params: Mapping[str, str] | None = None,
        finder: bool = False,
        records_at: RecordPath | None = None,
    ) -> Any:
        """``records_at``: where the body's records are, kept as the JSON text LinkedIn sent."""
        query = "&".join(f"{name}={value}" for name, value in (params or {}).items())
        self._method = "FINDER" if finder else None
        try:
            return self.http.get(f"{path}?{query}" if query else path, records_at=records_at)
        finally:
            self._method = None

    def batch_create(self, path: str, elements: list[dict[str, Any]]) -> Any:
        """A Rest.li ``BATCH_CREATE``: POST ``{"elements": [...]}``; LinkedIn answers one
        ``{"status", "error"?}`` per element, in order (200 ``{"elements": [...]}``)."""
        self._method = "BATCH_CREATE"
        try:
            return self.http.post(path, {"elements": elements})
        finally:
            self._method = None

    def refresh(self) -> float | None:
        """Trade the refresh token for a new access token (the streams share it); return the
        seconds the refresh token has left, if LinkedIn said."""
        self._token.refresh(self.http, "linkedin_ads", self.settings, OAUTH_HINT)
        seconds = self._token.granted.get("refresh_token_expires_in")  # the TTL never resets
        return float(seconds) if isinstance(seconds, int | float) else None

    def _headers(self) -> dict[str, str]:
        headers = {
            **self._token.bearer(),
            "LinkedIn-Version": self.settings.linkedin_version,
            "X-Restli-Protocol-Version": "2.0.0",
            "Accept": "application/json",
        }
        if self._method:
            headers["X-RestLi-Method"] = self._method
        return headers

    @staticmethod
    def _object(body: Any, what: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            kind = type(body).__name__
            raise SourceError(
                f"linkedin_ads: {what} returned a {kind}, not an object — "
                "check THINLINE_LINKEDIN_ADS__BASE_URL"
            )
        return body
