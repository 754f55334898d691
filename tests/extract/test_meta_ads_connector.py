"""The Meta Ads connector against the sandbox's Graph API stand-in: insights, paging, throttling."""

from __future__ import annotations

import json
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
from extract.runner import read_window
from sandbox import Faults, WorldConfig, build_world, serve
from sandbox.faults import Fault
from sandbox.http import Request, Response, json_response
from sandbox.meta_ads_server import MetaAdsServer
from tests.extract.conftest import settings_from_env

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
        r"from GET /v21\.0/act_\d+/insights — check THINLINE_META_ADS__ACCESS_TOKEN .*",
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
