"""The raw_meta_ads suites against a real PostgreSQL: rows the connector loads from the Meta
stand-in pass; each broken row fails exactly the rule codes it breaks."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from extract.base import Window
from extract.loader import ensure_ops, load_stream
from extract.meta_ads import MetaAdsSettings, build_connector
from quality.results import QualityGateError, QualityReport
from quality.runner import validate_raw
from quality.suites.raw_meta_ads import SUITES
from sandbox import WorldConfig, build_world
from sandbox.meta_ads_server import MetaAdsServer

pytestmark = pytest.mark.integration

TABLES = sorted(SUITES)
KEYS = {
    "ad_accounts": ("account_id",),
    "campaigns": ("account_id", "campaign_id"),
    "ads": ("account_id", "ad_id"),
    "ad_daily_insights": ("account_id", "ad_id", "insight_date"),
}


@pytest.fixture
def meta_raw(database_url: str) -> Iterator[psycopg.Connection]:
    """raw_meta_ads as the connector lands January of a small world (dropped afterwards)."""
    world = build_world(WorldConfig(end=date(2026, 1, 31)))
    window = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("drop schema if exists raw_meta_ads cascade")
        ensure_ops(conn)
        with MetaAdsServer(world) as server:
            env = server.env()
            settings = MetaAdsSettings(
                base_url=env["THINLINE_META_ADS__BASE_URL"],
                access_token=env["THINLINE_META_ADS__ACCESS_TOKEN"],
                account_ids=env["THINLINE_META_ADS__ACCOUNT_IDS"],
            )
            for stream in build_connector(settings).streams():
                load_stream(conn, "meta_ads", stream, window, uuid.uuid4().hex)
        try:
            yield conn
        finally:
            conn.execute("drop schema if exists raw_meta_ads cascade")


def codes(report: QualityReport, severity: str) -> set[str]:
    failures = report.critical_failures if severity == "critical" else report.warning_failures
    return {failure.rule for failure in failures}


def a_row(conn: psycopg.Connection, entity: str) -> dict[str, Any]:
    record = conn.execute(
        sql.SQL("select record from {} limit 1").format(sql.Identifier("raw_meta_ads", entity))
    ).fetchone()
    assert record is not None
    return record[0]


def insert(conn: psycopg.Connection, entity: str, keys: tuple[Any, ...], record: Any) -> None:
    columns = [*KEYS[entity], "record", "is_deleted", "_loaded_at", "_batch_id"]
    conn.execute(
        sql.SQL("insert into {} ({}) values ({})").format(
            sql.Identifier("raw_meta_ads", entity),
            sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.SQL(", ").join(sql.Placeholder() * len(columns)),
        ),
        (*keys, Jsonb(record), False, datetime.now(UTC), "bad"),
    )


def insight(conn: psycopg.Connection, ad_id: int, **changes: Any) -> None:
    """A copy of a loaded insights row under a new ad id, with ``changes`` to its record."""
    record = {**copy.deepcopy(a_row(conn, "ad_daily_insights")), "ad_id": str(ad_id), **changes}
    day = date.fromisoformat(record["date_start"])
    insert(conn, "ad_daily_insights", (int(record["account_id"]), ad_id, day), record)


def test_rows_loaded_from_the_stand_in_pass_every_suite(meta_raw: psycopg.Connection) -> None:
    report = validate_raw(_url(meta_raw), "meta-good", tables=TABLES)
    assert (report.failed, report.warnings) == (0, 0)
    assert {result.table_name for result in report.results} == set(TABLES)
    assert report.passed == len(report.results) > 20


def test_bad_rows_fail_exactly_the_rules_they_break(meta_raw: psycopg.Connection) -> None:
    future = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    good = a_row(meta_raw, "ad_daily_insights")
    insight(meta_raw, 1, spend="12,50")
    insight(meta_raw, 2, spend="-3.00")
    insight(meta_raw, 3, impressions="1.5e3")
    insight(meta_raw, 4, date_start=future, date_stop=future)
    insight(meta_raw, 5, account_currency="usd")
    insight(meta_raw, 6, date_stop="2026-01-31")
    insight(meta_raw, 7, clicks="900", impressions="12")  # warning only
    insight(meta_raw, 8, actions={"lead": "3"})  # warning only
    insight(meta_raw, 9, action_values=[{"action_type": "purchase", "value": "n/a"}])
    day = date.fromisoformat(good["date_start"])
    insert(meta_raw, "ad_daily_insights", (int(good["account_id"]), None, day), good)
    insert(meta_raw, "ad_daily_insights", (int(good["account_id"]), int(good["ad_id"]), day), good)
    account = {"id": "act_42", "name": "No currency"}
    insert(meta_raw, "ad_accounts", (42,), account)
    campaign = {**a_row(meta_raw, "campaigns"), "status": "RUNNING"}
    insert(meta_raw, "campaigns", (int(campaign["account_id"]), 43), campaign)
    ad = a_row(meta_raw, "ads")
    for ad_id, changes in (
        (44, {"status": "RUNNING"}),
        (45, {"creative": {"object_story_spec": {"link_data": {"link": "thinline.example/x"}}}}),
        (46, {"creative": {"url_tags": "?utm_source=facebook"}}),
    ):
        insert(meta_raw, "ads", (int(ad["account_id"]), ad_id), {**ad, "id": str(ad_id), **changes})

    with pytest.raises(QualityGateError) as raised:
        validate_raw(_url(meta_raw), "meta-bad", tables=TABLES)

    report = raised.value.report
    assert codes(report, "critical") == {
        "MADS-ADDAY-001",  # null ad_id key
        "MADS-ADDAY-002",  # the same ad and day twice
        "MADS-ADDAY-010",  # "12,50"
        "MADS-ADDAY-011",  # negative spend
        "MADS-ADDAY-012",  # impressions not an integer
        "MADS-ADDAY-014",  # a day in the future
        "MADS-ADDAY-015",  # lower-case currency
        "MADS-ADDAY-016",  # a row over several days
        "MADS-ACCT-010",  # account without a currency
        "MADS-CAMP-006",  # key 43 but the record's id differs
    }
    assert codes(report, "warning") == {
        "MADS-ADDAY-013",  # clicks > impressions
        "MADS-ADDAY-017",  # actions not an array, a non-numeric action value
        "MADS-ACCT-011",  # no timezone_name
        "MADS-CAMP-010",  # unknown status
        "MADS-AD-010",  # unknown ad status
        "MADS-AD-011",  # a link without a scheme
        "MADS-AD-012",  # url_tags with a leading "?"
    }
    (bad_value,) = [r for r in report.results if r.rule == "MADS-ADDAY-010"]
    assert bad_value.sample_bad_values == [
        {"account_id": int(good["account_id"]), "ad_id": 1, "insight_date": good["date_start"]}
        | {"spend": "12,50"}
    ]


def _url(conn: psycopg.Connection) -> str:
    info = conn.info
    password = f":{info.password}" if info.password else ""
    return f"postgresql://{info.user}{password}@{info.host}:{info.port}/{info.dbname}"
