"""Suites for ``raw_microsoft_ads``: Campaign Management objects (JSON: campaigns, ad groups,
ads) and the rows of four daily reports (CSV), every report value a string as Microsoft wrote
it.

``Spend`` is a decimal string in the account's ``CurrencyCode``; ``TimePeriod`` the day.
"""

from __future__ import annotations

from collections.abc import Callable

import great_expectations as gx
import great_expectations.expectations as gxe

from quality.results import CRITICAL, WARNING
from quality.suites.health import ADS, Health, column_day
from quality.suites.rules import CURRENCY, LIVE, NUMBER, raw_table_expectations, rows_check

SCHEMA = "raw_microsoft_ads"
CAMPAIGN_STATUSES = ("Active", "Paused", "BudgetPaused", "BudgetAndManualPaused", "Suspended")
MATCH_TYPES = ("Exact", "Phrase", "Broad")
AD_GROUP_STATUSES = ("Active", "Paused", "Expired", "Deleted")
AD_STATUSES = ("Inactive", "Active", "Paused", "Deleted")
COUNT = "^[0-9]+$"
ID_SOURCES = {
    "account_id": "record->>'AccountId'",
    "campaign_id": "record->>'CampaignId'",
    "ad_group_id": "record->>'AdGroupId'",
    "keyword_id": "record->>'KeywordId'",
    "ad_id": "record->>'AdId'",
    "search_query": "record->>'SearchQuery'",
    "delivered_match_type": "record->>'DeliveredMatchType'",
    "report_date": "record->>'TimePeriod'",
}
REPORT_KEYS = {
    "campaign_daily_performance": ("MSADS-CAMPDAY", ["campaign_id"]),
    "keyword_daily_performance": ("MSADS-KWDAY", ["ad_group_id", "keyword_id"]),
    "search_query_daily_performance": (
        "MSADS-SQDAY",
        ["ad_group_id", "keyword_id", "search_query", "delivered_match_type"],
    ),
    "ad_daily_performance": ("MSADS-ADDAY", ["ad_id"]),
}
KEY_TYPES = {"search_query": "text", "delivered_match_type": "text", "report_date": "date"}


def field(name: str) -> str:
    return f"record->>'{name}'"


def build_suite(entity: str, expectations: list[gxe.Expectation]) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name=f"{SCHEMA}.{entity}", expectations=expectations)


def build_campaigns_suite() -> gx.ExpectationSuite:
    prefix, keys = "MSADS-CAMP", {"account_id": "bigint", "campaign_id": "bigint"}
    sources = {"account_id": field("AccountId"), "campaign_id": field("Id")}
    statuses = ", ".join(f"'{status}'" for status in CAMPAIGN_STATUSES)
    currency = field("CurrencyCode")
    return build_suite(
        "campaigns",
        [
            *raw_table_expectations(prefix, keys, sources),
            rows_check(
                f"{prefix}-010",
                WARNING,
                "Status is a known campaign status",
                f"select account_id, campaign_id, {field('Status')} as status from {{batch}} "
                f"where {LIVE} and coalesce({field('Status')}, '') not in ({statuses})",
            ),
            rows_check(
                f"{prefix}-011",
                CRITICAL,
                "CurrencyCode (the account's) is present and a 3-letter code",
                f"select account_id, campaign_id, {currency} as currency from {{batch}} "
                f"where {LIVE} and coalesce({currency}, '') !~ '{CURRENCY}'",
            ),
        ],
    )


def _known(name: str, values: tuple[str, ...]) -> str:
    """SQL: the record's ``name`` is not one of ``values``."""
    listed = ", ".join(f"'{value}'" for value in values)
    return f"coalesce({field(name)}, '') not in ({listed})"


