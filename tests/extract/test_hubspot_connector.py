"""The HubSpot connector against the sandbox's HubSpot stand-in."""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any

import pytest

from extract.base import ConfigError, RawRow, SourceError, Stream, Window
from extract.hubspot import HubSpotSettings, build_connector
from sandbox import Faults, serve
from sandbox.faults import Fault

TOKEN_ENV = "THINLINE_HUBSPOT__TOKEN"


def streams(settings: HubSpotSettings, sleep: Any) -> dict[str, Stream]:
    return {stream.entity: stream for stream in build_connector(settings, sleep=sleep).streams()}


def read(stream: Stream, window: Window) -> list[RawRow]:
    rows = list(stream.fetch(window))
    keys = [row.keys for row in rows]
    assert len(keys) == len(set(keys)), f"{stream.entity}: duplicate keys"
    return rows


def test_every_stream_reads_to_the_end(
    world, truth, world_window, make_settings, sleeps, caplog
) -> None:
    caplog.set_level(logging.INFO)
    with serve(world) as sources:
        settings = make_settings(HubSpotSettings, sources.env, page_size=5)  # many pages
        rows = {name: read(s, world_window) for name, s in streams(settings, sleeps).items()}
        token = sources.env[TOKEN_ENV]
        owner_pages = [r.query for r in sources.hubspot.requests if r.path == "/crm/v3/owners/"]

    for entity, expected in truth["counts"]["hubspot"].items():
        deleted = Counter(row.is_deleted for row in rows[entity])
        assert (deleted[False], deleted[True]) == (expected["active"], expected["archived"]), entity
    deals = {row.keys[0]: row for row in rows["deals"]}
    assert set(deals) == {int(deal["deal_id"]) for deal in truth["deals"]}
    for deal in truth["deals"]:
        row = deals[int(deal["deal_id"])]
        assert row.is_deleted == deal["archived"]
        assert row.record["properties"]["amount"] == deal["amount"]  # kept exactly as returned
        assert row.record["properties"]["dealstage"] == deal["stage"]
    pairs = {row.keys for row in rows["deal_contact_associations"]}
    expected_pairs = {
        (int(deal["deal_id"]), int(contact_id))
        for deal in truth["deals"]
        if not deal["archived"]
        for contact_id in deal["contact_ids"]
    }
    assert pairs == expected_pairs
    assert all(row.keys[0] is not None for rows_ in rows.values() for row in rows_)
    assert sleeps == []
    assert [q["archived"] for q in owner_pages] == [["false"], ["false"], ["true"]]  # 6 + 2 owners
    progress = [r.getMessage() for r in caplog.records if r.name == "extract.hubspot"]
    assert "hubspot: deals [1767225600000, 1775001600000) ms: 45 records in 9 pages" in progress
    assert len(progress) < 20  # progress per query, never per row
    assert token not in caplog.text


def test_window_over_the_search_cap_is_split(world, world_window, make_settings, sleeps) -> None:
    with serve(world) as sources:
        settings = make_settings(HubSpotSettings, sources.env, search_cap=40, page_size=15)
        contacts = read(streams(settings, sleeps)["contacts"], world_window)
        searches = [r for r in sources.hubspot.requests if r.path.endswith("/search")]

    live = [row for row in contacts if not row.is_deleted]
    assert len(live) == len([c for c in world.hubspot.contacts if c.archived_ms is None])
    assert all(request.status == 200 for request in searches)  # never paged past the cap
    assert len(searches) > len(live) / 15  # more queries than one unsplit window would need


def test_rate_limit_is_retried_after_the_retry_after_delay(
    world, world_window, make_settings, sleeps, caplog
) -> None:
    faults = Faults(rate_limit=2, retry_after_seconds=0.25)
    with serve(world, hubspot_faults=faults) as sources:
        settings = make_settings(HubSpotSettings, sources.env)
        deals = read(streams(settings, sleeps)["deals"], world_window)
        fired = sources.hubspot.faults_fired()

    assert fired == Counter({Fault.RATE_LIMIT: 2})
    assert sleeps == [0.25, 0.25]
    assert len(deals) == len(world.hubspot.deals)
    assert "429 RATE_LIMIT: You have reached your secondly limit." in caplog.text
    assert sources.env[TOKEN_ENV] not in caplog.text


