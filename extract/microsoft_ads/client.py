"""Microsoft Advertising (Bing Ads API v13) calls over its REST JSON endpoints: the Reporting
service's asynchronous reports, Campaign Management's campaigns and Customer Management's
accounts.

Every call carries ``Authorization: Bearer``, ``DeveloperToken``, ``CustomerId`` and
``CustomerAccountId`` (https://learn.microsoft.com/en-us/advertising/guides/get-started).
The access token comes from the refresh-token grant of the Microsoft identity platform with
scope ``https://ads.microsoft.com/msads.manage offline_access``
(https://learn.microsoft.com/en-us/advertising/guides/authentication-oauth-get-tokens); it is
refreshed before the first call, when it is about to expire, and once more when a call says
it expired (code 109).

A report is asynchronous (https://learn.microsoft.com/en-us/advertising/guides/
request-download-report): ``POST /Reporting/v13/GenerateReport/Submit`` with the report request
gives a ``ReportRequestId``; ``POST .../GenerateReport/Poll`` gives ``ReportRequestStatus``
``{Status, ReportDownloadUrl}`` with Status ``Pending``, ``Success`` or ``Error``
(https://learn.microsoft.com/en-us/advertising/reporting-service/reportrequeststatustype).
``ReportDownloadUrl`` is valid for five minutes, a zip holding one file, and nil on Success
when the report has no data (https://learn.microsoft.com/en-us/advertising/reporting-service/
reportrequeststatus).

Errors are ``{"TrackingId", "Type", "Errors": [{"Code", "ErrorCode", "Message"}]}`` (an
``AdApiFaultDetail``; an ``ApiFaultDetail`` lists ``OperationErrors``), with the codes of
https://learn.microsoft.com/en-us/advertising/guides/operation-error-codes: 105
InvalidCredentials, 106 UserIsNotAuthorized, 109 AuthenticationTokenExpired, 117
CallRateExceeded (wait and retry, https://learn.microsoft.com/en-us/advertising/guides/
services-protocol#throttling).
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Sequence
from datetime import date
from typing import Any

import httpx

from extract.base import SourceError
from extract.http import ApiSession, Failure, FailureKind, HttpClient, Sleep, one_line
from extract.microsoft_ads.settings import MicrosoftAdsSettings
from extract.oauth import AccessToken

OAUTH_HINT = (
    "check THINLINE_MICROSOFT_ADS__REFRESH_TOKEN, THINLINE_MICROSOFT_ADS__CLIENT_ID and "
    "THINLINE_MICROSOFT_ADS__CLIENT_SECRET (a refresh token unused for 90 days expires)"
)
CREDENTIALS_HINT = (
    "check THINLINE_MICROSOFT_ADS__DEVELOPER_TOKEN and that the refresh token is for production"
)
ACCOUNT_HINT = (
    "check THINLINE_MICROSOFT_ADS__CUSTOMER_ID and THINLINE_MICROSOFT_ADS__ACCOUNT_IDS "
    "(the user must be able to read those accounts)"
)
AUTH_CODES = frozenset({105, 109})
ACCOUNT_CODES = frozenset({106, 1102, 1103})  # not authorized, account id invalid / not found
THROTTLE_CODES = frozenset({117})
THROTTLE_SECONDS = 60.0  # Microsoft: "wait 60 seconds before you retry"
MAX_POLL_SECONDS = 60.0
PENDING, SUCCESS, ERROR = "Pending", "Success", "Error"
# AdType values (https://learn.microsoft.com/en-us/advertising/campaign-management-service/adtype)
AD_TYPES = ("Text", "ExpandedText", "ResponsiveSearch", "ResponsiveAd", "DynamicSearch", "Product")


def errors_of(body: Any) -> list[dict[str, Any]]:
    """The error objects of a fault body, whichever of its two shapes."""
    if not isinstance(body, dict):
        return []
    found = body.get("Errors") or body.get("OperationErrors") or []
    return [error for error in found if isinstance(error, dict)] if isinstance(found, list) else []


def classify(response: httpx.Response, body: Any) -> Failure | None:
    """Read Microsoft's fault bodies and the identity platform's OAuth errors."""
    if isinstance(body, dict) and isinstance(body.get("error"), str):  # the token endpoint
        message = one_line(f"{body['error']}: {body.get('error_description', '')}")
        return Failure(FailureKind.FATAL, message, hint=OAUTH_HINT)
    errors = errors_of(body)
    if not errors:
        return None  # the HTTP status decides (429 and 5xx retry, 401 refreshes)
    codes = {error.get("Code") for error in errors}
    first = errors[0]
    message = one_line(
        f"{first.get('Code')} {first.get('ErrorCode') or ''}: {first.get('Message') or ''}"
    )
    if codes & THROTTLE_CODES or response.status_code == 429:
        return Failure(FailureKind.RETRY, message, delay=_retry_after(response))
    if codes & AUTH_CODES:
        return Failure(FailureKind.AUTH, message, hint=CREDENTIALS_HINT)
    if codes & ACCOUNT_CODES:
        return Failure(FailureKind.FATAL, message, hint=ACCOUNT_HINT)
    if response.status_code >= 500 or 0 in codes:  # 0: InternalError
        return Failure(FailureKind.RETRY, message)
    return Failure(FailureKind.FATAL, message)


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(float(response.headers.get("Retry-After", "")), 0.0)
    except ValueError:
        return THROTTLE_SECONDS


def report_date(day: date) -> dict[str, int]:
    """A ``Date`` object of a report's ``CustomDateRangeStart`` / ``End``."""
    return {"Day": day.day, "Month": day.month, "Year": day.year}


