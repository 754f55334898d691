"""Google's ``ConversionUploadService.UploadClickConversions``, for the Google Ads stand-in.

``POST /{version}/customers/{customer_id}:uploadClickConversions`` with
``{"conversions": [ClickConversion], "partialFailure": true, "validateOnly"?, "jobId"?}``;
the answer is ``{"results": [...], "partialFailureError"?: Status, "jobId": "..."}``, a failed
row's result being ``{}`` and each of its errors a ``GoogleAdsError`` located at
``conversions[i].field``. Written from Google's pages, not from Thinline's uploader:

* fields and formats: https://developers.google.com/google-ads/api/reference/rpc/latest/ClickConversion
  (``conversionDateTime`` "yyyy-mm-dd hh:mm:ss+|-hh:mm", ``currencyCode`` ISO 4217, "An order
  id can only be used for one conversion per conversion action"; the customer id inside
  ``conversionAction`` is ignored, only the action id counts) and
  .../UploadClickConversionsRequest (``partialFailure`` required and true; ``validateOnly``
  returns errors and no results; ``jobId`` in [0, 2^31), else Google's own in [2^31, 2^63));
* codes and their words: .../ConversionUploadErrorEnum.ConversionUploadError (2,000 events a
  request; ``UNPARSEABLE_GCLID``, ``CONVERSION_PRECEDES_EVENT``, ``EXPIRED_EVENT`` before the
  action's click-through window, ``TOO_RECENT_EVENT`` under 6 hours after the click,
  ``EVENT_NOT_FOUND``, ``INVALID_CUSTOMER_FOR_CLICK``, ``ORDER_ID_ALREADY_IN_USE``,
  ``DUPLICATE_ORDER_ID``, ``CLICK_CONVERSION_ALREADY_EXISTS``,
  ``DUPLICATE_CLICK_CONVERSION_IN_REQUEST``, ``INVALID_USER_IDENTIFIER``,
  ``UNSUPPORTED_USER_IDENTIFIER``, ``NO_CONVERSION_ACTION_FOUND``, ``INVALID_JOB_ID``) and
  .../DateErrorEnum.DateError (``INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET``);
* the partial-failure shape: https://developers.google.com/google-ads/api/docs/best-practices/partial-failures
  and the Status message "<message>, at conversions[0].gclid" / "Multiple errors in
  \u2018details\u2019. First error: ..." (curly quotes), quoted in
  googleads/google-ads-python#654; a row failing with ``internalError: INTERNAL_ERROR`` "An
  internal error has occurred." at ``conversions[15]``
  as quoted in rudderlabs/rudder-transformer#5492 (``transient_click_ids``).

**[inferred]** (no page states it): a gclid is unparseable when it is shorter than 20
characters or holds a character outside base64url; a missing required field is ``fieldError:
REQUIRED``; ``partialFailure`` false or absent refuses the whole request that way; a
conversion after the stand-in's "now" is ``dateError: LATER_THAN_MAXIMUM_DATE``; a click
older than 90 days before "now" is ``EXPIRED_EVENT`` whatever the conversion time; an order id
holding an "@" is ``ORDER_ID_CONTAINS_PII``; an unknown currency is ``currencyCodeError:
UNSUPPORTED``; the demo's conversion actions have the longest click-through window, 90 days.
"Now" is the world's as-of moment (its clicks are that old), not the wall clock.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.conversion_destinations import GOOGLE_CONVERSION_ACTIONS
from sandbox.google_ads_data import GoogleAdsData, PaidClick
from sandbox.http import json_decimal

UPLOAD = re.compile(r"/(v\d+)/customers/([^/]+):uploadClickConversions")
MAX_CONVERSIONS = 2000
CLICK_THROUGH = timedelta(days=90)  # the demo's actions: the longest window Google allows
TOO_RECENT = timedelta(hours=6)
DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})([+-]\d{2}:\d{2})")
GCLID = re.compile(r"[A-Za-z0-9_-]{20,}")  # [inferred]
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
CURRENCY = re.compile(r"[A-Z]{3}")
ACTION = re.compile(r"customers/(\d+)/conversionActions/(\d+)")
GOOGLE_JOB_IDS = 2**31  # first id Google generates when the request sets none
FAILURE_TYPE = "type.googleapis.com/google.ads.googleads.{version}.errors.GoogleAdsFailure"

UPLOAD_ERROR = "conversionUploadError"
WORDS = {
    "TOO_MANY_CONVERSIONS_IN_REQUEST": "Upload fewer than 2001 events in a single request.",
    "UNPARSEABLE_GCLID": "The imported gclid could not be decoded.",
    "CONVERSION_PRECEDES_EVENT": (
        "The imported event has a `conversion_date_time` that precedes the click. Make sure "
        "your `conversion_date_time` is correct and try again."
    ),
    "EXPIRED_EVENT": (
        "The imported event can't be recorded because its click occurred before this "
        "conversion's click-through window. Make sure you import the most recent data."
    ),
    "TOO_RECENT_EVENT": (
        "The click associated with the given identifier or iOS URL parameter occurred less "
        "than 6 hours ago. Retry after 6 hours have passed."
    ),
    "EVENT_NOT_FOUND": (
        "The imported event could not be attributed to a click. This may be because the event "
        "did not come from a Google Ads campaign."
    ),
    "INVALID_CUSTOMER_FOR_CLICK": (
        "The click from the imported event is associated with a different Google Ads account. "
        "Make sure you're importing to the correct account."
    ),
    "ORDER_ID_ALREADY_IN_USE": (
        "The imported event includes an order ID that was previously recorded, so the event "
        "was not processed."
    ),
    "DUPLICATE_ORDER_ID": (
        "Imported events include multiple conversions with the same order ID and were not "
        "processed.  Make sure order IDs are unique and try again."
    ),
    "CLICK_CONVERSION_ALREADY_EXISTS": (
        "The imported event has the same click and `conversion_date_time` as an existing "
        "conversion. Use a unique `conversion_date_time` or order ID for each unique event and "
        "try again."
    ),
    "DUPLICATE_CLICK_CONVERSION_IN_REQUEST": (
        "Multiple events have the same click and `conversion_date_time`. Make sure your "
        "`conversion_date_time` is correctly configured and try again."
    ),
    "INVALID_USER_IDENTIFIER": (
        "Make sure you hash user provided data using SHA-256 and ensure you are normalizing "
        "according to the guidelines."
    ),
    "UNSUPPORTED_USER_IDENTIFIER": (
        "The provided user identifiers are not supported. Use only hashed email or phone "
        "number and try again."
    ),
    "ORDER_ID_CONTAINS_PII": (
        "Can't import events with order IDs containing personally-identifiable information (PII)."
    ),
    "INVALID_JOB_ID": (
        "The provided job id in the request is not within the allowed range. A job ID must be "
        "a positive integer in the range [1, 2^31)."
    ),
    "NO_CONVERSION_ACTION_FOUND": (
        "The conversion action specified in the upload request cannot be found. Make sure it's "
        "available in this account."
    ),
}
BAD_DATE_TIME = "The string date time's format should be yyyy-mm-dd hh:mm:ss+|-hh:mm."
REQUIRED = "The required field was not present."


@dataclass(frozen=True)
class Refusal(Exception):
    """The whole request refused: the server answers it as a ``google.rpc.Status``."""

    http_status: int
    error_code: dict[str, str]
    message: str


@dataclass(frozen=True)
class RowError:
    category: str
    code: str
    message: str
    field: str | None = None
    trigger: str | None = None


class ConversionUploads:
    """What one Google Ads stand-in has been sent and taken; thread-safe."""

    def __init__(self, data: GoogleAdsData, now: datetime) -> None:
        self.data = data
        self.now = now
        self.clicks: dict[str, PaidClick] = {click.gclid: click for click in data.paid_clicks}
        self.actions = frozenset(GOOGLE_CONVERSION_ACTIONS.values())
        self.bodies: list[bytes] = []
        self.accepted: list[dict[str, Any]] = []
        self.transient_click_ids: set[str] = set()
        self._order_ids: set[tuple[int, str]] = set()
        self._click_times: set[tuple[int, str, datetime]] = set()
        self._job_ids = itertools.count(GOOGLE_JOB_IDS)
        self._lock = threading.Lock()

    def upload(self, version: str, customer_id: int, raw: bytes, request_id: str) -> dict[str, Any]:
        """The 200 answer for one request, or :class:`Refusal` for the whole of it."""
        with self._lock:
            self.bodies.append(raw)
            body = _parse(raw)
            rows = body.get("conversions")
            if not isinstance(rows, list) or not rows:
                raise Refusal(400, {"fieldError": "REQUIRED"}, f"{REQUIRED} (conversions)")
            if body.get("partialFailure") is not True:
                raise Refusal(400, {"fieldError": "REQUIRED"}, f"{REQUIRED} (partial_failure)")
            if len(rows) > MAX_CONVERSIONS:
                code = "TOO_MANY_CONVERSIONS_IN_REQUEST"
                raise Refusal(400, {UPLOAD_ERROR: code}, WORDS[code])
            job_id = body.get("jobId")
            if job_id is not None and not (
                isinstance(job_id, int) and not isinstance(job_id, bool) and 0 <= job_id < 2**31
            ):
                raise Refusal(400, {UPLOAD_ERROR: "INVALID_JOB_ID"}, WORDS["INVALID_JOB_ID"])
            validate_only = body.get("validateOnly") is True
            errors = self._check(customer_id, rows)
            results: list[dict[str, Any]] = []
            for index, row in enumerate(rows):
                if errors.get(index):
                    results.append({})
                    continue
                results.append(self._take(row) if not validate_only else {})
            answer: dict[str, Any] = {}
            if not validate_only:
                answer["results"] = results
            if errors:
                answer["partialFailureError"] = _partial_failure(version, errors, request_id)
            answer["jobId"] = str(job_id if job_id is not None else next(self._job_ids))
            return answer

    def _check(self, customer_id: int, rows: list[Any]) -> dict[int, list[RowError]]:
        """Every row's errors, in the order Google reports them [inferred: the first only]."""
        order_ids = Counter(
            (_action_id(row), str(row.get("orderId")))
            for row in rows
            if isinstance(row, dict) and row.get("orderId")
        )
        click_times = Counter(
            (_action_id(row), str(row.get("gclid")), str(row.get("conversionDateTime")))
            for row in rows
            if isinstance(row, dict) and not row.get("orderId")
        )
        errors: dict[int, list[RowError]] = {}
        for index, row in enumerate(rows):
            error = self._row_error(customer_id, row, order_ids, click_times)
            if error is not None:
                errors[index] = [error]
        return errors

    def _row_error(
        self,
        customer_id: int,
        row: Any,
        order_ids: Counter[tuple[int | None, str]],
        click_times: Counter[tuple[int | None, str, str]],
    ) -> RowError | None:
        if not isinstance(row, dict):
            return RowError("requestError", "BAD_REQUEST_BODY", "A conversion must be an object.")
        action = _action_id(row)
        if row.get("conversionAction") is None:
            return RowError("fieldError", "REQUIRED", REQUIRED, "conversion_action")
        if action not in self.actions:
            return _upload_error("NO_CONVERSION_ACTION_FOUND", "conversion_action")
        gclid = row.get("gclid")
        if not gclid:
            return RowError("fieldError", "REQUIRED", REQUIRED, "gclid")
        if not isinstance(gclid, str) or not GCLID.fullmatch(gclid):
            return _upload_error("UNPARSEABLE_GCLID", "gclid", str(gclid))
        stamp = row.get("conversionDateTime")
        if not stamp:
            return RowError("fieldError", "REQUIRED", REQUIRED, "conversion_date_time")
        occurred = _date_time(stamp)
        if occurred is None:
            return RowError(
                "dateError",
                "INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET",
                BAD_DATE_TIME,
                "conversion_date_time",
                str(stamp),
            )
        currency = row.get("currencyCode")
        if currency is not None and not (
            isinstance(currency, str) and CURRENCY.fullmatch(currency)
        ):
            return RowError(
                "currencyCodeError",
                "UNSUPPORTED",
                "The currency code is not supported.",
                "currency_code",
                str(currency),
            )
        if "conversionValue" in row and json_decimal(row["conversionValue"]) is None:
            return RowError(
                "requestError", "BAD_REQUEST_BODY", "conversion_value must be a number.", None
            )
        identifier_error = _identifier_error(row.get("userIdentifiers"))
        if identifier_error is not None:
            return identifier_error
        order_id = row.get("orderId")
        if order_id:
            if "@" in str(order_id):
                return _upload_error("ORDER_ID_CONTAINS_PII", "order_id")
            if order_ids[(action, str(order_id))] > 1:
                return _upload_error("DUPLICATE_ORDER_ID", "order_id", str(order_id))
        elif click_times[(action, gclid, str(stamp))] > 1:
            return _upload_error("DUPLICATE_CLICK_CONVERSION_IN_REQUEST")
        if gclid in self.transient_click_ids:
            return RowError("internalError", "INTERNAL_ERROR", "An internal error has occurred.")
        click = self.clicks.get(gclid)
        if click is None:
            return _upload_error("EVENT_NOT_FOUND", "gclid")
        manager = self.data.manager.customer_id
        if click.customer_id != customer_id and customer_id != manager:
            return _upload_error("INVALID_CUSTOMER_FOR_CLICK", "gclid")
        clicked = datetime.fromtimestamp(click.at_ms / 1000, tz=UTC)
        if occurred < clicked:
            return _upload_error("CONVERSION_PRECEDES_EVENT", "conversion_date_time")
        if occurred > self.now:
            return RowError(
                "dateError",
                "LATER_THAN_MAXIMUM_DATE",
                "Date is after allowed maximum.",
                "conversion_date_time",
                str(stamp),
            )
        if self.now - clicked < TOO_RECENT:
            return _upload_error("TOO_RECENT_EVENT", "gclid")
        if occurred - clicked > CLICK_THROUGH or self.now - clicked > CLICK_THROUGH:
            return _upload_error("EXPIRED_EVENT", "gclid")
        if order_id and (action, str(order_id)) in self._order_ids:
            return _upload_error("ORDER_ID_ALREADY_IN_USE", "order_id", str(order_id))
        if not order_id and (action, gclid, occurred) in self._click_times:
            return _upload_error("CLICK_CONVERSION_ALREADY_EXISTS")
        return None

    def _take(self, row: dict[str, Any]) -> dict[str, Any]:
        """Record one accepted conversion; its ``ClickConversionResult``."""
        action = _action_id(row)
        assert action is not None
        occurred = _date_time(row["conversionDateTime"])
        assert occurred is not None
        order_id = row.get("orderId")
        if order_id:
            self._order_ids.add((action, str(order_id)))
        else:
            self._click_times.add((action, row["gclid"], occurred))
        value = json_decimal(row["conversionValue"]) if "conversionValue" in row else None
        self.accepted.append(
            {
                "event_id": str(order_id) if order_id else None,
                "destination": str(action),
                "click_id": row["gclid"],
                "value": value,
                "currency": row.get("currencyCode"),
                "conversion_date_time": row["conversionDateTime"],
            }
        )
        return {
            "gclid": row["gclid"],
            "conversionAction": row["conversionAction"],
            "conversionDateTime": row["conversionDateTime"],
        }


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"null", parse_float=Decimal)
    except ValueError as error:
        raise Refusal(400, {}, f"Invalid JSON payload received. {one_line(str(error))}") from error
    if not isinstance(body, dict):
        raise Refusal(400, {}, "Invalid JSON payload received. Expected an object.")
    return body


