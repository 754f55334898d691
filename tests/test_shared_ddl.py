"""Shared DDL is safe when tasks (or dbt commands) run side by side on a fresh warehouse
(issue 21's ``UniqueViolation … Key (nspname)=(ops)``, hidden by a retry on the scheduler).

The race is made certain, not left to timing: one task creates the ops tables and a raw
schema in a transaction it holds open until every other task is waiting on it; then it
commits. Without a lock the waiting ``create … if not exists`` statements fail the moment it
commits. Nothing is retried here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg import sql

from extract.base import LoadMode, RawRow, Stream, Window, midnight
from extract.loader import OPS_DDL_VERSION, _ensure_table, ensure_ops, load_stream
from quality.results import RuleResult, write_results
from tests.conftest import waiting_sessions
from thinline.dbt import run_dbt
from thinline.dependents import ensure_registry
from thinline.run_lock import task_lock

DAY = date(2026, 3, 10)
WINDOW = Window(midnight(DAY), midnight(DAY + timedelta(days=1)))


def _stream(entity: str) -> Stream:
    one_row = [RawRow((1,), {})]
    return Stream(entity, {"thing_id": "bigint"}, LoadMode.MERGE, lambda _: iter(one_row))


def _load(url: str, entity: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_ops(conn)
        load_stream(conn, "demo", _stream(entity), WINDOW, batch_id=f"batch-{entity}")


def _tasks(url: str) -> dict[str, Callable[[], None]]:
    """What parallel extract tasks do first on a fresh warehouse, each on its own connection."""

    def with_conn(step: Callable[[psycopg.Connection], None]) -> Callable[[], None]:
        def run() -> None:
            with psycopg.connect(url, autocommit=True) as conn:
                step(conn)

        return run

    def lock_a_task() -> None:
        with task_lock(url, "extract_demo of the test"):
            pass

    result = RuleResult("preflight_demo", "demo", "PRE-001", "check", "warning", passed=True)
    return {
        "ops": with_conn(ensure_ops),
        "registry": with_conn(ensure_registry),
        "quality results": lambda: write_results(url, "run-1", datetime.now(UTC), [result]),
        "run lock": lock_a_task,
        "raw things": lambda: _load(url, "things"),
        "raw others": lambda: _load(url, "others"),
    }


def test_tasks_that_start_together_on_a_fresh_warehouse_all_succeed(fresh_database: str) -> None:
    tasks = _tasks(fresh_database)
    errors: dict[str, BaseException] = {}

    def run(name: str, task: Callable[[], None]) -> None:
        try:
            task()
        except BaseException as error:  # reported by the assertion below
            errors[name] = error

    with psycopg.connect(fresh_database) as first, first.transaction():
        # the first task is half-way through creating what everyone needs
        ensure_ops(first)
        _ensure_table(first, "raw_demo", _stream("things"))
        threads = [threading.Thread(target=run, args=item) for item in tasks.items()]
        for thread in threads:
            thread.start()
        waiting = waiting_sessions(fresh_database, len(threads), patience_s=20)
    # the first task has committed
    for thread in threads:
        thread.join(timeout=60)

    assert waiting == len(threads), "every task should have waited for the first one's DDL"
    assert not errors, {name: f"{type(e).__name__}: {e}" for name, e in errors.items()}
    with psycopg.connect(fresh_database) as conn:
        loaded = conn.execute(
            "select (select count(*) from raw_demo.things), "
            "(select count(*) from raw_demo.others), "
            "(select count(*) from ops.quality_results where run_id = 'run-1'), "
            "(select count(*) from ops.run_lock)"
        ).fetchone()
    assert loaded == (1, 1, 1, 1)


def test_a_task_starting_while_another_loads_does_not_wait_for_it(fresh_database: str) -> None:
    """ops exists; another task's load is open (it wrote its ops.load_batches row, not yet
    committed). A starting task's ensure_ops must not queue behind that load: `create index if
    not exists` and `alter table … add column if not exists` lock the table even when there is
    nothing to do."""
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        ensure_ops(conn)
    with psycopg.connect(fresh_database) as loading, loading.transaction():
        loading.execute(
            "insert into ops.load_batches (batch_id, source, entity, load_mode, window_start,"
            " window_end, row_count, deleted_count) values ('open', 'demo', 'things', 'merge',"
            " now(), now(), 0, 0)"
        )
        with psycopg.connect(fresh_database, autocommit=True) as starting:
            starting.execute("set lock_timeout = '2s'")
            ensure_ops(starting)  # raises LockNotAvailable if it waits


def test_a_task_that_waited_for_the_ops_ddl_does_not_run_it_again(fresh_database: str) -> None:
    """A task waits while another upgrades ops; a load starts once the upgrade has committed
    and holds its rows in ops.load_batches. The waiting task, now holding the DDL lock, must
    find the upgrade done, not run its own copy: that copy's `create index` would queue behind
    the load (which, wanting a table the copy locked first, made the deadlock CI saw)."""
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        ensure_ops(conn)
        conn.execute("comment on table ops.load_batches is 'an older Thinline'")
    finished = threading.Event()

    def waiting_task() -> None:
        with psycopg.connect(fresh_database, autocommit=True) as conn:
            ensure_ops(conn)
        finished.set()

    with (
        psycopg.connect(fresh_database) as loading,
        psycopg.connect(fresh_database) as upgrading,
    ):
        with upgrading.transaction():  # the upgrade is done but not yet committed
            upgrading.execute("select pg_advisory_xact_lock(hashtextextended('ddl:ops', 0))")
            upgrading.execute(
                sql.SQL("comment on table ops.load_batches is {}").format(
                    sql.Literal(OPS_DDL_VERSION)
                )
            )
            waiter = threading.Thread(target=waiting_task)
            waiter.start()
            assert waiting_sessions(fresh_database, 1, patience_s=20) == 1
            loading.execute(  # a load that began after the upgrade, as far as it can see
                "insert into ops.load_batches (batch_id, source, entity, load_mode,"
                " window_start, window_end, row_count, deleted_count) values ('open', 'demo',"
                " 'things', 'merge', now(), now(), 0, 0)"
            )
        done_while_loading = finished.wait(timeout=10)
        loading.rollback()
        waiter.join(timeout=60)
    assert done_while_loading, "the waiting task re-ran the ops DDL behind an open load"


class _Recording(psycopg.Connection):
    """A connection that remembers the statements it ran."""

    statements: list[str]

    def execute(self, query, params=None, **kwargs):  # type: ignore[no-untyped-def, override]
        self.__dict__.setdefault("statements", []).append(
            query.as_string(self) if isinstance(query, sql.Composable) else str(query)
        )
        return super().execute(query, params, **kwargs)


def test_a_task_that_waited_on_a_fresh_warehouse_finds_the_ddl_done(fresh_database: str) -> None:
    """On a fresh warehouse a task looks for ops and a raw table, finds neither, and waits for
    the task creating them. Once that commits it must see them, not run its own copy. (A
    session's cached "no schema ops" outlives an advisory-lock wait, so `to_regclass` still
    said NULL; the copy's `create index` then deadlocked with a load, as CI saw.)"""
    stream = _stream("things")
    statements: dict[str, list[str]] = {}

    def waiting_task() -> None:
        with _Recording.connect(fresh_database, autocommit=True) as conn:
            ensure_ops(conn)
            with conn.transaction():
                _ensure_table(conn, "raw_demo", stream)
            statements["waiter"] = conn.statements

    with psycopg.connect(fresh_database) as first, first.transaction():
        ensure_ops(first)
        _ensure_table(first, "raw_demo", stream)
        waiter = threading.Thread(target=waiting_task)
        waiter.start()
        assert waiting_sessions(fresh_database, 1, patience_s=20) == 1
    waiter.join(timeout=60)

    ddl = [s for s in statements["waiter"] if s.lstrip().startswith(("create", "alter", "comment"))]
    assert "waiter" in statements and ddl == []


def test_dbt_waits_for_a_concurrent_install_of_the_markov_functions(fresh_database: str) -> None:
    """Another dbt command is half-way through its on-run-start hook (schema created, one
    function replaced, not committed) when a second starts: the second waits, then succeeds
    and installs the real functions."""
    outcome: dict[str, BaseException | str] = {}

    def seed() -> None:
        try:
            outcome["output"] = run_dbt(["seed", "--select", "channel_mapping"], fresh_database)
        except BaseException as error:  # reported by the assertion below
            outcome["error"] = error

    with psycopg.connect(fresh_database) as first, first.transaction():
        first.execute("select pg_advisory_xact_lock(hashtextextended('ddl:thinline_functions', 0))")
        first.execute("create schema thinline_functions")
        first.execute(
            "create function thinline_functions.markov_decimal(numeric, numeric) returns numeric"
            " language sql as 'select 0'"
        )
        second = threading.Thread(target=seed)
        second.start()
        waited = waiting_sessions(fresh_database, 1, patience_s=120)
    second.join(timeout=300)

    assert waited == 1, "the second dbt command should wait for the first one's hook"
    assert "error" not in outcome, outcome.get("error")
    with psycopg.connect(fresh_database) as conn:
        third = conn.execute("select thinline_functions.markov_decimal(1, 3)").fetchone()[0]
    assert str(third) == "0." + "3" * 30  # the real function replaced the half-installed one
