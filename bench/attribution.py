"""Build time of the attribution models at 1,000,000 touchpoints and 100,000 conversions.

`python -m bench attribution` (THINLINE_HOME picks the embedded warehouse, started if needed
and stopped again if it was not running; THINLINE_WAREHOUSE_URL points at another server):

1. a fresh database; the synthetic company (bench/attribution_data.py) generated in SQL into
   the raw tables, as of 2026-03-01;
2. untimed: `dbt seed`, then everything upstream of the attribution models (staging views,
   fct_deals, fct_ad_spend_daily, ...: `dbt build` without tests);
3. **full**: `dbt build --select` the attribution models (models/intermediate/attribution and
   models/marts/attribution: models, unit tests and data tests), timed;
4. **incremental**: one new day merged into the raw tables (new touches, records,
   conversions), the upstream rebuilt untimed, then the same `dbt build` timed again.

Per-model seconds come from dbt's target/run_results.json. Scale for a quick try:
BENCH_ATTRIBUTION_TOUCHPOINTS / BENCH_ATTRIBUTION_CONVERSIONS.
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
import yaml

from bench.attribution_data import add_benchmark_day, load_benchmark_company
from bench.harness import bench_database
from thinline.dbt import PROJECT_DIR, run_dbt

DATABASE = "bench_attribution"
# fct_deals takes its source channel from int_deal_source_channels, and fct_attribution its
# amounts from fct_deals: it sits inside the attribution chain, so it is timed with it.
SELECTION = [
    "path:models/intermediate/attribution",
    "path:models/marts/attribution",
    "fct_deals",
]
UPSTREAM = ["+" + selector for selector in SELECTION]
NOT_TESTS = ["resource_type:test", "resource_type:unit_test"]
COUNTED = {
    "fct_touchpoints": "analytics_build.fct_touchpoints",
    "conversions": "intermediate.int_attribution_conversions",
    "markov_transitions": "intermediate.int_attribution_markov_transitions",
    "fct_attribution": "analytics_build.fct_attribution",
    "dim_contacts": "analytics_build.dim_contacts",
    "rpt_channel_performance": "analytics_build.rpt_channel_performance",
    "rpt_funnel": "analytics_build.rpt_funnel",
}


def dbt_peak_rss_mb() -> float:
    """Largest peak resident set of any child process so far (dbt): Linux KiB."""
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


def timed_build(url: str, target: Path) -> dict[str, Any]:
    """`dbt build` of the attribution selection: wall seconds and dbt's per-node timings."""
    started = time.perf_counter()
    # cautious: tests of the selection whose other parents are not selected (fct_deals'
    # relationships to dim_sales_reps / dim_accounts) stay out, as those tables are not built
    run_dbt(["build", "--select", *SELECTION, "--indirect-selection", "cautious"], url)
    seconds = time.perf_counter() - started
    results = json.loads((target / "run_results.json").read_text())["results"]
    models = {
        result["unique_id"].split(".")[-1]: round(result["execution_time"], 2)
        for result in results
        if result["unique_id"].startswith("model.")
    }
    tests = [
        result["execution_time"]
        for result in results
        if result["unique_id"].startswith(("test.", "unit_test."))
    ]
    return {
        "wall_s": round(seconds, 1),
        "models_s_sum": round(sum(models.values()), 1),
        "tests_s_sum": round(sum(tests), 1),
        "tests": len(tests),
        "slowest_models_s": dict(sorted(models.items(), key=lambda item: -item[1])[:8]),
        "dbt_peak_rss_mb": dbt_peak_rss_mb(),
    }


def build_upstream(url: str) -> float:
    started = time.perf_counter()
    run_dbt(
        ["build", "--select", *UPSTREAM, "--exclude", *SELECTION, *NOT_TESTS],
        url,
    )
    return round(time.perf_counter() - started, 1)


def counts(url: str) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        rows = {
            name: conn.execute(f"select count(*) from {table}").fetchone()[0]
            for name, table in COUNTED.items()
        }
        rows["conversions_by_type"] = dict(
            conn.execute(
                "select conversion_type, count(*) from intermediate.int_attribution_conversions"
                " group by conversion_type order by conversion_type"
            ).fetchall()
        )
        rows["database_mb"] = round(
            conn.execute("select pg_database_size(current_database())").fetchone()[0] / 2**20
        )
    return rows


def dbt_threads() -> int:
    """Threads of the profile's prod target (what the orchestrator's dbt build uses)."""
    profile = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())
    return int(profile["thinline"]["outputs"]["prod"]["threads"])


def server_facts(url: str) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        return {
            setting: conn.execute(f"show {setting}").fetchone()[0]
            for setting in ("server_version", "shared_buffers", "work_mem", "max_worker_processes")
        }


def main() -> dict[str, Any]:
    touchpoints = int(os.environ.get("BENCH_ATTRIBUTION_TOUCHPOINTS", 1_000_000))
    conversions = int(os.environ.get("BENCH_ATTRIBUTION_CONVERSIONS", 100_000))
    target = Path(tempfile.mkdtemp(prefix="thinline-bench-dbt-"))
    # dbt's own target folder: run_results.json of this run only, and no clash with another
    # dbt run in the same checkout
    os.environ["DBT_TARGET_PATH"] = str(target)
    os.environ["DBT_LOG_PATH"] = str(target / "logs")
    load_average = round(os.getloadavg()[0], 2)
    with bench_database(DATABASE) as url:
        loaded = load_benchmark_company(url, touchpoints, conversions)
        print(f"loaded raw tables in {loaded['seconds']} s", flush=True)
        run_dbt(["seed"], url)
        upstream_s = build_upstream(url)
        full = timed_build(url, target)
        print(f"full build: {full['wall_s']} s", flush=True)
        full_counts = counts(url)
        day = add_benchmark_day(url, touchpoints, conversions)
        upstream_day_s = build_upstream(url)
        incremental = timed_build(url, target)
        print(f"incremental build (one new day): {incremental['wall_s']} s", flush=True)
        day_counts = counts(url)
        server = server_facts(url)
    return {
        "benchmark": "attribution models: dbt build of the attribution selection, full and "
        "after one new day",
        "selection": " ".join(SELECTION),
        "target": {"touchpoints": touchpoints, "conversions": conversions},
        "machine": {
            "cpu_count": os.cpu_count(),
            "load_average_1m_at_start": load_average,
            "dbt_threads": dbt_threads(),
            **server,
        },
        "load": loaded,
        "upstream_build_s": upstream_s,
        "full": {**full, "rows": full_counts},
        "new_day": day,
        "upstream_build_after_day_s": upstream_day_s,
        "incremental": {**incremental, "rows": day_counts},
    }
