"""Currency conversion checks on the marts, before publish (rule codes ``MART-FX-*``).

Every fact with ``*_reporting`` amounts carries its lineage: ``fx_rate_to_reporting`` (the
rate every reporting amount is the amount times), ``fx_rate_date`` (the day it was published
for) and ``fx_rate_source`` (``ecb``, ``manual`` or ``same_currency``). These rules hold that
lineage to account: no amount goes unconverted, every reporting amount is the amount times
the named rate, and an ECB rate is the one the ECB published, recomputed from ``raw_ecb``.
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
    key: str  # the fact's key column, named in the offending rows
    day: str  # SQL: the day the fact is converted on
    amounts: tuple[str, ...]  # columns whose <name>_reporting is the converted amount


FACTS = {
    "fct_deals": ConvertedFact(
        "fct_deals", "deal_key", "coalesce(close_date, created_date)", ("amount", "list_amount")
    ),
    **{
        table: ConvertedFact(table, key, "spend_date", ("spend", "platform_conversion_value"))
        for table, key in (
            ("fct_ad_spend_daily", "ad_spend_key"),
            ("fct_keyword_performance_daily", "keyword_performance_key"),
            ("fct_search_term_performance_daily", "search_term_performance_key"),
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
                "MART-FX-001",
                CRITICAL,
                "every amount has a rate: a currency and day with none stops the publish",
                f"select currency_code, {fact.day} as rate_day, count(*) as facts "
                f"from {{batch}} where fx_rate_to_reporting is null and ({missing}) "
                "group by 1, 2 order by 2, 1",
            ),
            rows_check(
                "MART-FX-002",
                CRITICAL,
                "every reporting amount is the amount times fx_rate_to_reporting, exactly",
                f"select {fact.key}, currency_code, fx_rate_to_reporting, "
                f"{', '.join(f'{a}, {a}_reporting' for a in fact.amounts)} "
                f"from {{batch}} where fx_rate_to_reporting is not null and ({wrong}) "
                f"order by {fact.key}",
            ),
            rows_check(
                "MART-FX-004",
                WARNING,
                f"a rate is at most {max_rate_age_days} days older than the day it converts "
                "(a day after the source's newest rate in use counts as that day)",
                "select currency_code, fx_rate_source, rate_day, fx_rate_date, count(*) as facts "
                f"from (select currency_code, fx_rate_source, {fact.day} as rate_day, "
                "fx_rate_date, max(fx_rate_date) over (partition by fx_rate_source) as newest "
                "from {batch} where fx_rate_source <> 'same_currency') as converted "
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
        f"fx_rate_date, fx_rate_to_reporting from {{batch}} where fx_rate_source = 'ecb'"
    )
    return gx.ExpectationSuite(
        name=f"marts.{fact.table}.fx_ecb",
        expectations=[
            rows_check(
                "MART-FX-003",
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
