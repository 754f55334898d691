"""Meta Graph API calls (Marketing API): one object, cursor-paged edges, ads insights.

Meta answers rate limits with HTTP 400 and an ``error.code`` (4, 17, 613, 80000-80014), the
minutes until the ad account regains access in ``x-business-use-case-usage``, and a too-large
synchronous insights query with "reduce the amount of data" (codes 100/1504018, 2/1504038).

Every call carries the token as the ``access_token`` parameter, as Meta's examples do, and
``appsecret_proof`` (HMAC-SHA256 of the token keyed with the app secret, hex) when the app
secret is set: apps with "Require App Secret" refuse calls without it
(https://developers.facebook.com/docs/graph-api/securing-requests). The proof is the untimed
form: a timed one (with ``appsecret_time``) expires after 5 minutes, and a retry may wait
longer than that with the same parameters. Query strings never reach a log or an error (see
:mod:`extract.http`). An expired version fails with (#2635), or is auto-upgraded by Meta with
an ``X-Ad-Api-Version-Warning`` header, logged once per connector.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any

import httpx

from extract.base import SourceError
from extract.http import (
    MAX_DELAY_SECONDS,
    ApiSession,
    Failure,
    FailureKind,
    HttpClient,
    RecordPath,
    Sleep,
    one_line,
)
from extract.meta_ads.settings import MetaAdsSettings

TOKEN_HINT = (
    "check THINLINE_META_ADS__ACCESS_TOKEN (a system user token with ads_read; "
    "Meta has no refresh flow)"
)
ACCOUNT_HINT = "check THINLINE_META_ADS__ACCOUNT_IDS and that the token can read those accounts"
VERSION_HINT = "set THINLINE_META_ADS__API_VERSION to a live version (README: API versions)"
APP_SECRET_HINT = (
    "check THINLINE_META_ADS__APP_SECRET (the app requires appsecret_proof; its secret is in "
    "App settings > Basic)"
)
DEPRECATED_VERSION_CODE = 2635
VERSION_WARNING_HEADER = "x-ad-api-version-warning"
# Throttling codes (dlt's facebook_ads ``retry_on_limit`` retries the same set).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613, *range(80000, 80015)})
TRANSIENT_CODES = frozenset({1, 2})  # "unknown error" and "service temporarily unavailable"
AUTH_CODES = frozenset({102, 104, 190})  # session invalid, token missing, token invalid/expired
TOO_MUCH_DATA_CODES = frozenset({(100, 1504018), (2, 1504038)})
TOO_MUCH_DATA_WORDS = "reduce the amount of data"
USAGE_HEADERS = ("x-business-use-case-usage", "x-ad-account-usage", "x-app-usage")


class TooMuchData(SourceError):
    """Meta refused a synchronous insights query as too large: ask for fewer days."""


def classify(response: httpx.Response, body: Any) -> Failure | None:
    """Read ``{"error": {"message", "type", "code", "error_subcode", "is_transient", ...}}``."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    code, subcode = _int(error.get("code")), _int(error.get("error_subcode"))
    text = str(error.get("message") or response.reason_phrase)
    label = f"{error.get('type') or 'error'} {code}" + (f"/{subcode}" if subcode else "")
    message = one_line(f"{label}: {text}")
    if (code, subcode) in TOO_MUCH_DATA_CODES or TOO_MUCH_DATA_WORDS in text.lower():
        raise TooMuchData(f"meta_ads: {message}")  # the caller splits the window
    if code == DEPRECATED_VERSION_CODE:
        return Failure(FailureKind.FATAL, message, hint=VERSION_HINT)
    if "appsecret_proof" in text:  # missing or invalid: code 100, GraphMethodException
        return Failure(FailureKind.FATAL, message, hint=APP_SECRET_HINT)
    if code in AUTH_CODES:
        return Failure(FailureKind.AUTH, message)
    if code in RATE_LIMIT_CODES:
        wait = regain_seconds(response)
        if error.get("is_transient") is False or wait > MAX_DELAY_SECONDS:
            return Failure(FailureKind.DAILY_QUOTA, message, hint=_blocked_hint(wait))
        return Failure(FailureKind.RETRY, message, delay=wait or None)  # 0: back off
    if code in TRANSIENT_CODES or error.get("is_transient") is True:
        return Failure(FailureKind.RETRY, message)
    if code == 100 and subcode == 33:  # no such account, or no permission on it
        return Failure(FailureKind.FATAL, message, hint=ACCOUNT_HINT)
    if response.status_code >= 500:
        return Failure(FailureKind.RETRY, message)
    return Failure(FailureKind.FATAL, message)


def regain_seconds(response: httpx.Response) -> float:
    """The longest ``estimated_time_to_regain_access`` (minutes) in the usage headers, in s."""
    minutes = 0.0
    for name in USAGE_HEADERS:
        try:
            usage = json.loads(response.headers.get(name) or "{}")
        except ValueError:
            continue
        entries = [usage] if not isinstance(usage, dict) else list(usage.values())
        for entry in entries:
            for item in entry if isinstance(entry, list) else [entry]:
                if isinstance(item, dict):
                    value = item.get("estimated_time_to_regain_access")
                    minutes = max(minutes, float(value) if _is_number(value) else 0.0)
    return minutes * 60


