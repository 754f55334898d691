"""The benchmark company at two sizes: every published model's build time, and how it grows.

`python -m bench company` (THINLINE_HOME picks the embedded warehouse, started if needed and
stopped again if it was not running; THINLINE_WAREHOUSE_URL points at another server):

1. for each size (BENCH_COMPANY_SIZES, fractions of the full size; default 1/5 and full), a
   fresh database and the company (bench/company_data.py) generated in SQL into the raw
   tables of all five sources, as of END;
2. `dbt seed`, the benchmark's own quota rows loaded into the quotas seed table (the committed
   seed is the analysts' file for the demo), then, **timed**, `dbt build --exclude
   resource_type:seed`: every model, the snapshot, unit and data tests, as the nightly
   transform step runs it. Per-model seconds from dbt's run_results.json; each model's rows,
   and its input rows: the rows of the relations its SQL reads (its nearest tables, seeds,
   snapshot and sources, through views);
3. at the largest size, **the next night** (BENCH_COMPANY_NEXT_NIGHT=0 skips it): one more day
   merged into the raw tables (bench/company_data.py ``add_company_day``), the benchmark's
   quotas reloaded, the same build timed again, as a weekday night runs it (the tests that
   opt in read the rows it derived: dbt_project/macros/test_scope.sql): next night / full;
4. with BENCH_COMPANY_DAG=1, also the whole DAG after extract (raw checks, transform, mart
   checks, publish, report: thinline/pipeline.py's steps) on a second fresh database at the
   largest size, for the full night and the next one (its transform re-seeds quotas.csv).

Growth of a model = (seconds at the largest size / at the smallest) / (rows of its
fastest-growing input at the largest / at the smallest). Above GROWTH_LIMIT it is flagged, for
models that take at least BENCH_COMPANY_MIN_SECONDS at the largest size (below that, dbt's
fixed per-model cost hides any trend). The dbt project is copied once at the start and that
copy is built at every size (other work in the checkout cannot land between the sizes; the
optional whole-DAG run uses the checkout's).

Size: BENCH_COMPANY_DEALS / _CONTACTS / _TOUCHPOINTS / _REPS / _TEAMS / _AD_CAMPAIGNS set the
full size (defaults: issue 15's company); BENCH_COMPANY_SCALE multiplies it (0.02 for a
quick try). BENCH_COMPANY_PROJECT_DIR times another copy of dbt_project/;
BENCH_COMPANY_DATABASE names the scratch database (dropped and created; default bench_company).
BENCH_COMPANY_THREADS (default 1) and BENCH_COMPANY_STATEMENT_TIMEOUT (seconds, default none)
shape the timed build; BENCH_COMPANY_REUSE takes sizes already measured from an earlier
results JSON of the same dbt project (those of BENCH_COMPANY_REUSE_SIZES, default all).
The per-model table is also written as markdown to bench/results/company.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench.attribution import dbt_threads, server_facts
from bench.company_data import Size, add_company_day, load_company, load_company_quotas
from bench.harness import bench_database, run_elsewhere
from extract.registry import source_names
from quality.results import RESULTS_DDL
from thinline.conversions.ledger import ensure_ledger
from thinline.dbt import BUILD_SCHEMA, PROJECT_DIR, DbtError, dbt_env, vars_args

DATABASE = os.environ.get("BENCH_COMPANY_DATABASE", "bench_company")  # dropped and re-made
GROWTH_LIMIT = 1.5  # issue 15: a model's time may grow at most 1.5x as fast as its input
SOURCES = list(source_names())  # every registered source
BUILD = ["build", "--exclude", "resource_type:seed"]  # as thinline/pipeline.py's transform
RESULTS = Path(__file__).resolve().parent / "results"


def build_args() -> list[str]:
    """The timed build: one dbt thread by default (BENCH_COMPANY_THREADS), so a model's seconds
    are its own and not shared with whatever else dbt runs beside it on 2 cores."""
    return [*BUILD, "--threads", os.environ.get("BENCH_COMPANY_THREADS", "1")]


def statement_timeout_s() -> int:
    """BENCH_COMPANY_STATEMENT_TIMEOUT: seconds after which PostgreSQL cancels a model's
    statement (0: never), so one runaway model cannot eat the whole benchmark; such a model
    fails, is reported as timed out, and its children are skipped."""
    return int(os.environ.get("BENCH_COMPANY_STATEMENT_TIMEOUT", "0"))


def full_size() -> Size:
    """Issue 15's company, or the sizes set by BENCH_COMPANY_*, times BENCH_COMPANY_SCALE."""
    defaults = Size()
    size = Size(
        **{
            field.name: int(
                os.environ.get(f"BENCH_COMPANY_{field.name.upper()}", getattr(defaults, field.name))
            )
            for field in fields(Size)
        }
    )
    return size.scaled(float(os.environ.get("BENCH_COMPANY_SCALE", "1")))


