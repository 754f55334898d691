"""The HTTP client every source shares: bounded retries, error classification, one-line failures.

Each source passes a *classifier* that reads its own error bodies and says what a failed
response means (:class:`FailureKind`); this module owns the waiting, retrying and the
wording of the final :class:`~extract.base.SourceError`.
"""

from __future__ import annotations

import email.utils
import enum
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self

import httpx
from pydantic import SecretStr

from extract.base import SourceError
from extract.settings import SourceSettings

# httpx logs every request URL at INFO; a URL may carry a token in its query string.
logging.getLogger("httpx").setLevel(logging.WARNING)

MAX_DELAY_SECONDS = 900.0  # never sleep longer than this in-process, whatever the API asks
SECRET_HEADERS = frozenset({"authorization", "developer-token", "x-api-key"})
_MESSAGE_CHARS = 200


class FailureKind(enum.Enum):
    """What a failed response means for the caller."""

    RETRY = "retry"  # transient: wait and try again
    DAILY_QUOTA = "daily_quota"  # resets tomorrow: stop now, retrying only burns the run
    AUTH = "auth"  # credentials rejected: refresh once if the source can, else stop
    FATAL = "fatal"  # the request itself is wrong: stop


@dataclass(frozen=True)
class Failure:
    """A source's reading of one failed response."""

    kind: FailureKind
    message: str  # the API's own words, e.g. "INVALID_AUTHENTICATION: credentials not found"
    delay: float | None = None  # seconds the API asked us to wait, if it said
    hint: str | None = None  # what the operator should do; overrides the client's default


# (response, parsed JSON body or None) -> Failure, or None to fall back to the HTTP status.
Classifier = Callable[[httpx.Response, Any], Failure | None]
Sleep = Callable[[float], None]


def parse_duration(text: str | None) -> float | None:
    """Parse a protobuf duration such as ``"30s"`` or ``"1.5s"`` into seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)s\s*", text or "")
    return float(match.group(1)) if match else None


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), if present."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def status_failure(response: httpx.Response, message: str) -> Failure:
    """The default reading of an HTTP status when the source's classifier has no opinion."""
    status = response.status_code
    if status == 429 or status >= 500:
        return Failure(FailureKind.RETRY, message)
    if status == 401:
        return Failure(FailureKind.AUTH, message)
    return Failure(FailureKind.FATAL, message)


def body_message(body: Any) -> str | None:
    """The vendor's own words from an error body of a shape no classifier claimed.

    Reads the common envelopes: ``{"message"}``, ``{"error": {"message", "code"|"status"}}``,
    ``{"error", "error_description"}`` and arrays of those (``[{"message", "errorCode"}]``).
    """
    if isinstance(body, list) and body:
        body = body[0]
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        body = error
    elif isinstance(error, str):
        return f"{error}: {body.get('error_description') or ''}".rstrip(": ")
    text = body.get("message") or body.get("error_description") or body.get("detail")
    code = body.get("errorCode") or body.get("code") or body.get("status")
    if not text and not code:
        return None
    return f"{code}: {text}" if code and text else str(text or code)


