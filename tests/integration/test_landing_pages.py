"""Landing pages on the shared nightly run (`published_company`): touches land on the pages the
world's visitors landed on, the ad clicks on their ads' final URLs; per model, the landing-page
report hands out exactly what the model credits to touches with a page, and carries the spend
of the ads behind each page; the marts gate reconciled it."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import psycopg
import pytest

from sandbox.world import World
from tests.integration.test_keywords import one

pytestmark = pytest.mark.integration


def _page(url: str | None) -> str | None:
    """The URL without query and fragment; None for no (or an empty) URL."""
    return url.split("#", 1)[0].split("?", 1)[0] or None if url else None


def test_touches_land_on_the_pages_the_world_landed_on(published_company, world: World) -> None:
    with psycopg.connect(published_company["url"]) as conn:
        touches = conn.execute(
            "select touchpoint_id, touch_type, landing_page_url from analytics.fct_touchpoints"
        ).fetchall()
    first_urls = {
        f"hubspot:{contact.object_id}:first": contact.properties["hs_analytics_first_url"]
        for contact in world.hubspot.contacts
    }
    first = [(tid, page) for tid, _, page in touches if tid.endswith(":first")]
    assert len([page for _, page in first if page]) > 100
    assert [(tid, page) for tid, page in first if page != _page(first_urls[tid])] == []
    # a latest-source touch and a Salesforce touch record no landing page
    assert {page for tid, _, page in touches if not tid.endswith(":first")} == {None}


def test_ad_clicks_land_on_their_ads_final_urls(published_company) -> None:
    """Each ad platform's clicks land on pages its ads spent on, in the clicked campaign."""
    (platforms,) = one(
        published_company["url"],
        "select array_agg(distinct platform order by platform) "
        "from analytics.rpt_landing_page_performance where touches > 0 and spend > 0",
    )
    assert platforms == ["google_ads", "linkedin_ads", "meta_ads"]
    (stray,) = one(
        published_company["url"],
        # an ad click's page and campaign have spend unless the clicked ad never spent
        "select count(*) from analytics.fct_touchpoints as touch "
        "where touch.touch_type = 'ad_click' and not exists ("
        "select from analytics.dim_ads as ads where ads.campaign_key = touch.campaign_key "
        "and ads.landing_page_url = touch.landing_page_url)",
    )
    assert stray == 0


def test_page_revenue_per_model_is_the_revenue_of_touches_with_a_page(published_company) -> None:
    """Read independently of fct_touchpoints' page: a HubSpot first touch whose raw contact has
    a first URL."""
    mismatched, models, revenue_models, partial = one(
        published_company["url"],
        """
        with paged as (
            select 'hubspot:' || (record ->> 'id') || ':first' as touchpoint_id
            from raw_hubspot.contacts
            where coalesce(record -> 'properties' ->> 'hs_analytics_first_url', '') <> ''
        ),
        expected as (
            select attr.model,
                coalesce(sum(attr.revenue_credit)
                    filter (where attr.conversion_type = 'closed_won'), 0) as revenue,
                coalesce(sum(attr.credit) filter (where attr.conversion_type = 'lead'), 0)
                    as leads,
                sum(attr.revenue_credit) filter (where attr.conversion_type = 'closed_won')
                    as all_revenue
            from analytics.fct_attribution as attr
            left join (select distinct touchpoint_id from paged) as paged using (touchpoint_id)
            where paged.touchpoint_id is not null and attr.attribution_scope = 'contact'
            group by attr.model
        ),
        reported as (
            select model, sum(attributed_revenue) as revenue, sum(leads) as leads
            from analytics.rpt_landing_page_performance group by model
        ),
        total as (
            select model, sum(revenue_credit) as revenue from analytics.fct_attribution
            where conversion_type = 'closed_won' and attribution_scope = 'contact'
            group by model
        )
        select
            count(*) filter (where (expected.revenue, expected.leads)
                is distinct from (reported.revenue, reported.leads)),
            count(*),
            count(*) filter (where reported.revenue > 0),
            count(*) filter (where reported.revenue < total.revenue)
        from reported
        full outer join expected using (model)
        left join total using (model)
        """,
    )
    assert (models, mismatched) == (8, 0)
    # revenue landed on pages under every model, and some did not (Salesforce touches)
    assert revenue_models == partial == 8


def test_page_spend_is_the_spend_of_the_ads_with_that_final_url(
    published_company, world: World
) -> None:
    """Google's pages, from the world's final URLs: per page and campaign, the report's spend
    is the spend of the ads the world gave that URL."""
    final_urls = {str(ad.ad_id): ad.final_url for ad in world.google_ads.ads}
    with psycopg.connect(published_company["url"]) as conn:
        spend_rows = conn.execute(
            "select ad_id, campaign_key, spend_reporting from analytics.fct_ad_spend_daily "
            "where platform = 'google_ads' and ad_id is not null"
        ).fetchall()
        reported = conn.execute(
            "select landing_page_url, campaign_key, spend "
            "from analytics.rpt_landing_page_performance "
            "where platform = 'google_ads' and model = 'linear' and spend > 0"
        ).fetchall()
    expected: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for ad_id, campaign_key, spend in spend_rows:
        expected[_page(final_urls[ad_id]), campaign_key] += spend
    assert len(expected) > 10
    assert {(page, key): spend for page, key, spend in reported} == dict(expected)


def test_the_marts_gate_reconciled_landing_pages(published_company) -> None:
    (rules,) = one(
        published_company["url"],
        "select array_agg(distinct rule order by rule) from ops.quality_results "
        "where rule like 'MART-LP-%' and passed",
    )
    assert rules == ["MART-LP-001", "MART-LP-002"]
