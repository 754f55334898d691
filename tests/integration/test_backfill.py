"""`thinline backfill`: each day of a range through Airflow, in order; stopped midway, the same
command runs only the days not done, and once more runs none."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest

from sandbox import serve
from tests.integration.conftest import DAY, THINLINE, run_thinline

pytestmark = pytest.mark.integration

FIRST = DAY - timedelta(days=2)


def ledger_days(home: Path) -> list[str]:
    ledger = home / "runs" / f"backfill-{FIRST}_{DAY}.json"
    return json.loads(ledger.read_text())["done"] if ledger.is_file() else []


def test_backfill_runs_days_in_order_and_resumes_where_it_stopped(
    tmp_path: Path, world, pg15_database: str
) -> None:
    url = pg15_database
    command = ["backfill", "--start", FIRST.isoformat(), "--end", DAY.isoformat()]
    with serve(world) as sources:
        env = {**sources.env, "THINLINE_SOURCES": "hubspot,ecb", "THINLINE_WAREHOUSE_URL": url}
        clean = {k: v for k, v in os.environ.items() if not k.startswith("THINLINE_")}
        full_env = {
            **clean,
            **env,
            "THINLINE_HOME": str(tmp_path),
            "THINLINE_START_DATE": "2026-01-01",
        }
        # stopped (SIGTERM, as a deploy or Ctrl-C does) once the first day is done
        with (tmp_path / "first.out").open("w") as out:
            first = subprocess.Popen(
                [THINLINE, *command], env=full_env, stdout=out, stderr=subprocess.STDOUT
            )
            deadline = time.monotonic() + 600
            while not ledger_days(tmp_path) and first.poll() is None:
                assert time.monotonic() < deadline, "the first day never finished"
                time.sleep(0.5)
            first.send_signal(signal.SIGTERM)
            assert first.wait(timeout=120) != 0
        assert ledger_days(tmp_path) == [FIRST.isoformat()]

        resumed = run_thinline(tmp_path, *command, extra_env=env)
        again = run_thinline(tmp_path, *command, extra_env=env)
    with psycopg.connect(url) as conn:
        windows = conn.execute(
            "select window_start::date, window_end::date from ops.load_batches "
            "where source = 'hubspot' and entity = 'contacts' order by loaded_at"
        ).fetchall()
        published = conn.execute(
            "select count(*) from analytics.fct_deals where crm = 'hubspot'"
        ).fetchone()

    assert f"already done: {FIRST}" in resumed
    assert f"running thinline_nightly for {FIRST + timedelta(days=1)} (day 1 of 2)" in resumed
    assert f"running thinline_nightly for {DAY} (day 2 of 2)" in resumed
    assert f"ran {FIRST + timedelta(days=1)}, {DAY}; all 3 days done" in resumed
    assert "ran no day (all done before); all 3 days done" in again
    assert "running thinline_nightly" not in again
    assert ledger_days(tmp_path) == [str(FIRST + timedelta(days=n)) for n in range(3)]
    # one load per day, in order: the first from the history's start, each next from the last
    ends = [end for _, end in windows]
    assert windows[0][0] == date(2026, 1, 1)
    assert ends == [FIRST + timedelta(days=n) for n in (1, 2, 3)]
    assert published[0] > 0
    summary = json.loads((tmp_path / "runs" / "latest.json").read_text())
    assert summary["window"]["start"].startswith(DAY.isoformat())
