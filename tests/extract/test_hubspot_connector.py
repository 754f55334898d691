"""The HubSpot connector against the sandbox's HubSpot stand-in."""

from __future__ import annotations

import logging
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from extract.base import ConfigError, RawRow, SourceError, Stream, Window
from extract.hubspot import HubSpotSettings, build_connector
from extract.hubspot.streams import HISTORY_BATCH
from sandbox import Faults, serve
from sandbox.clock import iso
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
    live_deals = sum(deal.archived_ms is None for deal in world.hubspot.deals)
    pages = -(-live_deals // 5)
    assert (
        f"hubspot: deals [1767225600000, 1775001600000) ms: {live_deals} records in {pages} pages"
        in progress
    )
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
        r"hubspot: 50[03] INTERNAL_ERROR: [^—]+ from GET /crm/v3/pipelines/deals — "
        r"gave up after 4 tries; rerun later or raise THINLINE_HUBSPOT__MAX_RETRIES",
        message,
    )


def test_malformed_page_is_retried_then_fails(world, world_window, make_settings, sleeps) -> None:
    with serve(world, hubspot_faults=Faults(malformed_pages=1)) as sources:
        settings = make_settings(HubSpotSettings, sources.env)
        assert len(read(streams(settings, sleeps)["deals"], world_window)) == len(
            world.hubspot.deals
        )
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
    # the deals stream starts with the pipelines: their stage ids name the stage-date properties
    assert message.endswith(f"from GET /crm/v3/pipelines/deals — check {TOKEN_ENV}")
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


def test_deals_land_their_stage_history_named_by_the_pipelines(
    world, world_window, make_settings, sleeps
) -> None:
    with serve(world) as sources:
        settings = make_settings(HubSpotSettings, sources.env)
        deals = {row.keys[0]: row for row in read(streams(settings, sleeps)["deals"], world_window)}
        first = sources.hubspot.requests[0].path

    assert first == "/crm/v3/pipelines/deals"  # stage ids are read before the deals
    assert len(deals) == len(world.hubspot.deals)
    for deal in world.hubspot.deals:
        planted = {
            name: value
            for name, value in deal.properties.items()
            if name.startswith("hs_v2_date_") and value is not None
        }
        assert planted, "every deal has entered its first stage"
        landed = deals[deal.object_id].record["properties"]
        assert {name: landed[name] for name in planted} == planted
        assert landed["list_amount"] == deal.properties["list_amount"]  # a custom property
        stage = deal.properties["dealstage"]
        assert landed[f"hs_v2_date_entered_{stage}"] is not None


