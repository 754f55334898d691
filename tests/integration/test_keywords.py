"""Keywords and search terms on the shared nightly run (`published_company`): a search
campaign's keywords add up to its spend, search terms to at most their keyword's, and the
marts gate reconciled both with raw; the ads and ad groups they and the spend come from are
all in dim_ads / dim_ad_groups, Google, Meta, LinkedIn and Microsoft ads with the landing pages
the stand-ins served. Microsoft's keywords add up to its campaign report exactly, and show spend
with no credited conversions (no click report names a Microsoft click's keyword)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import psycopg
import pytest

from sandbox.world import World

pytestmark = pytest.mark.integration


def one(url: str, sql: str) -> tuple[Any, ...]:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return row


def test_a_search_campaigns_keywords_add_up_to_its_spend_every_day(published_company) -> None:
    days, campaigns, channels, mismatched = one(
        published_company["url"],
        """
        with keywords as (
            select campaign_key, spend_date, sum(spend) as spend, sum(clicks) as clicks,
                sum(impressions) as impressions
            from analytics.fct_keyword_performance_daily group by campaign_key, spend_date
        ),
        ads as (
            select campaign_key, spend_date, sum(spend) as spend, sum(clicks) as clicks,
                sum(impressions) as impressions
            from analytics.fct_ad_spend_daily
            where campaign_key in (select campaign_key from keywords)
            group by campaign_key, spend_date
        )
        select
            count(*),
            count(distinct campaign_key),
            (select array_agg(distinct channel) from analytics.dim_campaigns
             where campaign_key in (select campaign_key from keywords)),
            count(*) filter (where (keywords.spend, keywords.clicks, keywords.impressions)
                is distinct from (ads.spend, ads.clicks, ads.impressions))
        from ads full outer join keywords using (campaign_key, spend_date)
        """,
    )
    assert days > 100 and campaigns >= 2
    assert channels == ["paid_search"]  # display and Performance Max have no keywords
    assert mismatched == 0


def test_search_terms_add_up_to_at_most_their_keyword_and_some_are_hidden(
    published_company,
) -> None:
    keywords, over, hidden, orphans = one(
        published_company["url"],
        """
        with terms as (
            select keyword_performance_key, sum(spend) as spend, sum(clicks) as clicks,
                sum(impressions) as impressions
            from analytics.fct_search_term_performance_daily group by keyword_performance_key
        )
        select
            count(*),
            count(*) filter (where terms.spend > kw.spend or terms.clicks > kw.clicks
                or terms.impressions > kw.impressions),
            count(*) filter (where terms.impressions < kw.impressions),
            count(*) filter (where kw.keyword_performance_key is null)
        from terms
        left join analytics.fct_keyword_performance_daily as kw using (keyword_performance_key)
        """,
    )
    assert keywords > 100 and over == 0 and orphans == 0
    assert 0 < hidden < keywords  # privacy hides some terms, not every keyword's


def test_microsoft_keywords_are_its_campaign_spend_and_its_queries_at_most_that(
    published_company, world: World
) -> None:
    """Microsoft's keyword report adds up to its campaign report exactly, per campaign and
    day; its search queries to at most their keyword; match types in Google's vocabulary."""
    url = published_company["url"]
    days, mismatched, match_types = one(
        url,
        """
        with keywords as (
            select campaign_key, spend_date, sum(spend) as spend, sum(clicks) as clicks,
                sum(impressions) as impressions
            from analytics.fct_keyword_performance_daily where platform = 'microsoft_ads'
            group by campaign_key, spend_date
        ),
        ads as (
            select campaign_key, spend_date, sum(spend) as spend, sum(clicks) as clicks,
                sum(impressions) as impressions
            from analytics.fct_ad_spend_daily where platform = 'microsoft_ads'
            group by campaign_key, spend_date
        )
        select
            count(*),
            count(*) filter (where (keywords.spend, keywords.clicks, keywords.impressions)
                is distinct from (ads.spend, ads.clicks, ads.impressions)),
            (select array_agg(distinct match_type order by match_type)
             from analytics.fct_keyword_performance_daily where platform = 'microsoft_ads')
        from ads full outer join keywords using (campaign_key, spend_date)
        """,
    )
    assert days == len(world.microsoft_ads.campaign_days()) and mismatched == 0
    # Microsoft spend is per ad: the ad report covers the campaign report, no remainder rows
    (without_ad,) = one(
        url,
        "select count(*) from analytics.fct_ad_spend_daily "
        "where platform = 'microsoft_ads' and ad_id is null",
    )
    assert without_ad == 0
    assert match_types == ["BROAD", "EXACT", "PHRASE"]
    keywords, over, orphans, spend, served = one(
        url,
        """
        with terms as (
            select keyword_performance_key, sum(spend) as spend, sum(clicks) as clicks,
                sum(impressions) as impressions, bool_and(match_type is not null) as typed
            from analytics.fct_search_term_performance_daily where platform = 'microsoft_ads'
            group by keyword_performance_key
        )
        select
            count(*),
            count(*) filter (where terms.spend > kw.spend or terms.clicks > kw.clicks
                or terms.impressions > kw.impressions or not terms.typed),
            count(*) filter (where kw.keyword_performance_key is null),
            (select sum(spend) from analytics.fct_search_term_performance_daily
             where platform = 'microsoft_ads'),
            (select count(*) from analytics.fct_search_term_performance_daily
             where platform = 'microsoft_ads')
        from terms
        left join analytics.fct_keyword_performance_daily as kw using (keyword_performance_key)
        """,
    )
    data = world.microsoft_ads
    assert keywords == len(data.keyword_days) and over == 0 and orphans == 0
    assert spend * 100 == sum(row.spend_cents for row in data.keyword_days)
    assert served == sum(len(row.queries) for row in data.keyword_days)
    # nothing credits a Microsoft click to a keyword (no click report): spend, no leads
    (credited,) = one(
        url,
        "select count(*) from analytics.rpt_keyword_attribution "
        "where platform = 'microsoft_ads' and (leads > 0 or attributed_revenue > 0)",
    )
    assert credited == 0


