"""The LinkedIn Ads connector against the sandbox's LinkedIn stand-in (adAnalytics + finders)."""

from __future__ import annotations

import itertools
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from extract.base import ConfigError, RawRow, SourceError, Stream, Window, midnight
from extract.linkedin_ads import LinkedInAdsSettings, build_connector
from extract.linkedin_ads.client import ACCESS_HINT, DAILY_HINT, VERSION_HINT
from extract.loader import ensure_ops, load_stream
from extract.preflight import Check, Level
from extract.runner import read_window
from sandbox import Faults, World, WorldConfig, build_world
from sandbox.faults import Fault
from sandbox.http import Request, Response, json_response
from sandbox.linkedin_ads_server import LinkedInAdsCredentials, LinkedInAdsServer
from thinline.doctor import source_checks

NO_REFRESH = {"client_id": None, "client_secret": None, "refresh_token": None}


@contextmanager
def stand_in(world: World, **server_args: Any) -> Iterator[LinkedInAdsServer]:
    with LinkedInAdsServer(world, **server_args) as server:
        yield server


def settings_for(server: LinkedInAdsServer, **overrides: Any) -> LinkedInAdsSettings:
    env = {k.split("__", 1)[1].lower(): v for k, v in server.env().items()}
    return LinkedInAdsSettings(**{**env, **overrides})


def streams(settings: LinkedInAdsSettings, sleep: Any) -> dict[str, Stream]:
    return {stream.entity: stream for stream in build_connector(settings, sleep=sleep).streams()}


def read(stream: Stream, window: Window) -> list[RawRow]:
    rows = list(stream.fetch(window))
    keys = [row.keys for row in rows]
    assert len(keys) == len(set(keys)), f"{stream.entity}: duplicate keys"
    return rows


def calls(server: LinkedInAdsServer, path: str = "/rest/adAnalytics") -> list[Any]:
    return [r for r in server.requests if r.path.endswith(path)]


def spans(server: LinkedInAdsServer) -> list[int]:
    """Days asked per adAnalytics call, in order."""
    result = []
    for record in calls(server):
        numbers = [int(n) for n in re.findall(r"\d+", record.query["dateRange"][0])]
        first, last = date(*numbers[:3]), date(*numbers[3:])
        result.append((last - first).days + 1)
    return result


def linkedin_truth(truth: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for row in truth["ad_spend"] if row["platform"] == "linkedin_ads"]


def test_spend_per_campaign_and_day_equals_truth(world, truth, world_window, sleeps) -> None:
    with stand_in(world) as server:
        rows = {
            name: read(s, world_window) for name, s in streams(settings_for(server), sleeps).items()
        }
        analytics_calls = spans(server)

    for entity, expected in truth["counts"]["linkedin_ads"].items():
        assert len(rows[entity]) == expected["active"] + expected["archived"], entity
        assert sum(row.is_deleted for row in rows[entity]) == expected["archived"], entity
    expected_spend: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    groups = {}
    for ad_day in linkedin_truth(truth):
        key = (int(ad_day["campaign_id"]), date.fromisoformat(ad_day["date"]))
        expected_spend[key] += Decimal(ad_day["spend"])
        groups[int(ad_day["ad_id"])] = int(ad_day["ad_group_id"])
    currency = world.linkedin_ads.account.currency
    spend: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    for row in rows["creative_daily_analytics"]:
        _, creative_id, analytics_date = row.keys
        record = row.record
        assert record["accountCurrency"] == currency and record["creativeId"] == creative_id
        assert record["campaignGroupId"] == groups[creative_id]
        assert isinstance(record["costInLocalCurrency"], str)  # kept as returned
        spend[record["campaignId"], analytics_date] += Decimal(record["costInLocalCurrency"])
    assert spend == expected_spend
    assert analytics_calls == [14] * 6 + [6]  # 90 days in 14-day requests
    assert sleeps == []


