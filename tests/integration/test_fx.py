"""Every converted amount in `analytics` can be redone by hand: the amount times the rate its
lineage columns name, and an ECB rate is the cross rate of the rates the ECB published (the
stand-in's data: the ECB's real history) on the newest publishing day on or before the day the
fact converts on. Read-only: reuses the session's `published_company`."""

from __future__ import annotations

import functools
from collections import Counter
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import psycopg
import pytest

from sandbox.ecb_rates import published
from tests.integration.conftest import DAY

pytestmark = pytest.mark.integration

START_DATE = date(2026, 1, 1)  # THINLINE_START_DATE of the published company
TEN_PLACES = Decimal("1e-10")
FACTS = {  # table -> (the day it converts on, its amounts)
    "fct_deals": ("coalesce(close_date, created_date)", ("amount", "list_amount")),
    "fct_ad_spend_daily": ("spend_date", ("spend", "platform_conversion_value")),
    "fct_keyword_performance_daily": ("spend_date", ("spend", "platform_conversion_value")),
}


@functools.cache
def ecb_newest(currency: str, day: date) -> tuple[date, Decimal] | None:
    """The ECB's newest (day, units per euro) of ``currency`` on or before ``day`` among the
    days the nightly loaded; the euro is 1 on the ECB's newest publishing day."""
    loaded = published(START_DATE - timedelta(days=10), min(day, DAY))
    days = [o for o in loaded if o.currency == (currency if currency != "EUR" else "USD")]
    if not days:
        return None
    newest = max(days, key=lambda o: o.day)
    return newest.day, Decimal(1) if currency == "EUR" else Decimal(newest.value)


def rows(url: str, table: str) -> list[dict]:
    day, amounts = FACTS[table]
    columns = ", ".join(f"{a}, {a}_reporting" for a in amounts)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            f"select currency_code, reporting_currency_code, {day} as rate_day, "
            f"fx_rate_to_reporting, fx_rate_date, fx_rate_source, {columns} from analytics.{table}"
        )
        names = [c.name for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


@pytest.mark.parametrize("table", FACTS)
def test_every_converted_amount_is_the_amount_times_its_named_ecb_rate(
    published_company: dict, table: str
) -> None:
    facts = rows(published_company["url"], table)
    sources = Counter((f["currency_code"], f["fx_rate_source"]) for f in facts)
    for fact in facts:
        for amount in FACTS[table][1]:
            if fact[amount] is not None:  # exact: numeric times numeric, nothing rounded away
                assert fact[f"{amount}_reporting"] == fact[amount] * fact["fx_rate_to_reporting"]
        if fact["fx_rate_source"] == "same_currency":
            assert fact["currency_code"] == fact["reporting_currency_code"] == "USD"
            assert fact["fx_rate_to_reporting"] == 1
            continue
        assert fact["fx_rate_source"] == "ecb", fact  # the ECB has every currency of the world
        base = ecb_newest(fact["currency_code"], fact["rate_day"])
        target = ecb_newest("USD", fact["rate_day"])
        assert base is not None and target is not None, fact
        expected = (target[1] / base[1]).quantize(TEN_PLACES, ROUND_HALF_UP)
        assert fact["fx_rate_to_reporting"] == expected, fact
        assert fact["fx_rate_date"] == min(base[0], target[0]), fact
    assert sum(sources.values()) > 50
    assert {currency for currency, source in sources if source == "ecb"} >= {"EUR"}


def test_spend_in_three_currencies_converts_weekends_at_the_last_published_rate(
    published_company: dict,
) -> None:
    facts = rows(published_company["url"], "fct_ad_spend_daily")
    assert {f["currency_code"] for f in facts} == {"USD", "EUR", "GBP"}
    weekend = [f for f in facts if f["rate_day"].isoweekday() > 5 and f["currency_code"] != "USD"]
    assert weekend  # the world spends every day
    for fact in weekend:  # Saturday and Sunday convert at Friday's rate (no holiday here)
        friday = fact["rate_day"] - timedelta(days=fact["rate_day"].isoweekday() - 5)
        assert fact["fx_rate_date"] == friday, fact
    # 2026-01-01 is a TARGET holiday: spend that day converts at 2025-12-31's rate, which the
    # first load reached back for
    new_year = [
        f for f in facts if f["rate_day"] == date(2026, 1, 1) and f["currency_code"] != "USD"
    ]
    assert new_year and {f["fx_rate_date"] for f in new_year} == {date(2025, 12, 31)}
