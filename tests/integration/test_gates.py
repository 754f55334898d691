"""Bad batches stop the run at the right gate, by the rule they break, and `analytics` keeps
the version published before them. The pipeline's step functions are called directly (what
the Airflow tasks call) on a small company, with one dbt build, to keep CI time down."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest

from extract.base import Window, midnight
from extract.registry import source_names
from quality.results import QualityGateError
from sandbox import WorldConfig, build_world, serve
from sandbox.meta_ads_server import MetaAdsServer
from tests.conftest import create_database, drop_database
from thinline import pipeline
from thinline.warehouse import EmbeddedWarehouse

pytestmark = pytest.mark.integration

DAY = date(2026, 3, 10)
START = DAY - timedelta(days=14)  # inside Meta's 28-day lookback: every extract re-reads all
WINDOW = Window(midnight(DAY), midnight(DAY + timedelta(days=1)))
SOURCE = "meta_ads"  # where the bad batches come from
SOURCES = list(source_names())  # every registered source
Edit = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


@pytest.fixture(scope="module")
def company(
    embedded_warehouse: EmbeddedWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """A warehouse where one good run published version A of analytics."""
    url = create_database(embedded_warehouse.url())
    world = build_world(WorldConfig(seed=5, scale=0.5, start=START, end=DAY))
    (target,) = [row for row in world.meta_ads.insights if row.day == DAY - timedelta(days=1)][:1]
    with pytest.MonkeyPatch.context() as patch, serve(world) as sources:
        for name, value in {
            **sources.env,
            "THINLINE_HOME": str(tmp_path_factory.mktemp("gates-home")),
            "THINLINE_WAREHOUSE_URL": url,
            "THINLINE_SOURCES": ",".join(SOURCES),
            "THINLINE_START_DATE": START.isoformat(),
        }.items():
            patch.setenv(name, value)
        run("good-1")
        yield {"url": url, "patch": patch, "ad_id": str(target.ad_id), "day": str(target.day)}
    drop_database(url)


def run(run_id: str) -> None:
    """The nightly steps in DAG order; a gate failure raises."""
    for source in SOURCES:
        pipeline.extract(source, WINDOW, run_id)
    pipeline.validate_raw(run_id, SOURCES)
    pipeline.transform(run_id)
    pipeline.validate_marts(run_id)
    pipeline.publish_marts(run_id)


def published(url: str) -> tuple[Any, ...]:
    """Fingerprint of analytics: its spend total and the identity of its table."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select sum(spend), count(*), min(tableoid::oid) from analytics.fct_ad_spend_daily"
        ).fetchone()


def serve_with(company: dict[str, Any], edit: Edit) -> None:
    """Make the Meta stand-in apply ``edit`` to every insights page it serves."""
    original = MetaAdsServer._insights_page

    def edited(self: MetaAdsServer, request: Any, account_id: int) -> dict[str, Any]:
        page = original(self, request, account_id)
        return {**page, "data": edit(page["data"])}

    company["patch"].setattr(MetaAdsServer, "_insights_page", edited)


