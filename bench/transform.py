"""Transform as one `dbt build` task vs astronomer-cosmos (a task per model), on the demo.

Loads the demo company into a fresh embedded warehouse, then times `airflow dags test` of
each benchmark DAG in bench/dags/ (same Airflow overhead on both sides) a few times.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from extract.runner import extract_source
from sandbox import WorldConfig, build_world, serve
from thinline.airflow_runner import airflow_env, ensure_metadata_db
from thinline.dbt import dbt_env
from thinline.interval import day_window
from thinline.settings import Settings
from thinline.warehouse import EmbeddedWarehouse

DAGS = Path(__file__).resolve().parent / "dags"
REPEATS = 3


def load_demo(home: Path, day: date, scale: float) -> str:
    url = EmbeddedWarehouse(home).start()
    world = build_world(WorldConfig(seed=7, scale=scale, start=day - timedelta(days=120), end=day))
    with serve(world) as sources:
        os.environ.update(sources.env)
        settings = Settings(sources="hubspot,google_ads")
        for source in ("hubspot", "google_ads"):
            extract_source(
                source, settings.source_settings(source), day_window(day), url, day - timedelta(120)
            )
    return url


def time_dag(dag_id: str, env: dict[str, str], log: Path) -> float:
    started = time.perf_counter()
    with log.open("a") as out:
        subprocess.run(
            [str(Path(sys.executable).parent / "airflow"), "dags", "test", dag_id],
            env=env,
            stdout=out,
            stderr=out,
            check=True,
        )
    return time.perf_counter() - started


def main() -> dict[str, object]:
    day, scale = date(2026, 3, 10), 5.0
    home = Path(tempfile.mkdtemp(prefix="thinline-bench-"))
    url = load_demo(home, day, scale)
    env = airflow_env(home, {"THINLINE_WAREHOUSE_URL": url, "THINLINE_HOME": str(home)})
    env.update(dbt_env(url))
    env["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS)
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"  # cosmos looks dbt up on PATH
    log = home / "bench.log"
    ensure_metadata_db(env, log)
    timings = {}
    for dag_id in ("bench_transform_single", "bench_transform_cosmos"):
        runs = [time_dag(dag_id, env, log) for _ in range(REPEATS)]
        timings[dag_id] = {"median_s": round(statistics.median(runs), 1), "runs_s": runs}
        print(f"{dag_id}: median {statistics.median(runs):.1f} s over {REPEATS} runs", flush=True)
    EmbeddedWarehouse(home).stop()
    single = timings["bench_transform_single"]["median_s"]
    cosmos = timings["bench_transform_cosmos"]["median_s"]
    return {
        "benchmark": "transform: single dbt build task vs astronomer-cosmos DbtTaskGroup",
        "demo_scale": scale,
        "day": day.isoformat(),
        "timings": timings,
        "cosmos_over_single": round(cosmos / single, 2),
    }
