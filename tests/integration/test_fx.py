"""Every converted amount in `analytics` can be redone by hand: the amount times the rate its
lineage columns name. A deal converts at its own CRM's rate (Salesforce's dated range holding
its close date, HubSpot's rate in effect then), so revenue per rep and month equals what the
CRM itself shows; everything else at the ECB's cross rate of the newest publishing day on or
before its day (the stand-in's data: the ECB's real history). Read-only: reuses the session's
`published_company`."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import psycopg
import pytest

from sandbox import World
from tests.integration.conftest import DAY
from tests.integration.fx_rates import (
    ecb_newest,
    hubspot_rate,
    salesforce_range,
    salesforce_rate,
)

pytestmark = pytest.mark.integration

TEN_PLACES = Decimal("1e-10")
CENT = Decimal("0.01")
FACTS = {  # table -> (the day it converts on, its amounts)
    "fct_ad_spend_daily": ("spend_date", ("spend", "platform_conversion_value")),
    "fct_keyword_performance_daily": ("spend_date", ("spend", "platform_conversion_value")),
}


DEAL_DAY = "fx_conversion_date"
DEAL_AMOUNTS = ("amount", "list_amount")


def rows(url: str, table: str) -> list[dict]:
    day, amounts = (DEAL_DAY, DEAL_AMOUNTS) if table == "fct_deals" else FACTS[table]
    columns = ", ".join(f"{a}, {a}_reporting" for a in amounts)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            f"select currency_code, reporting_currency_code, {day} as rate_day, "
            f"fx_rate_to_reporting, fx_rate_date, fx_rate_source, {columns} "
            f"from analytics.{table}"
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


def test_deals_convert_on_the_day_their_crm_converts_them(published_company: dict) -> None:
    """Closed deals on their close date; open HubSpot deals on the run's day (HubSpot re-rates
    open deals with its newest rate, not the wall clock's); open Salesforce opportunities on
    their expected close date (dated rates apply by close date)."""
    with psycopg.connect(published_company["url"]) as conn:
        deals = conn.execute(
            "select crm, is_closed, coalesce(close_date, created_date), fx_conversion_date "
            "from analytics.fct_deals"
        ).fetchall()
    kinds = Counter((crm, closed) for crm, closed, _, _ in deals)
    assert all(kinds[(crm, closed)] for crm in ("hubspot", "salesforce") for closed in (1, 0))
    for crm, closed, close_day, converted_on in deals:
        expected = close_day if closed or crm == "salesforce" else DAY
        assert converted_on == expected, (crm, closed, close_day, converted_on)
    assert any(c == "hubspot" and not closed and day != DAY for c, closed, day, _ in deals)


def test_deals_convert_at_their_own_crm_rates(published_company: dict, world: World) -> None:
    facts = rows(published_company["url"], "fct_deals")
    sources = Counter(f["fx_rate_source"] for f in facts)
    assert sources["salesforce"] > 10 and sources["hubspot"] > 10, sources
    for fact in facts:
        if fact["amount"] is not None:
            assert fact["amount_reporting"] == fact["amount"] * fact["fx_rate_to_reporting"]
        if fact["fx_rate_source"] == "salesforce":
            rate, start = salesforce_rate(world, fact["currency_code"], fact["rate_day"])
            assert (fact["fx_rate_to_reporting"], fact["fx_rate_date"]) == (rate, start), fact
        elif fact["fx_rate_source"] == "hubspot":
            found = hubspot_rate(world, fact["currency_code"], fact["rate_day"])
            assert found is not None, fact
            assert (fact["fx_rate_to_reporting"], fact["fx_rate_date"]) == found, fact
        else:
            assert fact["fx_rate_source"] == "same_currency", fact  # every EUR deal: its CRM


def test_won_revenue_per_rep_and_month_equals_the_crms_own_conversion(
    published_company: dict, world: World
) -> None:
    """What each CRM's report shows: Salesforce divides by the range's ConversionRate,
    HubSpot multiplies by the rate in effect at close; per rep and month, to the cent."""
    with psycopg.connect(published_company["url"]) as conn:
        won = conn.execute(
            "select crm, owner_id, close_date, currency_code, amount, amount_reporting "
            "from analytics.fct_deals where is_won and amount is not null"
        ).fetchall()
    thinline: dict[tuple, Decimal] = {}
    crm: dict[tuple, Decimal] = {}
    for source, owner, day, currency, amount, reporting in won:
        key = (source, owner, day.replace(day=1))
        thinline[key] = thinline.get(key, Decimal(0)) + reporting
        if currency == "USD":
            converted = amount
        elif source == "salesforce":
            converted = amount / salesforce_range(world, currency, day)[0]
        else:
            found = hubspot_rate(world, currency, day)
            assert found is not None
            converted = amount * found[0]
        crm[key] = crm.get(key, Decimal(0)) + converted
    assert thinline.keys() == crm.keys() and len(crm) > 5
    off = {key: thinline[key] - crm[key] for key in crm if abs(thinline[key] - crm[key]) > CENT}
    assert off == {}, off


def test_quota_months_convert_like_their_owners_bookings(
    published_company: dict, world: World
) -> None:
    """A quota in another currency converts at its owner's CRM's rate on the month's first
    day (the demo's EUR team quota: HubSpot's rate), or the ECB's in a month before the
    portal's first rate, and says so."""
    with psycopg.connect(published_company["url"]) as conn, conn.cursor() as cur:
        cur.execute(
            "select owner_id, month_start, currency_code, quota_amount, quota_amount_reporting, "
            "fx_rate_to_reporting, fx_conversion_date, fx_rate_date, fx_rate_source "
            "from analytics.fct_quota_months"
        )
        names = [c.name for c in cur.description]
        quotas = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    converted = [q for q in quotas if q["currency_code"] != "USD"]
    assert {q["fx_rate_source"] for q in converted} == {"hubspot", "ecb"}
    for quota in quotas:
        assert quota["fx_conversion_date"] == quota["month_start"], quota
        assert (
            quota["quota_amount_reporting"] == quota["quota_amount"] * quota["fx_rate_to_reporting"]
        ), quota
    for quota in converted:
        found = hubspot_rate(world, quota["currency_code"], quota["month_start"])
        if quota["fx_rate_source"] == "hubspot":
            assert (quota["fx_rate_to_reporting"], quota["fx_rate_date"]) == found, quota
            continue
        assert found is None, quota  # the ECB only where the portal has no rate yet
        base = ecb_newest(quota["currency_code"], quota["month_start"])
        target = ecb_newest("USD", quota["month_start"])
        assert base is not None and target is not None, quota
        expected = (target[1] / base[1]).quantize(TEN_PLACES, ROUND_HALF_UP)
        assert (quota["fx_rate_to_reporting"], quota["fx_rate_date"]) == (
            expected,
            min(base[0], target[0]),
        ), quota