def test_windows_shrink_under_a_lowered_cap(world, truth, world_window, sleeps) -> None:
    # A day holds at most 15 creatives: 14-day windows overflow a 60-element cap.
    with stand_in(world, element_cap=60) as server:
        settings = settings_for(server, element_cap=60)
        rows = read(streams(settings, sleeps)["creative_daily_analytics"], world_window)
        asked = spans(server)
    expected = {(int(r["ad_id"]), date.fromisoformat(r["date"])) for r in linkedin_truth(truth)}
    assert {row.keys[1:] for row in rows} == expected
    # Halved whenever a response reaches the cap, and never grown back for this window.
    rejected = [days for days, after in itertools.pairwise(asked) if after < days]
    assert rejected == [14, 7] and asked == sorted(asked, reverse=True)
    assert sum(asked) - sum(rejected) == 90

    with stand_in(world, element_cap=5) as server:
        settings = settings_for(server, element_cap=5)
        with pytest.raises(SourceError, match="cannot be split further") as caught:
            read(streams(settings, sleeps)["creative_daily_analytics"], world_window)
        assert spans(server) == [14, 7, 4, 2, 1]
    assert str(caught.value).startswith("linkedin_ads: adAnalytics returned 5 elements")
    assert "\n" not in str(caught.value)


def test_campaigns_finder_follows_next_page_token(world, world_window, sleeps) -> None:
    with stand_in(world) as server:
        rows = read(streams(settings_for(server, page_size=2), sleeps)["campaigns"], world_window)
        pages = calls(server, "/adCampaigns")
    assert [row.keys[1] for row in rows] == [c.campaign_id for c in world.linkedin_ads.campaigns]
    assert len(pages) == 3 and "pageToken" not in pages[0].query
    assert all("pageToken" in page.query for page in pages[1:])


def test_429_waits_the_retry_after_it_is_given(world, world_window, sleeps) -> None:
    with stand_in(world, faults=Faults(rate_limit=2, retry_after_seconds=0.01)) as server:
        assert len(read(streams(settings_for(server), sleeps)["ad_accounts"], world_window)) == 1
        assert server.faults_fired() == Counter({Fault.RATE_LIMIT: 2})
    assert sleeps == [0.01, 0.01]

    sleeps.clear()
    with stand_in(world, faults=Faults(rate_limit=2, retry_after_seconds=None)) as server:
        settings = settings_for(server, backoff_seconds=0.5)
        assert len(read(streams(settings, sleeps)["ad_accounts"], world_window)) == 1
    assert sleeps == [0.5, 1.0]


def test_daily_limit_stops_after_one_request(world, world_window, sleeps) -> None:
    with stand_in(world, faults=Faults(daily_quota_exhausted=True)) as server:
        with pytest.raises(SourceError) as caught:
            read(streams(settings_for(server), sleeps)["creative_daily_analytics"], world_window)
        assert len(server.requests) == 1
    assert sleeps == []
    assert str(caught.value).startswith("linkedin_ads: 429 TOO_MANY_REQUESTS: Resource level")
    assert str(caught.value).endswith(DAILY_HINT)


def test_server_errors_are_bounded(world, world_window, sleeps) -> None:
    with stand_in(world, faults=Faults(server_errors=2)) as server:
        assert len(read(streams(settings_for(server), sleeps)["creatives"], world_window)) == 15
    assert sleeps == [1.0, 2.0]

    sleeps.clear()
    with stand_in(world, faults=Faults(server_errors=50)) as server:
        settings = settings_for(server, max_retries=2)
        with pytest.raises(SourceError, match="gave up after 3 tries") as caught:
            read(streams(settings, sleeps)["creatives"], world_window)
        assert len(server.requests) == 3
    assert re.match(
        r"linkedin_ads: 50[03] (INTERNAL_SERVER_ERROR|SERVICE_UNAVAILABLE)", str(caught.value)
    )
    assert sleeps == [1.0, 2.0]


class NoElementsServer(LinkedInAdsServer):
    """Answers adAnalytics with an object that has lost its ``elements``."""

    def route(self, request: Request) -> Response:
        if request.path == "/rest/adAnalytics":
            return json_response(200, {"paging": {"start": 0, "count": 10}})
        return super().route(request)


def test_malformed_pages_fail_the_window(world, world_window, sleeps) -> None:
    with stand_in(world, faults=Faults(malformed_pages=1)) as server:
        assert len(read(streams(settings_for(server), sleeps)["campaigns"], world_window)) == 6
    with stand_in(world, faults=Faults(malformed_pages=10)) as server:
        settings = settings_for(server, max_retries=1)
        with pytest.raises(SourceError, match=r"^linkedin_ads: 200 malformed JSON in response"):
            read(streams(settings, sleeps)["creative_daily_analytics"], world_window)
    with NoElementsServer(world) as server:
        stream = streams(settings_for(server), sleeps)["creative_daily_analytics"]
        with pytest.raises(SourceError, match="has no elements array"):
            read(stream, world_window)


