"""The Meta Ads connector against the sandbox's Graph API stand-in: insights, paging, throttling."""

from __future__ import annotations

import json
import logging
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from extract.base import ConfigError, RawRow, SourceError, Stream, Window
from extract.loader import ensure_ops, load_stream, read_watermark
from extract.meta_ads import MetaAdsSettings, build_connector
from extract.preflight import Check, Level
from extract.runner import read_window
from sandbox import Faults, WorldConfig, build_world, serve
from sandbox.faults import Fault
from sandbox.http import Request, Response, json_response
from sandbox.meta_ads_server import MetaAdsServer
from tests.extract.conftest import settings_from_env
from thinline.doctor import source_checks

JANUARY = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
ONE_DAY = Window(datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 6, tzinfo=UTC))


def streams(settings: MetaAdsSettings, sleep: Any) -> dict[str, Stream]:
    return {stream.entity: stream for stream in build_connector(settings, sleep=sleep).streams()}


def read(stream: Stream, window: Window) -> list[RawRow]:
    rows = list(stream.fetch(window))
    keys = [row.keys for row in rows]
    assert len(keys) == len(set(keys)), f"{stream.entity}: duplicate keys"
    return rows


def server_settings(server: MetaAdsServer, **overrides: Any) -> MetaAdsSettings:
    return settings_from_env(MetaAdsSettings, server.env(), **overrides)


def insight_calls(server: MetaAdsServer) -> list[Any]:
    return [r for r in server.requests if r.path.endswith("/insights")]


def spend_by_campaign_day(rows: list[RawRow]) -> dict[tuple[int, date], Decimal]:
    spend: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    for row in rows:
        spend[int(row.record["campaign_id"]), row.keys[2]] += Decimal(row.record["spend"])
    return dict(spend)


def truth_spend(truth: dict[str, Any], days: set[date] | None = None) -> dict[Any, Decimal]:
    spend: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    for row in truth["ad_spend"]:
        day = date.fromisoformat(row["date"])
        if row["platform"] == "meta_ads" and (days is None or day in days):
            spend[int(row["campaign_id"]), day] += Decimal(row["spend"])
    return dict(spend)


def test_paging_to_the_end_matches_the_worlds_spend_exactly(
    world, truth, world_window, make_settings, sleeps
) -> None:
    with serve(world) as sources:
        settings = make_settings(MetaAdsSettings, sources.env)
        rows = {name: read(s, world_window) for name, s in streams(settings, sleeps).items()}

    for entity, expected in truth["counts"]["meta_ads"].items():
        deleted = sum(row.is_deleted for row in rows[entity])
        assert (len(rows[entity]) - deleted, deleted) == tuple(expected.values()), entity
    assert spend_by_campaign_day(rows["ad_daily_insights"]) == truth_spend(truth)
    currency = {row.keys[0]: row.record["currency"] for row in rows["ad_accounts"]}
    leads: Counter[int] = Counter()
    for row in rows["ad_daily_insights"]:
        account_id, ad_id, day = row.keys
        assert row.record["account_currency"] == currency[account_id]
        assert (row.record["ad_id"], row.record["date_start"]) == (str(ad_id), day.isoformat())
        leads[ad_id] += sum(
            int(a["value"]) for a in row.record.get("actions", []) if a["action_type"] == "lead"
        )
    expected_leads: Counter[int] = Counter()
    for r in truth["ad_spend"]:
        if r["platform"] == "meta_ads":
            expected_leads[int(r["ad_id"])] += r["leads"]
    assert +leads == +expected_leads
    deleted = {row.record["name"] for row in rows["campaigns"] if row.is_deleted}
    assert deleted == {c.name for c in world.meta_ads.campaigns if c.status == "DELETED"}
    assert sleeps == []


