"""The Google Ads stand-in's landing_page_view: the ads' metrics per final URL, split by campaign,
ad group and day only when the query selects them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from sandbox import World
from tests.sandbox.test_sandbox_google_ads_keywords import rows

GaqlRunner = Callable[..., httpx.Response]
PERIOD = "segments.date BETWEEN '2026-01-01' AND '2026-03-31'"


def cost(row: dict[str, Any]) -> int:
    return int(row["metrics"].get("costMicros", "0"))  # zero metrics are absent


def test_pages_per_ad_group_and_day_are_their_ads_metrics(gaql: GaqlRunner, world: World) -> None:
    ads = world.google_ads
    customer = ads.customers[0]
    final_urls = {ad.ad_id: ad.final_url for ad in ads.ads}
    expected: defaultdict[tuple[str, str, str, str], int] = defaultdict(int)
    for metrics in ads.metrics:
        if metrics.customer_id == customer.customer_id and "2026-01-01" <= str(metrics.day) <= (
            "2026-03-31"
        ):
            page = final_urls[metrics.ad_id]
            key = (page, str(metrics.campaign_id), str(metrics.ad_group_id), str(metrics.day))
            expected[key] += metrics.cost_micros
    served = rows(
        gaql(
            customer.customer_id,
            "SELECT customer.id, campaign.id, ad_group.id, landing_page_view.unexpanded_final_url, "
            f"segments.date, metrics.cost_micros FROM landing_page_view WHERE {PERIOD}",
        )
    )
    got = {
        (
            row["landingPageView"]["unexpandedFinalUrl"],
            row["campaign"]["id"],
            row["adGroup"]["id"],
            row["segments"]["date"],
        ): cost(row)
        for row in served
    }
    assert len(got) == len(served)  # one row per page, ad group and day
    assert got == dict(expected) != {}
    name = served[0]["landingPageView"]["resourceName"]
    assert name.startswith(f"customers/{customer.customer_id}/landingPageViews/")
    assert name.rpartition("/")[2].isdigit()  # a fingerprint, not the URL


def test_without_segmenting_fields_a_page_is_one_row(gaql: GaqlRunner, world: World) -> None:
    """customer is attributed, not segmenting: a page's row sums every campaign and day."""
    customer = world.google_ads.customers[0]
    by_group = rows(
        gaql(
            customer.customer_id,
            "SELECT ad_group.id, landing_page_view.unexpanded_final_url, metrics.cost_micros "
            "FROM landing_page_view",
        )
    )
    by_page = rows(
        gaql(
            customer.customer_id,
            "SELECT customer.id, landing_page_view.unexpanded_final_url, metrics.cost_micros "
            "FROM landing_page_view",
        )
    )
    summed: defaultdict[str, int] = defaultdict(int)
    for row in by_group:
        summed[row["landingPageView"]["unexpandedFinalUrl"]] += cost(row)
    pages = {row["landingPageView"]["unexpandedFinalUrl"]: cost(row) for row in by_page}
    assert len(pages) == len(by_page) <= len(by_group)
    assert pages == dict(summed)


@pytest.mark.parametrize(
    "query, error_code",
    [
        (
            "SELECT ad_group_ad.ad.id, landing_page_view.unexpanded_final_url "
            "FROM landing_page_view",
            "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE",
        ),
        (
            "SELECT landing_page_view.unexpanded_final_url FROM keyword_view",
            "PROHIBITED_FIELD_IN_SELECT_CLAUSE",
        ),
        (
            "SELECT landing_page_view.unexpanded_final_url, segments.date FROM landing_page_view",
            "EXPECTED_FILTERS_ON_DATE_RANGE",
        ),
    ],
)
def test_landing_page_views_reject_what_they_cannot_serve(
    gaql: GaqlRunner, world: World, query: str, error_code: str
) -> None:
    response = gaql(world.google_ads.customers[0].customer_id, query)
    assert response.status_code == 400, response.text
    failure = response.json()[0]["error"]["details"][0]
    assert failure["errors"][0]["errorCode"] == {"queryError": error_code}
