"""Offline conversions → LinkedIn's Conversions API (``POST /rest/conversionEvents``).

What is sent: one conversion event per :class:`~thinline.conversions.model.Conversion`, many
per request as a Rest.li ``BATCH_CREATE`` (``X-RestLi-Method: BATCH_CREATE``, body
``{"elements": [...]}``, at most 5,000 events):

* ``conversion``: ``urn:lla:llaPartnerConversion:{rule id}`` (the Conversion's destination);
* ``conversionHappenedAt``: epoch milliseconds;
* ``conversionValue``: ``{"currencyCode", "amount"}``, the amount a decimal string, only when
  the conversion has a value;
* ``eventId``: the Conversion's event_id, LinkedIn's de-duplication key (at most 64 chars);
* ``user.userIds``: ``SHA256_EMAIL`` (the hex digest of the trimmed, lower-cased email) when
  there is one, and ``LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID`` = the click's ``li_fat_id``.
  ``userInfo`` (plain first and last names) is never sent.

The API and version: the versioned Marketing API with ``LinkedIn-Version``
(``THINLINE_LINKEDIN_ADS__LINKEDIN_VERSION``, extract/linkedin_ads/versions.toml) and
``X-Restli-Protocol-Version: 2.0.0``, the same token and refresh as the extractor
(https://learn.microsoft.com/en-us/linkedin/marketing/integrations/ads-reporting/conversions-api).
A batch answers 200 with one ``{"status": 201}`` per element in request order, or a failed
element's ``{"status", "error"}`` (Rest.li BATCH_CREATE results, as LinkedIn's own client reads
them: github.com/linkedin-developers/linkedin-api-python-client,
linkedin_api/clients/restli/response_formatter.py ``BatchCreateResponseFormatter``).

Windows (``skip_reason``, counted from the sender's ``now``):

* an event more than 90 days old is refused ("a 90-day lookback for each conversion",
  https://learn.microsoft.com/en-us/linkedin/marketing/conversions/conversions-faq; "If you
  send data for an event older than 90 days, it's automatically rejected",
  https://developer.salesforce.com/docs/data/data-cloud-int/guide/c360-a-linkedincapi-connector.html);
  **[inferred]** an event in the future is refused too;
* a conversion before its click cannot be credited to it, and one later than the rule's
  post-click attribution window (``postClickAttributionWindowSize``: 1, 7, 30, 90 or 365 days,
  https://learn.microsoft.com/en-us/linkedin/marketing/integrations/ads-reporting/conversions-api-schema;
  ``THINLINE_LINKEDIN_ADS__POST_CLICK_WINDOW_DAYS``) is not attributed to it: both are skipped
  unless a hashed email lets LinkedIn match the member to another click or view;
* a value without a currency, an eventId over 64 characters (the Salesforce connector page
  above) or an email that is not a SHA-256 hex digest is never sent.

Answers: element 201 → ACCEPTED (a repeated eventId is de-duplicated by LinkedIn and still
answers 201); element 429 or 5xx → RETRY; element 403/404 (a conversion rule the account does
not have, or not a CONVERSIONS_API rule) → :class:`~extract.base.SourceError`; any other
element error → REJECTED with LinkedIn's message. A whole request that stays 429/5xx after the
client's retries, or meets the daily limit, gives every event RETRY; 401/403/426 raise.
Limits: 600 requests a minute and 300,000 a day per member token (the Salesforce page above).

What a real account sets up first: a conversion rule per destination in the ad account
(Campaign Manager → Data → Signals manager, or ``POST /rest/conversions`` with
``conversionMethod: CONVERSIONS_API``; dbt_project/seeds/conversion_map.csv names its id), the
campaigns associated with it, and a token with ``rw_conversions`` and ``r_ads`` from a member
with an ACCOUNT_BILLING_ADMIN, ACCOUNT_MANAGER, CAMPAIGN_MANAGER or CREATIVE_MANAGER role on the
account (the conversions-api page above, "Permissions").
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from extract.base import SourceError
from extract.http import Failure, FailureKind, Sleep, one_line
from extract.linkedin_ads.client import LinkedInAdsClient, classify, configured_token
from extract.linkedin_ads.settings import LinkedInAdsSettings
from thinline.conversions.model import Conversion, Outcome, Status

PATH = "/rest/conversionEvents"
RULE_URN = "urn:lla:llaPartnerConversion:"
BATCH_LIMIT = 5_000  # events per BATCH_CREATE
EVENT_DAYS = 90  # the oldest event LinkedIn takes, in days before now
EVENT_ID_CHARS = 64
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
CURRENCY = re.compile(r"[A-Z]{3}")
SCOPE_HINT = (
    "the token needs rw_conversions and r_ads, from a member with a manager role on the ad "
    "account: check THINLINE_LINKEDIN_ADS__ACCESS_TOKEN"
)
RULE_HINT = (
    "check dbt_project/seeds/conversion_map.csv: the LinkedIn conversion rule id must exist in "
    "the ad account with conversionMethod CONVERSIONS_API"
)


class LinkedInConversionUploader:
    """The :class:`~thinline.conversions.model.Uploader` for LinkedIn conversion rules."""

    platform: ClassVar[str] = "linkedin_ads"
    batch_size: ClassVar[int] = BATCH_LIMIT

    def __init__(self, settings: LinkedInAdsSettings, *, sleep: Sleep = time.sleep) -> None:
        self.settings = settings
        self._sleep = sleep
        self._token = configured_token(settings)  # one token (and refresh) for every upload
        self._failure: Failure | None = None  # the last failed response the classifier read

    def skip_reason(self, conversion: Conversion, now: datetime) -> str | None:
        occurred, clicked = conversion.occurred_at, conversion.clicked_at
        if occurred > now:
            return "conversion is in the future"
        if now - occurred > timedelta(days=EVENT_DAYS):
            return f"conversion is more than {EVENT_DAYS} days old (LinkedIn's lookback)"
        if conversion.value is not None and not CURRENCY.fullmatch(conversion.currency or ""):
            return "value without an ISO 4217 currency"
        if conversion.value is not None and conversion.value < 0:
            return "negative value"
        if len(conversion.event_id) > EVENT_ID_CHARS:
            return f"event_id is longer than {EVENT_ID_CHARS} characters"
        email = conversion.email_sha256
        if email is not None and not SHA256_HEX.fullmatch(email.lower()):
            return "email_sha256 is not a SHA-256 hex digest (never sent unhashed)"
        if email is None:
            if not conversion.click_id:
                return "no li_fat_id and no hashed email"
            if occurred < clicked:
                return "conversion before its click"
            window = self.settings.post_click_window_days
            if occurred - clicked > timedelta(days=window):
                return f"click more than {window} days before the conversion (post-click window)"
        return None

    def payload(self, conversion: Conversion) -> dict[str, Any]:
        user_ids = []
        email = (conversion.email_sha256 or "").lower()
        if SHA256_HEX.fullmatch(email):  # anything else is not a digest: never sent
            user_ids.append({"idType": "SHA256_EMAIL", "idValue": email})
        if conversion.click_id:
            user_ids.append(
                {"idType": "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", "idValue": conversion.click_id}
            )
        event: dict[str, Any] = {
            "conversion": f"{RULE_URN}{conversion.destination}",
            "conversionHappenedAt": epoch_ms(conversion.occurred_at),
            "eventId": conversion.event_id,
            "user": {"userIds": user_ids},
        }
        if conversion.value is not None:
            event["conversionValue"] = {
                "currencyCode": conversion.currency,
                "amount": amount_text(conversion.value),
            }
        return event

    def upload(self, account_id: str, conversions: Sequence[Conversion]) -> list[Outcome]:
        """The account is implied by each rule (the API takes no account); it names errors."""
        for conversion in conversions:
            if not conversion.destination.isdigit():
                raise SourceError(
                    f"linkedin_ads: conversion destination {conversion.destination!r} is not a "
                    f"conversion rule id (digits) — {RULE_HINT}"
                )
        outcomes: list[Outcome] = []
        with LinkedInAdsClient(
            self.settings, self._token, sleep=self._sleep, classify=self._classify
        ) as api:
            for start in range(0, len(conversions), BATCH_LIMIT):
                batch = conversions[start : start + BATCH_LIMIT]
                outcomes += self._send(api, account_id, batch)
        return outcomes

    def _send(
        self, api: LinkedInAdsClient, account_id: str, batch: Sequence[Conversion]
    ) -> list[Outcome]:
        self._failure = None
        try:
            body = api.batch_create(PATH, [self.payload(c) for c in batch])
        except SourceError as error:
            failure = self._failure
            # transient to the end (429, 5xx, the daily limit, or no answer at all): try later
            if failure is None or failure.kind in (FailureKind.RETRY, FailureKind.DAILY_QUOTA):
                message = one_line(str(error))
                return [Outcome(c.event_id, Status.RETRY, message) for c in batch]
            raise
        elements = body.get("elements") if isinstance(body, dict) else None
        if not isinstance(elements, list) or len(elements) != len(batch):
            raise SourceError(
                f"linkedin_ads: POST {PATH} answered {len(batch)} events with no matching "
                "elements array — has the API changed? "
                "check THINLINE_LINKEDIN_ADS__LINKEDIN_VERSION"
            )
        return [
            self._outcome(account_id, conversion, element)
            for conversion, element in zip(batch, elements, strict=True)
        ]

    def _outcome(self, account_id: str, conversion: Conversion, element: Any) -> Outcome:
        element = element if isinstance(element, dict) else {"status": None, "error": element}
        status = element.get("status")
        if status in (200, 201):
            return Outcome(conversion.event_id, Status.ACCEPTED, response=element)
        message = error_message(element)
        if status == 429 or (isinstance(status, int) and status >= 500):
            return Outcome(conversion.event_id, Status.RETRY, message, element)
        if status in (403, 404):
            raise SourceError(
                f"linkedin_ads: {status} {message} for conversion rule {conversion.destination} "
                f"of ad account {account_id} — {RULE_HINT}"
            )
        return Outcome(conversion.event_id, Status.REJECTED, message, element)

    def _classify(self, response: httpx.Response, body: Any) -> Failure | None:
        """The extractor's reading, with hints for this endpoint; remembers what it read."""
        failure = classify(response, body)
        if failure is not None and response.url.path.endswith(PATH):
            if response.status_code == 403:
                failure = Failure(failure.kind, failure.message, failure.delay, SCOPE_HINT)
            elif response.status_code == 404:
                failure = Failure(failure.kind, failure.message, failure.delay, RULE_HINT)
        self._failure = failure
        return failure


def build_uploader(
    settings: LinkedInAdsSettings, *, sleep: Sleep = time.sleep
) -> LinkedInConversionUploader:
    return LinkedInConversionUploader(settings, sleep=sleep)


def epoch_ms(moment: datetime) -> int:
    """Epoch milliseconds of a tz-aware moment (``conversionHappenedAt``)."""
    if moment.tzinfo is None:
        raise ValueError(f"conversion time {moment} has no time zone")
    return round(moment.timestamp() * 1000)


def amount_text(value: Decimal) -> str:
    """A plain decimal string ("1500.00"), never an exponent ("1.5E+3")."""
    return format(value, "f")


def error_message(element: dict[str, Any]) -> str:
    """``CODE: message`` from a failed element's ``error`` (an object, or a bare string)."""
    error = element.get("error")
    if isinstance(error, dict):
        code = error.get("code") or error.get("serviceErrorCode") or element.get("status")
        return one_line(f"{code}: {error.get('message') or 'no message'}")
    return one_line(str(error or f"status {element.get('status')}"))
