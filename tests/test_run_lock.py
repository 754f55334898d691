"""One run at a time per warehouse: a second run is refused naming the first and since when,
a killed run's lock goes with its connection, bi_reader cannot take or hold it, and the tasks
of the run that holds it pass while any other run's task is refused."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.conftest import one_error_line, run_cli
from thinline.roles import reader_url, stored_password
from thinline.run_lock import TOKEN_ENV, RunLocked, hold_run_lock, task_lock
from thinline.warehouse import EmbeddedWarehouse

THINLINE = str(Path(sys.executable).parent / "thinline")
HOLD = """
import sys, time
from thinline.run_lock import hold_run_lock
with hold_run_lock(sys.argv[1], "the night of 2026-03-10 (test)", "token-1"):
    print("held", flush=True)
    time.sleep(600)
"""


def test_a_second_run_is_refused_naming_the_first(fresh_database: str) -> None:
    with hold_run_lock(fresh_database, "thinline run --date 2026-03-10 (pid 1)", "t1"):
        second = hold_run_lock(fresh_database, "thinline run --date 2026-03-11 (pid 2)", "t2")
        with pytest.raises(RunLocked) as refused, second:
            pass
        message = str(refused.value)
        assert "thinline run --date 2026-03-10 (pid 1), since " in message
        assert "UTC; wait for it to finish" in message
        # a task of another run (a scheduler's, or one whose CLI died)
        with pytest.raises(RunLocked), task_lock(fresh_database, "transform of manual__x"):
            pass
    with hold_run_lock(fresh_database, "the next night", "t3"):  # released with the block
        pass


def test_the_holding_runs_own_tasks_pass(
    fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with hold_run_lock(fresh_database, "thinline run --date 2026-03-10", "our-token"):
        monkeypatch.setenv(TOKEN_ENV, "our-token")
        with task_lock(fresh_database, "extract_hubspot of our run"):
            pass
        monkeypatch.setenv(TOKEN_ENV, "someone-else")
        with pytest.raises(RunLocked), task_lock(fresh_database, "extract_hubspot of theirs"):
            pass


def test_a_killed_runs_lock_goes_with_its_connection(fresh_database: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, fresh_database], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        second = hold_run_lock(fresh_database, "a second run", "t2")
        with pytest.raises(RunLocked, match="the night of 2026-03-10"), second:
            pass
    finally:
        holder.kill()  # kill -9: no cleanup of any kind
        holder.wait()
    for _ in range(50):  # the server notices the dead connection within moments
        try:
            with hold_run_lock(fresh_database, "after the crash", "t3"):
                return
        except RunLocked:
            time.sleep(0.1)
    pytest.fail("the killed run's lock was not released")


def test_bi_reader_can_neither_take_nor_see_the_lock(
    embedded_warehouse: EmbeddedWarehouse,
) -> None:
    owner = embedded_warehouse.url()
    with hold_run_lock(owner, "setup", "t0"):
        pass  # creates ops.run_lock
    reader = reader_url(owner, stored_password(embedded_warehouse.folder))
    with psycopg.connect(reader) as conn:
        for statement in (
            "select * from ops.run_lock for update",
            "lock table ops.run_lock in exclusive mode",
            "select holder from ops.run_lock_holder",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()
    with hold_run_lock(owner, "the nightly run", "t1"):
        pass


def test_thinline_run_is_refused_while_another_holds_the_warehouse(tmp_path: Path) -> None:
    started = run_cli(THINLINE, "warehouse", "start", home=tmp_path)
    assert started.returncode == 0, started.stderr
    url = EmbeddedWarehouse(tmp_path).url()
    try:
        with hold_run_lock(url, f"thinline run --date 2026-03-10 (pid {os.getpid()})", "t"):
            second = run_cli(THINLINE, "run", "--demo", "--date", "2026-03-11", home=tmp_path)
        assert second.returncode == 2, second.stdout + second.stderr
        line = one_error_line(second)
        assert line.startswith("error: another run holds this warehouse: thinline run --date ")
        assert "Traceback" not in second.stdout + second.stderr
        assert not (tmp_path / "airflow").exists()  # refused before Airflow was touched
    finally:
        run_cli(THINLINE, "warehouse", "stop", home=tmp_path)
