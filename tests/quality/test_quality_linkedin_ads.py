"""The raw_linkedin_ads suites against a real PostgreSQL: rows landed by the connector from the
LinkedIn stand-in pass; each broken row fails exactly the rule code it breaks."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from extract.base import Window, midnight
from extract.linkedin_ads import LinkedInAdsSettings, build_connector
from extract.loader import ensure_ops, load_stream
from quality.results import QualityGateError, QualityReport
from quality.runner import validate_raw
from quality.suites import RAW_SUITES
from sandbox import WorldConfig, build_world
from sandbox.linkedin_ads_server import LinkedInAdsServer

pytestmark = pytest.mark.integration

SCHEMA = "raw_linkedin_ads"
TABLES = [name for name in RAW_SUITES if name.startswith(f"{SCHEMA}.")]
ANALYTICS = f"{SCHEMA}.creative_daily_analytics"


@pytest.fixture
def linkedin_raw(database_url: str) -> Iterator[psycopg.Connection]:
    """raw_linkedin_ads as the connector lands it from the stand-in (two weeks of analytics)."""
    world = build_world(WorldConfig(end=date(2026, 1, 14)))
    window = Window(midnight(date(2026, 1, 1)), midnight(date(2026, 1, 15)))
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"drop schema if exists {SCHEMA} cascade")
        ensure_ops(conn)
        with LinkedInAdsServer(world) as server:
            env = {k.split("__", 1)[1].lower(): v for k, v in server.env().items()}
            for stream in build_connector(LinkedInAdsSettings(**env)).streams():
                load_stream(conn, "linkedin_ads", stream, window, uuid.uuid4().hex)
        try:
            yield conn
        finally:
            conn.execute(f"drop schema if exists {SCHEMA} cascade")


def codes(report: QualityReport, severity: str) -> set[str]:
    failures = report.critical_failures if severity == "critical" else report.warning_failures
    return {failure.rule for failure in failures}


def insert(conn: psycopg.Connection, keys: tuple[Any, ...], record: dict[str, Any]) -> None:
    conn.execute(
        f"insert into {ANALYTICS} (account_id, creative_id, analytics_date, record, is_deleted, "
        "_loaded_at, _batch_id) values (%s, %s, %s, %s, false, now(), 'test-batch')",
        (*keys, Jsonb(record)),
    )


def variant(good: dict[str, Any], creative_id: int, day: date, **changes: Any) -> dict[str, Any]:
    """A copy of a good element for another creative and day, with ``changes`` applied."""
    record = copy.deepcopy(good)
    when = {"year": day.year, "month": day.month, "day": day.day}
    record.update(
        pivotValues=[f"urn:li:sponsoredCreative:{creative_id}"],
        dateRange={"start": when, "end": dict(when)},
        creativeId=creative_id,
    )
    record.update(changes)
    return record


def test_good_rows_pass_every_linkedin_suite(linkedin_raw: psycopg.Connection, database_url: str):
    counts = {
        table: linkedin_raw.execute(f"select count(*) from {table}").fetchone()[0]
        for table in TABLES
    }
    assert len(TABLES) == 4 and all(counts.values()), counts

    report = validate_raw(database_url, "li-good", tables=TABLES)

    assert (report.failed, report.warnings) == (0, 0)
    assert {result.table_name for result in report.results} == set(TABLES)
    rules = {result.rule for result in report.results}
    assert {"LI-ACCOUNT-010", "LI-CAMPAIGN-010", "LI-CREATIVE-010", "LI-CRDAY-017"} <= rules


def test_bad_rows_fail_exactly_the_broken_rules(
    linkedin_raw: psycopg.Connection, database_url: str
) -> None:
    account_id, good_id, good_day, good = linkedin_raw.execute(
        f"select account_id, creative_id, analytics_date, record from {ANALYTICS} limit 1"
    ).fetchone()
    day = date(2026, 1, 3)
    future = datetime.now(UTC).date() + timedelta(days=5)
    bad = [
        (1, day, {"costInLocalCurrency": "12,50"}),  # LI-CRDAY-010
        (2, day, {"costInLocalCurrency": "-1.50"}),  # LI-CRDAY-011
        (3, day, {"impressions": -3}),  # LI-CRDAY-012
        (4, day, {"impressions": 5, "clicks": 9}),  # LI-CRDAY-013 (warning)
        (5, future, {}),  # LI-CRDAY-014
        (6, day, {"accountCurrency": "euro"}),  # LI-CRDAY-015
        (7, day, {"oneClickLeads": 1.5}),  # LI-CRDAY-016 (warning)
    ]
    for creative_id, when, changes in bad:
        insert(
            linkedin_raw,
            (account_id, creative_id, when),
            variant(good, creative_id, when, **changes),
        )
    week = variant(good, 8, day)
    week["dateRange"]["end"] = {"year": 2026, "month": 1, "day": 9}
    insert(linkedin_raw, (account_id, 8, day), week)  # LI-CRDAY-017
    insert(linkedin_raw, (account_id, good_id, good_day), good)  # LI-CRDAY-002
    insert(linkedin_raw, (account_id, None, day), variant(good, 9, day))  # LI-CRDAY-001
    linkedin_raw.execute(f"update {SCHEMA}.ad_accounts set record = record - 'currency'")
    linkedin_raw.execute(
        f"update {SCHEMA}.campaigns set record = jsonb_set(record, '{{status}}', '\"BOGUS\"') "
        f"where campaign_id = (select min(campaign_id) from {SCHEMA}.campaigns)"
    )

    with pytest.raises(QualityGateError) as raised:
        validate_raw(database_url, "li-bad", tables=TABLES)

    report = raised.value.report
    assert codes(report, "critical") == {
        "LI-ACCOUNT-010",
        "LI-CRDAY-001",
        "LI-CRDAY-002",
        "LI-CRDAY-010",
        "LI-CRDAY-011",
        "LI-CRDAY-012",
        "LI-CRDAY-014",
        "LI-CRDAY-015",
        "LI-CRDAY-017",
    }
    assert codes(report, "warning") == {"LI-CAMPAIGN-010", "LI-CRDAY-013", "LI-CRDAY-016"}
    (negative,) = [r for r in report.results if r.rule == "LI-CRDAY-011" and not r.passed]
    assert negative.sample_bad_values[0]["cost"] == "-1.50"
