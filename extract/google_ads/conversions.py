"""Offline click conversions → Google Ads (``ConversionUploadService.UploadClickConversions``).

What is sent: one ``ClickConversion`` per :class:`~thinline.conversions.model.Conversion`, by
REST ``POST /{api_version}/customers/{customer_id}:uploadClickConversions`` (the version is
the connector's ``THINLINE_GOOGLE_ADS__API_VERSION``, from ``versions.toml``) with
``partialFailure: true``, as Google requires, and at most 2,000 conversions a request
(``TOO_MANY_CONVERSIONS_IN_REQUEST``: "Upload fewer than 2001 events"). Each carries the
``gclid``, ``conversionAction`` = ``customers/{customer_id}/conversionActions/{destination}``,
``conversionDateTime`` as ``yyyy-mm-dd hh:mm:ss+00:00`` (UTC), ``orderId`` = the
conversion's ``event_id`` (Google's de-duplication key: "An order id can only be used for one
conversion per conversion action") and, when the map gives one, ``conversionValue`` with its
``currencyCode``. No email, phone or name is sent, hashed or not: every Conversion carries a
gclid, and enhanced conversions for leads (hashed identifiers, no gclid; Google's own
normalisation, which a SHA-256 of the trimmed lower-cased email is not) are out of scope.

How Google answers, and what it becomes:

* a 200 whose ``results[i]`` is filled: ACCEPTED; ``partialFailureError`` (a
  ``google.rpc.Status`` holding one ``GoogleAdsFailure``) lists each refused row's errors,
  each located by ``location.fieldPathElements`` ``{"fieldName": "conversions", "index": i}``
  (an absent index is 0: proto3 JSON may drop a zero); those rows' ``results[i]`` are ``{}``.
* per-row codes retrying can fix (``TOO_RECENT_EVENT``: the click is under 6 hours old;
  ``TOO_RECENT_CONVERSION_ACTION``: the action is under 6 hours old; ``internalError``):
  RETRY. ``ORDER_ID_ALREADY_IN_USE`` (this order id was recorded before: an earlier upload
  that Thinline never heard back from) is ACCEPTED, with Google's words kept. Every other
  code, known or not (``EXPIRED_EVENT``, ``CONVERSION_PRECEDES_EVENT``, ``UNPARSEABLE_GCLID``,
  ``EVENT_NOT_FOUND``, ``INVALID_CUSTOMER_FOR_CLICK``, ...): REJECTED with Google's message.
* ``NO_CONVERSION_ACTION_FOUND``, ``INVALID_CONVERSION_ACTION_TYPE`` and
  ``UNAUTHORIZED_CUSTOMER`` on any row, or a refusal of the whole request (bad OAuth client,
  no access to the account): :class:`~extract.base.SourceError` naming what to fix. Rows of
  that request that Google did take come back ``ORDER_ID_ALREADY_IN_USE`` on the next send.
* a whole request failing with a transient error after the client's retries (429
  ``RESOURCE_EXHAUSTED``, 5xx, timeouts, a daily quota): RETRY for every conversion in it.

Windows (:meth:`GoogleAdsUploader.skip_reason`, counted from the sender's ``now``): a click
older than the conversion action's click-through window (``conversion_click_window_days``,
90 at most: ``EXPIRED_EVENT``), a conversion more than that window after its click, a
conversion before its click (``CONVERSION_PRECEDES_EVENT``), a conversion in the future and a
value without a currency (Google would read it in the account's currency) are skipped. A click
under 6 hours old is not skipped: Google answers ``TOO_RECENT_EVENT`` and the row is retried.

What a real account sets up first: conversion tracking on in the conversion customer; one
conversion action of type ``UPLOAD_CLICKS`` per destination in
``dbt_project/seeds/conversion_map.csv``, at least 6 hours before the first upload, with its
click-through window; auto-tagging on, so landing pages receive the gclid; the OAuth client of
``THINLINE_GOOGLE_ADS__CLIENT_ID`` authorised with the ``https://www.googleapis.com/auth/adwords``
scope by a user who may edit the account (the manager of ``LOGIN_CUSTOMER_ID``); under
cross-account conversion tracking, ``THINLINE_GOOGLE_ADS__CONVERSION_CUSTOMER_ID`` = the
account that owns the actions. Then ``THINLINE_GOOGLE_ADS__UPLOAD_CONVERSIONS=true``.

Documentation:
https://developers.google.com/google-ads/api/docs/conversions/legacy_oci_guide (upload
click conversions, set-up, common errors);
https://developers.google.com/google-ads/api/reference/rpc/latest/UploadClickConversionsRequest
and .../UploadClickConversionsResponse, .../ClickConversion (fields, date-time format);
https://developers.google.com/google-ads/api/reference/rpc/latest/ConversionUploadErrorEnum.ConversionUploadError
(codes and their meaning); https://developers.google.com/google-ads/api/docs/best-practices/partial-failures
(``partialFailureError`` and its locations).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from extract.base import SourceError
from extract.google_ads.client import GoogleAdsClient, classify
from extract.google_ads.settings import GoogleAdsSettings
from extract.http import Failure, FailureKind, Sleep, one_line
from extract.http import status_failure as http_status_failure
from extract.oauth import AccessToken
from thinline.conversions.model import Conversion, Outcome, Status

BATCH_SIZE = 2000  # TOO_MANY_CONVERSIONS_IN_REQUEST: "Upload fewer than 2001 events"
TOO_RECENT_CLICK = timedelta(hours=6)  # TOO_RECENT_EVENT: "occurred less than 6 hours ago"
# Per-row codes a later attempt can fix: the click or the action is too new, Google failed.
RETRY_CODES = frozenset(
    {
        "conversionUploadError.TOO_RECENT_EVENT",
        "conversionUploadError.TOO_RECENT_CONVERSION_ACTION",
        "internalError.INTERNAL_ERROR",
        "internalError.TRANSIENT_ERROR",
        "internalError.DEADLINE_EXCEEDED",
        "quotaError.RESOURCE_TEMPORARILY_EXHAUSTED",
    }
)
# Google already holds a conversion with this order id for this action: ours, sent before.
ALREADY_CODES = frozenset({"conversionUploadError.ORDER_ID_ALREADY_IN_USE"})
# Per-row codes that say the destination or the account is wrong for every row: a setting.
SETUP_CODES = frozenset(
    {
        "conversionUploadError.NO_CONVERSION_ACTION_FOUND",
        "conversionUploadError.INVALID_CONVERSION_ACTION_TYPE",
        "conversionUploadError.UNAUTHORIZED_CUSTOMER",
    }
)
MAP_HINT = (
    "check the google_ads destinations in dbt_project/seeds/conversion_map.csv (conversion "
    "actions of type UPLOAD_CLICKS) and THINLINE_GOOGLE_ADS__CONVERSION_CUSTOMER_ID"
)


def build_uploader(settings: GoogleAdsSettings, *, sleep: Sleep = time.sleep) -> GoogleAdsUploader:
    """The manifest's ``conversion_uploader``."""
    return GoogleAdsUploader(settings, sleep=sleep)


