"""Shared fixtures: a real embedded PostgreSQL for the session, a fresh database per test.

`make test` must pass on a machine with nothing but Python, so tests use the embedded
warehouse; the machine's PostgreSQL 15 is used only by the compatibility test.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from thinline.warehouse import EmbeddedWarehouse

# Airflow reads its config on first import: give the test session its own home (each
# `pytest -n` worker its own: a worker inherits the controller's environment).
if os.environ.get("PYTEST_XDIST_WORKER") or "AIRFLOW_HOME" not in os.environ:
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="thinline-airflow-")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

# Under `make test` (pytest -n 2 --dist loadgroup) each group runs on one worker, in order:
# the readers of the shared published company with the tests that change it afterwards, the
# users of the machine's PostgreSQL 15 (one cluster, whose roles are shared), and otherwise
# each module (its module-scoped fixtures are built once).
SHARED_FIXTURE_GROUPS = {"published_company": "published_company", "pg15_database": "pg15"}


def xdist_group_of(item: pytest.Item) -> str:
    if marker := item.get_closest_marker("xdist_group"):
        return str(marker.args[0])
    for fixture, group in SHARED_FIXTURE_GROUPS.items():
        if fixture in getattr(item, "fixturenames", ()):
            return group
    return item.nodeid.split("::")[0]


def pytest_itemcollected(item: pytest.Item) -> None:
    """Give every test its worker group (as it is collected: xdist reads the groups in its own
    pytest_collection_modifyitems)."""
    if not item.get_closest_marker("xdist_group"):
        item.add_marker(pytest.mark.xdist_group(xdist_group_of(item)))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Whole groups are ordered, never the tests inside one: the shared groups first, then the
    groups holding an integration test, so the short ones fill the workers' last minutes.
    Inside a group, the tests that change the shared company run after its readers."""
    shared_first = list(SHARED_FIXTURE_GROUPS.values())
    groups = {item.nodeid: xdist_group_of(item) for item in items}
    long_groups = {groups[item.nodeid] for item in items if item.get_closest_marker("integration")}

    def rank(item: pytest.Item) -> tuple[int, bool, bool]:
        group = groups[item.nodeid]
        shared = shared_first.index(group) if group in shared_first else len(shared_first)
        changes = item.get_closest_marker("changes_shared_run") is not None
        return shared, group not in long_groups, changes

    items.sort(key=rank)


@pytest.fixture(scope="session")
def embedded_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedWarehouse]:
    warehouse = EmbeddedWarehouse(tmp_path_factory.mktemp("thinline-home"))
    warehouse.start()
    yield warehouse
    warehouse.stop()


def create_database(server_url: str) -> str:
    """Create an empty database on the server of ``server_url``; return its URL."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str) -> None:
    server_url, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def fresh_database(embedded_warehouse: EmbeddedWarehouse) -> Iterator[str]:
    """URL of a new, empty database on the embedded warehouse."""
    url = create_database(embedded_warehouse.url())
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def run_cli(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a command as a user would: no THINLINE_* settings but ``env``, state in ``home``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("THINLINE_")}
    return subprocess.run(
        list(args),
        env={**clean, "THINLINE_HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single ``error: ...`` line a failed command must print on stderr."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def waiting_sessions(url: str, expected: int, patience_s: float) -> int:
    """Sessions of the database waiting on a lock, once ``expected`` wait or time is up."""
    deadline = time.monotonic() + patience_s
    while True:
        with psycopg.connect(url, autocommit=True) as conn:
            waiting = conn.execute(
                "select count(*) from pg_stat_activity "
                "where datname = current_database() and wait_event_type = 'Lock'"
            ).fetchone()[0]
        if waiting >= expected or time.monotonic() > deadline:
            return waiting
        time.sleep(0.05)
