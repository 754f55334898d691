"""The Google Ads connector against the sandbox's Google Ads stand-in (searchStream + OAuth)."""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from extract.base import ConfigError, LoadMode, RawRow, SourceError, Stream, Window
from extract.google_ads import GoogleAdsSettings, build_connector
from extract.google_ads.streams import CLICK_VIEWS, click_view_days
from sandbox import Faults, serve
from sandbox.faults import Fault

MICROS = Decimal(1_000_000)


def streams(settings: GoogleAdsSettings, sleep: Any) -> dict[str, Stream]:
    return {stream.entity: stream for stream in build_connector(settings, sleep=sleep).streams()}


def read(stream: Stream, window: Window) -> list[RawRow]:
    rows = list(stream.fetch(window))
    keys = [row.keys for row in rows]
    assert len(keys) == len(set(keys)), f"{stream.entity}: duplicate keys"
    return rows


def api_calls(sources: Any) -> list[Any]:
    return [r for r in sources.google_ads.requests if r.path.endswith("googleAds:searchStream")]


def token_calls(sources: Any) -> int:
    return sum(r.path == "/token" for r in sources.google_ads.requests)


def test_spend_per_campaign_and_day_equals_truth(
    world, truth, world_window, make_settings, sleeps
) -> None:
    with serve(world) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env)
        rows = {name: read(s, world_window) for name, s in streams(settings, sleeps).items()}

    for entity, expected in truth["counts"]["google_ads"].items():
        assert len(rows[entity]) == expected["active"], entity
    expected_spend: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    currency = {}
    google = [row for row in truth["ad_spend"] if row["platform"] == "google_ads"]
    for ad_day in google:
        key = (int(ad_day["campaign_id"]), date.fromisoformat(ad_day["date"]))
        expected_spend[key] += Decimal(ad_day["cost_micros"]) / MICROS
        currency[int(ad_day["customer_id"])] = ad_day["currency"]
    spend = {}
    for row in rows["campaign_daily_metrics"]:
        customer_id, campaign_id, metric_date = row.keys
        assert row.record["customer"]["currencyCode"] == currency[customer_id]
        spend[campaign_id, metric_date] = (
            Decimal(row.record["metrics"].get("costMicros", "0")) / MICROS
        )
    assert spend == expected_spend
    ad_keys = {row.keys for row in rows["ad_daily_metrics"]}
    assert ad_keys == {
        (
            int(r["customer_id"]),
            int(r["ad_group_id"]),
            int(r["ad_id"]),
            date.fromisoformat(r["date"]),
        )
        for r in google
    }
    assert token_calls(sources) == 1  # one access token serves every stream
    assert sleeps == []


def test_long_windows_are_chunked_and_empty_windows_read_nothing(
    world, make_settings, sleeps
) -> None:
    seventy_days = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 12, tzinfo=UTC))
    empty = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    with serve(world) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env)
        stream = streams(settings, sleeps)["campaign_daily_metrics"]
        rows = read(stream, seventy_days)
        assert read(stream, empty) == []
        calls = api_calls(sources)

    assert len(calls) == 2 * 3  # two accounts, 31 + 31 + 8 days
    assert {row.keys[2] for row in rows} == set(seventy_days.days())


def test_quota_429_waits_the_retry_delay_google_gives(
    world, world_window, make_settings, sleeps
) -> None:
    with serve(world, google_ads_faults=Faults(rate_limit=2, retry_after_seconds=0.01)) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env)
        rows = read(streams(settings, sleeps)["customers"], world_window)
        fired = sources.google_ads.faults_fired()

    assert fired == Counter({Fault.RATE_LIMIT: 2})
    assert sleeps == [0.01, 0.01]
    assert len(rows) == 2


def test_quota_429_without_a_delay_backs_off_exponentially(
    world, world_window, make_settings, sleeps
) -> None:
    with serve(world, google_ads_faults=Faults(rate_limit=3, retry_after_seconds=None)) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env, backoff_seconds=0.5)
        assert len(read(streams(settings, sleeps)["customers"], world_window)) == 2
    assert sleeps == [0.5, 1.0, 2.0]


