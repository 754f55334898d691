"""The benchmark company (bench/company_data.py) at a tiny scale has the shape it promises:
its deals, people and touchpoints, its reps in teams, three years of history, stage, amount and
close-date changes, every ad platform's daily rows; the same rows on every load; and a next day
that changes deals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg
import pytest

from bench.company_data import END, START, Size, add_company_day, load_company, plan
from tests.conftest import create_database, drop_database
from thinline.warehouse import EmbeddedWarehouse

# big enough that the night after END re-opens a deal in each CRM (at 400 deals HubSpot has none)
SIZE = Size(deals=1000, contacts=10000, touchpoints=100000, reps=12, teams=6, ad_campaigns=4)


@pytest.fixture(scope="module")
def company(embedded_warehouse: EmbeddedWarehouse) -> Iterator[tuple[str, dict[str, Any]]]:
    """One company for the module (loading it is the slow part), in its own database."""
    url = create_database(embedded_warehouse.url())
    yield url, load_company(url, SIZE)
    drop_database(url)


def row(url: str, query: str) -> tuple[Any, ...]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchone()


def scalar(url: str, query: str) -> Any:
    return row(url, query)[0]


def near(value: int, target: int, tolerance: float) -> bool:
    return abs(value - target) <= tolerance * target


def test_counts_match_the_size(company: tuple[str, dict[str, Any]]) -> None:
    url, loaded = company
    rows = loaded["raw_rows"]
    deals = rows["raw_salesforce.opportunities"] + rows["raw_hubspot.deals"]
    people = (
        rows["raw_hubspot.contacts"]
        + rows["raw_salesforce.leads"]
        + rows["raw_salesforce.contacts"]
    )
    assert near(deals, SIZE.deals, 0.2), deals
    assert near(people, SIZE.contacts, 0.1), people
    # touches: campaign memberships, each HubSpot contact's first and latest source, and the
    # lead source of every lead without a membership
    touches = scalar(
        url,
        """
        select (select count(*) from raw_salesforce.campaign_members)
            + (select count(*) + count(record -> 'properties' ->> 'hs_latest_source')
                from raw_hubspot.contacts)
            + (select count(*) from raw_salesforce.leads
                where not exists (select from raw_salesforce.campaign_members as m
                    where m.record ->> 'LeadId' = leads.lead_id))
        """,
    )
    assert near(int(touches), SIZE.touchpoints, 0.15), touches
    assert loaded["shape"] == dict(vars(plan(SIZE)))


def test_reps_sit_in_teams(company: tuple[str, dict[str, Any]]) -> None:
    url, _ = company
    reps = scalar(
        url,
        "select (select count(*) from raw_hubspot.owners)"
        " + (select count(*) from raw_salesforce.users)",
    )
    teams = scalar(
        url,
        """
        select count(distinct team) from (
            select 'hs' || (record -> 'teams' -> 0 ->> 'id') as team from raw_hubspot.owners
            union all
            select 'sf' || (record ->> 'UserRoleId') from raw_salesforce.users
        ) as teams
        """,
    )
    assert reps == SIZE.reps
    assert teams == SIZE.teams
    # a few seats changed hands: a rep who left is archived or inactive
    gone = scalar(
        url,
        "select (select count(*) from raw_hubspot.owners where is_deleted)"
        " + (select count(*) from raw_salesforce.users where not (record ->> 'IsActive')::bool)",
    )
    assert gone >= 1


def test_three_years_of_history(company: tuple[str, dict[str, Any]]) -> None:
    url, _ = company
    first, last = row(
        url,
        "select min((record ->> 'CreatedDate')::timestamptz),"
        " max((record ->> 'CreatedDate')::timestamptz) from raw_salesforce.leads",
    )
    assert isinstance(first, datetime) and isinstance(last, datetime)
    assert (first - START).days < 10 and first >= START
    assert (END - last).days < 10 and last < END


def test_deals_have_stage_amount_and_close_date_history(
    company: tuple[str, dict[str, Any]],
) -> None:
    url, _ = company
    histories = row(
        url,
        """
        select count(*) filter (where stages > 1), count(*) filter (where amounts > 1),
            count(*) filter (where close_dates > 1), count(*) filter (where regressed)
        from (
            select record ->> 'OpportunityId' as opportunity_id,
                count(distinct record ->> 'StageName') as stages,
                count(distinct record ->> 'Amount') as amounts,
                count(distinct record ->> 'CloseDate') as close_dates,
                count(*) > count(distinct record ->> 'StageName') as regressed
            from raw_salesforce.opportunity_histories
            group by 1
        ) as per_deal
        """,
    )
    assert all(count > 0 for count in histories), histories
    assert (
        scalar(
            url,
            "select count(*) from raw_salesforce.opportunities where not exists ("
            " select from raw_salesforce.opportunity_histories as h"
            " where h.record ->> 'OpportunityId' = opportunities.opportunity_id)",
        )
        == 0
    )
    hubspot = row(
        url,
        """
        select count(*),
            count(*) filter (where jsonb_array_length(histories -> 'dealstage') > 1),
            count(*) filter (where jsonb_array_length(histories -> 'amount') > 1),
            count(*) filter (where jsonb_array_length(histories -> 'closedate') > 1)
        from (
            select record -> 'propertiesWithHistory' as histories
            from raw_hubspot.deal_stage_history
        ) as deals
        """,
    )
    assert hubspot[0] == scalar(url, "select count(*) from raw_hubspot.deals")
    # stage moves, discounts and pushed close dates, each in its property's history
    assert all(count > 0 for count in hubspot[1:]), hubspot
    outcomes = scalar(
        url,
        "select count(distinct record ->> 'StageName') from raw_salesforce.opportunities"
        " where record ->> 'StageName' in ('Closed Won', 'Closed Lost')",
    )
    assert outcomes == 2


def test_every_ad_platform_has_daily_rows(company: tuple[str, dict[str, Any]]) -> None:
    url, _ = company
    for table, day in (
        ("raw_google_ads.campaign_daily_metrics", "metric_date"),
        ("raw_google_ads.ad_daily_metrics", "metric_date"),
        ("raw_meta_ads.ad_daily_insights", "insight_date"),
        ("raw_linkedin_ads.creative_daily_analytics", "analytics_date"),
    ):
        days = scalar(url, f"select count(distinct {day}) from {table}")
        assert days > 700, (table, days)


def test_loads_are_deterministic_and_a_day_changes_deals(
    company: tuple[str, dict[str, Any]],
) -> None:
    url, loaded = company
    checksum = (
        "select md5(string_agg(record::text, '' order by opportunity_id))"
        " from raw_salesforce.opportunities"
    )
    before = scalar(url, checksum)
    again = load_company(url, SIZE)
    assert again["raw_rows"] == loaded["raw_rows"]
    assert scalar(url, checksum) == before
    day = add_company_day(url, SIZE)
    # at least the re-opened deal of each CRM
    assert day["raw_rows"]["raw_salesforce.opportunities"] >= 1
    assert day["raw_rows"]["raw_hubspot.deals"] >= 1
    assert scalar(url, checksum) != before


def test_every_amount_currency_has_an_ecb_rate_on_every_day(
    company: tuple[str, dict[str, Any]],
) -> None:
    """The company's amounts (USD, EUR, GBP) convert at the ECB's rates: USD and GBP have a rate
    at most four days old (the longest TARGET gap, Easter) on every day of the history."""
    url, _ = company
    stale = scalar(
        url,
        f"""
        select count(*)
        from generate_series(date '{START:%Y-%m-%d}', date '{END:%Y-%m-%d}', interval '1 day')
            as days (day)
        cross join (values ('USD'), ('GBP')) as wanted (currency_code)
        where not exists (
            select from raw_ecb.reference_rates as rates
            where rates.currency_code = wanted.currency_code
                and rates.rate_date between days.day::date - 4 and days.day::date
                and rates.record ->> 'OBS_VALUE' is not null
        )
        """,
    )
    assert stale == 0
    amounts = scalar(
        url,
        "select array_agg(distinct currency) from (select record -> 'properties' ->>"
        " 'deal_currency_code' as currency from raw_hubspot.deals union all select"
        " record ->> 'CurrencyIsoCode' from raw_salesforce.opportunities) as amounts",
    )
    rated = scalar(url, "select array_agg(distinct currency_code) from raw_ecb.reference_rates")
    assert len(amounts) > 1 and None not in amounts, amounts
    assert set(amounts) <= {"EUR", *rated}, amounts  # the euro is the ECB's base
