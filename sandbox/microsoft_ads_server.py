"""A local Microsoft Advertising API (Bing Ads API v13, REST JSON) and Microsoft identity
platform token endpoint for one World, written from Microsoft's documentation:

* ``POST /common/oauth2/v2.0/token``: the refresh-token grant with ``scope``
  ``https://ads.microsoft.com/msads.manage offline_access``; the answer has ``access_token``,
  ``expires_in`` (an hour), ``token_type`` Bearer, ``scope`` and a new ``refresh_token``
  (https://learn.microsoft.com/en-us/advertising/guides/authentication-oauth-get-tokens).
* Every service call needs ``Authorization: Bearer``, ``DeveloperToken``, ``CustomerId`` and
  ``CustomerAccountId`` (https://learn.microsoft.com/en-us/advertising/guides/get-started).
* ``POST /Reporting/v13/GenerateReport/Submit`` ``{"ReportRequest": {...}}`` →
  ``{"ReportRequestId"}``; ``POST /Reporting/v13/GenerateReport/Poll`` ``{"ReportRequestId"}``
  → ``{"ReportRequestStatus": {"ReportDownloadUrl", "Status"}}``, Status ``Pending`` (the
  first ``pending_polls`` polls), ``Success`` or ``Error``
  (https://learn.microsoft.com/en-us/advertising/reporting-service/pollgeneratereport). On
  Success the URL is nil when the report has no rows
  (https://learn.microsoft.com/en-us/advertising/reporting-service/reportrequeststatus); it
  downloads a zip of one CSV, UTF-8 with a byte order mark, every field quoted, with the
  report header (Report Name, Report Time, ..., Rows) and the copyright footer unless the
  request sets ``ExcludeReportHeader`` / ``ExcludeReportFooter``
  (https://learn.microsoft.com/en-us/advertising/guides/request-download-report).
  [inferred] ``TimePeriod`` of a daily report written ``YYYY-MM-DD`` (FormatVersion 2.0).
  Reports served: CampaignPerformanceReport, KeywordPerformanceReport,
  SearchQueryPerformanceReport and AdPerformanceReport (columns of
  https://learn.microsoft.com/en-us/advertising/reporting-service/adperformancereportcolumn:
  ``AdId``, ``AdGroupId``, ``CampaignId``, ``Spend``, ``Revenue``, ...).
* ``POST /CampaignManagement/v13/Campaigns/QueryByAccountId`` ``{"AccountId", "CampaignType"}``
  → ``{"Campaigns": [...], "PartialErrors": null}``: deleted campaigns are not returned
  (https://learn.microsoft.com/en-us/advertising/campaign-management-service/
  getcampaignsbyaccountid).
* ``POST /CampaignManagement/v13/AdGroups/QueryByCampaignId`` ``{"CampaignId"}`` →
  ``{"AdGroups": [...]}`` (an empty array for a campaign without ad groups), each AdGroup with
  ``Id``, ``Name``, ``Status`` (Active, Paused, Expired, Deleted), ``TrackingUrlTemplate``,
  ``FinalUrlSuffix``, ``UrlCustomParameters`` ``{"Parameters": [{"Key", "Value"}]}``
  (https://learn.microsoft.com/en-us/advertising/campaign-management-service/
  getadgroupsbycampaignid, .../adgroup).
* ``POST /CampaignManagement/v13/Ads/QueryByAdGroupId`` ``{"AdGroupId", "AdTypes": [...]}``
  → ``{"Ads": [...]}``, only ads of the requested AdTypes (required: ``Text``,
  ``ExpandedText``, ``ResponsiveSearch``, ``ResponsiveAd``, ...), each Ad with ``Id``,
  ``Type``, ``Status`` (Inactive, Active, Paused, Deleted), ``FinalUrls`` (a string array),
  ``TrackingUrlTemplate``, ``FinalUrlSuffix``, ``UrlCustomParameters`` and its type's own
  fields (``Headlines`` / ``Descriptions`` asset links of a ResponsiveSearch ad; ``TitlePart1``,
  ``Text``, ``Path1`` of an ExpandedText ad)
  (https://learn.microsoft.com/en-us/advertising/campaign-management-service/
  getadsbyadgroupid, .../ad, .../adtype). Deleted ad groups and ads are not returned.
  The REST JSON writes a long as a string (``"Id": "8123..."``; the Bing Ads Python SDK's
  generated REST models, openapi_client/models/campaign/ad.py and ad_group.py, type ``Id``,
  ``CampaignId`` and ``AdGroupId`` as strings); the older campaign route above answers numbers
  as it always has. [inferred] an unknown campaign or ad group is code 1100
  CampaignServiceInvalidCampaignId / 1201 CampaignServiceInvalidAdGroupId, missing AdTypes
  code 100 NullRequest.
* ``POST /CustomerManagement/v13/Account/Query`` ``{"AccountId"}`` → ``{"Account": {...}}``
  (https://learn.microsoft.com/en-us/advertising/customer-management-service/getaccount).
* Errors: ``{"TrackingId", "Type": "AdApiFaultDetail", "Errors": [{"Code", "ErrorCode",
  "Message"}]}`` with the codes of
  https://learn.microsoft.com/en-us/advertising/guides/operation-error-codes: 105
  InvalidCredentials, 106 UserIsNotAuthorized, 109 AuthenticationTokenExpired, 117
  CallRateExceeded (https://learn.microsoft.com/en-us/advertising/guides/
  handle-service-errors-exceptions). [inferred] the HTTP statuses: 401 for 105/109, 429 for
  117, 500 for InternalError (0), 400 otherwise.

Report faults, besides :mod:`sandbox.faults` (429 code 117, 500 code 0, a truncated body, an
expired token): ``pending_polls`` (how long a report stays Pending), ``empty_reports`` (Success
with no URL), ``failed_reports`` (Status Error), ``malformed_csv`` (a row short of fields) and
``unknown_error_code`` (Submit refused with a code the connector does not know).
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import re
import threading
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qs

from sandbox.clock import utc_now
from sandbox.faults import Fault, Faults
from sandbox.http import Request, Response, StandInServer, json_response
from sandbox.microsoft_ads_data import (
    Ad,
    AdGroup,
    Campaign,
    KeywordDay,
    MicrosoftAdsData,
    QueryDay,
    money,
    slug,
)
from sandbox.world import World

TOKEN_PATH = "/common/oauth2/v2.0/token"
SCOPE = "https://ads.microsoft.com/msads.manage"
VERSION = "v13"
SUBMIT = f"/Reporting/{VERSION}/GenerateReport/Submit"
POLL = f"/Reporting/{VERSION}/GenerateReport/Poll"
CAMPAIGNS = f"/CampaignManagement/{VERSION}/Campaigns/QueryByAccountId"
AD_GROUPS = f"/CampaignManagement/{VERSION}/AdGroups/QueryByCampaignId"
ADS = f"/CampaignManagement/{VERSION}/Ads/QueryByAdGroupId"
ACCOUNT = f"/CustomerManagement/{VERSION}/Account/Query"
DOWNLOAD = re.compile(r"/ReportDownloads/([0-9a-f-]+)\.zip")
FOOTER = "©2026 Microsoft Corporation. All rights reserved. "


@dataclass(frozen=True)
class MicrosoftAdsCredentials:
    developer_token: str = "BBD37VB98SANDBOX"
    client_id: str = "4c0b021c-00c3-4508-838f-sandbox00001"
    client_secret: str = "sandbox-microsoft-client-secret"
    refresh_token: str = "M.C105_sandbox-microsoft-refresh-token"


@dataclass(frozen=True)
class ReportFaults:
    pending_polls: int = 1  # polls answered Pending before Success (the first one, by default)
    empty_reports: bool = False
    failed_reports: bool = False
    malformed_csv: bool = False
    unknown_error_code: int | None = None


STATUS = {105: 401, 109: 401, 117: 429, 0: 500}  # [inferred] HTTP status per error code


class ApiFault(Exception):
    def __init__(self, code: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.error_code, self.message = code, error_code, message

    def response(self, headers: dict[str, str] | None = None) -> Response:
        body = {
            "TrackingId": str(uuid.uuid4()),
            "Type": "AdApiFaultDetail",
            "Errors": [
                {
                    "Code": self.code,
                    "Details": None,
                    "ErrorCode": self.error_code,
                    "Message": self.message,
                    "Type": "AdApiError",
                }
            ],
        }
        return json_response(STATUS.get(self.code, 400), body, headers)


@dataclass
class _Report:
    account_id: int
    request: dict[str, Any]
    polls: int = 0


# the value of each report column, per report type: (row) -> text
Row = Any
CAMPAIGN_VALUES: dict[str, Callable[[Row], str]] = {
    "Spend": lambda r: money(r["spend_cents"]),
    "Impressions": lambda r: str(r["impressions"]),
    "Clicks": lambda r: str(r["clicks"]),
    "Conversions": lambda r: str(r["conversions"]),
    "Revenue": lambda r: money(r["revenue_cents"]),
}
DETAIL_VALUES: dict[str, Callable[[Row], str]] = {
    "Spend": lambda r: money(r.spend_cents),
    "Impressions": lambda r: str(r.impressions),
    "Clicks": lambda r: str(r.clicks),
    "Conversions": lambda r: str(r.conversions),
}


class MicrosoftAdsServer(StandInServer):
    def __init__(
        self,
        world: World,
        *,
        credentials: MicrosoftAdsCredentials | None = None,
        faults: Faults | None = None,
        report_faults: ReportFaults | None = None,
    ) -> None:
        super().__init__(faults)
        self.data: MicrosoftAdsData = world.microsoft_ads
        self.credentials = credentials or MicrosoftAdsCredentials()
        self.report_faults = report_faults or ReportFaults()
        self._tokens: set[str] = set()
        self._refresh_tokens = {self.credentials.refresh_token}
        self._reports: dict[str, _Report] = {}
        self._lock2 = threading.Lock()
        self._issued = itertools.count(1)
        self._campaigns = {c.campaign_id: c for c in self.data.campaigns}
        self._ads = {ad.ad_id: ad for ad in self.data.ads}

    def env(self) -> dict[str, str]:
        """The ``THINLINE_MICROSOFT_ADS__*`` settings that reach this server."""
        credentials = self.credentials
        return {
            "THINLINE_MICROSOFT_ADS__BASE_URL": self.url,
            "THINLINE_MICROSOFT_ADS__CAMPAIGN_URL": self.url,
            "THINLINE_MICROSOFT_ADS__CUSTOMER_URL": self.url,
            "THINLINE_MICROSOFT_ADS__TOKEN_URL": self.url + TOKEN_PATH,
            "THINLINE_MICROSOFT_ADS__DEVELOPER_TOKEN": credentials.developer_token,
            "THINLINE_MICROSOFT_ADS__CLIENT_ID": credentials.client_id,
            "THINLINE_MICROSOFT_ADS__CLIENT_SECRET": credentials.client_secret,
            "THINLINE_MICROSOFT_ADS__REFRESH_TOKEN": credentials.refresh_token,
            "THINLINE_MICROSOFT_ADS__CUSTOMER_ID": str(self.data.customer_id),
            "THINLINE_MICROSOFT_ADS__ACCOUNT_IDS": ",".join(
                str(account.account_id) for account in self.data.accounts
            ),
            # a local report is ready at the second poll: no need to wait 5 s for it
            "THINLINE_MICROSOFT_ADS__POLL_SECONDS": "0.05",
        }

    def takes_faults(self, request: Request) -> bool:
        # faults model the Bing Ads services, not the identity platform or the blob download
        return request.path != TOKEN_PATH and not DOWNLOAD.fullmatch(request.path)

    def route(self, request: Request) -> Response:
        if request.path == TOKEN_PATH and request.method == "POST":
            return self._token(request)
        if match := DOWNLOAD.fullmatch(request.path):
            return self._download(match[1])
        try:
            if request.method != "POST":
                raise ApiFault(0, "InternalError", f"No sandbox route for {request.path}")
            account_id = self._authorize(request)
            body = request.json()
            if request.path == SUBMIT:
                return self._submit(account_id, body)
            if request.path == POLL:
                return self._poll(body)
            if request.path == CAMPAIGNS:
                return json_response(200, self._campaigns_of(account_id, body))
            if request.path == ACCOUNT:
                return json_response(200, {"Account": self._account(account_id)})
            if request.path == AD_GROUPS:
                return json_response(200, self._ad_groups_of(account_id, body))
            if request.path == ADS:
                return json_response(200, self._ads_of(account_id, body))
            return json_response(404, {"Message": f"No sandbox route for {request.path}"})
        except ApiFault as fault:
            return fault.response()
        except ValueError:
            return ApiFault(100, "NullRequest", "The request message is null.").response()

    # POST /common/oauth2/v2.0/token
    def _token(self, request: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs(request.body.decode(errors="replace")).items()}
        expected = self.credentials
        if form.get("grant_type") != "refresh_token":
            return json_response(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "AADSTS70003: The app requested an unsupported grant "
                    "type.",
                },
            )
        with self._lock2:
            known = form.get("refresh_token") in self._refresh_tokens
        if (
            not known
            or form.get("client_id") != expected.client_id
            or form.get("client_secret") != expected.client_secret
        ):
            return json_response(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "AADSTS70000: The provided value for the 'refresh_token' "
                    "is not valid.",
                },
            )
        if SCOPE not in (form.get("scope") or "").split():
            return json_response(
                400,
                {
                    "error": "invalid_scope",
                    "error_description": f"AADSTS70011: The scope must include {SCOPE}.",
                },
            )
        issued = next(self._issued)
        token, refresh = f"EwBQA-sandbox-msads-{issued:06d}", f"M.C105_rotated-{issued:06d}"
        with self._lock2:
            self._tokens.add(token)
            self._refresh_tokens.add(refresh)  # Microsoft rotates it; the old one still works
        return json_response(
            200,
            {
                "token_type": "Bearer",
                "scope": f"{SCOPE} offline_access",
                "expires_in": 3600,
                "ext_expires_in": 3600,
                "access_token": token,
                "refresh_token": refresh,
            },
        )

    def _authorize(self, request: Request) -> int:
        """Check the four headers; the account the call is about."""
        header = request.headers.get("Authorization", "")
        with self._lock2:
            valid = header.startswith("Bearer ") and header[7:] in self._tokens
        if not valid:
            raise ApiFault(
                105,
                "InvalidCredentials",
                "Authentication failed. Either supplied "
                "credentials are invalid or the account is inactive.",
            )
        if request.headers.get("DeveloperToken") != self.credentials.developer_token:
            raise ApiFault(
                105,
                "InvalidCredentials",
                "Authentication failed. Either supplied "
                "credentials are invalid or the account is inactive.",
            )
        account_id = request.headers.get("CustomerAccountId", "")
        if request.headers.get("CustomerId") != str(self.data.customer_id) or not (
            account_id.isdigit() and self.data.account(int(account_id))
        ):
            raise ApiFault(
                106, "UserIsNotAuthorized", "The user does not represent a authorized developer."
            )
        return int(account_id)

    def _account(self, account_id: int) -> dict[str, Any]:
        account = self.data.account(account_id)
        assert account is not None
        return {
            "Id": account.account_id,
            "Name": account.name,
            "Number": account.account_number,
            "CurrencyCode": account.currency,
            "AccountLifeCycleStatus": "Active",
            "PauseReason": None,
            "ParentCustomerId": self.data.customer_id,
            "TimeZone": account.time_zone,
            "Language": "English",
        }

    def _campaigns_of(self, account_id: int, body: Any) -> dict[str, Any]:
        if body.get("AccountId") != account_id:
            raise ApiFault(1102, "CampaignServiceInvalidAccountId", "The account ID is invalid.")
        account = self.data.account(account_id)
        assert account is not None
        return {
            "Campaigns": [
                _campaign_json(campaign, account.time_zone)
                for campaign in self.data.campaigns
                if campaign.account_id == account_id
            ],
            "PartialErrors": None,
        }

    def _ad_groups_of(self, account_id: int, body: Any) -> dict[str, Any]:
        campaign = self._campaigns.get(_long(body.get("CampaignId")))
        if campaign is None or campaign.account_id != account_id:
            raise ApiFault(1100, "CampaignServiceInvalidCampaignId", "The campaign ID is invalid.")
        groups = [g for g in self.data.ad_groups if g.campaign_id == campaign.campaign_id]
        return {"AdGroups": [_ad_group_json(group) for group in groups]}

    def _ads_of(self, account_id: int, body: Any) -> dict[str, Any]:
        ad_group_id = _long(body.get("AdGroupId"))
        groups = {g.ad_group_id: g for g in self.data.ad_groups if g.account_id == account_id}
        if ad_group_id not in groups:
            raise ApiFault(1201, "CampaignServiceInvalidAdGroupId", "The ad group ID is invalid.")
        types = body.get("AdTypes")
        if not isinstance(types, list) or not types:
            raise ApiFault(100, "NullRequest", "The AdTypes element is required.")
        group = groups[ad_group_id]
        return {
            "Ads": [
                _ad_json(ad, group)
                for ad in self.data.ads
                if ad.ad_group_id == ad_group_id and ad.ad_type in types
            ]
        }

    def _submit(self, account_id: int, body: Any) -> Response:
        if self.report_faults.unknown_error_code is not None:
            code = self.report_faults.unknown_error_code
            raise ApiFault(code, "SandboxUnexpectedError", "An error the client has not seen.")
        request = body.get("ReportRequest") if isinstance(body, dict) else None
        if not isinstance(request, dict) or request.get("Type") not in REPORTS:
            raise ApiFault(2001, "InvalidReportRequest", "The report request is not valid.")
        scope = (request.get("Scope") or {}).get("AccountIds")
        if scope != [account_id]:
            raise ApiFault(2003, "InvalidAccountIds", "The account IDs are not valid.")
        unknown = set(request.get("Columns") or []) - set(REPORTS[request["Type"]])
        if unknown or not request.get("Columns"):
            raise ApiFault(2004, "InvalidReportColumns", f"Unknown columns: {sorted(unknown)}")
        request_id = str(next(self._issued) * 1_000_003 + 30_000_000_000)
        with self._lock2:
            self._reports[request_id] = _Report(account_id, request)
        return json_response(200, {"ReportRequestId": request_id})

    def _poll(self, body: Any) -> Response:
        request_id = str(body.get("ReportRequestId"))
        with self._lock2:
            report = self._reports.get(request_id)
            if report is None:
                raise ApiFault(2100, "InvalidReportId", "The report request ID is not valid.")
            report.polls += 1
            polls = report.polls
        faults = self.report_faults
        if polls <= faults.pending_polls:
            status: dict[str, Any] = {"ReportDownloadUrl": None, "Status": "Pending"}
        elif faults.failed_reports:
            status = {"ReportDownloadUrl": None, "Status": "Error"}
        elif faults.empty_reports or not self._rows(report):
            status = {"ReportDownloadUrl": None, "Status": "Success"}
        else:
            url = f"{self.url}/ReportDownloads/{self._uuid(request_id)}.zip?sv=2020&sig=sandbox"
            status = {"ReportDownloadUrl": url, "Status": "Success"}
        return json_response(200, {"ReportRequestStatus": status})

    def _uuid(self, request_id: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, request_id))

    def _download(self, name: str) -> Response:
        with self._lock2:
            found = [(k, r) for k, r in self._reports.items() if self._uuid(k) == name]
        if not found:
            return Response(404, b"BlobNotFound", {"Content-Type": "application/xml"})
        report = found[0][1]
        request = report.request
        columns = list(request["Columns"])
        rows = [[value(row, column) for column in columns] for row, value in self._rows(report)]
        if self.report_faults.malformed_csv and rows:
            rows[len(rows) // 2] = rows[len(rows) // 2][:-2]
        text = io.StringIO(newline="")
        writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        if not request.get("ExcludeReportHeader"):
            now = utc_now().strftime("%m/%d/%Y %I:%M:%S %p")
            for line in (
                [f"Report Name: {request.get('ReportName') or ''}"],
                [f"Report Time: {now}"],
                ["Time Zone: Account time zone"],
                ["Report Aggregation: Daily"],
                ["Potential Incomplete Data: false"],
                [f"Rows: {len(rows)}"],
                [],
            ):
                writer.writerow(line)
        if not request.get("ExcludeColumnHeaders"):
            writer.writerow(columns)
        writer.writerows(rows)
        if not request.get("ExcludeReportFooter"):
            writer.writerows([[], [FOOTER]])
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            zipped.writestr(f"{name}.csv", "\ufeff" + text.getvalue())
        return Response(200, archive.getvalue(), {"Content-Type": "application/x-zip-compressed"})

    def _rows(self, report: _Report) -> list[tuple[Any, Callable[[Any, str], str]]]:
        """The report's rows in its date range, each with how to read a column of it."""
        request = report.request
        time_range = request.get("Time") or {}
        first = _date(time_range.get("CustomDateRangeStart"))
        last = _date(time_range.get("CustomDateRangeEnd"))
        account_id = report.account_id
        days = [r for r in self.data.keyword_days if r.keyword.account_id == account_id]
        days = [r for r in days if first <= r.day <= last]
        kind = request["Type"]
        if kind == "CampaignPerformanceReportRequest":
            totals = self.data.campaign_days()
            keys = sorted({(r.day, r.keyword.campaign_id) for r in days})
            return [
                (((day, campaign_id), totals[(campaign_id, day)]), self._campaign_value)
                for day, campaign_id in keys
            ]
        if kind == "AdPerformanceReportRequest":
            ad_totals = self.data.ad_days()
            keys = sorted({(day, ad_id) for ad_id, day in ad_totals} & self._ad_keys(days))
            return [
                (((day, ad_id), ad_totals[(ad_id, day)]), self._ad_value) for day, ad_id in keys
            ]
        account = self.data.account(account_id)
        assert account is not None
        currency = account.currency
        if kind == "KeywordPerformanceReportRequest":
            return [(row, functools.partial(_keyword_value, currency=currency)) for row in days]
        value = functools.partial(_query_value, currency=currency)
        return [(query, value) for row in days for query in row.queries]

    def _ad_keys(self, days: list[KeywordDay]) -> set[tuple[date, int]]:
        """(day, serving ad) of the keyword days in a report's range."""
        serving = {ad.ad_group_id: ad.ad_id for ad in self.data.ads if ad.status == "Active"}
        return {(row.day, serving[row.keyword.ad_group_id]) for row in days}

    def _ad_value(self, row: Any, column: str) -> str:
        (day, ad_id), total = row
        ad = self._ads[ad_id]
        account = self.data.account(ad.account_id)
        assert account is not None
        values = {
            "TimePeriod": day.isoformat(),
            "AccountId": str(ad.account_id),
            "CampaignId": str(ad.campaign_id),
            "AdGroupId": str(ad.ad_group_id),
            "AdId": str(ad_id),
            "CurrencyCode": account.currency,
        }
        return values[column] if column in values else CAMPAIGN_VALUES[column](total)

    def _campaign_value(self, row: Any, column: str) -> str:
        (day, campaign_id), total = row
        campaign = self._campaigns[campaign_id]
        account = self.data.account(campaign.account_id)
        assert account is not None
        values = {
            "TimePeriod": day.isoformat(),
            "AccountId": str(account.account_id),
            "AccountName": account.name,
            "CampaignId": str(campaign_id),
            "CampaignName": campaign.name,
            "CampaignStatus": campaign.status,
            "CampaignType": "Search & content",
            "CurrencyCode": account.currency,
        }
        return values[column] if column in values else CAMPAIGN_VALUES[column](total)

    def fault_response(self, fault: Fault, nth: int, request: Request) -> Response:
        if fault in (Fault.RATE_LIMIT, Fault.DAILY_QUOTA):
            seconds = self.faults.retry_after_seconds
            headers = {} if seconds is None else {"Retry-After": f"{seconds:g}"}
            message = "You have exceeded the number of calls that you are allowed to make in a "
            message += "given time period. Please wait for 60 seconds before you retry."
            return ApiFault(117, "CallRateExceeded", message).response(headers)
        if fault is Fault.SERVER_ERROR:
            return ApiFault(0, "InternalError", "An internal error has occurred.").response()
        # EXPIRED_TOKEN: the presented token stops working; the client must refresh.
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with self._lock2:
            self._tokens.discard(token)
        message = "The OAuth access token has expired. Refresh the access token."
        return ApiFault(109, "AuthenticationTokenExpired", message).response()


