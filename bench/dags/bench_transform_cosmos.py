"""Benchmark DAG: the same transform as astronomer-cosmos renders it (a task per model/seed,
tests after each model), run in-process with dbtRunner, the fastest cosmos local mode."""

from __future__ import annotations

from pathlib import Path

import pendulum
from airflow.sdk import dag
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def bench_transform_cosmos() -> None:
    DbtTaskGroup(
        group_id="transform",
        project_config=ProjectConfig(dbt_project_path=PROJECT),
        profile_config=ProfileConfig(
            profile_name="thinline",
            target_name="prod",
            profiles_yml_filepath=PROJECT / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL, invocation_mode=InvocationMode.DBT_RUNNER
        ),
        # dbt must be on PATH (bench/transform.py puts the venv's bin first).
        render_config=RenderConfig(load_method=LoadMode.DBT_LS),
    )


bench_transform_cosmos()
