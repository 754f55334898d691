"""`thinline warehouse …` and `thinline extract …` doing their job, as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg

from sandbox import WorldConfig, build_world, serve

THINLINE = str(Path(sys.executable).parent / "thinline")


def thinline(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("THINLINE_")}
    return subprocess.run(
        [THINLINE, *args],
        env={**clean, "THINLINE_HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_warehouse_lifecycle(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert thinline("warehouse", "status", home=home).returncode == 3  # stopped
    started = thinline("warehouse", "start", home=home)
    try:
        assert started.returncode == 0, started.stderr
        assert "postgresql://thinline:***@127.0.0.1:" in started.stdout
        status = thinline("warehouse", "status", home=home)
        assert status.returncode == 0 and status.stdout.startswith("running")
        url = thinline("warehouse", "url", home=home).stdout.strip()
        with psycopg.connect(url) as conn:  # the printed URL is what a BI tool uses
            assert conn.execute("show server_version_num").fetchone()[0].startswith("18")
            assert conn.execute("select inet_server_addr()::text").fetchone()[0] == "127.0.0.1/32"
        assert (home / "warehouse" / "password").stat().st_mode & 0o077 == 0
    finally:
        stopped = thinline("warehouse", "stop", home=home)
    assert stopped.stdout.strip() == "warehouse stopped"
    assert thinline("warehouse", "status", home=home).returncode == 3


def test_extract_one_source_one_window(tmp_path: Path, fresh_database: str) -> None:
    world = build_world(
        WorldConfig(seed=3, scale=1.0, start=date(2026, 2, 1), end=date(2026, 3, 5))
    )
    with serve(world) as sources:
        result = thinline(
            "extract",
            "google_ads",
            "--start",
            "2026-03-01",
            "--end",
            "2026-03-03",
            home=tmp_path,
            THINLINE_WAREHOUSE_URL=fresh_database,
            **sources.env,
        )
    assert result.returncode == 0, result.stderr
    assert "raw_google_ads.ad_daily_metrics:" in result.stdout
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for row in world.truth()["ad_spend"]:
        if row["platform"] == "google_ads" and "2026-03-01" <= row["date"] < "2026-03-03":
            expected[row["date"]] += Decimal(row["cost_micros"]) / 1_000_000
    with psycopg.connect(fresh_database) as conn:
        loaded = conn.execute(
            "select metric_date::text, sum((record->'metrics'->>'costMicros')::numeric) / 1000000 "
            "from raw_google_ads.ad_daily_metrics group by 1"
        ).fetchall()
    assert dict(loaded) == dict(expected)
    assert len(expected) == 2