def date_time(moment: datetime) -> str:
    """Google's ``yyyy-mm-dd hh:mm:ss+|-hh:mm``, in UTC (a naive time is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")


class _Recorder:
    """The client's classifier, remembering how the last answer failed (None: no classified
    failure, i.e. a timeout, a dropped connection or a malformed 200: all transient)."""

    def __init__(self) -> None:
        self.last: Failure | None = None

    def __call__(self, response: httpx.Response, body: Any) -> Failure | None:
        failure = classify(response, body)
        # what HttpClient falls back to when the classifier says nothing: 5xx retried
        self.last = failure or http_status_failure(response, response.reason_phrase)
        return failure

    def transient(self) -> bool:
        last = self.last
        return last is None or last.kind in (FailureKind.RETRY, FailureKind.DAILY_QUOTA)


class GoogleAdsUploader:
    """Google's click-conversion upload over the connector's OAuth client and HTTP retries."""

    platform: ClassVar[str] = "google_ads"
    batch_size: ClassVar[int] = BATCH_SIZE

    def __init__(self, settings: GoogleAdsSettings, *, sleep: Sleep = time.sleep) -> None:
        self.settings = settings
        self.sleep = sleep
        self.token = AccessToken()  # one token for every upload of this uploader
        self.window = timedelta(days=settings.conversion_click_window_days)

    def skip_reason(self, conversion: Conversion, now: datetime) -> str | None:
        clicked, occurred = conversion.clicked_at, conversion.occurred_at
        days = self.settings.conversion_click_window_days
        if not conversion.click_id:
            return "no gclid: Google takes a click conversion only with its click"
        if occurred < clicked:
            return "the conversion precedes its click (Google: CONVERSION_PRECEDES_EVENT)"
        if occurred > now:
            return "the conversion time is in the future"
        if now - clicked > self.window:
            return f"the click is older than the {days}-day click-through window (EXPIRED_EVENT)"
        if occurred - clicked > self.window:
            return f"the conversion came over {days} days after its click (EXPIRED_EVENT)"
        if conversion.value is not None and not conversion.currency:
            return "a value without a currency (Google would read it in the account's currency)"
        return None

    def payload(self, conversion: Conversion) -> dict[str, Any]:
        customer_id = self._customer_id(conversion.account_id)
        body: dict[str, Any] = {
            "gclid": conversion.click_id,
            "conversionAction": f"customers/{customer_id}/conversionActions/"
            f"{self._action_id(conversion.destination)}",
            "conversionDateTime": date_time(conversion.occurred_at),
            "orderId": conversion.event_id,
        }
        if conversion.value is not None:
            body["conversionValue"] = float(conversion.value)  # a double on the wire
            body["currencyCode"] = conversion.currency
        return body

    def upload(self, account_id: str, conversions: Sequence[Conversion]) -> list[Outcome]:
        first: dict[str, Conversion] = {}
        for conversion in conversions:  # one event id once: Google refuses DUPLICATE_ORDER_ID
            first.setdefault(conversion.event_id, conversion)
        unique = list(first.values())
        recorder = _Recorder()
        outcomes: list[Outcome] = []
        with GoogleAdsClient(
            self.settings, self.token, sleep=self.sleep, classifier=recorder
        ) as api:
            for batch in _chunks(unique, BATCH_SIZE):
                outcomes += self._send(api, recorder, account_id, batch)
        return outcomes

    def _send(
        self,
        api: GoogleAdsClient,
        recorder: _Recorder,
        account_id: str,
        batch: list[Conversion],
    ) -> list[Outcome]:
        customer_id = self._customer_id(account_id)
        path = f"/{self.settings.api_version}/customers/{customer_id}:uploadClickConversions"
        body = {"conversions": [self.payload(c) for c in batch], "partialFailure": True}
        recorder.last = None
        try:
            if not self.token.fresh():
                api.sign_in()
            answer = api.http.post(path, body)
        except SourceError as error:
            if not recorder.transient():
                raise
            message = str(error)
            return [Outcome(c.event_id, Status.RETRY, message) for c in batch]
        if not isinstance(answer, dict):
            raise SourceError(
                f"google_ads: uploadClickConversions answered a {type(answer).__name__}, not an "
                f"object, from POST {path} — check THINLINE_GOOGLE_ADS__BASE_URL and API_VERSION"
            )
        return self._outcomes(batch, answer, customer_id)

    def _outcomes(
        self, batch: list[Conversion], answer: dict[str, Any], customer_id: str
    ) -> list[Outcome]:
        results = answer.get("results") or []
        failure = answer.get("partialFailureError") or {}
        by_row, unplaced = _row_errors(failure)
        setup = [(i, e) for i, errors in by_row.items() for e in errors if _code(e) in SETUP_CODES]
        if setup:
            index, error = setup[0]
            action = batch[index].destination if index < len(batch) else "?"
            raise SourceError(
                f"google_ads: {_said(error)} (conversion action {action}, customer "
                f"{customer_id}) — {MAP_HINT}"
            )
        outcomes = []
        for index, conversion in enumerate(batch):
            result = results[index] if index < len(results) else {}
            errors = by_row.get(index) or ([] if result else unplaced)
            outcomes.append(_outcome(conversion.event_id, result, errors, failure))
        return outcomes

    def _customer_id(self, account_id: str) -> str:
        customer_id = (self.settings.conversion_customer_id or account_id).replace("-", "")
        if not customer_id.isdigit():
            raise SourceError(
                f"google_ads: customer id {customer_id!r} is not a Google Ads customer id — "
                "check the google_ads account ids in dbt_project/seeds/conversion_map.csv and "
                "THINLINE_GOOGLE_ADS__CONVERSION_CUSTOMER_ID"
            )
        return customer_id

    @staticmethod
    def _action_id(destination: str) -> str:
        if not destination.isdigit():
            raise SourceError(
                f"google_ads: destination {destination!r} is not a conversion action id — "
                f"{MAP_HINT}"
            )
        return destination


def _outcome(
    event_id: str, result: dict[str, Any], errors: list[dict[str, Any]], failure: dict[str, Any]
) -> Outcome:
    if not errors:
        if result:
            return Outcome(event_id, Status.ACCEPTED, response={"result": result})
        # a row with neither result nor error: Google's answer says nothing of it [inferred]
        said = one_line(str(failure.get("message") or "no result and no error for this row"))
        return Outcome(event_id, Status.RETRY, f"google_ads: {said}", {"result": result})
    message = one_line("; ".join(_said(error) for error in errors), limit=500)
    response = {"errors": errors}
    codes = {_code(error) for error in errors}
    if codes <= ALREADY_CODES:
        return Outcome(event_id, Status.ACCEPTED, message, response)
    if codes <= RETRY_CODES | ALREADY_CODES:
        return Outcome(event_id, Status.RETRY, message, response)
    return Outcome(event_id, Status.REJECTED, message, response)


def _row_errors(
    failure: dict[str, Any],
) -> tuple[dict[int, list[dict[str, Any]]], list[dict[str, Any]]]:
    """``GoogleAdsError``s by the ``conversions`` index they are located at, and those
    located at none (they go to every row without a result)."""
    by_row: dict[int, list[dict[str, Any]]] = {}
    unplaced: list[dict[str, Any]] = []
    for detail in failure.get("details") or []:
        for error in (detail.get("errors") or []) if isinstance(detail, dict) else []:
            path = (error.get("location") or {}).get("fieldPathElements") or []
            index = next(
                (int(p.get("index") or 0) for p in path if p.get("fieldName") == "conversions"),
                None,
            )
            if index is None:
                unplaced.append(error)
            else:
                by_row.setdefault(index, []).append(error)
    if failure and not by_row and not unplaced:  # a Status without a GoogleAdsFailure
        unplaced.append({"message": str(failure.get("message") or "partial failure")})
    return by_row, unplaced


def _code(error: dict[str, Any]) -> str:
    """``category.ENUM`` of one ``GoogleAdsError`` (``conversionUploadError.EXPIRED_EVENT``)."""
    return ", ".join(f"{k}.{v}" for k, v in (error.get("errorCode") or {}).items())


def _said(error: dict[str, Any]) -> str:
    code = _code(error)
    text = str(error.get("message") or "")
    return f"{code}: {text}" if code else text


def _chunks(items: list[Conversion], size: int) -> Iterator[list[Conversion]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
