"""docker-compose.yml cannot run here (no Docker engine), so check what it would run:
the file parses, every command exists, every setting it passes is one Thinline or Airflow
reads, every file it mounts or copies exists, and every variable it needs is documented.
The CeleryExecutor layout itself runs against the machine's Redis and PostgreSQL 15."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
AIRFLOW_SERVICES = {
    name: service
    for name, service in SERVICES.items()
    if "build" in service and service["command"][0] == "airflow"
}
METABASE_SETUP = ROOT / "deploy" / "metabase" / "setup.py"
AIRFLOW = str(Path(sys.executable).parent / "airflow")
VARIABLE = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def test_the_deployed_layout_is_complete() -> None:
    assert {"airflow-db", "warehouse", "redis", "metabase", "metabase-db"} <= set(SERVICES)
    commands = {tuple(service["command"]) for service in AIRFLOW_SERVICES.values()}
    assert {
        ("airflow", "api-server"),
        ("airflow", "scheduler"),
        ("airflow", "dag-processor"),
        ("airflow", "triggerer"),
        ("airflow", "celery", "worker"),
        ("airflow", "db", "migrate"),
    } == commands
    for service in AIRFLOW_SERVICES.values():
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:")


def test_components_start_in_order() -> None:
    for name, service in AIRFLOW_SERVICES.items():
        if name != "airflow-init":
            condition = service["depends_on"]["airflow-init"]["condition"]
            assert condition == "service_completed_successfully", name
    worker = AIRFLOW_SERVICES["airflow-worker"]["depends_on"]
    assert worker["airflow-apiserver"]["condition"] == "service_healthy"
    assert "healthcheck" in SERVICES["airflow-apiserver"]


@pytest.mark.parametrize(
    "command", sorted({tuple(s["command"]) for s in AIRFLOW_SERVICES.values()})
)
def test_every_airflow_command_exists(command: tuple[str, ...]) -> None:
    result = subprocess.run(
        [AIRFLOW, *command[1:], "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_every_other_command_runs_a_file_of_the_image() -> None:
    others = [s for s in SERVICES.values() if "build" in s and s["command"][0] != "airflow"]
    assert others, "metabase-setup runs in the Thinline image"
    for service in others:
        program, script = service["command"][:2]
        assert program == "python"
        source = (ROOT / script).read_text()
        compile(source, script, "exec")  # a syntax error would only show in the container


def read_by_thinline(name: str) -> bool:
    """A THINLINE_* variable is a Settings field (nested ones included) or one the package
    reads directly (e.g. thinline/roles.py's THINLINE_BI_READER_PASSWORD)."""
    from thinline.settings import Settings

    settings = Settings.model_fields
    field, _, nested = name.removeprefix("THINLINE_").lower().partition("__")
    if field in settings:
        return not nested or nested in settings[field].annotation.model_fields
    sources = "\n".join(path.read_text() for path in (ROOT / "thinline").rglob("*.py"))
    return re.search(rf"""["']{name}["']""", sources) is not None


def test_every_setting_is_read_by_thinline_or_airflow() -> None:
    from airflow.configuration import conf

    known = conf.configuration_description  # every documented option, providers' included
    checked = set()
    for service in SERVICES.values():
        if "build" not in service:
            continue
        for name in service["environment"]:
            if name.startswith("THINLINE_"):
                assert read_by_thinline(name), name
            elif name.startswith("AIRFLOW__"):
                section, key = name.removeprefix("AIRFLOW__").lower().split("__", 1)
                assert key in known.get(section, {}).get("options", {}), name
            checked.add(name)
    assert "THINLINE_BI_READER_PASSWORD" in checked


def test_settings_the_deployment_leaves_out_are_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """The file passes every optional setting as ``${X:-}``: an empty value is no value (an
    empty THINLINE_DBT_VARS or alert URL once failed every task of the compose night)."""
    from extract.registry import source_names
    from thinline.settings import load_settings

    for name, value in SERVICES["airflow-worker"]["environment"].items():
        if name.startswith("THINLINE_"):
            given = VARIABLE.sub(lambda m: m[3] if m[2] == ":-" else "given", str(value))
            monkeypatch.setenv(name, given)
    settings = load_settings()
    assert settings.dbt_vars is None and settings.alert_webhook_url is None
    assert settings.alert_smtp_url is None and settings.hubspot.token is None
    # the default, "all", is every source the registry finds
    assert settings.source_names() == list(source_names())


def test_a_setting_that_does_not_exist_is_caught() -> None:
    assert not read_by_thinline("THINLINE_WAREHOUSE_URI")
    assert not read_by_thinline("THINLINE_HUBSPOT__TOKENS")
    assert read_by_thinline("THINLINE_HUBSPOT__TOKEN")


def test_every_mounted_file_exists() -> None:
    mounts = [
        volume.split(":")[0]
        for service in SERVICES.values()
        for volume in service.get("volumes", [])
        if volume.startswith("./")
    ]
    assert "./deploy/warehouse/create-bi-reader.sh" in mounts
    for source in mounts:
        assert (ROOT / source).exists(), source


def test_the_image_copies_what_exists() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text().splitlines()
    for line in dockerfile:
        if line.startswith("COPY ") and not line.startswith("COPY . "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    assert "uv pip sync --system requirements.lock" in "\n".join(dockerfile)


def test_every_variable_the_file_needs_is_documented() -> None:
    needed = set(VARIABLE.findall((ROOT / "docker-compose.yml").read_text()))
    documented = (ROOT / "docs" / "production.md").read_text()
    required = {name for name, operator, _ in needed if operator in (":?", "")}
    assert "AIRFLOW_DB_PASSWORD" in required
    missing = sorted(name for name, _, _ in needed if f"`{name}`" not in documented)
    assert not missing, f"not in docs/production.md: {missing}"


def test_metabase_reads_the_published_schema_as_bi_reader() -> None:
    spec = importlib.util.spec_from_file_location("metabase_setup", METABASE_SETUP)
    assert spec is not None and spec.loader is not None
    metabase_setup = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(metabase_setup)
    env = SERVICES["metabase-setup"]["environment"]
    database = metabase_setup.warehouse_database({**env, "THINLINE_BI_READER_PASSWORD": "pw"})
    details = database["details"]
    assert (details["user"], details["password"]) == ("bi_reader", "pw")
    assert details["schema-filters-patterns"] == "analytics"
    warehouse = SERVICES["warehouse"]["environment"]
    assert (details["host"], details["dbname"]) == ("warehouse", warehouse["POSTGRES_DB"])
    init = (ROOT / "deploy" / "warehouse" / "create-bi-reader.sh").read_text()
    assert "create role bi_reader login password" in init


# -- the CeleryExecutor layout, run for real ------------------------------------------------

PG15_URL = os.environ.get("THINLINE_TEST_PG15_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = ("127.0.0.1", 6379)
PROBE_DAG = """
import os
from pathlib import Path

import pendulum
from airflow.sdk import dag, task


@dag(schedule="@once", start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def celery_probe():
    @task
    def touch():
        # PROBE_MARK is set in the Celery worker's environment only.
        Path(os.environ["PROBE_FILE"]).write_text(os.environ.get("PROBE_MARK", "not a worker"))

    touch()


celery_probe()
"""


def resolve(value: str, values: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?message} interpolation."""

    def one(match: re.Match[str]) -> str:
        name, operator, default = match.groups()
        return values.get(name) or (default if operator == ":-" else "")

    return VARIABLE.sub(one, value)


def reachable_or_skip() -> None:
    import psycopg
    import redis

    try:
        redis.Redis(*REDIS, socket_timeout=2).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    try:
        psycopg.connect(PG15_URL, connect_timeout=3).close()
    except psycopg.Error:
        pytest.skip("no PostgreSQL at THINLINE_TEST_PG15_URL")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def metadata_database() -> Iterator[str]:
    import psycopg

    reachable_or_skip()
    name = f"airflow_celery_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG15_URL, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    yield name
    with psycopg.connect(PG15_URL, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def celery_env(tmp_path: Path, database: str, api_port: int) -> dict[str, str]:
    """The compose file's Airflow environment, its hosts pointed at this machine."""
    from cryptography.fernet import Fernet

    values = {
        "AIRFLOW_DB_PASSWORD": "compose-db-password",
        "AIRFLOW_JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW_SECRET_KEY": secrets.token_urlsafe(32),
        "AIRFLOW_FERNET_KEY": Fernet.generate_key().decode(),
        "WAREHOUSE_PASSWORD": "unused",
        "THINLINE_BI_READER_PASSWORD": "unused",
    }
    server = PG15_URL.split("://", 1)[1].rsplit("/", 1)[0]
    hosts = {
        "airflow:compose-db-password@airflow-db/airflow": f"{server}/{database}",
        "redis://redis:6379/0": "redis://127.0.0.1:6379/11",
        "http://airflow-apiserver:8080": f"http://127.0.0.1:{api_port}",
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "THINLINE_"))}
    for name, value in AIRFLOW_SERVICES["airflow-worker"]["environment"].items():
        resolved = resolve(str(value), values)
        for compose_host, here in hosts.items():
            resolved = resolved.replace(compose_host, here)
        env[name] = resolved
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "celery_probe.py").write_text(PROBE_DAG)
    env.update(
        {
            "AIRFLOW_HOME": str(tmp_path / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "PROBE_FILE": str(tmp_path / "probe.txt"),
        }
    )
    return env


def wait_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert process.poll() is None, "the api-server exited"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=5).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError("the api-server did not answer")