def size_fractions() -> list[float]:
    return sorted(float(part) for part in os.environ.get("BENCH_COMPANY_SIZES", "0.2,1").split(","))


def project_dir() -> Path:
    """The dbt project timed: this checkout's, or BENCH_COMPANY_PROJECT_DIR (another copy)."""
    return Path(os.environ.get("BENCH_COMPANY_PROJECT_DIR", str(PROJECT_DIR)))


def freeze_project() -> dict[str, str]:
    """Copy the dbt project to a temp folder and time that copy at every size: edits made in
    the checkout while the benchmark runs (minutes to an hour) cannot land between the sizes.
    Returns where it came from and a digest of its files."""
    source = project_dir()
    frozen = Path(tempfile.mkdtemp(prefix="thinline-bench-company-project-")) / "dbt_project"
    shutil.copytree(source, frozen, ignore=shutil.ignore_patterns("target", "logs"))
    digest = hashlib.sha256()
    for path in sorted(frozen.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(frozen)).encode() + b"\0" + path.read_bytes())
    os.environ["BENCH_COMPANY_PROJECT_DIR"] = str(frozen)
    return {"copied_from": str(source), "sha256": digest.hexdigest()}


def run_dbt_measured(
    args: list[str],
    url: str,
    target: Path,
    tolerate_failures: bool = False,
    test_scope: str = "full",
) -> dict[str, Any]:
    """``dbt <args>`` with its output in ``target``: wall seconds, the dbt process's peak
    memory (its own, from wait4) and the machine's load around it. Raises DbtError on failure,
    unless ``tolerate_failures`` and dbt still wrote this run's run_results.json (a node
    failed or timed out: node_timings lists it). ``test_scope``: as the nightly run sets it
    (thinline/pipeline.py, raw_check_scope)."""
    project = project_dir()
    command = [
        str(Path(sys.executable).parent / "dbt"),
        *args,
        *vars_args(args),
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
    ]
    env = {
        **os.environ,
        **dbt_env(url, BUILD_SCHEMA, SOURCES),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # this run's run_results.json and logs, apart from any other dbt run in the checkout
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target / "logs"),
        "THINLINE_DBT_TEST_SCOPE": test_scope,
    }
    if statement_timeout_s():
        env["PGOPTIONS"] += f" -c statement_timeout={statement_timeout_s() * 1000}"
    log = target / f"dbt-{args[0]}.log"
    results = target / "run_results.json"
    results.unlink(missing_ok=True)
    load_before = os.getloadavg()
    started = time.perf_counter()
    with log.open("a") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0 and not (tolerate_failures and results.exists()):
        failing = [line for line in log.read_text().splitlines() if "ERROR" in line]
        raise DbtError(f"dbt {args[0]} failed (log {log}): " + "; ".join(failing[-5:]))
    return {
        "wall_s": round(seconds, 1),
        "exit_code": code,
        "dbt_peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        # other work on the machine inflates every time: the 1-minute load before, the
        # 1/5/15-minute loads after
        "load_average_1m_before": round(load_before[0], 2),
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
    }