def read_report(content: bytes, columns: Sequence[str], what: str) -> list[dict[str, str]]:
    """The rows of a downloaded report: a zip of one CSV whose first line is exactly the
    requested columns (report header and footer excluded). Anything else is refused whole,
    so a malformed report loads nothing."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = [name for name in archive.namelist() if not name.endswith("/")]
            if len(names) != 1:
                raise SourceError(f"microsoft_ads: {what}: the zip holds {len(names)} files, not 1")
            text = archive.read(names[0]).decode("utf-8-sig")
    except (zipfile.BadZipFile, UnicodeDecodeError) as error:
        raise SourceError(f"microsoft_ads: {what}: not a zipped UTF-8 CSV ({error})") from error
    lines = list(csv.reader(io.StringIO(text, newline="")))
    while lines and not any(lines[-1]):
        lines.pop()  # a trailing blank line
    if not lines or lines[0] != list(columns):
        raise SourceError(
            f"microsoft_ads: {what}: the CSV does not start with the requested columns "
            f"(got {one_line(','.join(lines[0]) if lines else 'nothing', 120)}) — was the "
            "report header excluded?"
        )
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if len(line) != len(columns):
            raise SourceError(
                f"microsoft_ads: {what}: CSV line {number} has {len(line)} fields, not "
                f"{len(columns)} ({one_line(','.join(line), 80)}) — nothing was loaded"
            )
        rows.append(dict(zip(columns, line, strict=True)))
    return rows


class MicrosoftAdsClient(ApiSession):
    """One HTTP session against the Bing Ads API for one account; use as a context manager."""

    def __init__(
        self,
        settings: MicrosoftAdsSettings,
        token: AccessToken,
        account_id: int,
        *,
        sleep: Sleep = time.sleep,
    ) -> None:
        settings.check_credentials()
        self.settings = settings
        self.account_id = account_id
        self._token = token
        self._sleep = sleep
        self.http = HttpClient(
            settings,
            classify=classify,
            auth_hint=CREDENTIALS_HINT,
            headers=self._headers,
            refresh_auth=self.refresh,
            sleep=sleep,
        )
        self.log = self.http.log

    def refresh(self) -> None:
        """Trade the refresh token for an access token (the streams share it)."""
        settings = self.settings
        self._token.refresh(self.http, "microsoft_ads", settings, OAUTH_HINT, settings.scope)

    def _headers(self) -> dict[str, str]:
        if not self._token.fresh():
            self.refresh()
        secret = self.settings.developer_token
        return {
            **self._token.bearer(),
            "DeveloperToken": secret.get_secret_value() if secret else "",
            "CustomerId": self.settings.customer_id or "",
            "CustomerAccountId": str(self.account_id),
            "Accept": "application/json",
        }

    def _url(self, base: str, service: str, operation: str) -> str:
        """``{base}/{service}/v13/{operation}``: the version is part of every path."""
        return f"{base.rstrip('/')}/{service}/{self.settings.api_version}/{operation}"

    def account(self) -> dict[str, Any]:
        """``GetAccount``: ``POST /CustomerManagement/v13/Account/Query``."""
        url = self._url(self.settings.customer_url, "CustomerManagement", "Account/Query")
        body = self.http.post(url, {"AccountId": self.account_id})
        account = body.get("Account") if isinstance(body, dict) else None
        if not isinstance(account, dict):
            raise SourceError(f"microsoft_ads: GetAccount {self.account_id} has no Account object")
        return account

    def campaigns(self) -> list[dict[str, Any]]:
        """``GetCampaignsByAccountId``: ``POST /CampaignManagement/v13/Campaigns/QueryByAccountId``
        (https://learn.microsoft.com/en-us/advertising/campaign-management-service/
        getcampaignsbyaccountid); deleted campaigns are not returned."""
        url = self._url(
            self.settings.campaign_url, "CampaignManagement", "Campaigns/QueryByAccountId"
        )
        request = {
            "AccountId": self.account_id,
            "CampaignType": "Search Shopping Audience PerformanceMax",
        }
        body = self.http.post(url, request, records_at=("Campaigns", "*"))
        found = body.get("Campaigns") if isinstance(body, dict) else None
        if not isinstance(found, list):
            raise SourceError(
                f"microsoft_ads: GetCampaignsByAccountId {self.account_id} has no Campaigns array"
            )
        return found

    def ad_groups(self, campaign_id: int) -> list[dict[str, Any]]:
        """``GetAdGroupsByCampaignId``: ``POST /CampaignManagement/v13/AdGroups/QueryByCampaignId``
        (https://learn.microsoft.com/en-us/advertising/campaign-management-service/
        getadgroupsbycampaignid). The REST API writes a long as a JSON string."""
        return self._query(
            "AdGroups/QueryByCampaignId", {"CampaignId": str(campaign_id)}, "AdGroups"
        )

    def ads(self, ad_group_id: int) -> list[dict[str, Any]]:
        """``GetAdsByAdGroupId``: ``POST /CampaignManagement/v13/Ads/QueryByAdGroupId`` for every
        ad type a search ad group holds (``AdTypes`` is required;
        https://learn.microsoft.com/en-us/advertising/campaign-management-service/
        getadsbyadgroupid)."""
        request = {"AdGroupId": str(ad_group_id), "AdTypes": list(AD_TYPES)}
        return self._query("Ads/QueryByAdGroupId", request, "Ads")

    def _query(self, operation: str, request: dict[str, Any], array: str) -> list[dict[str, Any]]:
        """A Campaign Management query whose answer is ``{array: [...]}``."""
        url = self._url(self.settings.campaign_url, "CampaignManagement", operation)
        body = self.http.post(url, request, records_at=(array, "*"))
        found = body.get(array) if isinstance(body, dict) else None
        if not isinstance(found, list):
            raise SourceError(f"microsoft_ads: {operation} {request} has no {array} array")
        return [item for item in found if isinstance(item, dict)]

    def report(
        self, report_type: str, columns: Sequence[str], first: date, last: date
    ) -> list[dict[str, str]]:
        """A daily report of ``columns`` for ``first..last`` (inclusive, account time zone):
        submitted, polled until it is ready, downloaded and read (:func:`read_report`)."""
        what = f"{report_type} {self.account_id} {first}..{last}"
        request = {
            "Type": f"{report_type}Request",
            "ReportName": f"thinline {report_type} {first}..{last}",
            "Format": "Csv",
            "FormatVersion": "2.0",
            "ExcludeColumnHeaders": False,
            "ExcludeReportHeader": True,
            "ExcludeReportFooter": True,
            "ReturnOnlyCompleteData": False,
            "Aggregation": "Daily",
            "Columns": list(columns),
            "Scope": {"AccountIds": [self.account_id]},
            "Time": {
                "CustomDateRangeStart": report_date(first),
                "CustomDateRangeEnd": report_date(last),
            },
        }
        submit = self._url(self.settings.base_url, "Reporting", "GenerateReport/Submit")
        answer = self.http.post(submit, {"ReportRequest": request})
        request_id = answer.get("ReportRequestId") if isinstance(answer, dict) else None
        if not request_id:
            raise SourceError(f"microsoft_ads: {what}: Submit returned no ReportRequestId")
        url = self._poll(str(request_id), what)
        if url is None:
            self.log.info("microsoft_ads: %s: no data (no download URL)", what)
            return []
        content = self.http.request("GET", url, authenticated=False, as_bytes=True)
        rows = read_report(content, columns, what)
        self.log.info("microsoft_ads: %s: %d rows", what, len(rows))
        return rows

    def _poll(self, request_id: str, what: str) -> str | None:
        """Poll until Success (the download URL, or None for an empty report); a back-off
        between polls, doubling up to a minute."""
        poll = self._url(self.settings.base_url, "Reporting", "GenerateReport/Poll")
        delay = self.settings.poll_seconds
        for _ in range(self.settings.max_polls):
            answer = self.http.post(poll, {"ReportRequestId": request_id})
            status = answer.get("ReportRequestStatus") if isinstance(answer, dict) else None
            state = status.get("Status") if isinstance(status, dict) else None
            if state == SUCCESS:
                url = status.get("ReportDownloadUrl")  # type: ignore[union-attr]
                return str(url) if url else None
            if state == ERROR:
                raise SourceError(
                    f"microsoft_ads: {what}: the report failed (Status Error, request "
                    f"{request_id}) — rerun; if it persists, check the report columns"
                )
            if state != PENDING:
                raise SourceError(f"microsoft_ads: {what}: unknown report status {state!r}")
            self._sleep(delay)
            delay = min(delay * 2, MAX_POLL_SECONDS)
        raise SourceError(
            f"microsoft_ads: {what}: still Pending after {self.settings.max_polls} polls — "
            "rerun later or raise THINLINE_MICROSOFT_ADS__MAX_POLLS"
        )
