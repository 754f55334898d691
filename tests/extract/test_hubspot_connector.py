"""The HubSpot connector against the sandbox's HubSpot stand-in."""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import pytest

from extract.api_versions import default_version
from extract.base import ConfigError, RawRow, SourceError, Stream, Window
from extract.hubspot import HubSpotSettings, build_connector
from extract.hubspot.client import TOKEN_HINT
from extract.hubspot.streams import HISTORY_BATCH, HISTORY_PROPERTIES
from extract.preflight import Level
from sandbox import Faults, serve
from sandbox.clock import iso
from sandbox.faults import Fault
from sandbox.hubspot_server import SERVICE_KEY_SCOPES, HubSpotServer
from thinline.doctor import source_checks

TOKEN_ENV = "THINLINE_HUBSPOT__TOKEN"
CHECKED_ON = date(2026, 12, 5)  # versions.toml's checked_on: the doctor's day in these tests
V = default_version("hubspot")  # versions.toml's newest stable version


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
        owner_pages = [r.query for r in sources.hubspot.requests if r.path == f"/crm/owners/{V}"]

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
    assert len(progress) < 30  # progress per query, never per row (two per engagement type)
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
        rf"hubspot: 50[03] INTERNAL_ERROR: [^—]+ \(correlationId [0-9a-f-]{{36}}\) "
        rf"from GET /crm/pipelines/{V}/deals — "
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
    assert message.endswith(f"from GET /crm/pipelines/{V}/deals — {TOKEN_HINT}")
    assert "create a service key" in TOKEN_HINT and TOKEN_ENV in TOKEN_HINT
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

    assert first == f"/crm/pipelines/{V}/deals"  # stage ids are read before the deals
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
            r for r in sources.hubspot.requests if r.path == f"/crm/objects/{V}/deals/batch/read"
        ]

    assert {row.keys[0] for row in rows} == set(live) - {gone}
    assert not any(row.is_deleted for row in rows)
    for row in rows:
        deal = live[row.keys[0]]
        # every tracked property's history (a property never set has none), newest first
        assert set(row.record["propertiesWithHistory"]) == set(deal.history)
        assert set(deal.history) <= set(HISTORY_PROPERTIES)
        for name, planted in deal.history.items():
            history = row.record["propertiesWithHistory"][name]
            assert [(entry["timestamp"], entry["value"]) for entry in reversed(history)] == [
                (iso(at_ms), value) for at_ms, value in planted
            ]
        history = row.record["propertiesWithHistory"]["dealstage"]
        assert history[0]["value"] == row.record["properties"]["dealstage"]  # newest first
    # the planted forecasting changes reach the raw table
    assert any(len(r.record["propertiesWithHistory"].get("closedate", [])) > 1 for r in rows)
    assert any(len(r.record["propertiesWithHistory"]["hubspot_owner_id"]) > 1 for r in rows)
    assert any(len(r.record["propertiesWithHistory"]["amount"]) > 2 for r in rows)
    assert all(r.record["propertiesWithHistory"]["hs_manual_forecast_category"] for r in rows)
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


def test_properties_are_all_by_default_or_a_configured_list() -> None:
    settings = HubSpotSettings(contact_properties=" lead_grade , utm_term,lead_grade", token="x")
    assert settings.property_choice("contacts") == ("lead_grade", "utm_term")
    assert settings.property_choice("deals") is None  # "all"
    assert HubSpotSettings(company_properties="ALL").property_choice("companies") is None
    assert settings.property_env("deals") == "THINLINE_HUBSPOT__DEAL_PROPERTIES"


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


# Issue 13: HubSpot as its docs describe it today (date versions, service keys, properties).
DATED_PATH = re.compile(
    r"/(crm/objects|crm/properties|crm/owners|crm/pipelines|crm/associations|account-info"
    r"|settings/currencies)"
    r"/(\d{4}-\d{2})(/.*)?"
)


@contextmanager
def hubspot_server(world: Any, **options: Any) -> Iterator[tuple[HubSpotServer, dict[str, str]]]:
    """One HubSpot stand-in built with ``options`` (scopes, api_today, url_limit, …) and the
    settings that reach it."""
    with HubSpotServer(world, **options) as server:
        yield server, {"THINLINE_HUBSPOT__BASE_URL": server.url, TOKEN_ENV: server.token}


