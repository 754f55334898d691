"""The compose layout's first-boot script (deploy/warehouse/create-bi-reader.sh) locks bi_reader
down as thinline/roles.py does, so Metabase connects to a locked-down role before the first
publish. Run with psql against a fresh database, as the container's superuser runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from thinline.roles import BI_READER, SESSION_LIMITS, stored_password
from thinline.warehouse import EmbeddedWarehouse

SCRIPT = Path(__file__).resolve().parent.parent / "deploy" / "warehouse" / "create-bi-reader.sh"


def run_script(owner_url: str, password: str) -> subprocess.CompletedProcess[str]:
    parts = urlsplit(owner_url)
    env = {
        **os.environ,
        "POSTGRES_USER": parts.username or "",
        "POSTGRES_DB": parts.path.lstrip("/"),
        "THINLINE_BI_READER_PASSWORD": password,
        "PGHOST": parts.hostname or "",
        "PGPORT": str(parts.port),
        "PGPASSWORD": parts.password or "",
    }
    return subprocess.run(
        ["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.skipif(shutil.which("psql") is None, reason="no psql on this machine")
def test_the_first_boot_script_locks_bi_reader_down(
    fresh_database: str, embedded_warehouse: EmbeddedWarehouse
) -> None:
    server = fresh_database.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:  # undo what the warehouse did
        conn.execute(f"alter role {BI_READER} reset all")
        conn.execute("grant connect on database postgres to public")
    password = stored_password(embedded_warehouse.folder)
    assert password is not None

    for _ in range(2):  # idempotent: the role exists the second time
        done = run_script(fresh_database, password)
        assert done.returncode == 0, done.stderr

    database = fresh_database.rsplit("/", 1)[1]
    reader = embedded_warehouse.bi_reader_url().rsplit("/", 1)[0]
    with psycopg.connect(f"{reader}/{database}", autocommit=True) as conn:
        for name, value in SESSION_LIMITS.items():
            assert conn.execute(f"select current_setting('{name}')").fetchone() == (value,)
        assert conn.execute("show default_transaction_read_only").fetchone() == ("on",)
        conn.execute("set default_transaction_read_only = off")
        for statement in (
            "create temp table scratch (x int)",
            "create schema mine",
            "create table public.mine (x int)",
            "select lo_from_bytea(0, 'x')",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(f"{reader}/postgres").close()