def build_ad_groups_suite() -> gx.ExpectationSuite:
    prefix, keys = "MSADS-ADGROUP", {"account_id": "bigint", "ad_group_id": "bigint"}
    sources = {"account_id": field("AccountId"), "ad_group_id": field("Id")}
    return build_suite(
        "ad_groups",
        [
            *raw_table_expectations(prefix, keys, sources),
            rows_check(
                f"{prefix}-010",
                WARNING,
                "Status is a known ad group status",
                f"select account_id, ad_group_id, {field('Status')} as status from {{batch}} "
                f"where {LIVE} and {_known('Status', AD_GROUP_STATUSES)}",
            ),
            rows_check(
                f"{prefix}-011",
                CRITICAL,
                "CampaignId (added by the extract) is present and an integer",
                f"select account_id, ad_group_id, {field('CampaignId')} as campaign_id "
                f"from {{batch}} where {LIVE} and coalesce({field('CampaignId')}, '') !~ '{COUNT}'",
            ),
        ],
    )


def build_ads_suite() -> gx.ExpectationSuite:
    prefix, keys = "MSADS-AD", {"account_id": "bigint", "ad_id": "bigint"}
    sources = {"account_id": field("AccountId"), "ad_id": field("Id")}
    first_url = "record->'FinalUrls'->>0"
    return build_suite(
        "ads",
        [
            *raw_table_expectations(prefix, keys, sources),
            rows_check(
                f"{prefix}-010",
                WARNING,
                "Status is a known ad status",
                f"select account_id, ad_id, {field('Status')} as status from {{batch}} "
                f"where {LIVE} and {_known('Status', AD_STATUSES)}",
            ),
            rows_check(
                f"{prefix}-011",
                CRITICAL,
                "CampaignId and AdGroupId (added by the extract) are present and integers",
                f"select account_id, ad_id, {field('CampaignId')} as campaign_id, "
                f"{field('AdGroupId')} as ad_group_id from {{batch}} where {LIVE} and "
                f"(coalesce({field('CampaignId')}, '') !~ '{COUNT}' "
                f"or coalesce({field('AdGroupId')}, '') !~ '{COUNT}')",
            ),
            rows_check(
                f"{prefix}-012",
                WARNING,
                "the first of FinalUrls is an http(s) URL (the landing page dim_ads shows)",
                f"select account_id, ad_id, {first_url} as final_url from {{batch}} "
                f"where {LIVE} and coalesce({first_url}, '') !~ '^https?://'",
            ),
        ],
    )


def report_expectations(entity: str) -> list[gxe.Expectation]:
    """What every daily report table gets: its keys and the money and counts of a row."""
    prefix, extra = REPORT_KEYS[entity]
    keys = {
        "account_id": "bigint",
        **{key: KEY_TYPES.get(key, "bigint") for key in extra},
        "report_date": "date",
    }
    key_list = ", ".join(keys)
    spend, impressions, clicks = field("Spend"), field("Impressions"), field("Clicks")
    conversions, currency = field("Conversions"), field("CurrencyCode")
    return [
        *raw_table_expectations(prefix, keys, {key: ID_SOURCES[key] for key in keys}),
        rows_check(
            f"{prefix}-010",
            CRITICAL,
            "Spend is a decimal number >= 0 (a string, in the account currency)",
            f"select {key_list}, {spend} as spend from {{batch}} where {LIVE} and "
            f"(coalesce({spend}, '') !~ '{NUMBER}' "
            f"or case when {spend} ~ '{NUMBER}' then ({spend})::numeric end < 0)",
        ),
        rows_check(
            f"{prefix}-011",
            CRITICAL,
            "Impressions and Clicks are integers >= 0",
            f"select {key_list}, {impressions} as impressions, {clicks} as clicks "
            f"from {{batch}} where {LIVE} "
            f"and (coalesce({impressions}, '') !~ '{COUNT}' "
            f"or coalesce({clicks}, '') !~ '{COUNT}')",
        ),
        rows_check(
            f"{prefix}-012",
            WARNING,
            "Clicks <= Impressions",
            f"select {key_list}, {impressions} as impressions, {clicks} as clicks "
            f"from {{batch}} where {LIVE} "
            f"and case when {clicks} ~ '{COUNT}' and {impressions} ~ '{COUNT}' "
            f"then ({clicks})::numeric > ({impressions})::numeric end",
        ),
        rows_check(
            f"{prefix}-013",
            CRITICAL,
            # One day of slack: TimePeriod is in the account time zone, ahead of UTC east.
            "report_date is not in the future (one day of time-zone slack)",
            f"select {key_list} from {{batch}} "
            "where report_date > (now() at time zone 'utc')::date + 1",
        ),
        rows_check(
            f"{prefix}-014",
            CRITICAL,
            "CurrencyCode is present and a 3-letter code",
            f"select {key_list}, {currency} as currency from {{batch}} "
            f"where {LIVE} and coalesce({currency}, '') !~ '{CURRENCY}'",
        ),
        rows_check(
            f"{prefix}-015",
            WARNING,
            "Conversions is a number >= 0",
            f"select {key_list}, {conversions} as conversions from {{batch}} where {LIVE} and "
            f"(coalesce({conversions}, '') !~ '{NUMBER}' "
            f"or case when {conversions} ~ '{NUMBER}' then ({conversions})::numeric end < 0)",
        ),
    ]


