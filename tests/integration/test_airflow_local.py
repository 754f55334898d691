"""`thinline airflow`: the UI, scheduler, dag-processor and triggerer run locally, the nightly
DAG is listed unpaused and gets its scheduled run by itself, nothing listens beyond 127.0.0.1,
and nothing outlives the command: SIGTERM stops everything, and what a `kill -9` left running
is stopped by the next start, which marks the interrupted run failed.

Two Airflow start-ups in all (a few minutes). Ctrl-C takes the same path as SIGTERM; it is
checked with stand-in components in tests/test_airflow_runner.py."""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.alert_receivers import Received, alert_receivers
from tests.integration.conftest import wait_for as wait_every
from thinline.airflow_local import PASSWORD_FILE, port_is_free
from thinline.warehouse import EmbeddedWarehouse

pytestmark = pytest.mark.integration

THINLINE = str(Path(sys.executable).parent / "thinline")
READY_TIMEOUT_S = 240  # about a minute on an idle machine
DAG_RUNS = "/api/v2/dags/thinline_nightly/dagRuns"
SECRET = "s3cret-hook"

wait_for = functools.partial(wait_every, interval_s=1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def thinline_env(home: Path, hubspot_url: str | None = None) -> dict[str, str]:
    """One source whose API is local: by default a closed port (the scheduled run's extract
    fails fast), or ``hubspot_url``. Nothing leaves the machine."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("THINLINE_", "AIRFLOW"))}
    return {
        **clean,
        "THINLINE_HOME": str(home),
        "THINLINE_SOURCES": "hubspot,ecb",
        "THINLINE_HUBSPOT__TOKEN": "not-a-real-token",
        "THINLINE_HUBSPOT__BASE_URL": hubspot_url or f"http://127.0.0.1:{free_port()}",
        "THINLINE_HUBSPOT__TIMEOUT_SECONDS": "600",
        "THINLINE_HUBSPOT__MAX_RETRIES": "0",
        "THINLINE_TASK_RETRIES": "0",
    }


@pytest.fixture
def silent_api() -> Iterator[str]:
    """A URL whose server takes connections and never answers: a task calling it runs until
    it is stopped (the HubSpot timeout is 600 s)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def start(env: dict[str, str], port: int, out: Path) -> subprocess.Popen[bytes]:
    """`thinline airflow --port PORT`, once it has printed that it is ready."""
    with out.open("w") as sink:
        process = subprocess.Popen(
            [THINLINE, "airflow", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    wait_for(
        lambda: "Ctrl-C stops Airflow" in out.read_text() or process.poll() is not None,
        "thinline airflow to report ready",
        READY_TIMEOUT_S,
    )
    assert process.poll() is None, out.read_text()
    return process


def family(process: subprocess.Popen[bytes]) -> set[psutil.Process]:
    """The command and every process it started (Airflow's components and theirs)."""
    root = psutil.Process(process.pid)
    return {root, *root.children(recursive=True)}


def listeners(processes: set[psutil.Process]) -> set[tuple[str, int]]:
    """(address, port) of each TCP socket in LISTEN state held by one of ``processes``."""
    found = set()
    for proc in processes:
        try:
            connections = proc.net_connections(kind="inet")
        except psutil.NoSuchProcess:
            continue
        found |= {
            (conn.laddr.ip, conn.laddr.port)
            for conn in connections
            if conn.status == psutil.CONN_LISTEN
        }
    return found


def gone(proc: psutil.Process) -> bool:
    """Exited (a zombie left to a parent that does not reap it counts as exited)."""
    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def api(port: int, home: Path) -> httpx.Client:
    password = json.loads((home / "airflow" / PASSWORD_FILE).read_text())["admin"]
    base = f"http://127.0.0.1:{port}"
    token = httpx.post(
        f"{base}/auth/token", json={"username": "admin", "password": password}, timeout=30
    )
    assert token.status_code == 201, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    return httpx.Client(base_url=base, headers=headers, timeout=30)


def task_log(client: httpx.Client, task_instance: str, source: str) -> str | None:
    """The UI's log of a mapped task's first instance's first try, once it names ``source``
    among its sources."""
    response = client.get(
        f"{task_instance}/logs/1", params={"map_index": 0}, headers={"Accept": "application/json"}
    )
    return response.text if source in response.text else None


def recorded(home: Path) -> dict[str, list[float]]:
    """The components `thinline airflow` noted as started (pid, start time)."""
    return json.loads((home / "airflow" / "thinline-airflow.json").read_text())["processes"]


def check_listeners(process: subprocess.Popen[bytes], port: int) -> int:
    """Every listening socket of the command's processes is on loopback; the UI's is there, and
    the log server's: return its port."""
    found = listeners(family(process))
    assert all(ipaddress.ip_address(address).is_loopback for address, _ in found), found
    assert ("127.0.0.1", port) in found, found
    others = {listening for listening in found if listening[1] != port}
    assert len(others) == 1, found  # the log server
    return others.pop()[1]


@pytest.fixture
def receivers() -> Iterator[tuple[Received, dict[str, str]]]:
    with alert_receivers(SECRET) as receiving:
        yield receiving


def test_airflow_runs_the_schedule_on_loopback_and_nothing_outlives_it(
    tmp_path: Path, silent_api: str, receivers: tuple[Received, dict[str, str]]
) -> None:
    home = tmp_path
    # A deadline that has passed as soon as the run is queued (02:00 + 0 h): the scheduler
    # must notice it and the triggerer send one alert naming the step still running.
    received, alert_env = receivers
    env = {**thinline_env(home, silent_api), **alert_env, "THINLINE_PUBLISH_DEADLINE": "02:00"}
    port = free_port()
    first = start(env, port, home / "first.out")
    seen = family(first)  # every process met, for the clean-up after a failure
    try:
        printed = (home / "first.out").read_text()
        password_file = home / "airflow" / PASSWORD_FILE
        password = json.loads(password_file.read_text())["admin"]
        assert f"http://127.0.0.1:{port}/" in printed
        assert f"admin / {password}" in printed and str(password_file) in printed
        assert password_file.stat().st_mode & 0o077 == 0
        warehouse_password = (home / "warehouse" / "password").read_text().strip()
        assert warehouse_password not in printed  # the UI login is the only secret shown
        log_port = check_listeners(first, port)

        with api(port, home) as client:
            health = client.get("/api/v2/monitor/health").json()
            for component in ("metadatabase", "scheduler", "dag_processor", "triggerer"):
                assert health[component]["status"] == "healthy", health
            dag = client.get("/api/v2/dags/thinline_nightly")
            assert dag.status_code == 200, dag.text
            assert dag.json()["is_paused"] is False
            # Nobody triggers it: the scheduler creates the latest interval's run on its own.
            runs = wait_for(lambda: client.get(DAG_RUNS).json()["dag_runs"], "the run", 60)
            assert [run["run_type"] for run in runs] == ["scheduled"]
            run_id = runs[0]["dag_run_id"]
            # mapped over HubSpot's accounts: one, the whole source (map index 0)
            extract = f"{DAG_RUNS}/{run_id}/taskInstances/extract.extract_hubspot"
            wait_for(
                lambda: client.get(f"{extract}/0").json().get("state") == "running",
                "the extract to run (its API never answers)",
                120,
            )
            # The UI reads a running task's log from the log server on 127.0.0.1 too.
            served = f"http://127.0.0.1:{log_port}/log/"
            log = wait_for(
                lambda: task_log(client, extract, served), "the log server's copy of it", 60
            )
            assert "Could not read served logs" not in log
            # the publish deadline, missed while the extract runs: one alert per channel
            late = wait_for(
                lambda: [text for text in received.webhook if "not published" in text],
                "the deadline alert",
                120,
            )
            assert f"analytics not published by 02:00 UTC ({run_id})" in late[0]
            # The deadline has passed when the run is queued, so the alert may be composed
            # before the scheduler has expanded the mapped extract: either state is the truth.
            listed = re.search(r"extract\.extract_hubspot(_0: running|: not started)", late[0])
            assert listed, late[0]
            assert "publish: not started" in late[0], late[0]
            assert SECRET not in late[0]
            wait_for(lambda: received.mail, "the deadline e-mail", 30)

        left = family(first) - {psutil.Process(first.pid)}
        seen |= left
        components = [psutil.Process(pid) for pid, _ in recorded(home).values()]
        first.kill()  # kill -9: the components, in sessions of their own, go on
        first.wait()
        assert len(components) == 5 and not any(gone(proc) for proc in components)

        # the same port: the next start stops what the killed one left holding it
        second = start(env, port, home / "second.out")
        seen |= family(second)
        printed = (home / "second.out").read_text()
        assert re.search(
            r"stopping 5 Airflow processes \(pid [\d, ]+\) left by a killed thinline airflow",
            printed,
        ), printed
        assert all(gone(proc) for proc in left)
        assert (
            f"marked failed: thinline_nightly run {run_id}, left running when Airflow last "
            "stopped or was killed (clear it in the UI to run it again)"
        ) in printed
        check_listeners(second, port)
        with api(port, home) as client:
            run = client.get(f"{DAG_RUNS}/{run_id}").json()
            assert run["state"] == "failed", run
            assert run["note"].startswith("Left running when thinline airflow stopped"), run
            assert client.get(f"{extract}/0").json()["state"] == "failed"

        started = family(second)
        seen |= started
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=60) == 0  # stopped as by Ctrl-C, not killed by the signal
        assert (home / "second.out").read_text().rstrip().endswith("stopping Airflow …")
        assert all(gone(proc) for proc in started), [proc for proc in started if not gone(proc)]
        assert port_is_free(port)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=5)
        # one alert per channel for the one missed deadline
        assert len(late) == 1 and len(received.mail) == 1, (received.webhook, received.mail)
    finally:
        for proc in seen:
            with contextlib.suppress(psutil.Error):
                proc.kill()  # psutil makes sure the pid is still that process
        EmbeddedWarehouse(home).stop()  # the killed command left it running


def test_a_busy_port_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [THINLINE, "airflow", "--port", str(port)],
            env=thinline_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: port {port} on 127.0.0.1 is in use; choose another with --port"
    )
