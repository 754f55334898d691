"""The Conversions API's ``POST /{version}/{dataset_id}/events``, as the Meta stand-in answers it.

From Meta's pages (each rule names its source; **[inferred]** where none says it):

* The request: form fields (or a JSON body) ``data``, a JSON array of server events, and
  ``test_event_code`` (events go to the Test Events tool only); the token as ``access_token``
  (https://developers.facebook.com/docs/marketing-api/conversions-api/using-the-api). At most
  1,000 events (same page); **[inferred]** more, or none, is a (#100) refusal of the request.
* The dataset must exist and the token may use it, else Graph's
  ``(#100) Unsupported post request. Object with ID '...' does not exist, cannot be loaded due
  to missing permissions, or does not support this operation`` (code 100, subcode 33, the
  Graph API's answer for any unknown object). Event names are free: a name Meta has not seen
  becomes a custom event (server-event page below), so no event name is refused.
* Each event (https://developers.facebook.com/documentation/ads-commerce/conversions-api/parameters/server-event):
  ``event_name`` (string), ``event_time`` (integer Unix seconds, at most 7 days old, 62 for
  ``physical_store``: "If any event_time in data is greater than 7 days in the past, we return
  an error for the entire request and process no events"; **[inferred]** more than a minute in
  the future is refused too), ``action_source`` (one of ``ActionSource`` in
  github.com/facebook/facebook-python-business-sdk; ``website`` needs ``event_source_url`` and
  ``client_user_agent``, https://developers.facebook.com/docs/marketing-api/conversions-api/parameters),
  ``user_data`` with some customer information (else 100/2804050 "This event has insufficient
  customer information", Meta's body as quoted in the tests of Setono's MetaConversionsApi
  PHP client; **[inferred]** the words of every other refusal below and its subcode).
* ``user_data.em``: SHA-256 hex, lower case (customer-information-parameters page: "must be
  hashed"); **[inferred]** anything else is refused rather than hashed for the sender.
  ``user_data.fbc``: ``fb.{subdomain index}.{creation time in ms}.{fbclid}``
  (https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/fbp-and-fbc/);
  **[inferred]** another shape, or a creation time after the event, is refused. The fbclid is
  not checked against Meta's clicks: Meta matches what it can and refuses nothing for it.
* ``custom_data.value`` a number with ``currency`` (ISO 4217,
  https://developers.facebook.com/documentation/ads-commerce/conversions-api/guides/value-optimization);
  **[inferred]** a value without a currency, or a ``Purchase`` without both, is refused.
* One invalid event refuses the whole request, HTTP 400, and none of its events is kept
  (event_time rule above; https://developers.facebook.com/documentation/ads-commerce/conversions-api/support:
  "If invalid, a 4xx HTTP response code is returned"). **[inferred]** the same for every rule.
* De-duplication on ``event_name`` + ``event_id`` within 48 hours: "we only consider the first
  one" (server-event page, about a browser and a server event). **[inferred]** two server
  events are de-duplicated alike, and a duplicate still counts in ``events_received``.
* The answer: ``{"events_received": n, "messages": [], "fbtrace_id": ...}`` (``EventResponse``
  in the Python business SDK).

The window is counted from the stand-in's own now (``MetaAdsServer.conversions_now``).
"""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from sandbox.conversion_destinations import META_DATASET_ID
from sandbox.http import Request, json_decimal

MAX_EVENTS = 1000
EVENT_WINDOW = timedelta(days=7)
STORE_WINDOW = timedelta(days=62)  # action_source physical_store
FUTURE_SLACK = timedelta(minutes=1)
DEDUP_WINDOW = timedelta(hours=48)
ACTION_SOURCES = frozenset(
    {
        "email",
        "website",
        "app",
        "phone_call",
        "chat",
        "physical_store",
        "system_generated",
        "business_messaging",
        "other",
    }
)
# Customer information parameters (customer-information-parameters page); any one will do.
CUSTOMER_KEYS = frozenset(
    {
        "em",
        "ph",
        "fn",
        "ln",
        "db",
        "ge",
        "ct",
        "st",
        "zp",
        "country",
        "external_id",
        "client_ip_address",
        "client_user_agent",
        "fbc",
        "fbp",
        "subscription_id",
        "fb_login_id",
        "lead_id",
        "madid",
        "anon_id",
        "page_id",
        "ctwa_clid",
    }
)
HASHED_KEYS = ("em", "ph", "fn", "ln", "ct", "st", "zp", "country", "db", "ge")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
FBC = re.compile(r"fb\.([0-2])\.(\d{13})\.(\S+)")
CURRENCY = re.compile(r"[A-Za-z]{3}")
ACCESS_MESSAGE = (
    "Unsupported post request. Object with ID '{id}' does not exist, cannot be loaded due to "
    "missing permissions, or does not support this operation. Please read the Graph API "
    "documentation at https://developers.facebook.com/docs/graph-api"
)
TRANSIENT = "Service temporarily unavailable"


