"""`thinline airflow`: the UI, scheduler, dag-processor and triggerer run locally, the nightly
DAG is listed unpaused and gets its scheduled run by itself, and Ctrl-C stops everything."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from thinline.airflow_local import PASSWORD_FILE, port_is_free
from thinline.warehouse import EmbeddedWarehouse

pytestmark = pytest.mark.integration

THINLINE = str(Path(sys.executable).parent / "thinline")
READY_TIMEOUT_S = 240  # about a minute on an idle machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def thinline_env(home: Path) -> dict[str, str]:
    """One source whose API is a closed local port: the scheduled run's extract fails fast and
    nothing leaves the machine."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("THINLINE_", "AIRFLOW"))}
    return {
        **clean,
        "THINLINE_HOME": str(home),
        "THINLINE_SOURCES": "hubspot",
        "THINLINE_HUBSPOT__TOKEN": "not-a-real-token",
        "THINLINE_HUBSPOT__BASE_URL": f"http://127.0.0.1:{free_port()}",
        "THINLINE_HUBSPOT__MAX_RETRIES": "0",
        "THINLINE_TASK_RETRIES": "0",
    }


def wait_for(condition: Any, what: str, timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def running(tmp_path: Path) -> Iterator[dict[str, Any]]:
    port = free_port()
    out = tmp_path / "thinline-airflow.out"
    with out.open("w") as sink:
        process = subprocess.Popen(
            [THINLINE, "airflow", "--port", str(port)],
            env=thinline_env(tmp_path),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: "Ctrl-C stops Airflow" in out.read_text() or process.poll() is not None,
            "thinline airflow to report ready",
            READY_TIMEOUT_S,
        )
        assert process.poll() is None, out.read_text()
        yield {"process": process, "port": port, "home": tmp_path, "out": out}
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


def api(port: int, password: str) -> httpx.Client:
    base = f"http://127.0.0.1:{port}"
    token = httpx.post(
        f"{base}/auth/token", json={"username": "admin", "password": password}, timeout=30
    )
    assert token.status_code == 201, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    return httpx.Client(base_url=base, headers=headers, timeout=30)


def test_airflow_runs_the_nightly_schedule_until_ctrl_c(running: dict[str, Any]) -> None:
    home, port, process = running["home"], running["port"], running["process"]
    printed = running["out"].read_text()
    password_file = home / "airflow" / PASSWORD_FILE
    password = json.loads(password_file.read_text())["admin"]
    assert f"http://127.0.0.1:{port}/" in printed
    assert f"admin / {password}" in printed and str(password_file) in printed
    assert password_file.stat().st_mode & 0o077 == 0
    warehouse_password = (home / "warehouse" / "password").read_text().strip()
    assert warehouse_password not in printed  # the UI login is the only secret shown

    with api(port, password) as client:
        health = client.get("/api/v2/monitor/health").json()
        for component in ("metadatabase", "scheduler", "dag_processor", "triggerer"):
            assert health[component]["status"] == "healthy", health
        dag = client.get("/api/v2/dags/thinline_nightly")
        assert dag.status_code == 200, dag.text
        assert dag.json()["is_paused"] is False
        # Nobody triggers it: the scheduler creates the latest interval's run on its own.
        runs = wait_for(
            lambda: client.get("/api/v2/dags/thinline_nightly/dagRuns").json()["dag_runs"],
            "the scheduled run",
            60,
        )
        assert {run["run_type"] for run in runs} == {"scheduled"}

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0
    assert port_is_free(port)  # the api-server is gone
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=5)
    assert not EmbeddedWarehouse(home).status().running  # started by the command, stopped too


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