def one_line(text: str) -> str:
    return " ".join(text.split())


def _action_id(row: Any) -> int | None:
    """The conversion action's id: Google ignores the customer id in the resource name."""
    name = row.get("conversionAction") if isinstance(row, dict) else None
    match = ACTION.fullmatch(name) if isinstance(name, str) else None
    return int(match[2]) if match else None


def _date_time(value: Any) -> datetime | None:
    match = DATE_TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        return datetime.fromisoformat(f"{match[1]}{match[2]}").astimezone(UTC)
    except ValueError:
        return None


def _identifier_error(identifiers: Any) -> RowError | None:
    """Only ``hashedEmail`` / ``hashedPhoneNumber``, each 64 lower-case hex (a SHA-256)."""
    if identifiers is None:
        return None
    hashed_keys = {"hashedEmail", "hashedPhoneNumber"}
    for item in identifiers if isinstance(identifiers, list) else [identifiers]:
        if not isinstance(item, dict) or set(item) - hashed_keys - {"userIdentifierSource"}:
            return _upload_error("UNSUPPORTED_USER_IDENTIFIER", "user_identifiers")
        for key in hashed_keys & set(item):
            if not (isinstance(item[key], str) and SHA256_HEX.fullmatch(item[key])):
                return _upload_error("INVALID_USER_IDENTIFIER", "user_identifiers")
    return None


