"""Suites for ``raw_meta_ads``: Graph API objects and ads insights rows, every metric a string.

``spend`` is a decimal string in ``account_currency``; ``actions`` / ``action_values`` are
arrays of ``{action_type, value}`` and absent when there are none.
"""

from __future__ import annotations

from collections.abc import Callable

import great_expectations as gx
import great_expectations.expectations as gxe

from quality.results import CRITICAL, WARNING
from quality.suites.health import ADS, Health, column_day
from quality.suites.rules import CURRENCY, LIVE, NUMBER, raw_table_expectations, rows_check

SCHEMA = "raw_meta_ads"
CAMPAIGN_STATUSES = ("ACTIVE", "PAUSED", "ARCHIVED", "DELETED", "IN_PROCESS", "WITH_ISSUES")
HTTP_URL = "^https?://[^[:space:]]+$"
# key=value pairs joined by & (values may hold Meta's {{macros}}); no leading ? or fragment
QUERY = "^[^?#&=[:space:]]+=[^&#[:space:]]*(&[^&#=[:space:]]+=[^&#[:space:]]*)*$"
COUNT = "^[0-9]+$"
ACTION_ARRAYS = ("actions", "action_values")
ID_SOURCES = {
    "account_id": "record->>'account_id'",
    "campaign_id": "record->>'id'",
    "ad_id": "record->>'ad_id'",
    "insight_date": "record->>'date_start'",
}


def field(name: str) -> str:
    return f"record->>'{name}'"


def build_suite(entity: str, expectations: list[gxe.Expectation]) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name=f"{SCHEMA}.{entity}", expectations=expectations)


def build_ad_accounts_suite() -> gx.ExpectationSuite:
    prefix, keys = "MADS-ACCT", {"account_id": "bigint"}
    account_id = "regexp_replace(record->>'id', '^act_', '')"  # the object id is act_<id>
    return build_suite(
        "ad_accounts",
        [
            *raw_table_expectations(prefix, keys, {"account_id": account_id}),
            rows_check(
                f"{prefix}-010",
                CRITICAL,
                "currency is present and a 3-letter code",
                f"select account_id, {field('currency')} as currency from {{batch}} "
                f"where {LIVE} and coalesce({field('currency')}, '') !~ '{CURRENCY}'",
            ),
            rows_check(
                f"{prefix}-011",
                WARNING,
                "timezone_name is present",
                f"select account_id from {{batch}} "
                f"where {LIVE} and coalesce({field('timezone_name')}, '') = ''",
            ),
        ],
    )


def build_campaigns_suite() -> gx.ExpectationSuite:
    prefix, keys = "MADS-CAMP", {"account_id": "bigint", "campaign_id": "bigint"}
    statuses = ", ".join(f"'{status}'" for status in CAMPAIGN_STATUSES)
    return build_suite(
        "campaigns",
        [
            *raw_table_expectations(prefix, keys, {key: ID_SOURCES[key] for key in keys}),
            rows_check(
                f"{prefix}-010",
                WARNING,
                "status is a known campaign status",
                f"select account_id, campaign_id, {field('status')} as status from {{batch}} "
                f"where {LIVE} and coalesce({field('status')}, '') not in ({statuses})",
            ),
        ],
    )


def build_ads_suite() -> gx.ExpectationSuite:
    prefix, keys = "MADS-AD", {"account_id": "bigint", "ad_id": "bigint"}
    statuses = ", ".join(f"'{status}'" for status in CAMPAIGN_STATUSES)
    link = "record->'creative'->'object_story_spec'->'link_data'->>'link'"
    tags = "record->'creative'->>'url_tags'"
    return build_suite(
        "ads",
        [
            *raw_table_expectations(
                prefix, keys, {"account_id": ID_SOURCES["account_id"], "ad_id": "record->>'id'"}
            ),
            rows_check(
                f"{prefix}-010",
                WARNING,
                "status is a known ad status",
                f"select account_id, ad_id, {field('status')} as status from {{batch}} "
                f"where {LIVE} and coalesce({field('status')}, '') not in ({statuses})",
            ),
            rows_check(
                f"{prefix}-011",
                WARNING,
                "the creative's link, when present, is an absolute http(s) URL",
                f"select account_id, ad_id, {link} as link from {{batch}} "
                f"where {LIVE} and {link} !~ '{HTTP_URL}'",
            ),
            rows_check(
                f"{prefix}-012",
                WARNING,
                "the creative's url_tags, when present, are key=value pairs joined by &",
                f"select account_id, ad_id, {tags} as url_tags from {{batch}} "
                f"where {LIVE} and {tags} <> '' and {tags} !~ '{QUERY}'",
            ),
        ],
    )


