"""Suites for ``raw_google_ads``: searchStream result rows, lowerCamelCase, int64 as strings.

``click_views`` holds one row per click (``FROM click_view``), keyed by its ``gclid``.

Metric keys that are zero may be absent (treated as 0), so metric rules only judge values
that are present.
"""

from __future__ import annotations

from collections.abc import Callable

import great_expectations as gx
import great_expectations.expectations as gxe

from quality.results import CRITICAL, WARNING
from quality.suites.health import ADS, Health, column_day
from quality.suites.rules import (
    CURRENCY,
    INTEGER,
    LIVE,
    NUMBER,
    raw_table_expectations,
    rows_check,
)

SCHEMA = "raw_google_ads"
CAMPAIGN_STATUSES = ("ENABLED", "PAUSED", "REMOVED", "UNKNOWN", "UNSPECIFIED")
ID_SOURCES = {
    "customer_id": "record->'customer'->>'id'",
    "campaign_id": "record->'campaign'->>'id'",
    "ad_group_id": "record->'adGroup'->>'id'",
    "ad_id": "record->'adGroupAd'->'ad'->>'id'",
    "metric_date": "record->'segments'->>'date'",
    "gclid": "record->'clickView'->>'gclid'",
    "click_date": "record->'segments'->>'date'",
    "criterion_id": "record->'adGroupCriterion'->>'criterionId'",
    "search_term": "record->'searchTermView'->>'searchTerm'",
    "landing_page_url": "record->'landingPageView'->>'unexpandedFinalUrl'",
}
# the keyword a search term matched: its ad group criterion's resource name
MATCHED_CRITERION = "record->'segments'->'keyword'->>'adGroupCriterion'"
MATCH_TYPES = ("EXACT", "PHRASE", "BROAD")
# customers/<customer>/adGroupAds/<ad group>~<ad>: how a click names its ad
AD_GROUP_AD_NAME = "^customers/[0-9]+/adGroupAds/[0-9]+~[0-9]+$"


def field(resource: str, name: str) -> str:
    return f"record->'{resource}'->>'{name}'"


def build_suite(entity: str, expectations: list[gxe.Expectation]) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name=f"{SCHEMA}.{entity}", expectations=expectations)


def key_expectations(prefix: str, keys: dict[str, str]) -> list[gxe.Expectation]:
    return raw_table_expectations(prefix, keys, {key: ID_SOURCES[key] for key in keys})


def metric_expectations(prefix: str, keys: dict[str, str]) -> list[gxe.Expectation]:
    """The daily metric rules shared by campaign, ad group and ad grain."""
    key_list = ", ".join(keys)
    cost, clicks, impressions = (
        field("metrics", name) for name in ("costMicros", "clicks", "impressions")
    )
    conversions = [field("metrics", name) for name in ("conversions", "conversionsValue")]
    currency = field("customer", "currencyCode")
    return [
        rows_check(
            f"{prefix}-010",
            CRITICAL,
            "costMicros is an integer (money x 1,000,000)",
            f"select {key_list}, {cost} as cost_micros from {{batch}} "
            f"where {LIVE} and {cost} !~ '{INTEGER}'",
        ),
        rows_check(
            f"{prefix}-011",
            CRITICAL,
            "costMicros is >= 0",
            f"select {key_list}, {cost} as cost_micros from {{batch}} "
            f"where {LIVE} and case when {cost} ~ '{INTEGER}' then ({cost})::numeric end < 0",
        ),
        rows_check(
            f"{prefix}-012",
            CRITICAL,
            "impressions and clicks are integers >= 0",
            f"select {key_list}, {impressions} as impressions, {clicks} as clicks "
            f"from {{batch}} where {LIVE} "
            f"and ({impressions} !~ '^[0-9]+$' or {clicks} !~ '^[0-9]+$')",
        ),
        rows_check(
            f"{prefix}-013",
            WARNING,
            "clicks <= impressions",
            f"select {key_list}, {impressions} as impressions, {clicks} as clicks "
            f"from {{batch}} where {LIVE} "
            f"and case when {clicks} ~ '^[0-9]+$' and coalesce({impressions}, '0') ~ '^[0-9]+$' "
            f"then ({clicks})::numeric > coalesce({impressions}, '0')::numeric end",
        ),
        rows_check(
            f"{prefix}-014",
            CRITICAL,
            # One day of slack: segments.date is in the account time zone, ahead of UTC east.
            "metric_date is not in the future (one day of time-zone slack)",
            f"select {key_list} from {{batch}} "
            "where metric_date > (now() at time zone 'utc')::date + 1",
        ),
        rows_check(
            f"{prefix}-015",
            CRITICAL,
            "customer.currencyCode is a 3-letter code when present",
            f"select {key_list}, {currency} as currency_code from {{batch}} "
            f"where {LIVE} and {currency} !~ '{CURRENCY}'",
        ),
        rows_check(
            f"{prefix}-016",
            WARNING,
            "conversions and conversionsValue are numbers >= 0",
            f"select {key_list}, {conversions[0]} as conversions, "
            f"{conversions[1]} as conversions_value from {{batch}} where {LIVE} and ("
            + " or ".join(
                f"{value} !~ '{NUMBER}' or case when {value} ~ '{NUMBER}' "
                f"then ({value})::numeric < 0 end"
                for value in conversions
            )
            + ")",
        ),
    ]


