"""`thinline run` end to end: Airflow 3 runs thinline_nightly against an embedded PostgreSQL
and the stand-in APIs; the published numbers must equal what the synthetic company planted.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from sandbox import WorldConfig, build_world, serve
from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.integration

THINLINE = str(Path(sys.executable).parent / "thinline")
DAY = date(2026, 3, 10)
WORLD = WorldConfig(seed=11, scale=1.0, start=date(2026, 1, 1), end=DAY)
ALL_SOURCES = "hubspot,salesforce,google_ads,meta_ads,linkedin_ads"


def run_thinline(home: Path, *args: str, extra_env: dict[str, str] | None = None) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("THINLINE_")}
    env = {**clean, "THINLINE_HOME": str(home), "THINLINE_START_DATE": "2026-01-01"}
    result = subprocess.run(
        [THINLINE, *args],
        env={**env, **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return result.stdout


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every published table and every raw table's content, minus load bookkeeping."""
    tables: dict[str, list[tuple]] = {}
    with psycopg.connect(url) as conn:
        names = conn.execute(
            "select table_schema, table_name, string_agg(column_name, ', ' order by column_name) "
            "from information_schema.columns "
            "where (table_schema = 'analytics' or table_schema like 'raw\\_%') "
            "and column_name not in ('_loaded_at', '_batch_id') "
            "group by 1, 2 order by 1, 2"
        ).fetchall()
        for schema, table, columns in names:
            rows = conn.execute(f'select {columns} from "{schema}"."{table}"').fetchall()
            tables[f"{schema}.{table}"] = sorted(rows, key=repr)
    return tables


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("nightly-home")
    yield home
    subprocess.run(
        [THINLINE, "warehouse", "stop"],
        env={**os.environ, "THINLINE_HOME": str(home)},
        check=False,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def world():
    return build_world(WORLD)


@pytest.fixture(scope="module")
def first_run(home: Path, world) -> dict:
    """Run the nightly DAG twice for the same day; keep the output and both snapshots."""
    with serve(world) as sources:
        env = {**sources.env, "THINLINE_SOURCES": ALL_SOURCES}
        output = run_thinline(home, "run", "--date", DAY.isoformat(), extra_env=env)
        url = run_thinline(home, "warehouse", "url").strip()
        before = snapshot(url)
        rerun_output = run_thinline(home, "run", "--date", DAY.isoformat(), extra_env=env)
        after = snapshot(url)
    return {
        "output": output,
        "rerun_output": rerun_output,
        "url": url,
        "before": before,
        "after": after,
    }


def test_run_ends_with_a_summary(first_run: dict) -> None:
    output = first_run["output"]
    assert "rows loaded:" in output
    # Every check ran and passed: a clean company gives no failure and no warning either.
    assert re.search(r"checks raw  : [1-9]\d* passed, 0 failed, 0 warnings", output), output
    assert re.search(r"checks marts: [1-9]\d* passed, 0 failed, 0 warnings", output), output
    assert "analytics.fct_deals" in output and "analytics.fct_ad_spend_daily" in output
    assert "BI connection: postgresql://thinline:***@127.0.0.1:" in output


def test_published_spend_equals_the_planted_spend(first_run: dict, world) -> None:
    truth: dict[tuple, Decimal] = defaultdict(Decimal)
    for row in world.truth()["ad_spend"]:
        key = (row["platform"], str(row["campaign_id"]), row["date"])
        exact = row.get("spend")  # Meta and LinkedIn report decimal strings, Google micros
        truth[key] += Decimal(exact) if exact else Decimal(row["cost_micros"]) / 1_000_000
    with psycopg.connect(first_run["url"]) as conn:
        published = conn.execute(
            "select platform, campaign_id::text, spend_date::text, sum(spend) "
            "from analytics.fct_ad_spend_daily group by 1, 2, 3"
        ).fetchall()
    got = {(platform, campaign, day): spend for platform, campaign, day, spend in published}
    expected = {key: spend for key, spend in truth.items() if spend != 0}
    assert {key: spend for key, spend in got.items() if spend != 0} == expected
    assert {platform for platform, _, _ in expected} == {"google_ads", "meta_ads", "linkedin_ads"}
    assert len(expected) > 150  # the world really has spend to compare


def test_published_deals_equal_the_planted_deals(first_run: dict, world) -> None:
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
    with psycopg.connect(first_run["url"]) as conn:
        published = conn.execute("select crm, deal_id::text, amount from analytics.fct_deals")
        got = {(crm, deal_id): amount for crm, deal_id, amount in published.fetchall()}
    assert got == expected
    assert {crm for crm, _ in expected} == {"hubspot", "salesforce"}


def test_rerunning_the_same_interval_leaves_identical_tables(first_run: dict) -> None:
    before, after = first_run["before"], first_run["after"]
    assert before.keys() == after.keys()
    assert "analytics.fct_deals" in before and "raw_hubspot.deals" in before
    for table in before:
        assert before[table] == after[table], table


def test_watermarks_committed_per_stream(first_run: dict) -> None:
    with psycopg.connect(first_run["url"]) as conn:
        marks = dict(
            conn.execute(
                "select source || '.' || entity, watermark::date from ops.watermarks"
            ).fetchall()
        )
    assert marks["hubspot.deals"] == date(2026, 3, 11)
    assert marks["google_ads.ad_daily_metrics"] == date(2026, 3, 11)


def test_the_next_night_is_incremental(first_run: dict, home: Path) -> None:
    next_day = date(2026, 3, 11)
    with serve(build_world(replace(WORLD, end=next_day))) as sources:
        env = {**sources.env, "THINLINE_SOURCES": ALL_SOURCES}
        run_thinline(home, "run", "--date", next_day.isoformat(), extra_env=env)
    with psycopg.connect(first_run["url"]) as conn:
        batches = conn.execute(
            "select window_start, window_end, row_count from ops.load_batches "
            "where source = 'hubspot' and entity = 'contacts' order by loaded_at"
        ).fetchall()
    (first_start, _, first_rows), (last_start, last_end, last_rows) = batches[0], batches[-1]
    assert first_start.date() == date(2026, 1, 1)  # the first load read the whole history
    assert last_start.date() == date(2026, 3, 10) and last_end.date() == date(2026, 3, 12)
    assert 0 < last_rows < first_rows


def test_runs_on_postgresql_15_with_a_subset_of_sources(tmp_path: Path, world) -> None:
    """The machine's PostgreSQL 15 (if any) as THINLINE_WAREHOUSE_URL, with two sources only:
    the other sources' models and checks stay out, and the numbers are the same."""
    server = os.environ.get(
        "THINLINE_TEST_PG15_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    try:
        url = create_database(server)
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL 15 reachable (compatibility check only)")
    try:
        with serve(world) as sources:
            env = {
                **sources.env,
                "THINLINE_SOURCES": "hubspot,google_ads",
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
    finally:
        drop_database(url)
