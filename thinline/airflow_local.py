"""``thinline airflow``: Airflow 3 running locally, so ``thinline_nightly`` runs on its schedule.

Four long-running components (api-server for the UI and REST API, scheduler, dag-processor,
triggerer) and a log server, with the repository's ``dags/`` and the Airflow home of
``thinline run`` (``<state folder>/airflow``), each in its own session, logging to
``<state folder>/logs/airflow/<component>.log``. LocalExecutor, with the metadata in
PostgreSQL (database ``airflow`` on the state folder's embedded server): SQLite, fine for
``airflow dags test``, stalls the execution API once scheduler, tasks and UI all write.
The UI login is the simple auth manager's user ``admin``; its password is generated once
and kept in ``<airflow home>/simple_auth_manager_passwords.json.generated`` (mode 600).

Every listener is on 127.0.0.1. The scheduler and the triggerer would each start a log server
on every interface (Airflow 3.3 has no bind-address setting for it: ``serve_logs`` binds host
``""``), so they run with ``--skip-serve-logs``; one log server of ours, Airflow's own app
under uvicorn on 127.0.0.1, serves the log folder they share, and the tasks' host name is
127.0.0.1 (``[core] hostname_callable``) so the UI fetches a running task's log from it.

One ``thinline airflow`` per state folder (:class:`ProcessRecord`). SIGTERM and SIGHUP stop
everything as Ctrl-C does; after a ``kill -9`` the next start stops what was left running. A
run still ``running`` when Airflow starts was interrupted: it is marked failed, and said so.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import psutil
import psycopg

from extract.base import ConfigError
from thinline.airflow_runner import DAG_ID, REPORT_DAG_ID, _airflow, airflow_env
from thinline.dag_support import uses_pools
from thinline.pools import import_pools
from thinline.processes import (
    ProcessRecord,
    count_processes,
    signals_ignored,
    stop_processes,
    termination_as_interrupt,
)
from thinline.roles import lock_down
from thinline.warehouse import EmbeddedWarehouse

COMPONENTS = ("api-server", "log-server", "scheduler", "dag-processor", "triggerer")
HEALTHY = ("metadatabase", "scheduler", "triggerer", "dag_processor")
USER = "admin"
PASSWORD_FILE = "simple_auth_manager_passwords.json.generated"
RECORD_FILE = "thinline-airflow.json"
DATABASE = "airflow"
LOCALHOST = "127.0.0.1"
LOG_SERVER_APP = "airflow.utils.serve_logs.log_server:get_app"
LOG_PORT = "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"
INTERRUPTED_NOTE = (
    "Left running when thinline airflow stopped or was killed; marked failed when it started "
    "again. Clear the run to run it again."
)


def metadata_url(home: Path) -> str:
    """SQLAlchemy URL of Airflow's metadata database on the state folder's embedded
    PostgreSQL (started, and the database created, if needed)."""
    owner_url = EmbeddedWarehouse(home).start()
    admin_url = owner_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        found = conn.execute("select 1 from pg_database where datname = %s", (DATABASE,))
        if found.fetchone() is None:
            conn.execute(f'create database "{DATABASE}"')
    with psycopg.connect(owner_url, autocommit=True) as conn:
        lock_down(conn)  # bi_reader gets no CONNECT to the new database (thinline/roles.py)
    server = owner_url.split("://", 1)[1].rsplit("/", 1)[0]
    return f"postgresql+psycopg2://{server}/{DATABASE}"


def local_env(home: Path, port: int, thinline_env: dict[str, str], metadata: str) -> dict[str, str]:
    """Environment of every Airflow component: Thinline's settings plus the local layout."""
    env = airflow_env(home, thinline_env)
    airflow_home = Path(env["AIRFLOW_HOME"])
    base_url = f"http://{LOCALHOST}:{port}"
    log_port = str(free_port())
    env.update(
        {
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
            # Airflow's default async driver (asyncpg) is not installed; psycopg 3 is.
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": metadata.replace(
                "+psycopg2://", "+psycopg://", 1
            ),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(airflow_home / PASSWORD_FILE),
            # The point of `thinline airflow` is the schedule: the DAG starts unpaused.
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            # A laptop: a few task processes at once (the extracts run side by side).
            "AIRFLOW__CORE__PARALLELISM": "4",
            # Each source's accounts in its pool, created at start (thinline/pools.py).
            "THINLINE_USE_POOLS": "true",
            "AIRFLOW__API__HOST": LOCALHOST,
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": base_url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
            # Task and trigger logs: our log server on 127.0.0.1 (see the module docstring).
            LOG_PORT: log_port,
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": log_port,
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "thinline.airflow_runner.loopback_hostname",
            # Off by default; if a shell turns it on, it stays on 127.0.0.1 too.
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": LOCALHOST,
            # Ad-hoc connection `warehouse` (the DESIGN's alternative to THINLINE_WAREHOUSE_URL).
            "AIRFLOW_CONN_WAREHOUSE": thinline_env["THINLINE_WAREHOUSE_URL"],
        }
    )
    return env