def test_server_errors_are_retried_with_doubling_backoff(
    world, world_window, make_settings, sleeps
) -> None:
    with serve(world, hubspot_faults=Faults(server_errors=2)) as sources:
        settings = make_settings(HubSpotSettings, sources.env, backoff_seconds=0.5)
        deals = read(streams(settings, sleeps)["deals"], world_window)

    assert sleeps == [0.5, 1.0]
    assert len(deals) == len(world.hubspot.deals)


def test_persistent_server_errors_end_in_one_line_error(
    world, world_window, make_settings, sleeps
) -> None:
    with serve(world, hubspot_faults=Faults(server_errors=50)) as sources:
        settings = make_settings(HubSpotSettings, sources.env, max_retries=3)
        with pytest.raises(SourceError) as caught:
            read(streams(settings, sleeps)["deals"], world_window)
        requests = len(sources.hubspot.requests)

    message = str(caught.value)
    assert requests == 4  # the first try and three retries
    assert sleeps == [1.0, 2.0, 4.0]
    assert "\n" not in message
    assert re.fullmatch(
        r"hubspot: 50[03] INTERNAL_ERROR: [^—]+ from GET /crm/v3/objects/deals — "
        r"gave up after 4 tries; rerun later or raise THINLINE_HUBSPOT__MAX_RETRIES",
        message,
    )


def test_malformed_page_is_retried_then_fails(world, world_window, make_settings, sleeps) -> None:
    with serve(world, hubspot_faults=Faults(malformed_pages=1)) as sources:
        settings = make_settings(HubSpotSettings, sources.env)
        assert len(read(streams(settings, sleeps)["deals"], world_window)) == 49
    with serve(world, hubspot_faults=Faults(malformed_pages=10)) as sources:
        settings = make_settings(HubSpotSettings, sources.env, max_retries=2)
        with pytest.raises(
            SourceError, match=r"^hubspot: 200 malformed JSON in response body from"
        ):
            read(streams(settings, sleeps)["deals"], world_window)


def test_rejected_token_names_the_setting_and_hides_the_token(
    world, world_window, make_settings, sleeps
) -> None:
    with serve(world, hubspot_faults=Faults(expired_tokens=1)) as sources:
        settings = make_settings(HubSpotSettings, sources.env)
        with pytest.raises(SourceError) as caught:
            read(streams(settings, sleeps)["deals"], world_window)
        token = sources.env[TOKEN_ENV]

    message = str(caught.value)
    assert message.startswith("hubspot: 401 EXPIRED_AUTHENTICATION: ")
    assert message.endswith(f"from GET /crm/v3/objects/deals — check {TOKEN_ENV}")
    assert token not in message
    assert sleeps == []

    with serve(world) as sources:
        settings = make_settings(HubSpotSettings, sources.env, token="pat-wrong-token")
        with pytest.raises(SourceError, match="401 INVALID_AUTHENTICATION") as caught:
            read(streams(settings, sleeps)["owners"], world_window)
    assert "pat-wrong-token" not in str(caught.value)


def test_daily_limit_stops_at_once(world, world_window, make_settings, sleeps) -> None:
    with serve(world, hubspot_faults=Faults(daily_quota_exhausted=True)) as sources:
        settings = make_settings(HubSpotSettings, sources.env)
        with pytest.raises(SourceError, match="daily API limit") as caught:
            read(streams(settings, sleeps)["contacts"], world_window)
        requests = len(sources.hubspot.requests)

    assert requests == 1
    assert sleeps == []
    assert str(caught.value).startswith(
        "hubspot: 429 RATE_LIMIT: You have reached your daily limit."
    )


def test_timeouts_are_retried_then_fail(world, world_window, make_settings, sleeps) -> None:
    with serve(world, hubspot_faults=Faults(slow_seconds=0.5)) as sources:
        settings = make_settings(HubSpotSettings, sources.env, timeout_seconds=0.05, max_retries=1)
        with pytest.raises(SourceError, match=r"^hubspot: timeout ReadTimeout from GET "):
            read(streams(settings, sleeps)["owners"], world_window)
    assert sleeps == [1.0]


def test_missing_token_is_a_config_error(world_window, sleeps) -> None:
    stream = streams(HubSpotSettings(), sleeps)["deals"]
    with pytest.raises(ConfigError, match=f"^hubspot: credential {TOKEN_ENV} is not set$"):
        next(stream.fetch(world_window))