def test_expired_token_without_refresh_is_a_one_line_error(world, world_window, sleeps) -> None:
    with stand_in(world, faults=Faults(expired_tokens=1)) as server:
        settings = settings_for(server, **NO_REFRESH)
        with pytest.raises(SourceError) as caught:
            read(streams(settings, sleeps)["ad_accounts"], world_window)
        token = server.credentials.access_token
        assert calls(server, "/oauth/v2/accessToken") == []
    message = str(caught.value)
    assert re.fullmatch(
        r"linkedin_ads: 401 EXPIRED_ACCESS_TOKEN: The token used in the request has expired "
        r"from GET /rest/adAccounts/\d+ — " + re.escape(ACCESS_HINT),
        message,
    )
    assert token not in message and "THINLINE_LINKEDIN_ADS__ACCESS_TOKEN" in message


def test_expired_token_is_refreshed_once(world, world_window, sleeps) -> None:
    with stand_in(world, faults=Faults(expired_tokens=1)) as server:
        rows = read(streams(settings_for(server), sleeps)["creatives"], world_window)
        assert len(calls(server, "/oauth/v2/accessToken")) == 1
    assert len(rows) == 15

    with stand_in(world, faults=Faults(expired_tokens=2)) as server:
        with pytest.raises(
            SourceError, match=r"check THINLINE_LINKEDIN_ADS__REFRESH_TOKEN$"
        ) as caught:
            read(streams(settings_for(server), sleeps)["creatives"], world_window)
        assert len(calls(server, "/oauth/v2/accessToken")) == 1
        secrets = [server.credentials.refresh_token, server.credentials.client_secret]
    assert not any(secret in str(caught.value) for secret in secrets)

    with stand_in(world, faults=Faults(expired_tokens=1)) as server:
        settings = settings_for(server, refresh_token="AQX-revoked")
        with pytest.raises(SourceError, match=r"^linkedin_ads: 400 invalid_request") as caught:
            read(streams(settings, sleeps)["creatives"], world_window)
    assert "AQX-revoked" not in str(caught.value)


def test_unsupported_version_and_missing_settings(world, world_window, sleeps) -> None:
    with stand_in(world) as server:
        settings = settings_for(server, linkedin_version="202401")
        with pytest.raises(SourceError) as caught:
            read(streams(settings, sleeps)["ad_accounts"], world_window)
        assert len(server.requests) == 1
    assert str(caught.value).startswith("linkedin_ads: 426 NONEXISTENT_VERSION")
    assert str(caught.value).endswith(VERSION_HINT)

    stream = streams(LinkedInAdsSettings(), sleeps)["ad_accounts"]
    with pytest.raises(ConfigError, match=r"THINLINE_LINKEDIN_ADS__ACCESS_TOKEN is not set$"):
        next(stream.fetch(world_window))
    bad = LinkedInAdsSettings(access_token="x", account_ids="acme")
    with pytest.raises(ConfigError, match="THINLINE_LINKEDIN_ADS__ACCOUNT_IDS must list"):
        next(streams(bad, sleeps)["ad_accounts"].fetch(world_window))
    urns = LinkedInAdsSettings(account_ids="urn:li:sponsoredAccount:5, 6")
    assert urns.account_id_list() == [5, 6]


def load(url: str, world: World, interval: Window, sleeps: Any) -> None:
    """What the runner does for the analytics stream: read from the watermark minus lookback."""
    with stand_in(world) as server, psycopg.connect(url, autocommit=True) as conn:
        ensure_ops(conn)
        stream = streams(settings_for(server), sleeps)["creative_daily_analytics"]
        row = conn.execute(
            "select watermark from ops.watermarks where entity = 'creative_daily_analytics'"
        ).fetchone()
        window = read_window(stream, row[0] if row else None, interval, date(2026, 1, 1))
        load_stream(conn, "linkedin_ads", stream, window, uuid.uuid4().hex)


