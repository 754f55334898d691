"""Run dbt with Thinline's committed profile, wired to the warehouse URL."""

from __future__ import annotations

import logging
import os
import subprocess
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from thinline.processes import installed_script

log = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
BUILD_SCHEMA = "analytics_build"


# dbt commands that take --vars (dbt deps, clean, debug, init do not need them).
_TAKES_VARS = frozenset(
    {
        "build",
        "run",
        "seed",
        "test",
        "snapshot",
        "compile",
        "parse",
        "docs",
        "ls",
        "list",
        "run-operation",
        "show",
        "source",
        "retry",
        "clone",
    }
)


class DbtError(Exception):
    """dbt exited non-zero; the message holds the failing lines."""


def session_options(environ: dict[str, str] | None = None) -> str:
    """``PGOPTIONS`` for dbt's connections: memory for sorts and hashes sized for the machine.

    PostgreSQL's default ``work_mem`` (4 MB) makes the attribution models' sorts spill to disk;
    dbt runs 4 threads, each query a few sorts at once, so the budget is about a 128th of the
    machine's memory per operation, between 16 MB and 256 MB (192 MB on 24 GiB), and a 32nd
    for index builds (up to 1 GB). ``THINLINE_DBT_WORK_MEM`` (e.g. ``64MB``) overrides it;
    a ``PGOPTIONS`` already set is kept after ours, so it wins.

    JIT is off: compiling a model's large query took longer than running it (6.2 s against
    0.67 s for ``rpt_sales_rep_performance`` at demo scale 50, bench/results/sales_models.json),
    and a nightly build runs each query once."""
    env = dict(os.environ) if environ is None else environ
    total_mb = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20
    work_mem = env.get("THINLINE_DBT_WORK_MEM") or f"{min(max(total_mb // 128, 16), 256)}MB"
    maintenance = f"{min(max(total_mb // 32, 64), 1024)}MB"
    ours = f"-c work_mem={work_mem} -c maintenance_work_mem={maintenance} -c jit=off"
    return f"{ours} {env['PGOPTIONS']}" if env.get("PGOPTIONS") else ours


def vars_args(args: list[str]) -> list[str]:
    """``--vars`` from ``THINLINE_DBT_VARS`` (a YAML mapping, e.g. the deployment's
    ``custom_fields``) for every dbt command Thinline runs, unless the command names its own."""
    value = os.environ.get("THINLINE_DBT_VARS", "").strip()
    if not value or not args or args[0] not in _TAKES_VARS or "--vars" in args:
        return []
    return ["--vars", value]


def dbt_env(
    warehouse_url: str, schema: str = BUILD_SCHEMA, sources: list[str] | None = None
) -> dict[str, str]:
    """The ``THINLINE_PG_*`` variables ``dbt_project/profiles.yml`` reads, and the enabled
    sources (``THINLINE_SOURCES``) that ``dbt_project.yml`` builds."""
    parts = urlsplit(warehouse_url)
    enabled = {"THINLINE_SOURCES": ",".join(sources)} if sources is not None else {}
    return {
        **enabled,
        "THINLINE_PG_HOST": parts.hostname or "127.0.0.1",
        "THINLINE_PG_PORT": str(parts.port or 5432),
        "THINLINE_PG_USER": unquote(parts.username or ""),
        "THINLINE_PG_PASSWORD": unquote(parts.password or ""),
        "THINLINE_PG_DATABASE": parts.path.lstrip("/") or "postgres",
        "THINLINE_DBT_SCHEMA": schema,
        "PGOPTIONS": session_options(),
    }


def run_dbt(
    args: list[str],
    warehouse_url: str,
    schema: str = BUILD_SCHEMA,
    sources: list[str] | None = None,
    project: Path = PROJECT_DIR,
    as_of: date | None = None,
    test_scope: str | None = None,
    tested_since: datetime | None = None,
) -> str:
    """Run ``dbt <args>`` in a subprocess (on ``project``, a copy of the dbt project if not the
    checkout's); return its output or raise :class:`DbtError`. ``as_of``: the build's "today"
    (macros/as_of_date.sql), the run's day rather than the clock's. ``test_scope``: ``batch``
    tests only the rows derived since ``tested_since`` (else since this build began) where a
    test opts in (macros/test_scope.sql, thinline/tested.py); ``full`` or none, every row."""
    command = [
        installed_script("dbt"),
        *args,
        *vars_args(args),
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
    ]
    env = {
        **os.environ,
        **dbt_env(warehouse_url, schema, sources),
        **({"THINLINE_AS_OF_DATE": as_of.isoformat()} if as_of else {}),
        **({"THINLINE_DBT_TEST_SCOPE": test_scope} if test_scope else {}),
        **({"THINLINE_DBT_TESTED_SINCE": tested_since.isoformat()} if tested_since else {}),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    log.info("running dbt %s", " ".join(args))
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    for line in result.stdout.splitlines():
        log.info("dbt | %s", line)
    if result.returncode != 0:
        failing = [
            line
            for line in result.stdout.splitlines()
            if "ERROR" in line or "FAIL" in line or "Error" in line
        ]
        raise DbtError(
            f"dbt {args[0]} failed: " + ("; ".join(failing[-5:]) or result.stderr[-500:])
        )
    return result.stdout
