"""The Meta Ads stand-in: Graph API objects and insights (string metrics, cursor paging), its
400-coded rate limits with usage headers, and a world whose recent actions are restated."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox import DemoSources, Faults, World, WorldConfig, build_world
from sandbox.meta_ads_data import LEAD, PURCHASE, RESTATEMENT_DAYS
from sandbox.meta_ads_server import APP_SECRET, MetaAdsServer, app_secret_proof

LIVE = "v27.0"  # Meta has set no expiry for it yet
DAY = date(2026, 12, 5)

FIELDS = (
    "account_id,account_currency,campaign_id,adset_id,ad_id,spend,impressions,clicks,reach,"
    "actions,action_values"
)


@pytest.fixture(scope="module")
def graph(sources: DemoSources) -> Iterator[httpx.Client]:
    server = sources.meta_ads
    assert server is not None
    headers = {"Authorization": f"Bearer {server.token}"}
    with httpx.Client(base_url=server.url, headers=headers) as client:
        yield client


def accounts(world: World) -> list[int]:
    return [account.account_id for account in world.meta_ads.accounts]


def insights_params(since: str, until: str, **extra: Any) -> dict[str, Any]:
    time_range = json.dumps({"since": since, "until": until})
    return {"level": "ad", "time_increment": 1, "time_range": time_range, **extra}


def all_pages(client: httpx.Client, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Follow ``paging.next`` (absolute URLs) to the end, checking the page shape."""
    rows: list[dict[str, Any]] = []
    response = client.get(url, params=params)
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        rows += page["data"]
        if "next" not in page.get("paging", {}):
            return rows
        assert page["paging"]["cursors"]["after"] in page["paging"]["next"]
        response = client.get(page["paging"]["next"])


def action(row: dict[str, Any], kind: str, key: str = "actions") -> int:
    return sum(int(a["value"]) for a in row.get(key, []) if a["action_type"] == kind)


def test_ad_account_object_has_the_requested_fields(graph: httpx.Client, world: World) -> None:
    for account in world.meta_ads.accounts:
        response = graph.get(
            f"/{LIVE}/act_{account.account_id}", params={"fields": "name,currency,timezone_name"}
        )
        assert response.json() == {
            "id": f"act_{account.account_id}",
            "name": account.name,
            "currency": account.currency,
            "timezone_name": account.timezone_name,
        }
        usage = json.loads(response.headers["x-business-use-case-usage"])
        assert usage[str(account.account_id)][0]["estimated_time_to_regain_access"] == 0
    assert {account.currency for account in world.meta_ads.accounts} == {"USD", "GBP"}


def test_insights_are_string_metrics_per_ad_and_day_matching_truth(
    graph: httpx.Client, world: World
) -> None:
    truth = {
        (r["ad_id"], r["date"]): r for r in world.truth()["ad_spend"] if r["platform"] == "meta_ads"
    }
    served: dict[tuple[str, str], dict[str, Any]] = {}
    for account_id in accounts(world):
        url = f"/{LIVE}/act_{account_id}/insights"
        params = insights_params("2026-01-01", "2026-03-31", fields=FIELDS, limit=500)
        for row in all_pages(graph, url, params):
            assert row["date_start"] == row["date_stop"]
            assert all(isinstance(row[k], str) for k in ("spend", "impressions", "clicks", "reach"))
            assert re.fullmatch(r"\d+\.\d\d", row["spend"])
            assert "actions" not in row or row["actions"]  # absent rather than empty
            served[row["ad_id"], row["date_start"]] = row
    assert served.keys() == truth.keys()
    for key, row in served.items():
        expected = truth[key]
        assert row["spend"] == expected["spend"]
        assert Decimal(row["spend"]) * 1_000_000 == expected["cost_micros"]
        assert int(row["impressions"]) == expected["impressions"]
        assert int(row["clicks"]) == expected["clicks"]
        assert action(row, LEAD) == expected["leads"]
        assert action(row, PURCHASE) == expected["purchases"]
        assert action(row, PURCHASE, "action_values") == expected["conversions_value"]
        assert row["account_currency"] == expected["currency"]


def test_cursor_paging_with_a_small_limit_reaches_every_row(
    graph: httpx.Client, world: World
) -> None:
    account_id = accounts(world)[0]
    url = f"/{LIVE}/act_{account_id}/insights"
    small = all_pages(graph, url, insights_params("2026-02-01", "2026-02-03", limit=7))
    whole = graph.get(url, params=insights_params("2026-02-01", "2026-02-03", limit=5000)).json()
    assert "next" not in whole["paging"] and whole["paging"]["cursors"]["after"]
    assert small == whole["data"] and len(small) > 7
    assert set(small[0]) == {"spend", "impressions", "date_start", "date_stop"}  # the defaults
    empty = graph.get(url, params=insights_params("2025-01-01", "2025-01-31")).json()
    assert empty == {"data": []}