def test_creatives_land_with_their_text_ads_landing_page(
    world, world_window, fresh_database, sleeps
) -> None:
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        ensure_ops(conn)
        with stand_in(world) as server:
            stream = streams(settings_for(server, page_size=5), sleeps)["creatives"]
            load_stream(conn, "linkedin_ads", stream, world_window, "creatives")
        landed = dict(
            conn.execute(
                "select creative_id, record->'content'->'textAd'->>'landingPage' "
                "from raw_linkedin_ads.creatives"
            ).fetchall()
        )
    assert landed == {c.creative_id: c.landing_page for c in world.linkedin_ads.creatives}


def test_restated_days_replace_earlier_values(fresh_database, sleeps) -> None:
    early = build_world(WorldConfig(end=date(2026, 2, 15)))
    late = build_world(WorldConfig(end=date(2026, 2, 28)))
    load(
        fresh_database,
        early,
        Window(midnight(date(2026, 2, 15)), midnight(date(2026, 2, 16))),
        sleeps,
    )
    load(
        fresh_database,
        late,
        Window(midnight(date(2026, 2, 28)), midnight(date(2026, 3, 1))),
        sleeps,
    )

    with psycopg.connect(fresh_database) as conn:
        loaded = conn.execute(
            "select creative_id, analytics_date, record->>'costInLocalCurrency', "
            "(record->>'externalWebsiteConversions')::int "
            "from raw_linkedin_ads.creative_daily_analytics"
        ).fetchall()
    truth = {
        (int(r["ad_id"]), date.fromisoformat(r["date"])): r for r in linkedin_truth(late.truth())
    }
    assert len(loaded) == len(truth)  # nothing double counted
    for creative_id, day, cost, conversions in loaded:
        expected = truth[creative_id, day]
        assert Decimal(cost) == Decimal(expected["spend"])
        assert conversions == expected["conversions"]
    early_rows = {(r.creative_id, r.day): r for r in early.linkedin_ads.analytics}
    restated = [
        key
        for key, r in truth.items()
        if key in early_rows and early_rows[key].conversions != r["conversions"]
    ]
    assert restated and all(day > date(2026, 2, 15) - timedelta(days=7) for _, day in restated)


def test_empty_window_reads_nothing(world, sleeps) -> None:
    empty = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    with stand_in(world) as server:
        assert read(streams(settings_for(server), sleeps)["creative_daily_analytics"], empty) == []
        assert server.requests == []


# LinkedIn as documented: the version lifecycle, finder page sizes and pre-flight checks.
DAY = date(2026, 12, 5)


def secrets_of(server: LinkedInAdsServer) -> list[str]:
    credentials = server.credentials
    return [credentials.access_token, credentials.client_secret, credentials.refresh_token]


def test_the_default_version_is_one_linkedin_still_serves(world, world_window, sleeps) -> None:
    with stand_in(world, api_today=DAY) as server:
        rows = read(streams(settings_for(server), sleeps)["ad_accounts"], world_window)
    assert len(rows) == 1


def test_a_sunset_version_fails_with_linkedins_words_and_the_setting(
    world, world_window, sleeps
) -> None:
    with stand_in(world, api_today=DAY) as server:
        settings = settings_for(server, linkedin_version="202511")
        with pytest.raises(SourceError) as caught:
            read(streams(settings, sleeps)["ad_accounts"], world_window)
    assert str(caught.value) == (
        "linkedin_ads: 426 NONEXISTENT_VERSION: Requested version 20251101 is not active from "
        f"GET /rest/adAccounts/{world.linkedin_ads.account.account_id} — {VERSION_HINT}"
    )


def test_each_finder_is_sent_a_page_size_linkedin_accepts(world, world_window, sleeps) -> None:
    for page_size in (None, 500):
        overrides = {} if page_size is None else {"page_size": page_size}
        with stand_in(world, api_today=DAY) as server:
            named = streams(settings_for(server, **overrides), sleeps)
            creatives = read(named["creatives"], world_window)
            campaigns = read(named["campaigns"], world_window)
            sizes = {
                record.path.rsplit("/", 1)[1]: record.query["pageSize"]
                for record in server.requests
                if "pageSize" in record.query
            }
        assert len(creatives) == len(world.linkedin_ads.creatives)
        assert len(campaigns) == len(world.linkedin_ads.campaigns)
        assert sizes == {"creatives": ["100"], "adCampaigns": [str(page_size or 100)]}


def doctor(server: LinkedInAdsServer, **overrides: Any) -> list[Check]:
    return source_checks("linkedin_ads", settings_for(server, **overrides), DAY)


