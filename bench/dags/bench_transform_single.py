"""Benchmark DAG: the transform step as Thinline runs it (one task: dbt seed + build)."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def bench_transform_single() -> None:
    @task
    def transform(**context) -> dict:
        from thinline.pipeline import transform as run

        return run(context["run_id"])

    transform()


bench_transform_single()
