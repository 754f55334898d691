"""The Google Ads stand-in's keyword_view and search_term_view: splits of the ad group metrics."""

from __future__ import annotations

import base64
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from sandbox import World
from sandbox.gaql import parse
from sandbox.google_ads_data import (
    MATCH_TYPES,
    PRIVACY_IMPRESSIONS,
    RESTATEMENT_DAYS,
    build_google_ads,
)
from sandbox.google_ads_report import run

GaqlRunner = Callable[..., httpx.Response]
Totals = tuple[int, int, int, float, float]
METRICS = "metrics.cost_micros, metrics.impressions, metrics.clicks, metrics.conversions, " + (
    "metrics.conversions_value"
)
PERIOD = "segments.date BETWEEN '2026-01-01' AND '2026-03-31'"
AD_GROUP_QUERY = (
    "SELECT campaign.id, campaign.advertising_channel_type, ad_group.id, segments.date, "
    f"{METRICS} FROM ad_group WHERE {PERIOD}"
)
KEYWORD_QUERY = (
    "SELECT customer.id, customer.currency_code, campaign.id, campaign.name, ad_group.id, "
    "ad_group.name, ad_group_criterion.criterion_id, ad_group_criterion.keyword.text, "
    "ad_group_criterion.keyword.match_type, ad_group_criterion.quality_info.quality_score, "
    f"segments.date, {METRICS} FROM keyword_view WHERE {PERIOD}"
)
SEARCH_TERM_QUERY = (
    "SELECT customer.id, customer.currency_code, campaign.id, campaign.name, ad_group.id, "
    "ad_group.name, search_term_view.search_term, search_term_view.status, "
    "segments.keyword.ad_group_criterion, segments.keyword.info.text, "
    f"segments.keyword.info.match_type, segments.date, {METRICS} FROM search_term_view "
    f"WHERE {PERIOD}"
)


