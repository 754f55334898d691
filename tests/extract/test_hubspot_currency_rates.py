"""HubSpot's currency settings (company currency, exchange rates) against the stand-in."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest

from extract.base import RawRow, SourceError, Stream, Window
from extract.hubspot import HubSpotSettings, build_connector
from extract.preflight import Level
from sandbox.hubspot_server import SERVICE_KEY_SCOPES, HubSpotServer, _rate_json
from thinline.doctor import source_checks

TOKEN_ENV = "THINLINE_HUBSPOT__TOKEN"
CHECKED_ON = date(2026, 12, 5)  # versions.toml's checked_on, as in test_hubspot_connector.py
ENTITIES = ("currencies", "exchange_rates")


@contextmanager
def hubspot_server(world: Any, **options: Any) -> Iterator[tuple[HubSpotServer, dict[str, str]]]:
    with HubSpotServer(world, **options) as server:
        yield server, {"THINLINE_HUBSPOT__BASE_URL": server.url, TOKEN_ENV: server.token}


def fetch(settings: HubSpotSettings, sleeps: Any, window: Window) -> dict[str, list[RawRow]]:
    streams: dict[str, Stream] = {
        s.entity: s for s in build_connector(settings, sleep=sleeps).streams()
    }
    return {entity: list(streams[entity].fetch(window)) for entity in ENTITIES}


def test_exchange_rates_land_exactly_as_the_portal_set_them(
    world, world_window, make_settings, sleeps
) -> None:
    with hubspot_server(world) as (server, env):
        settings = make_settings(HubSpotSettings, env, page_size=1)  # a page per rate
        rows = fetch(settings, sleeps, world_window)
        pages = [r for r in server.requests if r.path.endswith("/exchange-rates")]
        expected = [_rate_json(rate) for rate in server.exchange_rates]

    rates = rows["exchange_rates"]
    assert len(expected) == 3  # January to March, one EUR rate each
    assert [row.record for row in rates] == expected
    assert [row.keys for row in rates] == [(rate["id"],) for rate in expected]
    assert not any(row.is_deleted for row in rates)
    assert len(pages) == len(expected)
    # the JSON number HubSpot sent is kept: USD per EUR, as the ECB published it
    assert [json.dumps(row.record["conversionRate"]) for row in rates] == [
        str(rate.conversion_rate) for rate in server.exchange_rates
    ]


def test_currencies_are_the_company_currency_and_each_with_a_rate_in_effect(
    world, world_window, make_settings, sleeps
) -> None:
    with hubspot_server(world) as (server, env):
        rows = fetch(make_settings(HubSpotSettings, env), sleeps, world_window)
        latest = _rate_json(server.exchange_rates[-1])

    company = {"createdAt": "2025-06-01T09:00:00.000Z", "id": "USD"}
    assert [(row.keys, row.record) for row in rows["currencies"]] == [
        (
            ("USD",),
            {
                "currencyCode": "USD",
                "isCompanyCurrency": True,
                "companyCurrency": company,
                "currentExchangeRate": None,
            },
        ),
        (
            ("EUR",),
            {
                "currencyCode": "EUR",
                "isCompanyCurrency": False,
                "companyCurrency": company,
                "currentExchangeRate": latest,
            },
        ),
    ]


def test_a_portal_without_multi_currency_lands_nothing_and_says_so_once(
    world, world_window, make_settings, sleeps, caplog
) -> None:
    caplog.set_level(logging.INFO)
    with hubspot_server(world, multi_currency=False) as (_, env):
        rows = fetch(make_settings(HubSpotSettings, env), sleeps, world_window)

    assert rows == {"currencies": [], "exchange_rates": []}
    lines = [r.getMessage() for r in caplog.records if r.name == "extract.hubspot"]
    assert lines == [
        f"hubspot: {entity}: the portal has no additional currency; nothing lands"
        for entity in ENTITIES
    ]
    assert sleeps == []


@pytest.mark.parametrize("entity", ENTITIES)
def test_a_missing_currency_scope_names_the_scope(
    world, world_window, make_settings, sleeps, entity
) -> None:
    scopes = set(SERVICE_KEY_SCOPES) - {"settings.currencies.read"}
    with hubspot_server(world, scopes=scopes) as (_, env):
        settings = make_settings(HubSpotSettings, env)
        streams = build_connector(settings, sleep=sleeps).streams()
        stream = next(s for s in streams if s.entity == entity)
        with pytest.raises(SourceError) as caught:
            list(stream.fetch(world_window))

    message = str(caught.value)
    assert message.startswith(
        "hubspot: 403 MISSING_SCOPES (requires one of: settings.currencies.read)"
    ), message
    assert "from GET /settings/currencies/" in message
    assert message.endswith(
        "— give the service key in THINLINE_HUBSPOT__TOKEN the scope settings.currencies.read"
    ), message
    assert env[TOKEN_ENV] not in message


def test_doctor_names_the_missing_currency_scope(world, make_settings) -> None:
    scopes = set(SERVICE_KEY_SCOPES) - {"settings.currencies.read"}
    with hubspot_server(world, scopes=scopes) as (_, env):
        checks = source_checks("hubspot", make_settings(HubSpotSettings, env), CHECKED_ON)

    failures = [c for c in checks if c.level is Level.FAIL]
    assert [c.name for c in failures] == ["read exchange rates"]
    assert "settings.currencies.read" in failures[0].detail
    assert "settings.currencies.read" in failures[0].fix
    assert "THINLINE_HUBSPOT__TOKEN" in failures[0].fix


def test_doctor_passes_a_portal_without_multi_currency(world, make_settings) -> None:
    with hubspot_server(world, multi_currency=False) as (_, env):
        checks = source_checks("hubspot", make_settings(HubSpotSettings, env), CHECKED_ON)

    assert [c.level for c in checks] == [Level.OK] * len(checks), [c.line() for c in checks]
    assert "read exchange rates" in [c.name for c in checks]
