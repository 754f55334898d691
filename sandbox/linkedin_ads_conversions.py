"""The LinkedIn stand-in's Conversions API: ``POST /rest/conversionEvents``.

From LinkedIn's pages:

* One event as the body (answer 201, empty), or many as a Rest.li ``BATCH_CREATE``
  (``X-RestLi-Method: BATCH_CREATE``, ``{"elements": [...]}``), answered 200
  ``{"elements": [{"status": 201}, ...]}`` one result per element in request order
  (https://learn.microsoft.com/en-us/linkedin/marketing/integrations/ads-reporting/conversions-api;
  a failed element is ``{"status", "error"}``, as LinkedIn's client reads batch results:
  github.com/linkedin-developers/linkedin-api-python-client,
  linkedin_api/clients/restli/response_formatter.py; the batch request and its 200 answer as
  in LinkedIn's Postman collection ("Stream multiple conversion events"), mirrored at
  https://developers.qodex.ai/linkedin-marketing-solutions-versioned-apis/conversions-api/conversion-events-streaming-workflow/10-stream-multiple-conversion-events-to-the-conversion-rule).
  Needs ``rw_conversions`` (or the token is refused 403).
* An element: ``conversion`` = ``urn:lla:llaPartnerConversion:{id}`` of a rule of the account
  (this world's: :data:`sandbox.conversion_destinations.LINKEDIN_CONVERSION_RULES`);
  ``conversionHappenedAt`` epoch milliseconds; optional ``conversionValue``
  ``{"currencyCode", "amount"}`` (amount a decimal string); optional ``eventId`` (the
  de-duplication key); ``user`` with ``userIds`` (``idType`` SHA256_EMAIL,
  LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID, ACXIOM_ID or ORACLE_MOAT_ID) and/or ``userInfo``
  with ``firstName`` and ``lastName``.
* Events older than 90 days are refused (Conversions FAQ, "a 90-day lookback",
  https://learn.microsoft.com/en-us/linkedin/marketing/conversions/conversions-faq; "older than
  90 days, it's automatically rejected",
  https://developer.salesforce.com/docs/data/data-cloud-int/guide/c360-a-linkedincapi-connector.html).
  At most 5,000 events a batch, 600 requests a minute and 300,000 a day (the Salesforce page);
  eventId at most 64 characters (the same page).

**[inferred]** (no page says): the 90 days counted in API days (an event is refused before
midnight 90 days before the API day), an event after the API day refused; a SHA256_EMAIL that
is not 64 lower-case hex characters refused; each element validated on its own (a bad one
fails alone, 400 ``ILLEGAL_ARGUMENT``); an unknown rule fails its element 404 ``NOT_FOUND``;
a repeated (rule, eventId) answered 201 again and counted once; the transient per-element
error a 500; a request over the minute or day limit a 429 with the throttle wording of the
server's other 429s and no Retry-After; the messages' wording; an li_fat_id not checked
against the world's clicks (LinkedIn does not say it refuses an unknown one; it just matches
nothing).
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.clock import DAY_MS, day_start_ms
from sandbox.http import Request, Response, json_response

PATH = "/rest/conversionEvents"
RULE_URN = re.compile(r"urn:lla:llaPartnerConversion:(\d+)")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
CURRENCY = re.compile(r"[A-Z]{3}")
AMOUNT = re.compile(r"\d+(\.\d+)?")
ID_TYPES = frozenset(
    {"SHA256_EMAIL", "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", "ACXIOM_ID", "ORACLE_MOAT_ID"}
)
CLICK_ID_TYPE = "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID"
BATCH_LIMIT = 5_000
EVENT_DAYS = 90
EVENT_ID_CHARS = 64
PER_MINUTE = 600
PER_DAY = 300_000


class ElementError(Exception):
    """One event refused: its part of a batch answer (or the whole answer of a single create)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict[str, Any]:
        return {"status": self.status, "code": self.code, "message": self.message}