def free_port() -> int:
    """A port nothing listens on now (for the log server, which nobody types)."""
    with socket.socket() as probe:
        probe.bind((LOCALHOST, 0))
        return int(probe.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether a server can listen on 127.0.0.1:``port`` (as uvicorn does: SO_REUSEADDR, so
    connections of a stopped server in TIME_WAIT do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOCALHOST, port))
        except OSError:
            return False
    return True


def admin_password(airflow_home: Path) -> str:
    """The UI password of ``admin``: generated on first use, kept in the passwords file that
    Airflow's simple auth manager reads (it adds no other user, so it prints nothing)."""
    path = airflow_home / PASSWORD_FILE
    passwords = json.loads(path.read_text()) if path.exists() else {}
    if USER not in passwords:
        passwords[USER] = secrets.token_urlsafe(12)
        path.write_text(json.dumps(passwords) + "\n")
    path.chmod(0o600)
    return str(passwords[USER])


@dataclass
class LocalAirflow:
    """The running components; ``stop()`` ends each one with every process it started."""

    env: dict[str, str]
    log_dir: Path
    port: int
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    record: ProcessRecord | None = None  # where each started component is noted

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    @property
    def record_file(self) -> Path:
        return Path(self.env["AIRFLOW_HOME"]) / RECORD_FILE

    def start(self, timeout_seconds: float = 180, echo: Callable[[str], None] = print) -> None:
        """Migrate the metadata DB, start the api-server and, once it answers, mark failed the
        runs an earlier instance left running, then start the rest: a task the scheduler
        starts before the api-server answers cannot reach the execution API and fails."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        migrate_log = self.log_dir / "db-migrate.log"
        with migrate_log.open("ab") as log:
            migrated = subprocess.run(
                [_airflow(), "db", "migrate"], env=self.env, stdout=log, stderr=log, check=False
            )
        if migrated.returncode != 0:
            raise ConfigError(f"airflow db migrate failed; see {migrate_log}")
        if uses_pools(self.env):  # before the scheduler: a pool that does not exist runs nothing
            import_pools(_airflow(), self.env)
        admin_password(Path(self.env["AIRFLOW_HOME"]))  # before the api-server would make one
        cfg = Path(self.env["AIRFLOW_HOME"]) / "airflow.cfg"
        if cfg.exists():
            cfg.chmod(0o600)  # Airflow wrote its generated JWT and session secrets there
        self._launch("api-server")
        self._wait(lambda: self.health() is not None, "the api-server to answer", timeout_seconds)
        for dag_id, run_id in self.fail_interrupted_runs():
            echo(
                f"marked failed: {dag_id} run {run_id}, left running when Airflow last stopped "
                "or was killed (clear it in the UI to run it again)"
            )
        for name in COMPONENTS[1:]:
            self._launch(name)

    def _command(self, name: str) -> list[str]:
        if name == "api-server":
            return [_airflow(), name, "--port", str(self.port), "--workers", "1"]
        if name == "log-server":
            uvicorn = [sys.executable, "-m", "uvicorn", LOG_SERVER_APP, "--factory"]
            return [*uvicorn, "--host", LOCALHOST, "--port", self.env[LOG_PORT], "--no-access-log"]
        # Airflow's own log servers would listen on every interface: ours serves their logs.
        skip = ["--skip-serve-logs"] if name in ("scheduler", "triggerer") else []
        return [_airflow(), name, *skip]

    def _launch(self, name: str) -> None:
        with (self.log_dir / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                self._command(name),
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own session: stop() finds all it started
            )
        if self.record is not None:
            self.record.add(name, self.processes[name].pid)

    def _wait(self, ready: Callable[[], bool], what: str, timeout_seconds: float) -> None:
        deadline = time.monotonic() + timeout_seconds
        while not ready():
            if name := self.exited():
                raise ConfigError(f"airflow {name} exited; see {self.log_dir / (name + '.log')}")
            if time.monotonic() > deadline:
                raise ConfigError(
                    f"timed out after {timeout_seconds:.0f} s waiting for {what}; "
                    f"logs in {self.log_dir}"
                )
            time.sleep(1)

    def exited(self) -> str | None:
        """The name of a component that has exited, if any."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name
        return None

    def health(self) -> dict[str, Any] | None:
        try:
            response = httpx.get(f"{self.url}/api/v2/monitor/health", timeout=5)
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None

    def is_healthy(self) -> bool:
        """Every component heartbeats and the nightly DAG is parsed."""
        health = self.health()
        return bool(
            health
            and all((health.get(part) or {}).get("status") == "healthy" for part in HEALTHY)
            and DAG_ID in self.dag_ids()
        )

    def wait_until_healthy(self, timeout_seconds: float) -> None:
        self._wait(self.is_healthy, "every Airflow component and the DAG", timeout_seconds)

    def client(self) -> httpx.Client:
        """The REST API as ``admin``."""
        password = admin_password(Path(self.env["AIRFLOW_HOME"]))
        response = httpx.post(
            f"{self.url}/auth/token", json={"username": USER, "password": password}, timeout=10
        )
        response.raise_for_status()
        token = response.json()["access_token"]
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    def dag_ids(self) -> set[str]:
        try:
            with self.client() as client:
                response = client.get("/api/v2/dags")
                response.raise_for_status()
        except httpx.HTTPError:
            return set()
        return {dag["dag_id"] for dag in response.json()["dags"]}

    def fail_interrupted_runs(self) -> list[tuple[str, str]]:
        """Mark failed each run still ``running``, with its unfinished tasks (as the UI's "mark
        failed" does), and return their ``(dag_id, run_id)``.

        Called before the scheduler starts, so a run found running was interrupted: its
        instance stopped or died mid-run. Left alone it says "running" until a scheduler looks
        at it again, which then re-runs its orphaned tasks unannounced; failed, it says what
        happened, and clearing it in the UI (or the next night, which catches up) runs it."""
        failed = []
        try:
            with self.client() as client:
                runs = client.get("/api/v2/dags/~/dagRuns", params={"state": "running"})
                runs.raise_for_status()
                for run in runs.json()["dag_runs"]:
                    dag_id, run_id = run["dag_id"], run["dag_run_id"]
                    patched = client.patch(
                        f"/api/v2/dags/{quote(dag_id, safe='')}/dagRuns/{quote(run_id, safe='')}",
                        json={"state": "failed", "note": INTERRUPTED_NOTE},
                    )
                    patched.raise_for_status()
                    failed.append((dag_id, run_id))
        except httpx.HTTPError as error:
            log = self.log_dir / "api-server.log"
            message = f"could not mark interrupted runs failed ({error}); see {log}"
            raise ConfigError(message) from None
        return failed

    def stop(self) -> None:
        """Stop every component and all it started (SIGTERM, SIGKILL after a grace)."""
        leaders = []
        for process in self.processes.values():
            with contextlib.suppress(psutil.Error):
                leaders.append(psutil.Process(process.pid))
        stop_processes(leaders, sessions=[process.pid for process in self.processes.values()])
        for process in self.processes.values():
            process.wait()


