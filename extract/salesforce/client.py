"""Salesforce REST calls: the OAuth refresh-token flow and SOQL ``queryAll`` pages."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Self

import httpx

from extract.base import SourceError
from extract.http import Failure, FailureKind, HttpClient, Sleep, one_line
from extract.oauth import refresh_token_grant
from extract.salesforce.settings import SalesforceSettings

REFRESH_HINT = "check THINLINE_SALESFORCE__REFRESH_TOKEN"
OAUTH_HINT = (
    "check THINLINE_SALESFORCE__REFRESH_TOKEN, THINLINE_SALESFORCE__CLIENT_ID "
    "and THINLINE_SALESFORCE__CLIENT_SECRET (and THINLINE_SALESFORCE__TOKEN_URL for sandboxes)"
)
DAILY_HINT = (
    "the org's daily API request limit is spent; rerun once its rolling 24-hour usage frees up"
)
FIELD_HINT = (
    "the org does not expose a field or object Thinline reads (CurrencyIsoCode needs a "
    "multi-currency org); check the API user's field-level security"
)
LOCATOR_HINT = "the query cursor expired while paging; rerun"
TRANSIENT_CODES = frozenset({"SERVER_UNAVAILABLE", "UNKNOWN_EXCEPTION"})


def classify(response: httpx.Response, body: Any) -> Failure | None:
    """Read ``[{"message", "errorCode"}]`` (REST) or ``{"error", "error_description"}`` (OAuth)."""
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        message = one_line(f"{body['error']}: {body.get('error_description', '')}")
        return Failure(FailureKind.FATAL, message, hint=OAUTH_HINT)
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if not isinstance(body, dict) or "errorCode" not in body:
        return None  # fall back to the HTTP status (5xx retried, 401 refreshed, other 4xx fatal)
    code, text = str(body.get("errorCode")), str(body.get("message") or response.reason_phrase)
    message = one_line(f"{code}: {text}")
    if code == "REQUEST_LIMIT_EXCEEDED":
        if "concurrent" in text.lower():  # too many long requests at once: wait, try again
            return Failure(FailureKind.RETRY, message)
        return Failure(FailureKind.DAILY_QUOTA, message, hint=DAILY_HINT)
    if code == "INVALID_SESSION_ID" or response.status_code == 401:
        return Failure(FailureKind.AUTH, message)
    if code in TRANSIENT_CODES or response.status_code >= 500:
        return Failure(FailureKind.RETRY, message)
    if code in ("INVALID_FIELD", "INVALID_TYPE"):
        return Failure(FailureKind.FATAL, message, hint=FIELD_HINT)
    if code == "INVALID_QUERY_LOCATOR":
        return Failure(FailureKind.FATAL, message, hint=LOCATOR_HINT)
    return Failure(FailureKind.FATAL, message)


class AccessToken:
    """The session (access token and the org's instance URL), shared by a connector's streams."""

    def __init__(self) -> None:
        self.value: str | None = None
        self.instance_url: str | None = None

    def refresh(self, http: HttpClient, settings: SalesforceSettings) -> None:
        """Trade the refresh token for a session (form post to ``token_url``)."""
        body = refresh_token_grant(
            http,
            "salesforce",
            settings.token_url,
            settings.client_id,
            settings.client_secret,
            settings.refresh_token,
            OAUTH_HINT,
        )
        instance_url = body.get("instance_url")
        if not instance_url:
            raise SourceError(f"salesforce: token response has no instance_url — {OAUTH_HINT}")
        # A rotated refresh token (body["refresh_token"]) is not persisted: settings come from
        # the environment, so the operator must update THINLINE_SALESFORCE__REFRESH_TOKEN.
        self.value, self.instance_url = str(body["access_token"]), str(instance_url).rstrip("/")


class SalesforceClient:
    """One HTTP session against the org's REST API; use as a context manager."""

    def __init__(
        self, settings: SalesforceSettings, token: AccessToken, *, sleep: Sleep = time.sleep
    ) -> None:
        settings.check_credentials()
        self.settings = settings
        self._token = token
        self.http = HttpClient(
            settings,
            classify=classify,
            auth_hint=REFRESH_HINT,
            headers=lambda: {"Authorization": f"Bearer {token.value or ''}"},
            refresh_auth=self._refresh,
            sleep=sleep,
        )
        self.log = self.http.log

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.http.close()

    def query_all(self, soql: str) -> Iterator[dict[str, Any]]:
        """Every page of one SOQL query via ``queryAll`` (deleted rows included), in order."""
        if self._token.value is None:
            self._refresh()
        path = f"/services/data/{self.settings.api_version}/queryAll"
        page = self._checked(self.http.get(f"{self._token.instance_url}{path}", {"q": soql}), path)
        while True:
            yield page
            if page["done"]:
                return
            path = page["nextRecordsUrl"]  # relative; followed verbatim, never built
            page = self._checked(self.http.get(f"{self._token.instance_url}{path}"), path)

    def _refresh(self) -> None:
        self._token.refresh(self.http, self.settings)

    def _checked(self, page: Any, path: str) -> dict[str, Any]:
        """A page with ``records`` and ``done`` (and a ``nextRecordsUrl`` unless done)."""
        where = f"GET {path.split('?')[0]}"
        if not isinstance(page, dict) or not isinstance(page.get("records"), list):
            raise SourceError(f"salesforce: no records list in the page from {where} — rerun")
        if page.get("done") is not True and not str(page.get("nextRecordsUrl") or "").startswith(
            "/"
        ):
            raise SourceError(
                f"salesforce: a page from {where} is neither done nor links the next — rerun"
            )
        page["done"] = page.get("done") is True
        return page
