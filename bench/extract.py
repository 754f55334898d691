"""Extract+load throughput per source against a bare PostgreSQL ``COPY`` of the same rows.

One synthetic company (``sandbox``, demo scale 20) is served from memory by
``bench.static_pages`` in a child process: the stand-ins answer once (the recording run),
and every timed run gets the same pages as pre-rendered bytes, so the figures are Thinline's
own cost (HTTP, TLS, JSON, loader), not a stand-in's. For each source in
``extract.registry.source_names()`` that the sandbox serves, on one embedded PostgreSQL:

* extract+load: the real ``extract_source`` into a fresh database, over plain HTTP and over
  HTTPS (a self-signed certificate for 127.0.0.1 made at start, trusted via SSL_CERT_FILE);
* load only: the same rows, already in memory as the connectors hand them over (records
  with their JSON text), through the real loader (``load_stream``) into another fresh
  database, with the loader's own split of its time (:class:`extract.loader.LoadResult`);
* reload only: the same replay a second time into the tables the first filled (every row
  supersedes one): the merge's cost, which a first load into empty tables never pays;
* bare COPY: those rows exported with ``copy (select * from raw_x.y) to stdout`` and copied
  back with ``COPY ... FROM STDIN`` into empty tables of the same shape (same index).

Rows per second are rows landed over wall seconds; each timing is the median of REPEATS. CPU
seconds are counted too (this process, the page server, and PostgreSQL: the postmaster and
every backend, exited ones included), because on a shared machine wall time also measures the
neighbours. The target (issue 15): extract+load rows/s over bare COPY rows/s >= 0.5.
``recording_run_s`` is one extract with the stand-ins answering (what this benchmark timed
before the static pages: the stand-ins' own CPU included).
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psutil
import psycopg
from psycopg import sql

from bench import static_pages
from bench.harness import (
    ScratchWarehouse,
    Served,
    machine_facts,
    scratch_warehouse,
    served_elsewhere,
)
from extract.base import RawRow, Stream
from extract.http import raw_record
from extract.loader import ensure_ops, load_stream
from extract.registry import manifest, source_names
from extract.runner import extract_source, read_window
from sandbox import WorldConfig
from thinline.interval import day_window
from thinline.settings import Settings

SCALE, HISTORY_DAYS, DAY = 20.0, 120, date(2026, 3, 10)
ONLY = "BENCH_EXTRACT_SOURCES"  # e.g. hubspot,salesforce: measure only these (default: all)
REPEATS = 3
COPY_CHUNK = 1 << 20
TARGET = 0.5  # extract+load rows/s over bare COPY rows/s
LOADER_PARTS = ("prepare", "fetch_and_copy", "dedupe", "merge", "bookkeeping", "commit")


def main() -> dict[str, Any]:
    config = WorldConfig(seed=7, scale=SCALE, start=DAY - timedelta(HISTORY_DAYS), end=DAY)
    measured: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    print(f"extract: building the demo world (scale {SCALE:g}) in the server process", flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="thinline-bench-tls-") as folder,
        scratch_warehouse() as scratch,
    ):
        cert = static_pages.self_signed(Path(folder))
        with served_elsewhere(static_pages.serve_static, config, cert) as served:
            machine = machine_facts(scratch)
            for source in source_names():
                if os.environ.get(ONLY) and source not in os.environ[ONLY].split(","):
                    continue
                prefix = f"THINLINE_{source.upper()}__"
                if not any(name.startswith(prefix) for name in served.env):
                    skipped[source] = "no stand-in in sandbox.serve yet"
                else:
                    try:
                        measured[source] = measure(scratch, served, cert[0], source, config.start)
                        continue
                    except Exception as error:  # one source in the works must not sink the rest
                        skipped[source] = f"failed: {type(error).__name__}: {error}".splitlines()[0]
                print(f"extract: {source}: skipped ({skipped[source]})", flush=True)
    return {
        "benchmark": "extract: extract+load rows/s per source vs a bare COPY of the same rows",
        "machine": machine,
        "world": {"scale": SCALE, "history_days": HISTORY_DAYS, "end": DAY.isoformat()},
        "repeats": REPEATS,
        "target": f"extract+load rows/s / bare COPY rows/s >= {TARGET}",
        "method": (
            "The stand-ins (sandbox.serve) run behind bench/static_pages.py in a separate "
            "process: a first extract (the recording run, not timed) has them answer once; "
            "every timed run is served the recorded pages from memory (HTTP/1.1 keep-alive, "
            "a thread per connection, plain and TLS listeners on 127.0.0.1), so no stand-in "
            "code runs while timing. extract+load = the real extract_source into a fresh "
            "database (first load: the whole history), over HTTP and over HTTPS; load only = "
            "the landed rows, in memory as the connectors hand them over, through "
            "extract.loader.load_stream into empty tables; reload only = that replay again "
            "into the tables it filled (the merge paid: every row supersedes one); "
            "recording_run_s = the untimed-by-median first extract, stand-ins answering; "
            "bare COPY = the landed rows exported with COPY TO "
            "STDOUT and copied into empty tables of the same shape. The extractor, the page "
            "server and PostgreSQL share the machine's cores. cpu_s: this process, the page "
            "server, PostgreSQL (postmaster and all backends, exited ones included)."
        ),
        "sources": measured,
        "skipped": skipped,
        "summary": summary(measured),
    }


def measure(
    scratch: ScratchWarehouse, served: Served, cert_file: str, source: str, history_start: date
) -> dict[str, Any]:
    name = f"bench_extract_{source}"
    with environment(served.env):
        recorded = record(scratch, served, name, source, history_start)
        plain = timed_runs(scratch, served, name, source, history_start)
    with environment({**static_pages.over_tls(served.env), "SSL_CERT_FILE": cert_file}):
        tls = timed_runs(scratch, served, name, source, history_start)
        url = scratch.fresh_database(name)  # the landed rows the load-only and COPY runs use
        extract_source(source, source_settings(source), day_window(DAY), url, history_start)
    rows = plain["rows"]
    load = time_loader(scratch, source, url, history_start)
    reload = time_loader(scratch, source, url, history_start, into_loaded=True)
    copy = time_bare_copy(scratch, url, source)
    scratch.drop_database(name)
    copy_rate = rows / copy["wall_s"]
    result = {
        "rows": rows,
        "rows_per_entity": plain.pop("rows_per_entity"),
        "recording_run_s": recorded,
        "http": plain,
        "https": tls,
        "load_only": load,
        "reload_only": reload,
        "bare_copy": copy,
        "bare_copy_rows_per_s": round(copy_rate),
        "extract_load_over_copy_http": round(plain["rows_per_s"] / copy_rate, 2),
        "extract_load_over_copy_https": round(tls["rows_per_s"] / copy_rate, 2),
        "load_only_over_copy": round(load["rows_per_s"] / copy_rate, 2),
        "reload_only_over_copy": round(reload["rows_per_s"] / copy_rate, 2),
        "cpu_extract_load_over_copy_https": round(copy["cpu_s"] / tls["cpu_thinline_s"], 2),
        "load_average_1m": round(os.getloadavg()[0], 2),  # after this source: the neighbours
    }
    print(
        f"extract: {source}: {rows:,} rows; extract+load {plain['rows_per_s']:,} rows/s (HTTP), "
        f"{tls['rows_per_s']:,} (HTTPS); load only {load['rows_per_s']:,}; bare COPY "
        f"{round(copy_rate):,}; ratio {result['extract_load_over_copy_https']} (HTTPS)",
        flush=True,
    )
    return result


def record(
    scratch: ScratchWarehouse, served: Served, name: str, source: str, history_start: date
) -> float:
    """One extract through the proxies, so the stand-ins answer every page once."""
    url = scratch.fresh_database(name)
    started = time.perf_counter()
    extract_source(source, source_settings(source), day_window(DAY), url, history_start)
    return round(time.perf_counter() - started, 2)


def timed_runs(
    scratch: ScratchWarehouse, served: Served, name: str, source: str, history_start: date
) -> dict[str, Any]:
    """REPEATS extracts, every page from memory (a page the recording missed is an error)."""
    settings = source_settings(source)
    walls, cpus, servers, postgres = [], [], [], []
    forwarded = static_pages.counts(served.env)["forwarded"]
    for _ in range(REPEATS):
        url = scratch.fresh_database(name)
        server, database = served.cpu_seconds(), postgres_cpu(scratch)
        started, cpu = time.perf_counter(), time.process_time()
        summary = extract_source(source, settings, day_window(DAY), url, history_start)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        servers.append(served.cpu_seconds() - server)
        postgres.append(postgres_cpu(scratch) - database)
    if static_pages.counts(served.env)["forwarded"] != forwarded:
        raise RuntimeError(
            "a timed run asked the stand-ins: its requests differ from the recording"
        )
    wall, cpu, server, database = map(statistics.median, (walls, cpus, servers, postgres))
    return {
        "rows": summary.total_rows,
        "rows_per_entity": summary.rows,
        "wall_s": round(wall, 3),
        "runs_s": [round(run, 3) for run in walls],
        "rows_per_s": round(summary.total_rows / wall),
        "extractor_cpu_s": round(cpu, 3),
        "postgres_cpu_s": round(database, 3),
        "page_server_cpu_s": round(server, 3),
        "cpu_thinline_s": round(cpu + database, 3),  # the page server is the stand-in's share
    }


def time_loader(
    scratch: ScratchWarehouse,
    source: str,
    landed_url: str,
    history_start: date,
    into_loaded: bool = False,
) -> dict[str, Any]:
    """Replay the landed rows through the real loader, from memory (no HTTP). First loads
    find empty tables (no merge to do); ``into_loaded`` times a second load of the same rows
    into the tables the first (untimed) filled: every row supersedes one, every restated day
    and snapshot is re-read, so the merge (de-duplication, delete, snapshot marks) is paid."""
    streams = manifest(source).build_connector(source_settings(source)).streams()
    with psycopg.connect(landed_url) as conn:
        rows = {stream.entity: read_landed(conn, source, stream) for stream in streams}
    count = sum(map(len, rows.values()))
    interval = day_window(DAY)
    walls: list[float] = []
    parts: list[dict[str, float]] = []
    for _ in range(REPEATS):
        url = scratch.fresh_database(f"bench_load_{source}")
        with psycopg.connect(url, autocommit=True) as conn:
            ensure_ops(conn)
            for timed in (False, True) if into_loaded else (True,):
                seconds = dict.fromkeys(LOADER_PARTS, 0.0)
                started = time.perf_counter()
                for stream in streams:
                    replay = dataclasses.replace(
                        stream, fetch=lambda _, landed=rows[stream.entity]: iter(landed)
                    )
                    window = read_window(stream, None, interval, history_start)
                    result = load_stream(conn, source, replay, window, uuid.uuid4().hex)
                    for part, spent in result.seconds.items():
                        seconds[part] += spent
                if timed:
                    walls.append(time.perf_counter() - started)
                    parts.append(seconds)
    scratch.drop_database(f"bench_load_{source}")
    wall = statistics.median(walls)
    split = {part: statistics.median(run[part] for run in parts) for part in LOADER_PARTS}
    total = sum(split.values())
    return {
        "wall_s": round(wall, 3),
        "rows_per_s": round(count / wall),
        "parts_s": {part: round(spent, 3) for part, spent in split.items()},
        "parts_share": {part: round(spent / total, 2) for part, spent in split.items()},
    }


def read_landed(conn: psycopg.Connection, source: str, stream: Stream) -> list[RawRow]:
    """The landed rows as the connectors hand them over: records with their JSON text."""
    keys = sql.SQL(", ").join(map(sql.Identifier, stream.key_columns))
    query = sql.SQL("select {}, record::text, is_deleted from {}").format(
        keys, sql.Identifier(f"raw_{source}", stream.entity)
    )
    width = len(stream.key_columns)
    return [
        RawRow(tuple(row[:width]), raw_record(json.loads(row[width]), row[width]), row[width + 1])
        for row in conn.execute(query)
    ]


def time_bare_copy(scratch: ScratchWarehouse, url: str, source: str) -> dict[str, Any]:
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
        rows = 0
        for table in tables:
            with open(os.path.join(folder, table), "wb") as out, conn.cursor() as cursor:
                statement = sql.SQL("copy (select * from {}) to stdout").format(
                    sql.Identifier(schema, table)
                )
                with cursor.copy(statement) as copy:
                    for data in copy:
                        out.write(data)
                rows += cursor.rowcount
        conn.execute("create schema if not exists bench_copy")
        walls, cpus = [], []
        for _ in range(REPEATS):
            wall = cpu = 0.0
            for table in tables:
                target = sql.Identifier("bench_copy", table)
                conn.execute(sql.SQL("drop table if exists {}").format(target))
                conn.execute(
                    sql.SQL("create table {} (like {} including all)").format(
                        target, sql.Identifier(schema, table)
                    )
                )
                with open(os.path.join(folder, table), "rb") as data, conn.cursor() as cursor:
                    database, started = postgres_cpu(scratch), time.perf_counter()
                    process = time.process_time()
                    with cursor.copy(sql.SQL("copy {} from stdin").format(target)) as copy:
                        while chunk := data.read(COPY_CHUNK):
                            copy.write(chunk)
                    wall += time.perf_counter() - started
                    cpu += time.process_time() - process + postgres_cpu(scratch) - database
            walls.append(wall)
            cpus.append(cpu)
    wall = statistics.median(walls)
    return {
        "wall_s": round(wall, 3),
        "runs_s": [round(run, 3) for run in walls],
        "cpu_s": round(statistics.median(cpus), 3),
        "rows": rows,
    }


def summary(measured: dict[str, Any]) -> dict[str, Any]:
    """Every source's ratio against the target, and the loader's split over all sources."""
    if not measured:
        return {}
    https = {source: result["extract_load_over_copy_https"] for source, result in measured.items()}
    return {
        "extract_load_over_copy_https": https,
        "extract_load_over_copy_http": {
            source: result["extract_load_over_copy_http"] for source, result in measured.items()
        },
        "cpu_extract_load_over_copy_https": {
            source: result["cpu_extract_load_over_copy_https"]
            for source, result in measured.items()
        },
        "sources_meeting_target": sorted(
            source for source, ratio in https.items() if ratio >= TARGET
        ),
        "loader_parts_share_all_sources": shares(measured, "load_only"),
        "reload_parts_share_all_sources": shares(measured, "reload_only"),
    }


def shares(measured: dict[str, Any], run: str) -> dict[str, float]:
    """Each part's share of ``run``'s loader time, over all sources."""
    parts = {
        part: sum(result[run]["parts_s"][part] for result in measured.values())
        for part in LOADER_PARTS
    }
    total = sum(parts.values()) or 1.0
    return {part: round(spent / total, 2) for part, spent in parts.items()}


def source_settings(source: str) -> Any:
    return getattr(Settings(), source)


def postgres_cpu(scratch: ScratchWarehouse) -> float:
    """CPU seconds PostgreSQL has used: the postmaster, its live processes and (counted in
    the postmaster's children times once reaped) every backend that has exited."""
    postmaster = psutil.Process(scratch.warehouse.status().pid)
    total = 0.0
    for child in postmaster.children():  # first: one reaped meanwhile is counted twice, not lost
        try:
            times = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    times = postmaster.cpu_times()
    return total + times.user + times.system + times.children_user + times.children_system


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in ``os.environ`` for the block (settings and the TLS trust are read there)."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
