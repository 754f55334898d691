"""``thinline airflow``: Airflow 3 running locally, so ``thinline_nightly`` runs on its schedule.

Four long-running components (api-server for the UI and REST API, scheduler, dag-processor,
triggerer) with the repository's ``dags/`` and the Airflow home of ``thinline run``
(``<state folder>/airflow``), each in its own process group, logging to
``<state folder>/logs/airflow/<component>.log``. LocalExecutor, with the metadata in
PostgreSQL (database ``airflow`` on the state folder's embedded server): SQLite, fine for
``airflow dags test``, stalls the execution API once scheduler, tasks and UI all write.
The UI login is the simple auth manager's user ``admin``; its password is generated once
and kept in ``<airflow home>/simple_auth_manager_passwords.json.generated`` (mode 600).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from extract.base import ConfigError
from thinline.airflow_runner import DAG_ID, _airflow, airflow_env
from thinline.warehouse import EmbeddedWarehouse

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
HEALTHY = ("metadatabase", "scheduler", "triggerer", "dag_processor")
USER = "admin"
PASSWORD_FILE = "simple_auth_manager_passwords.json.generated"
STOP_GRACE_SECONDS = 20.0
DATABASE = "airflow"


def metadata_url(home: Path) -> str:
    """SQLAlchemy URL of Airflow's metadata database on the state folder's embedded
    PostgreSQL (started, and the database created, if needed)."""
    owner_url = EmbeddedWarehouse(home).start()
    admin_url = owner_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        found = conn.execute("select 1 from pg_database where datname = %s", (DATABASE,))
        if found.fetchone() is None:
            conn.execute(f'create database "{DATABASE}"')
    server = owner_url.split("://", 1)[1].rsplit("/", 1)[0]
    return f"postgresql+psycopg2://{server}/{DATABASE}"


def local_env(home: Path, port: int, thinline_env: dict[str, str], metadata: str) -> dict[str, str]:
    """Environment of every Airflow component: Thinline's settings plus the local layout."""
    env = airflow_env(home, thinline_env)
    airflow_home = Path(env["AIRFLOW_HOME"])
    base_url = f"http://127.0.0.1:{port}"
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
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": base_url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
            # Ad-hoc connection `warehouse` (the DESIGN's alternative to THINLINE_WAREHOUSE_URL).
            "AIRFLOW_CONN_WAREHOUSE": thinline_env["THINLINE_WAREHOUSE_URL"],
        }
    )
    return env


def port_is_free(port: int) -> bool:
    """Whether a server can listen on 127.0.0.1:``port`` (as uvicorn does: SO_REUSEADDR, so
    connections of a stopped server in TIME_WAIT do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
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
    """The running components; ``stop()`` ends each one's whole process group."""

    env: dict[str, str]
    log_dir: Path
    port: int
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_seconds: float = 180) -> None:
        """Migrate the metadata DB, start the api-server and, once it answers, the rest: a
        task the scheduler starts earlier cannot reach the execution API and fails."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        migrate_log = self.log_dir / "db-migrate.log"
        with migrate_log.open("ab") as log:
            migrated = subprocess.run(
                [_airflow(), "db", "migrate"], env=self.env, stdout=log, stderr=log, check=False
            )
        if migrated.returncode != 0:
            raise ConfigError(f"airflow db migrate failed; see {migrate_log}")
        admin_password(Path(self.env["AIRFLOW_HOME"]))  # before the api-server would make one
        cfg = Path(self.env["AIRFLOW_HOME"]) / "airflow.cfg"
        if cfg.exists():
            cfg.chmod(0o600)  # Airflow wrote its generated JWT and session secrets there
        self._launch("api-server", "--port", str(self.port), "--workers", "1")
        self._wait(lambda: self.health() is not None, "the api-server to answer", timeout_seconds)
        for name in COMPONENTS[1:]:
            self._launch(name)

    def _launch(self, name: str, *args: str) -> None:
        with (self.log_dir / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                [_airflow(), name, *args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stop() reaches the task processes
            )

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

    def token(self) -> str:
        password = admin_password(Path(self.env["AIRFLOW_HOME"]))
        response = httpx.post(
            f"{self.url}/auth/token", json={"username": USER, "password": password}, timeout=10
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def dags(self) -> list[dict[str, Any]]:
        response = httpx.get(
            f"{self.url}/api/v2/dags",
            headers={"Authorization": f"Bearer {self.token()}"},
            timeout=10,
        )
        response.raise_for_status()
        return list(response.json()["dags"])

    def dag_ids(self) -> set[str]:
        try:
            return {dag["dag_id"] for dag in self.dags()}
        except httpx.HTTPError:
            return set()

    def stop(self) -> None:
        """SIGTERM every component's process group, then SIGKILL what is left after a grace."""
        for process in self.processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            _signal_group(process, signal.SIGKILL)
            process.wait()


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def serve_until_interrupted(
    airflow: LocalAirflow, echo: Callable[[str], None], ready_timeout_seconds: float = 180
) -> None:
    """Start Airflow, print where to log in, and run until Ctrl-C or a component exits."""
    try:
        airflow.start(ready_timeout_seconds)
        airflow.wait_until_healthy(ready_timeout_seconds)
        airflow_home = Path(airflow.env["AIRFLOW_HOME"])
        password = admin_password(airflow_home)
        echo("")
        echo(f"Airflow UI : {airflow.url}/")
        echo(f"login      : {USER} / {password}   (stored in {airflow_home / PASSWORD_FILE})")
        echo(f"DAG        : {DAG_ID}, unpaused, every night at 02:00 UTC")
        echo(f"logs       : {airflow.log_dir}")
        echo("Ctrl-C stops Airflow.")
        while not (name := airflow.exited()):
            time.sleep(1)
        raise ConfigError(f"airflow {name} exited; see {airflow.log_dir / (name + '.log')}")
    except KeyboardInterrupt:
        echo("stopping Airflow …")
    finally:
        airflow.stop()