def build_customers_suite() -> gx.ExpectationSuite:
    prefix, keys = "GADS-CUST", {"customer_id": "bigint"}
    return build_suite(
        "customers",
        [
            *key_expectations(prefix, keys),
            rows_check(
                f"{prefix}-010",
                CRITICAL,
                "currencyCode is present and a 3-letter code",
                f"select customer_id, {field('customer', 'currencyCode')} as currency_code "
                f"from {{batch}} where {LIVE} "
                f"and coalesce({field('customer', 'currencyCode')}, '') !~ '{CURRENCY}'",
            ),
            rows_check(
                f"{prefix}-011",
                WARNING,
                "timeZone is present",
                f"select customer_id from {{batch}} "
                f"where {LIVE} and coalesce({field('customer', 'timeZone')}, '') = ''",
            ),
        ],
    )


def build_campaigns_suite() -> gx.ExpectationSuite:
    prefix, keys = "GADS-CAMP", {"customer_id": "bigint", "campaign_id": "bigint"}
    statuses = ", ".join(f"'{status}'" for status in CAMPAIGN_STATUSES)
    return build_suite(
        "campaigns",
        [
            *key_expectations(prefix, keys),
            rows_check(
                f"{prefix}-010",
                WARNING,
                "campaign.status is a known status",
                f"select customer_id, campaign_id, {field('campaign', 'status')} as status "
                f"from {{batch}} where {LIVE} "
                f"and coalesce({field('campaign', 'status')}, '') not in ({statuses})",
            ),
        ],
    )


def build_daily_suite(
    entity: str, prefix: str, keys: dict[str, str], *extra: gxe.Expectation
) -> gx.ExpectationSuite:
    return build_suite(
        entity, [*key_expectations(prefix, keys), *metric_expectations(prefix, keys), *extra]
    )


def build_campaign_daily_metrics_suite() -> gx.ExpectationSuite:
    keys = {"customer_id": "bigint", "campaign_id": "bigint", "metric_date": "date"}
    return build_daily_suite("campaign_daily_metrics", "GADS-CAMPDAY", keys)


def build_ad_group_daily_metrics_suite() -> gx.ExpectationSuite:
    keys = {"customer_id": "bigint", "ad_group_id": "bigint", "metric_date": "date"}
    return build_daily_suite("ad_group_daily_metrics", "GADS-AGDAY", keys)


def build_ad_daily_metrics_suite() -> gx.ExpectationSuite:
    keys = {
        "customer_id": "bigint",
        "ad_group_id": "bigint",
        "ad_id": "bigint",
        "metric_date": "date",
    }
    return build_daily_suite("ad_daily_metrics", "GADS-ADDAY", keys)


def match_type_rule(rule: str, keys: dict[str, str], match_type: str) -> gxe.Expectation:
    known = ", ".join(f"'{name}'" for name in MATCH_TYPES)
    return rows_check(
        rule,
        WARNING,
        "the keyword's match type is EXACT, PHRASE or BROAD",
        f"select {', '.join(keys)}, {match_type} as match_type from {{batch}} "
        f"where {LIVE} and coalesce({match_type}, '') not in ({known})",
    )


def build_keyword_daily_metrics_suite() -> gx.ExpectationSuite:
    prefix = "GADS-KWDAY"
    keys = {
        "customer_id": "bigint",
        "ad_group_id": "bigint",
        "criterion_id": "bigint",
        "metric_date": "date",
    }
    text = "record->'adGroupCriterion'->'keyword'->>'text'"
    score = "record->'adGroupCriterion'->'qualityInfo'->>'qualityScore'"
    return build_daily_suite(
        "keyword_daily_metrics",
        prefix,
        keys,
        rows_check(
            f"{prefix}-017",
            WARNING,
            "the keyword's text is present",
            f"select {', '.join(keys)} from {{batch}} where {LIVE} and coalesce({text}, '') = ''",
        ),
        match_type_rule(
            f"{prefix}-018", keys, "record->'adGroupCriterion'->'keyword'->>'matchType'"
        ),
        rows_check(
            f"{prefix}-019",
            WARNING,
            "the quality score is 1-10 when Google gives one",
            f"select {', '.join(keys)}, {score} as quality_score from {{batch}} "
            f"where {LIVE} and {score} is not null and {score} !~ '^([1-9]|10)$'",
        ),
    )


def build_search_term_daily_metrics_suite() -> gx.ExpectationSuite:
    prefix = "GADS-STDAY"
    keys = {
        "customer_id": "bigint",
        "ad_group_id": "bigint",
        "criterion_id": "bigint",
        "search_term": "text",
        "metric_date": "date",
    }
    return build_suite(
        "search_term_daily_metrics",
        [
            *raw_table_expectations(
                prefix,
                keys,
                {
                    **{key: ID_SOURCES[key] for key in keys if key != "criterion_id"},
                    "criterion_id": f"split_part({MATCHED_CRITERION}, '~', 2)",
                },
            ),
            *metric_expectations(prefix, keys),
            match_type_rule(
                f"{prefix}-017",
                keys,
                "record->'segments'->'keyword'->'info'->>'matchType'",
            ),
        ],
    )


