"""Suites for ``raw_linkedin_ads``: LinkedIn Marketing API objects and adAnalytics elements.

Ids in records are URNs (``urn:li:sponsoredCreative:123``) except campaign and account ``id``s
(numbers). Analytics counts are JSON numbers, costs decimal strings; the connector adds
``accountId``, ``accountCurrency``, ``campaignGroupId``, ``campaignId`` and ``creativeId``.
"""

from __future__ import annotations

from collections.abc import Callable

import great_expectations as gx
import great_expectations.expectations as gxe

from quality.results import CRITICAL, WARNING
from quality.suites.health import ADS, Health, column_day
from quality.suites.rules import CURRENCY, LIVE, NUMBER, raw_table_expectations, rows_check

SCHEMA = "raw_linkedin_ads"
CAMPAIGN_STATUSES = (
    "ACTIVE",
    "PAUSED",
    "ARCHIVED",
    "COMPLETED",
    "CANCELED",
    "DRAFT",
    "PENDING_DELETION",
    "REMOVED",
)
CREATIVE_STATUSES = (
    "ACTIVE",
    "PAUSED",
    "DRAFT",
    "ARCHIVED",
    "CANCELED",
    "PENDING_DELETION",
    "REMOVED",
)
COUNT = "^[0-9]+$"


def urn_id(path: str) -> str:
    """SQL: the id after the last ``:`` of a URN (``urn:li:sponsoredAccount:123`` → ``123``)."""
    return f"split_part({path}, ':', 4)"


def start_day(part: str) -> str:
    return f"record->'dateRange'->'start'->>'{part}'"


# 'YYYY-MM-DD' from dateRange.start without casting (a bad value fails 006, not the query).
START_DATE = (
    f"{start_day('year')} || '-' || lpad({start_day('month')}, 2, '0') || '-' "
    f"|| lpad({start_day('day')}, 2, '0')"
)


def build_suite(entity: str, expectations: list[gxe.Expectation]) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name=f"{SCHEMA}.{entity}", expectations=expectations)


