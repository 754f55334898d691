"""The Google Ads stand-in: OAuth, searchStream's array of camelCase batches, and its errors."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from sandbox import DemoSources, World
from sandbox.google_ads_server import API_VERSIONS, DEVELOPER_TOKEN_SUNSET, GoogleAdsServer

AD_QUERY = (
    "SELECT customer.id, customer.currency_code, campaign.id, campaign.name, ad_group.id, "
    "ad_group.name, ad_group_ad.ad.id, ad_group_ad.ad.name, segments.date, metrics.cost_micros, "
    "metrics.impressions, metrics.clicks, metrics.conversions, metrics.conversions_value "
    "FROM ad_group_ad WHERE segments.date BETWEEN '{start}' AND '{end}' ORDER BY segments.date"
)
GaqlRunner = Callable[..., httpx.Response]
Headers = Callable[[GoogleAdsServer, httpx.Client], dict[str, str]]


def rows(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    batches = response.json()
    assert isinstance(batches, list) and batches
    return [row for batch in batches for row in batch.get("results", [])]


def metric(row: dict[str, Any], name: str) -> int:
    return int(row.get("metrics", {}).get(name, "0"))  # zero metrics may be absent


def google_spend(world: World) -> list[dict[str, Any]]:
    """The truth's ad spend rows of Google Ads (other platforms' rows sit beside them)."""
    return [r for r in world.truth()["ad_spend"] if r["platform"] == "google_ads"]


def customers(world: World) -> list[int]:
    return [c.customer_id for c in world.google_ads.customers]


def stream_url(server: GoogleAdsServer, customer_id: int, version: str | None = None) -> str:
    """searchStream of ``customer_id`` (default: the newest version the stand-in serves)."""
    version = version or server.newest_version
    return f"{server.url}/{version}/customers/{customer_id}/googleAds:searchStream"


def test_token_endpoint_issues_bearer_tokens_for_the_right_grant(sources: DemoSources) -> None:
    env = sources.env
    form = {
        "grant_type": "refresh_token",
        "client_id": env["THINLINE_GOOGLE_ADS__CLIENT_ID"],
        "client_secret": env["THINLINE_GOOGLE_ADS__CLIENT_SECRET"],
        "refresh_token": env["THINLINE_GOOGLE_ADS__REFRESH_TOKEN"],
    }
    granted = httpx.post(env["THINLINE_GOOGLE_ADS__TOKEN_URL"], data=form)
    assert granted.status_code == 200
    assert granted.json()["expires_in"] == 3599 and granted.json()["token_type"] == "Bearer"
    refusals = {
        "refresh_token": (400, "invalid_grant", "Token has been expired or revoked."),
        "client_id": (401, "invalid_client", "The OAuth client was not found."),
        "client_secret": (401, "invalid_client", "Unauthorized"),
    }
    for field, (status, error, description) in refusals.items():
        refused = httpx.post(env["THINLINE_GOOGLE_ADS__TOKEN_URL"], data={**form, field: "nope"})
        assert refused.status_code == status
        assert refused.json() == {"error": error, "error_description": description}


def test_ad_rows_are_camel_case_with_string_int64s_and_match_truth(
    gaql: GaqlRunner, world: World
) -> None:
    truth = {(r["ad_id"], r["date"]): r for r in google_spend(world)}
    served = {}
    for customer_id in customers(world):
        for row in rows(gaql(customer_id, AD_QUERY.format(start="2026-01-01", end="2026-03-31"))):
            assert set(row) == {
                "customer",
                "campaign",
                "adGroup",
                "adGroupAd",
                "segments",
                "metrics",
            }
            assert row["adGroupAd"]["resourceName"].endswith(f"~{row['adGroupAd']['ad']['id']}")
            assert isinstance(row["customer"]["id"], str) and isinstance(row["adGroup"]["id"], str)
            if "costMicros" in row["metrics"]:
                assert isinstance(row["metrics"]["costMicros"], str)
                assert isinstance(row["metrics"]["impressions"], str)
            if "conversions" in row["metrics"]:
                assert isinstance(row["metrics"]["conversions"], float)
            served[row["adGroupAd"]["ad"]["id"], row["segments"]["date"]] = row
    assert served.keys() == truth.keys()
    for key, row in served.items():
        expected = truth[key]
        assert metric(row, "costMicros") == expected["cost_micros"]
        assert metric(row, "impressions") == expected["impressions"]
        assert metric(row, "clicks") == expected["clicks"]
        assert row["metrics"].get("conversions", 0.0) == expected["conversions"]
        assert row["customer"]["currencyCode"] == expected["currency"]


def test_zero_metrics_are_left_out(gaql: GaqlRunner, world: World) -> None:
    quiet = next(m for m in world.google_ads.metrics if m.clicks == 0)
    day = quiet.day.isoformat()
    query = (
        "SELECT ad_group_ad.ad.id, metrics.clicks, metrics.cost_micros, metrics.impressions "
        f"FROM ad_group_ad WHERE segments.date = '{day}'"
    )
    row = next(
        r
        for r in rows(gaql(quiet.customer_id, query))
        if r["adGroupAd"]["ad"]["id"] == str(quiet.ad_id)
    )
    assert row["metrics"] == {"impressions": str(quiet.impressions)}


@pytest.mark.parametrize("level, key", [("campaign", "campaign_id"), ("ad_group", "ad_group_id")])
def test_rolled_up_daily_metrics_are_the_sums_of_their_ads(
    gaql: GaqlRunner, world: World, level: str, key: str
) -> None:
    expected: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in google_spend(world):
        totals = expected[r[key], r["date"]]
        totals[0] += r["cost_micros"]
        totals[1] += r["impressions"]
        totals[2] += r["clicks"]
    camel = {"campaign": "campaign", "ad_group": "adGroup"}[level]
    query = (
        f"SELECT {level}.id, segments.date, metrics.cost_micros, metrics.impressions, "
        f"metrics.clicks FROM {level} "
        "WHERE segments.date >= '2026-01-01' AND segments.date <= '2026-03-31'"
    )
    served = {
        (row[camel]["id"], row["segments"]["date"]): [
            metric(row, "costMicros"),
            metric(row, "impressions"),
            metric(row, "clicks"),
        ]
        for customer_id in customers(world)
        for row in rows(gaql(customer_id, query))
    }
    assert served == dict(expected)
    counts = world.truth()["counts"]["google_ads"][f"{level}_daily_metrics"]["active"]
    assert len(served) == counts


def test_only_selected_fields_come_back_with_a_field_mask(gaql: GaqlRunner, world: World) -> None:
    query = "SELECT campaign.id, campaign.status, campaign.advertising_channel_type FROM campaign"
    response = gaql(customers(world)[0], query)
    batch = response.json()[0]
    assert batch["fieldMask"] == "campaign.id,campaign.status,campaign.advertisingChannelType"
    assert batch["requestId"] and response.headers["request-id"] == batch["requestId"]
    for row in batch["results"]:
        assert set(row) == {"campaign"}
        assert set(row["campaign"]) == {"resourceName", "id", "status", "advertisingChannelType"}
    campaigns = [c for c in world.google_ads.campaigns if c.customer_id == customers(world)[0]]
    assert [r["campaign"]["id"] for r in batch["results"]] == [
        str(c.campaign_id) for c in campaigns
    ]


def test_customer_query_reports_currency_and_time_zone(gaql: GaqlRunner, world: World) -> None:
    query = (
        "SELECT customer.id, customer.descriptive_name, customer.currency_code, "
        "customer.time_zone FROM customer"
    )
    for customer in world.google_ads.customers:
        (row,) = rows(gaql(customer.customer_id, query))
        assert row["customer"] == {
            "resourceName": f"customers/{customer.customer_id}",
            "id": str(customer.customer_id),
            "descriptiveName": customer.name,
            "currencyCode": customer.currency,
            "timeZone": customer.time_zone,
        }


def test_large_results_are_split_into_batches(world: World, google_ads_headers: Headers) -> None:
    with GoogleAdsServer(world, batch_rows=100) as server, httpx.Client() as client:
        customer_id = customers(world)[0]
        response = client.post(
            stream_url(server, customer_id),
            json={"query": AD_QUERY.format(start="2026-01-01", end="2026-03-31")},
            headers=google_ads_headers(server, client),
        )
        batches = response.json()
        expected = sum(1 for m in world.google_ads.metrics if m.customer_id == customer_id)
        assert len(batches) == -(-expected // 100)
        assert all(len(b["results"]) == 100 for b in batches[:-1])
        assert (
            "queryResourceConsumption" in batches[-1]
            and "queryResourceConsumption" not in batches[0]
        )
        assert sum(len(b["results"]) for b in batches) == expected


def test_an_empty_result_is_one_batch_without_results(gaql: GaqlRunner, world: World) -> None:
    response = gaql(customers(world)[0], AD_QUERY.format(start="2025-06-01", end="2025-06-30"))
    (batch,) = response.json()
    assert "results" not in batch and batch["fieldMask"]


DEPRECATED = " Version {} is deprecated. Requests to this version will be blocked."


@pytest.mark.parametrize(
    "api_today, version, status",
    [
        (date(2026, 12, 5), "v26", 200),
        (date(2026, 12, 5), "v23", 200),
        (date(2026, 12, 5), "v22", 400),  # sunset 2026-10-07
        (date(2026, 12, 5), "v21", 400),  # sunset 2026-08-05
        (date(2026, 12, 5), "v27", 404),  # not released
        (date(2026, 12, 5), "v17", 404),  # long gone
        (date(2026, 12, 5), "beta", 404),
        (date(2026, 8, 4), "v21", 200),  # the day before its sunset
        (date(2026, 8, 5), "v21", 400),
        (date(2026, 10, 13), "v26", 404),  # the day before its release
        (date(2026, 10, 14), "v26", 200),
    ],
)
def test_versions_live_and_die_on_the_api_day(
    world: World, google_ads_headers: Headers, api_today: date, version: str, status: int
) -> None:
    with GoogleAdsServer(world, api_today=api_today) as server, httpx.Client() as client:
        url = stream_url(server, customers(world)[0], version)
        headers = google_ads_headers(server, client)
        response = client.post(
            url, json={"query": "SELECT customer.id FROM customer"}, headers=headers
        )
    assert response.status_code == status, response.text
    if status == 400:  # what clients have been shown for a sunset version for years
        assert_ads_error(response, 400, "INVALID_ARGUMENT", {"requestError": "UNKNOWN"})
        (failure,) = response.json()[0]["error"]["details"][0]["errors"]
        assert failure["message"] == DEPRECATED.format(version)
    if status == 404:  # Google's front end: an HTML page, not JSON
        path = f"/{version}/customers/{customers(world)[0]}/googleAds:searchStream"
        assert f"The requested URL <code>{path}</code> was not found" in response.text


def test_the_api_day_is_today_unless_injected(world: World) -> None:
    today = datetime.now(UTC).date()
    assert GoogleAdsServer(world).api_today == today
    assert GoogleAdsServer(world, api_today=date(2026, 8, 1)).newest_version == "v25"
    live = [v for v, (released, sunset) in API_VERSIONS.items() if released <= today < sunset]
    assert GoogleAdsServer(world).newest_version == max(live, key=lambda v: API_VERSIONS[v][0])
    # the world's own clock (click_view's 90 days) stays the day after its end
    assert GoogleAdsServer(world).today == world.config.end + timedelta(days=1)


def assert_ads_error(
    response: httpx.Response, code: int, status: str, error_code: dict[str, str]
) -> None:
    assert response.status_code == code, response.text
    body = response.json()
    assert isinstance(body, list) and len(body) == 1, "searchStream errors are arrays too"
    error = body[0]["error"]
    assert error["code"] == code and error["status"] == status
    (failure,) = error["details"]
    assert failure["@type"].endswith("errors.GoogleAdsFailure")
    assert failure["errors"][0]["errorCode"] == error_code


def test_missing_or_unknown_bearer_is_unauthenticated(
    gaql: GaqlRunner, sources: DemoSources, world: World
) -> None:
    base = {"developer-token": sources.env["THINLINE_GOOGLE_ADS__DEVELOPER_TOKEN"]}
    for headers, reason in [
        (base, "OAUTH_TOKEN_HEADER_INVALID"),
        ({**base, "Authorization": "Bearer ya29.made-up"}, "OAUTH_TOKEN_INVALID"),
    ]:
        response = gaql(customers(world)[0], "SELECT customer.id FROM customer", headers=headers)
        assert_ads_error(response, 401, "UNAUTHENTICATED", {"authenticationError": reason})


BEFORE_TOKEN_SUNSET = DEVELOPER_TOKEN_SUNSET - timedelta(days=1)


@pytest.mark.parametrize(
    "change, code, status, error_code",
    [
        (
            {"developer-token": None},
            400,
            "INVALID_ARGUMENT",
            {"requestError": "DEVELOPER_TOKEN_PARAMETER_MISSING"},
        ),
        (
            {"developer-token": "x" * 22},
            401,
            "UNAUTHENTICATED",
            {"authenticationError": "DEVELOPER_TOKEN_INVALID"},
        ),
        (
            {"login-customer-id": None},
            403,
            "PERMISSION_DENIED",
            {"authorizationError": "USER_PERMISSION_DENIED"},
        ),
        (
            {"login-customer-id": "123-456-7890"},
            403,
            "PERMISSION_DENIED",
            {"authorizationError": "USER_PERMISSION_DENIED"},
        ),
    ],
    ids=[
        "no developer token",
        "wrong developer token",
        "no login-customer-id",
        "hyphenated login-customer-id",
    ],
)
def test_header_problems_get_google_ads_failures(
    world: World,
    google_ads_headers: Headers,
    change: dict,
    code: int,
    status: str,
    error_code: dict,
) -> None:
    # before the developer-token sunset, so that the token still counts
    with (
        GoogleAdsServer(world, api_today=BEFORE_TOKEN_SUNSET) as server,
        httpx.Client() as client,
    ):
        headers = google_ads_headers(server, client)
        for name, value in change.items():
            headers.pop(name)
            if value is not None:
                headers[name] = value
        url = stream_url(server, customers(world)[0], "v25")
        response = client.post(
            url, json={"query": "SELECT customer.id FROM customer"}, headers=headers
        )
    assert_ads_error(response, code, status, error_code)


@pytest.mark.parametrize("developer_token", [None, "x" * 22])
def test_the_developer_token_is_ignored_since_its_sunset(
    world: World, google_ads_headers: Headers, developer_token: str | None
) -> None:
    with (
        GoogleAdsServer(world, api_today=DEVELOPER_TOKEN_SUNSET) as server,
        httpx.Client() as client,
    ):
        headers = google_ads_headers(server, client)
        headers.pop("developer-token")
        if developer_token:
            headers["developer-token"] = developer_token
        url = stream_url(server, customers(world)[0], "v25")
        response = client.post(
            url, json={"query": "SELECT customer.id FROM customer"}, headers=headers
        )
    assert len(rows(response)) == 1


@pytest.mark.parametrize(
    "version, reason",
    [("v25", "CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION"), ("v24", "ACTION_NOT_PERMITTED")],
)
def test_a_test_access_project_cannot_read_production_accounts(
    world: World, google_ads_headers: Headers, version: str, reason: str
) -> None:
    with (
        GoogleAdsServer(world, api_today=date(2026, 12, 5), access_level="TEST") as server,
        httpx.Client() as client,
    ):
        url = stream_url(server, customers(world)[0], version)
        response = client.post(
            url,
            json={"query": "SELECT customer.id FROM customer"},
            headers=google_ads_headers(server, client),
        )
    assert_ads_error(response, 403, "PERMISSION_DENIED", {"authorizationError": reason})


def test_an_inactive_account_is_not_enabled(world: World, google_ads_headers: Headers) -> None:
    canceled = customers(world)[1]
    with (
        GoogleAdsServer(world, inactive_customers={canceled: "CANCELED"}) as server,
        httpx.Client() as client,
    ):
        headers = google_ads_headers(server, client)
        answers = {
            customer_id: client.post(
                stream_url(server, customer_id),
                json={"query": "SELECT customer.id FROM customer"},
                headers=headers,
            )
            for customer_id in customers(world)
        }
    assert len(rows(answers[customers(world)[0]])) == 1
    assert_ads_error(
        answers[canceled], 403, "PERMISSION_DENIED", {"authorizationError": "CUSTOMER_NOT_ENABLED"}
    )


def test_accessible_customers_are_the_users_direct_accounts(
    sources: DemoSources, world: World, google_ads_headers: Headers
) -> None:
    server = sources.google_ads
    with httpx.Client() as client:
        headers = google_ads_headers(server, client)
        url = f"{server.url}/{server.newest_version}/customers:listAccessibleCustomers"
        listed = client.get(url, headers=headers)
        refused = client.get(url, headers={**headers, "Authorization": "Bearer ya29.made-up"})
        sunset = client.get(url.replace(server.newest_version, "v21"), headers=headers)
    manager = world.google_ads.manager.customer_id
    assert listed.json() == {"resourceNames": [f"customers/{manager}"]}
    assert refused.status_code == 401 and isinstance(refused.json(), dict), "a unary method"
    assert refused.json()["error"]["status"] == "UNAUTHENTICATED"
    assert sunset.status_code == 400
    assert sunset.json()["error"]["details"][0]["errors"][0]["message"] == DEPRECATED.format("v21")


def test_a_broken_stream_ends_with_an_error_element_after_some_batches(
    world: World, google_ads_headers: Headers
) -> None:
    customer_id = customers(world)[0]
    with (
        GoogleAdsServer(world, batch_rows=100, stream_error_after=2) as server,
        httpx.Client() as client,
    ):
        response = client.post(
            stream_url(server, customer_id),
            json={"query": AD_QUERY.format(start="2026-01-01", end="2026-03-31")},
            headers=google_ads_headers(server, client),
        )
        small = client.post(  # one batch: nothing to break
            stream_url(server, customer_id),
            json={"query": "SELECT customer.id FROM customer"},
            headers=google_ads_headers(server, client),
        )
    assert response.status_code == 200  # the status went out before the failure
    *batches, last = response.json()
    assert [len(batch["results"]) for batch in batches] == [100, 100]
    assert set(last) == {"error"}
    assert last["error"]["status"] == "INTERNAL"
    assert last["error"]["details"][0]["errors"][0]["errorCode"] == {
        "internalError": "INTERNAL_ERROR"
    }
    assert len(rows(small)) == 1


def test_login_customer_id_is_optional_when_the_server_does_not_require_it(
    world: World, google_ads_headers: Headers
) -> None:
    with (
        GoogleAdsServer(world, require_login_customer_id=False) as server,
        httpx.Client() as client,
    ):
        headers = google_ads_headers(server, client)
        assert "login-customer-id" not in headers
        url = stream_url(server, customers(world)[0])
        assert (
            client.post(
                url, json={"query": "SELECT customer.id FROM customer"}, headers=headers
            ).status_code
            == 200
        )


@pytest.mark.parametrize(
    "customer, query, code, error_code",
    [
        (
            "1234567890",
            "SELECT customer.id FROM customer",
            403,
            {"authorizationError": "USER_PERMISSION_DENIED"},
        ),
        (
            "manager",
            "SELECT metrics.clicks FROM customer",
            400,
            {"queryError": "REQUESTED_METRICS_FOR_MANAGER"},
        ),
        ("client", "SELECT campaign.nope FROM campaign", 400, {"queryError": "UNRECOGNIZED_FIELD"}),
        (
            "client",
            "SELECT ad_group.id FROM campaign",
            400,
            {"queryError": "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE"},
        ),
        (
            "client",
            "SELECT campaign.id FROM geographic_view",
            400,
            {"queryError": "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"},
        ),
        (
            "client",
            "SELECT click_view.gclid FROM click_view",
            400,
            {"clickViewError": "EXPECTED_FILTER_ON_A_SINGLE_DAY"},
        ),
        (
            "client",
            "SELECT campaign.id, segments.device FROM campaign WHERE segments.date = '2026-03-01'",
            400,
            {"queryError": "PROHIBITED_FIELD_IN_SELECT_CLAUSE"},
        ),
        (
            "client",
            "SELECT campaign.id, segments.date FROM campaign",
            400,
            {"queryError": "EXPECTED_FILTERS_ON_DATE_RANGE"},
        ),
        (
            "client",
            "SELECT campaign.id FROM campaign WHERE segments.date = 'yesterday'",
            400,
            {"queryError": "BAD_VALUE"},
        ),
        ("client", "DELETE everything", 400, {"queryError": "UNEXPECTED_INPUT"}),
    ],
)
def test_bad_customers_and_queries_are_rejected(
    gaql: GaqlRunner, world: World, customer: str, query: str, code: int, error_code: dict
) -> None:
    target = {"manager": world.google_ads.manager.customer_id, "client": customers(world)[0]}.get(
        customer, customer
    )
    status = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED"}[code]
    assert_ads_error(gaql(target, query), code, status, error_code)


def test_where_filters_and_order_and_limit_apply(gaql: GaqlRunner, world: World) -> None:
    customer_id = customers(world)[0]
    query = (
        "SELECT campaign.id, campaign.status, metrics.clicks FROM campaign "
        "WHERE campaign.status IN ('ENABLED', 'PAUSED') "
        "AND segments.date BETWEEN '2026-01-01' AND '2026-01-31' "
        "ORDER BY metrics.clicks DESC LIMIT 2"
    )
    served = rows(gaql(customer_id, query))
    assert len(served) == 2
    assert metric(served[0], "clicks") >= metric(served[1], "clicks")
    assert all(r["campaign"]["status"] in {"ENABLED", "PAUSED"} for r in served)
    january = defaultdict(int)
    for m in world.google_ads.metrics:
        if m.customer_id == customer_id and m.day.month == 1:
            january[str(m.campaign_id)] += m.clicks
    assert metric(served[0], "clicks") == max(january.values())


CLICK_QUERY = (
    "SELECT customer.id, click_view.gclid, click_view.ad_group_ad, campaign.id, ad_group.id, "
    "segments.date, segments.click_type, segments.device, metrics.clicks FROM click_view "
    "WHERE {where}"
)


def test_click_view_serves_the_gclids_of_one_day(gaql: GaqlRunner, world: World) -> None:
    end = world.config.end
    for customer_id in customers(world):
        day = max(c.day for c in world.google_ads.paid_clicks if c.customer_id == customer_id)
        served = rows(gaql(customer_id, CLICK_QUERY.format(where=f"segments.date = '{day}'")))
        clicks = [
            c for c in world.google_ads.paid_clicks if c.customer_id == customer_id and c.day == day
        ]
        assert [r["clickView"]["gclid"] for r in served] == [c.gclid for c in clicks]
        for row, click in zip(served, clicks, strict=True):
            assert row["clickView"]["resourceName"] == (
                f"customers/{customer_id}/clickViews/{day}~{click.gclid}"
            )
            assert row["clickView"]["adGroupAd"] == (
                f"customers/{customer_id}/adGroupAds/{click.ad_group_id}~{click.ad_id}"
            )
            assert row["campaign"]["id"] == str(click.campaign_id)
            assert row["adGroup"]["id"] == str(click.ad_group_id)
            assert row["metrics"] == {"clicks": "1"}
            assert row["segments"] == {
                "date": day.isoformat(),
                "clickType": "URL_CLICKS",
                "device": click.device,
            }
    # the oldest servable day: 90 days before the request day (the day after ``end``)
    oldest, customer_id = end - timedelta(days=89), customers(world)[0]
    on_day = rows(gaql(customer_id, CLICK_QUERY.format(where=f"segments.date = '{oldest}'")))
    one_day = f"segments.date BETWEEN '{oldest}' AND '{oldest}'"
    assert rows(gaql(customer_id, CLICK_QUERY.format(where=one_day))) == on_day


@pytest.mark.parametrize(
    "where, error_code",
    [
        ("segments.date BETWEEN '2026-03-01' AND '2026-03-02'", "EXPECTED_FILTER_ON_A_SINGLE_DAY"),
        (
            "segments.date >= '2026-03-01' AND segments.date <= '2026-03-01'",
            "EXPECTED_FILTER_ON_A_SINGLE_DAY",
        ),
        ("segments.date IN ('2026-03-01', '2026-03-02')", "EXPECTED_FILTER_ON_A_SINGLE_DAY"),
        ("campaign.id > 0", "EXPECTED_FILTER_ON_A_SINGLE_DAY"),
        ("segments.date = '2025-12-31'", "DATE_TOO_OLD"),  # 91 days before the request day
        ("segments.date = '2025-06-01'", "DATE_TOO_OLD"),
    ],
)
def test_click_view_rejects_multi_day_and_old_queries(
    gaql: GaqlRunner, world: World, where: str, error_code: str
) -> None:
    assert world.config.end == date(2026, 3, 31)
    response = gaql(customers(world)[0], CLICK_QUERY.format(where=where))
    assert_ads_error(response, 400, "INVALID_ARGUMENT", {"clickViewError": error_code})
    assert isinstance(response.json(), list)  # searchStream errors are arrays


def test_click_view_takes_only_the_clicks_metric(gaql: GaqlRunner, world: World) -> None:
    query = (
        "SELECT click_view.gclid, metrics.cost_micros FROM click_view "
        "WHERE segments.date = '2026-03-01'"
    )
    response = gaql(customers(world)[0], query)
    assert_ads_error(
        response,
        400,
        "INVALID_ARGUMENT",
        {"queryError": "PROHIBITED_METRIC_IN_SELECT_OR_WHERE_CLAUSE"},
    )
