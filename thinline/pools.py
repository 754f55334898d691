"""The Airflow pools of the extracts: ``thinline_<source>`` per enabled source, with
``THINLINE_<SOURCE>__PARALLEL_ACCOUNTS`` slots (default 4).

A pool's slots hold across every DAG run and every worker, so a platform's rate limits hold
however many accounts, backfills and workers there are. The nightly puts its extract tasks in
them only with ``THINLINE_USE_POOLS`` (a task in a pool that does not exist never runs):
``thinline airflow`` turns it on and creates the pools; the compose file turns it on and its
``airflow-pools`` service creates them (deploy/airflow/create_pools.py); elsewhere, run
``thinline pools > pools.json && airflow pools import pools.json`` once (and again when the
slots change).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from extract.base import ConfigError
from thinline.dag_support import parallel_accounts

POOLS_FILE = "thinline-pools.json"


def extract_pools(sources: list[str], environ: Mapping[str, str] = os.environ) -> dict:
    """``airflow pools import``'s document for ``sources``."""
    return {
        f"thinline_{source}": {
            "slots": parallel_accounts(source, environ),
            "description": f"{source} accounts extracted at once "
            f"(THINLINE_{source.upper()}__PARALLEL_ACCOUNTS)",
            "include_deferred": False,
        }
        for source in sources
    }


def enabled(env: Mapping[str, str]) -> list[str]:
    """``env``'s THINLINE_SOURCES as names (``all``: every registered source)."""
    from extract.registry import expand

    return expand(env.get("THINLINE_SOURCES", ""))


def import_pools(airflow: str, env: Mapping[str, str]) -> None:
    """Create or update the pools of ``env``'s THINLINE_SOURCES in ``env``'s Airflow."""
    sources = enabled(env)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / POOLS_FILE
        path.write_text(json.dumps(extract_pools(sources, env), indent=2))
        done = subprocess.run(
            [airflow, "pools", "import", str(path)],
            env=dict(env),
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
        raise ConfigError(f"airflow pools import failed: {lines[-1]}")