def test_settings_take_account_ids_with_or_without_act_and_need_credentials(sleeps) -> None:
    settings = MetaAdsSettings(access_token="EAABx", account_ids="act_123, 456,")
    assert settings.account_id_list() == ["123", "456"]
    with pytest.raises(ConfigError, match=r"THINLINE_META_ADS__ACCESS_TOKEN is not set$"):
        next(streams(MetaAdsSettings(account_ids="act_1"), sleeps)["ad_accounts"].fetch(ONE_DAY))
    with pytest.raises(ConfigError, match=r"THINLINE_META_ADS__ACCOUNT_IDS must list"):
        MetaAdsSettings(access_token="EAABx", account_ids="act_12x").account_id_list()


def test_cursor_paging_with_a_small_limit(world, sleeps) -> None:
    with MetaAdsServer(world) as server:
        stream = streams(server_settings(server, page_size=5), sleeps)["ad_daily_insights"]
        rows = read(stream, JANUARY)
        calls = insight_calls(server)
        campaigns = read(
            streams(server_settings(server, page_size=2), sleeps)["campaigns"], JANUARY
        )

    assert spend_by_campaign_day(rows) == truth_spend(world.truth(), set(JANUARY.days()))
    assert sum("after" not in call.query for call in calls) == 2 * 5  # 7+7+7+7+3 days, 2 accounts
    assert len(calls) >= len(rows) / 5 and all(call.query["limit"] == ["5"] for call in calls)
    assert len(campaigns) == len(world.meta_ads.campaigns)


def test_too_much_data_splits_the_window_down_to_one_day(world, sleeps) -> None:
    with MetaAdsServer(world, max_rows=20) as server:
        settings = server_settings(server, days_per_request=31)
        rows = read(streams(settings, sleeps)["ad_daily_insights"], JANUARY)
        calls = insight_calls(server)

    assert spend_by_campaign_day(rows) == truth_spend(world.truth(), set(JANUARY.days()))
    refused = [json.loads(c.query["time_range"][0]) for c in calls if c.status == 400]
    assert refused[0] == {"since": "2026-01-01", "until": "2026-01-31"}
    assert any(r["since"] != r["until"] for r in refused[1:])
    served = [json.loads(c.query["time_range"][0]) for c in calls if c.status == 200]
    days = [
        day
        for r in served
        for day in map(date.fromordinal, range(_ordinal(r["since"]), _ordinal(r["until"]) + 1))
    ]
    assert sorted(days) == sorted(JANUARY.days() * 2)  # every day once, per account
    assert sleeps == []

    with MetaAdsServer(world, max_rows=1) as server:
        stream = streams(server_settings(server), sleeps)["ad_daily_insights"]
        with pytest.raises(SourceError) as caught:
            read(stream, ONE_DAY)
    message = str(caught.value)
    assert message.startswith("meta_ads: OAuthException 100/1504018: Request timed out.")
    assert "a single day: 2026-01-05" in message and "\n" not in message


def test_rate_limit_400_is_retried_after_the_time_meta_gives(world, sleeps) -> None:
    faults = Faults(rate_limit=2, retry_after_seconds=120)
    with MetaAdsServer(world, faults=faults) as server:
        rows = read(streams(server_settings(server), sleeps)["ad_accounts"], ONE_DAY)
        fired, statuses = server.faults_fired(), [r.status for r in server.requests]

    assert len(rows) == 2
    assert fired == Counter({Fault.RATE_LIMIT: 2})
    assert statuses[:2] == [400, 400]
    assert sleeps == [120.0, 120.0]  # estimated_time_to_regain_access: 2 minutes


def test_rate_limit_without_an_estimate_backs_off_exponentially(world, sleeps) -> None:
    with MetaAdsServer(world, faults=Faults(rate_limit=3, retry_after_seconds=None)) as server:
        settings = server_settings(server, backoff_seconds=0.5)
        assert len(read(streams(settings, sleeps)["ad_accounts"], ONE_DAY)) == 2
    assert sleeps == [0.5, 1.0, 2.0]