def assert_no_secret(checks: list[Check], secrets: list[str]) -> None:
    text = "\n".join(f"{c.name} {c.detail} {c.fix}" for c in checks)
    assert not any(secret in text for secret in secrets)


def test_doctor_is_all_ok_against_linkedin_at_the_defaults(world) -> None:
    account_id = world.linkedin_ads.account.account_id
    with stand_in(world, api_today=DAY) as server:
        checks = doctor(server)
        refreshed = calls(server, "/oauth/v2/accessToken")
        secrets = secrets_of(server)
    assert [(c.name, c.level) for c in checks] == [
        ("credentials", Level.OK),
        ("api version", Level.OK),
        ("token", Level.OK),
        (f"account {account_id}", Level.OK),
        ("reporting", Level.OK),
    ]
    assert len(refreshed) == 1  # refresh settings given: the refresh itself is checked
    assert_no_secret(checks, secrets)


def test_doctor_fails_a_sunset_version_naming_the_date_and_the_setting(world) -> None:
    with stand_in(world, api_today=DAY) as server:
        checks = doctor(server, linkedin_version="202511")
    version = next(c for c in checks if c.name == "api version")
    assert version.level is Level.FAIL and "2026-11-16" in version.detail
    assert "THINLINE_LINKEDIN_ADS__LINKEDIN_VERSION" in version.fix


def test_doctor_fails_a_wrong_account(world) -> None:
    account_id = world.linkedin_ads.account.account_id
    with stand_in(world, api_today=DAY) as server:
        checks = doctor(server, account_ids=f"{account_id},999")
        secrets = secrets_of(server)
    rows = {c.name: c for c in checks}
    assert rows[f"account {account_id}"].level is Level.OK
    assert rows["account 999"].level is Level.FAIL
    assert "THINLINE_LINKEDIN_ADS__ACCOUNT_IDS" in rows["account 999"].fix
    assert rows["reporting"].level is Level.OK  # checked on the accounts that answered
    assert_no_secret(checks, secrets)


@pytest.mark.parametrize(
    "overrides, setting",
    [
        ({"access_token": "AQV-revoked", **NO_REFRESH}, "THINLINE_LINKEDIN_ADS__ACCESS_TOKEN"),
        ({"refresh_token": "AQX-revoked"}, "THINLINE_LINKEDIN_ADS__REFRESH_TOKEN"),
    ],
)
def test_doctor_fails_a_bad_token(world, overrides: dict, setting: str) -> None:
    with stand_in(world, api_today=DAY) as server:
        checks = doctor(server, **overrides)
        secrets = secrets_of(server)
    token = next(c for c in checks if c.name == "token")
    assert token.level is Level.FAIL and setting in token.fix
    assert checks[-1] is token  # nothing else answers without a working token
    assert_no_secret(checks, [*secrets, "AQV-revoked", "AQX-revoked"])


def test_doctor_fails_a_token_without_r_ads_reporting(world) -> None:
    with stand_in(world, api_today=DAY, scopes=["r_ads"]) as server:
        checks = doctor(server)
    rows = {c.name: c for c in checks}
    assert rows["token"].level is Level.OK
    assert rows["reporting"].level is Level.FAIL and "r_ads_reporting" in rows["reporting"].fix


def test_doctor_warns_when_the_refresh_token_is_about_to_expire(world) -> None:
    credentials = LinkedInAdsCredentials(refresh_expires_in=10 * 86_400 + 60)
    with stand_in(world, api_today=DAY, credentials=credentials) as server:
        checks = doctor(server)
    token = next(c for c in checks if c.name == "token")
    assert token.level is Level.WARN and "expires in 10 days" in token.detail
    assert "THINLINE_LINKEDIN_ADS__REFRESH_TOKEN" in token.fix
    assert all(c.level is Level.OK for c in checks if c is not token)


def test_doctor_warns_an_account_that_is_not_active(world) -> None:
    account_id = world.linkedin_ads.account.account_id
    with stand_in(world, api_today=DAY, account_status="CANCELED") as server:
        checks = doctor(server)
    account = next(c for c in checks if c.name == f"account {account_id}")
    assert account.level is Level.WARN and "is CANCELED" in account.detail
    assert "THINLINE_LINKEDIN_ADS__ACCOUNT_IDS" in account.fix
