"""The HubSpot stand-in's currency settings: company currency, exchange rates from the ECB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest

from sandbox import World
from sandbox.ecb_rates import published
from sandbox.hubspot_server import SERVICE_KEY_SCOPES, HubSpotServer

VERSION = "2026-09"
CURRENCIES = f"/settings/currencies/{VERSION}"
MONTHS = (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1))  # the small world's months


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[HubSpotServer]:
    with HubSpotServer(world) as running:
        yield running


def client(server: HubSpotServer) -> httpx.Client:
    headers = {"Authorization": f"Bearer {server.token}"}
    return httpx.Client(base_url=server.url, headers=headers)


def all_rates(api: httpx.Client, path: str, **params: Any) -> tuple[list[dict], int]:
    rates, pages, after = [], 0, None
    while True:
        page = api.get(path, params={**params, **({"after": after} if after else {})})
        assert page.status_code == 200, page.text
        body, pages = page.json(), pages + 1
        rates += body["results"]
        if "paging" not in body:
            return rates, pages
        after = body["paging"]["next"]["after"]


def first_ecb_usd(month: date) -> tuple[date, str]:
    found = published(month, month + timedelta(days=14), ["USD"])
    return found[0].day, found[0].value


def test_company_currency_is_usd(server: HubSpotServer) -> None:
    with client(server) as api:
        body = api.get(f"{CURRENCIES}/company-currency").json()
    assert body == {"createdAt": "2025-06-01T09:00:00.000Z", "id": "USD"}


def test_one_eur_rate_a_month_is_the_ecbs_usd_per_eur_of_the_first_ecb_day(
    server: HubSpotServer,
) -> None:
    with client(server) as api:
        rates, _ = all_rates(api, f"{CURRENCIES}/exchange-rates")
    assert [r["effectiveAt"] for r in rates] == [f"{m}T00:00:00.000Z" for m in MONTHS]
    for rate, month in zip(rates, MONTHS, strict=True):
        day, usd_per_eur = first_ecb_usd(month)
        expected = Decimal(usd_per_eur).quantize(Decimal("0.000001"), ROUND_HALF_UP)
        assert Decimal(str(rate["conversionRate"])) == expected
        assert isinstance(rate["conversionRate"], float)  # a JSON number, as HubSpot sends
        assert (rate["fromCurrencyCode"], rate["toCurrencyCode"]) == ("EUR", "USD")
        assert rate["createdAt"] == rate["updatedAt"] == f"{day}T15:00:00.000Z"
        assert rate["visibleInUI"] is True and isinstance(rate["id"], str)
    assert len({r["id"] for r in rates}) == len(rates)


def test_rates_are_deterministic_and_page_by_an_opaque_cursor(
    world: World, server: HubSpotServer
) -> None:
    with client(server) as api:
        whole, pages = all_rates(api, f"{CURRENCIES}/exchange-rates")
        paged, small_pages = all_rates(api, f"{CURRENCIES}/exchange-rates", limit=1)
        eur, _ = all_rates(api, f"{CURRENCIES}/exchange-rates", fromCurrencyCode="EUR")
        gbp, _ = all_rates(api, f"{CURRENCIES}/exchange-rates", fromCurrencyCode="GBP")
        too_many = api.get(f"{CURRENCIES}/exchange-rates", params={"limit": 101})
    with HubSpotServer(world) as again, client(again) as api:
        rebuilt, _ = all_rates(api, f"{CURRENCIES}/exchange-rates")
    assert paged == whole == eur == rebuilt
    assert (pages, small_pages) == (1, len(whole))
    assert gbp == []
    assert too_many.status_code == 400


def test_current_rates_are_the_latest_in_effect(server: HubSpotServer) -> None:
    with client(server) as api:
        rates, _ = all_rates(api, f"{CURRENCIES}/exchange-rates")
        current = api.get(f"{CURRENCIES}/exchange-rates/current").json()
    assert current == {"results": [rates[-1]]}


def test_legacy_paths_serve_the_same_rates(server: HubSpotServer) -> None:
    with client(server) as api:
        dated, _ = all_rates(api, f"{CURRENCIES}/exchange-rates")
        legacy, _ = all_rates(api, "/settings/v3/currencies/exchange-rates")
        company = api.get("/settings/v3/currencies/company-currency").json()
    assert legacy == dated and company["id"] == "USD"


def test_a_portal_without_multi_currency_has_its_company_currency_and_no_rates(
    world: World,
) -> None:
    with HubSpotServer(world, multi_currency=False) as single, client(single) as api:
        company = api.get(f"{CURRENCIES}/company-currency")
        rates = api.get(f"{CURRENCIES}/exchange-rates")
        current = api.get(f"{CURRENCIES}/exchange-rates/current")
        details = api.get(f"/account-info/{VERSION}/details").json()
    assert company.status_code == 200 and company.json()["id"] == "USD"
    assert rates.status_code == current.status_code == 200
    assert rates.json() == current.json() == {"results": []}
    assert details["additionalCurrencies"] == []


def test_the_currency_endpoints_need_the_settings_scope(world: World) -> None:
    scopes = set(SERVICE_KEY_SCOPES) - {"settings.currencies.read"}
    with HubSpotServer(world, scopes=scopes) as narrow, client(narrow) as api:
        answers = [
            api.get(f"{CURRENCIES}/{path}")
            for path in ("company-currency", "exchange-rates", "exchange-rates/current")
        ]
    for answer in answers:
        assert answer.status_code == 403
        body = answer.json()
        assert body["category"] == "MISSING_SCOPES"
        assert body["errors"][0]["context"]["requiredGranularScopes"] == [
            "settings.currencies.read"
        ]
