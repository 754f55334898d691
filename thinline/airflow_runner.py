"""Run ``thinline_nightly`` through Airflow 3 (``airflow dags test``) with a local home.

The Airflow home (SQLite metadata, logs) lives in the state folder; the DAG folder is the
repository's ``dags/``. Progress lines are echoed while the full log goes to a file, written
line by line so that a killed run keeps everything printed so far.

The Airflow processes a command starts must not outlive it (thinline/processes.py).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import psutil

from thinline.interval import logical_date_for
from thinline.processes import (
    ProcessRecord,
    count_processes,
    installed_script,
    signals_ignored,
    stop_processes,
    termination_as_interrupt,
)

DAGS_FOLDER = Path(__file__).resolve().parent.parent / "dags"
DAG_ID = "thinline_nightly"
# Scheduled on the Asset the nightly's publish emits; `thinline run` runs it right after.
REPORT_DAG_ID = "thinline_report"
DAGS_TEST_RECORD = "thinline-run.json"

_STARTED = re.compile(r"\[DAG TEST\] starting task_id=(\S+)(?: map_index=(-?\d+))?")
_ENDED = re.compile(r"\[DAG TEST\] end task task_id=(\S+)(?: map_index=(-?\d+))?")
# The execution API logs each state a task reaches; `end task` itself carries none.
_STATE = re.compile(r"Task instance state updated\b.*\bnew_state=(\w+)")
_RUN_ERROR = re.compile(r"\[DAG TEST\] Error running task")
_OURS = re.compile(r"thinline \| (.*?)(?:\s+\[[\w.]+\]\s+loc=|$)")
_FAILED = re.compile(r"\b(\w+(?:Error|Exception)): (.+)")
_ENDINGS = {"success": "✓", "failed": "✗", "up_for_retry": "↻", "skipped": "–"}


class Progress:
    """The console lines of one ``airflow dags test`` run (which runs one task at a time)."""

    def __init__(self) -> None:
        self._state: str | None = None  # the last state the running task reached

    def line(self, line: str) -> str | None:
        """The console line for one Airflow log line, or None to keep it in the log only."""
        if match := _STARTED.search(line):
            self._state = None
            return f"  … {_task(match)}"
        if match := _STATE.search(line):
            self._state = match[1]
            return None
        if _RUN_ERROR.search(line):  # dags test marks the task failed without the API
            self._state = "failed"
            return None
        if match := _ENDED.search(line):
            return self._ended(_task(match))
        if match := _OURS.search(line):
            return f"      {match[1].strip()}"
        if match := _FAILED.search(line):
            return f"  ✗ {match[1]}: {match[2].strip()}"
        return None

    def _ended(self, task_id: str) -> str:
        state = self._state or "state unknown, see the log"
        mark = _ENDINGS.get(state, "?")
        shown = f"  {mark} {task_id}"
        return shown if state in ("success", "failed") else f"{shown} ({state})"


def _task(match: re.Match[str]) -> str:
    """A task's name on the console; one of a mapped task's (an account's) with its index."""
    index = match[2]
    return match[1] if index in (None, "-1") else f"{match[1]}[{index}]"


def airflow_env(home: Path, extra: dict[str, str]) -> dict[str, str]:
    airflow_home = home.resolve() / "airflow"
    airflow_home.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        **extra,
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "GX_ANALYTICS_ENABLED": "false",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # Airflow's output reaches the run log as it is written, not when a buffer fills.
        "PYTHONUNBUFFERED": "1",
    }


def loopback_hostname() -> str:
    """``[core] hostname_callable`` of ``thinline airflow``: the host the api-server asks for a
    running task's log is the log server on 127.0.0.1, whatever the machine's name resolves to."""
    return "127.0.0.1"


def _airflow() -> str:
    return installed_script("airflow")


def ensure_metadata_db(env: dict[str, str], log_file: Path) -> None:
    """Create Airflow's SQLite metadata DB on first use (about 10 s)."""
    if (Path(env["AIRFLOW_HOME"]) / "airflow.db").exists():
        return
    with log_file.open("a") as log:
        subprocess.run([_airflow(), "db", "migrate"], env=env, stdout=log, stderr=log, check=True)


def run_nightly(
    day: date,
    env: dict[str, str],
    log_file: Path,
    echo: Callable[[str], None],
    dag_id: str = DAG_ID,
) -> int:
    """Run the DAG (the nightly one by default) for ``day``'s interval; echo progress; return
    Airflow's exit code.

    Ctrl-C, SIGTERM or SIGHUP stops ``airflow dags test`` and its task processes (dbt included)
    before the interruption goes on; one left by a ``thinline run`` killed outright is stopped
    first.
    """
    ensure_metadata_db(env, log_file)
    logical = logical_date_for(day).isoformat()
    command = [_airflow(), "dags", "test", dag_id, logical]
    record_file = Path(env["AIRFLOW_HOME"]) / DAGS_TEST_RECORD
    progress = Progress()
    with (
        ProcessRecord(record_file, "thinline run") as record,
        termination_as_interrupt(),
        log_file.open("a", buffering=1) as log,  # line-buffered: a killed run loses no line
    ):
        if leftovers := record.leftovers():
            echo(f"stopping {count_processes(leftovers)} left running by a killed thinline run …")
            stop_processes(leftovers)
        # No scheduler watches a deadline here, and `airflow dags test` (3.3.2) fails a run
        # whose DAG has one once the run succeeds ('dict' object has no attribute 'hex': it
        # looks up the unstored DeadlineAlert as if it were a stored one's id).
        env = {**env, "THINLINE_PUBLISH_DEADLINE": "off"}  # dag_support.NO_DEADLINE
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        record.add("dags-test", process.pid)
        try:
            assert process.stdout is not None
            for line in process.stdout:
                log.write(line)
                if shown := progress.line(line):
                    echo(shown)
            return process.wait()
        finally:
            if process.poll() is None:  # interrupted: nothing may go on without us
                with signals_ignored():
                    log.write("thinline: interrupted; stopping airflow dags test\n")
                    stop_processes([psutil.Process(process.pid)])
            process.wait()