def test_deal_stage_history_is_every_stage_change_of_the_modified_deals(
    world, world_window, make_settings, sleeps, caplog
) -> None:
    caplog.set_level(logging.INFO)
    live = {deal.object_id: deal for deal in world.hubspot.deals if deal.archived_ms is None}
    gone = min(live)  # archived between the search and the batch read
    with serve(world) as sources:
        settings = make_settings(HubSpotSettings, sources.env)
        del sources.hubspot.by_id["deals"][gone]  # search still finds it, batch read does not
        rows = read(streams(settings, sleeps)["deal_stage_history"], world_window)
        batches = [
            r for r in sources.hubspot.requests if r.path == "/crm/v3/objects/deals/batch/read"
        ]

    assert {row.keys[0] for row in rows} == set(live) - {gone}
    assert not any(row.is_deleted for row in rows)
    for row in rows:
        history = row.record["propertiesWithHistory"]["dealstage"]
        planted = live[row.keys[0]].history["dealstage"]
        assert [(entry["timestamp"], entry["value"]) for entry in reversed(history)] == [
            (iso(at_ms), value) for at_ms, value in planted
        ]
        assert history[0]["value"] == row.record["properties"]["dealstage"]  # newest first
    assert len(batches) == -(-len(live) // HISTORY_BATCH)  # 50 deals per call
    assert all(r.status in (200, 207) for r in batches)
    assert "hubspot: 1 deals were gone before their history was read" in caplog.text
    assert f"hubspot: deal stage history: {len(rows)} deals in {len(batches)} batches" in (
        caplog.text
    )


def test_deal_stage_history_reads_only_deals_modified_in_the_window(
    world, make_settings, sleeps
) -> None:
    end_ms = world.config.as_of_ms
    window = Window(
        datetime.fromtimestamp((end_ms - 7 * 86_400_000) / 1000, tz=UTC),
        datetime.fromtimestamp(end_ms / 1000, tz=UTC),
    )
    modified = {
        deal.object_id
        for deal in world.hubspot.deals
        if deal.archived_ms is None and end_ms - 7 * 86_400_000 <= deal.updated_ms < end_ms
    }
    with serve(world) as sources:
        settings = make_settings(HubSpotSettings, sources.env)
        rows = read(streams(settings, sleeps)["deal_stage_history"], window)

    assert modified
    assert {row.keys[0] for row in rows} == modified


def test_merged_contacts_are_flagged_and_survivors_keep_the_merge_list(
    world, world_window, make_settings, sleeps
) -> None:
    with serve(world) as sources:
        settings = make_settings(HubSpotSettings, sources.env)
        rows = read(streams(settings, sleeps)["contacts"], world_window)

    contacts = {row.keys[0]: row for row in rows}
    survivors = [
        row
        for row in rows
        if not row.is_deleted and row.record["properties"]["hs_merged_object_ids"]
    ]
    assert survivors
    for survivor in survivors:
        for merged_id in survivor.record["properties"]["hs_merged_object_ids"].split(";"):
            merged = contacts[int(merged_id)]
            assert merged.is_deleted and merged.record["archived"] is True
    planted = {
        c.object_id: c.properties["hs_merged_object_ids"]
        for c in world.hubspot.contacts
        if c.archived_ms is None and c.properties["hs_merged_object_ids"]
    }
    assert {r.keys[0]: r.record["properties"]["hs_merged_object_ids"] for r in survivors} == planted


def test_contacts_carry_click_ids_sources_and_lifecycle_dates(
    world, truth, world_window, make_settings, sleeps
) -> None:
    with serve(world) as sources:
        settings = make_settings(HubSpotSettings, sources.env)
        rows = read(streams(settings, sleeps)["contacts"], world_window)

    live = {row.keys[0]: row.record["properties"] for row in rows if not row.is_deleted}
    wanted = {
        "hs_google_click_id",
        "hs_facebook_click_id",
        "li_fat_id",  # custom (portal-specific): HubSpot has no standard LinkedIn click id
        "hs_analytics_source",
        "hs_analytics_source_data_1",
        "hs_analytics_first_url",
        "hs_analytics_first_timestamp",
        "hs_latest_source",
        "hs_latest_source_timestamp",
        "hs_lifecyclestage_lead_date",
        "hs_lifecyclestage_marketingqualifiedlead_date",
        "hs_lifecyclestage_salesqualifiedlead_date",
        "hs_lifecyclestage_opportunity_date",
        "hs_lifecyclestage_customer_date",
        "hs_merged_object_ids",
    }
    assert all(wanted <= set(properties) for properties in live.values())
    for paid in truth["paid_contacts"]:
        if int(paid["contact_id"]) in live:
            properties = live[int(paid["contact_id"])]
            assert properties["hs_google_click_id"] == paid["gclid"]
            assert f"gclid={paid['gclid']}" in properties["hs_analytics_first_url"]
    for contact in world.hubspot.contacts:
        if contact.object_id in live:
            for name in wanted:
                assert live[contact.object_id][name] == contact.properties[name], name


def test_custom_properties_are_configurable() -> None:
    settings = HubSpotSettings(contact_custom_properties=" li_fat_id , utm_term,", token="x")
    assert settings.custom_properties("contacts") == ("li_fat_id", "utm_term")
    assert settings.custom_properties("deals") == ("list_amount",)
    assert settings.custom_properties("companies") == ()


def test_contacts_from_meta_and_linkedin_clicks_land_their_click_ids(
    truth, world_window, world, make_settings, sleeps
) -> None:
    with serve(world) as sources:
        settings = make_settings(HubSpotSettings, sources.env)
        rows = read(streams(settings, sleeps)["contacts"], world_window)

    live = {row.keys[0]: row.record["properties"] for row in rows if not row.is_deleted}
    landed: Counter[str] = Counter()
    for click in truth["ad_click_contacts"]:
        properties = live.get(int(click["contact_id"]))
        if properties is None:
            continue  # archived as spam
        assert properties[click["click_property"]] == click["click_id"]
        assert click["click_id"] in properties["hs_analytics_first_url"]
        landed[click["platform"]] += 1
    assert set(landed) == {"google_ads", "meta_ads", "linkedin_ads"}
    assert landed["meta_ads"] > 20 and landed["linkedin_ads"] > 20