class ConversionEvents:
    """What the endpoint knows (the account's rules, its API day) and what it has taken."""

    def __init__(
        self,
        rules: set[int],
        today: Callable[[], date],
        *,
        per_minute: int = PER_MINUTE,
        per_day: int = PER_DAY,
        batch_limit: int = BATCH_LIMIT,
    ) -> None:
        self.rules = rules
        self.today = today
        self.per_minute, self.per_day, self.batch_limit = per_minute, per_day, batch_limit
        self.bodies: list[bytes] = []  # every upload body exactly as received
        self.accepted: list[dict[str, Any]] = []  # one per event taken (after de-duplication)
        self.transient_click_ids: set[str] = set()  # a test fills it: those events get a 500
        self._seen: set[tuple[int, str]] = set()  # (rule id, eventId) already taken
        self._minute: deque[float] = deque()  # monotonic times of this minute's requests
        self._days: dict[date, int] = {}
        self._lock = threading.Lock()

    def received(self, body: bytes) -> None:
        with self._lock:
            self.bodies.append(body)

    def over_limit(self) -> str | None:
        """Which limit this request is over ("minute" or "day"); None: under both, counted."""
        now, today = time.monotonic(), self.today()
        with self._lock:
            while self._minute and now - self._minute[0] >= 60:
                self._minute.popleft()
            if self._days.get(today, 0) >= self.per_day:
                return "day"
            if len(self._minute) >= self.per_minute:
                return "minute"
            self._minute.append(now)
            self._days[today] = self._days.get(today, 0) + 1
            return None

    def create(self, request: Request) -> Response:
        """A single create, or a BATCH_CREATE when the header says so."""
        try:
            body = request.json()
        except ValueError:
            return _error(400, "ILLEGAL_ARGUMENT", "Request body is not valid JSON")
        method = (request.headers.get("X-RestLi-Method") or "").upper()
        if method == "BATCH_CREATE":
            elements = body.get("elements") if isinstance(body, dict) else None
            if not isinstance(elements, list) or not elements:
                return _error(400, "ILLEGAL_ARGUMENT", "BATCH_CREATE needs a non-empty elements")
            if len(elements) > self.batch_limit:
                message = f"Batch size {len(elements)} exceeds the limit of {self.batch_limit}"
                return _error(400, "ILLEGAL_ARGUMENT", message)
            return json_response(200, {"elements": [self._one(e) for e in elements]})
        if method:
            return _error(400, "ILLEGAL_ARGUMENT", f"Unsupported X-RestLi-Method: {method}")
        if isinstance(body, dict) and "elements" in body:
            message = "A body with elements needs X-RestLi-Method: BATCH_CREATE"
            return _error(400, "ILLEGAL_ARGUMENT", message)
        result = self._one(body)
        if result["status"] == 201:
            return Response(201, b"")
        return json_response(result["status"], result["error"])

    def _one(self, event: Any) -> dict[str, Any]:
        try:
            self._take(event)
        except ElementError as error:
            return {"status": error.status, "error": error.body()}
        return {"status": 201}

    def _take(self, event: Any) -> None:
        if not isinstance(event, dict):
            raise ElementError(400, "ILLEGAL_ARGUMENT", "A conversion event must be an object")
        rule = self._rule(event.get("conversion"))
        self._check_time(event.get("conversionHappenedAt"))
        value, currency = _value(event.get("conversionValue"))
        event_id = event.get("eventId")
        if event_id is not None and (
            not isinstance(event_id, str) or not 0 < len(event_id) <= EVENT_ID_CHARS
        ):
            message = f"eventId must be a string of 1 to {EVENT_ID_CHARS} characters"
            raise ElementError(400, "ILLEGAL_ARGUMENT", message)
        click_id = _user(event.get("user"))
        if click_id in self.transient_click_ids:
            raise ElementError(500, "INTERNAL_SERVER_ERROR", "Internal Server Error")
        with self._lock:
            if event_id is not None:
                if (rule, event_id) in self._seen:
                    return  # de-duplicated: answered 201, counted once
                self._seen.add((rule, event_id))
            self.accepted.append(
                {
                    "event_id": event_id,
                    "destination": str(rule),
                    "click_id": click_id,
                    "value": value,
                    "currency": currency,
                }
            )

    def _rule(self, urn: Any) -> int:
        match = RULE_URN.fullmatch(urn) if isinstance(urn, str) else None
        if match is None:
            message = f"conversion must be urn:lla:llaPartnerConversion:<id>, got {urn!r}"
            raise ElementError(400, "ILLEGAL_ARGUMENT", message)
        if int(match[1]) not in self.rules:
            raise ElementError(404, "NOT_FOUND", f"Conversion rule {urn} does not exist")
        return int(match[1])

    def _check_time(self, at: Any) -> None:
        if isinstance(at, bool) or not isinstance(at, int) or at <= 0:
            message = f"conversionHappenedAt must be epoch milliseconds, got {at!r}"
            raise ElementError(400, "ILLEGAL_ARGUMENT", message)
        today = self.today()
        if at < day_start_ms(today - timedelta(days=EVENT_DAYS)):
            message = f"conversionHappenedAt {at} is more than {EVENT_DAYS} days in the past"
            raise ElementError(400, "ILLEGAL_ARGUMENT", message)
        if at >= day_start_ms(today) + DAY_MS:
            message = f"conversionHappenedAt {at} is in the future"
            raise ElementError(400, "ILLEGAL_ARGUMENT", message)


