"""The pipeline over time at a real company's size: a full build and one new day.

`python -m bench pipeline` (THINLINE_HOME picks the embedded warehouse, started if needed;
THINLINE_WAREHOUSE_URL points at another server):

1. a fresh database with the benchmark company (bench/company_data.py) at full size, as of its
   END: about 50,000 deals across both CRMs over 35 months, with stage, amount, close-date and
   re-opening history, 40 reps in 6 teams; `dbt seed` and the benchmark's quota rows;
2. untimed: `dbt build` (tests excluded) of the pipeline models and everything they and their
   children read (`@int_deal_states`), and `analyze`;
3. timed, one dbt thread: `dbt run --full-refresh` of the pipeline models (PIPELINE: the deal
   states and everything built from them: fct_pipeline_daily, the waterfall, the forecast and
   its backtest, quota attainment), each model's seconds from dbt's run_results.json;
4. the next day merged into the raw tables as a nightly extract would (``add_company_day``:
   new deals, stage, amount and close-date changes, a re-opened deal); untimed: the models
   upstream of PIPELINE; timed: `dbt run` of PIPELINE, incremental where a model is.

Each model's night ÷ full ratio and rows are written beside the seconds.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import psycopg

from bench.company import full_size, node_timings, run_dbt_measured
from bench.company_data import add_company_day, load_company, load_company_quotas
from bench.harness import bench_database
from quality.results import RESULTS_DDL
from thinline.dbt import session_options

DATABASE = "bench_pipeline"
PIPELINE = ["int_deal_states+"]
UNTESTED = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
ROWS = {
    "deals": "select count(*) from analytics_build.fct_deals",
    "deal_states": "select count(*) from intermediate.int_deal_states",
    "pipeline_daily_rows": "select count(*) from analytics_build.fct_pipeline_daily",
    "pipeline_days": "select count(distinct date_day) from analytics_build.fct_pipeline_daily",
    "waterfall_rows": "select count(*) from analytics_build.rpt_pipeline_waterfall",
}


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {name: conn.execute(query).fetchone()[0] for name, query in ROWS.items()}


def _timed_run(url: str, target: Path, *extra: str) -> dict[str, Any]:
    run = run_dbt_measured(["run", "--threads", "1", *extra, "--select", *PIPELINE], url, target)
    timings = node_timings(target)
    return {
        "wall_s": run["wall_s"],
        "dbt_peak_rss_mb": run["dbt_peak_rss_mb"],
        "load_average_1m_before": run["load_average_1m_before"],
        "models": {node.split(".")[-1]: s for node, s in timings["models"].items()},
        "models_s_sum": timings["models_s_sum"],
    }


def main() -> dict[str, Any]:
    size = full_size()
    target = Path(tempfile.mkdtemp(prefix="thinline-bench-pipeline-"))
    with bench_database(DATABASE) as url:
        loaded = load_company(url, size)
        print(f"  loaded {sum(loaded['raw_rows'].values()):,} raw rows", flush=True)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(RESULTS_DDL)
        run_dbt_measured(["seed"], url, target)
        load_company_quotas(url, size)
        # the pipeline models, everything they read, and what their children read besides
        upstream = ["@int_deal_states"]
        run_dbt_measured(["build", *UNTESTED, "--select", *upstream], url, target)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("analyze")
        full = _timed_run(url, target, "--full-refresh")
        full_rows = _counts(url)
        print(f"  full: {full['wall_s']} s, {full_rows}", flush=True)
        day = add_company_day(url, size)
        load_company_quotas(url, size)
        run_dbt_measured(
            ["build", *UNTESTED, "--select", *upstream, "--exclude", *PIPELINE], url, target
        )
        night = _timed_run(url, target)
        night_rows = _counts(url)
        print(f"  next day: {night['wall_s']} s, {night_rows}", flush=True)
    return {
        "benchmark": "pipeline models (deal states and everything built from them): full build "
        "and one new day, one dbt thread, benchmark company at full size",
        "selection": " ".join(PIPELINE),
        "size": size.__dict__,
        "machine": {"cpu_count": os.cpu_count()},
        "dbt_session_options": session_options(),
        "full": {**full, "rows": full_rows},
        "next_day": {"day": day["day"], **night, "rows": night_rows},
        "next_over_full": {
            model: round(night["models"].get(model, 0.0) / max(seconds, 0.01), 3)
            for model, seconds in full["models"].items()
        },
        "next_over_full_total": round(night["models_s_sum"] / max(full["models_s_sum"], 0.01), 3),
    }