def _keyword_value(row: KeywordDay, column: str, currency: str) -> str:
    keyword = row.keyword
    values = {
        "TimePeriod": row.day.isoformat(),
        "AccountId": str(keyword.account_id),
        "CampaignId": str(keyword.campaign_id),
        "AdGroupId": str(keyword.ad_group_id),
        "AdGroupName": keyword.ad_group_name,
        "KeywordId": str(keyword.keyword_id),
        "Keyword": keyword.text,
        "BidMatchType": keyword.match_type,
        "KeywordStatus": "Active",
        "CurrencyCode": currency,
        "QualityScore": str(keyword.quality_score),
    }
    return values[column] if column in values else DETAIL_VALUES[column](row)


def _query_value(row: QueryDay, column: str, currency: str) -> str:
    keyword = row.keyword
    values = {
        "TimePeriod": row.day.isoformat(),
        "AccountId": str(keyword.account_id),
        "CampaignId": str(keyword.campaign_id),
        "AdGroupId": str(keyword.ad_group_id),
        "KeywordId": str(keyword.keyword_id),
        "Keyword": keyword.text,
        "SearchQuery": row.search_query,
        "DeliveredMatchType": row.delivered_match_type,
        "CurrencyCode": currency,
    }
    return values[column] if column in values else DETAIL_VALUES[column](row)