@pytest.mark.parametrize(
    "faults, hint",
    [
        (Faults(daily_quota_exhausted=True), "Meta blocks the ad account for about 60 min; rerun"),
        (Faults(rate_limit=5, retry_after_seconds=3600), "for about 60 min; rerun after that"),
    ],
)
def test_a_long_block_stops_after_one_request(world, sleeps, faults: Faults, hint: str) -> None:
    with MetaAdsServer(world, faults=faults) as server:
        with pytest.raises(SourceError) as caught:
            read(streams(server_settings(server), sleeps)["ad_daily_insights"], JANUARY)
        calls = len(server.requests)

    assert calls == 1
    assert sleeps == []
    message = str(caught.value)
    assert re.match(r"meta_ads: 400 OAuthException 17/2446079: \(#17\) User request limit", message)
    assert hint in message and "\n" not in message


def test_server_errors_are_bounded(world, sleeps) -> None:
    with MetaAdsServer(world, faults=Faults(server_errors=2)) as server:
        assert len(read(streams(server_settings(server), sleeps)["ad_accounts"], ONE_DAY)) == 2
    assert sleeps == [1.0, 2.0]

    sleeps.clear()
    with MetaAdsServer(world, faults=Faults(server_errors=50)) as server:
        settings = server_settings(server, max_retries=2)
        with pytest.raises(SourceError, match="gave up after 3 tries") as caught:
            read(streams(settings, sleeps)["ad_accounts"], ONE_DAY)
        calls = len(server.requests)
    assert re.match(r"meta_ads: 50[03] GraphMethodException [12]", str(caught.value))
    assert (calls, sleeps) == (3, [1.0, 2.0])


def test_expired_token_is_a_one_line_error_without_the_token(world, sleeps) -> None:
    with MetaAdsServer(world, faults=Faults(expired_tokens=1)) as server:
        with pytest.raises(SourceError) as caught:
            read(streams(server_settings(server), sleeps)["ad_daily_insights"], ONE_DAY)
        calls, token = len(server.requests), server.token
    message = str(caught.value)
    assert calls == 1  # no refresh flow: nothing to retry with
    assert re.fullmatch(
        r"meta_ads: 401 OAuthException 190/463: Error validating access token: .* "
        r"from GET /v\d+\.0/act_\d+/insights — check THINLINE_META_ADS__ACCESS_TOKEN .*",
        message,
    )
    assert token not in message and "\n" not in message

    with MetaAdsServer(world) as server:
        settings = server_settings(server, access_token="EAABrevoked0000")
        with pytest.raises(SourceError, match="THINLINE_META_ADS__ACCESS_TOKEN") as caught:
            read(streams(settings, sleeps)["ad_accounts"], ONE_DAY)
    assert "EAABrevoked0000" not in str(caught.value)


def test_unknown_account_names_the_account_setting(world, sleeps) -> None:
    with MetaAdsServer(world) as server:
        settings = server_settings(server, account_ids="act_999")
        with pytest.raises(SourceError, match="check THINLINE_META_ADS__ACCOUNT_IDS") as caught:
            read(streams(settings, sleeps)["ad_accounts"], ONE_DAY)
    assert str(caught.value).startswith("meta_ads: 400 OAuthException 100/33: Unsupported get")


class DataLessSecondPage(MetaAdsServer):
    """Serves a second insights page without its ``data`` array (an API change, a bad proxy)."""

    def route(self, request: Request) -> Response:
        if request.path.endswith("/insights") and request.param("after"):
            return json_response(200, {"paging": {"cursors": {}}})
        return super().route(request)