def targeted(company: dict[str, Any], change: Callable[[dict[str, Any]], list[dict]]) -> Edit:
    def edit(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for row in rows:
            hit = row.get("ad_id") == company["ad_id"] and row["date_start"] == company["day"]
            out += change(copy.deepcopy(row)) if hit else [row]
        return out

    return edit


def quarantined(url: str, run_id: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select rule, reason, payload->>'spend' from ops.quarantine "
            "where run_id = %s order by quarantine_id",
            (run_id,),
        ).fetchall()


def raw_gate_failure(company: dict[str, Any], run_id: str) -> QualityGateError:
    pipeline.extract(SOURCE, WINDOW, run_id)
    with pytest.raises(QualityGateError) as raised:
        pipeline.validate_raw(run_id, SOURCES)
    return raised.value


def restore(company: dict[str, Any]) -> None:
    company["patch"].setattr(MetaAdsServer, "_insights_page", ORIGINAL_PAGE)
    pipeline.extract(SOURCE, WINDOW, "restore")  # the re-read days replace the bad ones


ORIGINAL_PAGE = MetaAdsServer._insights_page


def build_as_published(conn: psycopg.Connection) -> None:
    """The build a second dbt run would make from the same raw data, minus dbt's minute: a
    copy of every published table in analytics_build."""
    conn.execute("drop schema if exists analytics_build cascade")
    conn.execute("create schema analytics_build")
    for (table,) in conn.execute(
        "select table_name from information_schema.tables where table_schema = 'analytics'"
    ).fetchall():
        conn.execute(f"create table analytics_build.{table} as table analytics.{table}")


def test_broken_reconciliation_stops_at_validate_marts(company: dict[str, Any]) -> None:
    before = published(company["url"])
    with psycopg.connect(company["url"], autocommit=True) as conn:
        build_as_published(conn)
        pipeline.validate_marts("good-copy")  # the copy passes: the tampering below is the cause
        conn.execute(
            "update analytics_build.fct_ad_spend_daily set spend = spend + 1 where ad_spend_key = "
            "(select min(ad_spend_key) from analytics_build.fct_ad_spend_daily "
            "where platform = 'meta_ads')"
        )
    with pytest.raises(QualityGateError) as raised:
        pipeline.validate_marts("bad-marts")
    assert raised.value.report.critical_failures[0].rule == "MART-SPEND-003"
    assert "MART-SPEND-003" in str(raised.value).splitlines()[1]
    assert published(company["url"]) == before  # nothing was published


def test_a_currency_without_a_rate_stops_at_validate_marts_naming_it(
    company: dict[str, Any],
) -> None:
    before = published(company["url"])
    with psycopg.connect(company["url"], autocommit=True) as conn:
        build_as_published(conn)
        # what int_fx_rates_daily gives a currency no rate source knows: no rate, so the
        # left join leaves every reporting amount and the lineage null
        day = conn.execute(
            "update analytics_build.fct_ad_spend_daily set spend_reporting = null, "
            "platform_conversion_value_reporting = null, fx_rate_to_reporting = null, "
            "fx_rate_date = null, fx_rate_source = null "
            "where currency_code = 'GBP' and spend_date = (select max(spend_date) "
            "from analytics_build.fct_ad_spend_daily where currency_code = 'GBP') "
            "returning spend_date"
        ).fetchone()[0]
    with pytest.raises(QualityGateError) as raised:
        pipeline.validate_marts("no-rate")
    failures = raised.value.report.critical_failures
    assert [f.rule for f in failures] == ["MART-FXSPEND-001"]
    assert "GBP" in failures[0].line() and str(day) in failures[0].line()  # currency and day
    assert "MART-FXSPEND-001" in str(raised.value)
    assert published(company["url"]) == before  # nothing was published


def test_negative_spend_stops_at_validate_raw(company: dict[str, Any]) -> None:
    before = published(company["url"])
    serve_with(company, targeted(company, lambda row: [{**row, "spend": "-" + row["spend"]}]))
    try:
        error = raw_gate_failure(company, "bad-spend")
    finally:
        restore(company)
    assert {r.rule for r in error.report.critical_failures} == {"MADS-ADDAY-011"}
    assert "MADS-ADDAY-011" in str(error) and "raw_meta_ads.ad_daily_insights" in str(error)
    assert published(company["url"]) == before
    assert quarantined(company["url"], "bad-spend") == []  # a content rule: the gate's job


def test_duplicate_ids_are_quarantined_and_stop_the_run(company: dict[str, Any]) -> None:
    before = published(company["url"])
    other = lambda row: [row, {**row, "spend": str(float(row["spend"]) + 1)}]  # noqa: E731
    serve_with(company, targeted(company, other))
    try:
        error = raw_gate_failure(company, "bad-duplicate")
    finally:
        restore(company)
    assert {r.rule for r in error.report.critical_failures} == {"QUAR-002"}
    assert "QUAR-002" in str(error)
    rows = quarantined(company["url"], "bad-duplicate")
    assert [rule for rule, _, _ in rows] == ["QUAR-002", "QUAR-002"]  # both versions kept
    assert all(reason.startswith("duplicate key with different records") for _, reason, _ in rows)
    assert published(company["url"]) == before


def test_null_key_is_quarantined_and_stops_the_run(company: dict[str, Any]) -> None:
    before = published(company["url"])
    keyless = lambda row: [row, {k: v for k, v in row.items() if k != "ad_id"}]  # noqa: E731
    serve_with(company, targeted(company, keyless))
    try:
        error = raw_gate_failure(company, "bad-null")
    finally:
        restore(company)
    assert {r.rule for r in error.report.critical_failures} == {"QUAR-001"}
    rows = quarantined(company["url"], "bad-null")
    assert [(rule, reason) for rule, reason, _ in rows] == [("QUAR-001", "null key: ad_id is null")]
    assert published(company["url"]) == before
    # The rest of the batch loaded: the good copy of that row is in raw.
    with psycopg.connect(company["url"]) as conn:
        assert conn.execute(
            "select count(*) from raw_meta_ads.ad_daily_insights where ad_id = %s "
            "and insight_date = %s",
            (int(company["ad_id"]), company["day"]),
        ).fetchone() == (1,)
