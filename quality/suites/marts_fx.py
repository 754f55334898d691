"""Currency conversion checks on the marts, before publish.

Every fact with ``*_reporting`` amounts carries its lineage: ``fx_rate_to_reporting`` (the
rate every reporting amount is the amount times), ``fx_rate_date`` (the day that rate took
effect) and ``fx_rate_source`` (``salesforce`` or ``hubspot``, a deal's own CRM; ``ecb``;
``manual``; ``same_currency``). These rules hold that lineage to account, one code prefix per
fact: no amount goes unconverted (``-001``), every reporting amount is the amount times the
named rate (``-002``), an ECB rate is the one the ECB published, recomputed from ``raw_ecb``
(``-003``), an ECB rate is recent (``-004``, a warning), and a CRM rate is the CRM's own,
recomputed from its raw rates (``MART-FXDEAL-005``, ``-006``).

A query with a join gets ``{batch}`` from GX as a bare subquery: it needs its own alias there,
which PostgreSQL before 16 insists on.
"""

from __future__ import annotations

from dataclasses import dataclass

import great_expectations as gx

from quality.results import CRITICAL, WARNING
from quality.suites.rules import NUMBER, rows_check

ECB_RATES = "raw_ecb.reference_rates"


@dataclass(frozen=True)
class ConvertedFact:
    table: str
    prefix: str  # of its rule codes: one code, one table
    key: str  # the fact's key column, named in the offending rows
    day: str  # SQL: the day the fact is converted on
    amounts: tuple[str, ...]  # columns whose <name>_reporting is the converted amount


FACTS = {
    "fct_deals": ConvertedFact(
        "fct_deals",
        "MART-FXDEAL",
        "deal_key",
        "fx_conversion_date",
        ("amount", "list_amount"),
    ),
    "fct_quota_months": ConvertedFact(
        "fct_quota_months",
        "MART-FXQUOTA",
        "quota_month_key",
        "fx_conversion_date",
        ("quota_amount",),
    ),
    **{
        table: ConvertedFact(
            table, prefix, key, "spend_date", ("spend", "platform_conversion_value")
        )
        for table, prefix, key in (
            ("fct_ad_spend_daily", "MART-FXSPEND", "ad_spend_key"),
            ("fct_keyword_performance_daily", "MART-FXKW", "keyword_performance_key"),
            ("fct_search_term_performance_daily", "MART-FXST", "search_term_performance_key"),
        )
    },
}


def build_fx_suite(
    fact: ConvertedFact, max_rate_age_days: int | None = None
) -> gx.ExpectationSuite:
    """The lineage rules of ``fact``; the age limit is THINLINE_FX_MAX_RATE_AGE_DAYS unless
    given."""
    if max_rate_age_days is None:
        from thinline.settings import load_settings

        max_rate_age_days = load_settings().fx_max_rate_age_days
    missing = " or ".join(f"{amount} is not null" for amount in fact.amounts)
    wrong = " or ".join(
        f"{amount}_reporting is distinct from {amount} * fx_rate_to_reporting"
        for amount in fact.amounts
    )
    return gx.ExpectationSuite(
        name=f"marts.{fact.table}.fx",
        expectations=[
            rows_check(
                f"{fact.prefix}-001",
                CRITICAL,
                "every amount has a rate: a currency and day with none stops the publish",
                f"select currency_code, {fact.day} as rate_day, count(*) as facts "
                f"from {{batch}} where fx_rate_to_reporting is null and ({missing}) "
                "group by 1, 2 order by 2, 1",
            ),
            rows_check(
                f"{fact.prefix}-002",
                CRITICAL,
                "every reporting amount is the amount times fx_rate_to_reporting, exactly",
                f"select {fact.key}, currency_code, fx_rate_to_reporting, "
                f"{', '.join(f'{a}, {a}_reporting' for a in fact.amounts)} "
                f"from {{batch}} where fx_rate_to_reporting is not null and ({wrong}) "
                f"order by {fact.key}",
            ),
            rows_check(
                f"{fact.prefix}-004",
                WARNING,
                f"an ECB rate is at most {max_rate_age_days} days older than the day it converts "
                "(a day after the newest ECB rate in use counts as that day)",
                "select currency_code, fx_rate_source, rate_day, fx_rate_date, count(*) as facts "
                f"from (select currency_code, fx_rate_source, {fact.day} as rate_day, "
                "fx_rate_date, max(fx_rate_date) over () as newest "
                "from {batch} where fx_rate_source = 'ecb') as converted "
                f"where least(rate_day, newest) - fx_rate_date > {max_rate_age_days} "
                "group by 1, 2, 3, 4 order by 3, 1",
            ),
        ],
    )


def _units_per_euro(currency: str, day: str) -> str:
    """SQL (lateral): the ECB's newest rate of ``currency`` on or before ``day``; the euro is
    1 on the ECB's newest publishing day."""
    value = "record->>'OBS_VALUE'"
    return (
        f"select rate_date, ({value})::numeric as units from {ECB_RATES} "
        f"where currency_code = {currency} and rate_date <= {day} and {value} ~ '{NUMBER}' "
        f"union all select max(rate_date), 1 from {ECB_RATES} "
        f"where {currency} = 'EUR' and rate_date <= {day} having max(rate_date) is not null "
        "order by rate_date desc limit 1"
    )