def stop_leftovers(airflow_home: Path, echo: Callable[[str], None]) -> None:
    """Stop what a ``thinline airflow`` of this Airflow home left running when it was killed
    (``kill -9``): before the command checks that its port is free, as the api-server it left
    may hold it. Refused (ConfigError) while that command still runs."""
    with ProcessRecord(airflow_home / RECORD_FILE, "thinline airflow") as record:
        _stop_leftovers(record, echo)


def _stop_leftovers(record: ProcessRecord, echo: Callable[[str], None]) -> None:
    if leftovers := record.leftovers():
        echo(f"stopping {count_processes(leftovers)} left by a killed thinline airflow …")
        stop_processes(leftovers, sessions=[proc.pid for proc in leftovers])


def serve_until_interrupted(
    airflow: LocalAirflow, echo: Callable[[str], None], ready_timeout_seconds: float = 180
) -> None:
    """Start Airflow, print where to log in, and run until Ctrl-C, SIGTERM, SIGHUP or a
    component exits. One instance per state folder; what a killed one left running is stopped
    first."""
    record = ProcessRecord(airflow.record_file, "thinline airflow")
    with record, termination_as_interrupt():
        airflow.record = record
        try:
            _stop_leftovers(record, echo)
            airflow.start(ready_timeout_seconds, echo)
            airflow.wait_until_healthy(ready_timeout_seconds)
            airflow_home = Path(airflow.env["AIRFLOW_HOME"])
            password = admin_password(airflow_home)
            echo("")
            echo(f"Airflow UI : {airflow.url}/")
            echo(f"login      : {USER} / {password}   (stored in {airflow_home / PASSWORD_FILE})")
            echo(f"DAG        : {DAG_ID}, unpaused, every night at 02:00 UTC")
            echo(f"             {REPORT_DAG_ID}, after each publish (the Asset thinline_analytics)")
            echo(f"logs       : {airflow.log_dir}")
            echo("Ctrl-C stops Airflow.")
            while not (name := airflow.exited()):
                time.sleep(1)
            raise ConfigError(f"airflow {name} exited; see {airflow.log_dir / (name + '.log')}")
        except KeyboardInterrupt:
            echo("stopping Airflow …")
        finally:
            with signals_ignored():
                airflow.stop()
