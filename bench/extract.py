"""Extract+load throughput per source against a bare PostgreSQL ``COPY`` of the same rows.

One synthetic company (``sandbox``) is served by the stand-ins in a child process. For each
source in ``extract.registry.SOURCES`` that the sandbox serves, three timings on one
embedded PostgreSQL:

* extract+load: the real ``extract_source`` (HTTP, parsing, loader) into a fresh database;
* load only: the same rows, already in memory, through the real loader (``load_stream``) into
  another fresh database, which shows how much of the time is the loader's;
* bare COPY: those rows exported with ``copy (select * from raw_x.y) to stdout`` and copied
  back with ``COPY ... FROM STDIN`` into empty tables of the same shape (same index).

Rows per second are rows landed over wall seconds; each timing is the median of REPEATS.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import psycopg
from psycopg import sql

from bench.harness import (
    ScratchWarehouse,
    Served,
    machine_facts,
    scratch_warehouse,
    served_elsewhere,
)
from extract.base import RawRow, Stream, Window
from extract.loader import ensure_ops, load_stream
from extract.registry import SOURCES
from extract.runner import extract_source, read_window
from sandbox import WorldConfig, build_world, serve
from thinline.interval import day_window
from thinline.settings import Settings

SCALE, HISTORY_DAYS, DAY = 20.0, 120, date(2026, 3, 10)
REPEATS = 3
COPY_CHUNK = 1 << 20


@contextmanager
def serve_world(config: WorldConfig) -> Iterator[dict[str, str]]:
    """Every stand-in ``sandbox.serve`` has, for one world (runs in the server process)."""
    with serve(build_world(config)) as sources:
        yield sources.env


def main() -> dict[str, Any]:
    config = WorldConfig(seed=7, scale=SCALE, start=DAY - timedelta(HISTORY_DAYS), end=DAY)
    measured: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    print(f"extract: building the demo world (scale {SCALE:g}) in the server process", flush=True)
    with scratch_warehouse() as scratch, served_elsewhere(serve_world, config) as served:
        machine = machine_facts(scratch)
        env = served.env
        os.environ.update(env)
        settings = Settings()
        for source in SOURCES:
            source_settings = getattr(settings, source, None)
            if not any(name.startswith(f"THINLINE_{source.upper()}__") for name in env):
                skipped[source] = "no stand-in in sandbox.serve yet"
            elif source_settings is None:
                skipped[source] = "no settings in thinline.settings.Settings yet"
            else:
                try:
                    measured[source] = measure(
                        scratch, served, source, source_settings, config.start
                    )
                    continue
                except Exception as error:  # one source in the works must not sink the rest
                    skipped[source] = f"failed: {type(error).__name__}: {error}".splitlines()[0]
            print(f"extract: {source}: skipped ({skipped[source]})", flush=True)
    return {
        "benchmark": "extract: extract+load rows/s per source vs a bare COPY of the same rows",
        "machine": machine,
        "world": {"scale": SCALE, "history_days": HISTORY_DAYS, "end": DAY.isoformat()},
        "repeats": REPEATS,
        "method": (
            "Stand-in servers (sandbox.serve) run in a separate process; the extractor, the "
            "servers and PostgreSQL share the machine's cores. extract+load = the real "
            "extract_source into a fresh database (first load: the whole history); load only "
            "= the same rows from memory through extract.loader.load_stream; bare COPY = the "
            "landed rows exported with COPY TO STDOUT and copied into empty tables of the same "
            "shape. Stand-ins answer at once (no network, no rate limits), so a real API's "
            "latency and quotas, not these numbers, bound a real extract."
        ),
        "sources": measured,
        "skipped": skipped,
    }


def measure(
    scratch: ScratchWarehouse, served: Served, source: str, settings: Any, history_start: date
) -> dict[str, Any]:
    interval = day_window(DAY)
    runs, cpu_runs, server_cpu_runs = [], [], []
    for attempt in range(REPEATS):
        url = scratch.fresh_database(f"bench_extract_{source}")
        server_cpu = served.cpu_seconds()
        started, cpu = time.perf_counter(), time.process_time()
        summary = extract_source(source, settings, interval, url, history_start)
        runs.append(time.perf_counter() - started)
        cpu_runs.append(time.process_time() - cpu)
        server_cpu_runs.append(served.cpu_seconds() - server_cpu)
        print(
            f"extract: {source}: run {attempt + 1}: {summary.total_rows:,} rows "
            f"in {runs[-1]:.1f} s",
            flush=True,
        )
    rows = summary.total_rows
    load_runs = time_loader(scratch, source, settings, url, interval, history_start)
    copy_runs = time_bare_copy(url, source)
    extract_s, load_s, copy_s, cpu_s, server_cpu_s = map(
        statistics.median, (runs, load_runs, copy_runs, cpu_runs, server_cpu_runs)
    )
    result = {
        "rows": rows,
        "rows_per_entity": summary.rows,
        "extract_load_s": round(extract_s, 2),
        "extract_load_runs_s": [round(r, 2) for r in runs],
        "extractor_cpu_s": round(cpu_s, 2),
        "stand_in_cpu_s": round(server_cpu_s, 2),
        "load_only_s": round(load_s, 2),
        "bare_copy_s": round(copy_s, 3),
        "extract_load_rows_per_s": round(rows / extract_s),
        "extract_load_rows_per_extractor_cpu_s": round(rows / cpu_s),
        "load_only_rows_per_s": round(rows / load_s),
        "bare_copy_rows_per_s": round(rows / copy_s),
        "copy_over_extract_load": round(extract_s / copy_s, 1),
        "copy_over_load_only": round(load_s / copy_s, 1),
    }
    print(
        f"extract: {source}: {result['extract_load_rows_per_s']:,} rows/s extract+load, "
        f"{result['load_only_rows_per_s']:,} load only, {result['bare_copy_rows_per_s']:,} "
        f"bare COPY (COPY is {result['copy_over_extract_load']}x faster)",
        flush=True,
    )
    return result


def time_loader(
    scratch: ScratchWarehouse,
    source: str,
    settings: Any,
    landed_url: str,
    interval: Window,
    history_start: date,
) -> list[float]:
    """Replay the landed rows through the real loader, from memory (no HTTP)."""
    streams = SOURCES[source](settings).streams()
    with psycopg.connect(landed_url) as conn:
        rows = {stream.entity: read_landed(conn, source, stream) for stream in streams}
    runs = []
    for _ in range(REPEATS):
        url = scratch.fresh_database(f"bench_load_{source}")
        with psycopg.connect(url, autocommit=True) as conn:
            ensure_ops(conn)
            started = time.perf_counter()
            for stream in streams:
                replay = dataclasses.replace(
                    stream, fetch=lambda _, landed=rows[stream.entity]: iter(landed)
                )
                window = read_window(stream, None, interval, history_start)
                load_stream(conn, source, replay, window, uuid.uuid4().hex)
            runs.append(time.perf_counter() - started)
    scratch.drop_database(f"bench_load_{source}")
    return runs


def read_landed(conn: psycopg.Connection, source: str, stream: Stream) -> list[RawRow]:
    keys = sql.SQL(", ").join(map(sql.Identifier, stream.key_columns))
    query = sql.SQL("select {}, record, is_deleted from {}").format(
        keys, sql.Identifier(f"raw_{source}", stream.entity)
    )
    width = len(stream.key_columns)
    return [RawRow(tuple(row[:width]), row[width], row[width + 1]) for row in conn.execute(query)]


def time_bare_copy(url: str, source: str) -> list[float]:
    """Export every raw table once, then time COPY FROM STDIN into empty copies of them."""
    schema = f"raw_{source}"
    with psycopg.connect(url, autocommit=True) as conn, tempfile.TemporaryDirectory() as folder:
        tables = [
            name
            for (name,) in conn.execute(
                "select table_name from information_schema.tables where table_schema = %s",
                (schema,),
            )
        ]
        for table in tables:
            with open(os.path.join(folder, table), "wb") as out, conn.cursor() as cursor:
                statement = sql.SQL("copy (select * from {}) to stdout").format(
                    sql.Identifier(schema, table)
                )
                with cursor.copy(statement) as copy:
                    for data in copy:
                        out.write(data)
        conn.execute("create schema if not exists bench_copy")
        runs = []
        for _ in range(REPEATS):
            elapsed = 0.0
            for table in tables:
                target = sql.Identifier("bench_copy", table)
                conn.execute(sql.SQL("drop table if exists {}").format(target))
                conn.execute(
                    sql.SQL("create table {} (like {} including all)").format(
                        target, sql.Identifier(schema, table)
                    )
                )
                with open(os.path.join(folder, table), "rb") as data, conn.cursor() as cursor:
                    started = time.perf_counter()
                    with cursor.copy(sql.SQL("copy {} from stdin").format(target)) as copy:
                        while chunk := data.read(COPY_CHUNK):
                            copy.write(chunk)
                    elapsed += time.perf_counter() - started
            runs.append(elapsed)
    return runs