def build_ecb_suite(fact: ConvertedFact) -> gx.ExpectationSuite:
    converted = (
        f"select distinct currency_code, reporting_currency_code, {fact.day} as rate_day, "
        "fx_rate_date, fx_rate_to_reporting from {batch} as fct_rows "
        "where fx_rate_source = 'ecb'"
    )
    return gx.ExpectationSuite(
        name=f"marts.{fact.table}.fx_ecb",
        expectations=[
            rows_check(
                f"{fact.prefix}-003",
                CRITICAL,
                "an ECB rate is the cross rate of the ECB's published rates on fx_rate_date, "
                "recomputed from raw_ecb",
                "select fct.currency_code, fct.rate_day, fct.fx_rate_date, "
                "fct.fx_rate_to_reporting, round(target.units / base.units, 10) as ecb_rate, "
                "least(base.rate_date, target.rate_date) as ecb_rate_date "
                f"from ({converted}) as fct "
                "left join lateral ("
                f"{_units_per_euro('fct.currency_code', 'fct.rate_day')}) as base on true "
                "left join lateral ("
                f"{_units_per_euro('fct.reporting_currency_code', 'fct.rate_day')}) as target "
                "on true where base.units is null or target.units is null "
                "or round(target.units / base.units, 10) <> fct.fx_rate_to_reporting "
                "or least(base.rate_date, target.rate_date) <> fct.fx_rate_date "
                "order by 2, 1",
            ),
        ],
    )


SALESFORCE_RATES = ("raw_salesforce.dated_conversion_rates", "raw_salesforce.currency_types")
HUBSPOT_RATES = ("raw_hubspot.exchange_rates",)
ALWAYS = "date '0001-01-01'"  # a rate in force on every day


def _salesforce_units(currency: str, day: str) -> str:
    """SQL (lateral): units of ``currency`` per corporate unit on ``day``, the dated range
    holding it, else the static CurrencyType rate; and the day that rate took effect."""
    start, upto = "(record->>'StartDate')::date", "nullif(record->>'NextStartDate', '')::date"
    return (
        f"select since, units from (select {start} as since, "
        "(record->>'ConversionRate')::numeric as units, 1 as pick "
        "from raw_salesforce.dated_conversion_rates "
        f"where not is_deleted and upper(record->>'IsoCode') = {currency} and {start} <= {day} "
        f"and ({upto} is null or {day} < {upto}) "
        f"union all select {ALWAYS}, (record->>'ConversionRate')::numeric, 2 "
        "from raw_salesforce.currency_types "
        f"where not is_deleted and upper(record->>'IsoCode') = {currency}) as rates "
        "order by pick limit 1"
    )


def _hubspot_units(currency: str, day: str) -> str:
    """SQL (lateral): units of ``currency`` per company-currency unit on ``day`` (1 / the rate
    in effect; the company currency is 1 since always), and the day that rate took effect."""
    effective = "(record->>'effectiveAt')::timestamptz"
    return (
        f"select since, units from (select ({effective} at time zone 'UTC')::date as since, "
        f"1 / (record->>'conversionRate')::numeric as units, {effective} as moment "
        "from raw_hubspot.exchange_rates where not is_deleted "
        f"and upper(record->>'fromCurrencyCode') = {currency} "
        f"and ({effective} at time zone 'UTC')::date <= {day} "
        f"union all select {ALWAYS}, 1, null from raw_hubspot.exchange_rates "
        f"where not is_deleted and upper(record->>'toCurrencyCode') = {currency}) as rates "
        "order by moment desc nulls last limit 1"
    )


def build_crm_suite(crm: str, fact: ConvertedFact) -> gx.ExpectationSuite:
    """An amount converted at its CRM's own rate (a deal, an owner's quota): the rate
    recomputed from the CRM's raw rates."""
    rule, units = {
        "salesforce": ("005", _salesforce_units),
        "hubspot": ("006", _hubspot_units),
    }[crm]
    rule = f"{fact.prefix}-{rule}"
    converted = (
        f"select {fact.key}, currency_code, reporting_currency_code, "
        f"{fact.day} as rate_day, fx_rate_date, fx_rate_to_reporting "
        f"from {{batch}} as fct_rows where fx_rate_source = '{crm}'"
    )
    crm_date = (
        f"coalesce(least(nullif(base.since, {ALWAYS}), nullif(target.since, {ALWAYS})), {ALWAYS})"
    )
    return gx.ExpectationSuite(
        name=f"marts.{fact.table}.fx_{crm}",
        expectations=[
            rows_check(
                rule,
                CRITICAL,
                f"an amount converted at {crm}'s own rate: the rate and its day recomputed from "
                f"raw_{crm}'s rates on the day it converts on",
                f"select fct.{fact.key}, fct.currency_code, fct.rate_day, fct.fx_rate_date, "
                f"fct.fx_rate_to_reporting, round(target.units / base.units, 10) as {crm}_rate, "
                f"{crm_date} as {crm}_rate_date from ({converted}) as fct "
                f"left join lateral ({units('fct.currency_code', 'fct.rate_day')}) as base "
                "on true left join lateral ("
                f"{units('fct.reporting_currency_code', 'fct.rate_day')}) as target on true "
                "where base.units is null or target.units is null "
                "or round(target.units / base.units, 10) <> fct.fx_rate_to_reporting "
                f"or {crm_date} <> fct.fx_rate_date order by 1",
            )
        ],
    )