def build_campaign_daily_suite() -> gx.ExpectationSuite:
    entity = "campaign_daily_performance"
    return build_suite(entity, report_expectations(entity))


def build_keyword_daily_suite() -> gx.ExpectationSuite:
    entity = "keyword_daily_performance"
    key_list = "account_id, ad_group_id, keyword_id, report_date"
    score, match = field("QualityScore"), field("BidMatchType")
    match_types = ", ".join(f"'{kind}'" for kind in MATCH_TYPES)
    return build_suite(
        entity,
        [
            *report_expectations(entity),
            rows_check(
                "MSADS-KWDAY-016",
                WARNING,
                "QualityScore is empty or an integer from 1 to 10",
                f"select {key_list}, {score} as quality_score from {{batch}} where {LIVE} "
                f"and coalesce({score}, '') <> '' and ({score} !~ '{COUNT}' "
                f"or case when {score} ~ '{COUNT}' then ({score})::int not between 1 and 10 end)",
            ),
            rows_check(
                "MSADS-KWDAY-017",
                WARNING,
                "BidMatchType is Exact, Phrase or Broad",
                f"select {key_list}, {match} as match_type from {{batch}} "
                f"where {LIVE} and coalesce({match}, '') not in ({match_types})",
            ),
        ],
    )


def build_search_query_daily_suite() -> gx.ExpectationSuite:
    entity = "search_query_daily_performance"
    return build_suite(entity, report_expectations(entity))


def build_ad_daily_suite() -> gx.ExpectationSuite:
    entity = "ad_daily_performance"
    return build_suite(entity, report_expectations(entity))


SUITES: dict[str, Callable[[], gx.ExpectationSuite]] = {
    f"{SCHEMA}.campaigns": build_campaigns_suite,
    f"{SCHEMA}.ad_groups": build_ad_groups_suite,
    f"{SCHEMA}.ads": build_ads_suite,
    f"{SCHEMA}.campaign_daily_performance": build_campaign_daily_suite,
    f"{SCHEMA}.keyword_daily_performance": build_keyword_daily_suite,
    f"{SCHEMA}.search_query_daily_performance": build_search_query_daily_suite,
    f"{SCHEMA}.ad_daily_performance": build_ad_daily_suite,
}

# the health rules quality/suites/health.py adds to each table's suite
HEALTH: dict[str, Health] = {
    f"{SCHEMA}.campaigns": Health("MSADS-CAMP"),
    f"{SCHEMA}.ad_groups": Health("MSADS-ADGROUP"),
    f"{SCHEMA}.ads": Health("MSADS-AD"),
    **{
        f"{SCHEMA}.{entity}": Health(prefix, column_day("report_date"), ADS, CRITICAL)
        for entity, (prefix, _) in REPORT_KEYS.items()
    },
}