def _blocked_hint(wait: float) -> str:
    if wait > 0:
        minutes = math.ceil(wait / 60)
        return f"Meta blocks the ad account for about {minutes} min; rerun after that"
    return "Meta says this rate limit is not transient (blocks can last an hour); rerun later"


def auth_params(settings: MetaAdsSettings) -> dict[str, str]:
    """``access_token``, and ``appsecret_proof`` when the app secret is set."""
    token = settings.access_token.get_secret_value() if settings.access_token else ""
    params = {"access_token": token}
    if settings.app_secret and settings.app_secret.get_secret_value():
        key = settings.app_secret.get_secret_value().encode()
        params["appsecret_proof"] = hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
    return params


class VersionWarning:
    """Logs Meta's auto-upgrade header the first time a response carries it (the streams of one
    connector share one, so a night's run says it once)."""

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, response: httpx.Response) -> None:
        said = response.headers.get(VERSION_WARNING_HEADER)
        if said and not self.seen:
            self.seen = True
            logging.getLogger("extract.meta_ads").warning(
                "meta_ads: Meta says %r — %s", one_line(said.strip("'")), VERSION_HINT
            )


class MetaAdsClient(ApiSession):
    """One HTTP session against the Graph API; use as a context manager."""

    def __init__(
        self,
        settings: MetaAdsSettings,
        *,
        sleep: Sleep = time.sleep,
        version_warning: VersionWarning | None = None,
    ) -> None:
        settings.check_credentials()
        self.settings = settings
        self.account_ids = settings.account_id_list()
        self._auth = auth_params(settings)
        self.signs_calls = "appsecret_proof" in self._auth
        self.http = HttpClient(
            settings,
            classify=classify,
            auth_hint=TOKEN_HINT,
            sleep=sleep,
            on_response=version_warning or VersionWarning(),
        )
        self.log = self.http.log

    def me(self) -> dict[str, Any]:
        """``GET /me``: the token's user (for a system user token, the system user)."""
        path = f"/{self.settings.api_version}/me"
        return _object(self._get(path, {"fields": "id,name"}), path)

    def permissions(self) -> list[dict[str, Any]]:
        """``GET /me/permissions``: ``{"permission", "status"}`` per permission."""
        return list(self._paged(f"/{self.settings.api_version}/me/permissions", {}))

    def account(self, account_id: str, fields: Sequence[str]) -> dict[str, Any]:
        """``GET /act_{id}``: the ad account object."""
        path = f"/{self.settings.api_version}/act_{account_id}"
        return _object(self._get(path, {"fields": ",".join(fields)}, records_at=()), path)

    def edge(
        self, account_id: str, edge: str, params: Mapping[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """Every object of ``GET /act_{id}/{edge}`` (campaigns, adsets, ads), page by page."""
        path = f"/{self.settings.api_version}/act_{account_id}/{edge}"
        return self._paged(path, {**params, "limit": self.settings.page_size})

    def insights(
        self, account_id: str, since: date, until: date, fields: Sequence[str]
    ) -> Iterator[dict[str, Any]]:
        """One row per ad and day of ``[since, until]`` (``level=ad``, ``time_increment=1``)."""
        time_range = {"since": since.isoformat(), "until": until.isoformat()}
        params = {
            "level": "ad",
            "time_increment": "1",
            "time_range": json.dumps(time_range, separators=(",", ":")),
            "fields": ",".join(fields),
            "limit": self.settings.page_size,
        }
        return self._paged(f"/{self.settings.api_version}/act_{account_id}/insights", params)

    def _paged(self, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Follow ``paging.cursors.after`` until a page comes without ``paging.next``."""
        params = dict(params)
        while True:
            page = _object(self._get(path, params, records_at=("data", "*")), path)
            data = page.get("data")
            if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
                raise SourceError(
                    f"meta_ads: malformed page from GET {path}: 'data' is not an array of "
                    "objects — has the API changed? Check THINLINE_META_ADS__API_VERSION"
                )
            yield from data
            paging = page.get("paging") if isinstance(page.get("paging"), dict) else {}
            if not paging.get("next"):
                return
            after = (paging.get("cursors") or {}).get("after")
            if not after or after == params.get("after"):
                raise SourceError(
                    f"meta_ads: malformed page from GET {path}: 'paging.next' without a new "
                    "'paging.cursors.after' — has the API changed?"
                )
            params["after"] = after

    def _get(
        self, path: str, params: Mapping[str, Any], records_at: RecordPath | None = None
    ) -> Any:
        """``records_at``: where the body's records are, kept as the JSON text Meta sent."""
        return self.http.get(path, {**params, **self._auth}, records_at)


def _object(body: Any, path: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        kind = type(body).__name__
        raise SourceError(f"meta_ads: expected a JSON object from GET {path}, got {kind}")
    return body


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
