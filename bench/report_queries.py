"""Each query of the nightly report, at 1,000,000 touchpoints and 100,000 conversions.

`python -m bench report_queries` (THINLINE_HOME picks the embedded warehouse, started if
needed and stopped again if it was not running; THINLINE_WAREHOUSE_URL points at another
server):

1. a fresh database with the attribution benchmark's company (bench/attribution_data.py);
2. untimed: `dbt seed` and `dbt build` (no tests) of every model the report reads, then
   what the nightly run's publish step does: VACUUM ANALYZE of analytics_build
   (thinline/vacuum.py) and publish (analytics_build renamed to analytics);
3. the indexes dbt created on the build schema (dbt_project.yml, `+indexes`), as found in
   ``analytics`` after publish;
4. every chart query of thinline/report/sections.py, as the report task runs it right after
   publish: one first run, then REPEATS timed runs;
5. the same without those indexes, for comparison.

The benchmark company has no CRM owners or quotas, so dbt leaves dim_sales_reps,
fct_quota_attainment and rpt_sales_rep_performance empty; the benchmark fills them (after
publish, only when empty) with synthetic rows of the real grain for REPS reps in TEAMS teams
over the company's two years: owner x day x period type, and rep x month / quarter.

Scale for a quick try: BENCH_REPORT_TOUCHPOINTS / BENCH_REPORT_CONVERSIONS.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

import psycopg
from psycopg import sql

from bench.attribution_data import END, load_benchmark_company
from bench.harness import bench_database
from thinline.dbt import BUILD_SCHEMA, run_dbt
from thinline.publish import PUBLISHED, publish
from thinline.report.data import missing_tables
from thinline.report.sections import SECTIONS
from thinline.vacuum import vacuum_analyze_schema

DATABASE = "bench_report_queries"
REPEATS = 5
UNDER_S = 0.5  # "well under a second"
NOT_TESTS = ["resource_type:test", "resource_type:unit_test"]
REPS, TEAMS = 200, 20

# Synthetic sales tables (see the module docstring); values are arbitrary but plausible.
FILL_SALES = [
    """
    insert into analytics.dim_sales_reps (
        sales_rep_id, crm, owner_id, rep_name, team_id, team_name, team_key, is_active
    )
    select
        'salesforce:rep' || rep, 'salesforce', 'rep' || rep, 'Rep ' || rep,
        'team' || rep %% %(teams)s, 'Team ' || rep %% %(teams)s,
        'salesforce:team' || rep %% %(teams)s, true
    from generate_series(1, %(reps)s) as reps (rep)
    """,
    """
    insert into analytics.fct_quota_attainment (
        owner_type, owner_id, date_day, period_type, period_start, period_end, quota,
        booked_to_date, attainment, expected_to_date, pacing, projected
    )
    with owners as (
        select 'rep' as owner_type, sales_rep_id as owner_id from analytics.dim_sales_reps
        union all
        select distinct 'team', team_key from analytics.dim_sales_reps
    ),

    days as (
        select cast(day as date) as date_day
        from generate_series(
            cast(%(end)s as date) - 730, cast(%(end)s as date), interval '1 day'
        ) as days (day)
    ),

    periods as (
        select unnest(array['day', 'week', 'month', 'quarter', 'year']) as period_type
    )

    select
        owners.owner_type, owners.owner_id, days.date_day, periods.period_type,
        cast(date_trunc(periods.period_type, days.date_day) as date),
        cast(
            date_trunc(periods.period_type, days.date_day)
            + cast(case periods.period_type when 'quarter' then '3 months'
                else '1 ' || periods.period_type end as interval)
            - interval '1 day' as date
        ),
        10000, 5000, 0.5, 4000, 1.25, 12500
    from owners cross join days cross join periods
    """,
    """
    insert into analytics.rpt_sales_rep_performance (
        rep_period_key, sales_rep_id, period_type, period_start, period_end, as_of_date,
        open_pipeline_reporting, remaining_quota_reporting, pipeline_coverage
    )
    with periods as (
        select distinct
            period_type,
            cast(date_trunc(period_type, day) as date) as period_start
        from generate_series(
            cast(%(end)s as date) - 730, cast(%(end)s as date), interval '1 day'
        ) as days (day)
        cross join unnest(array['month', 'quarter']) as types (period_type)
    )

    select
        reps.sales_rep_id || ':' || periods.period_type || ':' || periods.period_start,
        reps.sales_rep_id, periods.period_type, periods.period_start,
        cast(
            periods.period_start
            + cast(case periods.period_type when 'quarter' then '3 months' else '1 month' end
                as interval)
            - interval '1 day' as date
        ),
        cast(%(end)s as date), 30000, 10000, 3
    from analytics.dim_sales_reps as reps cross join periods
    """,
]


def report_tables() -> list[str]:
    """The analytics tables the report's sections read."""
    return sorted(
        {
            table.removeprefix(f"{PUBLISHED}.")
            for section in SECTIONS
            for table in section.requires
            if table.startswith(f"{PUBLISHED}.")
        }
    )


