"""The HTTP client every source shares: bounded retries, error classification, one-line failures.

Each source passes a *classifier* that reads its own error bodies and says what a failed
response means (:class:`FailureKind`); this module owns the waiting, retrying and the
wording of the final :class:`~extract.base.SourceError`.

Close to the wire: every client of a process shares one TLS context (building one reads the
whole CA bundle, about 20 ms, which httpx would otherwise do for every client: every stream
of every source), and a caller that names where a page's records are (``records_at``) gets
them as :class:`RawRecord`: decoded once, their JSON text kept, so the loader stores the
source's own text instead of encoding every record again.
"""

from __future__ import annotations

import email.utils
import enum
import functools
import json
import logging
import os
import re
import ssl
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
# Where a body's records are: object keys, "*" for each element of an array; () is the body.
RecordPath = tuple[str, ...]

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SCAN = json.JSONDecoder().scan_once


def tls_context() -> ssl.SSLContext:
    """The process's TLS context for the CA settings in force (``SSL_CERT_FILE`` or
    ``SSL_CERT_DIR``, else certifi's bundle, as httpx would choose)."""
    return _tls_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.cache
def _tls_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    return httpx.create_ssl_context()  # reads the same two variables, hence the cache key


class RawRecord(dict[str, Any]):
    """A JSON object as decoded, with ``text``, the JSON it was decoded from: the loader
    stores that text as it is. A connector that changes a record builds a new dict
    (``{**record, "extra": 1}``), which the loader encodes; changing one in place drops its
    text (``None``: encoded too), so a change is never lost. Its nested values are plain
    and must not be changed in place (tests/extract/test_raw_records.py checks every
    connector hands over records equal to their text)."""

    __slots__ = ("text",)
    text: str | None

    def _changed(method: Callable[..., Any]) -> Callable[..., Any]:  # type: ignore[misc]
        @functools.wraps(method)
        def changing(self: RawRecord, *args: Any, **kwargs: Any) -> Any:
            self.text = None
            return method(self, *args, **kwargs)

        return changing

    __setitem__ = _changed(dict.__setitem__)
    __delitem__ = _changed(dict.__delitem__)
    __ior__ = _changed(dict.__ior__)
    clear = _changed(dict.clear)
    pop = _changed(dict.pop)
    popitem = _changed(dict.popitem)
    setdefault = _changed(dict.setdefault)
    update = _changed(dict.update)
    del _changed


def raw_record(decoded: dict[str, Any], text: str) -> RawRecord:
    """``decoded`` as a :class:`RawRecord` of ``text`` (which must be its JSON)."""
    record = RawRecord(decoded)
    record.text = text
    return record


