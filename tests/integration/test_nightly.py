"""`thinline run` end to end: Airflow 3 runs thinline_nightly against an embedded PostgreSQL
and the stand-in APIs; the published numbers must equal what the synthetic company planted.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from contextlib import closing
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from sandbox import build_world, serve
from tests.integration.conftest import ALL_SOURCES, DAY, DBT_VARS, WORLD, run_thinline

pytestmark = pytest.mark.integration


def test_run_ends_with_a_summary(published_company: dict) -> None:
    output = published_company["output"]
    assert "rows loaded:" in output
    # Every check ran and passed: a clean company gives no failure and no warning either.
    assert re.search(r"checks raw  : [1-9]\d* passed, 0 failed, 0 warnings", output), output
    assert re.search(r"checks marts: [1-9]\d* passed, 0 failed, 0 warnings", output), output
    assert "analytics.fct_deals" in output and "analytics.fct_ad_spend_daily" in output
    # BI tools are pointed at the read-only role, password masked
    assert "BI connection: postgresql://bi_reader:***@127.0.0.1:" in output
    assert "(full URL: thinline warehouse url --role bi_reader)" in output


def test_published_spend_equals_the_planted_spend(published_company: dict, world) -> None:
    truth: dict[tuple, Decimal] = defaultdict(Decimal)
    for row in world.truth()["ad_spend"]:
        key = (row["platform"], str(row["campaign_id"]), row["date"])
        exact = row.get("spend")  # Meta and LinkedIn report decimal strings, Google micros
        truth[key] += Decimal(exact) if exact else Decimal(row["cost_micros"]) / 1_000_000
    with psycopg.connect(published_company["url"]) as conn:
        published = conn.execute(
            "select platform, campaign_id::text, spend_date::text, sum(spend) "
            "from analytics.fct_ad_spend_daily group by 1, 2, 3"
        ).fetchall()
    got = {(platform, campaign, day): spend for platform, campaign, day, spend in published}
    expected = {key: spend for key, spend in truth.items() if spend != 0}
    assert {key: spend for key, spend in got.items() if spend != 0} == expected
    assert {platform for platform, _, _ in expected} == {
        "google_ads",
        "meta_ads",
        "linkedin_ads",
        "microsoft_ads",
    }
    assert len(expected) > 150  # the world really has spend to compare


def test_published_deals_equal_the_planted_deals(published_company: dict, world) -> None:
    truth = world.truth()
    expected = {
        ("hubspot", str(deal["deal_id"])): Decimal(deal["amount"])
        for deal in truth["deals"]
        if not deal["archived"]
    } | {
        ("salesforce", opportunity["opportunity_id"]): Decimal(opportunity["amount"])
        for opportunity in truth["salesforce_opportunities"]
        if not opportunity["is_deleted"]
    }
    with psycopg.connect(published_company["url"]) as conn:
        published = conn.execute("select crm, deal_id::text, amount from analytics.fct_deals")
        got = {(crm, deal_id): amount for crm, deal_id, amount in published.fetchall()}
    assert got == expected
    assert {crm for crm, _ in expected} == {"hubspot", "salesforce"}


def test_rerunning_the_same_interval_leaves_identical_tables(published_company: dict) -> None:
    before, after = published_company["before"], published_company["after"]
    assert before.keys() == after.keys()
    assert "analytics.fct_deals" in before and "raw_hubspot.deals" in before
    for table in before:
        assert before[table] == after[table], table


def test_watermarks_committed_per_stream_and_account(published_company: dict, world) -> None:
    with psycopg.connect(published_company["url"]) as conn:
        rows = conn.execute(
            "select source || '.' || entity, account, watermark::date from ops.watermarks"
        ).fetchall()
    marks: dict[str, dict[str, date]] = {}
    for stream, account, mark in rows:
        marks.setdefault(stream, {})[account] = mark
    assert marks["hubspot.deals"] == {"": date(2026, 3, 11)}  # a CRM is read whole
    customers = {str(customer.customer_id) for customer in world.google_ads.customers}
    assert len(customers) == 2  # each Google Ads customer was a mapped task of its own
    assert marks["google_ads.ad_daily_metrics"] == dict.fromkeys(customers, date(2026, 3, 11))


@pytest.mark.changes_shared_run
def test_the_next_night_is_incremental(published_company: dict, home: Path) -> None:
    next_day = date(2026, 3, 11)
    with serve(build_world(replace(WORLD, end=next_day))) as sources:
        env = {**sources.env, "THINLINE_SOURCES": ALL_SOURCES, "THINLINE_DBT_VARS": DBT_VARS}
        run_thinline(home, "run", "--date", next_day.isoformat(), extra_env=env)
    with psycopg.connect(published_company["url"]) as conn:
        batches = conn.execute(
            "select window_start, window_end, row_count from ops.load_batches "
            "where source = 'hubspot' and entity = 'contacts' order by loaded_at"
        ).fetchall()
    (first_start, _, first_rows), (last_start, last_end, last_rows) = batches[0], batches[-1]
    assert first_start.date() == date(2026, 1, 1)  # the first load read the whole history
    assert last_start.date() == date(2026, 3, 10) and last_end.date() == date(2026, 3, 12)
    assert 0 < last_rows < first_rows


def test_runs_on_postgresql_15_with_a_subset_of_sources(
    tmp_path: Path, world, pg15_database: str
) -> None:
    """The machine's PostgreSQL 15 (if any) as THINLINE_WAREHOUSE_URL, with two sources only:
    the other sources' models and checks stay out, and the numbers are the same."""
    url = pg15_database
    with serve(world) as sources:
        env = {
            **sources.env,
            "THINLINE_SOURCES": "hubspot,google_ads,ecb",
            "THINLINE_WAREHOUSE_URL": url,
        }
        run_thinline(tmp_path, "run", "--date", DAY.isoformat(), extra_env=env)
    with psycopg.connect(url) as conn:
        version = conn.execute("show server_version_num").fetchone()[0]
        deals = conn.execute(
            "select count(*), sum(amount) from analytics.fct_deals where crm = 'hubspot'"
        ).fetchone()
        platforms = conn.execute(
            "select distinct platform from analytics.fct_ad_spend_daily"
        ).fetchall()
        crms = conn.execute("select distinct crm from analytics.fct_deals").fetchall()
    truth = [Decimal(d["amount"]) for d in world.truth()["deals"] if not d["archived"]]
    assert version.startswith("15")
    assert deals == (len(truth), sum(truth))
    assert platforms == [("google_ads",)] and crms == [("hubspot",)]