def _campaign_json(campaign: Campaign, time_zone: str) -> dict[str, Any]:
    return {
        "Id": campaign.campaign_id,
        "Name": campaign.name,
        "Status": campaign.status,
        "BudgetType": "DailyBudgetStandard",
        "DailyBudget": float(campaign.daily_budget),  # a double on the wire
        "CampaignType": "Search",
        "TimeZone": time_zone,
        "Languages": ["All"],
        "AudienceAdsBidAdjustment": None,
        "BiddingScheme": {"Type": "EnhancedCpc"},
        "TrackingUrlTemplate": None,
    }


def _long(value: Any) -> int | None:
    """A long of a request body: a JSON string (REST) or number."""
    try:
        return int(str(value))
    except ValueError:
        return None


def _ad_group_json(group: AdGroup) -> dict[str, Any]:
    return {
        "AdGroupType": "SearchStandard",
        "AdRotation": None,
        "BiddingScheme": {"Type": "InheritFromParentBiddingScheme"},
        "CpcBid": {"Amount": 1.5},
        "FinalUrlSuffix": group.final_url_suffix,
        "Id": str(group.ad_group_id),
        "Language": None,
        "Name": group.name,
        "Network": "OwnedAndOperatedAndSyndicatedSearch",
        "Status": group.status,
        "TrackingUrlTemplate": None,
        "UrlCustomParameters": {"Parameters": [{"Key": "group", "Value": slug(group.name)}]},
    }


