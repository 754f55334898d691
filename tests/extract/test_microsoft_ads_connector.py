"""The Microsoft Advertising connector against the sandbox's stand-in (Reporting Submit/Poll and
zip download, Campaign and Customer Management, the identity platform's token endpoint)."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from extract.base import ConfigError, RawRow, SourceError, Stream, Window, midnight
from extract.loader import ensure_ops, load_stream
from extract.microsoft_ads import MicrosoftAdsSettings, build_connector
from extract.microsoft_ads.client import read_report
from extract.microsoft_ads.streams import CAMPAIGN_COLUMNS
from extract.preflight import Level
from extract.runner import read_window
from sandbox import Faults, World, WorldConfig, build_world
from sandbox.faults import Fault
from sandbox.microsoft_ads_server import TOKEN_PATH, MicrosoftAdsServer, ReportFaults
from thinline.doctor import source_checks

REPORTS = (
    "campaign_daily_performance",
    "keyword_daily_performance",
    "search_query_daily_performance",
)
CAMPAIGN_DAYS = "campaign_daily_performance"


@contextmanager
def stand_in(world: World, **server_args: Any) -> Iterator[MicrosoftAdsServer]:
    with MicrosoftAdsServer(world, **server_args) as server:
        yield server


def settings_for(server: MicrosoftAdsServer, **overrides: Any) -> MicrosoftAdsSettings:
    env = {k.split("__", 1)[1].lower(): v for k, v in server.env().items()}
    return MicrosoftAdsSettings(**{**env, **overrides})


def streams(settings: MicrosoftAdsSettings, sleep: Any) -> dict[str, Stream]:
    return {stream.entity: stream for stream in build_connector(settings, sleep=sleep).streams()}


def read(stream: Stream, window: Window) -> list[RawRow]:
    rows = list(stream.fetch(window))
    keys = [row.keys for row in rows]
    assert len(keys) == len(set(keys)), f"{stream.entity}: duplicate keys"
    return rows


def calls(server: MicrosoftAdsServer, suffix: str) -> list[Any]:
    return [record for record in server.requests if record.path.endswith(suffix)]


def microsoft_truth(truth: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for row in truth["ad_spend"] if row["platform"] == "microsoft_ads"]


def test_spend_per_campaign_and_day_equals_truth(world, truth, world_window, sleeps) -> None:
    with stand_in(world) as server:
        rows = {
            name: read(s, world_window) for name, s in streams(settings_for(server), sleeps).items()
        }
        submits, polls = calls(server, "/Submit"), calls(server, "/Poll")
        tokens = calls(server, TOKEN_PATH)

    for entity, expected in truth["counts"]["microsoft_ads"].items():
        assert len(rows[entity]) == expected["active"] + expected["archived"], entity
    expected_spend = {
        (int(r["campaign_id"]), date.fromisoformat(r["date"])): Decimal(r["spend"])
        for r in microsoft_truth(truth)
    }
    currency = {str(a.account_id): a.currency for a in world.microsoft_ads.accounts}
    spend = {}
    for row in rows[CAMPAIGN_DAYS]:
        account_id, campaign_id, day = row.keys
        assert isinstance(row.record["Spend"], str)  # kept exactly as Microsoft wrote it
        assert row.record["CurrencyCode"] == currency[str(account_id)]
        spend[campaign_id, day] = Decimal(row.record["Spend"])
    assert spend == expected_spend and len(spend) > 300
    # the keyword and search query reports add up to the campaign report
    for entity in ("keyword_daily_performance", "search_query_daily_performance"):
        totals: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
        for row in rows[entity]:
            totals[int(row.record["CampaignId"]), row.keys[-1]] += Decimal(row.record["Spend"])
        assert totals == expected_spend, entity
    keywords = rows["keyword_daily_performance"]
    assert {row.record["BidMatchType"] for row in keywords} <= {"Exact", "Phrase", "Broad"}
    assert all(1 <= int(row.record["QualityScore"]) <= 10 for row in keywords)
    campaigns = {row.keys[1]: row.record for row in rows["campaigns"]}
    assert {c.campaign_id: c.name for c in world.microsoft_ads.campaigns} == {
        key: record["Name"] for key, record in campaigns.items()
    }
    assert all(record["CurrencyCode"] in ("USD", "EUR") for record in campaigns.values())
    # the ad report adds up to the campaign report too, each row on an ad of the world
    ad_totals: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    served_ads = {ad.ad_id: ad.campaign_id for ad in world.microsoft_ads.ads}
    for row in rows["ad_daily_performance"]:
        _, ad_id, day = row.keys
        assert served_ads[ad_id] == int(row.record["CampaignId"])
        ad_totals[served_ads[ad_id], day] += Decimal(row.record["Spend"])
    assert ad_totals == expected_spend
    # 90 days in monthly reports, per account and report; every report Pending at its first poll
    assert len(submits) == 3 * 2 * 4 and len(polls) == 2 * len(submits)
    assert sleeps == [0.05] * len(submits)
    assert len(tokens) == 1  # one access token shared by every stream and account


def test_a_report_pending_longer_is_polled_with_a_growing_back_off(world, sleeps) -> None:
    window = Window(midnight(date(2026, 3, 1)), midnight(date(2026, 3, 2)))
    with stand_in(world, report_faults=ReportFaults(pending_polls=4)) as server:
        settings = settings_for(server, account_ids=str(world.microsoft_ads.accounts[0].account_id))
        rows = read(streams(settings, sleeps)[CAMPAIGN_DAYS], window)
        assert len(calls(server, "/Poll")) == 5
    assert rows and sleeps == [0.05, 0.1, 0.2, 0.4]

    sleeps.clear()
    with stand_in(world, report_faults=ReportFaults(pending_polls=100)) as server:
        settings = settings_for(server, max_polls=3)
        with pytest.raises(SourceError, match="still Pending after 3 polls") as caught:
            read(streams(settings, sleeps)[CAMPAIGN_DAYS], window)
    assert "\n" not in str(caught.value) and "MAX_POLLS" in str(caught.value)


def test_throttling_is_retried_after_the_delay_asked(world, sleeps) -> None:
    window = Window(midnight(date(2026, 3, 1)), midnight(date(2026, 3, 8)))
    with stand_in(world) as server:
        expected = read(streams(settings_for(server), sleeps)[CAMPAIGN_DAYS], window)
    sleeps.clear()
    with stand_in(world, faults=Faults(rate_limit=2, retry_after_seconds=7)) as server:
        rows = read(streams(settings_for(server), sleeps)[CAMPAIGN_DAYS], window)
        assert server.faults_fired() == {Fault.RATE_LIMIT: 2}
        throttled = [r for r in server.requests if r.status == 429]
    assert rows == expected and len(throttled) == 2
    assert sleeps.count(7.0) == 2


def test_an_expired_token_is_refreshed_once(world, sleeps) -> None:
    window = Window(midnight(date(2026, 3, 1)), midnight(date(2026, 3, 2)))
    with stand_in(world, faults=Faults(expired_tokens=1)) as server:
        rows = read(streams(settings_for(server), sleeps)[CAMPAIGN_DAYS], window)
        assert server.faults_fired() == {Fault.EXPIRED_TOKEN: 1}
        assert len(calls(server, TOKEN_PATH)) == 2  # the first token, then the one refresh
    assert len(rows) == len(
        [r for r in microsoft_truth(world.truth()) if r["date"] == "2026-03-01"]
    )

    # a token that keeps expiring is refreshed once per request, then a one-line failure
    with stand_in(world, faults=Faults(expired_tokens=5)) as server:
        with pytest.raises(SourceError) as caught:
            read(streams(settings_for(server), sleeps)[CAMPAIGN_DAYS], window)
        secrets = [server.credentials.client_secret, server.credentials.refresh_token]
    message = str(caught.value)
    assert "109 AuthenticationTokenExpired" in message and "\n" not in message
    assert not any(secret in message for secret in secrets)


def load(url: str, settings: MicrosoftAdsSettings, entity: str, window: Window, sleeps) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_ops(conn)
        stream = streams(settings, sleeps)[entity]
        load_stream(conn, "microsoft_ads", stream, window, uuid.uuid4().hex)


def loaded_rows(url: str, entity: str) -> int:
    with psycopg.connect(url) as conn:
        found = conn.execute("select to_regclass(%s)", (f"raw_microsoft_ads.{entity}",)).fetchone()
        if found is None or found[0] is None:
            return 0
        return conn.execute(f"select count(*) from raw_microsoft_ads.{entity}").fetchone()[0]


@pytest.mark.parametrize(
    ("report_faults", "words"),
    [
        (ReportFaults(malformed_csv=True), "has 11 fields, not 13"),
        (ReportFaults(failed_reports=True), "the report failed (Status Error"),
        (ReportFaults(unknown_error_code=4321), "4321 SandboxUnexpectedError"),
    ],
    ids=["malformed_csv", "failed_report", "unknown_error"],
)
def test_a_bad_report_commits_nothing_and_fails_in_one_line(
    world, fresh_database, sleeps, report_faults: ReportFaults, words: str
) -> None:
    window = Window(midnight(date(2026, 3, 1)), midnight(date(2026, 3, 8)))
    with stand_in(world) as server:
        load(fresh_database, settings_for(server), CAMPAIGN_DAYS, window, sleeps)
    before = loaded_rows(fresh_database, CAMPAIGN_DAYS)
    assert before > 0
    later = Window(midnight(date(2026, 3, 8)), midnight(date(2026, 3, 15)))
    with (
        stand_in(world, report_faults=report_faults) as server,
        pytest.raises(SourceError) as caught,
    ):
        load(fresh_database, settings_for(server), CAMPAIGN_DAYS, later, sleeps)
    message = str(caught.value)
    assert words in message and "\n" not in message and message.startswith("microsoft_ads: ")
    assert loaded_rows(fresh_database, CAMPAIGN_DAYS) == before
    assert not [s for s in sleeps if s >= 1]  # nothing of these is retried


def test_an_empty_report_has_no_download_url_and_loads_nothing(world, fresh_database, sleeps):
    window = Window(midnight(date(2026, 3, 1)), midnight(date(2026, 3, 8)))
    with stand_in(world, report_faults=ReportFaults(empty_reports=True)) as server:
        assert read(streams(settings_for(server), sleeps)[CAMPAIGN_DAYS], window) == []
        load(fresh_database, settings_for(server), CAMPAIGN_DAYS, window, sleeps)
        assert not [r for r in server.requests if "ReportDownloads" in r.path]
    assert loaded_rows(fresh_database, CAMPAIGN_DAYS) == 0
    # a window before any delivery is just as empty, without a fault
    quiet = Window(midnight(date(2025, 6, 1)), midnight(date(2025, 6, 2)))
    with stand_in(world) as server:
        assert read(streams(settings_for(server), sleeps)[CAMPAIGN_DAYS], quiet) == []


def test_empty_window_reads_nothing(world, sleeps) -> None:
    empty = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    with stand_in(world) as server:
        for entity in REPORTS:
            assert read(streams(settings_for(server), sleeps)[entity], empty) == []
        assert server.requests == []


def zipped(text: str) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("report.csv", "\ufeff" + text)
    return archive.getvalue()


def test_a_csv_with_microsofts_report_header_or_footer_is_refused() -> None:
    header = ",".join(f'"{name}"' for name in CAMPAIGN_COLUMNS)
    row = '"2026-03-01","1","A","2","C","Active","Search","USD","1.50","10","1","0","0.00"'
    assert (
        read_report(zipped(f"{header}\r\n{row}\r\n"), CAMPAIGN_COLUMNS, "r")[0]["Spend"] == "1.50"
    )
    with pytest.raises(SourceError, match="does not start with the requested columns"):
        read_report(zipped(f'"Report Name: x"\r\n\r\n{header}\r\n{row}\r\n'), CAMPAIGN_COLUMNS, "r")
    with pytest.raises(SourceError, match="line 3 has 0 fields"):
        footer = '"©2026 Microsoft Corporation. All rights reserved. "'
        read_report(zipped(f"{header}\r\n{row}\r\n\r\n{footer}\r\n"), CAMPAIGN_COLUMNS, "r")
    with pytest.raises(SourceError, match="not a zipped UTF-8 CSV"):
        read_report(b"PK-not-a-zip", CAMPAIGN_COLUMNS, "r")


def test_restated_days_replace_earlier_values(fresh_database, sleeps) -> None:
    early = build_world(WorldConfig(end=date(2026, 2, 15)))
    late = build_world(WorldConfig(end=date(2026, 2, 28)))
    for world, day in ((early, date(2026, 2, 15)), (late, date(2026, 2, 28))):
        with stand_in(world) as server, psycopg.connect(fresh_database, autocommit=True) as conn:
            ensure_ops(conn)
            stream = streams(settings_for(server), sleeps)[CAMPAIGN_DAYS]
            row = conn.execute(
                "select watermark from ops.watermarks where entity = %s", (CAMPAIGN_DAYS,)
            ).fetchone()
            interval = Window(midnight(day), midnight(day + timedelta(days=1)))
            window = read_window(stream, row[0] if row else None, interval, date(2026, 1, 1))
            load_stream(conn, "microsoft_ads", stream, window, uuid.uuid4().hex)
    with psycopg.connect(fresh_database) as conn:
        loaded = conn.execute(
            "select campaign_id, report_date, record->>'Spend', (record->>'Conversions')::int "
            "from raw_microsoft_ads.campaign_daily_performance"
        ).fetchall()
    truth = {
        (int(r["campaign_id"]), date.fromisoformat(r["date"])): r
        for r in microsoft_truth(late.truth())
    }
    assert len(loaded) == len(truth)  # nothing double counted
    for campaign_id, day, spend, conversions in loaded:
        assert Decimal(spend) == Decimal(truth[campaign_id, day]["spend"])
        assert conversions == truth[campaign_id, day]["conversions"]
    early_days = {
        (int(r["campaign_id"]), r["date"]): r["conversions"] for r in microsoft_truth(early.truth())
    }
    restated = [
        key
        for key, r in truth.items()
        if (key[0], key[1].isoformat()) in early_days
        and early_days[key[0], key[1].isoformat()] != r["conversions"]
    ]
    assert restated and all(day > date(2026, 2, 15) - timedelta(days=7) for _, day in restated)


def test_settings_name_what_is_missing_or_malformed(world) -> None:
    window = Window(midnight(date(2026, 3, 1)), midnight(date(2026, 3, 2)))
    missing = pytest.raises(ConfigError, match="THINLINE_MICROSOFT_ADS__DEVELOPER_TOKEN")
    with stand_in(world) as server, missing:
        read(streams(settings_for(server, developer_token=None), print)["campaigns"], window)
    with pytest.raises(ConfigError, match="THINLINE_MICROSOFT_ADS__ACCOUNT_IDS"):
        MicrosoftAdsSettings(account_ids="F123ABC").account_id_list()
    assert MicrosoftAdsSettings(account_ids=" 5, 6 ").account_id_list() == [5, 6]


def test_doctor_is_all_ok_against_the_stand_in(world) -> None:
    with stand_in(world) as server:
        checks = source_checks("microsoft_ads", settings_for(server), date(2026, 12, 5))
    assert [check.level for check in checks] == [Level.OK] * len(checks)
    names = [check.name for check in checks]
    assert names[:3] == ["credentials", "api version", "token"]
    assert len([name for name in names if name.startswith("account ")]) == 2


def test_doctor_fails_a_refused_refresh_token_in_microsofts_words(world) -> None:
    with stand_in(world) as server:
        checks = source_checks(
            "microsoft_ads", settings_for(server, refresh_token="M.C105_stale"), date(2026, 12, 5)
        )
    token = next(check for check in checks if check.name == "token")
    assert token.level is Level.FAIL
    assert "invalid_grant" in token.detail and "REFRESH_TOKEN" in token.fix
    assert "M.C105_stale" not in token.line()


def test_ad_groups_and_ads_land_with_the_worlds_final_urls(world, fresh_database, sleeps) -> None:
    """GetAdGroupsByCampaignId per campaign, GetAdsByAdGroupId per ad group (every ad type):
    each snapshot lands whole, ids typed from Microsoft's JSON strings, each record carrying
    the ids of the levels above it."""
    data = world.microsoft_ads
    window = Window(midnight(date(2026, 1, 1)), midnight(date(2026, 1, 2)))
    with stand_in(world) as server:
        settings = settings_for(server)
        for entity in ("ad_groups", "ads"):
            load(fresh_database, settings, entity, window, sleeps)
        ad_calls = len(calls(server, "/Ads/QueryByAdGroupId"))
    assert ad_calls == len(data.ad_groups)  # one call per ad group, every ad type asked for
    with psycopg.connect(fresh_database) as conn:
        groups = conn.execute(
            "select account_id, ad_group_id, record->>'CampaignId', record->>'Name' "
            "from raw_microsoft_ads.ad_groups where not is_deleted"
        ).fetchall()
        ads = conn.execute(
            "select ad_id, (record->>'AdGroupId')::bigint, record->>'Type', "
            "record->'FinalUrls'->>0, record->>'Status' from raw_microsoft_ads.ads"
        ).fetchall()
    assert sorted(groups) == sorted(
        (g.account_id, g.ad_group_id, str(g.campaign_id), g.name) for g in data.ad_groups
    )
    assert sorted(ads) == sorted(
        (ad.ad_id, ad.ad_group_id, ad.ad_type, ad.final_url, ad.status) for ad in data.ads
    )