def rows(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return [row for batch in response.json() for row in batch.get("results", [])]


def totals(row: dict[str, Any]) -> Totals:
    """A row's metrics; zero metrics are absent, int64s strings and doubles numbers."""
    metrics = row["metrics"]
    return (
        int(metrics.get("costMicros", "0")),
        int(metrics.get("impressions", "0")),
        int(metrics.get("clicks", "0")),
        metrics.get("conversions", 0.0),
        metrics.get("conversionsValue", 0.0),
    )


def add(into: dict[Any, list[float]], key: Any, values: Totals) -> None:
    sums = into.setdefault(key, [0, 0, 0, 0.0, 0.0])
    for index, value in enumerate(values):
        sums[index] += value


@pytest.fixture(scope="module")
def served(gaql: GaqlRunner, world: World) -> dict[str, list[dict[str, Any]]]:
    """Every client account's ad group, keyword and search term rows of the whole period."""
    result: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for customer in world.google_ads.customers:
        for name, query in (
            ("ad_group", AD_GROUP_QUERY),
            ("keyword", KEYWORD_QUERY),
            ("search_term", SEARCH_TERM_QUERY),
        ):
            result[name] += rows(gaql(customer.customer_id, query))
    return result


def test_keywords_add_up_exactly_to_their_search_ad_group_each_day(
    served: dict[str, list[dict[str, Any]]],
) -> None:
    expected: dict[tuple[str, str], list[float]] = {}
    for row in served["ad_group"]:
        if row["campaign"]["advertisingChannelType"] == "SEARCH":
            add(expected, (row["adGroup"]["id"], row["segments"]["date"]), totals(row))
    keywords: dict[tuple[str, str], list[float]] = {}
    for row in served["keyword"]:
        add(keywords, (row["adGroup"]["id"], row["segments"]["date"]), totals(row))
        assert any(totals(row)), "all-zero keyword rows are not returned"
    assert keywords == expected and expected


def test_only_search_campaigns_have_keywords(
    served: dict[str, list[dict[str, Any]]], world: World
) -> None:
    channel = {str(c.campaign_id): c.channel for c in world.google_ads.campaigns}
    with_keywords = {row["campaign"]["id"] for row in served["keyword"]}
    with_terms = {row["campaign"]["id"] for row in served["search_term"]}
    assert {channel[c] for c in with_keywords | with_terms} == {"SEARCH"}
    with_spend: dict[str, set[str]] = defaultdict(set)
    for row in served["ad_group"]:
        with_spend[row["campaign"]["advertisingChannelType"]].add(row["campaign"]["id"])
    # the small world's other channel is DISPLAY; PERFORMANCE_MAX comes with more campaigns
    assert with_spend["DISPLAY"], "display spend to leave out"
    assert with_keywords == with_spend["SEARCH"]


def test_a_larger_world_leaves_performance_max_out_too(world: World) -> None:
    """The small world has no PMax campaign; one with six campaigns per account has."""
    data = build_google_ads(replace(world.config, scale=2.5))
    channel = {c.campaign_id: c.channel for c in data.campaigns}
    spent = {channel[m.campaign_id] for m in data.metrics}
    assert {"DISPLAY", "PERFORMANCE_MAX"} <= spent
    for customer in data.customers:
        for query in (KEYWORD_QUERY, SEARCH_TERM_QUERY):
            served = run(data, customer, parse(query))
            assert served and {channel[int(r["campaign"]["id"])] for r in served} == {"SEARCH"}


def test_search_terms_add_up_to_at_most_their_keyword_and_hide_rare_ones(
    served: dict[str, list[dict[str, Any]]], world: World
) -> None:
    keywords: dict[tuple[str, str], list[float]] = {}
    for row in served["keyword"]:
        key = (row["adGroupCriterion"]["resourceName"], row["segments"]["date"])
        add(keywords, key, totals(row))
    terms: dict[tuple[str, str], list[float]] = {}
    for row in served["search_term"]:
        assert totals(row)[1] >= PRIVACY_IMPRESSIONS
        key = (row["segments"]["keyword"]["adGroupCriterion"], row["segments"]["date"])
        add(terms, key, totals(row))
    assert terms.keys() <= keywords.keys()
    for key, sums in terms.items():
        assert all(part <= whole for part, whole in zip(sums, keywords[key], strict=True)), key
    short = [key for key, sums in terms.items() if sums[1] < keywords[key][1]]
    assert short, "some search terms fall under the privacy threshold"
    hidden = [
        m for m in world.google_ads.search_term_metrics if m.impressions < PRIVACY_IMPRESSIONS
    ]
    assert hidden and len(served["search_term"]) == len(world.google_ads.search_term_metrics) - len(
        hidden
    )


def test_keyword_rows_have_googles_json_shape(served: dict[str, list[dict[str, Any]]]) -> None:
    scored = set()
    for row in served["keyword"]:
        customer, group = row["customer"]["id"], row["adGroup"]["id"]
        criterion = row["adGroupCriterion"]
        keyword_id = criterion["criterionId"]
        assert isinstance(keyword_id, str) and keyword_id.isdigit()
        assert row["customer"] == {
            "resourceName": f"customers/{customer}",
            "id": customer,
            "currencyCode": row["customer"]["currencyCode"],
        }
        assert row["keywordView"] == {
            "resourceName": f"customers/{customer}/keywordViews/{group}~{keyword_id}"
        }
        assert criterion["resourceName"] == (
            f"customers/{customer}/adGroupCriteria/{group}~{keyword_id}"
        )
        assert criterion["keyword"]["text"] == criterion["keyword"]["text"].lower()
        assert criterion["keyword"]["matchType"] in MATCH_TYPES
        score = criterion.get("qualityInfo", {}).get("qualityScore")
        assert score is None or (isinstance(score, int) and 1 <= score <= 10)
        scored.add(score is not None)
        assert row["adGroup"]["resourceName"] == f"customers/{customer}/adGroups/{group}"
        metrics = row["metrics"]
        assert all(isinstance(metrics[m], str) for m in ("impressions",))
        assert all(isinstance(v, float) for k, v in metrics.items() if k.startswith("conv"))
        assert 0 not in metrics.values() and "0" not in metrics.values()
    assert scored == {True, False}, "some keywords have no quality score"


def test_search_term_rows_have_googles_json_shape(
    served: dict[str, list[dict[str, Any]]],
) -> None:
    statuses = set()
    for row in served["search_term"]:
        customer, campaign, group = (
            row["customer"]["id"],
            row["campaign"]["id"],
            row["adGroup"]["id"],
        )
        view = row["searchTermView"]
        name = re.fullmatch(
            rf"customers/{customer}/searchTermViews/{campaign}~{group}~([A-Za-z0-9_-]+)",
            view["resourceName"],
        )
        assert name, view["resourceName"]
        encoded = name[1]
        padded = encoded + "=" * (-len(encoded) % 4)
        assert base64.urlsafe_b64decode(padded).decode() == view["searchTerm"]
        statuses.add(view["status"])
        keyword = row["segments"]["keyword"]
        assert re.fullmatch(
            rf"customers/{customer}/adGroupCriteria/{group}~\d+", keyword["adGroupCriterion"]
        )
        assert keyword["info"]["matchType"] in MATCH_TYPES and keyword["info"]["text"]
        assert isinstance(row["metrics"]["impressions"], str)
        assert set(row) == {
            "searchTermView",
            "customer",
            "campaign",
            "adGroup",
            "metrics",
            "segments",
        }
    assert statuses == {"NONE", "ADDED", "EXCLUDED"}


def test_keyword_views_sum_days_without_segments_date(gaql: GaqlRunner, world: World) -> None:
    customer_id = world.google_ads.customers[0].customer_id
    daily: dict[str, list[float]] = {}
    for row in rows(gaql(customer_id, KEYWORD_QUERY)):
        add(daily, row["adGroupCriterion"]["criterionId"], totals(row))
    summed = rows(
        gaql(customer_id, f"SELECT ad_group_criterion.criterion_id, {METRICS} FROM keyword_view")
    )
    assert {r["adGroupCriterion"]["criterionId"]: list(totals(r)) for r in summed} == daily
    one_day = rows(
        gaql(
            customer_id,
            "SELECT search_term_view.search_term, segments.date, metrics.impressions "
            "FROM search_term_view WHERE segments.date = '2026-03-02'",
        )
    )
    assert one_day and {r["segments"]["date"] for r in one_day} == {"2026-03-02"}


def test_ad_metrics_are_still_the_worlds_ad_days(gaql: GaqlRunner, world: World) -> None:
    """Keywords split the ad groups' metrics; the ads' own numbers stay those of the world."""
    expected: dict[tuple[str, str], list[float]] = {}
    for m in world.google_ads.metrics:
        values = (m.cost_micros, m.impressions, m.clicks, m.conversions, m.conversions_value)
        add(expected, (str(m.ad_id), m.day.isoformat()), values)
    served: dict[tuple[str, str], list[float]] = {}
    query = f"SELECT ad_group_ad.ad.id, segments.date, {METRICS} FROM ad_group_ad WHERE {PERIOD}"
    for customer in world.google_ads.customers:
        for row in rows(gaql(customer.customer_id, query)):
            add(served, (row["adGroupAd"]["ad"]["id"], row["segments"]["date"]), totals(row))
    assert served == expected


def test_a_later_end_keeps_keywords_and_their_settled_days(world: World) -> None:
    config = world.config
    later = build_google_ads(replace(config, end=config.end + timedelta(days=14)))
    now = world.google_ads
    assert later.keywords == now.keywords and later.search_terms == now.search_terms
    settled = config.end - timedelta(days=RESTATEMENT_DAYS)
    for name in ("keyword_metrics", "search_term_metrics"):
        before = [m for m in getattr(now, name) if m.day <= settled]
        assert [m for m in getattr(later, name) if m.day <= settled] == before


@pytest.mark.parametrize(
    "query, error_code",
    [
        ("SELECT click_view.gclid FROM keyword_view", "PROHIBITED_FIELD_IN_SELECT_CLAUSE"),
        (
            "SELECT segments.keyword.info.text FROM keyword_view",
            "PROHIBITED_FIELD_IN_SELECT_CLAUSE",
        ),
        (
            "SELECT ad_group_criterion.criterion_id FROM search_term_view",
            "PROHIBITED_FIELD_IN_SELECT_CLAUSE",
        ),
        (
            "SELECT ad_group_criterion.criterion_id FROM ad_group",
            "PROHIBITED_FIELD_IN_SELECT_CLAUSE",
        ),
        (
            "SELECT ad_group_ad.ad.id FROM keyword_view",
            "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE",
        ),
        ("SELECT keyword_view.nope FROM keyword_view", "UNRECOGNIZED_FIELD"),
        (
            "SELECT search_term_view.search_term, segments.date FROM search_term_view",
            "EXPECTED_FILTERS_ON_DATE_RANGE",
        ),
    ],
)
def test_keyword_views_reject_what_they_cannot_serve(
    gaql: GaqlRunner, world: World, query: str, error_code: str
) -> None:
    response = gaql(world.google_ads.customers[0].customer_id, query)
    assert response.status_code == 400, response.text
    failure = response.json()[0]["error"]["details"][0]
    assert failure["errors"][0]["errorCode"] == {"queryError": error_code}


def test_the_manager_has_no_keyword_metrics(gaql: GaqlRunner, world: World) -> None:
    response = gaql(world.google_ads.manager.customer_id, KEYWORD_QUERY)
    assert response.status_code == 400
    failure = response.json()[0]["error"]["details"][0]
    assert failure["errors"][0]["errorCode"] == {"queryError": "REQUESTED_METRICS_FOR_MANAGER"}


def test_a_search_click_names_a_keyword_of_its_own_ad_group(world: World) -> None:
    """``click_view.keyword``: search clicks only, one of the ad group's keywords."""
    data = world.google_ads
    channel = {c.campaign_id: c.channel for c in data.campaigns}
    keywords = {(k.ad_group_id, k.criterion_id): k for k in data.keywords}
    query = (
        "SELECT click_view.gclid, click_view.keyword, click_view.keyword_info.text, "
        "click_view.keyword_info.match_type, campaign.id, ad_group.id FROM click_view "
        "WHERE segments.date = '{day}'"
    )
    seen = {"SEARCH": 0, "other": 0}
    for click in data.paid_clicks:
        customer = data.customer(click.customer_id)
        assert customer is not None
        (row,) = [
            r
            for r in run(data, customer, parse(query.format(day=click.day.isoformat())))
            if r["clickView"]["gclid"] == click.gclid
        ]
        named = row["clickView"].get("keyword")
        if channel[click.campaign_id] == "SEARCH":
            seen["SEARCH"] += 1
            match = re.fullmatch(
                rf"customers/{click.customer_id}/adGroupCriteria/(\d+)~(\d+)", named
            )
            assert match and int(match[1]) == click.ad_group_id
            keyword = keywords[(click.ad_group_id, int(match[2]))]
            info = row["clickView"]["keywordInfo"]
            assert (info["text"], info["matchType"]) == (keyword.text, keyword.match_type)
        else:
            seen["other"] += 1
            assert named is None and "keywordInfo" not in row["clickView"]
    assert seen["SEARCH"] > 0 and seen["other"] > 0
