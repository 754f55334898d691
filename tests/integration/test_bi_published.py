"""After a real nightly run: the report's indexes, built by dbt in analytics_build, are on the
published tables, and MetricFlow's time spine is built outside the published schema."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import psycopg
import pytest
import yaml

pytestmark = pytest.mark.integration

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


def configured_indexes() -> set[tuple[str, tuple[str, ...]]]:
    """(model, columns) of every `+indexes` entry under `marts` in dbt_project.yml."""
    found = set()

    def walk(node: dict, name: str) -> None:
        for index in node.get("+indexes", []):
            found.add((name, tuple(index["columns"])))
        for key, child in node.items():
            if not key.startswith("+") and isinstance(child, dict):
                walk(child, key)

    project = yaml.safe_load((PROJECT / "dbt_project.yml").read_text())
    walk(project["models"]["thinline"]["marts"], "marts")
    return found


def test_the_report_indexes_move_with_publish(published_company: dict) -> None:
    expected = configured_indexes()
    assert {"fct_attribution", "fct_quota_attainment"} <= {table for table, _ in expected}
    with psycopg.connect(published_company["url"]) as conn:
        rows = conn.execute(
            "select tablename, indexdef from pg_indexes where schemaname = 'analytics'"
        ).fetchall()
        build_schema = conn.execute(
            "select 1 from pg_namespace where nspname = 'analytics_build'"
        ).fetchone()
    assert build_schema is None  # renamed to analytics by publish
    published = {
        (table, tuple(part.strip() for part in match[1].split(",")))
        for table, definition in rows
        if (match := re.search(r"USING btree \((.*)\)$", definition))
    }
    assert expected <= published, sorted(expected - published)


def test_the_time_spine_is_built_outside_the_published_schema(published_company: dict) -> None:
    project = yaml.safe_load((PROJECT / "dbt_project.yml").read_text())
    first = date.fromisoformat(project["vars"]["calendar_start"])
    last = date.fromisoformat(project["vars"]["calendar_end"])
    with psycopg.connect(published_company["url"]) as conn:
        days, low, high = conn.execute(
            "select count(*), min(date_day), max(date_day) from semantic.time_spine_daily"
        ).fetchone()
        in_analytics = conn.execute("select to_regclass('analytics.time_spine_daily')").fetchone()
    assert (days, low, high) == ((last - first).days + 1, first, last)
    assert in_analytics == (None,)


def test_bi_reader_sees_data_health_but_not_ops(published_company: dict) -> None:
    """BI charts data health from analytics.rpt_data_health (both gates of the run that
    published it, samples of bad values left out), while ops itself stays closed to it."""
    from tests.integration.conftest import run_thinline

    reader_url = run_thinline(
        published_company["home"], "warehouse", "url", "--role", "bi_reader"
    ).strip()
    with psycopg.connect(reader_url) as conn:
        latest = conn.execute(
            "select split_part(suite, '.', 1), count(*), count(*) filter (where not passed) "
            "from analytics.rpt_data_health where is_latest_check group by 1 order by 1"
        ).fetchall()
        columns = {
            row[0]
            for row in conn.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'analytics' and table_name = 'rpt_data_health'"
            )
        }
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select count(*) from ops.quality_results")
    gates = {gate: (checks, failed) for gate, checks, failed in latest}
    assert gates.keys() >= {"marts", "raw_hubspot", "raw_google_ads"}, gates
    assert all(checks > 0 and failed == 0 for checks, failed in gates.values()), gates
    assert "sample_bad_values" not in columns and "rule_code" in columns
