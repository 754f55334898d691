"""Salesforce REST calls: the OAuth grants, the org's versions, describe, limits and SOQL pages."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx

from extract.api_versions import default_version
from extract.base import SourceError
from extract.http import (
    ApiSession,
    Classifier,
    Failure,
    FailureKind,
    HttpClient,
    Sleep,
    one_line,
)
from extract.oauth import AccessToken, refresh_token_grant
from extract.salesforce.settings import SalesforceSettings

REFRESH_HINT = "check THINLINE_SALESFORCE__REFRESH_TOKEN"
OAUTH_HINTS = {  # by auth_flow: what to check when the token endpoint says no
    "refresh_token": (
        "check THINLINE_SALESFORCE__REFRESH_TOKEN, THINLINE_SALESFORCE__CLIENT_ID "
        "and THINLINE_SALESFORCE__CLIENT_SECRET (and THINLINE_SALESFORCE__TOKEN_URL for sandboxes)"
    ),
    "client_credentials": (
        "check THINLINE_SALESFORCE__CLIENT_ID, THINLINE_SALESFORCE__CLIENT_SECRET and "
        "THINLINE_SALESFORCE__TOKEN_URL (the org's My Domain), and that the External Client App "
        "enables the client credentials flow with a run-as integration user"
    ),
}
DAILY_HINT = (
    "the org's daily API request limit is spent; rerun once its rolling 24-hour usage frees up"
)
FIELD_HINT = "the object's fields changed since its describe was read; rerun"
LOCATOR_HINT = "the query cursor expired while paging; rerun"
TRANSIENT_CODES = frozenset({"SERVER_UNAVAILABLE", "UNKNOWN_EXCEPTION"})
RECORDS = ("records", "*")  # where a page's records are: kept as the JSON text Salesforce sent


def gone_hint() -> str:
    return (
        "Salesforce retired this API version: set THINLINE_SALESFORCE__API_VERSION to "
        f"{default_version('salesforce')} (README: API versions)"
    )


def not_found_hint() -> str:
    return (
        "the org serves no such resource: check THINLINE_SALESFORCE__API_VERSION (Thinline's "
        f"newest is {default_version('salesforce')}; GET /services/data/ lists the org's) and "
        "that the integration user can read the object"
    )


def classifier(auth_flow: str) -> Classifier:
    """The error classifier for one auth flow (its OAuth failures name that flow's settings)."""

    def classify_for_flow(response: httpx.Response, body: Any) -> Failure | None:
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            message = one_line(f"{body['error']}: {body.get('error_description', '')}")
            return Failure(FailureKind.FATAL, message, hint=OAUTH_HINTS[auth_flow])
        return classify(response, body)

    return classify_for_flow


def classify(response: httpx.Response, body: Any) -> Failure | None:
    """Read ``[{"message", "errorCode"}]`` (REST) or ``{"error", "error_description"}`` (OAuth)."""
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        message = one_line(f"{body['error']}: {body.get('error_description', '')}")
        return Failure(FailureKind.FATAL, message, hint=OAUTH_HINTS["refresh_token"])
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
    if code == "GONE" or response.status_code == 410:  # Salesforce retired this API version
        return Failure(FailureKind.FATAL, message, hint=gone_hint())
    if code == "NOT_FOUND":  # an unreleased version, or an object the user cannot see
        return Failure(FailureKind.FATAL, message, hint=not_found_hint())
    if code in ("INVALID_FIELD", "INVALID_TYPE"):
        return Failure(FailureKind.FATAL, message, hint=FIELD_HINT)
    if code == "INVALID_QUERY_LOCATOR":
        return Failure(FailureKind.FATAL, message, hint=LOCATOR_HINT)
    return Failure(FailureKind.FATAL, message)


def sign_in(http: HttpClient, settings: SalesforceSettings, token: AccessToken) -> None:
    """A new session (the access token and the org's ``instance_url``) from ``token_url`` by
    the configured grant, into ``token``, which the connector's streams share."""
    if settings.auth_flow == "client_credentials":
        form = {
            "grant_type": "client_credentials",
            "client_id": settings.client_id or "",
            "client_secret": _secret(settings.client_secret),
        }
        body = http.request("POST", settings.token_url, data=form, authenticated=False)
        if not isinstance(body, dict) or not body.get("access_token"):
            hint = OAUTH_HINTS["client_credentials"]
            raise SourceError(f"salesforce: token response has no access_token — {hint}")
    else:
        body = refresh_token_grant(http, "salesforce", settings, OAUTH_HINTS["refresh_token"])
    if not body.get("instance_url"):
        hint = OAUTH_HINTS[settings.auth_flow]
        raise SourceError(f"salesforce: token response has no instance_url — {hint}")
    # A rotated refresh token (body["refresh_token"]) is not persisted: settings come from
    # the environment, so the operator must update THINLINE_SALESFORCE__REFRESH_TOKEN.
    token.grant(body)


class SalesforceClient(ApiSession):
    """One HTTP session against the org's REST API; use as a context manager."""

    def __init__(
        self, settings: SalesforceSettings, token: AccessToken, *, sleep: Sleep = time.sleep
    ) -> None:
        settings.check_credentials()
        self.settings = settings
        self._token = token
        self.http = HttpClient(
            settings,
            classify=classifier(settings.auth_flow),
            auth_hint=REFRESH_HINT
            if settings.auth_flow == "refresh_token"
            else OAUTH_HINTS["client_credentials"],
            headers=token.bearer,
            refresh_auth=self._refresh,
            sleep=sleep,
        )
        self.log = self.http.log

    @property
    def data_path(self) -> str:
        return f"/services/data/{self.settings.api_version}"

    def session(self) -> str:
        """The org's instance URL, signing in first if this run has no session yet."""
        if self._token.value is None:
            self._refresh()
        return self._instance_url()

    def _instance_url(self) -> str:
        return str(self._token.granted["instance_url"]).rstrip("/")

    def get(self, path: str) -> Any:
        """``GET {instance_url}{path}`` with the session."""
        return self.http.get(f"{self.session()}{path}")

    def versions(self) -> list[str]:
        """The versions the org serves (``GET /services/data/``, no session counted), e.g.
        ``["v31.0", …, "v68.0"]``."""
        body = self.http.request("GET", f"{self.session()}/services/data/", authenticated=False)
        return [f"v{item['version']}" for item in body if isinstance(item, dict)]

    def describe(self, sobject: str) -> dict[str, Any]:
        """The object's describe (``fields[]`` and more), read once per run."""
        describes = self._token.read_once.setdefault("describes", {})
        if sobject not in describes:
            body = self.get(f"{self.data_path}/sobjects/{sobject}/describe")
            if not isinstance(body, dict) or not isinstance(body.get("fields"), list):
                raise SourceError(f"salesforce: the {sobject} describe has no fields list — rerun")
            describes[sobject] = body
        return describes[sobject]

    def query_all(self, soql: str) -> Iterator[dict[str, Any]]:
        """Every page of one SOQL query via ``queryAll`` (deleted rows included), in order."""
        path = f"{self.data_path}/queryAll"
        first = self.http.get(f"{self.session()}{path}", {"q": soql}, RECORDS)
        page = self._checked(first, path)
        while True:
            yield page
            if page["done"]:
                return
            path = page["nextRecordsUrl"]  # relative; followed verbatim, never built
            page = self._checked(
                self.http.get(f"{self._instance_url()}{path}", records_at=RECORDS), path
            )

    def _refresh(self) -> None:
        sign_in(self.http, self.settings, self._token)

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


def _secret(value: Any) -> str:
    return value.get_secret_value() if value is not None else ""
