"""Shared fixtures: one small world, and clients speaking to its stand-ins as an extractor would."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from sandbox import DemoSources, World, WorldConfig, build_world, serve
from sandbox.google_ads_server import GoogleAdsServer

SMALL = WorldConfig(seed=7, scale=1.0, start=date(2026, 1, 1), end=date(2026, 3, 31))


@pytest.fixture(scope="session")
def world() -> World:
    return build_world(SMALL)


@pytest.fixture(scope="module")
def sources(world: World) -> Iterator[DemoSources]:
    with serve(world) as running:
        yield running


@pytest.fixture(scope="module")
def hubspot(sources: DemoSources) -> Iterator[httpx.Client]:
    env = sources.env
    headers = {"Authorization": f"Bearer {env['THINLINE_HUBSPOT__TOKEN']}"}
    with httpx.Client(base_url=env["THINLINE_HUBSPOT__BASE_URL"], headers=headers) as client:
        yield client


@pytest.fixture(scope="session")
def google_ads_headers() -> Callable[[GoogleAdsServer, httpx.Client], dict[str, str]]:
    return authorised_headers


def authorised_headers(server: GoogleAdsServer, client: httpx.Client) -> dict[str, str]:
    """Headers an extractor sends to ``server``, with a fresh token from its /token endpoint."""
    credentials = server.credentials
    form = {
        "grant_type": "refresh_token",
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
        "refresh_token": credentials.refresh_token,
    }
    token = client.post(f"{server.url}/token", data=form).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "developer-token": credentials.developer_token}
    if server.login_customer_id:
        headers["login-customer-id"] = server.login_customer_id
    return headers


@pytest.fixture(scope="module")
def gaql(sources: DemoSources) -> Iterator[Callable[..., httpx.Response]]:
    """``gaql(customer_id, query, headers=None, version=None)`` posts a searchStream (``None``:
    the newest version the stand-in serves today)."""
    server = sources.google_ads
    with httpx.Client() as client:
        default_headers = authorised_headers(server, client)

        def run(
            customer_id: int | str,
            query: str,
            headers: dict[str, Any] | None = None,
            version: str | None = None,
        ) -> httpx.Response:
            path = f"/customers/{customer_id}/googleAds:searchStream"
            url = f"{server.url}/{version or server.newest_version}{path}"
            return client.post(
                url, json={"query": query}, headers=default_headers if headers is None else headers
            )

        yield run


# A date version the HubSpot stand-in serves today (its legacy /crm/v3 paths end in 2027).
HUBSPOT_VERSION = "2026-09"