def one_line(text: str, limit: int = _MESSAGE_CHARS) -> str:
    """Collapse whitespace and cut long API messages so errors stay on one line."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class HttpClient:
    """JSON over HTTP for one source, with retries and source-specific error handling.

    ``headers`` is called before every attempt so a refreshed token is picked up;
    ``refresh_auth`` (if given) is called once per request after an AUTH failure;
    ``on_response`` (if given) sees every response, e.g. for a vendor's warning headers.
    """

    def __init__(
        self,
        settings: SourceSettings,
        *,
        classify: Classifier,
        auth_hint: str,
        headers: Callable[[], Mapping[str, str]] = dict,
        refresh_auth: Callable[[], None] | None = None,
        sleep: Sleep = time.sleep,
        on_response: Callable[[httpx.Response], None] | None = None,
    ) -> None:
        self.source = settings.source
        self.log = logging.getLogger(f"extract.{settings.source}")
        self._settings = settings
        self._classify = classify
        self._auth_hint = auth_hint
        self._headers = headers
        self._refresh_auth = refresh_auth
        self._sleep = sleep
        hooks = {"response": [on_response]} if on_response else None  # sees every response
        self._http = httpx.Client(
            base_url=settings.base_url, timeout=settings.timeout_seconds, event_hooks=hooks
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, json=body)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        authenticated: bool = True,
    ) -> Any:
        """Send one request, retrying as the classifier allows; return the parsed JSON body.

        ``url`` is a path under ``base_url`` or an absolute URL (e.g. an OAuth token endpoint).
        ``authenticated=False`` sends no source headers and never triggers a refresh.
        """
        path = httpx.URL(url).path  # never the query string: some APIs carry tokens there
        retries = 0
        refreshed = False
        while True:
            headers = dict(self._headers()) if authenticated else {}
            status, body, failure = self._attempt(method, url, params, json, data, headers)
            if failure is None:
                return body
            where = f"{method} {path}"
            refreshable = authenticated and self._refresh_auth is not None and not refreshed
            if failure.kind is FailureKind.AUTH and refreshable:
                self.log.info("%s: %s rejected credentials; refreshing once", self.source, where)
                refreshed = True
                self._refresh_auth()
                continue
            if failure.kind is FailureKind.RETRY and retries < self._settings.max_retries:
                delay = self._delay(retries, failure.delay)
                retries += 1
                self.log.warning(
                    "%s: %s %s from %s; retry %d/%d in %gs",
                    self.source,
                    status,
                    self._redact(failure.message, headers),
                    where,
                    retries,
                    self._settings.max_retries,
                    delay,
                )
                self._sleep(delay)
                continue
            raise SourceError(self._error_text(status, failure, where, retries, headers))

    def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        body: Any,
        data: Mapping[str, str] | None,
        headers: dict[str, str],
    ) -> tuple[str, Any, Failure | None]:
        """One try: ``(status, parsed body, failure or None)``."""
        try:
            response = self._http.request(
                method, url, params=params, json=body, data=data, headers=headers
            )
        except httpx.TimeoutException as exc:
            return "timeout", None, Failure(FailureKind.RETRY, type(exc).__name__)
        except httpx.TransportError as exc:  # refused, reset, truncated (length mismatch)
            return "connection error", None, Failure(FailureKind.RETRY, one_line(repr(exc)))
        try:
            parsed = response.json() if response.content else None
            malformed = False
        except ValueError:  # JSONDecodeError and UnicodeDecodeError both are
            parsed, malformed = None, True
        status = str(response.status_code)
        if response.is_success:
            if malformed:
                return status, None, Failure(FailureKind.RETRY, "malformed JSON in response body")
            return status, parsed, None
        failure = self._classify(response, parsed)
        if failure is None:  # the vendor's own words when it said any, else the HTTP reason
            said = body_message(parsed) or response.reason_phrase or "error"
            failure = status_failure(response, one_line(said))
        if failure.delay is None:
            failure = Failure(failure.kind, failure.message, retry_after(response), failure.hint)
        return status, parsed, failure

    def _delay(self, retries: int, asked: float | None) -> float:
        delay = asked if asked is not None else self._settings.backoff_seconds * 2**retries
        return min(delay, MAX_DELAY_SECONDS)

    def _error_text(
        self, status: str, failure: Failure, where: str, retries: int, headers: Mapping[str, str]
    ) -> str:
        hint = failure.hint
        if hint is None:
            env = f"THINLINE_{self.source.upper()}__MAX_RETRIES"
            hint = {
                FailureKind.RETRY: f"gave up after {retries + 1} tries; rerun later or raise {env}",
                FailureKind.DAILY_QUOTA: "daily API quota exhausted; rerun after it resets",
                FailureKind.AUTH: self._auth_hint,
                FailureKind.FATAL: "not retryable; check the request and settings",
            }[failure.kind]
        text = f"{self.source}: {status} {one_line(failure.message)} from {where} — {hint}"
        return self._redact(text, headers)

    def _redact(self, text: str, headers: Mapping[str, str]) -> str:
        """Blank out every secret we know of, in case an API echoes one back."""
        sent = (value for name, value in headers.items() if name.lower() in SECRET_HEADERS)
        for secret in self._secrets(sent):
            text = text.replace(secret, "***")
        return text

    def _secrets(self, header_values: Iterable[str]) -> Iterable[str]:
        for name in type(self._settings).model_fields:
            value = getattr(self._settings, name)
            if isinstance(value, SecretStr) and len(value.get_secret_value()) >= 4:
                yield value.get_secret_value()
        for value in header_values:
            token = value.removeprefix("Bearer ").strip()
            if len(token) >= 4:
                yield token
