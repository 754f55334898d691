"""Offline conversions to Meta through the Conversions API: one server event per conversion.

What is sent: ``POST /{api_version}/{dataset_id}/events`` (the Graph API version of
``THINLINE_META_ADS__API_VERSION``, as the extractor uses), form fields ``data`` (a JSON array
of at most 1,000 events) and, when ``THINLINE_META_ADS__TEST_EVENT_CODE`` is set,
``test_event_code`` (the events then reach Events Manager's Test Events tool only); the token
as the ``access_token`` query parameter, with ``appsecret_proof`` when the app secret is set
(https://developers.facebook.com/docs/marketing-api/conversions-api/using-the-api). Each event
(https://developers.facebook.com/documentation/ads-commerce/conversions-api/parameters/server-event):

* ``event_name``: the destination (the demo's ``QualifiedLead``, ``Opportunity``, ``Purchase``:
  standard or custom event names; Meta creates a custom event on first sight);
* ``event_time``: Unix seconds (GMT) of the conversion; ``event_id``: the conversion's
  ``event_id``, Meta's de-duplication key together with ``event_name`` ("If we find a match
  between events sent within 48 hours of each other, we only consider the first one";
  **[inferred]** that this holds for two server events too, so a resent batch is harmless);
* ``action_source``: ``system_generated`` ("conversion happened automatically": a CRM stage
  change, not a visit; ``website`` would need the visitor's user agent and page URL, which a
  CRM outcome has not; the values are ``ActionSource`` in Meta's Python business SDK,
  github.com/facebook/facebook-python-business-sdk);
* ``user_data``: ``em`` (SHA-256 hex of the trimmed, lower-cased email, never the email) and
  ``fbc`` = ``fb.1.{click time in ms}.{fbclid}``, the form Meta documents for a click id kept
  without its ``_fbc`` cookie (subdomain index 1, the time the fbclid was first seen, the
  fbclid unchanged: https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/fbp-and-fbc);
* ``custom_data``: ``value`` and ``currency`` (ISO 4217) when the conversion has a value
  (https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/custom-data;
  https://developers.facebook.com/documentation/ads-commerce/conversions-api/guides/value-optimization:
  "Currency must be a valid ISO 4217 three-digit currency code"). **[inferred]** Meta refuses
  a ``Purchase`` without them rather than keeping it without a value.

The windows (:meth:`MetaConversionUploader.skip_reason`, counted from the sender's ``now``):
an event more than 7 days old refuses the whole request ("If any event_time in data is greater
than 7 days in the past, we return an error for the entire request and process no events",
server-event page above; 62 days only for ``physical_store``), so such a conversion is skipped;
so is one in the future, one whose click came after it (its ``fbc`` would be created after
the event), a value without a currency, a ``Purchase`` without a value, and an email hash that
is not 64 hex characters. Meta does not refuse an old click: its attribution setting (at most
7 days after a click) decides whether the event is credited to the ad.

Answers (https://developers.facebook.com/documentation/ads-commerce/conversions-api/support):
a valid request gets ``{"events_received": n, "messages": [], "fbtrace_id": ...}``, every event
ACCEPTED. An invalid event refuses the whole request (HTTP 400, ``code`` 100 "Invalid
parameter" with ``error_user_title`` / ``error_user_msg``), and none of its events is kept:
the batch is halved and sent again until the refused event is alone, which is REJECTED with
Meta's words while the others are ACCEPTED. Throttling (codes 4, 17, 80004, ...), Meta's
transient codes (1, 2, ``is_transient``), 5xx and lost connections are retried in-process by
:class:`extract.http.HttpClient`, then every event of the request is RETRY for the sender (at
once when Meta says the block is not transient or lasts longer than a wait is worth). A
bad token (190), a dataset that does not exist or the token may not use (100/33), an expired
version (2635) raise :class:`~extract.base.SourceError`.

What a real account sets up first: a dataset (pixel) in Events Manager, its id in
``THINLINE_META_ADS__CONVERSIONS_DATASET_ID`` (the demo's: ``sandbox/conversion_destinations.py``);
a token that may send to it, either generated in Events Manager (the dataset's Settings >
Conversions API > Generate access token) or a system user's token with ``ads_management``
whose system user is assigned to the dataset, in ``THINLINE_META_ADS__CONVERSIONS_ACCESS_TOKEN``
(else ``THINLINE_META_ADS__ACCESS_TOKEN``;
https://developers.facebook.com/documentation/ads-commerce/conversions-api/get-started, whose
two ways to a token are these; **[inferred]** that the permission is ``ads_management``, the
Marketing API's write permission, and that the extractor's ``ads_read`` alone cannot send);
custom conversions in Events Manager for ``QualifiedLead`` and ``Opportunity`` if campaigns
should optimise for them. Then ``THINLINE_META_ADS__UPLOAD_CONVERSIONS=true``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from extract.base import ConfigError, SourceError
from extract.http import Failure, FailureKind, HttpClient, Sleep, one_line, status_failure
from extract.meta_ads.client import VersionWarning, auth_params, classify
from extract.meta_ads.settings import MetaAdsSettings
from thinline.conversions.model import Conversion, Outcome, Status

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_EVENTS = 1000  # "You can send up to 1,000 events in data" (using-the-api page above)
EVENT_WINDOW = timedelta(days=7)  # event_time at most 7 days before it is sent
FUTURE_SLACK = timedelta(minutes=1)  # [inferred] Meta refuses events from the future
ACTION_SOURCE = "system_generated"
PURCHASE = "Purchase"  # the standard event whose value and currency are required
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
CURRENCY = re.compile(r"[A-Za-z]{3}")
INVALID_PARAMETER = 100
NO_SUCH_OBJECT = 33  # error_subcode of 100: the object does not exist or the token may not use it
TOKEN_HINT = (
    "check THINLINE_META_ADS__CONVERSIONS_ACCESS_TOKEN (a token generated in Events Manager for "
    "the dataset, or a system user's with ads_management assigned to it)"
)
DATASET_HINT = (
    "check THINLINE_META_ADS__CONVERSIONS_DATASET_ID (and the conversion map's dataset) and that "
    "the token's system user is assigned to that dataset"
)


class EventsRefused(SourceError):
    """Meta refused a request for what one of its events holds (code 100, not 100/33)."""

    def __init__(self, message: str, error: dict[str, Any]) -> None:
        super().__init__(message)
        self.error = error


class MetaConversionUploader:
    """The Conversions API uploader of :mod:`thinline.conversions.model`'s ``Uploader``."""

    platform: ClassVar[str] = "meta_ads"
    batch_size: ClassVar[int] = MAX_EVENTS

    def __init__(self, settings: MetaAdsSettings, *, sleep: Sleep = time.sleep) -> None:
        token = settings.conversions_access_token or settings.access_token
        if token is None or not token.get_secret_value():
            raise ConfigError(
                "meta_ads: credential THINLINE_META_ADS__CONVERSIONS_ACCESS_TOKEN (or "
                "THINLINE_META_ADS__ACCESS_TOKEN) is not set"
            )
        self.settings = settings
        self._auth = auth_params(settings.model_copy(update={"access_token": token}))
        self._sleep = sleep
        self._version_warning = VersionWarning()
        self._fatal: Failure | None = None  # the last failure retrying cannot fix

    # What the sender asks before sending.
    def skip_reason(self, conversion: Conversion, now: datetime) -> str | None:
        occurred, clicked = _utc(conversion.occurred_at), _utc(conversion.clicked_at)
        age = now - occurred
        if age > EVENT_WINDOW:
            # one wording for every such row, so they count together (preview, the report)
            return f"Meta refuses events more than {EVENT_WINDOW.days} days old"
        if occurred > now + FUTURE_SLACK:
            return "the conversion is in the future; Meta refuses events from the future"
        if clicked > occurred:
            return "the click came after the conversion"
        if conversion.value is not None and not _currency(conversion.currency):
            return "a value without an ISO 4217 currency"
        if conversion.destination == PURCHASE and conversion.value is None:
            return "Meta requires value and currency on Purchase events"
        if conversion.email_sha256 is not None and not _email_hash(conversion.email_sha256):
            return "email_sha256 is not a SHA-256 hex digest"
        if not conversion.click_id and not conversion.email_sha256:
            return "neither a click id nor an email hash to match on"
        return None

    def payload(self, conversion: Conversion) -> dict[str, Any]:
        user_data: dict[str, Any] = {}
        email = _email_hash(conversion.email_sha256)
        if email:
            user_data["em"] = [email]
        if conversion.click_id:
            user_data["fbc"] = fbc(conversion.click_id, conversion.clicked_at)
        event: dict[str, Any] = {
            "event_name": conversion.destination,
            "event_time": int(_utc(conversion.occurred_at).timestamp()),
            "event_id": conversion.event_id,
            "action_source": ACTION_SOURCE,
            "user_data": user_data,
        }
        if conversion.value is not None:
            event["custom_data"] = {
                "value": _number(conversion.value),
                "currency": (conversion.currency or "").upper(),
            }
        return event

    # Sending.
    def upload(self, account_id: str, conversions: Sequence[Conversion]) -> list[Outcome]:
        if not conversions:
            return []
        dataset = self._dataset(account_id)
        outcomes: list[Outcome] = []
        with self._client() as http:
            for start in range(0, len(conversions), MAX_EVENTS):
                outcomes += self._send(http, dataset, conversions[start : start + MAX_EVENTS])
        return outcomes

    def _dataset(self, account_id: str) -> str:
        dataset = str(account_id).strip()
        wanted = self.settings.conversions_dataset_id
        if not dataset.isdigit():
            raise SourceError(f"meta_ads: dataset id {dataset!r} is not a number — {DATASET_HINT}")
        if wanted and dataset != wanted.strip():
            raise SourceError(
                f"meta_ads: conversions for dataset {dataset}, but "
                f"THINLINE_META_ADS__CONVERSIONS_DATASET_ID is {wanted} — {DATASET_HINT}"
            )
        return dataset

    def _client(self) -> HttpClient:
        return HttpClient(
            self.settings,
            classify=self._classify,
            auth_hint=TOKEN_HINT,
            sleep=self._sleep,
            on_response=self._version_warning,
        )

    def _send(self, http: HttpClient, dataset: str, batch: Sequence[Conversion]) -> list[Outcome]:
        """One request; a refused one is halved until the refused event is alone."""
        form = {"data": json.dumps([self.payload(c) for c in batch], separators=(",", ":"))}
        if self.settings.test_event_code:
            form["test_event_code"] = self.settings.test_event_code
        path = f"/{self.settings.api_version}/{dataset}/events"
        self._fatal = None
        try:
            answer = http.request("POST", path, params=self._auth, data=form)
        except EventsRefused as refusal:
            if len(batch) == 1:
                said = {"error": refusal.error}
                return [Outcome(batch[0].event_id, Status.REJECTED, str(refusal), said)]
            middle = len(batch) // 2
            return self._send(http, dataset, batch[:middle]) + self._send(
                http, dataset, batch[middle:]
            )
        except SourceError as error:
            if self._fatal is not None:
                raise
            said = {"error": str(error)}
            return [Outcome(c.event_id, Status.RETRY, str(error), said) for c in batch]
        received = answer.get("events_received") if isinstance(answer, dict) else None
        if received != len(batch):  # [inferred] never seen: sent again, Meta de-duplicates
            said = {"answer": answer}
            text = f"meta_ads: Meta received {received} of {len(batch)} events"
            return [Outcome(c.event_id, Status.RETRY, text, said) for c in batch]
        said = {name: answer.get(name) for name in ("events_received", "fbtrace_id", "messages")}
        return [Outcome(c.event_id, Status.ACCEPTED, None, said) for c in batch]

    def _classify(self, response: httpx.Response, body: Any) -> Failure | None:
        """Meta's classifier, except that an event's refusal is raised (to split the batch) and
        a missing dataset names the conversion settings; remembers what retrying cannot fix."""
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict) and _event_refusal(error):
            raise EventsRefused(_refusal_text(error), error)
        failure = classify(response, body)
        if isinstance(error, dict) and _subcode(error) == (INVALID_PARAMETER, NO_SUCH_OBJECT):
            failure = Failure(
                FailureKind.FATAL, failure.message if failure else "", None, DATASET_HINT
            )
        if failure is None:
            failure = status_failure(response, one_line(response.reason_phrase or "error"))
        if failure.kind in (FailureKind.FATAL, FailureKind.AUTH):
            self._fatal = failure
        return failure


