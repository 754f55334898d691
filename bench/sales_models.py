"""Build time of the sales models at two sizes of the demo company: does each grow with its input?

`python -m bench sales_models` (THINLINE_HOME picks the embedded warehouse, started if needed and
stopped again if it was not running; THINLINE_WAREHOUSE_URL points at another server). For each
scale of BENCH_SALES_SCALES (default 5 and 50: the demo and ten times it, 120 days each; about
950 and 8,700 deals):

1. a fresh database; the synthetic company served by the stand-ins and extracted from all five
   sources, as `thinline run --demo` would on its first night;
2. untimed: `dbt build` (tests excluded) of every node the sales selection needs, in DAG order
   (the deal-stage snapshot reads int_deals_unioned); `analyze`;
3. timed: `dbt run --select` the sales selection again with one thread, REPEATS times, so each
   model's seconds (from dbt's run_results.json; the fastest run) are its own; then again with
   PostgreSQL's JIT off (it compiles each big query for seconds, whatever the data).

Then, per model, its time ratio between the sizes over the deals' ratio: above 1.5 the model
grows faster than its input (issue 15's rule). fct_quota_attainment's rows are owners x days x
period types, so at equal days its input is the owners (reps and teams), not the deals;
rpt_marketing_sales_handoff's is the contacts (their conversions and journeys).
"""

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg

from bench.harness import bench_database, fastest_dbt_runs
from extract.registry import source_names
from thinline.dbt import run_dbt, session_options

DAY = date(2026, 11, 30)
HISTORY_DAYS = 120
SOURCES = list(source_names())  # every registered source
SELECTION = [
    "fct_deals",
    "fct_deal_stage_history",
    "dim_sales_reps",
    "dim_accounts",
    "path:models/intermediate/sales",
    "fct_quota_attainment",
    "rpt_sales_rep_performance",
    "rpt_marketing_sales_handoff",
]
GROWTH_LIMIT = 1.5
REPEATS = 2  # the machine is shared: the fastest of two runs is the model's own time
COUNTED = {
    "deals": "select count(*) from analytics_build.fct_deals",
    "stage_entries": "select count(*) from analytics_build.fct_deal_stage_history",
    "reps": "select count(*) from analytics_build.dim_sales_reps",
    # fct_quota_attainment's owners: every rep and every team of theirs
    "owners": "select count(*) + count(distinct team_key) from analytics_build.dim_sales_reps",
    "quota_rows": "select count(*) from analytics_build.fct_quota_attainment",
    "scorecard_rows": "select count(*) from analytics_build.rpt_sales_rep_performance",
    "handoff_rows": "select count(*) from analytics_build.rpt_marketing_sales_handoff",
    "contacts": (
        "select count(distinct contact_id) from intermediate.int_attribution_contact_records"
    ),
}
# the input a model's rows grow with: deals, unless named here
BASIS = {"fct_quota_attainment": "owners", "rpt_marketing_sales_handoff": "contacts"}


def load_company(url: str, scale: float) -> None:
    """The demo company at ``scale`` in the raw tables, as its first night extracts it."""
    from extract.runner import extract_source
    from sandbox import WorldConfig, build_world, serve
    from thinline.interval import day_window
    from thinline.settings import Settings

    start = DAY - timedelta(days=HISTORY_DAYS)
    world = build_world(WorldConfig(seed=7, scale=scale, start=start, end=DAY))
    with serve(world) as sources:
        os.environ.update(sources.env)
        settings = Settings(sources=",".join(SOURCES))
        for source in SOURCES:
            extract_source(source, settings.source_settings(source), day_window(DAY), url, start)


def timed_models(url: str, target: Path, jit: bool = True) -> dict[str, float]:
    """Each model's fastest seconds over REPEATS runs; ``jit=False`` turns PostgreSQL's JIT
    off for dbt's sessions (PGOPTIONS, which dbt_env keeps after Thinline's own options)."""
    saved = os.environ.get("PGOPTIONS")
    if not jit:
        os.environ["PGOPTIONS"] = f"{saved or ''} -c jit=off".strip()
    try:
        return fastest_runs(url, target)
    finally:
        if saved is None:
            os.environ.pop("PGOPTIONS", None)
        else:
            os.environ["PGOPTIONS"] = saved


def fastest_runs(url: str, target: Path) -> dict[str, float]:
    args = ["run", "--threads", "1", "--select", *SELECTION]
    best = fastest_dbt_runs(url, target, args, REPEATS, sources=SOURCES)
    return {
        node.split(".")[-1]: round(seconds, 2)
        for node, seconds in best.items()
        if node.startswith("model.")
    }


def measure(scale: float, target: Path) -> dict[str, Any]:
    with bench_database(f"bench_sales_{str(scale).replace('.', '_')}") as url:
        load_company(url, scale)
        upstream = ["+" + selector for selector in SELECTION]
        untested = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
        run_dbt(["build", *untested, "--select", *upstream], url, sources=SOURCES)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("analyze")
        models = timed_models(url, target)
        models_jit_off = timed_models(url, target, jit=False)
        with psycopg.connect(url) as conn:
            rows = {name: conn.execute(sql).fetchone()[0] for name, sql in COUNTED.items()}
            # JIT compiles each big query's expressions: seconds per model on this machine
            jit = conn.execute("show jit").fetchone()[0]
    print(f"scale {scale}: {rows['deals']} deals, models {models}", flush=True)
    return {
        "scale": scale,
        "rows": rows,
        "server_jit": jit,
        "model_s": models,
        "model_s_jit_off": models_jit_off,
    }


def growth(small: dict[str, Any], large: dict[str, Any], key: str) -> dict[str, Any]:
    """Per model: time ratio (of sizes' ``key`` timings) over input ratio (deals, or the
    model's BASIS)."""
    ratios = {}
    for model, seconds in large[key].items():
        basis = BASIS.get(model, "deals")
        input_ratio = large["rows"][basis] / small["rows"][basis]
        time_ratio = seconds / max(small[key].get(model, 0.0), 0.01)
        ratios[model] = {
            "input": basis,
            "input_ratio": round(input_ratio, 2),
            "time_ratio": round(time_ratio, 2),
            "growth_over_input": round(time_ratio / input_ratio, 2),
            "within_limit": time_ratio / input_ratio <= GROWTH_LIMIT,
        }
    return ratios


def main() -> dict[str, Any]:
    scales = [float(scale) for scale in os.environ.get("BENCH_SALES_SCALES", "5,50").split(",")]
    target = Path(tempfile.mkdtemp(prefix="thinline-bench-dbt-"))
    # dbt's own target folder: run_results.json of this run only
    os.environ["DBT_TARGET_PATH"] = str(target)
    os.environ["DBT_LOG_PATH"] = str(target / "logs")
    load_average = round(os.getloadavg()[0], 2)
    sizes = [measure(scale, target) for scale in scales]
    return {
        "benchmark": "sales models: dbt run of each, one thread, at two sizes of the demo company",
        "selection": " ".join(SELECTION),
        "day": DAY.isoformat(),
        "history_days": HISTORY_DAYS,
        "machine": {"cpu_count": os.cpu_count(), "load_average_1m_at_start": load_average},
        "dbt_session_options": session_options(),
        "sizes": sizes,
        "growth_limit": GROWTH_LIMIT,
        "growth": growth(sizes[0], sizes[-1], "model_s"),
        # JIT compilation costs seconds per big query whatever the data: without it, the
        # ratios are the queries' own
        "growth_jit_off": growth(sizes[0], sizes[-1], "model_s_jit_off"),
    }