def test_every_call_uses_the_default_date_version(
    world, world_window, make_settings, sleeps
) -> None:
    with serve(world) as sources:
        settings = make_settings(HubSpotSettings, sources.env)
        for stream in streams(settings, sleeps).values():
            read(stream, world_window)
        paths = {r.path for r in sources.hubspot.requests}

    assert {DATED_PATH.fullmatch(path) is not None for path in paths} == {True}, sorted(paths)
    assert {DATED_PATH.fullmatch(path).group(2) for path in paths} == {V}
    assert f"/crm/associations/{V}/deals/contacts/batch/read" in paths
    assert f"/crm/objects/{V}/deals/batch/read" in paths


def test_legacy_paths_after_v4_support_ends_fail_naming_the_version_setting(
    world, world_window, make_settings, sleeps
) -> None:
    # 2027-04-01: /crm/v4 is past its end of support, /crm/v3 not yet.
    with hubspot_server(world, api_today=date(2027, 4, 1)) as (_, env):
        settings = make_settings(HubSpotSettings, env, api_version="legacy")
        deals = read(streams(settings, sleeps)["deals"], world_window)  # v3 still answers
        with pytest.raises(SourceError) as caught:
            read(streams(settings, sleeps)["deal_contact_associations"], world_window)

    assert len(deals) == len(world.hubspot.deals)
    message = str(caught.value)
    assert "\n" not in message
    assert re.match(
        r"hubspot: 404 resource not found \(correlationId [0-9a-f-]{36}\) "
        r"from POST /crm/v4/associations/deals/contacts/batch/read — ",
        message,
    ), message
    assert "THINLINE_HUBSPOT__API_VERSION" in message and "legacy" in message


def test_a_missing_scope_names_the_scope_and_hubspots_correlation_id(
    world, world_window, make_settings, sleeps
) -> None:
    scopes = set(SERVICE_KEY_SCOPES) - {"crm.objects.deals.read"}
    with hubspot_server(world, scopes=scopes) as (_, env):
        settings = make_settings(HubSpotSettings, env)
        contacts = read(streams(settings, sleeps)["contacts"], world_window)
        with pytest.raises(SourceError) as caught:
            read(streams(settings, sleeps)["deals"], world_window)

    assert len(contacts) == len(world.hubspot.contacts)
    message = str(caught.value)
    assert message.startswith(
        "hubspot: 403 MISSING_SCOPES (requires one of: crm.objects.deals.read)"
    )
    assert re.search(
        rf"\(correlationId [0-9a-f-]{{36}}\) from GET /crm/pipelines/{V}/deals", message
    )
    assert message.endswith(
        "— give the service key in THINLINE_HUBSPOT__TOKEN the scope crm.objects.deals.read"
    ), message
    assert env[TOKEN_ENV] not in message


def test_every_property_lands_custom_ones_included(
    world, world_window, make_settings, sleeps
) -> None:
    with serve(world) as sources:
        settings = make_settings(HubSpotSettings, sources.env)
        rows = {
            kind: read(streams(settings, sleeps)[kind], world_window)
            for kind in ("contacts", "companies", "deals")
        }
        listed = {
            kind: {p["name"] for p in sources.hubspot.properties_json(kind)}
            for kind in ("contacts", "companies", "deals")
        }

    for kind, kind_rows in rows.items():
        planted = {r.object_id: r.properties for r in getattr(world.hubspot, kind)}
        assert len(kind_rows) == len(planted)
        for row in kind_rows:  # live and archived alike
            landed = row.record["properties"]
            assert set(landed) == listed[kind], kind
            for name, value in planted[row.keys[0]].items():
                assert landed[name] == value, (kind, name)
    grades = Counter(row.record["properties"]["lead_grade"] for row in rows["contacts"])
    assert set(grades) == {"A", "B", "C", "D", None}
    regions = {row.record["properties"]["deal_region"] for row in rows["deals"]}
    assert regions == {"North America", "EMEA", "APAC"}


def test_a_configured_property_list_is_read_with_thinlines_own(
    world, world_window, make_settings, sleeps
) -> None:
    with serve(world) as sources:
        settings = make_settings(
            HubSpotSettings, sources.env, contact_properties="lead_grade, no_such_property"
        )
        rows = read(streams(settings, sleeps)["contacts"], world_window)
        requested = [
            set(json.loads(body)["properties"])
            for body in sources.hubspot.bodies(f"/crm/objects/{V}/contacts/search")
        ]

    assert requested and all(names == requested[0] for names in requested)
    assert {"lead_grade", "li_fat_id", "email", "hs_analytics_source"} <= requested[0]
    assert "no_such_property" not in requested[0]  # not on the portal: doctor warns
    assert "phone" not in requested[0]  # a HubSpot property Thinline does not read
    for row in rows:
        assert "lead_grade" in row.record["properties"]
        assert "phone" not in row.record["properties"]