def test_daily_quota_stops_at_once(world, world_window, make_settings, sleeps) -> None:
    with serve(world, google_ads_faults=Faults(daily_quota_exhausted=True)) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env)
        with pytest.raises(SourceError) as caught:
            read(streams(settings, sleeps)["campaign_daily_metrics"], world_window)
        calls = len(api_calls(sources))

    assert calls == 1
    assert sleeps == []
    assert str(caught.value).startswith("google_ads: 429 RESOURCE_EXHAUSTED: Too many requests.")
    assert str(caught.value).endswith("daily quota is spent; rerun after it resets")


def test_expired_token_is_refreshed_once(world, world_window, make_settings, sleeps) -> None:
    with serve(world, google_ads_faults=Faults(expired_tokens=1)) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env)
        rows = read(streams(settings, sleeps)["campaigns"], world_window)
        tokens = token_calls(sources)

    assert len(rows) == len(world.google_ads.campaigns)
    assert tokens == 2  # the first token, and one refresh after the 401
    assert sleeps == []


def test_token_rejected_after_refresh_names_the_refresh_token(
    world, world_window, make_settings, sleeps
) -> None:
    with serve(world, google_ads_faults=Faults(expired_tokens=2)) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env)
        with pytest.raises(SourceError) as caught:
            read(streams(settings, sleeps)["campaigns"], world_window)
        tokens, calls = token_calls(sources), len(api_calls(sources))
        secrets = [v for k, v in sources.env.items() if "TOKEN" in k or "SECRET" in k]

    message = str(caught.value)
    assert (tokens, calls) == (2, 2)
    assert re.fullmatch(
        r"google_ads: 401 UNAUTHENTICATED OAUTH_TOKEN_EXPIRED: OAuth token expired\. "
        r"from POST /v21/customers/\d+/googleAds:searchStream — "
        r"check THINLINE_GOOGLE_ADS__REFRESH_TOKEN",
        message,
    )
    assert not any(secret in message for secret in secrets)


def test_bad_refresh_token_fails_on_the_token_endpoint(
    world, world_window, make_settings, sleeps
) -> None:
    with serve(world) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env, refresh_token="1//revoked")
        with pytest.raises(SourceError) as caught:
            read(streams(settings, sleeps)["customers"], world_window)
    message = str(caught.value)
    assert message.startswith("google_ads: 400 invalid_grant: Bad Request from POST /token — ")
    assert "THINLINE_GOOGLE_ADS__REFRESH_TOKEN" in message
    assert "1//revoked" not in message


def test_missing_login_customer_id_is_permission_denied(
    world, world_window, make_settings, sleeps
) -> None:
    with serve(world) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env, login_customer_id=None)
        with pytest.raises(SourceError, match="THINLINE_GOOGLE_ADS__LOGIN_CUSTOMER_ID") as caught:
            read(streams(settings, sleeps)["customers"], world_window)
    assert str(caught.value).startswith("google_ads: 403 PERMISSION_DENIED USER_PERMISSION_DENIED")
    assert sleeps == []


def test_server_errors_are_bounded(world, world_window, make_settings, sleeps) -> None:
    with serve(world, google_ads_faults=Faults(server_errors=2)) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env)
        assert len(read(streams(settings, sleeps)["customers"], world_window)) == 2
    assert sleeps == [1.0, 2.0]

    sleeps.clear()
    with serve(world, google_ads_faults=Faults(server_errors=50)) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env, max_retries=2)
        with pytest.raises(SourceError, match="gave up after 3 tries") as caught:
            read(streams(settings, sleeps)["customers"], world_window)
    assert re.match(r"google_ads: 50[03] (INTERNAL|UNAVAILABLE) ", str(caught.value))
    assert sleeps == [1.0, 2.0]