def test_the_marts_gate_reconciled_keywords_and_search_terms(published_company) -> None:
    (rules,) = one(
        published_company["url"],
        "select array_agg(distinct rule order by rule) from ops.quality_results "
        "where (rule like 'MART-KW-%' or rule like 'MART-ST-%') and passed",
    )
    assert rules == [
        "MART-KW-001",
        "MART-KW-002",
        "MART-KW-003",  # Microsoft Advertising keywords against their raw report
        "MART-ST-001",
        "MART-ST-002",
        "MART-ST-003",
    ]


def test_keyword_revenue_per_model_is_the_revenue_of_clicks_with_a_keyword(
    published_company,
) -> None:
    """Per model, rpt_keyword_attribution hands out exactly the revenue and leads the model
    credits to touchpoints whose Google click has a keyword (read here from the raw click)."""
    (mismatched, models, credited_models) = one(
        published_company["url"],
        """
        with keyword_clicks as (
            select gclid from raw_google_ads.click_views
            where not is_deleted and record -> 'clickView' ->> 'keyword' is not null
        ),
        expected as (
            select attr.model,
                coalesce(sum(attr.revenue_credit)
                    filter (where attr.conversion_type = 'closed_won'), 0) as revenue,
                coalesce(sum(attr.credit) filter (where attr.conversion_type = 'lead'), 0)
                    as leads
            from analytics.fct_attribution as attr
            inner join analytics.fct_touchpoints as touch using (touchpoint_id)
            where touch.platform = 'google_ads'
                and touch.click_id in (select gclid from keyword_clicks)
                and attr.attribution_scope = 'contact'
            group by attr.model
        ),
        reported as (
            select model, sum(attributed_revenue) as revenue, sum(leads) as leads
            from analytics.rpt_keyword_attribution group by model
        )
        select
            count(*) filter (where (expected.revenue, expected.leads)
                is distinct from (reported.revenue, reported.leads)),
            count(*),
            count(*) filter (where reported.leads > 0)
        from reported full outer join expected using (model)
        """,
    )
    assert models == 8 and mismatched == 0
    assert credited_models == 8  # search clicks became leads under every model
    (without_roas,) = one(
        published_company["url"],
        "select count(*) from analytics.rpt_keyword_attribution where spend > 0 and roas is null",
    )
    assert without_roas == 0  # no revenue is a ROAS of 0, not unknown


def test_only_search_clicks_name_a_keyword_of_their_own_ad_group(published_company) -> None:
    search_without, other_with, foreign = one(
        published_company["url"],
        """
        select
            count(*) filter (where campaigns.channel = 'paid_search' and clicks.keyword_id is null),
            count(*) filter (where campaigns.channel <> 'paid_search'
                and clicks.keyword_id is not null),
            count(*) filter (where clicks.keyword_id is not null and not exists (
                select from analytics.fct_keyword_performance_daily as kw
                where kw.ad_group_id = clicks.ad_group_id::text
                    and kw.keyword_id = clicks.keyword_id::text))
        from staging.stg_google_ads__click_views as clicks
        inner join analytics.dim_campaigns as campaigns
            on campaigns.campaign_key = 'google_ads:' || clicks.campaign_id
        """,
    )
    assert (search_without, other_with, foreign) == (0, 0, 0)