def build_ad_daily_insights_suite() -> gx.ExpectationSuite:
    prefix = "MADS-ADDAY"
    keys = {"account_id": "bigint", "ad_id": "bigint", "insight_date": "date"}
    key_list = ", ".join(keys)
    spend, impressions, clicks = field("spend"), field("impressions"), field("clicks")
    currency = field("account_currency")
    return build_suite(
        "ad_daily_insights",
        [
            *raw_table_expectations(prefix, keys, {key: ID_SOURCES[key] for key in keys}),
            rows_check(
                f"{prefix}-010",
                CRITICAL,
                "spend is a decimal number (a string, in account currency)",
                f"select {key_list}, {spend} as spend from {{batch}} "
                f"where {LIVE} and coalesce({spend}, '') !~ '{NUMBER}'",
            ),
            rows_check(
                f"{prefix}-011",
                CRITICAL,
                "spend is >= 0",
                f"select {key_list}, {spend} as spend from {{batch}} "
                f"where {LIVE} and case when {spend} ~ '{NUMBER}' then ({spend})::numeric end < 0",
            ),
            rows_check(
                f"{prefix}-012",
                CRITICAL,
                "impressions and clicks are integers >= 0",
                f"select {key_list}, {impressions} as impressions, {clicks} as clicks "
                f"from {{batch}} where {LIVE} "
                f"and (coalesce({impressions}, '') !~ '{COUNT}' or {clicks} !~ '{COUNT}')",
            ),
            rows_check(
                f"{prefix}-013",
                WARNING,
                "clicks <= impressions",
                f"select {key_list}, {impressions} as impressions, {clicks} as clicks "
                f"from {{batch}} where {LIVE} "
                f"and case when {clicks} ~ '{COUNT}' and {impressions} ~ '{COUNT}' "
                f"then ({clicks})::numeric > ({impressions})::numeric end",
            ),
            rows_check(
                f"{prefix}-014",
                CRITICAL,
                # One day of slack: date_start is in the account time zone, ahead of UTC east.
                "insight_date is not in the future (one day of time-zone slack)",
                f"select {key_list} from {{batch}} "
                "where insight_date > (now() at time zone 'utc')::date + 1",
            ),
            rows_check(
                f"{prefix}-015",
                CRITICAL,
                "account_currency is present and a 3-letter code",
                f"select {key_list}, {currency} as account_currency from {{batch}} "
                f"where {LIVE} and coalesce({currency}, '') !~ '{CURRENCY}'",
            ),
            rows_check(
                f"{prefix}-016",
                CRITICAL,
                "the row covers one day (date_stop = date_start)",
                f"select {key_list}, {field('date_stop')} as date_stop from {{batch}} "
                f"where {LIVE} and {field('date_stop')} is distinct from {field('date_start')}",
            ),
            rows_check(
                f"{prefix}-017",
                WARNING,
                "actions and action_values are arrays of objects with action_type and a number",
                f"select {key_list}, record->'actions' as actions, "
                f"record->'action_values' as action_values from {{batch}} where {LIVE} and ("
                + " or ".join(
                    f"coalesce(jsonb_typeof(record->'{kind}'), 'null') not in ('array', 'null')"
                    for kind in ACTION_ARRAYS
                )
                + " or exists (select 1 from jsonb_array_elements("
                + " || ".join(
                    f"case when jsonb_typeof(record->'{kind}') = 'array' "
                    f"then record->'{kind}' else '[]'::jsonb end"
                    for kind in ACTION_ARRAYS
                )
                + ") as element where coalesce(element->>'action_type', '') = '' "
                f"or coalesce(element->>'value', '') !~ '{NUMBER}'))",
            ),
        ],
    )


SUITES: dict[str, Callable[[], gx.ExpectationSuite]] = {
    f"{SCHEMA}.ad_accounts": build_ad_accounts_suite,
    f"{SCHEMA}.campaigns": build_campaigns_suite,
    f"{SCHEMA}.ads": build_ads_suite,
    f"{SCHEMA}.ad_daily_insights": build_ad_daily_insights_suite,
}

# the health rules quality/suites/health.py adds to each table's suite
HEALTH: dict[str, Health] = {
    "raw_meta_ads.ad_accounts": Health("MADS-ACCT"),
    "raw_meta_ads.campaigns": Health("MADS-CAMP"),
    "raw_meta_ads.ads": Health("MADS-AD"),
    "raw_meta_ads.ad_daily_insights": Health(
        "MADS-ADDAY", column_day("insight_date"), ADS, CRITICAL
    ),
}