def test_campaigns_edge_hides_archived_and_deleted_unless_asked(
    graph: httpx.Client, world: World
) -> None:
    by_status: dict[str, set[str]] = {}
    for account_id in accounts(world):
        url = f"/{LIVE}/act_{account_id}/campaigns"
        default = all_pages(graph, url, {"fields": "name,status,objective"})
        statuses = json.dumps(["ACTIVE", "PAUSED", "ARCHIVED", "DELETED"])
        every = all_pages(
            graph, url, {"fields": "status", "effective_status": statuses, "limit": 2}
        )
        assert {row["status"] for row in default} <= {"ACTIVE", "PAUSED"}
        assert set(default[0]) == {"id", "name", "status", "objective"}
        for row in every:
            by_status.setdefault(row["status"], set()).add(row["id"])
    assert set(by_status) == {"ACTIVE", "PAUSED", "ARCHIVED", "DELETED"}
    assert sum(map(len, by_status.values())) == len(world.meta_ads.campaigns)
    ads = all_pages(graph, f"/{LIVE}/act_{accounts(world)[0]}/ads", {"fields": "adset_id,name"})
    assert ads and all({"id", "adset_id", "name"} == set(ad) for ad in ads)


def test_ads_edge_expands_each_ads_creative_with_its_link_and_url_tags(
    graph: httpx.Client, world: World
) -> None:
    fields = (
        "name,status,effective_status,campaign_id,"
        "creative{id,url_tags,object_story_spec{link_data{link}}}"
    )
    statuses = json.dumps(["ACTIVE", "PAUSED", "ARCHIVED", "DELETED", "CAMPAIGN_PAUSED"])
    served: dict[str, dict[str, Any]] = {}
    for account_id in accounts(world):
        url = f"/{LIVE}/act_{account_id}/ads"
        params = {"fields": fields, "effective_status": statuses, "limit": 5}
        served |= {ad["id"]: ad for ad in all_pages(graph, url, params)}
    assert len(served) == len(world.meta_ads.ads)
    for ad in world.meta_ads.ads:
        assert served[str(ad.ad_id)]["creative"] == {
            "id": str(ad.creative_id),
            "url_tags": ad.url_tags,
            "object_story_spec": {"link_data": {"link": ad.final_url}},
        }
        assert ad.final_url.startswith("https://thinline.example/") and "?" not in ad.final_url
    assert {row["effective_status"] for row in served.values()} >= {"ACTIVE", "ARCHIVED"}
    url = f"/{LIVE}/act_{accounts(world)[0]}/ads"
    bare = graph.get(url, params={"fields": "creative"}).json()["data"][0]
    assert set(bare) == {"id", "creative"} and set(bare["creative"]) == {"id"}
    whole = graph.get(url, params={"fields": "creative{object_story_spec}"}).json()["data"][0]
    assert set(whole["creative"]["object_story_spec"]) == {"page_id", "link_data"}
    for wrong in ("creative{link_typo}", "creative{id", "name{id}", "creative},name", "{id}"):
        error = graph.get(url, params={"fields": wrong}).json()["error"]
        assert error["code"] == 100, wrong


@pytest.mark.parametrize(
    "path, params, headers, status, code",
    [
        ("/{live}/act_{account}", {}, {"Authorization": ""}, 400, 104),
        ("/{live}/act_{account}", {"access_token": "EAABnope"}, {"Authorization": ""}, 401, 190),
        ("/{live}/act_999", {}, None, 400, 100),
        ("/{live}/act_{account}/campaigns", {"fields": "id,budget_typo"}, None, 400, 100),
        ("/{live}/act_{account}/insights", {"level": "ad", "time_increment": "1"}, None, 400, 100),
    ],
)
def test_errors_use_the_graph_envelope(
    graph: httpx.Client,
    world: World,
    path: str,
    params: dict[str, str],
    headers: dict[str, str] | None,
    status: int,
    code: int,
) -> None:
    url = path.format(account=accounts(world)[0], live=LIVE)
    response = graph.get(url, params=params, headers=headers)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error["type"] == "OAuthException"
    assert error["message"] and error["fbtrace_id"]


