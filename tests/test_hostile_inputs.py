"""Hostile input never gets a traceback: misspelled settings, impossible demo sizes, corrupt
state files, a future date, a port out of range, a stale postmaster.pid. Each is one `error:`
line and exit 2 (or a true answer), before anything starts."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import one_error_line, run_cli
from thinline.warehouse import EmbeddedWarehouse

THINLINE = str(Path(sys.executable).parent / "thinline")


def thinline(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_cli(THINLINE, *args, home=home, **env)


def nothing_started(home: Path) -> bool:
    return not (home / "warehouse").exists() and not (home / "logs").exists()


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("THINLINE_SOURCE", "THINLINE_SOURCES"),
        ("THINLINE_WAREHOUSE_URI", "THINLINE_WAREHOUSE_URL"),
        ("THINLINE_HUBSPOT__TOKEM", "THINLINE_HUBSPOT__TOKEN"),
        ("THINLINE_DEMO_SCAL", "THINLINE_DEMO_SCALE"),
    ],
)
def test_a_misspelled_setting_is_an_error_naming_the_closest(
    tmp_path: Path, name: str, suggestion: str
) -> None:
    result = thinline("run", "--demo", home=tmp_path, **{name: "hubspot"})
    assert result.returncode == 2
    assert one_error_line(result) == f"error: unknown setting {name}; did you mean {suggestion}?"
    assert nothing_started(tmp_path)


def test_no_sources_and_no_demo_is_an_error_not_the_demo(tmp_path: Path) -> None:
    result = thinline("run", "--date", "2026-03-10", home=tmp_path)
    assert result.returncode == 2
    line = one_error_line(result)
    assert "no sources configured: set THINLINE_SOURCES" in line and "--demo" in line
    assert nothing_started(tmp_path) and not (tmp_path / "demo").exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("THINLINE_DEMO_SCALE", "-1"),
        ("THINLINE_DEMO_SCALE", "0"),
        ("THINLINE_DEMO_SCALE", "nan"),
        ("THINLINE_DEMO_SCALE", "inf"),
        ("THINLINE_DEMO_SCALE", "100000"),
        ("THINLINE_DEMO_HISTORY_DAYS", "-5"),
        ("THINLINE_DEMO_HISTORY_DAYS", "1000000"),
    ],
)
def test_impossible_demo_sizes_are_refused(tmp_path: Path, name: str, value: str) -> None:
    result = thinline("run", "--demo", "--date", "2026-03-10", home=tmp_path, **{name: value})
    assert result.returncode == 2
    assert one_error_line(result).startswith(f"error: invalid setting {name}: ")
    assert nothing_started(tmp_path)


@pytest.mark.parametrize("days_ahead", [0, 1, 200])
def test_a_day_that_has_not_ended_is_refused(tmp_path: Path, days_ahead: int) -> None:
    day = datetime.now(UTC).date() + timedelta(days=days_ahead)
    result = thinline("run", "--demo", "--date", day.isoformat(), home=tmp_path)
    assert result.returncode == 2
    assert f"--date {day} has not ended yet" in one_error_line(result)
    assert nothing_started(tmp_path)


@pytest.mark.parametrize("content", [b"{", b"", b"[]", b'"abc"', b'{"port": 99999}', b"\xff"])
def test_a_corrupt_port_file_is_one_line(tmp_path: Path, content: bytes) -> None:
    folder = tmp_path / "warehouse"
    folder.mkdir()
    (folder / "port.json").write_bytes(content)
    (folder / "password").write_text("pw")
    for command in (("warehouse", "status"), ("warehouse", "url"), ("warehouse", "start")):
        result = thinline(*command, home=tmp_path)
        assert result.returncode == 2, (command, result.stderr)
        line = one_error_line(result)
        assert f"the warehouse state file {folder / 'port.json'} is corrupt" in line


@pytest.mark.parametrize("content", [b"\xff\xfe\x00bad", b"", b"  \n"])
def test_an_unreadable_password_file_is_one_line(tmp_path: Path, content: bytes) -> None:
    folder = tmp_path / "warehouse"
    folder.mkdir()
    (folder / "port.json").write_text(json.dumps({"port": 5999}))
    (folder / "password").write_bytes(content)
    result = thinline("warehouse", "url", home=tmp_path)
    assert result.returncode == 2
    assert f"the warehouse password file {folder / 'password'} is" in one_error_line(result)


def test_a_state_folder_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    # Tests run as root here, for whom no mode bit is read-only: a path under a regular file,
    # and one under /proc, are folders nobody can create.
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for home in (blocker / "home", Path("/proc/thinline-state")):
        result = thinline("run", "--demo", "--date", "2026-03-10", home=home)
        assert result.returncode == 2
        assert f"state folder {home} is not writable" in one_error_line(result)


@pytest.mark.parametrize("port", ["99999", "-1"])
def test_a_port_out_of_range_is_one_line(tmp_path: Path, port: str) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<html></html>")
    result = thinline("report", "open", "--no-browser", "--port", port, home=tmp_path)
    assert result.returncode == 2
    assert f"--port {port} is not a port number" in one_error_line(result)


@pytest.fixture
def other_process() -> Iterator[subprocess.Popen[bytes]]:
    """A live process that is not PostgreSQL (a stale postmaster.pid may name one)."""
    process = subprocess.Popen(["sleep", "300"])
    yield process
    process.kill()
    process.wait()


def test_a_stale_pid_of_another_process_is_not_the_warehouse(
    tmp_path: Path, other_process: subprocess.Popen[bytes]
) -> None:
    warehouse = EmbeddedWarehouse(tmp_path)
    warehouse.start()
    warehouse.stop()
    (warehouse.pgdata / "postmaster.pid").write_text(f"{other_process.pid}\n{warehouse.pgdata}\n")

    status = thinline("warehouse", "status", home=tmp_path)
    assert (status.returncode, status.stdout.strip()) == (3, "stopped")
    stop = thinline("warehouse", "stop", home=tmp_path)
    assert (stop.returncode, stop.stdout.strip()) == (0, "warehouse was not running")
    assert other_process.poll() is None  # never signalled
    start = thinline("warehouse", "start", home=tmp_path)
    assert start.returncode == 0, start.stderr
    try:
        running = warehouse.status()
        assert running.running and running.pid != other_process.pid
    finally:
        warehouse.stop()
    assert other_process.poll() is None