def with_fields(record: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """``{**record, **fields}``, keeping ``record``'s text with ``fields`` appended to it: a
    key given twice counts once, the later one, in ``json.loads`` and in jsonb alike, so the
    text still decodes to the merged record without encoding the record again."""
    merged = {**record, **fields}
    if type(record) is not RawRecord or record.text is None or not fields:
        return merged
    head = record.text.rstrip()[:-1].rstrip()  # the object without its closing brace
    tail = json.dumps(fields, separators=(",", ":"))[1:]
    return raw_record(merged, f"{head},{tail}" if record else f"{head}{tail}")


def decode(content: bytes, records_at: RecordPath | None = None) -> Any:
    """``json.loads(content)``, except that the objects at ``records_at`` come as
    :class:`RawRecord`. A body of another shape than the path expects decodes as usual."""
    text = content.decode(json.detect_encoding(content), "surrogatepass")
    if records_at is None:
        return json.loads(text)
    value, end = _walk(text, _skip(text, 0), records_at)
    if _skip(text, end) != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def _walk(text: str, index: int, path: RecordPath) -> tuple[Any, int]:
    """The value starting at ``index`` and where it ends; its records (``path``) as RawRecord."""
    opens = text[index : index + 1]
    if not path and opens == "{":
        value, end = _SCAN(text, index)  # at a "{": an object, or JSONDecodeError
        return raw_record(value, text[index:end]), end
    if path and path[0] == "*" and opens == "[":
        return _elements(text, index, path[1:])
    if path and path[0] != "*" and opens == "{":
        return _members(text, index, path[0], path[1:])
    return _scan(text, index)


def _elements(text: str, index: int, path: RecordPath) -> tuple[list[Any], int]:
    values: list[Any] = []
    index = _skip(text, index + 1)
    if text.startswith("]", index):
        return values, index + 1
    while True:  # the loop a page's records go through: kept free of calls that can be saved
        if not path and text.startswith("{", index):
            value, end = _SCAN(text, index)  # at a "{": an object, or JSONDecodeError
            record = RawRecord(value)
            record.text = text[index:end]
            values.append(record)
        else:
            value, end = _walk(text, index, path)
            values.append(value)
        index = _skip(text, end)
        if text.startswith(",", index):
            index = _skip(text, index + 1)
        elif text.startswith("]", index):
            return values, index + 1
        else:
            raise json.JSONDecodeError("Expecting ',' delimiter", text, index)


def _members(text: str, index: int, key: str, path: RecordPath) -> tuple[dict[str, Any], int]:
    members: dict[str, Any] = {}
    index = _skip(text, index + 1)
    if text.startswith("}", index):
        return members, index + 1
    while True:
        if not text.startswith('"', index):
            raise json.JSONDecodeError("Expecting property name in double quotes", text, index)
        name, index = json.decoder.scanstring(text, index + 1)
        index = _skip(text, _expect(text, _skip(text, index), ":"))
        if name == key:
            members[name], index = _walk(text, index, path)
        else:
            members[name], index = _scan(text, index)
        index = _skip(text, index)
        if text.startswith("}", index):
            return members, index + 1
        index = _skip(text, _expect(text, index, ","))


def _scan(text: str, index: int) -> tuple[Any, int]:
    """One JSON value at ``index``: ``JSONDecoder.raw_decode`` without its Python frame."""
    try:
        return _SCAN(text, index)
    except StopIteration as error:
        raise json.JSONDecodeError("Expecting value", text, error.value) from None


def _skip(text: str, index: int) -> int:
    """Past the whitespace at ``index`` (compact JSON has none: checked without a regex)."""
    if text[index : index + 1] not in " \t\n\r":  # ("" at the end is in it: the regex path)
        return index
    return _WHITESPACE.match(text, index).end()  # type: ignore[union-attr]  # always matches


def _expect(text: str, index: int, delimiter: str) -> int:
    if not text.startswith(delimiter, index):
        raise json.JSONDecodeError(f"Expecting {delimiter!r} delimiter", text, index)
    return index + 1


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
            base_url=settings.base_url,
            timeout=settings.timeout_seconds,
            event_hooks=hooks,
            verify=tls_context(),
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        records_at: RecordPath | None = None,
        *,
        as_text: bool = False,
        empty_on: frozenset[int] = frozenset(),
    ) -> Any:
        return self.request(
            "GET", path, params=params, records_at=records_at, as_text=as_text, empty_on=empty_on
        )

    def post(self, path: str, body: Any, records_at: RecordPath | None = None) -> Any:
        return self.request("POST", path, json=body, records_at=records_at)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        authenticated: bool = True,
        records_at: RecordPath | None = None,
        as_text: bool = False,
        as_bytes: bool = False,
        empty_on: frozenset[int] = frozenset(),
    ) -> Any:
        """Send one request, retrying as the classifier allows; return the parsed JSON body.

        ``url`` is a path under ``base_url`` or an absolute URL (e.g. an OAuth token endpoint).
        ``authenticated=False`` sends no source headers and never triggers a refresh.
        ``records_at`` says where a successful body's records are (:func:`decode`).
        ``as_text=True`` returns a successful body as text (a CSV API), ``as_bytes=True`` as
        bytes (a zipped report download); a status in ``empty_on``
        is an answer with nothing in it (``None``), e.g. an SDMX API's 404 "No results found".
        """
        retries = 0
        refreshed = False
        while True:
            headers = dict(self._headers()) if authenticated else {}
            status, body, failure = self._attempt(
                method, url, params, json, data, headers, records_at, as_text, empty_on, as_bytes
            )
            if failure is None:
                return body
            # the path, never the query string: some APIs carry tokens there (parsed only
            # now: a URL parse per request is a cost every page would pay)
            where = f"{method} {httpx.URL(url).path}"
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
        records_at: RecordPath | None,
        as_text: bool = False,
        empty_on: frozenset[int] = frozenset(),
        as_bytes: bool = False,
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
        if response.status_code in empty_on:
            return str(response.status_code), None, None
        if as_bytes and response.is_success:
            return str(response.status_code), response.content, None
        if as_text and response.is_success:
            try:
                return str(response.status_code), response.content.decode("utf-8"), None
            except UnicodeDecodeError:
                return str(response.status_code), None, Failure(FailureKind.RETRY, "not UTF-8")
        try:
            path = records_at if response.is_success else None
            parsed = decode(response.content, path) if response.content else None
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


class ApiSession:
    """A source's API client that owns one :class:`HttpClient` (``self.http``); as a context
    manager it closes it."""

    http: HttpClient

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.http.close()