def test_malformed_pages_fail_and_commit_nothing(world, sleeps, fresh_database) -> None:
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        ensure_ops(conn)
        with MetaAdsServer(world) as server:
            stream = streams(server_settings(server), sleeps)["ad_daily_insights"]
            good = load_stream(conn, "meta_ads", stream, JANUARY, "good")
        before = conn.execute(
            "select count(*), sum((record->>'spend')::numeric) from raw_meta_ads.ad_daily_insights"
        ).fetchone()

        with DataLessSecondPage(world) as server:
            stream = streams(server_settings(server, page_size=10), sleeps)["ad_daily_insights"]
            with pytest.raises(SourceError, match=r"malformed page .* 'data' is not an array"):
                load_stream(conn, "meta_ads", stream, JANUARY, "bad")
        with MetaAdsServer(world, faults=Faults(malformed_pages=10)) as server:
            stream = streams(server_settings(server, max_retries=1), sleeps)["ad_daily_insights"]
            with pytest.raises(SourceError, match=r"^meta_ads: 200 malformed JSON in response"):
                load_stream(conn, "meta_ads", stream, JANUARY, "truncated")

        after = conn.execute(
            "select count(*), sum((record->>'spend')::numeric) from raw_meta_ads.ad_daily_insights"
        ).fetchone()
        batches = conn.execute("select distinct _batch_id from raw_meta_ads.ad_daily_insights")
        assert after == before and before[0] == good.rows > 0
        assert [row[0] for row in batches] == ["good"]


def test_ads_land_with_their_creatives_landing_page_and_url_tags(
    world, sleeps, fresh_database
) -> None:
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        ensure_ops(conn)
        with MetaAdsServer(world) as server:
            stream = streams(server_settings(server, page_size=7), sleeps)["ads"]
            loaded = load_stream(conn, "meta_ads", stream, JANUARY, "ads")
        rows = conn.execute(
            "select account_id, ad_id, record->>'status', "
            "record->'creative'->'object_story_spec'->'link_data'->>'link', "
            "record->'creative'->>'url_tags', is_deleted from raw_meta_ads.ads"
        ).fetchall()
    calls = [r for r in server.requests if r.path.endswith("/ads")]
    statuses = json.loads(calls[0].query["effective_status"][-1])
    assert {"ARCHIVED", "DELETED", "CAMPAIGN_PAUSED"} <= set(statuses)  # none hidden
    assert len(calls) > len(world.meta_ads.accounts)  # paged with a small limit
    expected = {(ad.account_id, ad.ad_id): (ad.final_url, ad.url_tags) for ad in world.meta_ads.ads}
    assert loaded.rows == len(rows) == len(expected)
    for account_id, ad_id, status, link, url_tags, is_deleted in rows:
        assert (link, url_tags) == expected[account_id, ad_id]
        assert status in ("ACTIVE", "ARCHIVED") and not is_deleted


def test_restated_days_replace_earlier_values(sleeps, fresh_database) -> None:
    early = build_world(WorldConfig(end=date(2026, 2, 15)))
    late = build_world(WorldConfig(end=date(2026, 3, 31)))
    history = date(2026, 1, 1)
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        ensure_ops(conn)
        for world in (early, late):
            as_of = datetime.fromtimestamp(world.config.as_of_ms / 1000, tz=UTC)
            interval = Window(as_of - timedelta(days=1), as_of)  # the nightly run's last day
            with MetaAdsServer(world) as server:
                stream = streams(server_settings(server), sleeps)["ad_daily_insights"]
                watermark = read_watermark(conn, "meta_ads", stream.entity)
                window = read_window(stream, watermark, interval, history)
                load_stream(conn, "meta_ads", stream, window, f"end-{world.config.end}")
            if world is late:
                assert window.start == datetime(2026, 1, 19, tzinfo=UTC)  # 28-day lookback

        loaded = conn.execute(
            "select insight_date, sum((record->>'spend')::numeric), "
            "sum(coalesce((select sum((a->>'value')::int) from jsonb_array_elements("
            "record->'actions') a where a->>'action_type' = 'lead'), 0)), count(*) "
            "from raw_meta_ads.ad_daily_insights group by 1"
        ).fetchall()
        batches = dict(
            conn.execute(
                "select _batch_id, count(*) from raw_meta_ads.ad_daily_insights group by 1"
            ).fetchall()
        )

    expected: dict[date, list[Any]] = defaultdict(lambda: [Decimal(0), 0, 0])
    for row in late.truth()["ad_spend"]:
        if row["platform"] == "meta_ads":
            totals = expected[date.fromisoformat(row["date"])]
            totals[0] += Decimal(row["spend"])
            totals[1] += row["leads"]
            totals[2] += 1
    assert {day: [spend, leads, n] for day, spend, leads, n in loaded} == dict(expected)
    assert set(batches) == {"end-2026-02-15", "end-2026-03-31"}  # early days kept, not re-read
    restated = [
        r
        for r in early.meta_ads.insights
        if r != next(x for x in late.meta_ads.insights if (x.ad_id, x.day) == (r.ad_id, r.day))
    ]
    assert restated, "the early world should have provisional actions to restate"


