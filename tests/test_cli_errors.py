"""Bad input or config: one clear line on stderr, a non-zero exit, no secret echoed."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import one_error_line, run_cli

THINLINE = str(Path(sys.executable).parent / "thinline")


def thinline(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_cli(THINLINE, *args, home=tmp_path / "home", **env)


def test_unreachable_warehouse_url(tmp_path: Path) -> None:
    url = "postgresql://thinline:s3cret-pw@127.0.0.1:1/warehouse"
    result = thinline(
        "run", "--date", "2026-03-10", "--demo", tmp_path=tmp_path, THINLINE_WAREHOUSE_URL=url
    )
    assert result.returncode == 2
    line = one_error_line(result)
    assert "warehouse unreachable at postgresql://thinline:***@127.0.0.1:1/warehouse" in line
    assert "s3cret-pw" not in result.stdout + result.stderr


def test_unknown_source_name(tmp_path: Path) -> None:
    result = thinline("run", tmp_path=tmp_path, THINLINE_SOURCES="hubspot,tiktok")
    assert result.returncode == 2
    assert "unknown source 'tiktok' in THINLINE_SOURCES" in one_error_line(result)


@pytest.mark.parametrize("day", ["2026-13-01", "yesterday", "10/03/2026"])
def test_malformed_date(tmp_path: Path, day: str) -> None:
    result = thinline("run", "--date", day, tmp_path=tmp_path)
    assert result.returncode == 2
    assert f"malformed date '{day}' for --date: expected YYYY-MM-DD" in one_error_line(result)


def test_missing_credential_for_an_enabled_source(tmp_path: Path) -> None:
    result = thinline("run", tmp_path=tmp_path, THINLINE_SOURCES="hubspot")
    assert result.returncode == 2
    assert "hubspot: credential THINLINE_HUBSPOT__TOKEN is not set" in one_error_line(result)


def test_extract_rejects_unknown_source_and_inverted_window(tmp_path: Path) -> None:
    unknown = thinline(
        "extract", "tiktok", "--start", "2026-03-01", "--end", "2026-03-02", tmp_path=tmp_path
    )
    assert unknown.returncode == 2
    assert "unknown source 'tiktok'" in one_error_line(unknown)
    inverted = thinline(
        "extract", "hubspot", "--start", "2026-03-02", "--end", "2026-03-01", tmp_path=tmp_path
    )
    assert inverted.returncode == 2
    assert "--end 2026-03-01 must be after --start 2026-03-02" in one_error_line(inverted)


def test_invalid_setting_value(tmp_path: Path) -> None:
    result = thinline("run", tmp_path=tmp_path, THINLINE_START_DATE="last spring")
    assert result.returncode == 2
    assert "invalid setting THINLINE_START_DATE" in one_error_line(result)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-03-10", "2026-03-01", "--end 2026-03-01 is before --start 2026-03-10"),
        ("2024-01-01", "2026-03-01", "a backfill runs at most 366 nights"),
        ("2026-03-01", "next week", "malformed date 'next week' for --end"),
    ],
)
def test_a_bad_backfill_range_is_one_line(tmp_path: Path, start: str, end: str, message: str):
    result = thinline("backfill", "--start", start, "--end", end, "--demo", tmp_path=tmp_path)
    assert result.returncode == 2
    assert message in one_error_line(result)


def test_a_backfill_may_not_reach_a_day_that_has_not_ended(tmp_path: Path) -> None:
    today = datetime.now(UTC).date().isoformat()
    result = thinline("backfill", "--start", "2026-03-01", "--end", today, tmp_path=tmp_path)
    assert result.returncode == 2
    assert f"--end {today} has not ended yet" in one_error_line(result)
