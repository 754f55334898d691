"""The Google Ads connector against the sandbox's Google Ads stand-in (searchStream + OAuth)."""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from extract.api_versions import version_table
from extract.base import ConfigError, LoadMode, RawRow, Skipped, SourceError, Stream, Window
from extract.google_ads import GoogleAdsSettings, build_connector
from extract.google_ads.client import GoogleAdsClient
from extract.google_ads.streams import CLICK_VIEWS
from extract.loader import ensure_ops, load_stream, read_watermark
from extract.oauth import AccessToken
from extract.preflight import Check, Level
from sandbox import Faults, serve
from sandbox.faults import Fault
from sandbox.google_ads_data import PRIVACY_IMPRESSIONS
from sandbox.google_ads_server import DEVELOPER_TOKEN_SUNSET, GoogleAdsServer
from thinline.doctor import source_checks

MICROS = Decimal(1_000_000)
CLICK_VIEW_SKIP = "click_view serves only the last 90 days before the request"


def streams(settings: GoogleAdsSettings, sleep: Any) -> dict[str, Stream]:
    return {stream.entity: stream for stream in build_connector(settings, sleep=sleep).streams()}


def read(stream: Stream, window: Window) -> list[RawRow]:
    rows = [row for row in stream.fetch(window) if isinstance(row, RawRow)]
    keys = [row.keys for row in rows]
    assert len(keys) == len(set(keys)), f"{stream.entity}: duplicate keys"
    return rows


def server_settings(server: GoogleAdsServer, **overrides: Any) -> GoogleAdsSettings:
    """The documented settings for a stand-in built with its own arguments."""
    credentials = server.credentials
    return GoogleAdsSettings(
        **{
            "base_url": server.url,
            "token_url": f"{server.url}/token",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "refresh_token": credentials.refresh_token,
            "customer_ids": ",".join(str(c.customer_id) for c in server.data.customers),
            "login_customer_id": str(server.data.manager.customer_id),
            **overrides,
        }
    )


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
    # each ad row carries the ad's status and the landing pages the world gave it
    final_urls = {ad.ad_id: [ad.final_url] for ad in world.google_ads.ads}
    for row in rows["ad_daily_metrics"]:
        assert row.record["adGroupAd"]["ad"]["finalUrls"] == final_urls[row.keys[2]]
        assert row.record["adGroupAd"]["status"] == "ENABLED"
    assert {row.record["adGroup"]["status"] for row in rows["ad_group_daily_metrics"]} == {
        "ENABLED"
    }
    assert token_calls(sources) == 1  # one access token serves every stream
    assert sleeps == []


def test_keywords_and_search_terms_land_what_google_serves(
    world, world_window, make_settings, sleeps
) -> None:
    with serve(world) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env)
        found = streams(settings, sleeps)
        keywords = read(found["keyword_daily_metrics"], world_window)
        terms = read(found["search_term_daily_metrics"], world_window)

    days = world_window.days()
    data = world.google_ads
    expected_keywords = {
        (k.keyword.customer_id, k.keyword.ad_group_id, k.keyword.criterion_id, k.day): k
        for k in data.keyword_metrics
        if k.day in days
    }
    assert {row.keys for row in keywords} == set(expected_keywords)
    for row in keywords:
        spend = Decimal(row.record["metrics"].get("costMicros", "0")) / MICROS
        assert spend == Decimal(expected_keywords[row.keys].cost_micros) / MICROS
        assert row.record["adGroupCriterion"]["keyword"]["text"]
    # the terms Google shows: those searched often enough that day
    expected_terms = {
        (
            t.term.keyword.customer_id,
            t.term.keyword.ad_group_id,
            t.term.keyword.criterion_id,
            t.term.text,
            t.day,
        )
        for t in data.search_term_metrics
        if t.day in days and t.impressions >= PRIVACY_IMPRESSIONS
    }
    assert {row.keys for row in terms} == expected_terms
    hidden = [t for t in data.search_term_metrics if t.day in days]
    assert len(expected_terms) < len(hidden)