def _ordinal(text: str) -> int:
    return date.fromisoformat(text).toordinal()


# Meta as documented: the version lifecycle, app secret proofs and pre-flight checks.
DAY = date(2026, 12, 5)


def secrets_of(server: MetaAdsServer) -> list[str]:
    return [server.token, server.app_secret]


def test_the_default_version_is_one_meta_still_serves(world, sleeps) -> None:
    with MetaAdsServer(world, api_today=DAY, auto_upgrade=False) as server:
        rows = read(streams(server_settings(server), sleeps)["ad_accounts"], ONE_DAY)
        versions = {r.path.split("/")[1] for r in server.requests}
    assert len(rows) == 2
    assert versions <= set(server.live_versions())


def test_a_deprecated_version_fails_with_metas_words_and_the_setting(world, sleeps) -> None:
    with MetaAdsServer(world, api_today=DAY, auto_upgrade=False) as server:
        settings = server_settings(server, api_version="v24.0")
        with pytest.raises(SourceError) as caught:
            read(streams(settings, sleeps)["ad_accounts"], ONE_DAY)
        calls = len(server.requests)
    message = str(caught.value)
    assert calls == 1 and "\n" not in message
    assert "(#2635) You are calling a deprecated version of the Ads API" in message
    assert "set THINLINE_META_ADS__API_VERSION" in message


def test_an_auto_upgraded_call_is_logged_once(world, sleeps, caplog) -> None:
    with MetaAdsServer(world, api_today=DAY) as server:  # Meta's default: auto-upgrade on
        settings = server_settings(server, api_version="v24.0", page_size=50)
        with caplog.at_level(logging.WARNING, logger="extract.meta_ads"):
            for stream in streams(settings, sleeps).values():
                assert read(stream, JANUARY)
        calls = len(server.requests)
    warned = [r.getMessage() for r in caplog.records if "auto-upgraded" in r.getMessage()]
    assert calls > 3 and len(warned) == 1
    assert "auto-upgraded to v25.0 as v24.0 has been deprecated" in warned[0]
    assert "THINLINE_META_ADS__API_VERSION" in warned[0]


def test_the_token_and_app_secret_proof_go_as_meta_documents(world, sleeps, caplog) -> None:
    with MetaAdsServer(world, api_today=DAY, require_app_secret=True) as server:
        settings = server_settings(server, page_size=100)
        with caplog.at_level(logging.DEBUG):
            rows = read(streams(settings, sleeps)["ad_daily_insights"], JANUARY)
        queries = [r.query for r in server.requests]
        secrets = secrets_of(server)
    assert rows and len(queries) > 2
    assert all(query["access_token"] == [server.token] for query in queries)
    assert all(len(query["appsecret_proof"][0]) == 64 for query in queries)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(secret in logged for secret in secrets)


@pytest.mark.parametrize(
    "app_secret, meta_says",
    [
        (None, "API calls from the server require an appsecret_proof argument"),
        ("not-the-app-secret", "Invalid appsecret_proof provided in the API argument"),
    ],
)
def test_a_missing_or_wrong_app_secret_names_the_setting(
    world, sleeps, app_secret: str | None, meta_says: str
) -> None:
    with MetaAdsServer(world, api_today=DAY, require_app_secret=True) as server:
        settings = server_settings(server, app_secret=app_secret)
        with pytest.raises(SourceError) as caught:
            read(streams(settings, sleeps)["ad_accounts"], ONE_DAY)
        secrets = secrets_of(server)
    message = str(caught.value)
    assert f"GraphMethodException 100: {meta_says}" in message
    assert "THINLINE_META_ADS__APP_SECRET" in message
    assert not any(secret in message for secret in [*secrets, "not-the-app-secret"])


