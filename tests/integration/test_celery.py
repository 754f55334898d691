"""The whole night on Airflow's CeleryExecutor with two workers, as docker-compose.yml runs it:
the machine's Redis as the broker and its PostgreSQL for Airflow's metadata, the api-server,
scheduler, dag-processor and triggerer, and two `airflow celery worker` processes of their
own hostnames.

* The scheduled night runs with retries 0 on a fresh warehouse (a race in shared DDL would
  fail it rather than be retried away), both workers run tasks, and the published tables
  equal those of the single-process `thinline run` of the same day.
* The publish's Asset event starts `thinline_report` on the scheduler's own.
* A worker killed outright (SIGKILL to all its processes, as when its machine dies) in the
  middle of an extract: the scheduler notices the lost heartbeat, the task is retried on the
  other worker, and the night ends with identical tables.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import psutil
import psycopg
import pytest

from sandbox import WorldConfig, build_world, serve
from tests.conftest import create_database, drop_database
from tests.integration.conftest import run_thinline, snapshot, wait_for
from thinline.airflow_local import LocalAirflow, _airflow, free_port, local_env
from thinline.airflow_runner import DAG_ID, REPORT_DAG_ID

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("pg15")]  # a PostgreSQL 15 user

SERVER = os.environ.get("THINLINE_TEST_PG15_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BROKER = "redis://127.0.0.1:6379/13"  # a database of its own, emptied before and after
WORKERS = ("worker-1", "worker-2")
NIGHT_TIMEOUT_S = 900
HEARTBEAT_TIMEOUT_S = 30  # how long a task may go silent before the scheduler fails its try
_WORKLOAD = re.compile(
    r"Executing workload in Celery: .*?log_path='dag_id=[^/]+/run_id=([^/]+)/task_id=([^/]+)"
    r"(/map_index=\d+)?/attempt=(\d+)\.log'"
)


class CeleryAirflow(LocalAirflow):
    """`thinline airflow`'s components on CeleryExecutor, plus Celery workers."""

    def _command(self, name: str) -> list[str]:
        if name in WORKERS:  # its own hostname; its tasks' logs are served by ours
            worker = [_airflow(), "celery", "worker", "--celery-hostname", f"{name}@%h"]
            return [*worker, "--concurrency", "2", "--skip-serve-logs"]
        return super()._command(name)

    def start_workers(self) -> None:
        for name in WORKERS:
            self._launch(name)

    def restart(self, name: str, env: dict[str, str]) -> None:
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        self.env = env
        self._launch(name)

    def kill(self, name: str) -> None:
        """SIGKILL to the worker and every process it started (its session)."""
        os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes[name].wait()

    def ran(self, name: str) -> list[tuple[str, str, int]]:
        """(task, run_id, try) of every workload worker ``name`` was handed; a mapped task's
        instance is ``<task_id>/<map_index>``."""
        text = (self.log_dir / f"{name}.log").read_text(errors="replace")
        return [
            (match[2] + (match[3] or "").replace("/map_index=", "/"), match[1], int(match[4]))
            for match in _WORKLOAD.finditer(text)
        ]

    def worker_of(self, pid: int) -> str | None:
        """The worker whose process tree holds ``pid``."""
        for name in WORKERS:
            with contextlib.suppress(psutil.Error):
                tree = psutil.Process(self.processes[name].pid).children(recursive=True)
                if pid in {child.pid for child in tree}:
                    return name
        return None


def reachable() -> str | None:
    """Why the machine's Redis or PostgreSQL cannot be used, or None."""
    import redis

    try:
        redis.Redis.from_url(BROKER, socket_timeout=3).flushdb()
    except redis.RedisError as error:
        return f"no Redis at {BROKER} ({type(error).__name__})"
    try:
        psycopg.connect(SERVER, connect_timeout=3).close()
    except psycopg.OperationalError:
        return f"no PostgreSQL at {SERVER}"
    return None


def runs(client: httpx.Client, dag_id: str) -> list[dict]:
    response = client.get(f"/api/v2/dags/{dag_id}/dagRuns", params={"order_by": "id"})
    response.raise_for_status()
    return response.json()["dag_runs"]


def finished(client: httpx.Client, dag_id: str, run_id: str) -> dict | None:
    run = client.get(f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}").json()
    if run["state"] == "failed":
        raise AssertionError(f"{dag_id} {run_id} failed; see the worker logs")
    return run if run["state"] == "success" else None


def task_instance(client: httpx.Client, run_id: str, task: str) -> dict:
    """A task instance (``<task_id>/<map_index>`` for a mapped one's)."""
    path = f"/api/v2/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/taskInstances/{task}"
    return client.get(path).json()


@pytest.fixture
def databases() -> Iterator[dict[str, str]]:
    if why := reachable():
        pytest.skip(why)
    names = ("metadata", "warehouse", "single_process")
    urls = {name: create_database(SERVER) for name in names}
    yield urls
    for url in urls.values():
        drop_database(url)
    import redis

    redis.Redis.from_url(BROKER).flushdb()