@pytest.mark.integration
def test_the_celery_layout_runs_a_task_on_a_worker(tmp_path: Path, metadata_database: str) -> None:
    import redis

    api_port = free_port()
    env = celery_env(tmp_path, metadata_database, api_port)
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://127.0.0.1:6379/11"
    migrate = subprocess.run(
        [AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True, check=False
    )
    assert migrate.returncode == 0, migrate.stdout[-2000:] + migrate.stderr[-2000:]

    components = {
        "api-server": ([AIRFLOW, "api-server", "--port", str(api_port), "--workers", "1"], env),
        "scheduler": ([AIRFLOW, "scheduler"], env),
        "dag-processor": ([AIRFLOW, "dag-processor"], env),
        "worker": ([AIRFLOW, "celery", "worker"], {**env, "PROBE_MARK": "celery worker"}),
    }
    processes = []
    try:
        # In compose order: the worker only starts once the api-server is healthy.
        for name, (command, component_env) in components.items():
            with (tmp_path / f"{name}.log").open("w") as log:
                processes.append(
                    subprocess.Popen(
                        command,
                        env=component_env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            if name == "api-server":
                wait_healthy(api_port, processes[0])
        probe = tmp_path / "probe.txt"
        deadline = time.monotonic() + 240
        while not probe.exists() and time.monotonic() < deadline:
            assert all(p.poll() is None for p in processes), "an Airflow component exited"
            time.sleep(2)
        logs = {name: (tmp_path / f"{name}.log").read_text()[-1500:] for name in components}
        assert probe.exists(), logs
        assert probe.read_text() == "celery worker"
        assert "execute_workload" in (tmp_path / "worker.log").read_text()
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        redis.Redis(*REDIS, db=11).flushdb()