def test_malformed_stream_is_retried_then_fails(world, world_window, make_settings, sleeps) -> None:
    with serve(world, google_ads_faults=Faults(malformed_pages=1)) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env)
        assert len(read(streams(settings, sleeps)["campaigns"], world_window)) == 8
    with serve(world, google_ads_faults=Faults(malformed_pages=10)) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env, max_retries=1)
        with pytest.raises(SourceError, match=r"^google_ads: 200 malformed JSON in response body"):
            read(streams(settings, sleeps)["campaigns"], world_window)


def test_missing_credentials_are_config_errors(world_window, sleeps) -> None:
    stream = streams(GoogleAdsSettings(), sleeps)["customers"]
    with pytest.raises(ConfigError, match=r"THINLINE_GOOGLE_ADS__DEVELOPER_TOKEN is not set$"):
        next(stream.fetch(world_window))


def test_click_views_land_the_gclids_of_contacts_one_day_per_query(
    world, truth, make_settings, sleeps, caplog
) -> None:
    caplog.set_level(logging.INFO)
    end = world.config.end
    window = Window(datetime(2025, 12, 1, tzinfo=UTC), world_end(world))  # 121 days
    with serve(world) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env)
        rows = read(streams(settings, sleeps)["click_views"], window)
        calls = api_calls(sources)

    oldest = end - timedelta(days=89)  # 90 days, the last one included
    expected = {
        (int(c["customer_id"]), c["gclid"], date.fromisoformat(c["date"])): c
        for c in truth["paid_contacts"]
        if date.fromisoformat(c["date"]) >= oldest
    }
    assert {row.keys for row in rows} == set(expected)
    assert len(rows) == truth["counts"]["google_ads"]["click_views"]["active"]
    for row in rows:
        click = expected[row.keys]
        assert row.record["campaign"]["id"] == click["campaign_id"]
        assert row.record["adGroup"]["id"] == click["ad_group_id"]
        assert row.record["clickView"]["adGroupAd"].endswith(f"~{click['ad_id']}")
        assert row.record["metrics"]["clicks"] == "1"
        assert row.record["segments"]["device"] in ("DESKTOP", "MOBILE", "TABLET")
    # one query per account and servable day, each accepted (the stand-in 400s a bad one)
    assert len(calls) == 2 * 90
    assert all(call.status == 200 for call in calls)
    assert min(key[2] for key in expected) < oldest + timedelta(days=7), "clicks span the range"
    messages = [r.getMessage() for r in caplog.records if r.name == "extract.google_ads"]
    assert (
        "google_ads: click_views: skipping 31 days before 2026-01-01: click_view serves only "
        "the last 90 days" in messages
    )
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_click_view_query_names_a_single_day() -> None:
    day = date(2026, 3, 1)
    query = CLICK_VIEWS.query(day, day)
    assert query.endswith("FROM click_view WHERE segments.date = '2026-03-01'")
    assert "click_view.gclid" in query and "BETWEEN" not in query
    end = datetime(2026, 4, 1, tzinfo=UTC)
    assert click_view_days(Window(datetime(2025, 1, 1, tzinfo=UTC), end))[0] == date(2026, 1, 1)
    late = Window(datetime(2026, 3, 30, tzinfo=UTC), datetime(2026, 4, 1, 6, tzinfo=UTC))
    assert click_view_days(late) == [date(2026, 3, 30), date(2026, 3, 31), date(2026, 4, 1)]
    assert click_view_days(Window(end, end)) == []


def test_click_views_merge_so_a_backfill_never_deletes_unreadable_days(
    world, make_settings, sleeps
) -> None:
    with serve(world) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env, lookback_days=7)
        (stream,) = [s for s in streams(settings, sleeps).values() if s.entity == "click_views"]
    assert stream.load_mode is LoadMode.MERGE  # replacing days would drop clicks > 90 days old
    assert stream.key_columns == {"customer_id": "bigint", "gclid": "text", "click_date": "date"}
    assert stream.lookback == timedelta(days=7)


def world_end(world: Any) -> datetime:
    return datetime.fromtimestamp(world.config.as_of_ms / 1000, tz=UTC)
