"""Microsoft Advertising streams, per account in ``THINLINE_MICROSOFT_ADS__ACCOUNT_IDS``.

* campaigns (snapshot): ``GetCampaignsByAccountId`` (Search, Shopping, Audience and
  Performance Max campaigns), each record the Campaign object plus ``AccountId``,
  ``AccountName`` and ``CurrencyCode`` from ``GetAccount`` (a campaign's money is in its
  account's currency). Deleted campaigns are not returned, so the snapshot flags them.
* ad_groups, ads (snapshots): ``GetAdGroupsByCampaignId`` for every campaign and
  ``GetAdsByAdGroupId`` for every ad group (all ad types), each record the AdGroup or Ad object
  (``Id``, ``Name``, ``Status``, ``FinalUrls``, ``TrackingUrlTemplate``, ``FinalUrlSuffix``,
  ``UrlCustomParameters``, ...) plus ``AccountId``, ``CampaignId`` (and ``AdGroupId``). Deleted
  ones are not returned, so the snapshot flags them.
* campaign_daily_performance, keyword_daily_performance, search_query_daily_performance,
  ad_daily_performance (replace_days on ``report_date``): the CampaignPerformanceReport,
  KeywordPerformanceReport, SearchQueryPerformanceReport and AdPerformanceReport
  (https://learn.microsoft.com/en-us/advertising/guides/
  report-types) with ``Aggregation`` Daily over the window's days, re-reading
  ``lookback_days`` (30: the default conversion window restates recent days). A record is the
  CSV row as Microsoft wrote it, column name to text: ``Spend`` stays the exact decimal text,
  in the account currency (``CurrencyCode``). ``TimePeriod`` is the day, in the account's
  time zone.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from extract.base import LoadMode, RawRow, Stream, Window, day_ranges
from extract.http import Sleep, with_fields
from extract.microsoft_ads.client import MicrosoftAdsClient
from extract.microsoft_ads.settings import MicrosoftAdsSettings
from extract.oauth import AccessToken

# CampaignPerformanceReportColumn, KeywordPerformanceReportColumn,
# SearchQueryPerformanceReportColumn (the reporting value sets)
CAMPAIGN_COLUMNS = (
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
KEYWORD_COLUMNS = (
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
SEARCH_QUERY_COLUMNS = (
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
AD_COLUMNS = (  # AdPerformanceReportColumn
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
ACCOUNT = {"account_id": "bigint"}
DAY = {"report_date": "date"}
DAYS_PER_REPORT = 31  # one report per month of a long first load: each poll stays small

Client = Callable[[int], MicrosoftAdsClient]


def build_streams(settings: MicrosoftAdsSettings, *, sleep: Sleep = time.sleep) -> list[Stream]:
    """The raw_microsoft_ads streams; they share one access token (and its refresh)."""
    token = AccessToken()  # none configured: the first call refreshes

    def client(account_id: int) -> MicrosoftAdsClient:
        return MicrosoftAdsClient(settings, token, account_id, sleep=sleep)

    lookback = timedelta(days=settings.lookback_days)
    # read when a stream is fetched, not here: listing the streams (the raw tables' DDL, the
    # benchmark's tables) needs no credentials or accounts
    accounts = settings.account_id_list

    def report(
        entity: str, report_type: str, columns: tuple[str, ...], keys: dict[str, str]
    ) -> Stream:
        return Stream(
            entity,
            {**ACCOUNT, **keys, **DAY},
            LoadMode.REPLACE_DAYS,
            functools.partial(fetch_report, client, accounts, report_type, columns, tuple(keys)),
            day_column="report_date",
            lookback=lookback,
        )

    return [
        Stream(
            "campaigns",
            {**ACCOUNT, "campaign_id": "bigint"},
            LoadMode.SNAPSHOT,
            functools.partial(fetch_campaigns, client, accounts),
        ),
        Stream(
            "ad_groups",
            {**ACCOUNT, "ad_group_id": "bigint"},
            LoadMode.SNAPSHOT,
            functools.partial(fetch_ad_groups, client, accounts),
        ),
        Stream(
            "ads",
            {**ACCOUNT, "ad_id": "bigint"},
            LoadMode.SNAPSHOT,
            functools.partial(fetch_ads, client, accounts),
        ),
        report(
            "campaign_daily_performance",
            "CampaignPerformanceReport",
            CAMPAIGN_COLUMNS,
            {"campaign_id": "bigint"},
        ),
        report(
            "keyword_daily_performance",
            "KeywordPerformanceReport",
            KEYWORD_COLUMNS,
            {"ad_group_id": "bigint", "keyword_id": "bigint"},
        ),
        report(
            "search_query_daily_performance",
            "SearchQueryPerformanceReport",
            SEARCH_QUERY_COLUMNS,
            {
                "ad_group_id": "bigint",
                "keyword_id": "bigint",
                "search_query": "text",
                "delivered_match_type": "text",
            },
        ),
        report("ad_daily_performance", "AdPerformanceReport", AD_COLUMNS, {"ad_id": "bigint"}),
    ]


def fetch_campaigns(
    client: Client, accounts: Callable[[], list[int]], window: Window
) -> Iterator[RawRow]:
    """Every campaign of every account with the account's name and currency."""
    for account_id in accounts():
        with client(account_id) as api:
            account = api.account()
            extra = {
                "AccountId": account_id,
                "AccountName": account.get("Name"),
                "CurrencyCode": account.get("CurrencyCode"),
            }
            campaigns = api.campaigns()
            for campaign in campaigns:
                yield RawRow((account_id, to_int(campaign.get("Id"))), with_fields(campaign, extra))
            api.log.info("microsoft_ads: campaigns %s: %d rows", account_id, len(campaigns))