def build_and_publish(url: str) -> dict[str, float]:
    started = time.perf_counter()
    run_dbt(["seed"], url)
    selection = [f"+{table}" for table in report_tables()]
    run_dbt(["build", "--select", *selection, "--exclude", *NOT_TESTS], url)
    built = time.perf_counter()
    vacuum_analyze_schema(url, BUILD_SCHEMA)  # as the nightly run's publish step does
    vacuumed = time.perf_counter()
    publish(url, BUILD_SCHEMA)
    return {
        "dbt_build_s": round(built - started, 1),
        "vacuum_analyze_s": round(vacuumed - built, 1),
        "publish_s": round(time.perf_counter() - vacuumed, 2),
    }


def fill_sales_tables(conn: psycopg.Connection) -> bool:
    """Fill the empty sales tables with synthetic rows; False if dbt built rows already."""
    has_reps = conn.execute("select exists (select from analytics.dim_sales_reps)").fetchone()
    if has_reps[0]:
        return False
    params = {"reps": REPS, "teams": TEAMS, "end": END.date()}
    for statement in FILL_SALES:
        conn.execute(statement, params)
    return True


def published_indexes(conn: psycopg.Connection) -> dict[str, str]:
    """Index name -> definition for the secondary indexes of the published report tables."""
    rows = conn.execute(
        "select indexname, indexdef from pg_indexes "
        "where schemaname = %s and tablename = any(%s) and indexname not like '%%pkey' "
        "order by tablename, indexname",
        (PUBLISHED, report_tables()),
    ).fetchall()
    return dict(rows)


def table_rows(conn: psycopg.Connection) -> dict[str, int]:
    return {
        table: conn.execute(
            sql.SQL("select count(*) from {}").format(sql.Identifier(PUBLISHED, table))
        ).fetchone()[0]
        for table in report_tables()
    }


def time_queries(conn: psycopg.Connection) -> dict[str, Any]:
    """First-run and median/max of REPEATS runs per chart query (seconds)."""
    params = {"as_of": END.date(), "window_end": END}
    timings: dict[str, Any] = {}
    for section in SECTIONS:
        absent = missing_tables(conn, section.requires)
        for chart in section.charts:
            if absent:
                timings[chart.chart_id] = {"skipped": f"no table {', '.join(absent)}"}
                continue
            runs = []
            for _ in range(REPEATS + 1):
                started = time.perf_counter()
                rows = conn.execute(chart.sql, params).fetchall()
                runs.append(time.perf_counter() - started)
            timings[chart.chart_id] = {
                "section": section.section_id,
                "rows": len(rows),
                "first_s": round(runs[0], 4),
                "median_s": round(statistics.median(runs[1:]), 4),
                "max_s": round(max(runs[1:]), 4),
            }
    return timings


def slowest(timings: dict[str, Any]) -> float:
    return max((t["max_s"] for t in timings.values() if "max_s" in t), default=0.0)


def main() -> dict[str, Any]:
    touchpoints = int(os.environ.get("BENCH_REPORT_TOUCHPOINTS", "1000000"))
    conversions = int(os.environ.get("BENCH_REPORT_CONVERSIONS", "100000"))
    with bench_database(DATABASE) as url:
        print(f"loading the benchmark company ({touchpoints} touchpoints) …", flush=True)
        loaded = load_benchmark_company(url, touchpoints, conversions)
        print("building the report's models and publishing …", flush=True)
        build = build_and_publish(url)
        with psycopg.connect(url, autocommit=True) as conn:
            server = str(conn.execute("show server_version").fetchone()[0])
            synthetic_sales = fill_sales_tables(conn)
            rows = table_rows(conn)
            indexes = published_indexes(conn)
            print(f"timing {sum(len(s.charts) for s in SECTIONS)} queries …", flush=True)
            with_indexes = time_queries(conn)
            for name in indexes:
                conn.execute(sql.SQL("drop index {}").format(sql.Identifier(PUBLISHED, name)))
            without_indexes = time_queries(conn)
    result = {
        "benchmark": "report queries on the published schema, right after publish",
        "touchpoints": touchpoints,
        "conversions": conversions,
        "postgresql": server,
        "cpu_count": os.cpu_count(),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "raw_load_s": loaded["seconds"],
        **build,
        "synthetic_sales_tables": synthetic_sales,
        "report_table_rows": rows,
        "indexes_in_analytics_after_publish": indexes,
        "repeats": REPEATS,
        "with_indexes": with_indexes,
        "without_indexes": without_indexes,
        "slowest_with_indexes_s": slowest(with_indexes),
        "slowest_without_indexes_s": slowest(without_indexes),
        f"every_query_under_{UNDER_S}_s": slowest(with_indexes) < UNDER_S,
    }
    print(
        f"slowest query: {result['slowest_with_indexes_s']} s with indexes, "
        f"{result['slowest_without_indexes_s']} s without",
        flush=True,
    )
    return result