def test_a_night_on_two_celery_workers_survives_a_killed_worker(
    tmp_path: Path, databases: dict[str, str]
) -> None:
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    world = build_world(
        WorldConfig(seed=23, scale=0.5, start=yesterday - timedelta(days=50), end=yesterday)
    )
    home = tmp_path / "celery"
    metadata = databases["metadata"].replace("postgresql://", "postgresql+psycopg2://", 1)
    with serve(world) as sources:
        thinline = {
            **{k: v for k, v in os.environ.items() if not k.startswith("THINLINE_")},
            **sources.env,
            "THINLINE_HOME": str(home),
            "THINLINE_SOURCES": "hubspot,salesforce,google_ads,meta_ads,linkedin_ads,ecb",
            "THINLINE_START_DATE": str(yesterday - timedelta(days=50)),
            "THINLINE_WAREHOUSE_URL": databases["warehouse"],
            "THINLINE_TASK_RETRIES": "0",
            "THINLINE_TASK_RETRY_DELAY_SECONDS": "5",
        }
        port = free_port()
        env = local_env(home, port, thinline, metadata)
        env.update(
            {
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CELERY__BROKER_URL": BROKER,
                "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + databases["metadata"],
                "AIRFLOW__CORE__PARALLELISM": "8",
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT_S),
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            }
        )
        airflow = CeleryAirflow(env, home / "logs" / "airflow", port)
        try:
            airflow.start(timeout_seconds=240)
            airflow.start_workers()
            airflow.wait_until_healthy(240)
            with airflow.client() as client:
                # 1. the scheduled night (unpaused at creation: the latest interval runs)
                scheduled = wait_for(lambda: runs(client, DAG_ID), "the scheduled run", 120)[0]
                assert scheduled["run_type"] == "scheduled"
                run_id = scheduled["dag_run_id"]
                wait_for(
                    lambda: finished(client, DAG_ID, run_id), "the night on Celery", NIGHT_TIMEOUT_S
                )
                ran = {
                    name: [t for t, run, _ in airflow.ran(name) if run == run_id]
                    for name in WORKERS
                }
                assert all(ran.values()), ran  # both workers ran tasks of the night
                # the Asset event started the report on the scheduler's own
                report = wait_for(lambda: runs(client, REPORT_DAG_ID), "the report's run", 120)[0]
                assert report["run_type"] == "asset_triggered"
                wait_for(
                    lambda: finished(client, REPORT_DAG_ID, report["dag_run_id"]),
                    "the report",
                    300,
                )
                night = snapshot(databases["warehouse"])

                # 2. retries on, the same day again; its first extract loses its worker
                airflow.restart("dag-processor", {**env, "THINLINE_TASK_RETRIES": "1"})
                wait_for(
                    lambda: (
                        client.get(f"/api/v2/dags/{DAG_ID}/tasks/validate_raw")
                        .json()
                        .get("retries")
                        == 1
                    ),
                    "the DAG re-parsed with retries 1",
                    120,
                )
                rerun = client.post(
                    f"/api/v2/dags/{DAG_ID}/dagRuns",
                    json={
                        "dag_run_id": "celery_rerun",
                        # a day's logical date is taken: one second on, the same interval
                        "logical_date": (
                            datetime.fromisoformat(scheduled["logical_date"]) + timedelta(seconds=1)
                        ).isoformat(),
                        "data_interval_start": scheduled["data_interval_start"],
                        "data_interval_end": scheduled["data_interval_end"],
                    },
                )
                assert rerun.status_code == 200, rerun.text
                victim = wait_for(
                    lambda: running_extract(client, airflow, "celery_rerun"),
                    "an extract running on a worker",
                    300,
                    interval_s=0.2,
                )
                airflow.kill(victim)
                survivor = next(name for name in WORKERS if name != victim)
                wait_for(
                    lambda: finished(client, DAG_ID, "celery_rerun"),
                    "the night after the killed worker",
                    NIGHT_TIMEOUT_S,
                )
                # what the killed worker had not finished ran again, on the other worker
                tries = airflow.ran(victim) + airflow.ran(survivor)
                retried = {
                    task for task, run, attempt in tries if run == "celery_rerun" and attempt == 2
                }
                assert retried, tries
                for task in retried:
                    assert (task, "celery_rerun", 1) in airflow.ran(victim)
                    assert (task, "celery_rerun", 2) in airflow.ran(survivor)
                    assert task_instance(client, "celery_rerun", task)["state"] == "success"
                after_kill = snapshot(databases["warehouse"])
                day = date.fromisoformat(scheduled["data_interval_start"][:10])
        finally:
            airflow.stop()

        # 3. the same day in one process (`airflow dags test`), on another warehouse
        single_env = {
            **sources.env,
            "THINLINE_SOURCES": thinline["THINLINE_SOURCES"],
            "THINLINE_START_DATE": thinline["THINLINE_START_DATE"],
            "THINLINE_WAREHOUSE_URL": databases["single_process"],
        }
        run_thinline(tmp_path / "single", "run", "--date", str(day), extra_env=single_env)
    single = snapshot(databases["single_process"])

    assert night.keys() == single.keys() and "analytics.fct_deals" in night
    for table in night:
        assert night[table] == single[table], table
        assert after_kill[table] == night[table], table


def running_extract(client: httpx.Client, airflow: CeleryAirflow, run_id: str) -> str | None:
    """The worker running the extract of ``run_id`` that started last (the one with the most
    work left), once one runs."""
    path = f"/api/v2/dags/{DAG_ID}/dagRuns/{quote(run_id, safe='')}/taskInstances"
    running = [
        ti
        for ti in client.get(path).json()["task_instances"]
        if ti["task_id"].startswith("extract.extract_") and ti["state"] == "running" and ti["pid"]
    ]
    for ti in sorted(running, key=lambda ti: ti["start_date"] or "", reverse=True):
        if worker := airflow.worker_of(ti["pid"]):
            return worker
    return None