def _ad_groups_of(api: MicrosoftAdsClient) -> Iterator[tuple[int | None, dict[str, Any]]]:
    """Every ad group of the account's campaigns, with its campaign id."""
    for campaign in api.campaigns():
        campaign_id = to_int(campaign.get("Id"))
        if campaign_id is not None:
            for ad_group in api.ad_groups(campaign_id):
                yield campaign_id, ad_group


def fetch_ad_groups(
    client: Client, accounts: Callable[[], list[int]], window: Window
) -> Iterator[RawRow]:
    """Every ad group of every campaign of every account."""
    for account_id in accounts():
        with client(account_id) as api:
            count = 0
            for campaign_id, ad_group in _ad_groups_of(api):
                extra = {"AccountId": account_id, "CampaignId": campaign_id}
                yield RawRow((account_id, to_int(ad_group.get("Id"))), with_fields(ad_group, extra))
                count += 1
            api.log.info("microsoft_ads: ad groups %s: %d rows", account_id, count)


def fetch_ads(
    client: Client, accounts: Callable[[], list[int]], window: Window
) -> Iterator[RawRow]:
    """Every ad of every ad group of every account."""
    for account_id in accounts():
        with client(account_id) as api:
            count = 0
            for campaign_id, ad_group in list(_ad_groups_of(api)):
                ad_group_id = to_int(ad_group.get("Id"))
                if ad_group_id is None:
                    continue
                extra = {
                    "AccountId": account_id,
                    "CampaignId": campaign_id,
                    "AdGroupId": ad_group_id,
                }
                for ad in api.ads(ad_group_id):
                    yield RawRow((account_id, to_int(ad.get("Id"))), with_fields(ad, extra))
                    count += 1
            api.log.info("microsoft_ads: ads %s: %d rows", account_id, count)


def fetch_report(
    client: Client,
    accounts: Callable[[], list[int]],
    report_type: str,
    columns: tuple[str, ...],
    keys: tuple[str, ...],
    window: Window,
) -> Iterator[RawRow]:
    """The report's rows for the window's days, per account (an empty window reads nothing).
    A report is read whole before any of its rows is handed on (:func:`read_report`)."""
    for account_id in accounts():
        with client(account_id) as api:
            for first, last in day_ranges(window.days(), DAYS_PER_REPORT):
                for row in api.report(report_type, columns, first, last):
                    yield RawRow(row_keys(row, keys), row)


KEY_COLUMNS = {
    "account_id": ("AccountId", "int"),
    "campaign_id": ("CampaignId", "int"),
    "ad_group_id": ("AdGroupId", "int"),
    "keyword_id": ("KeywordId", "int"),
    "ad_id": ("AdId", "int"),
    "search_query": ("SearchQuery", "text"),
    "delivered_match_type": ("DeliveredMatchType", "text"),
}


def row_keys(row: dict[str, str], keys: tuple[str, ...]) -> tuple[Any, ...]:
    """A report row's typed key values: the account, ``keys``, the day."""
    values: list[Any] = [to_int(row.get("AccountId"))]
    for key in keys:
        column, kind = KEY_COLUMNS[key]
        values.append(to_int(row.get(column)) if kind == "int" else row.get(column))
    values.append(to_date(row.get("TimePeriod")))
    return tuple(values)


def to_int(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def to_date(value: Any) -> date | None:
    """``TimePeriod`` of a daily report: ``YYYY-MM-DD`` (FormatVersion 2.0), or ``M/D/YYYY``."""
    text = str(value or "")
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    month, _, rest = text.partition("/")
    day, _, year = rest.partition("/")
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None  # the quality gate reports the NULL key
