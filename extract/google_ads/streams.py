"""Google Ads streams: one GAQL report per raw_google_ads table, per client account.

* customers, campaigns (snapshot): the whole resource every run. REMOVED campaigns stay
  ``is_deleted = false``: their status is in the record, and their historical spend must still
  join to them.
* campaign / ad_group / ad daily metrics (replace_days on ``metric_date``): ``segments.date
  BETWEEN first AND last`` over the window's days, at most ``days_per_request`` days per
  call, re-reading ``lookback_days`` because conversions restate inside that window. Each
  row carries ``customer.currency_code``: ``costMicros`` is in the account's currency.
  Ad groups carry ``ad_group.status`` and ads ``ad_group_ad.status`` and
  ``ad_group_ad.ad.final_urls`` (the landing pages; ``dim_ad_groups`` and ``dim_ads`` take
  each one's latest row).
* keyword and search term daily metrics (replace_days on ``metric_date``, like the ad metrics):
  ``FROM keyword_view``, one row per keyword (ad group criterion) and day with its text, match
  type and quality score; ``FROM search_term_view`` segmented by ``segments.keyword``, one row
  per search term, the keyword it matched and day. Only search campaigns have keywords, and
  Google leaves out search terms too few people searched (its privacy threshold), so search
  terms add up to at most their keywords' metrics
  (https://developers.google.com/google-ads/api/reference/rpc/v24/KeywordView,
  https://developers.google.com/google-ads/api/reference/rpc/v24/SearchTermView).
* landing page daily metrics (replace_days on ``metric_date``, like the ad metrics): ``FROM
  landing_page_view`` segmented by campaign, ad group and day, one row per advertiser-specified
  final URL ("unexpanded"), which Google aggregates over every ad that used it on that day
  (https://developers.google.com/google-ads/api/fields/v22/landing_page_view).
* click_views (merge on the click): ``FROM click_view``, one row per click with
  its ``gclid`` (the key that joins an ad click to a CRM contact's ``hs_google_click_id``) and,
  for a search click, the keyword it came through (``click_view.keyword``).
  Google answers one day per query, "for dates back to 90 days before the time of the request"
  (https://developers.google.com/google-ads/api/reference/rpc/v22/ClickView): 90 days from
  Google's clock, not from the window's end. So the stream asks for the window's days newest
  first, ``segments.date = 'D'`` each, and at Google's ``clickViewError.DATE_TOO_OLD`` skips
  that day and every older one without asking, yielding a :class:`~extract.base.Skipped`.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from extract.base import LoadMode, RawRow, Skipped, SourceError, Stream, Window, day_ranges
from extract.google_ads.client import GoogleAdsClient
from extract.google_ads.settings import GoogleAdsSettings
from extract.http import Sleep
from extract.oauth import AccessToken

METRICS = (
    "metrics.cost_micros",
    "metrics.impressions",
    "metrics.clicks",
    "metrics.conversions",
    "metrics.conversions_value",
)
DAILY = ("customer.id", "customer.currency_code", "campaign.id", "campaign.name", "segments.date")
CLICK_VIEW_SKIP = "click_view serves only the last 90 days before the request"
TOO_OLD = "clickViewError.DATE_TOO_OLD"  # as the client words Google's error code


@dataclass(frozen=True)
class Key:
    """A typed key column and where it sits in a result row (lowerCamelCase JSON path)."""

    column: str
    pg_type: str
    path: tuple[str, ...]
    after: str | None = None  # the value is the part of a resource name after its last ``after``

    def read(self, row: dict[str, Any]) -> int | str | date | None:
        value: Any = row
        for step in self.path:
            value = value.get(step) if isinstance(value, dict) else None
        if self.after is not None:
            value = value.rpartition(self.after)[2] if isinstance(value, str) else None
        if self.pg_type == "text":
            return value if isinstance(value, str) and value else None
        try:
            return date.fromisoformat(value) if self.pg_type == "date" else int(str(value))
        except (TypeError, ValueError):
            return None  # absent or unreadable: the quality gate reports the NULL key


CUSTOMER = Key("customer_id", "bigint", ("customer", "id"))
CAMPAIGN = Key("campaign_id", "bigint", ("campaign", "id"))
AD_GROUP = Key("ad_group_id", "bigint", ("adGroup", "id"))
AD = Key("ad_id", "bigint", ("adGroupAd", "ad", "id"))
METRIC_DATE = Key("metric_date", "date", ("segments", "date"))
CRITERION = Key("criterion_id", "bigint", ("adGroupCriterion", "criterionId"))
# customers/C/adGroupCriteria/G~K: the keyword a search term matched
MATCHED_CRITERION = Key("criterion_id", "bigint", ("segments", "keyword", "adGroupCriterion"), "~")
SEARCH_TERM = Key("search_term", "text", ("searchTermView", "searchTerm"))
LANDING_PAGE = Key("landing_page_url", "text", ("landingPageView", "unexpandedFinalUrl"))
GCLID = Key("gclid", "text", ("clickView", "gclid"))
CLICK_DATE = Key("click_date", "date", ("segments", "date"))


@dataclass(frozen=True)
class Report:
    """One raw table: the GAQL that reads it and its key."""

    entity: str
    resource: str
    fields: tuple[str, ...]
    keys: tuple[Key, ...]

    @property
    def daily(self) -> bool:
        return METRIC_DATE in self.keys

    def query(self, first: date | None = None, last: date | None = None) -> str:
        gaql = f"SELECT {', '.join(self.fields)} FROM {self.resource}"
        if first is not None and first == last and self.resource == "click_view":
            gaql += f" WHERE segments.date = '{first.isoformat()}'"  # the one form it accepts
        elif first is not None and last is not None:
            gaql += f" WHERE segments.date BETWEEN '{first.isoformat()}' AND '{last.isoformat()}'"
        return gaql


REPORTS = (
    Report(
        "customers",
        "customer",
        (
            "customer.id",
            "customer.descriptive_name",
            "customer.currency_code",
            "customer.time_zone",
        ),
        (CUSTOMER,),
    ),
    Report(
        "campaigns",
        "campaign",
        (
            "customer.id",
            "campaign.id",
            "campaign.name",
            "campaign.status",
            "campaign.advertising_channel_type",
        ),
        (CUSTOMER, CAMPAIGN),
    ),
    Report(
        "campaign_daily_metrics", "campaign", (*DAILY, *METRICS), (CUSTOMER, CAMPAIGN, METRIC_DATE)
    ),
    Report(
        "ad_group_daily_metrics",
        "ad_group",
        (*DAILY, "ad_group.id", "ad_group.name", "ad_group.status", *METRICS),
        (CUSTOMER, AD_GROUP, METRIC_DATE),
    ),
    Report(
        "ad_daily_metrics",
        "ad_group_ad",
        (
            *DAILY,
            "ad_group.id",
            "ad_group.name",
            "ad_group_ad.ad.id",
            "ad_group_ad.ad.name",
            "ad_group_ad.status",
            "ad_group_ad.ad.final_urls",
            *METRICS,
        ),
        (CUSTOMER, AD_GROUP, AD, METRIC_DATE),
    ),
    Report(
        "keyword_daily_metrics",
        "keyword_view",
        (
            *DAILY,
            "ad_group.id",
            "ad_group.name",
            "ad_group_criterion.criterion_id",
            "ad_group_criterion.keyword.text",
            "ad_group_criterion.keyword.match_type",
            "ad_group_criterion.quality_info.quality_score",
            *METRICS,
        ),
        (CUSTOMER, AD_GROUP, CRITERION, METRIC_DATE),
    ),
    Report(
        "search_term_daily_metrics",
        "search_term_view",
        (
            *DAILY,
            "ad_group.id",
            "ad_group.name",
            "search_term_view.search_term",
            "search_term_view.status",
            "segments.keyword.ad_group_criterion",
            "segments.keyword.info.text",
            "segments.keyword.info.match_type",
            *METRICS,
        ),
        (CUSTOMER, AD_GROUP, MATCHED_CRITERION, SEARCH_TERM, METRIC_DATE),
    ),
    Report(
        "landing_page_daily_metrics",
        "landing_page_view",
        (*DAILY, "ad_group.id", "landing_page_view.unexpanded_final_url", *METRICS),
        (CUSTOMER, AD_GROUP, LANDING_PAGE, METRIC_DATE),
    ),
)


CLICK_VIEWS = Report(
    "click_views",
    "click_view",
    (
        "customer.id",
        "click_view.gclid",
        "click_view.ad_group_ad",
        "click_view.keyword",
        "click_view.keyword_info.text",
        "click_view.keyword_info.match_type",
        "campaign.id",
        "ad_group.id",
        "segments.date",
        "segments.click_type",
        "segments.device",
        "metrics.clicks",
    ),
    (CUSTOMER, GCLID, CLICK_DATE),
)


def build_streams(settings: GoogleAdsSettings, *, sleep: Sleep = time.sleep) -> list[Stream]:
    """The raw_google_ads streams; they share one cached OAuth access token."""
    token = AccessToken()

    def client() -> GoogleAdsClient:
        return GoogleAdsClient(settings, token, sleep=sleep)

    # Merge, not replace_days: click_view serves only the last 90 days, so replacing the days
    # of an older backfill window would delete clicks that can never be read again.
    click_views = Stream(
        entity=CLICK_VIEWS.entity,
        key_columns={key.column: key.pg_type for key in CLICK_VIEWS.keys},
        load_mode=LoadMode.MERGE,
        fetch=functools.partial(fetch_click_views, client),
        lookback=timedelta(days=settings.lookback_days),
    )
    return [
        Stream(
            entity=report.entity,
            key_columns={key.column: key.pg_type for key in report.keys},
            load_mode=LoadMode.REPLACE_DAYS if report.daily else LoadMode.SNAPSHOT,
            fetch=functools.partial(fetch_report, client, report),
            day_column=METRIC_DATE.column if report.daily else None,
            lookback=timedelta(days=settings.lookback_days) if report.daily else timedelta(0),
        )
        for report in REPORTS
    ] + [click_views]


def fetch_report(
    client: Callable[[], GoogleAdsClient], report: Report, window: Window
) -> Iterator[RawRow]:
    """Every row of ``report`` for each client account (daily reports: the window's days)."""
    with client() as api:
        ranges: list[tuple[date | None, date | None]] = [(None, None)]
        if report.daily:  # an empty window reads nothing rather than all of history
            ranges = [*day_ranges(window.days(), api.settings.days_per_request)]
        for customer_id in api.customer_ids:
            for first, last in ranges:
                rows = 0
                for row in api.search_stream(customer_id, report.query(first, last)):
                    rows += 1
                    yield RawRow(tuple(key.read(row) for key in report.keys), row)
                span = f" {first}..{last}" if first else ""
                api.log.info(
                    "google_ads: %s customer %s%s: %d rows", report.entity, customer_id, span, rows
                )


def fetch_click_views(
    client: Callable[[], GoogleAdsClient], window: Window
) -> Iterator[RawRow | Skipped]:
    """Every click of the window's days Google still serves, per account, newest day first."""
    with client() as api:
        days = sorted(window.days(), reverse=True)
        for customer_id in api.customer_ids:
            rows = 0
            for asked, day in enumerate(days):
                try:
                    clicks = list(api.search_stream(customer_id, CLICK_VIEWS.query(day, day)))
                except SourceError as error:
                    if TOO_OLD not in str(error):
                        raise
                    api.log.info(
                        "google_ads: click_views customer %s: skipping %d days from %s back: "
                        "Google answered DATE_TOO_OLD (%s)",
                        customer_id,
                        len(days) - asked,
                        day,
                        CLICK_VIEW_SKIP,
                    )
                    yield Skipped(CLICK_VIEW_SKIP, len(days) - asked)
                    break
                rows += len(clicks)
                yield from (RawRow(tuple(k.read(r) for k in CLICK_VIEWS.keys), r) for r in clicks)
            api.log.info("google_ads: click_views customer %s: %d rows", customer_id, rows)