def build_uploader(
    settings: MetaAdsSettings, *, sleep: Sleep = time.sleep
) -> MetaConversionUploader:
    """The manifest's ``conversion_uploader``: Meta's Conversions API over ``settings``."""
    return MetaConversionUploader(settings, sleep=sleep)


def fbc(click_id: str, clicked_at: datetime) -> str:
    """Meta's click id parameter, ``fb.1.{ms}.{fbclid}``: the fbclid as it came (case matters)."""
    millis = (_utc(clicked_at) - EPOCH) // timedelta(milliseconds=1)  # exact, unlike a float
    return f"fb.1.{millis}.{click_id}"


def _event_refusal(error: dict[str, Any]) -> bool:
    """An "Invalid parameter" about the events, not the token, dataset, version or app."""
    code, subcode = _subcode(error)
    message = str(error.get("message") or "")
    return (
        code == INVALID_PARAMETER
        and subcode != NO_SUCH_OBJECT
        and error.get("is_transient") is not True
        and "appsecret_proof" not in message
    )


def _refusal_text(error: dict[str, Any]) -> str:
    code, subcode = _subcode(error)
    label = f"#{code}" + (f"/{subcode}" if subcode else "")
    parts = [str(error.get(name)) for name in ("message", "error_user_title", "error_user_msg")]
    said = ": ".join(dict.fromkeys(part for part in parts if part and part != "None"))
    return one_line(f"meta_ads: ({label}) {said}")


def _subcode(error: dict[str, Any]) -> tuple[int | None, int | None]:
    def number(value: Any) -> int | None:
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    return number(error.get("code")), number(error.get("error_subcode"))


def _utc(moment: datetime) -> datetime:
    """A conversion's time in UTC (the contract says tz-aware; a naive one is taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _email_hash(value: str | None) -> str | None:
    """The hash lower-cased if it is one, else None: nothing else may go out as ``em``."""
    digest = (value or "").strip().lower()
    return digest if SHA256_HEX.fullmatch(digest) else None


def _currency(value: str | None) -> bool:
    return bool(value and CURRENCY.fullmatch(value))


def _number(value: Decimal) -> int | float:
    """A JSON number for ``value`` (Meta's field is a float): 1234.5, or 1200 when whole."""
    return int(value) if value == value.to_integral_value() else float(value)
