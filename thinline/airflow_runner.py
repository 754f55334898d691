"""Run ``thinline_nightly`` through Airflow 3 (``airflow dags test``) with a local home.

The Airflow home (SQLite metadata, logs) lives in the state folder; the DAG folder is the
repository's ``dags/``. Progress lines are echoed while the full log goes to a file, written
line by line so that a killed run keeps everything printed so far.

The Airflow processes a command starts must not outlive it: SIGTERM stops them as Ctrl-C does
(:func:`termination_as_interrupt`), and a command killed outright (``kill -9``) leaves them in a
:class:`ProcessRecord` that the next command of the same kind stops before it starts its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import psutil

from extract.base import ConfigError
from thinline.interval import logical_date_for

DAGS_FOLDER = Path(__file__).resolve().parent.parent / "dags"
DAG_ID = "thinline_nightly"
STOP_GRACE_SECONDS = 20.0
DAGS_TEST_RECORD = "thinline-run.json"
_TERMINATION = (signal.SIGTERM, signal.SIGHUP)
_STOP_SIGNALS = (signal.SIGINT, *_TERMINATION)

_STARTED = re.compile(r"\[DAG TEST\] starting task_id=(\S+)")
_ENDED = re.compile(r"\[DAG TEST\] end task task_id=(\S+)")
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
            return f"  … {match[1]}"
        if match := _STATE.search(line):
            self._state = match[1]
            return None
        if _RUN_ERROR.search(line):  # dags test marks the task failed without the API
            self._state = "failed"
            return None
        if match := _ENDED.search(line):
            return self._ended(match[1])
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
    return str(Path(sys.executable).parent / "airflow")


def ensure_metadata_db(env: dict[str, str], log_file: Path) -> None:
    """Create Airflow's SQLite metadata DB on first use (about 10 s)."""
    if (Path(env["AIRFLOW_HOME"]) / "airflow.db").exists():
        return
    with log_file.open("a") as log:
        subprocess.run([_airflow(), "db", "migrate"], env=env, stdout=log, stderr=log, check=True)


def run_nightly(day: date, env: dict[str, str], log_file: Path, echo: Callable[[str], None]) -> int:
    """Run the DAG for ``day``'s interval; echo progress; return Airflow's exit code.

    Ctrl-C, SIGTERM or SIGHUP stops ``airflow dags test`` and its task processes (dbt included)
    before the interruption goes on; one left by a ``thinline run`` killed outright is stopped
    first.
    """
    ensure_metadata_db(env, log_file)
    logical = logical_date_for(day).isoformat()
    command = [_airflow(), "dags", "test", DAG_ID, logical]
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


# -- the processes a command starts -----------------------------------------------------------


@contextlib.contextmanager
def termination_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM (``kill``, a service manager, a container stop) and SIGHUP (the
    terminal closed) raise KeyboardInterrupt as Ctrl-C does, so the code that stops child
    processes runs; by default Python exits at once and leaves them running. Main thread only
    (as signal handlers are)."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, interrupt) for signum in _TERMINATION}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def signals_ignored() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP are ignored within the block: a second Ctrl-C while processes
    are being stopped must not abort the stopping (it takes at most STOP_GRACE_SECONDS)."""
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in _STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def stop_processes(
    roots: list[psutil.Process],
    sessions: list[int] | None = None,
    grace_seconds: float = STOP_GRACE_SECONDS,
) -> None:
    """SIGTERM ``roots``, their descendants and the members of ``sessions``; SIGKILL whatever
    is left after the grace.

    Everything is collected before the first signal: Airflow's task processes run in process
    groups of their own (a group signal misses them) and are re-parented when their parent
    exits; a session (a component started with ``start_new_session``) holds them all."""
    tree = _tree(roots, sessions or [])
    for proc in tree:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(list(tree), timeout=grace_seconds)
    left = set(alive) | _tree(alive, sessions or [])  # and what they forked meanwhile
    for proc in left:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(list(left), timeout=5)


def _tree(roots: list[psutil.Process], sessions: list[int]) -> set[psutil.Process]:
    found = set()
    for root in roots:
        with contextlib.suppress(psutil.Error):
            found |= {root, *root.children(recursive=True)}
    if sessions:
        for proc in psutil.process_iter():
            with contextlib.suppress(OSError, psutil.Error):
                if os.getsid(proc.pid) in sessions:
                    found.add(proc)
    found.discard(psutil.Process())
    return found


def count_processes(processes: list[psutil.Process]) -> str:
    pids = ", ".join(str(proc.pid) for proc in processes)
    return f"{len(processes)} Airflow process{'es' if len(processes) > 1 else ''} (pid {pids})"


class ProcessRecord:
    """The processes one command has started, kept in a JSON file that the command holds an
    exclusive lock on (``flock``) while it runs.

    The kernel drops the lock when the command dies, however it dies, and the children do not
    inherit it: a second command on the same Airflow home is refused while the first lives,
    and a process still listed when the next command takes the lock was left by one killed
    outright, so stopping it cannot hit a live run. Processes are matched by pid and start
    time (a reused pid is not ours)."""

    def __init__(self, path: Path, command: str) -> None:
        self.path = path
        self.command = command
        self._file: IO[str] | None = None
        self._previous: dict[str, Any] = {}
        self._processes: dict[str, tuple[int, float]] = {}

    def __enter__(self) -> ProcessRecord:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = self.path.open("a+")
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            holder = _read_record(self.path).get("pid", "?")
            raise ConfigError(
                f"{self.command} is already running for this state folder (pid {holder}); "
                "stop it first"
            ) from None
        file.seek(0)
        self._previous = _parse_record(file.read())
        self._file = file
        self._write()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._processes.clear()
        self._write()
        if self._file is not None:
            self._file.close()  # releases the lock
            self._file = None

    def leftovers(self) -> list[psutil.Process]:
        """The processes a previous, killed command left running."""
        found = []
        for pid, started in self._previous.get("processes", {}).values():
            with contextlib.suppress(psutil.Error):
                proc = psutil.Process(pid)
                if abs(proc.create_time() - started) < 1:
                    found.append(proc)
        return found

    def add(self, name: str, pid: int) -> None:
        self._processes[name] = (pid, psutil.Process(pid).create_time())
        self._write()

    def _write(self) -> None:
        if self._file is None:
            return
        self._file.seek(0)
        self._file.truncate()
        self._file.write(json.dumps({"pid": os.getpid(), "processes": self._processes}) + "\n")
        self._file.flush()


def _read_record(path: Path) -> dict[str, Any]:
    try:
        return _parse_record(path.read_text())
    except OSError:
        return {}


def _parse_record(text: str) -> dict[str, Any]:
    """The record's content; anything unreadable counts as empty (it only ever lists our own
    processes, so an unreadable one cannot hide a live run: the lock guards that)."""
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(value, dict) or not isinstance(value.get("processes", {}), dict):
        return {}
    processes = {
        name: entry
        for name, entry in value.get("processes", {}).items()
        if isinstance(entry, list)
        and len(entry) == 2
        and isinstance(entry[0], int)
        and isinstance(entry[1], int | float)
    }
    return {"pid": value.get("pid"), "processes": processes}