def test_a_query_over_too_many_rows_asks_to_reduce_the_data(world: World) -> None:
    with MetaAdsServer(world, max_rows=10) as server, httpx.Client(base_url=server.url) as client:
        url = f"/{LIVE}/act_{accounts(world)[0]}/insights"
        token = {"access_token": server.token}
        big = client.get(url, params=insights_params("2026-01-01", "2026-01-31", **token))
        small = client.get(url, params=insights_params("2026-01-01", "2026-01-01", **token))
    assert big.status_code == 400
    error = big.json()["error"]
    assert (error["code"], error["error_subcode"]) == (100, 1504018)
    assert "reduce the amount of data" in error["message"]
    assert small.status_code == 200 and small.json()["data"]


def test_faults_speak_metas_error_codes(world: World) -> None:
    faults = Faults(rate_limit=2, retry_after_seconds=120, server_errors=2, expired_tokens=1)
    with MetaAdsServer(world, faults=faults) as server, httpx.Client(base_url=server.url) as client:
        url = f"/{LIVE}/act_{accounts(world)[0]}/insights"
        params = insights_params("2026-01-01", "2026-01-01", access_token=server.token)
        answers = [client.get(url, params=params) for _ in range(5)]
        assert client.get(url, params=params).status_code == 200
    codes = [(r.status_code, r.json()["error"]["code"]) for r in answers]
    assert codes == [(400, 17), (400, 80004), (500, 1), (503, 2), (401, 190)]
    for limited in answers[:2]:
        assert limited.json()["error"]["error_subcode"] == 2446079
        usage = json.loads(limited.headers["x-business-use-case-usage"])
        (entry,) = next(iter(usage.values()))
        assert entry["type"] == "ads_insights" and entry["estimated_time_to_regain_access"] == 2
        assert json.loads(limited.headers["x-fb-ads-insights-throttle"])["acc_id_util_pct"] == 100
    assert answers[4].json()["error"]["error_subcode"] == 463


def test_daily_quota_is_the_long_non_transient_block(world: World) -> None:
    faults = Faults(daily_quota_exhausted=True)
    with MetaAdsServer(world, faults=faults) as server:
        response = httpx.get(
            f"{server.url}/{LIVE}/act_{accounts(world)[0]}", params={"access_token": server.token}
        )
    error = response.json()["error"]
    assert response.status_code == 400
    assert (error["code"], error["error_subcode"], error["is_transient"]) == (17, 2446079, False)
    usage = json.loads(response.headers["x-business-use-case-usage"])
    assert next(iter(usage.values()))[0]["estimated_time_to_regain_access"] == 60


def test_a_later_end_keeps_delivery_and_restates_recent_actions() -> None:
    early = build_world(WorldConfig(end=date(2026, 2, 15))).meta_ads
    late = build_world(WorldConfig(end=date(2026, 3, 31))).meta_ads
    final = {(r.ad_id, r.day): r for r in late.insights}
    settled = date(2026, 2, 15) - timedelta(days=RESTATEMENT_DAYS)
    restated = 0
    for row in early.insights:
        later = final[row.ad_id, row.day]
        for name in ("spend_cents", "impressions", "clicks", "reach"):
            assert getattr(row, name) == getattr(later, name)
        if row.day <= settled:
            assert row == later
        else:
            assert row.leads <= later.leads and row.purchases <= later.purchases
            assert row.purchase_value <= later.purchase_value
            restated += row != later
    assert restated > 0
    assert late.paid_clicks[: len(early.paid_clicks)] == early.paid_clicks
    assert len(late.paid_clicks) > len(early.paid_clicks)


def test_paid_clicks_are_fbclids_of_real_ads(world: World) -> None:
    ads = {(a.account_id, a.campaign_id, a.ad_set_id, a.ad_id) for a in world.meta_ads.ads}
    delivered = {(r.ad_id, r.day) for r in world.meta_ads.insights}
    clicks = world.meta_ads.paid_clicks
    assert clicks and len({c.click_id for c in clicks}) == len(clicks)
    for click in clicks:
        assert click.platform == "meta_ads"
        assert re.fullmatch(r"IwAR[A-Za-z0-9_-]{57}", click.click_id)
        assert (click.account_id, click.campaign_id, click.ad_set_id, click.ad_id) in ads
        assert (click.ad_id, click.day) in delivered
        assert click.day.isoformat() == _day_of(click.at_ms)


def test_truth_counts_and_spend_rows(world: World) -> None:
    truth = world.truth()
    rows = [r for r in truth["ad_spend"] if r["platform"] == "meta_ads"]
    assert len(rows) == truth["counts"]["meta_ads"]["ad_daily_insights"]["active"]
    assert truth["counts"]["meta_ads"]["campaigns"] == {
        "active": len(world.meta_ads.campaigns) - 2,
        "archived": 2,  # one deleted draft per account
    }
    for row in rows:
        assert Decimal(row["spend"]) == Decimal(row["cost_micros"]) / 1_000_000
        assert {"customer_id", "campaign_id", "ad_group_id", "ad_id", "date", "currency"} <= set(
            row
        )