def test_landing_pages_land_each_final_urls_spend_per_ad_group_and_day(
    world, world_window, make_settings, sleeps
) -> None:
    with serve(world) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env)
        pages = read(streams(settings, sleeps)["landing_page_daily_metrics"], world_window)

    days = world_window.days()
    final_urls = {ad.ad_id: ad.final_url for ad in world.google_ads.ads}
    expected: defaultdict[tuple[int, int, str, date], int] = defaultdict(int)
    for m in world.google_ads.metrics:
        if m.day in days:
            expected[m.customer_id, m.ad_group_id, final_urls[m.ad_id], m.day] += m.cost_micros
    landed = {row.keys: int(row.record["metrics"].get("costMicros", "0")) for row in pages}
    assert len(landed) == len(pages)  # the key is unique
    assert landed == dict(expected) != {}
    assert all(row.record["campaign"]["id"] for row in pages)  # the campaign segments too


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
    assert str(caught.value).startswith(
        "google_ads: 429 RESOURCE_EXHAUSTED quotaError.RESOURCE_EXHAUSTED: Too many requests."
    )
    assert str(caught.value).endswith("daily operations quota is spent; rerun after it resets")


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
        r"google_ads: 401 UNAUTHENTICATED authenticationError\.OAUTH_TOKEN_EXPIRED: OAuth token "
        r"expired\. from POST /v\d+/customers/\d+/googleAds:searchStream — "
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
    assert message.startswith(
        "google_ads: 400 invalid_grant: Token has been expired or revoked. from POST /token — "
    )
    assert "THINLINE_GOOGLE_ADS__REFRESH_TOKEN" in message
    assert "1//revoked" not in message


def test_missing_login_customer_id_is_permission_denied(
    world, world_window, make_settings, sleeps
) -> None:
    with serve(world) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env, login_customer_id=None)
        with pytest.raises(SourceError, match="THINLINE_GOOGLE_ADS__LOGIN_CUSTOMER_ID") as caught:
            read(streams(settings, sleeps)["customers"], world_window)
    assert str(caught.value).startswith(
        "google_ads: 403 PERMISSION_DENIED authorizationError.USER_PERMISSION_DENIED: User doesn't "
        "have permission to access customer."
    )
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
    with pytest.raises(ConfigError, match=r"THINLINE_GOOGLE_ADS__CLIENT_ID is not set$"):
        next(stream.fetch(world_window))


def test_click_views_land_the_gclids_of_contacts_one_day_per_query(
    world, truth, make_settings, sleeps, caplog
) -> None:
    caplog.set_level(logging.INFO)
    end = world.config.end
    window = Window(datetime(2025, 12, 1, tzinfo=UTC), world_end(world))  # 121 days
    with serve(world) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env)
        fetched = list(streams(settings, sleeps)["click_views"].fetch(window))
        calls = api_calls(sources)

    rows = [row for row in fetched if isinstance(row, RawRow)]
    oldest = end - timedelta(days=89)  # 90 days before the stand-in's request day, end + 1
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
    # newest day first, one query per account and day, until Google says a day is too old:
    # that day and the 30 before it are skipped without asking
    assert len(calls) == 2 * (90 + 1)
    assert [call.status for call in calls].count(400) == 2
    assert [item for item in fetched if not isinstance(item, RawRow)] == [
        Skipped(CLICK_VIEW_SKIP, 31),
        Skipped(CLICK_VIEW_SKIP, 31),
    ]
    messages = [r.getMessage() for r in caplog.records if r.name == "extract.google_ads"]
    assert any(
        "click_views customer" in m and "31 days from 2025-12-31 back" in m for m in messages
    ), messages
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_click_view_query_names_a_single_day() -> None:
    day = date(2026, 3, 1)
    query = CLICK_VIEWS.query(day, day)
    assert query.endswith("FROM click_view WHERE segments.date = '2026-03-01'")
    assert "click_view.gclid" in query and "BETWEEN" not in query