class Refusal(Exception):
    """One request refused: the HTTP status and Graph error fields to answer with."""

    def __init__(self, status: int, code: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def invalid(subcode: int | None, title: str, detail: str) -> Refusal:
    """Meta's "Invalid parameter" with its user-facing title and message."""
    extra: dict[str, Any] = {"is_transient": False}
    if subcode is not None:
        extra["error_subcode"] = subcode
    return Refusal(
        400,
        100,
        "Invalid parameter",
        **extra,
        error_user_title=title,
        error_user_msg=detail,
    )


class ConversionsEndpoint:
    """The stand-in's conversion state: what tests read, and what Meta remembers to de-dup."""

    def __init__(self, datasets: frozenset[str] = frozenset({META_DATASET_ID})) -> None:
        self.datasets = datasets
        self.conversion_bodies: list[bytes] = []  # filled by the server, faulted requests too
        self.accepted_conversions: list[dict[str, Any]] = []
        self.test_events: list[dict[str, Any]] = []  # sent with a test_event_code
        self.transient_click_ids: set[str] = set()
        self._seen: dict[tuple[str, str, str], datetime] = {}  # (dataset, name, id) -> received
        self._lock = threading.Lock()  # the server answers requests on many threads

    def post(self, request: Request, dataset_id: str, now: datetime) -> dict[str, Any]:
        """Validate and take one request; the answer's body, or raise :class:`Refusal`."""
        if dataset_id not in self.datasets:
            raise Refusal(
                400,
                100,
                ACCESS_MESSAGE.format(id=dataset_id),
                error_subcode=33,
                type="GraphMethodException",
            )
        form = _form(request)
        events = _events(form.get("data"))
        for event in events:
            _check_event(event, now)
        if any(_click_id(event) in self.transient_click_ids for event in events):
            raise Refusal(503, 2, TRANSIENT, is_transient=True, type="GraphMethodException")
        test_code = form.get("test_event_code")
        with self._lock:
            for event in events:
                self._take(dataset_id, event, now, test_code)
        return {"events_received": len(events), "messages": []}

    def _take(self, dataset_id: str, event: dict[str, Any], now: datetime, test_code: Any) -> None:
        custom = event.get("custom_data") or {}
        record = {
            "event_id": event.get("event_id"),
            "destination": event["event_name"],
            "click_id": _click_id(event),
            "value": json_decimal(custom.get("value")) if "value" in custom else None,
            "currency": custom.get("currency"),
        }
        if test_code:
            self.test_events.append({**record, "test_event_code": test_code})
            return
        if record["event_id"] is not None:
            key = (dataset_id, str(event["event_name"]), str(record["event_id"]))
            first = self._seen.get(key)
            if first is not None and now - first <= DEDUP_WINDOW:
                return  # "we only consider the first one"
            self._seen[key] = now
        self.accepted_conversions.append(record)


def _form(request: Request) -> dict[str, Any]:
    """The request's parameters: a JSON body, or a form body, over the query string."""
    params: dict[str, Any] = {name: values[-1] for name, values in request.query.items()}
    kind = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            body = request.json()
        except ValueError as error:
            raise Refusal(400, 100, "(#100) The request body is not valid JSON") from error
        if not isinstance(body, dict):
            raise Refusal(400, 100, "(#100) The request body must be a JSON object")
        return params | body
    if request.body:
        text = request.body.decode("utf-8", "replace")
        params |= {name: values[-1] for name, values in parse_qs(text).items()}
    return params


def _events(data: Any) -> list[dict[str, Any]]:
    if data is None:
        raise Refusal(400, 100, "(#100) The parameter data is required")
    if isinstance(data, str):
        try:
            data = json.loads(data, parse_float=Decimal)
        except ValueError as error:
            raise Refusal(400, 100, "(#100) param data must be an array.") from error
    if not isinstance(data, list) or not all(isinstance(event, dict) for event in data):
        raise Refusal(400, 100, "(#100) param data must be an array.")
    if not data:
        raise Refusal(400, 100, "(#100) param data must be a non-empty array.")
    if len(data) > MAX_EVENTS:
        raise Refusal(
            400, 100, f"(#100) param data must be an array of at most {MAX_EVENTS} elements."
        )
    return data


def _check_event(event: dict[str, Any], now: datetime) -> None:
    """Raise the refusal Meta gives ``event``, if any."""
    name = event.get("event_name")
    if not isinstance(name, str) or not name.strip():
        raise invalid(None, "Missing event name", "event_name is required.")
    seconds = event.get("event_time")
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise invalid(None, "Invalid event time", "event_time must be a Unix time in seconds.")
    source = event.get("action_source")
    if source not in ACTION_SOURCES:
        raise invalid(
            None,
            "Invalid action source",
            f"action_source must be one of {', '.join(sorted(ACTION_SOURCES))}.",
        )
    moment = datetime.fromtimestamp(seconds, UTC)
    window = STORE_WINDOW if source == "physical_store" else EVENT_WINDOW
    if now - moment > window:
        raise invalid(
            2804003,
            "Event Timestamp Too Old",
            f"The timestamp for this event is too far in the past. Events need to be "
            f"sent from your server within {window.days} days of when they occurred.",
        )
    if moment - now > FUTURE_SLACK:
        raise invalid(
            2804004,
            "Event Timestamp In The Future",
            "The timestamp for this event is in the future.",
        )
    _check_user_data(event.get("user_data"), seconds)
    if source == "website" and not (
        event.get("event_source_url") and (event.get("user_data") or {}).get("client_user_agent")
    ):
        raise invalid(
            None,
            "Missing website parameters",
            "website events require event_source_url and client_user_agent.",
        )
    _check_custom_data(event.get("custom_data"), name)
    if "event_id" in event and not isinstance(event["event_id"], str | int):
        raise invalid(None, "Invalid event ID", "event_id must be a string.")


def _check_user_data(user_data: Any, event_seconds: int) -> None:
    if not isinstance(user_data, dict) or not CUSTOMER_KEYS.intersection(user_data):
        raise invalid(
            2804050,
            "Customer information parameters",
            "This event has insufficient customer information.",
        )
    for key in HASHED_KEYS:
        if key not in user_data:
            continue
        values = user_data[key] if isinstance(user_data[key], list) else [user_data[key]]
        if not all(isinstance(value, str) and SHA256_HEX.fullmatch(value) for value in values):
            raise invalid(
                None,
                "Unhashed customer information",
                f"user_data.{key} must be hashed with SHA-256 (64 lower-case hex characters).",
            )
    if "fbc" in user_data:
        match = FBC.fullmatch(str(user_data["fbc"]))
        if not match:
            raise invalid(
                None,
                "Invalid fbc parameter",
                "user_data.fbc must be fb.<subdomain index>.<creation time in ms>.<fbclid>.",
            )
        if int(match[2]) > event_seconds * 1000 + 999:
            raise invalid(
                None,
                "Invalid fbc parameter",
                "the fbc creation time is later than the event time.",
            )


def _check_custom_data(custom: Any, event_name: str) -> None:
    if custom is None:
        custom = {}
    if not isinstance(custom, dict):
        raise invalid(None, "Invalid custom data", "custom_data must be an object.")
    has_value = custom.get("value") is not None
    currency = custom.get("currency")
    if has_value and json_decimal(custom["value"]) is None:
        raise invalid(None, "Invalid value", "custom_data.value must be a number.")
    if has_value and not (isinstance(currency, str) and CURRENCY.fullmatch(currency)):
        raise invalid(
            None,
            "Invalid currency",
            "custom_data.currency must be a three-letter ISO 4217 code with a value.",
        )
    if event_name == "Purchase" and not has_value:
        raise invalid(
            None,
            "Missing value and currency",
            "Purchase events require custom_data.value and custom_data.currency.",
        )


def _click_id(event: dict[str, Any]) -> str | None:
    user_data = event.get("user_data") or {}
    match = FBC.fullmatch(str(user_data.get("fbc") or ""))
    return match[3] if match else None