def build_landing_page_daily_metrics_suite() -> gx.ExpectationSuite:
    prefix = "GADS-LPDAY"
    keys = {
        "customer_id": "bigint",
        "ad_group_id": "bigint",
        "landing_page_url": "text",
        "metric_date": "date",
    }
    return build_daily_suite(
        "landing_page_daily_metrics",
        prefix,
        keys,
        rows_check(
            f"{prefix}-017",
            WARNING,
            "the final URL is an absolute http(s) URL",
            f"select {', '.join(keys)} from {{batch}} "
            f"where {LIVE} and landing_page_url !~* '^https?://[^/?#]+'",
        ),
    )


def build_click_views_suite() -> gx.ExpectationSuite:
    prefix = "GADS-CLICK"
    keys = {"customer_id": "bigint", "gclid": "text", "click_date": "date"}
    key_list = ", ".join(keys)
    ad_group_ad, clicks = field("clickView", "adGroupAd"), field("metrics", "clicks")
    ids = [field("campaign", "id"), field("adGroup", "id")]
    return build_suite(
        "click_views",
        [
            *key_expectations(prefix, keys),
            rows_check(
                f"{prefix}-010",
                CRITICAL,
                # One day of slack: segments.date is in the account time zone, ahead of UTC east.
                "click_date is not in the future (one day of time-zone slack)",
                f"select {key_list} from {{batch}} "
                "where click_date > (now() at time zone 'utc')::date + 1",
            ),
            rows_check(
                f"{prefix}-011",
                CRITICAL,
                "campaign.id and adGroup.id are present integers (the click's ad joins on them)",
                f"select {key_list}, {ids[0]} as campaign_id, {ids[1]} as ad_group_id "
                f"from {{batch}} where {LIVE} and ("
                + " or ".join(f"coalesce({value}, '') !~ '{INTEGER}'" for value in ids)
                + ")",
            ),
            rows_check(
                f"{prefix}-012",
                WARNING,
                "clickView.adGroupAd is an ad group ad resource name",
                f"select {key_list}, {ad_group_ad} as ad_group_ad from {{batch}} "
                f"where {LIVE} and coalesce({ad_group_ad}, '') !~ '{AD_GROUP_AD_NAME}'",
            ),
            rows_check(
                f"{prefix}-013",
                WARNING,
                "metrics.clicks is an integer >= 0 when present",
                f"select {key_list}, {clicks} as clicks from {{batch}} "
                f"where {LIVE} and {clicks} !~ '^[0-9]+$'",
            ),
        ],
    )


SUITES: dict[str, Callable[[], gx.ExpectationSuite]] = {
    f"{SCHEMA}.customers": build_customers_suite,
    f"{SCHEMA}.campaigns": build_campaigns_suite,
    f"{SCHEMA}.campaign_daily_metrics": build_campaign_daily_metrics_suite,
    f"{SCHEMA}.ad_group_daily_metrics": build_ad_group_daily_metrics_suite,
    f"{SCHEMA}.ad_daily_metrics": build_ad_daily_metrics_suite,
    f"{SCHEMA}.keyword_daily_metrics": build_keyword_daily_metrics_suite,
    f"{SCHEMA}.search_term_daily_metrics": build_search_term_daily_metrics_suite,
    f"{SCHEMA}.landing_page_daily_metrics": build_landing_page_daily_metrics_suite,
    f"{SCHEMA}.click_views": build_click_views_suite,
}

# the health rules quality/suites/health.py adds to each table's suite
HEALTH: dict[str, Health] = {
    "raw_google_ads.customers": Health("GADS-CUST"),
    "raw_google_ads.campaigns": Health("GADS-CAMP"),
    "raw_google_ads.campaign_daily_metrics": Health(
        "GADS-CAMPDAY", column_day("metric_date"), ADS, CRITICAL
    ),
    "raw_google_ads.ad_group_daily_metrics": Health(
        "GADS-AGDAY", column_day("metric_date"), ADS, CRITICAL
    ),
    "raw_google_ads.ad_daily_metrics": Health(
        "GADS-ADDAY", column_day("metric_date"), ADS, CRITICAL
    ),
    "raw_google_ads.keyword_daily_metrics": Health(
        "GADS-KWDAY", column_day("metric_date"), ADS, CRITICAL
    ),
    "raw_google_ads.search_term_daily_metrics": Health(
        "GADS-STDAY", column_day("metric_date"), ADS, CRITICAL
    ),
    "raw_google_ads.landing_page_daily_metrics": Health(
        "GADS-LPDAY", column_day("metric_date"), ADS, CRITICAL
    ),
    "raw_google_ads.click_views": Health("GADS-CLICK", column_day("click_date"), ADS, CRITICAL),
}