def known(field: str, values: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{value}'" for value in values)
    return f"coalesce(record->>'{field}', '') not in ({listed})"


def build_ad_accounts_suite() -> gx.ExpectationSuite:
    prefix = "LI-ACCOUNT"
    keys = {"account_id": "bigint"}
    return build_suite(
        "ad_accounts",
        [
            *raw_table_expectations(prefix, keys, {"account_id": "record->>'id'"}),
            rows_check(
                f"{prefix}-010",
                CRITICAL,
                "currency is present and a 3-letter code",
                "select account_id, record->>'currency' as currency_code from {batch} "
                f"where {LIVE} and coalesce(record->>'currency', '') !~ '{CURRENCY}'",
            ),
        ],
    )


def build_campaigns_suite() -> gx.ExpectationSuite:
    prefix = "LI-CAMPAIGN"
    keys = {"account_id": "bigint", "campaign_id": "bigint"}
    sources = {"account_id": urn_id("record->>'account'"), "campaign_id": "record->>'id'"}
    return build_suite(
        "campaigns",
        [
            *raw_table_expectations(prefix, keys, sources),
            rows_check(
                f"{prefix}-010",
                WARNING,
                "status is a known campaign status",
                "select account_id, campaign_id, record->>'status' as status from {batch} "
                f"where {known('status', CAMPAIGN_STATUSES)}",
            ),
        ],
    )


def build_creatives_suite() -> gx.ExpectationSuite:
    prefix = "LI-CREATIVE"
    keys = {"account_id": "bigint", "creative_id": "bigint"}
    sources = {"account_id": urn_id("record->>'account'"), "creative_id": urn_id("record->>'id'")}
    return build_suite(
        "creatives",
        [
            *raw_table_expectations(prefix, keys, sources),
            rows_check(
                f"{prefix}-010",
                WARNING,
                "intendedStatus is a known creative status",
                "select account_id, creative_id, record->>'intendedStatus' as intended_status "
                f"from {{batch}} where {known('intendedStatus', CREATIVE_STATUSES)}",
            ),
        ],
    )


def build_creative_daily_analytics_suite() -> gx.ExpectationSuite:
    prefix = "LI-CRDAY"
    keys = {"account_id": "bigint", "creative_id": "bigint", "analytics_date": "date"}
    sources = {
        "account_id": "record->>'accountId'",
        "creative_id": urn_id("record->'pivotValues'->>0"),
        "analytics_date": START_DATE,
    }
    key_list = ", ".join(keys)
    local, usd = "record->>'costInLocalCurrency'", "record->>'costInUsd'"
    impressions, clicks = "record->>'impressions'", "record->>'clicks'"
    conversions, leads = "record->>'externalWebsiteConversions'", "record->>'oneClickLeads'"

    def negative(value: str) -> str:
        return f"case when {value} ~ '{NUMBER}' then ({value})::numeric < 0 end"

    return build_suite(
        "creative_daily_analytics",
        [
            *raw_table_expectations(prefix, keys, sources),
            rows_check(
                f"{prefix}-010",
                CRITICAL,
                "costInLocalCurrency is present and a decimal number",
                f"select {key_list}, {local} as cost from {{batch}} "
                f"where {LIVE} and coalesce({local}, '') !~ '{NUMBER}'",
            ),
            rows_check(
                f"{prefix}-011",
                CRITICAL,
                "costInLocalCurrency and costInUsd are >= 0",
                f"select {key_list}, {local} as cost, {usd} as cost_usd from {{batch}} "
                f"where {LIVE} and ({negative(local)} or {negative(usd)})",
            ),
            rows_check(
                f"{prefix}-012",
                CRITICAL,
                "impressions and clicks are integers >= 0 when present",
                f"select {key_list}, {impressions} as impressions, {clicks} as clicks "
                f"from {{batch}} where {LIVE} "
                f"and ({impressions} !~ '{COUNT}' or {clicks} !~ '{COUNT}')",
            ),
            rows_check(
                f"{prefix}-013",
                WARNING,
                "clicks <= impressions",
                f"select {key_list}, {impressions} as impressions, {clicks} as clicks "
                f"from {{batch}} where {LIVE} "
                f"and case when {clicks} ~ '{COUNT}' and coalesce({impressions}, '0') ~ '{COUNT}' "
                f"then ({clicks})::numeric > coalesce({impressions}, '0')::numeric end",
            ),
            rows_check(
                f"{prefix}-014",
                CRITICAL,
                "analytics_date is not in the future (one day of time-zone slack)",
                f"select {key_list} from {{batch}} "
                "where analytics_date > (now() at time zone 'utc')::date + 1",
            ),
            rows_check(
                f"{prefix}-015",
                CRITICAL,
                "accountCurrency is present and a 3-letter code",
                f"select {key_list}, record->>'accountCurrency' as currency_code from {{batch}} "
                f"where {LIVE} and coalesce(record->>'accountCurrency', '') !~ '{CURRENCY}'",
            ),
            rows_check(
                f"{prefix}-016",
                WARNING,
                "externalWebsiteConversions and oneClickLeads are integers >= 0 when present",
                f"select {key_list}, {conversions} as conversions, {leads} as leads "
                f"from {{batch}} where {LIVE} "
                f"and ({conversions} !~ '{COUNT}' or {leads} !~ '{COUNT}')",
            ),
            rows_check(
                f"{prefix}-017",
                CRITICAL,
                "a DAILY element covers one day (dateRange end = start)",
                f"select {key_list}, record->'dateRange' as date_range from {{batch}} "
                "where record->'dateRange'->'end' is distinct from record->'dateRange'->'start'",
            ),
        ],
    )


SUITES: dict[str, Callable[[], gx.ExpectationSuite]] = {
    f"{SCHEMA}.ad_accounts": build_ad_accounts_suite,
    f"{SCHEMA}.campaigns": build_campaigns_suite,
    f"{SCHEMA}.creatives": build_creatives_suite,
    f"{SCHEMA}.creative_daily_analytics": build_creative_daily_analytics_suite,
}

# the health rules quality/suites/health.py adds to each table's suite
HEALTH: dict[str, Health] = {
    "raw_linkedin_ads.ad_accounts": Health("LI-ACCOUNT"),
    "raw_linkedin_ads.campaigns": Health("LI-CAMPAIGN"),
    "raw_linkedin_ads.creatives": Health("LI-CREATIVE"),
    "raw_linkedin_ads.creative_daily_analytics": Health(
        "LI-CRDAY", column_day("analytics_date"), ADS, CRITICAL
    ),
}