def _value(value: Any) -> tuple[Decimal | None, str | None]:
    if value is None:
        return None, None
    if not isinstance(value, dict):
        raise ElementError(400, "ILLEGAL_ARGUMENT", "conversionValue must be an object")
    currency, amount = value.get("currencyCode"), value.get("amount")
    if not isinstance(currency, str) or not CURRENCY.fullmatch(currency):
        message = f"conversionValue.currencyCode must be an ISO 4217 code, got {currency!r}"
        raise ElementError(400, "ILLEGAL_ARGUMENT", message)
    if not isinstance(amount, str) or not AMOUNT.fullmatch(amount):
        message = f"conversionValue.amount must be a decimal string, got {amount!r}"
        raise ElementError(400, "ILLEGAL_ARGUMENT", message)
    try:
        return Decimal(amount), currency
    except InvalidOperation as error:  # the pattern admits only decimals; kept for safety
        raise ElementError(400, "ILLEGAL_ARGUMENT", f"Invalid amount {amount!r}") from error


def _user(user: Any) -> str | None:
    """Check ``user``; return its li_fat_id (or None)."""
    if not isinstance(user, dict):
        raise ElementError(400, "ILLEGAL_ARGUMENT", "user is required")
    ids = user.get("userIds") or []
    info = user.get("userInfo")
    if not isinstance(ids, list):
        raise ElementError(400, "ILLEGAL_ARGUMENT", "user.userIds must be an array")
    named = isinstance(info, dict) and info.get("firstName") and info.get("lastName")
    if not ids and not named:
        message = "user needs a userId, or userInfo with firstName and lastName"
        raise ElementError(400, "ILLEGAL_ARGUMENT", message)
    click_id = None
    for entry in ids:
        kind = entry.get("idType") if isinstance(entry, dict) else None
        value = entry.get("idValue") if isinstance(entry, dict) else None
        if kind not in ID_TYPES:
            raise ElementError(400, "ILLEGAL_ARGUMENT", f"Unsupported idType {kind!r}")
        if not isinstance(value, str) or not value:
            raise ElementError(400, "ILLEGAL_ARGUMENT", f"{kind} needs an idValue")
        if kind == "SHA256_EMAIL" and not SHA256_HEX.fullmatch(value):
            message = "SHA256_EMAIL idValue must be a SHA-256 hex digest (64 lower-case hex)"
            raise ElementError(400, "ILLEGAL_ARGUMENT", message)
        if kind == CLICK_ID_TYPE:
            click_id = value
    return click_id


def _error(status: int, code: str, message: str) -> Response:
    return json_response(
        status, {"status": status, "serviceErrorCode": 100, "code": code, "message": message}
    )
