"""The processes a command starts, and making sure none outlives it.

SIGTERM and SIGHUP stop them as Ctrl-C does (:func:`termination_as_interrupt`); stopping
collects every descendant and session member first (:func:`stop_processes`); a command killed
outright (``kill -9``) leaves them listed in a :class:`ProcessRecord` that the next command of
the same kind stops before it starts its own. Used by ``thinline run`` (airflow_runner) and
``thinline airflow`` (airflow_local).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import psutil

from extract.base import ConfigError

STOP_GRACE_SECONDS = 20.0
_TERMINATION = (signal.SIGTERM, signal.SIGHUP)
_STOP_SIGNALS = (signal.SIGINT, *_TERMINATION)


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


def installed_script(name: str) -> str:
    """The path of a console script (dbt, airflow, sqlfluff) installed with this Python: in
    its venv's ``bin``, or where a system Python installs scripts (``/usr/local/bin`` on
    Debian's python3, whose interpreter is ``/usr/bin/python3``)."""
    return str(Path(sysconfig.get_path("scripts")) / name)
