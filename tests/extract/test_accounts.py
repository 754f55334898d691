"""Sources read account by account: each account's extract commits its own watermarks, keeps
to its own rows (restated days and snapshots never touch another account's), can fail alone,
and a warehouse extracted whole before hands its watermarks to the accounts that had rows."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest

from extract.base import SourceError, midnight
from extract.meta_ads import MetaAdsSettings
from extract.runner import extract_source
from extract.watermarks import reset_watermarks
from sandbox import Faults, WorldConfig, build_world
from sandbox.meta_ads_server import MetaAdsServer
from tests.extract.conftest import settings_from_env
from thinline.interval import day_window

START = date(2026, 2, 1)
DAY = date(2026, 2, 20)
WORLD = build_world(WorldConfig(seed=4, scale=0.3, start=START, end=DAY, meta_ad_accounts=3))
ACCOUNTS = [str(account.account_id) for account in WORLD.meta_ads.accounts]
ENTITIES = {"ad_accounts", "campaigns", "ads", "ad_daily_insights"}


def settings(server: MetaAdsServer) -> MetaAdsSettings:
    return settings_from_env(MetaAdsSettings, server.env(), max_retries=0)


def watermarks(url: str) -> dict[tuple[str, str], object]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select entity, account, watermark from ops.watermarks where source = 'meta_ads'"
        ).fetchall()
    return {(entity, account): watermark for entity, account, watermark in rows}


def live_rows(url: str, account: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {
            entity: conn.execute(
                f"select count(*) from raw_meta_ads.{entity} "
                "where account_id = %s::bigint and not is_deleted",
                (account,),
            ).fetchone()[0]
            for entity in sorted(ENTITIES)
        }


def first_windows(url: str) -> dict[tuple[str, str], object]:
    """The read window's start of each stream's latest load, per account."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select distinct on (entity, account) entity, account, window_start "
            "from ops.load_batches where source = 'meta_ads' "
            "order by entity, account, loaded_at desc"
        ).fetchall()
    return {(entity, account): start for entity, account, start in rows}


def test_each_account_commits_its_own_watermarks_and_keeps_to_its_own_rows(
    fresh_database: str,
) -> None:
    url = fresh_database
    with MetaAdsServer(WORLD) as server:
        for account in ACCOUNTS:
            summary = extract_source(
                "meta_ads", settings(server), day_window(DAY), url, START, "n1", account
            )
            assert summary.accounts == [account] and summary.rows["ad_accounts"] == 1
        assert set(watermarks(url)) == {(e, a) for e in ENTITIES for a in ACCOUNTS}
        others_before = {account: live_rows(url, account) for account in ACCOUNTS[1:]}
        assert all(rows["ad_daily_insights"] > 0 for rows in others_before.values())
        marks_before = watermarks(url)

        # The first account alone, for the next day: its days are replaced and its snapshot
        # re-read, and neither deletes nor marks a row of the other two accounts.
        extract_source(
            "meta_ads",
            settings(server),
            day_window(DAY + timedelta(days=1)),
            url,
            START,
            "n2",
            ACCOUNTS[0],
        )
    assert {account: live_rows(url, account) for account in ACCOUNTS[1:]} == others_before
    marks_after = watermarks(url)
    for key, mark in marks_after.items():
        moved = mark > marks_before[key]
        assert moved == (key[1] == ACCOUNTS[0]), key


def test_a_failing_account_leaves_the_others_committed_and_retries_alone(
    fresh_database: str,
) -> None:
    url, failing = fresh_database, ACCOUNTS[1]
    faults = Faults(server_errors=1)  # one 5xx, with no client retry: the extract fails
    with MetaAdsServer(WORLD, faults=faults, fault_accounts=[int(failing)]) as server:
        with pytest.raises(SourceError):
            extract_source("meta_ads", settings(server), day_window(DAY), url, START, "n1")
        committed = {account for _, account in watermarks(url)}
        assert committed == {ACCOUNTS[0]}  # accounts run in order: the third never started
        for account in ACCOUNTS[1:]:  # the retry of the failed one, then the rest
            extract_source("meta_ads", settings(server), day_window(DAY), url, START, "n1", account)
        hit = {r.path for r in server.requests if r.fault}
    assert all(f"act_{failing}" in path for path in hit) and hit
    assert {account for _, account in watermarks(url)} == set(ACCOUNTS)
    assert all(live_rows(url, account)["ad_daily_insights"] > 0 for account in ACCOUNTS)


def test_an_unknown_account_is_a_one_line_config_error(fresh_database: str) -> None:
    from extract.base import ConfigError

    with MetaAdsServer(WORLD) as server, pytest.raises(ConfigError, match="not one of"):
        extract_source(
            "meta_ads", settings(server), day_window(DAY), fresh_database, START, "n", "42"
        )


def test_whole_source_watermarks_go_to_the_accounts_that_had_rows(fresh_database: str) -> None:
    url = fresh_database
    with MetaAdsServer(WORLD) as server:
        for account in ACCOUNTS[:2]:
            extract_source(
                "meta_ads", settings(server), day_window(DAY), url, START, "old", account
            )
        with psycopg.connect(url) as conn:  # as a warehouse extracted whole left them
            conn.execute(f"delete from ops.watermarks where account = '{ACCOUNTS[1]}'")
            conn.execute("update ops.watermarks set account = ''")
            conn.execute(
                "insert into ops.quarantine (batch_id, source, entity, rule, severity, reason, "
                "record_key) values ('b', 'meta_ads', 'campaigns', 'QUAR-002', 'critical', 'x', "
                "jsonb_build_object('account_id', %s::bigint, 'campaign_id', 1))",
                (ACCOUNTS[1],),
            )
        legacy = watermarks(url)
        next_day = DAY + timedelta(days=1)
        extract_source("meta_ads", settings(server), day_window(next_day), url, START, "new")
    marks = watermarks(url)
    assert {account for _, account in marks} == set(ACCOUNTS)  # no whole-source row is left
    starts = first_windows(url)
    insights = "ad_daily_insights"
    lookback = timedelta(days=MetaAdsSettings.model_fields["lookback_days"].default)
    for account in ACCOUNTS[:2]:  # the adopted watermark, minus Meta's restatement window
        assert starts[(insights, account)] == midnight((legacy[(insights, "")] - lookback).date())
    assert starts[(insights, ACCOUNTS[2])] == midnight(START)  # new: reads its history
    with psycopg.connect(url) as conn:
        moved = conn.execute("select account from ops.quarantine where batch_id = 'b'").fetchone()
    assert moved == (ACCOUNTS[1],)


def test_a_reset_moves_every_accounts_watermark_back(fresh_database: str) -> None:
    url = fresh_database
    with MetaAdsServer(WORLD) as server:
        extract_source("meta_ads", settings(server), day_window(DAY), url, START, "n1")
    with psycopg.connect(url) as conn:
        resets = reset_watermarks(conn, "meta_ads", ["ad_daily_insights"], midnight(START))
    assert sorted(reset.account for reset in resets) == sorted(ACCOUNTS)
    assert all(
        mark == midnight(START)
        for (entity, _), mark in watermarks(url).items()
        if entity == "ad_daily_insights"
    )
