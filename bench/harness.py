"""What the benchmarks share: the machine, a scratch warehouse, servers in their own process
(so the extractor's timings and memory are its own), dbt nodes' fastest times."""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import psycopg

from thinline.dbt import run_dbt
from thinline.warehouse import EmbeddedWarehouse

SPAWN = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing inherited
READY_TIMEOUT_S = 600  # building a big synthetic world takes a while


class ScratchWarehouse:
    """An embedded PostgreSQL under a temp home; a fresh database per run."""

    def __init__(self, home: Path) -> None:
        self.warehouse = EmbeddedWarehouse(home)
        self.url = self.warehouse.start()
        self.admin_url = self.url.rsplit("/", 1)[0] + "/postgres"

    def fresh_database(self, name: str) -> str:
        """Drop and create database ``name``; return its URL."""
        self.drop_database(name)
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}"')

    def server_version(self) -> str:
        with psycopg.connect(self.admin_url) as conn:
            return str(conn.execute("show server_version").fetchone()[0])


@contextmanager
def scratch_warehouse() -> Iterator[ScratchWarehouse]:
    with tempfile.TemporaryDirectory(prefix="thinline-bench-") as home:
        scratch = ScratchWarehouse(Path(home))
        try:
            yield scratch
        finally:
            scratch.warehouse.stop()


@contextmanager
def bench_database(name: str) -> Iterator[str]:
    """A fresh database ``name`` on the configured warehouse (the embedded one under
    THINLINE_HOME, started if needed and stopped again if it was not running), dropped after."""
    from thinline.settings import load_settings

    settings = load_settings()
    warehouse = None
    if settings.warehouse_url is not None:
        server_url = settings.warehouse_url.get_secret_value()
    else:
        warehouse = EmbeddedWarehouse(settings.home)
        was_running = warehouse.status().running
        server_url = warehouse.start()
    admin_url = server_url.rsplit("/", 1)[0] + "/postgres"
    url = server_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")
        conn.execute(f"create database {name}")
    try:
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"drop database if exists {name} with (force)")
        if warehouse is not None and not was_running:
            warehouse.stop()


def machine_facts(scratch: ScratchWarehouse) -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "postgresql": scratch.server_version(),
        # The machine may be shared (other test runs): this says how busy it was.
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
    }


# A server factory: a picklable top-level function returning a context manager that serves
# and yields the THINLINE_* settings that reach it.
ServerFactory = Callable[..., AbstractContextManager[dict[str, str]]]


@dataclass(frozen=True)
class Served:
    env: dict[str, str]  # the THINLINE_* settings that reach the servers
    pid: int

    def cpu_seconds(self) -> float:
        """CPU the server process has used so far (all its threads)."""
        times = psutil.Process(self.pid).cpu_times()
        return times.user + times.system


@contextmanager
def served_elsewhere(factory: ServerFactory, *args: Any) -> Iterator[Served]:
    """Run ``factory(*args)`` in a child process until the block exits."""
    ours, theirs = SPAWN.Pipe()
    stop = SPAWN.Event()
    process = SPAWN.Process(target=_serve, args=(factory, args, theirs, stop), daemon=True)
    process.start()
    try:
        waited = 0
        while not ours.poll(1):
            waited += 1
            if not process.is_alive() or waited > READY_TIMEOUT_S:
                raise RuntimeError(f"server process failed to start (exit {process.exitcode})")
        yield Served(ours.recv(), process.pid)
    finally:
        stop.set()
        process.join(30)
        if process.is_alive():
            process.terminate()
            process.join()


def _serve(factory: ServerFactory, args: tuple[Any, ...], conn: Any, stop: Any) -> None:
    with factory(*args) as env:
        conn.send(env)
        stop.wait()


def run_elsewhere(function: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """``function(*args)`` in a fresh child process (its peak memory is its own)."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=SPAWN) as pool:
        return pool.submit(function, *args).result()


def peak_rss_mb() -> float:
    """This process's peak resident set (Linux VmHWM: the current image only, unlike ru_maxrss,
    which survives exec and so can report the parent's footprint in a spawned child)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1024 / 1024


def fastest_dbt_runs(
    url: str, target: Path, args: list[str], repeats: int, sources: list[str] | None = None
) -> dict[str, float]:
    """Each node's fastest seconds (by unique_id) over ``repeats`` runs of ``dbt <args>``, from
    the run_results.json dbt writes to ``target`` (its DBT_TARGET_PATH)."""
    best: dict[str, float] = {}
    for _ in range(repeats):
        run_dbt(args, url, sources=sources)
        for result in json.loads((target / "run_results.json").read_text())["results"]:
            node = result["unique_id"]
            best[node] = min(result["execution_time"], best.get(node, float("inf")))
    return best
