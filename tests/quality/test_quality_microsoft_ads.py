"""The raw_microsoft_ads suites against a real PostgreSQL: rows landed by the connector from the
Microsoft Advertising stand-in pass; each broken row fails exactly the rule code it breaks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from extract.base import Window, midnight
from extract.loader import ensure_ops, load_stream
from extract.microsoft_ads import MicrosoftAdsSettings, build_connector
from quality.results import QualityGateError, QualityReport
from quality.runner import validate_raw
from quality.suites import RAW_SUITES
from sandbox import WorldConfig, build_world
from sandbox.microsoft_ads_server import MicrosoftAdsServer

pytestmark = pytest.mark.integration

SCHEMA = "raw_microsoft_ads"
TABLES = [name for name in RAW_SUITES if name.startswith(f"{SCHEMA}.")]
KEYWORDS = f"{SCHEMA}.keyword_daily_performance"


@pytest.fixture
def microsoft_raw(database_url: str) -> Iterator[psycopg.Connection]:
    """raw_microsoft_ads as the connector lands it from the stand-in (two weeks of reports)."""
    world = build_world(WorldConfig(end=date(2026, 1, 14)))
    window = Window(midnight(date(2026, 1, 1)), midnight(date(2026, 1, 15)))
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"drop schema if exists {SCHEMA} cascade")
        ensure_ops(conn)
        with MicrosoftAdsServer(world) as server:
            env = {k.split("__", 1)[1].lower(): v for k, v in server.env().items()}
            settings = MicrosoftAdsSettings(**env)
            for stream in build_connector(settings, sleep=lambda _: None).streams():
                load_stream(conn, "microsoft_ads", stream, window, uuid.uuid4().hex)
        try:
            yield conn
        finally:
            conn.execute(f"drop schema if exists {SCHEMA} cascade")


def codes(report: QualityReport, severity: str) -> set[str]:
    failures = report.critical_failures if severity == "critical" else report.warning_failures
    return {failure.rule for failure in failures}


def insert(conn: psycopg.Connection, keys: tuple[Any, ...], record: dict[str, Any]) -> None:
    conn.execute(
        f"insert into {KEYWORDS} (account_id, ad_group_id, keyword_id, report_date, record, "
        "is_deleted, _loaded_at, _batch_id) values (%s, %s, %s, %s, %s, false, now(), 'test')",
        (*keys, Jsonb(record)),
    )


def test_good_rows_pass_every_microsoft_suite(microsoft_raw, database_url: str) -> None:
    counts = {
        table: microsoft_raw.execute(f"select count(*) from {table}").fetchone()[0]
        for table in TABLES
    }
    assert len(TABLES) == 7 and all(counts.values()), counts
    report = validate_raw(database_url, "msads-good", tables=TABLES)
    assert (report.failed, report.warnings) == (0, 0)
    assert {result.table_name for result in report.results} == set(TABLES)


def test_bad_rows_fail_exactly_the_broken_rules(microsoft_raw, database_url: str) -> None:
    account_id, ad_group_id, good = microsoft_raw.execute(
        f"select account_id, ad_group_id, record from {KEYWORDS} limit 1"
    ).fetchone()
    day = date(2026, 1, 3)
    future = datetime.now(UTC).date() + timedelta(days=5)
    bad = [
        (1, day, {"Spend": "12,50"}),  # MSADS-KWDAY-010
        (2, day, {"Spend": "-1.50"}),  # MSADS-KWDAY-010
        (3, day, {"Impressions": "-3"}),  # MSADS-KWDAY-011
        (4, day, {"Impressions": "5", "Clicks": "9"}),  # MSADS-KWDAY-012 (warning)
        (5, future, {}),  # MSADS-KWDAY-013
        (6, day, {"CurrencyCode": "euro"}),  # MSADS-KWDAY-014
        (7, day, {"Conversions": "n/a"}),  # MSADS-KWDAY-015 (warning)
        (8, day, {"QualityScore": "11"}),  # MSADS-KWDAY-016 (warning)
        (9, day, {"BidMatchType": "Fuzzy"}),  # MSADS-KWDAY-017 (warning)
    ]
    for keyword_id, when, changes in bad:
        record = {**good, "KeywordId": str(keyword_id), "TimePeriod": when.isoformat(), **changes}
        insert(microsoft_raw, (account_id, ad_group_id, keyword_id, when), record)
    microsoft_raw.execute(
        f"update {SCHEMA}.campaigns set record = jsonb_set(record, '{{Status}}', '\"Bogus\"') "
        f"where campaign_id = (select min(campaign_id) from {SCHEMA}.campaigns)"
    )

    with pytest.raises(QualityGateError) as raised:
        validate_raw(database_url, "msads-bad", tables=TABLES)

    report = raised.value.report
    assert codes(report, "critical") == {
        "MSADS-KWDAY-010",
        "MSADS-KWDAY-011",
        "MSADS-KWDAY-013",
        "MSADS-KWDAY-014",
    }
    assert codes(report, "warning") == {
        "MSADS-CAMP-010",
        "MSADS-KWDAY-012",
        "MSADS-KWDAY-015",
        "MSADS-KWDAY-016",
        "MSADS-KWDAY-017",
    }


def test_broken_ad_groups_and_ads_fail_their_rules(microsoft_raw, database_url: str) -> None:
    tables = [f"{SCHEMA}.ad_groups", f"{SCHEMA}.ads"]
    first = "(select min({key}) from {table})"
    microsoft_raw.execute(
        f"update {SCHEMA}.ad_groups set record = record || "
        """'{"Status": "Archived", "CampaignId": null}'::jsonb """
        f"where ad_group_id = {first.format(key='ad_group_id', table=tables[0])}"
    )
    microsoft_raw.execute(
        f"update {SCHEMA}.ads set record = record || "
        """'{"Status": "Bogus", "AdGroupId": "x", "FinalUrls": ["thinline.example"]}'::jsonb """
        f"where ad_id = {first.format(key='ad_id', table=tables[1])}"
    )

    with pytest.raises(QualityGateError) as raised:
        validate_raw(database_url, "msads-bad-ads", tables=tables)

    report = raised.value.report
    assert codes(report, "critical") == {"MSADS-ADGROUP-011", "MSADS-AD-011"}
    assert codes(report, "warning") == {"MSADS-ADGROUP-010", "MSADS-AD-010", "MSADS-AD-012"}
