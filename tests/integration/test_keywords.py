"""Keywords and search terms on the shared nightly run (`published_company`): a search
campaign's keywords add up to its spend, search terms to at most their keyword's, and the
marts gate reconciled both with raw."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

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


def test_the_marts_gate_reconciled_keywords_and_search_terms(published_company) -> None:
    (rules,) = one(
        published_company["url"],
        "select array_agg(distinct rule order by rule) from ops.quality_results "
        "where (rule like 'MART-KW-%' or rule like 'MART-ST-%') and passed",
    )
    assert rules == ["MART-KW-001", "MART-KW-002", "MART-ST-001", "MART-ST-002"]
