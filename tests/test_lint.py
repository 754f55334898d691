"""`make lint` is part of the gate: ruff (Python) and sqlfluff (dbt SQL) are clean."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from thinline.warehouse import EmbeddedWarehouse

BIN = Path(sys.executable).parent


def run(repo_root: Path, *command: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command),
        cwd=repo_root,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_ruff_is_clean(repo_root: Path) -> None:
    check = run(repo_root, str(BIN / "ruff"), "check", ".")
    assert check.returncode == 0, check.stdout
    formatted = run(repo_root, str(BIN / "ruff"), "format", "--check", ".")
    assert formatted.returncode == 0, formatted.stdout


def test_sqlfluff_is_clean(repo_root: Path, embedded_warehouse: EmbeddedWarehouse) -> None:
    result = run(
        repo_root,
        str(BIN / "python"),
        "-m",
        "thinline.sql_lint",
        "lint",
        THINLINE_WAREHOUSE_URL=embedded_warehouse.url(),
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "All Finished" in result.stdout