def test_a_click_view_backfill_loads_the_servable_days_and_counts_the_rest(
    world, truth, make_settings, sleeps, fresh_database
) -> None:
    # The window's end is not Google's "now": the stand-in counts its 90 days from its own
    # request day (the day after the world's end), not from the end of a backfill window.
    backfill = Window(datetime(2025, 10, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        ensure_ops(conn)
        with serve(world) as sources:
            settings = make_settings(GoogleAdsSettings, sources.env)
            stream = streams(settings, sleeps)["click_views"]
            result = load_stream(conn, "google_ads", stream, backfill, "backfill")
        loaded = conn.execute(
            "select customer_id, gclid, click_date from raw_google_ads.click_views"
        ).fetchall()
        watermark = read_watermark(conn, "google_ads", "click_views")

    served_from = world.config.end + timedelta(days=1) - timedelta(days=90)
    expected = {
        (int(c["customer_id"]), c["gclid"], date.fromisoformat(c["date"]))
        for c in truth["paid_contacts"]
        if served_from <= date.fromisoformat(c["date"]) < backfill.end.date()
    }
    assert set(loaded) == expected and len(loaded) == len(expected) == result.rows > 0
    too_old_per_account = (served_from - backfill.start.date()).days  # 92
    assert result.skipped == {CLICK_VIEW_SKIP: 2 * too_old_per_account}
    assert watermark == backfill.end


def test_an_error_inside_the_stream_fails_the_window_and_commits_nothing(
    world, sleeps, fresh_database
) -> None:
    january = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    later = Window(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    count = "select count(*), sum((record->'metrics'->>'costMicros')::bigint) from {}"
    table = "raw_google_ads.ad_daily_metrics"
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        ensure_ops(conn)
        with GoogleAdsServer(world) as server:
            stream = streams(server_settings(server), sleeps)["ad_daily_metrics"]
            good = load_stream(conn, "google_ads", stream, january, "good")
        before = conn.execute(count.format(table)).fetchone()
        with GoogleAdsServer(world, batch_rows=100, stream_error_after=1) as server:
            stream = streams(server_settings(server), sleeps)["ad_daily_metrics"]
            with pytest.raises(SourceError) as caught:
                load_stream(conn, "google_ads", stream, later, "broken")
        after = conn.execute(count.format(table)).fetchone()
        watermark = read_watermark(conn, "google_ads", "ad_daily_metrics")

    message = str(caught.value)
    assert "\n" not in message
    assert re.match(
        r"google_ads: 500 INTERNAL internalError\.INTERNAL_ERROR: Internal error\. "
        r"in the searchStream of POST /v\d+/customers/\d+/googleAds:searchStream after 100 rows",
        message,
    ), message
    assert after == before and before[0] == good.rows > 100
    assert watermark == january.end


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


# -- API versions and Google's own words ------------------------------------------------------


def test_the_default_version_is_the_newest_stable_one_google_serves_today(
    world, world_window, make_settings, sleeps
) -> None:
    table = version_table("google_ads")
    assert GoogleAdsSettings().api_version == table.newest_stable().version
    with serve(world) as sources:
        assert "THINLINE_GOOGLE_ADS__API_VERSION" not in sources.env
        settings = make_settings(GoogleAdsSettings, sources.env)
        rows = read(streams(settings, sleeps)["customers"], world_window)
    assert len(rows) == 2


def test_a_sunset_version_fails_with_googles_message_naming_the_setting(
    world, world_window, make_settings, sleeps
) -> None:
    with serve(world) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env, api_version="v21")
        with pytest.raises(SourceError) as caught:
            read(streams(settings, sleeps)["customers"], world_window)
        calls = api_calls(sources)

    assert re.fullmatch(
        r"google_ads: 400 INVALID_ARGUMENT requestError\.UNKNOWN: Version v21 is deprecated\. "
        r"Requests to this version will be blocked\. from POST /v21/customers/\d+/"
        r"googleAds:searchStream — .*THINLINE_GOOGLE_ADS__API_VERSION.*",
        str(caught.value),
    ), str(caught.value)
    newest = version_table("google_ads").newest_stable().version
    assert f"to {newest}" in str(caught.value)
    assert len(calls) == 1 and sleeps == []  # a fatal answer is not retried


def test_a_version_google_has_not_released_is_its_404_page(
    world, world_window, make_settings, sleeps
) -> None:
    with serve(world) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env, api_version="v99")
        with pytest.raises(SourceError) as caught:
            read(streams(settings, sleeps)["customers"], world_window)
    message = str(caught.value)
    assert re.match(
        r"google_ads: 404 NOT_FOUND: The requested URL /v99/customers/\d+/googleAds:searchStream "
        r"was not found on this server\.",
        message,
    ), message
    assert "THINLINE_GOOGLE_ADS__API_VERSION" in message.partition(" — ")[2]
    assert "<" not in message  # the HTML page, read as text


def test_an_error_code_thinline_never_heard_of_keeps_googles_code_and_message(
    world, world_window, sleeps
) -> None:
    canceled = world.google_ads.customers[1].customer_id
    with GoogleAdsServer(world, inactive_customers={canceled: "CANCELED"}) as server:
        settings = server_settings(server)
        with pytest.raises(SourceError) as caught:
            read(streams(settings, sleeps)["campaigns"], world_window)
    message = str(caught.value)
    assert message.startswith(
        "google_ads: 403 PERMISSION_DENIED authorizationError.CUSTOMER_NOT_ENABLED: The customer "
        f"can't be used because it isn't enabled. from POST /{settings.api_version}/customers/"
        f"{canceled}/"
    ), message
    hint = message.partition(" — ")[2]
    assert "AuthorizationErrorEnum" in hint and "THINLINE_GOOGLE_ADS__CUSTOMER_IDS" in hint


def test_a_gaql_error_surfaces_verbatim(world, sleeps) -> None:
    customer_id = str(world.google_ads.customers[0].customer_id)
    with GoogleAdsServer(world) as server:
        api = GoogleAdsClient(server_settings(server), AccessToken(), sleep=sleeps)
        with api, pytest.raises(SourceError) as caught:
            list(api.search_stream(customer_id, "SELECT campaign.nope FROM campaign"))
    assert str(caught.value).startswith(
        "google_ads: 400 INVALID_ARGUMENT queryError.UNRECOGNIZED_FIELD: Unrecognized field in "
        "the query: 'campaign.nope'. from POST "
    ), str(caught.value)


def test_no_developer_token_is_needed_since_googles_sunset(world, world_window, sleeps) -> None:
    with GoogleAdsServer(world, api_today=DEVELOPER_TOKEN_SUNSET) as server:
        settings = server_settings(server, api_version="v25")
        assert settings.developer_token is None
        assert len(read(streams(settings, sleeps)["customers"], world_window)) == 2


# -- pre-flight checks (thinline doctor) -------------------------------------------------------


def secrets_of(settings: GoogleAdsSettings, server: GoogleAdsServer) -> list[str]:
    credentials = server.credentials
    values = [
        credentials.client_secret,
        credentials.refresh_token,
        credentials.developer_token,
        *(
            value.get_secret_value()
            for value in (settings.client_secret, settings.refresh_token, settings.developer_token)
            if value is not None
        ),
    ]
    return [value for value in values if len(value) >= 4]


def assert_no_secret(checks: list[Check], secrets: list[str]) -> None:
    text = "\n".join(check.line() + check.fix for check in checks)
    assert not [secret for secret in secrets if secret in text]


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def test_preflight_is_all_ok_against_the_stand_in_at_its_defaults(world, make_settings) -> None:
    today = datetime.now(UTC).date()
    with serve(world) as sources:
        settings = make_settings(GoogleAdsSettings, sources.env)
        checks = source_checks("google_ads", settings, today)
        calls = len(sources.google_ads.requests)
        secrets = secrets_of(settings, sources.google_ads)

    customers = [f"customer {c.customer_id}" for c in world.google_ads.customers]
    names = ["credentials", "api version", "oauth token", "api access", *customers, "fields"]
    assert [check.name for check in checks] == names
    assert {check.level for check in checks} == {Level.OK}, [c.line() for c in checks]
    assert all("\n" not in check.line() for check in checks)
    assert calls <= 13  # a handful of cheap calls: the token, accounts, one LIMIT 1 per report
    assert_no_secret(checks, secrets)


def test_preflight_fails_a_sunset_version_naming_the_setting(world, make_settings) -> None:
    today = date(2026, 12, 5)
    with GoogleAdsServer(world, api_today=today) as server:
        settings = server_settings(server, api_version="v21")
        doctor = by_name(source_checks("google_ads", settings, today))
        direct = by_name(build_connector(settings).preflight(today))

    assert doctor["api version"].level is Level.FAIL
    assert "2026-08-05" in doctor["api version"].detail
    assert "THINLINE_GOOGLE_ADS__API_VERSION" in doctor["api version"].fix
    assert "oauth token" not in doctor  # nothing else is asked of a sunset version
    # the connector's own checks, asked anyway, carry Google's words and the same fix
    access = direct["api access"]
    assert access.level is Level.FAIL
    assert "requestError.UNKNOWN: Version v21 is deprecated." in access.detail
    assert "THINLINE_GOOGLE_ADS__API_VERSION" in access.fix


def test_preflight_names_a_customer_id_the_manager_cannot_reach(world) -> None:
    reachable = world.google_ads.customers[0].customer_id
    with GoogleAdsServer(world) as server:
        settings = server_settings(server, customer_ids=f"123-456-7890,{reachable}")
        checks = by_name(build_connector(settings).preflight(datetime.now(UTC).date()))
        secrets = secrets_of(settings, server)

    wrong = checks["customer 1234567890"]
    assert wrong.level is Level.FAIL
    assert "authorizationError.USER_PERMISSION_DENIED" in wrong.detail
    assert "THINLINE_GOOGLE_ADS__CUSTOMER_IDS" in wrong.fix
    assert "THINLINE_GOOGLE_ADS__LOGIN_CUSTOMER_ID" in wrong.fix
    assert checks[f"customer {reachable}"].level is Level.OK
    assert checks["api access"].level is Level.OK
    assert_no_secret(list(checks.values()), secrets)


def test_preflight_fails_a_bad_developer_token_while_google_still_reads_it(world) -> None:
    before = DEVELOPER_TOKEN_SUNSET - timedelta(days=20)
    for api_today, level in [(before, Level.FAIL), (DEVELOPER_TOKEN_SUNSET, Level.OK)]:
        with GoogleAdsServer(world, api_today=api_today) as server:
            settings = server_settings(server, api_version="v25", developer_token="x" * 22)
            checks = by_name(build_connector(settings).preflight(api_today))
            secrets = secrets_of(settings, server)
        access = checks["api access"]
        assert access.level is level, access.line()
        if level is Level.FAIL:
            assert "authenticationError.DEVELOPER_TOKEN_INVALID" in access.detail
            assert "THINLINE_GOOGLE_ADS__DEVELOPER_TOKEN" in access.fix
        else:
            assert "developer token" in access.detail  # said to be unused since the sunset
        assert_no_secret(list(checks.values()), secrets)


@pytest.mark.parametrize(
    "change, said",
    [
        ({"refresh_token": "1//revoked"}, "400 invalid_grant: Token has been expired or revoked."),
        ({"client_secret": "GOCSPX-wrong"}, "401 invalid_client: Unauthorized"),
    ],
)
def test_preflight_fails_bad_oauth_credentials_with_googles_error(
    world, change: dict[str, str], said: str
) -> None:
    with GoogleAdsServer(world) as server:
        settings = server_settings(server, **change)
        checks = build_connector(settings).preflight(datetime.now(UTC).date())
        secrets = [*secrets_of(settings, server), *change.values()]

    (oauth,) = checks  # without a token nothing else can be asked
    assert oauth.name == "oauth token" and oauth.level is Level.FAIL
    assert oauth.detail.startswith(said)
    assert "THINLINE_GOOGLE_ADS__REFRESH_TOKEN" in oauth.fix
    assert "THINLINE_GOOGLE_ADS__CLIENT_SECRET" in oauth.fix
    assert_no_secret(checks, secrets)


def test_preflight_fails_a_cloud_project_with_test_access_only(world) -> None:
    with GoogleAdsServer(world, access_level="TEST") as server:
        settings = server_settings(server)
        checks = build_connector(settings).preflight(datetime.now(UTC).date())

    failing = [check for check in checks if check.level is Level.FAIL]
    assert [check.name for check in failing] == [
        f"customer {c.customer_id}" for c in world.google_ads.customers
    ]
    for check in failing:
        assert "authorizationError.CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION" in check.detail
        assert "Explorer" in check.fix and "THINLINE_GOOGLE_ADS__CLIENT_ID" in check.fix