def node_timings(target: Path) -> dict[str, Any]:
    """Per-node seconds and statuses of the last dbt run in ``target``."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    models = {
        result["unique_id"]: round(result["execution_time"], 3)
        for result in results
        if result["unique_id"].startswith(("model.", "snapshot."))
    }
    tests = [r for r in results if r["unique_id"].startswith(("test.", "unit_test."))]
    return {
        "models": models,
        "models_s_sum": round(sum(models.values()), 1),
        "tests": len(tests),
        "tests_s_sum": round(sum(r["execution_time"] for r in tests), 1),
        # a failed test skips its model's children: their times would be missing
        "not_passed": {
            r["unique_id"]: r["status"]
            for r in results
            if r["status"] not in ("success", "pass") and not r["unique_id"].startswith("exposure.")
        },
        "timed_out": sorted(
            r["unique_id"]
            for r in results
            if r["status"] == "error" and "statement timeout" in (r.get("message") or "")
        ),
    }


def inputs_of(manifest: dict[str, Any]) -> dict[str, list[str]]:
    """Each model's and snapshot's inputs: the relations its SQL reads once views are seen
    through (tables, incremental models, seeds, the snapshot, sources)."""
    nodes = {**manifest["nodes"], **manifest["sources"]}

    def reads(unique_id: str, seen: set[str]) -> set[str]:
        found: set[str] = set()
        for parent in nodes[unique_id].get("depends_on", {}).get("nodes", []):
            if parent in seen or parent not in nodes:
                continue
            seen.add(parent)
            node = nodes[parent]
            if node["resource_type"] == "model" and node["config"]["materialized"] in (
                "view",
                "ephemeral",
            ):
                found |= reads(parent, seen)
            else:
                found.add(parent)
        return found

    return {
        unique_id: sorted(reads(unique_id, set()))
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "snapshot")
    }


def relation_rows(url: str, manifest: dict[str, Any], unique_ids: set[str]) -> dict[str, int]:
    """Exact row counts of the relations named (nodes and sources) that exist, by unique id."""
    nodes = {**manifest["nodes"], **manifest["sources"]}
    rows = {}
    with psycopg.connect(url) as conn:
        for unique_id in sorted(unique_ids):
            node = nodes[unique_id]
            name = node["identifier"] if node["resource_type"] == "source" else node["alias"]
            relation = sql.Identifier(node["schema"], name)
            query = "select to_regclass(%s) is not null"
            if conn.execute(query, (relation.as_string(conn),)).fetchone()[0]:
                count = sql.SQL("select count(*) from {}").format(relation)
                rows[unique_id] = conn.execute(count).fetchone()[0]
    return rows


def measure_size(size: Size, next_night: bool) -> dict[str, Any]:
    """Load ``size`` into a fresh database, time the full build (and the next night's)."""
    target = Path(tempfile.mkdtemp(prefix="thinline-bench-company-"))
    with bench_database(DATABASE) as url:
        loaded = load_company(url, size)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(RESULTS_DDL)  # rpt_data_health reads ops.quality_results
            ensure_ledger(conn)  # rpt_conversion_sync's (as the nightly transform does)
        print(
            f"  loaded {sum(loaded['raw_rows'].values()):,} raw rows in {loaded['seconds']} s",
            flush=True,
        )
        run_dbt_measured(["seed"], url, target)
        quota_rows = load_company_quotas(url, size)
        full = {**run_dbt_measured(build_args(), url, target, True), **node_timings(target)}
        print(f"  full build: {full['wall_s']} s", flush=True)
        manifest = json.loads((target / "manifest.json").read_text())
        inputs = inputs_of(manifest)
        counted = set(inputs) | {parent for parents in inputs.values() for parent in parents}
        rows = relation_rows(url, manifest, counted)
        result: dict[str, Any] = {
            "size": asdict(size),
            "load": loaded,
            "quota_rows": quota_rows,
            "full": full,
            "rows": rows,
            "inputs": inputs,
            "published": sorted(
                unique_id
                for unique_id, node in manifest["nodes"].items()
                if node["resource_type"] == "model" and node["schema"] == BUILD_SCHEMA
            ),
            "database_mb_after_full": database_mb(url),
            "server": server_facts(url),
        }
        if next_night:
            day = add_company_day(url, size)
            load_company_quotas(url, size)
            # a weekday night: its tests read the rows it derived (Sunday's read every row)
            night = {
                **run_dbt_measured(build_args(), url, target, True, test_scope="batch"),
                **node_timings(target),
            }
            print(f"  next night: {night['wall_s']} s", flush=True)
            result["next_night"] = {
                "day": day,
                **night,
                "over_full": round(night["wall_s"] / full["wall_s"], 3),
                "database_mb": database_mb(url),
            }
    return result


def database_mb(url: str) -> int:
    with psycopg.connect(url) as conn:
        size = conn.execute("select pg_database_size(current_database())").fetchone()[0]
    return round(size / 2**20)


def growth(small: dict[str, Any], large: dict[str, Any], min_seconds: float) -> dict[str, Any]:
    """Every timed model's seconds at both sizes, its input rows' growth and its time's.

    A model's input growth is that of its fastest-growing input: a model linear in its deals
    that also reads the constant dim_dates grows as the deals do, not as the sum of both (the
    sum's ratio is kept too). A model cancelled by the statement timeout at the larger size
    took at least the timeout: its growth is a lower bound and it is flagged."""
    table = {}
    timed_out = set(large["full"].get("timed_out", []))
    for unique_id, seconds in large["full"]["models"].items():
        before = small["full"]["models"].get(unique_id)
        inputs = large["inputs"].get(unique_id, [])
        ratios = [
            large["rows"][parent] / small["rows"][parent]
            for parent in inputs
            if small["rows"].get(parent) and parent in large["rows"]
        ]
        input_large = sum(large["rows"].get(parent, 0) for parent in inputs)
        input_small = sum(small["rows"].get(parent, 0) for parent in inputs)
        time_ratio = seconds / before if before else None
        input_ratio = max(ratios) if ratios else None
        ratio = time_ratio / input_ratio if time_ratio and input_ratio else None
        slow_enough = seconds >= min_seconds or unique_id in timed_out
        table[unique_id.split(".")[-1]] = {
            "published": unique_id in large["published"],
            "seconds_small": before,
            "seconds_large": seconds,
            "timed_out": unique_id in timed_out,
            "rows_small": small["rows"].get(unique_id),
            "rows_large": large["rows"].get(unique_id),
            "input_rows_small": input_small,
            "input_rows_large": input_large,
            "time_ratio": round(time_ratio, 2) if time_ratio else None,
            "input_ratio": round(input_ratio, 2) if input_ratio else None,
            "input_sum_ratio": round(input_large / input_small, 2) if input_small else None,
            "growth": round(ratio, 2) if ratio else None,
            "flagged": bool(ratio and ratio > GROWTH_LIMIT and slow_enough),
        }
    return dict(sorted(table.items(), key=lambda item: -item[1]["seconds_large"]))


def whole_dag(size: Size) -> dict[str, Any]:
    """The nightly steps after extract on a fresh database: the full night, then the next."""
    with bench_database(DATABASE + "_dag") as url:
        load_company(url, size)
        full = run_elsewhere(timed_steps, url, "bench-company-full")
        add_company_day(url, size)
        night = run_elsewhere(timed_steps, url, "bench-company-next")
    return {
        "full": full,
        "next_night": night,
        "over_full": round(night["total_s"] / full["total_s"], 3),
    }


def timed_steps(url: str, run_id: str) -> dict[str, Any]:
    """thinline/pipeline.py's steps after extract, each timed (in a child process: settings
    come from its environment)."""
    from datetime import UTC, datetime, timedelta

    from extract.base import Window

    home = Path(tempfile.mkdtemp(prefix="thinline-bench-dag-"))
    os.environ.update(
        {
            "THINLINE_WAREHOUSE_URL": url,
            "THINLINE_HOME": str(home),
            "THINLINE_SOURCES": ",".join(SOURCES),
            "DBT_TARGET_PATH": str(home / "dbt-target"),
            "DBT_LOG_PATH": str(home / "dbt-logs"),
        }
    )
    from thinline import pipeline

    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    window = Window(end - timedelta(days=1), end)
    seconds: dict[str, float] = {}

    def timed(name: str, step: Any, *args: Any) -> Any:
        started = time.perf_counter()
        result = step(*args)
        seconds[name] = round(time.perf_counter() - started, 1)
        return result

    raw = timed("validate_raw", pipeline.validate_raw, run_id, SOURCES)
    timed("transform", pipeline.transform, run_id)
    marts = timed("validate_marts", pipeline.validate_marts, run_id)
    published = timed("publish", pipeline.publish_marts, run_id)
    timed("report", pipeline.write_summary, run_id, window, [], raw, marts, published)
    return {
        "steps_s": seconds,
        "total_s": round(sum(seconds.values()), 1),
        "checks": {"raw": raw, "marts": marts},
    }


def reusable_sizes(project_sha256: str) -> dict[str, Any]:
    """The sizes measured by an earlier run (BENCH_COMPANY_REUSE: its results JSON) of the same
    dbt project (same digest), each marked with where it came from: re-measure one size (e.g.
    on a quieter machine) without paying for the other again. Empty if unset or another
    project."""
    path = os.environ.get("BENCH_COMPANY_REUSE")
    if not path:
        return {}
    earlier = json.loads(Path(path).read_text())
    if earlier.get("dbt_project", {}).get("sha256") != project_sha256:
        print(f"  {path}: another dbt project, nothing reused", flush=True)
        return {}
    wanted = os.environ.get("BENCH_COMPANY_REUSE_SIZES")
    names = {str(float(part)) for part in wanted.split(",")} if wanted else set(earlier["sizes"])
    return {
        name: {**measured, "reused_from": measured.get("reused_from", path)}
        for name, measured in earlier["sizes"].items()
        if name in names
    }


def main() -> dict[str, Any]:
    full = full_size()
    fractions = size_fractions()
    min_seconds = float(os.environ.get("BENCH_COMPANY_MIN_SECONDS", "1.0"))
    next_night = os.environ.get("BENCH_COMPANY_NEXT_NIGHT", "1") != "0"
    load_average = round(os.getloadavg()[0], 2)
    started = time.perf_counter()
    project = freeze_project()
    reusable = reusable_sizes(project["sha256"])
    sizes = {}
    for fraction in fractions:
        size = full.scaled(fraction)
        print(f"size {fraction}: {size}", flush=True)
        wants_night = next_night and fraction == fractions[-1]
        earlier = reusable.get(str(fraction))
        if earlier and earlier["size"] == asdict(size) and wants_night <= ("next_night" in earlier):
            print("  measured before: reused", flush=True)
            sizes[str(fraction)] = earlier
        else:
            sizes[str(fraction)] = measure_size(size, wants_night)
    small, large = sizes[str(fractions[0])], sizes[str(fractions[-1])]
    models = growth(small, large, min_seconds) if len(fractions) > 1 else {}
    result: dict[str, Any] = {
        "benchmark": "benchmark company: full dbt build at two sizes, growth of every model, "
        "and the next night",
        "full_size": asdict(full),
        "fractions": fractions,
        "dbt_project": project,
        "machine": {
            "cpu_count": os.cpu_count(),
            "load_average_1m_at_start": load_average,
            "load_average_at_end": [round(value, 2) for value in os.getloadavg()],
            "profile_dbt_threads": dbt_threads(),
            "timed_build": build_args(),
            "statement_timeout_s": statement_timeout_s(),
            **large["server"],
        },
        "growth_limit": GROWTH_LIMIT,
        "min_seconds": min_seconds,
        "flagged": [name for name, row in models.items() if row["flagged"]],
        "models": models,
        "sizes": sizes,
    }
    if os.environ.get("BENCH_COMPANY_DAG", "0") == "1":
        result["whole_dag"] = whole_dag(full.scaled(fractions[-1]))
    result["seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "company.md").write_text(markdown(result) + "\n")
    return result


def markdown(result: dict[str, Any]) -> str:
    """A summary of a result: the sizes, the builds, and the per-model table (published models
    first; intermediate ones only if they take at least min_seconds)."""
    sizes = list(result["sizes"])
    small, large = result["sizes"][sizes[0]], result["sizes"][sizes[-1]]
    machine = result["machine"]
    lines = [
        "# Benchmark company: growth of every model (`python -m bench company`)",
        "",
        f"Sizes (fractions of {result['full_size']}): {sizes[0]} and {sizes[-1]}; "
        f"{machine['cpu_count']} cores, timed build `dbt {' '.join(machine['timed_build'])}`, "
        f"load average 1 min {machine['load_average_1m_at_start']} at start, "
        f"{machine['load_average_at_end']} at end. Full results: company.json.",
        "",
        "| size | deals | contacts | touchpoints | reps | teams | raw rows | load s | build s "
        "| load avg before build | |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name in sizes:
        one = result["sizes"][name]
        size = one["size"]
        lines.append(
            f"| {name} | {size['deals']:,} | {size['contacts']:,} | {size['touchpoints']:,} | "
            f"{size['reps']} | {size['teams']} | {sum(one['load']['raw_rows'].values()):,} | "
            f"{one['load']['seconds']} | {one['full']['wall_s']} | "
            f"{one['full'].get('load_average_1m_before')} | "
            f"{'measured by an earlier run' if one.get('reused_from') else ''} |"
        )
    lines += [
        "",
        f"Growth = time ratio / input ratio (the fastest-growing input's rows); above "
        f"{result['growth_limit']} at >= {result['min_seconds']} s a model is flagged "
        f"(issue 15: a defect). Flagged: {', '.join(result['flagged']) or 'none'}.",
    ]
    for label, one in (("smaller", small), ("larger", large)):
        if one["full"]["not_passed"]:
            lines.append(f"Not passed at the {label} size: {one['full']['not_passed']}.")
    lines += [
        "",
        f"| model | s at {sizes[0]} | s at {sizes[-1]} | rows at {sizes[-1]} | time x | "
        "input x | growth | |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    rows = sorted(result["models"].items(), key=lambda item: not item[1]["published"])
    for name, row in rows:
        if not row["published"] and row["seconds_large"] < result["min_seconds"]:
            continue  # views and small intermediate tables: nothing to see
        label = name if row["published"] else f"{name} (intermediate)"
        flag = "**defect**" if row["flagged"] else ""
        if row.get("timed_out"):
            flag += " (timed out: a lower bound)"
        lines.append(
            f"| {label} | {row['seconds_small']} | {row['seconds_large']} | "
            f"{row['rows_large']} | {row['time_ratio']} | {row['input_ratio']} | "
            f"{row['growth']} | {flag} |"
        )
    if "next_night" in large:
        night = large["next_night"]
        lines += [
            "",
            f"Next night at {sizes[-1]}: {night['wall_s']} s, {night['over_full']} x "
            "the full build.",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    # print the summary of the last results: python -m bench.company [results.json]
    default = RESULTS / "company.json"
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    print(markdown(json.loads(path.read_text())))
