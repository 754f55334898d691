"""Each injected fault fires exactly as often as configured, in order, in the source's envelope."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest

from sandbox import Faults, World
from sandbox.faults import Fault
from sandbox.google_ads_server import GoogleAdsServer
from sandbox.hubspot_server import TOKEN, HubSpotServer
from tests.sandbox.conftest import HUBSPOT_VERSION

Headers = Callable[[GoogleAdsServer, httpx.Client], dict[str, str]]


def hubspot_calls(
    world: World, faults: Faults, calls: int
) -> tuple[list[httpx.Response], HubSpotServer]:
    with (
        HubSpotServer(world, faults=faults) as server,
        httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}) as client,
    ):
        responses = [client.get(f"/crm/owners/{HUBSPOT_VERSION}/") for _ in range(calls)]
    return responses, server


def test_hubspot_faults_come_in_order_and_run_out(world: World) -> None:
    faults = Faults(rate_limit=2, server_errors=2, malformed_pages=1, expired_tokens=1)
    responses, server = hubspot_calls(world, faults, 8)
    assert [r.status_code for r in responses] == [429, 429, 500, 503, 200, 401, 200, 200]
    with pytest.raises(json.JSONDecodeError):
        json.loads(responses[4].content)
    assert responses[6].json()["results"], "after the faults, real answers"
    assert server.faults_fired() == {
        Fault.RATE_LIMIT: 2,
        Fault.SERVER_ERROR: 2,
        Fault.MALFORMED: 1,
        Fault.EXPIRED_TOKEN: 1,
    }
    assert len(server.requests) == 8


def test_hubspot_rate_limit_body_and_retry_after(world: World) -> None:
    (limited, _), _ = hubspot_calls(world, Faults(rate_limit=1, retry_after_seconds=0.25), 2)
    assert limited.headers["Retry-After"] == "0.25"
    body = limited.json()
    assert body["errorType"] == "RATE_LIMIT" and body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["status"] == "error" and body["correlationId"]
    (silent,), _ = hubspot_calls(world, Faults(rate_limit=1, retry_after_seconds=None), 1)
    assert silent.status_code == 429 and "Retry-After" not in silent.headers


def test_hubspot_expired_token_and_server_error_envelopes(world: World) -> None:
    (failed, expired), _ = hubspot_calls(world, Faults(server_errors=1, expired_tokens=1), 2)
    assert failed.status_code == 500 and failed.json()["status"] == "error"
    assert expired.status_code == 401 and expired.json()["category"] == "EXPIRED_AUTHENTICATION"


def test_hubspot_daily_quota_refuses_everything(world: World) -> None:
    responses, server = hubspot_calls(world, Faults(daily_quota_exhausted=True), 3)
    assert {r.status_code for r in responses} == {429}
    assert all(
        r.json()["policyName"] == "DAILY" and "Retry-After" not in r.headers for r in responses
    )
    assert server.faults_fired() == {Fault.DAILY_QUOTA: 3}


def test_slow_responses_take_at_least_the_configured_time(world: World) -> None:
    started = time.perf_counter()
    (response,), _ = hubspot_calls(world, Faults(slow_seconds=0.2), 1)
    assert response.status_code == 200 and time.perf_counter() - started >= 0.2


def google_ads_calls(
    world: World, faults: Faults, calls: int, google_ads_headers: Headers, refresh: bool = False
) -> tuple[list[httpx.Response], GoogleAdsServer]:
    customer_id = world.google_ads.customers[0].customer_id
    responses = []
    with GoogleAdsServer(world, faults=faults) as server, httpx.Client() as client:
        path = f"/customers/{customer_id}/googleAds:searchStream"
        url = f"{server.url}/{server.newest_version}{path}"
        headers = google_ads_headers(server, client)
        for _ in range(calls):
            responses.append(
                client.post(
                    url, json={"query": "SELECT customer.id FROM customer"}, headers=headers
                )
            )
            if refresh and responses[-1].status_code == 401:
                headers = google_ads_headers(server, client)
    return responses, server


def ads_error(response: httpx.Response) -> dict:
    body = response.json()
    assert isinstance(body, list), "searchStream errors are arrays"
    return body[0]["error"]


def test_google_ads_faults_come_in_order_and_spare_the_token_endpoint(
    world: World, google_ads_headers: Headers
) -> None:
    faults = Faults(rate_limit=1, server_errors=2, malformed_pages=1, expired_tokens=1)
    responses, server = google_ads_calls(world, faults, 6, google_ads_headers, refresh=True)
    assert [r.status_code for r in responses] == [429, 500, 503, 200, 401, 200]
    with pytest.raises(json.JSONDecodeError):
        json.loads(responses[3].content)
    assert ads_error(responses[1])["details"][0]["errors"][0]["errorCode"] == {
        "internalError": "INTERNAL_ERROR"
    }
    assert ads_error(responses[2])["status"] == "UNAVAILABLE"
    assert server.faults_fired()[Fault.SERVER_ERROR] == 2
    token_calls = [r for r in server.requests if r.path == "/token"]
    assert len(token_calls) == 2 and all(r.fault is None for r in token_calls)


def test_google_ads_rate_limit_carries_retry_delay(
    world: World, google_ads_headers: Headers
) -> None:
    (limited, ok), _ = google_ads_calls(
        world, Faults(rate_limit=1, retry_after_seconds=2), 2, google_ads_headers
    )
    error = ads_error(limited)
    assert limited.status_code == 429 and error["status"] == "RESOURCE_EXHAUSTED"
    failure = error["details"][0]["errors"][0]
    assert failure["errorCode"] == {"quotaError": "RESOURCE_EXHAUSTED"}
    assert failure["details"]["quotaErrorDetails"]["retryDelay"] == "2s"
    assert ok.status_code == 200


def test_google_ads_expired_token_stays_dead_until_refreshed(
    world: World, google_ads_headers: Headers
) -> None:
    (expired, reused), _ = google_ads_calls(world, Faults(expired_tokens=1), 2, google_ads_headers)
    assert ads_error(expired)["details"][0]["errors"][0]["errorCode"] == {
        "authenticationError": "OAUTH_TOKEN_EXPIRED"
    }
    assert reused.status_code == 401, "a client that does not refresh keeps failing"
    (expired, refreshed), _ = google_ads_calls(
        world, Faults(expired_tokens=1), 2, google_ads_headers, True
    )
    assert (expired.status_code, refreshed.status_code) == (401, 200)


def test_google_ads_daily_quota_names_the_basic_access_limit(
    world: World, google_ads_headers: Headers
) -> None:
    responses, _ = google_ads_calls(
        world, Faults(daily_quota_exhausted=True), 2, google_ads_headers
    )
    for response in responses:
        assert response.status_code == 429
        details = ads_error(response)["details"][0]["errors"][0]["details"]["quotaErrorDetails"]
        assert details["rateName"] == "Number of operations for basic access"
        assert details["rateScope"] == "DEVELOPER"