def test_archived_records_keep_every_property_however_long_the_list(
    world, world_window, make_settings, sleeps
) -> None:
    # A GET carries its properties in the URL: past the URL limit HubSpot's edge answers 414.
    with hubspot_server(world, url_limit=600) as (server, env):
        settings = make_settings(HubSpotSettings, env)
        rows = read(streams(settings, sleeps)["contacts"], world_window)
        statuses = Counter(r.status for r in server.requests)

    archived = [row for row in rows if row.is_deleted]
    assert len(archived) == sum(c.archived_ms is not None for c in world.hubspot.contacts) > 0
    assert all("lead_grade" in row.record["properties"] for row in archived)
    assert all(row.record["archivedAt"] for row in archived)
    assert 414 not in statuses


def test_doctor_rows_are_all_ok_at_the_defaults(world, make_settings) -> None:
    with serve(world) as sources:
        settings = make_settings(HubSpotSettings, sources.env)
        checks = source_checks("hubspot", settings, CHECKED_ON)

    assert [c.level for c in checks] == [Level.OK] * len(checks), [c.line() for c in checks]
    assert [c.name for c in checks] == [
        "credentials",
        "api version",
        "token",
        "read contacts",
        "read companies",
        "read deals",
        "read calls",
        "read emails",
        "read meetings",
        "read tasks",
        "read notes",
        "read deal pipelines",
        "read owners",
        "read exchange rates",
        "properties contacts",
        "properties companies",
        "properties deals",
    ]
    token_row = checks[2]
    assert "portal 24681357" in token_row.detail


def test_doctor_fails_a_rejected_token_with_the_fix_and_no_secret(world, make_settings) -> None:
    with serve(world) as sources:
        settings = make_settings(HubSpotSettings, sources.env, token="pat-na1-revoked-0000")
        checks = source_checks("hubspot", settings, CHECKED_ON)

    failures = [c for c in checks if c.level is Level.FAIL]
    assert [c.name for c in failures] == ["token"]
    assert checks[-1] is failures[0]  # nothing else is asked with a rejected token
    assert "401 INVALID_AUTHENTICATION" in failures[0].detail
    assert "correlationId" in failures[0].detail
    assert "THINLINE_HUBSPOT__TOKEN" in failures[0].fix
    assert "create a service key" in failures[0].fix
    assert all("pat-na1-revoked-0000" not in c.line() for c in checks)


def test_doctor_fails_a_missing_scope_and_checks_the_rest(world, make_settings) -> None:
    scopes = set(SERVICE_KEY_SCOPES) - {"crm.objects.owners.read"}
    with hubspot_server(world, scopes=scopes) as (_, env):
        settings = make_settings(HubSpotSettings, env)
        checks = source_checks("hubspot", settings, CHECKED_ON)

    by_name = {c.name: c for c in checks}
    failures = [c for c in checks if c.level is Level.FAIL]
    assert [c.name for c in failures] == ["read owners"]
    assert "MISSING_SCOPES" in failures[0].detail
    assert "crm.objects.owners.read" in failures[0].detail
    assert "THINLINE_HUBSPOT__TOKEN" in failures[0].fix
    assert "crm.objects.owners.read" in failures[0].fix
    assert by_name["read deals"].level is Level.OK
    assert by_name["properties deals"].level is Level.OK
    assert all(env[TOKEN_ENV] not in c.line() for c in checks)


def test_doctor_fails_a_sunset_version_naming_its_date_and_the_setting(
    world, make_settings
) -> None:
    with hubspot_server(world, api_today=date(2027, 4, 1)) as (_, env):
        settings = make_settings(HubSpotSettings, env, api_version="legacy")
        checks = source_checks("hubspot", settings, date(2027, 4, 1))

    assert [c.level for c in checks] == [Level.OK, Level.FAIL]
    version = checks[1]
    assert "legacy was sunset on 2027-03-30" in version.detail
    assert "THINLINE_HUBSPOT__API_VERSION" in version.fix and V in version.fix
    assert all(env[TOKEN_ENV] not in c.line() for c in checks)


def test_doctor_warns_about_a_configured_property_the_portal_lacks(world, make_settings) -> None:
    with serve(world) as sources:
        settings = make_settings(
            HubSpotSettings, sources.env, contact_properties="lead_grade,no_such_property"
        )
        checks = {c.name: c for c in source_checks("hubspot", settings, CHECKED_ON)}

    contacts = checks["properties contacts"]
    assert contacts.level is Level.WARN
    assert "no_such_property" in contacts.detail and "lead_grade" not in contacts.detail
    assert "THINLINE_HUBSPOT__CONTACT_PROPERTIES" in contacts.fix
    assert checks["properties deals"].level is Level.OK
