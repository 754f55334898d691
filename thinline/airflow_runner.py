"""Run ``thinline_nightly`` through Airflow 3 (``airflow dags test``) with a local home.

The Airflow home (SQLite metadata, logs) lives in the state folder; the DAG folder is the
repository's ``dags/``. Progress lines are echoed while the full log goes to a file.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from thinline.interval import logical_date_for

DAGS_FOLDER = Path(__file__).resolve().parent.parent / "dags"
DAG_ID = "thinline_nightly"

_STARTED = re.compile(r"\[DAG TEST\] starting task_id=(\S+)")
_ENDED = re.compile(r"\[DAG TEST\] end task task_id=(\S+)")
_OURS = re.compile(r"thinline \| (.*?)(?:\s+\[[\w.]+\]\s+loc=|$)")
_FAILED = re.compile(r"\b(\w+(?:Error|Exception)): (.+)")


def progress_line(line: str) -> str | None:
    """The console line for one Airflow log line, or None to keep it in the log only."""
    if match := _STARTED.search(line):
        return f"  … {match[1]}"
    if match := _ENDED.search(line):
        return f"  ✓ {match[1]}"
    if match := _OURS.search(line):
        return f"      {match[1].strip()}"
    if match := _FAILED.search(line):
        return f"  ✗ {match[1]}: {match[2].strip()}"
    return None


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
    }


def _airflow() -> str:
    return str(Path(sys.executable).parent / "airflow")


def ensure_metadata_db(env: dict[str, str], log_file: Path) -> None:
    """Create Airflow's SQLite metadata DB on first use (about 10 s)."""
    if (Path(env["AIRFLOW_HOME"]) / "airflow.db").exists():
        return
    with log_file.open("a") as log:
        subprocess.run([_airflow(), "db", "migrate"], env=env, stdout=log, stderr=log, check=True)


def run_nightly(day: date, env: dict[str, str], log_file: Path, echo: Callable[[str], None]) -> int:
    """Run the DAG for ``day``'s interval; echo progress; return Airflow's exit code."""
    ensure_metadata_db(env, log_file)
    logical = logical_date_for(day).isoformat()
    command = [_airflow(), "dags", "test", DAG_ID, logical]
    with log_file.open("a") as log:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            shown = progress_line(line)
            if shown:
                echo(shown)
        return process.wait()