def _ad_json(ad: Ad, group: AdGroup) -> dict[str, Any]:
    common = {
        "AdFormatPreference": "All",
        "DevicePreference": 0,
        "EditorialStatus": "Active",
        "FinalAppUrls": None,
        "FinalMobileUrls": None,
        "FinalUrlSuffix": None,
        "FinalUrls": [ad.final_url],
        "ForwardCompatibilityMap": None,
        "Id": str(ad.ad_id),
        "Status": ad.status,
        "TrackingUrlTemplate": ad.tracking_url_template,
        "Type": ad.ad_type,
        "UrlCustomParameters": None,
    }
    if ad.ad_type == "ExpandedText":
        return {
            **common,
            "Domain": "thinline.example",
            "Path1": slug(group.name)[:15],
            "Path2": None,
            "Text": f"Thinline: {group.name} for revenue teams.",
            "TextPart2": None,
            "TitlePart1": f"Thinline {group.name}",
            "TitlePart2": "Revenue warehouse",
            "TitlePart3": None,
        }

    def assets(texts: list[str]) -> list[dict[str, Any]]:
        return [
            {
                "Asset": {"Id": None, "Name": None, "Type": "TextAsset", "Text": text},
                "AssetPerformanceLabel": "Learning",
                "EditorialStatus": "Active",
                "PinnedField": None,
            }
            for text in texts
        ]

    return {
        **common,
        "Descriptions": assets([f"{group.name} in one warehouse.", "Marketing meets sales."]),
        "Domain": "thinline.example",
        "Headlines": assets([f"Thinline {group.name}", "Revenue warehouse", "Try Thinline"]),
        "Path1": slug(group.name)[:15],
        "Path2": None,
    }


