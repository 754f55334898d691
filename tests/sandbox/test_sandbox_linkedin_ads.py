"""The LinkedIn Ads stand-in: Rest.li 2.0 adAnalytics (no paging, 15k cap), finders, headers,
OAuth refresh and its errors; and the synthetic LinkedIn data behind it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox import DemoSources, Faults, World, WorldConfig, build_world
from sandbox.linkedin_ads_data import RESTATEMENT_DAYS
from sandbox.linkedin_ads_server import SUNSETS, LinkedInAdsServer, parse_restli

FIELDS = (
    "dateRange,pivotValues,impressions,clicks,costInLocalCurrency,costInUsd,"
    "externalWebsiteConversions,oneClickLeads"
)
ERROR_KEYS = {"status", "serviceErrorCode", "code", "message"}
DAY = date(2026, 12, 5)


def newest_live(server: LinkedInAdsServer) -> str:
    return max(version for version in SUNSETS if server.is_live(version))


def headers(server: LinkedInAdsServer, **overrides: str | None) -> dict[str, str]:
    sent = {
        "Authorization": f"Bearer {server.credentials.access_token}",
        "LinkedIn-Version": newest_live(server),
        "X-Restli-Protocol-Version": "2.0.0",
        **overrides,
    }
    return {name: value for name, value in sent.items() if value is not None}


def analytics_url(world: World, first: date, last: date, fields: str = FIELDS) -> str:
    def restli(day: date) -> str:
        return f"(year:{day.year},month:{day.month},day:{day.day})"

    account = world.linkedin_ads.account.account_id
    return (
        "/rest/adAnalytics?q=analytics&pivot=CREATIVE&timeGranularity=DAILY"
        f"&dateRange=(start:{restli(first)},end:{restli(last)})"
        f"&accounts=List(urn%3Ali%3AsponsoredAccount%3A{account})&fields={fields}"
    )


@pytest.fixture(scope="module")
def linkedin(sources: DemoSources) -> Iterator[httpx.Client]:
    server = sources.linkedin_ads
    assert server is not None
    with httpx.Client(base_url=server.url, headers=headers(server)) as client:
        yield client


def elements(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"paging", "elements"}  # no metadata.nextPageToken: no paging
    return body["elements"]


def test_serve_exposes_linkedin_settings(sources: DemoSources, world: World) -> None:
    server = sources.linkedin_ads
    assert server is not None
    env = sources.env
    assert env["THINLINE_LINKEDIN_ADS__BASE_URL"] == server.url
    assert env["THINLINE_LINKEDIN_ADS__TOKEN_URL"] == server.url + "/oauth/v2/accessToken"
    assert env["THINLINE_LINKEDIN_ADS__ACCOUNT_IDS"] == str(world.linkedin_ads.account.account_id)


def test_daily_creative_elements_match_truth(linkedin: httpx.Client, world: World) -> None:
    served = elements(linkedin.get(analytics_url(world, date(2026, 1, 1), date(2026, 3, 31))))
    truth = {
        (r["ad_id"], r["date"]): r
        for r in world.truth()["ad_spend"]
        if r["platform"] == "linkedin_ads"
    }
    assert len(served) == len(truth) > 500
    for element in served:
        span = element["dateRange"]
        assert span["start"] == span["end"]
        (pivot,) = element["pivotValues"]
        assert pivot.startswith("urn:li:sponsoredCreative:")
        day = date(**span["start"]).isoformat()
        expected = truth[pivot.rsplit(":", 1)[1], day]
        assert isinstance(element["costInLocalCurrency"], str)
        assert Decimal(element["costInLocalCurrency"]) == Decimal(expected["spend"])
        assert Decimal(expected["spend"]) * 1_000_000 == expected["cost_micros"]
        assert isinstance(element["costInUsd"], str) and isinstance(element["impressions"], int)
        assert element["impressions"] == expected["impressions"]
        assert element["clicks"] == expected["clicks"]
        assert element["externalWebsiteConversions"] == expected["conversions"]
        assert element["oneClickLeads"] == expected["leads"]
    assert any(len(e["costInLocalCurrency"].split(".")[-1]) > 10 for e in served), "long tails"


def test_response_is_truncated_silently_at_the_cap(world: World) -> None:
    with LinkedInAdsServer(world, element_cap=40) as server:
        url = analytics_url(world, date(2026, 1, 1), date(2026, 1, 31))
        response = httpx.get(server.url + url, headers=headers(server))
    assert response.status_code == 200
    assert len(elements(response)) == 40  # a month holds far more: cut without a word


def test_fields_and_parameters_are_checked(linkedin: httpx.Client, world: World) -> None:
    first = date(2026, 1, 5)
    too_many = ",".join(["dateRange", "pivotValues", *["impressions"] * 19])
    for url in (
        analytics_url(world, first, first, too_many),
        analytics_url(world, first, first, "dateRange,spend"),
        analytics_url(world, first, first).replace("q=analytics", "q=statistics"),
        analytics_url(world, first, first).replace("(start:", "(begin:"),
    ):
        response = linkedin.get(url)
        assert response.status_code == 400, url
        assert set(response.json()) == ERROR_KEYS
    fields = elements(linkedin.get(analytics_url(world, first, first, "pivotValues,clicks")))
    assert fields and all(set(e) == {"pivotValues", "clicks"} for e in fields)


@pytest.mark.parametrize(
    "override, status, code",
    [
        ({"LinkedIn-Version": None}, 400, "VERSION_MISSING"),
        ({"LinkedIn-Version": "202506"}, 426, "NONEXISTENT_VERSION"),
        ({"X-Restli-Protocol-Version": None}, 400, "ILLEGAL_ARGUMENT"),
        ({"Authorization": None}, 401, "INVALID_ACCESS_TOKEN"),
        ({"Authorization": "Bearer nope"}, 401, "INVALID_ACCESS_TOKEN"),
    ],
)
def test_required_headers(
    sources: DemoSources, world: World, override: dict[str, str | None], status: int, code: str
) -> None:
    server = sources.linkedin_ads
    assert server is not None
    url = server.url + analytics_url(world, date(2026, 1, 5), date(2026, 1, 5))
    response = httpx.get(url, headers=headers(server, **override))
    assert response.status_code == status
    body = response.json()
    # LinkedIn's 426 carries no serviceErrorCode (see the stand-in's docstring)
    keys = ERROR_KEYS - {"serviceErrorCode"} if status == 426 else ERROR_KEYS
    assert set(body) == keys and (body["status"], body["code"]) == (status, code)


def test_finders_page_with_next_page_token(linkedin: httpx.Client, world: World) -> None:
    account = world.linkedin_ads.account.account_id
    seen, params, pages = [], {"q": "search", "pageSize": "2"}, 0
    while True:
        body = linkedin.get(f"/rest/adAccounts/{account}/adCampaigns", params=params).json()
        seen += [campaign["id"] for campaign in body["elements"]]
        pages += 1
        if "nextPageToken" not in body["metadata"]:
            break
        params = {**params, "pageToken": body["metadata"]["nextPageToken"]}
    assert seen == [c.campaign_id for c in world.linkedin_ads.campaigns]
    assert pages == (len(seen) + 1) // 2
    archived = linkedin.get(
        f"/rest/adAccounts/{account}/adCampaigns",
        params={"q": "search", "search": "(status:(values:List(ARCHIVED)))"},
    ).json()["elements"]
    assert [c["status"] for c in archived] == ["ARCHIVED"]

    creatives = f"/rest/adAccounts/{account}/creatives?q=criteria"
    assert linkedin.get(creatives).status_code == 400  # needs X-RestLi-Method: FINDER
    found = linkedin.get(creatives, headers={"X-RestLi-Method": "FINDER"}).json()["elements"]
    assert len(found) == len(world.linkedin_ads.creatives)
    assert found[0]["id"].startswith("urn:li:sponsoredCreative:")
    # Text Ads: the landing page is the creative's own content.textAd.landingPage
    landing = {c.creative_id: c.landing_page for c in world.linkedin_ads.creatives}
    for creative in found:
        text_ad = creative["content"]["textAd"]
        assert text_ad["landingPage"] == landing[int(creative["id"].rsplit(":", 1)[1])]
        assert text_ad["landingPage"].startswith("https://thinline.example/")
        assert len(text_ad["headline"]) <= 25 and len(text_ad["description"]) <= 75
    assert (
        linkedin.get(
            creatives + "&pageToken=bad", headers={"X-RestLi-Method": "FINDER"}
        ).status_code
        == 400
    )


def test_refresh_grant_and_expired_tokens(world: World) -> None:
    with LinkedInAdsServer(world, faults=Faults(expired_tokens=1)) as server:
        url = server.url + f"/rest/adAccounts/{world.linkedin_ads.account.account_id}"
        expired = httpx.get(url, headers=headers(server))
        again = httpx.get(url, headers=headers(server))  # the token stays revoked
        credentials = server.credentials
        form = {
            "grant_type": "refresh_token",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "refresh_token": credentials.refresh_token,
        }
        granted = httpx.post(server.url + "/oauth/v2/accessToken", data=form)
        token = granted.json()["access_token"]
        fresh = httpx.get(url, headers=headers(server, Authorization=f"Bearer {token}"))
        refused = httpx.post(
            server.url + "/oauth/v2/accessToken", data={**form, "refresh_token": "nope"}
        )
    assert (expired.status_code, expired.json()["code"]) == (401, "EXPIRED_ACCESS_TOKEN")
    assert again.status_code == 401
    assert set(granted.json()) >= {"access_token", "expires_in", "refresh_token", "scope"}
    assert fresh.status_code == 200 and fresh.json()["currency"] in ("USD", "EUR")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"


def test_throttles_short_and_daily(world: World) -> None:
    with LinkedInAdsServer(world, faults=Faults(rate_limit=1, retry_after_seconds=2)) as server:
        url = server.url + f"/rest/adAccounts/{world.linkedin_ads.account.account_id}"
        limited = httpx.get(url, headers=headers(server))
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert limited.json()["serviceErrorCode"] == 101
    with LinkedInAdsServer(world, faults=Faults(daily_quota_exhausted=True)) as server:
        daily = httpx.get(url.replace(url.split("/rest")[0], server.url), headers=headers(server))
    assert daily.status_code == 429 and " DAY limit" in daily.json()["message"]


def test_restli_values_parse() -> None:
    assert parse_restli("(start:(year:2026,month:1,day:2),end:(year:2026,month:1,day:3))") == {
        "start": {"year": "2026", "month": "1", "day": "2"},
        "end": {"year": "2026", "month": "1", "day": "3"},
    }
    assert parse_restli("List(urn:li:sponsoredAccount:1,urn:li:sponsoredAccount:2)") == [
        "urn:li:sponsoredAccount:1",
        "urn:li:sponsoredAccount:2",
    ]
    assert parse_restli("(status:(values:List(ACTIVE,PAUSED)))") == {
        "status": {"values": ["ACTIVE", "PAUSED"]}
    }


def test_a_later_end_only_restates_recent_conversions() -> None:
    early = build_world(WorldConfig(end=date(2026, 2, 15))).linkedin_ads
    late = {(r.creative_id, r.day): r for r in build_world(WorldConfig()).linkedin_ads.analytics}
    settled = date(2026, 2, 15) - timedelta(days=RESTATEMENT_DAYS)
    restated = 0
    for row in early.analytics:
        final = late[row.creative_id, row.day]
        assert (row.cost_micros, row.impressions, row.clicks, row.leads) == (
            final.cost_micros,
            final.impressions,
            final.clicks,
            final.leads,
        )
        if row.day <= settled:
            assert row.conversions == final.conversions
        else:
            assert row.conversions <= final.conversions
            restated += row.conversions != final.conversions
    assert restated > 0


def test_paid_clicks_carry_a_linkedin_click_id(world: World) -> None:
    data = world.linkedin_ads
    clicks = data.paid_clicks
    creatives = {c.creative_id: c for c in data.creatives}
    assert 10 <= len(clicks) <= 200
    assert len({c.click_id for c in clicks}) == len(clicks)
    for click in clicks:
        assert click.platform == "linkedin_ads" and len(click.click_id) == 36
        assert creatives[click.creative_id].campaign_id == click.campaign_id
        assert click.account_id == data.account.account_id
        assert click.at_ms // 86_400_000 == (click.day - date(1970, 1, 1)).days


def test_versions_live_and_sunset_by_linkedins_table_at_api_today(world: World) -> None:
    url = f"/rest/adAccounts/{world.linkedin_ads.account.account_id}"
    with LinkedInAdsServer(world, api_today=DAY) as server:
        answers = {
            version: httpx.get(
                server.url + url, headers=headers(server, **{"LinkedIn-Version": version})
            )
            for version in ("202603", "202607", "202511", "202512", "202608")
        }
        assert newest_live(server) == "202607"
    with LinkedInAdsServer(world, api_today=date(2026, 11, 15)) as server:
        day_before = httpx.get(
            server.url + url, headers=headers(server, **{"LinkedIn-Version": "202511"})
        )
    assert answers["202603"].status_code == answers["202607"].status_code == 200
    assert day_before.status_code == 200
    assert answers["202511"].status_code == 426
    assert answers["202511"].json() == {
        "status": 426,
        "code": "NONEXISTENT_VERSION",
        "message": "Requested version 20251101 is not active",
    }
    for version in ("202512", "202608"):  # never a Marketing version / not in the table
        assert answers[version].json()["code"] == "NONEXISTENT_VERSION"


@pytest.mark.parametrize(
    "finder, query, largest",
    [
        ("creatives", "criteria", 100),
        ("adCampaigns", "search", 1000),
        ("adCampaignGroups", "search", 1000),
    ],
)
def test_each_finder_refuses_a_page_larger_than_linkedin_allows(
    linkedin: httpx.Client, world: World, finder: str, query: str, largest: int
) -> None:
    url = f"/rest/adAccounts/{world.linkedin_ads.account.account_id}/{finder}"
    finder_header = {"X-RestLi-Method": "FINDER"}
    fits = linkedin.get(url, params={"q": query, "pageSize": largest}, headers=finder_header)
    too_big = linkedin.get(url, params={"q": query, "pageSize": largest + 1}, headers=finder_header)
    default = linkedin.get(url, params={"q": query}, headers=finder_header)
    assert fits.status_code == 200 and default.status_code == 200
    assert too_big.status_code == 400 and set(too_big.json()) == ERROR_KEYS
    assert f"between 1 and {largest}" in too_big.json()["message"]


def test_reporting_needs_the_r_ads_reporting_scope(world: World) -> None:
    with LinkedInAdsServer(world, scopes=["r_ads"]) as server:
        day = date(2026, 1, 5)
        report = httpx.get(server.url + analytics_url(world, day, day), headers=headers(server))
        account = httpx.get(
            f"{server.url}/rest/adAccounts/{world.linkedin_ads.account.account_id}",
            headers=headers(server),
        )
    assert account.status_code == 200
    assert report.status_code == 403 and report.json()["serviceErrorCode"] == 100