def doctor(server: MetaAdsServer, **overrides: Any) -> list[Check]:
    return source_checks("meta_ads", server_settings(server, **overrides), DAY)


def assert_no_secret(checks: list[Check], secrets: list[str]) -> None:
    text = "\n".join(f"{c.name} {c.detail} {c.fix}" for c in checks)
    assert not any(secret in text for secret in secrets)


def test_doctor_is_all_ok_against_meta_at_the_defaults(world) -> None:
    with MetaAdsServer(world, api_today=DAY, auto_upgrade=False, require_app_secret=True) as s:
        checks = doctor(s)
        secrets = secrets_of(s)
    assert [(c.name, c.level) for c in checks] == [
        ("credentials", Level.OK),
        ("api version", Level.OK),
        ("token", Level.OK),
        ("permissions", Level.OK),
        *[(f"account act_{a.account_id}", Level.OK) for a in world.meta_ads.accounts],
    ]
    assert_no_secret(checks, secrets)


def test_doctor_fails_a_sunset_version_naming_the_date_and_the_setting(world) -> None:
    with MetaAdsServer(world, api_today=DAY) as server:
        checks = doctor(server, api_version="v24.0")
    version = next(c for c in checks if c.name == "api version")
    assert version.level is Level.FAIL and "2026-11-10" in version.detail
    assert "THINLINE_META_ADS__API_VERSION" in version.fix


def test_doctor_fails_a_wrong_account_and_warns_a_disabled_one(world) -> None:
    good, disabled = (a.account_id for a in world.meta_ads.accounts)
    with MetaAdsServer(world, api_today=DAY, account_statuses={disabled: 2}) as server:
        checks = doctor(server, account_ids=f"act_{good},act_999,act_{disabled}")
        secrets = secrets_of(server)
    rows = {c.name: c for c in checks}
    assert rows[f"account act_{good}"].level is Level.OK
    assert rows["account act_999"].level is Level.FAIL
    assert "THINLINE_META_ADS__ACCOUNT_IDS" in rows["account act_999"].fix
    assert rows[f"account act_{disabled}"].level is Level.WARN
    assert "DISABLED" in rows[f"account act_{disabled}"].detail
    assert_no_secret(checks, secrets)


@pytest.mark.parametrize(
    "overrides, setting",
    [
        ({"access_token": "EAABrevoked0000"}, "THINLINE_META_ADS__ACCESS_TOKEN"),
        ({"app_secret": None}, "THINLINE_META_ADS__APP_SECRET"),
        ({"app_secret": "not-the-app-secret"}, "THINLINE_META_ADS__APP_SECRET"),
    ],
)
def test_doctor_fails_a_bad_token_or_app_secret(world, overrides: dict, setting: str) -> None:
    with MetaAdsServer(world, api_today=DAY, require_app_secret=True) as server:
        checks = doctor(server, **overrides)
        secrets = secrets_of(server)
    token = next(c for c in checks if c.name == "token")
    assert token.level is Level.FAIL and setting in token.fix
    assert checks[-1] is token  # nothing else answers without a working token
    assert_no_secret(checks, [*secrets, *(v for v in overrides.values() if v)])


def test_doctor_fails_a_token_without_ads_read(world) -> None:
    with MetaAdsServer(world, api_today=DAY, permissions=["business_management"]) as server:
        checks = doctor(server)
    permissions = next(c for c in checks if c.name == "permissions")
    assert permissions.level is Level.FAIL and "ads_read" in permissions.detail
    assert "THINLINE_META_ADS__ACCESS_TOKEN" in permissions.fix