def _date(value: Any) -> date:
    try:
        return date(int(value["Year"]), int(value["Month"]), int(value["Day"]))
    except (KeyError, TypeError, ValueError):
        message = "The custom date range is not valid."
        raise ApiFault(2005, "InvalidCustomDateRange", message) from None


REPORTS: dict[str, tuple[str, ...]] = {
    "CampaignPerformanceReportRequest": (
        (
            "TimePeriod",
            "AccountId",
            "AccountName",
            "CampaignId",
            "CampaignName",
            "CampaignStatus",
            "CampaignType",
            "CurrencyCode",
            "Spend",
            "Impressions",
            "Clicks",
            "Conversions",
            "Revenue",
        )
    ),
    "KeywordPerformanceReportRequest": (
        (
            "TimePeriod",
            "AccountId",
            "CampaignId",
            "AdGroupId",
            "AdGroupName",
            "KeywordId",
            "Keyword",
            "BidMatchType",
            "KeywordStatus",
            "CurrencyCode",
            "Spend",
            "Impressions",
            "Clicks",
            "Conversions",
            "QualityScore",
        )
    ),
    "AdPerformanceReportRequest": (
        (
            "TimePeriod",
            "AccountId",
            "CampaignId",
            "AdGroupId",
            "AdId",
            "CurrencyCode",
            "Spend",
            "Impressions",
            "Clicks",
            "Conversions",
            "Revenue",
        )
    ),
    "SearchQueryPerformanceReportRequest": (
        (
            "TimePeriod",
            "AccountId",
            "CampaignId",
            "AdGroupId",
            "KeywordId",
            "Keyword",
            "SearchQuery",
            "DeliveredMatchType",
            "CurrencyCode",
            "Spend",
            "Impressions",
            "Clicks",
            "Conversions",
        )
    ),
}
