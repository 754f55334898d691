"""One run at a time per warehouse: a second run is refused naming the first and since when,
a killed run's lock goes with its connection, bi_reader cannot take or hold it, and the tasks
of the run that holds it pass while any other run's task is refused."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
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


def refusal(url: str, what: str, run: str | None = None) -> str:
    """The message a task of ``run`` is refused with (fails if it is let through)."""
    with pytest.raises(RunLocked) as refused, task_lock(url, what, run):
        pass
    return str(refused.value)


def test_the_tasks_of_one_scheduled_run_share_it_and_exclude_other_runs(
    fresh_database: str,
) -> None:
    """Under a scheduler the extracts of one run go side by side (on several workers); a task
    of another run, or a `thinline run`, waits for all of them."""
    night, other = "scheduled__2026-03-11T02:00:00+00:00", "manual__other"
    with (
        task_lock(fresh_database, f"extract_hubspot of {night}", night),
        task_lock(fresh_database, f"extract_meta_ads of {night}", night),
    ):
        assert f"extract_hubspot of {night}" in refusal(fresh_database, "transform", other)
        cli = hold_run_lock(fresh_database, "thinline run --date 2026-03-10", "t9")
        with pytest.raises(RunLocked), cli:
            pass
    with task_lock(fresh_database, f"extract_hubspot of {night}", night):
        refusal(fresh_database, "a command of its own")  # no run: a run of its own
    with task_lock(fresh_database, f"transform of {other}", other):
        assert f"transform of {other}" in refusal(fresh_database, "publish", night)
    with hold_run_lock(fresh_database, "thinline run --date 2026-03-12", "t10"):
        pass


def test_tasks_of_one_run_starting_at_once_all_get_it(fresh_database: str) -> None:
    """Five extracts of one run starting in the same instant (a scheduler's fan-out): none is
    refused by a sibling claiming the lock at that moment."""
    night = "scheduled__2026-03-12T02:00:00+00:00"
    start = threading.Barrier(5)
    outcomes: list[str] = []

    def extract(source: str) -> None:
        start.wait()
        try:
            with task_lock(fresh_database, f"extract_{source} of {night}", night):
                time.sleep(0.5)
            outcomes.append("ran")
        except RunLocked as refused:
            outcomes.append(str(refused))

    threads = [threading.Thread(target=extract, args=(n,)) for n in "abcde"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == ["ran"] * 5


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