def _upload_error(code: str, field: str | None = None, trigger: str | None = None) -> RowError:
    return RowError(UPLOAD_ERROR, code, WORDS[code], field, trigger)


def _partial_failure(
    version: str, errors: dict[int, list[RowError]], request_id: str
) -> dict[str, Any]:
    """A ``google.rpc.Status`` (code 3, INVALID_ARGUMENT) holding one ``GoogleAdsFailure``."""
    items = []
    places = []
    for index in sorted(errors):
        for error in errors[index]:
            path: list[dict[str, Any]] = [{"fieldName": "conversions", "index": index}]
            if error.field:
                path.append({"fieldName": error.field})
            item: dict[str, Any] = {
                "errorCode": {error.category: error.code},
                "message": error.message,
                "location": {"fieldPathElements": path},
            }
            if error.trigger is not None:
                item["trigger"] = {"stringValue": error.trigger}
            items.append(item)
            places.append(f"conversions[{index}]" + (f".{error.field}" if error.field else ""))
    first = f"{items[0]['message']}, at {places[0]}"
    message = (
        first
        if len(items) == 1
        else f"Multiple errors in \u2018details\u2019. First error: {first}"
    )
    return {
        "code": 3,
        "message": message,
        "details": [
            {
                "@type": FAILURE_TYPE.format(version=version),
                "errors": items,
                "requestId": request_id,
            }
        ],
    }