def _day_of(at_ms: int) -> str:
    return str(date.fromordinal(date(1970, 1, 1).toordinal() + at_ms // 86_400_000))


def graph_get(server: MetaAdsServer, path: str, **params: str) -> httpx.Response:
    return httpx.get(f"{server.url}{path}", params={"access_token": server.token, **params})


def test_versions_live_and_expire_by_metas_table_at_api_today(world: World) -> None:
    account = f"act_{accounts(world)[0]}"
    with MetaAdsServer(world, api_today=DAY, auto_upgrade=False) as server:
        live = graph_get(server, f"/v27.0/{account}")
        expired = graph_get(server, f"/v24.0/{account}")
        unreleased = graph_get(server, f"/v28.0/{account}")
    with MetaAdsServer(world, api_today=date(2026, 11, 9), auto_upgrade=False) as server:
        before_expiry = graph_get(server, f"/v24.0/{account}")
        assert server.live_versions() == ["v24.0", "v25.0", "v26.0", "v27.0"]
    assert live.status_code == 200 and before_expiry.status_code == 200
    assert expired.status_code == 400
    error = expired.json()["error"]
    assert (error["code"], error["type"]) == (2635, "OAuthException")
    assert error["message"] == (
        "(#2635) You are calling a deprecated version of the Ads API. Please update to the "
        "latest version: v27.0."
    )
    assert unreleased.status_code == 400 and unreleased.json()["error"]["code"] == 2500


def test_auto_upgrade_serves_an_expired_version_with_metas_warning_header(world: World) -> None:
    with MetaAdsServer(world, api_today=DAY) as server:  # auto-upgrade is on unless opted out
        upgraded = graph_get(server, f"/v21.0/act_{accounts(world)[0]}", fields="name")
        current = graph_get(server, f"/v27.0/act_{accounts(world)[0]}", fields="name")
    assert upgraded.status_code == 200 and upgraded.json() == current.json()
    assert upgraded.headers["X-Ad-Api-Version-Warning"] == (
        "The call has been auto-upgraded to v25.0 as v21.0 has been deprecated"
    )
    assert "X-Ad-Api-Version-Warning" not in current.headers


def test_require_app_secret_refuses_calls_without_a_valid_proof(world: World) -> None:
    path = f"/{LIVE}/act_{accounts(world)[0]}"
    with MetaAdsServer(world, require_app_secret=True) as server:
        token = server.token
        stamp = str(int(time.time()))
        plain = app_secret_proof(APP_SECRET, token)
        answers = {
            "missing": graph_get(server, path),
            "wrong": graph_get(server, path, appsecret_proof=app_secret_proof("nope", token)),
            "plain": graph_get(server, path, appsecret_proof=plain),
            "timed": graph_get(
                server,
                path,
                appsecret_proof=app_secret_proof(APP_SECRET, f"{token}|{stamp}"),
                appsecret_time=stamp,
            ),
            "stale": graph_get(
                server,
                path,
                appsecret_proof=app_secret_proof(APP_SECRET, f"{token}|{int(stamp) - 600}"),
                appsecret_time=str(int(stamp) - 600),
            ),
        }
        assert server.env()["THINLINE_META_ADS__APP_SECRET"] == APP_SECRET
    assert (answers["plain"].status_code, answers["timed"].status_code) == (200, 200)
    for name, message in [
        ("missing", "API calls from the server require an appsecret_proof argument"),
        ("wrong", "Invalid appsecret_proof provided in the API argument"),
        ("stale", "Invalid appsecret_proof provided in the API argument"),
    ]:
        error = answers[name].json()["error"]
        assert answers[name].status_code == 400, name
        assert (error["type"], error["code"], error["message"]) == (
            "GraphMethodException",
            100,
            message,
        )


def test_me_permissions_and_account_status_as_meta_serves_them(world: World) -> None:
    first, second = accounts(world)
    with MetaAdsServer(
        world, permissions=["business_management"], account_statuses={second: 2}
    ) as s:
        me = graph_get(s, f"/{LIVE}/me", fields="id,name").json()
        permissions = graph_get(s, f"/{LIVE}/me/permissions").json()
        statuses = [
            graph_get(s, f"/{LIVE}/act_{account}", fields="account_status").json()
            for account in (first, second)
        ]
    assert set(me) == {"id", "name"} and me["id"].isdigit()
    assert permissions == {"data": [{"permission": "business_management", "status": "granted"}]}
    assert [row["account_status"] for row in statuses] == [1, 2]