def test_every_ad_and_ad_group_in_facts_or_keywords_is_in_the_dims(published_company) -> None:
    ads, ad_groups, missing_ads, missing_ad_groups, missing_keyword_groups, platforms = one(
        published_company["url"],
        """
        select
            (select count(*) from analytics.dim_ads),
            (select count(*) from analytics.dim_ad_groups),
            (select count(distinct (spend.platform, spend.ad_id))
             from analytics.fct_ad_spend_daily as spend
             left join analytics.dim_ads as ads
                on ads.ad_key = spend.platform || ':' || spend.ad_id
                and ads.campaign_key = spend.campaign_key
                and ads.ad_group_id is not distinct from spend.ad_group_id
             where spend.ad_id is not null and ads.ad_key is null),
            (select count(distinct (spend.platform, spend.ad_group_id))
             from analytics.fct_ad_spend_daily as spend
             left join analytics.dim_ad_groups as ad_groups
                on ad_groups.ad_group_key = spend.platform || ':' || spend.ad_group_id
                and ad_groups.campaign_key = spend.campaign_key
             where spend.ad_group_id is not null and ad_groups.ad_group_key is null),
            (select count(distinct (keywords.platform, keywords.ad_group_id))
             from analytics.fct_keyword_performance_daily as keywords
             left join analytics.dim_ad_groups as ad_groups
                on ad_groups.ad_group_key = keywords.platform || ':' || keywords.ad_group_id
             where ad_groups.ad_group_key is null),
            (select array_agg(distinct platform order by platform) from analytics.dim_ads)
        """,
    )
    assert ads > 0 and ad_groups > 0
    assert (missing_ads, missing_ad_groups, missing_keyword_groups) == (0, 0, 0)
    assert platforms == ["google_ads", "linkedin_ads", "meta_ads", "microsoft_ads"]


def test_google_ads_final_urls_are_what_the_stand_in_served(
    published_company, world: World
) -> None:
    with psycopg.connect(published_company["url"]) as conn:
        rows = conn.execute(
            "select ad_id, final_url, landing_page_url, utm_source, ad_group_key "
            "from analytics.dim_ads where platform = 'google_ads'"
        ).fetchall()
        in_facts = conn.execute(
            "select distinct ad_id from analytics.fct_ad_spend_daily "
            "where platform = 'google_ads' and ad_id is not null"
        ).fetchall()
    served = {str(ad.ad_id): ad for ad in world.google_ads.ads}
    # Google's ads come from its daily ad report: exactly the ads with a day of metrics
    assert {ad_id for ad_id, *_ in rows} == {ad_id for (ad_id,) in in_facts} != set()
    for ad_id, final_url, landing_page_url, utm_source, ad_group_key in rows:
        ad = served[ad_id]
        # the world's URLs carry no query: the landing page is the whole URL, no UTM parameters
        assert (final_url, landing_page_url, utm_source) == (ad.final_url, ad.final_url, None)
        assert ad_group_key == f"google_ads:{ad.ad_group_id}"


def test_meta_and_linkedin_final_urls_are_the_worlds(published_company, world: World) -> None:
    """Meta ads carry their creative's link and URL tags, LinkedIn creatives their Text Ad's
    landing page: the pages the world's ad clicks land on (HubSpot's first URLs)."""
    with psycopg.connect(published_company["url"]) as conn:
        rows = conn.execute(
            "select platform, ad_id, status, final_url, landing_page_url, url_tags, utm_source "
            "from analytics.dim_ads where platform in ('meta_ads', 'linkedin_ads')"
        ).fetchall()
    expected = {
        ("meta_ads", str(ad.ad_id)): (ad.final_url, ad.url_tags) for ad in world.meta_ads.ads
    } | {
        ("linkedin_ads", str(creative.creative_id)): (creative.landing_page, None)
        for creative in world.linkedin_ads.creatives
    }
    assert {(platform, ad_id) for platform, ad_id, *_ in rows} == set(expected)
    for platform, ad_id, status, final_url, landing_page_url, url_tags, utm_source in rows:
        assert (final_url, url_tags) == expected[platform, ad_id]
        # the link has no query: Meta appends the URL tags on the click, and dim_ads reads
        # their UTM parameters
        tagged = parse_qs(url_tags or "").get("utm_source", [None])[0]
        assert (landing_page_url, utm_source) == (final_url, tagged)
        assert status is not None


def test_microsoft_ads_and_ad_groups_are_the_stand_ins_with_their_final_urls(
    published_company, world: World
) -> None:
    data = world.microsoft_ads
    with psycopg.connect(published_company["url"]) as conn:
        groups = conn.execute(
            "select ad_group_id, ad_group_name, status, campaign_key from analytics.dim_ad_groups "
            "where platform = 'microsoft_ads'"
        ).fetchall()
        ads = conn.execute(
            "select ad_id, ad_group_key, status, is_deleted, final_url, landing_page_url, "
            "url_tags, tracking_url_template from analytics.dim_ads "
            "where platform = 'microsoft_ads'"
        ).fetchall()
    assert sorted(groups) == sorted(
        (str(g.ad_group_id), g.name, g.status, f"microsoft_ads:{g.campaign_id}")
        for g in data.ad_groups
    )
    suffixes = {g.ad_group_id: g.final_url_suffix for g in data.ad_groups}
    assert sorted(ads) == sorted(
        (
            str(ad.ad_id),
            f"microsoft_ads:{ad.ad_group_id}",
            ad.status,
            False,
            ad.final_url,
            ad.final_url,  # no query in the world's URLs: the UTMs are in the suffix
            suffixes[ad.ad_group_id],
            ad.tracking_url_template,
        )
        for ad in data.ads
    )
    assert all(url.startswith("https://thinline.example/") for *_, url, _, _, _ in ads)