def test_publish_emits_the_asset_the_report_dag_reads(published_company: dict) -> None:
    """Each publish records an event of the Asset ``thinline_analytics`` carrying the run's
    summary; ``thinline_report`` (scheduled on it) reported the run the latest event names."""
    home = Path(published_company["home"])
    latest = json.loads((home / "runs" / "latest.json").read_text())
    with closing(sqlite3.connect(home / "airflow" / "airflow.db")) as metadata:
        events = metadata.execute(
            "select e.extra, e.source_dag_id, e.source_task_id from asset_event e "
            "join asset a on a.id = e.asset_id where a.name = 'thinline_analytics' order by e.id"
        ).fetchall()
        reports = metadata.execute(
            "select state from dag_run where dag_id = 'thinline_report' order by id"
        ).fetchall()
    assert len(events) == 2  # the run and the rerun each published once
    extra, dag_id, task_id = events[-1]
    assert (dag_id, task_id) == ("thinline_nightly", "publish")
    assert json.loads(extra) == latest
    assert latest["published_tables"] and latest["window"]["start"].startswith(DAY.isoformat())
    assert reports == [("success",)]  # `airflow dags test` reruns a day's run in place
    for output in (published_company["output"], published_company["rerun_output"]):
        assert "✓ report" in output
    assert f"report of {latest['run_id']} written" in published_company["rerun_output"]
