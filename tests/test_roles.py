"""bi_reader on a real PostgreSQL: reads the published schema, is refused on raw tables, ops
(personal data, quarantine) and every write; its URL comes from `thinline warehouse url`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from thinline.publish import publish
from thinline.roles import BI_READER, reader_url
from thinline.warehouse import EmbeddedWarehouse

THINLINE = str(Path(sys.executable).parent / "thinline")


@pytest.fixture
def reader(fresh_database: str, embedded_warehouse: EmbeddedWarehouse) -> str:
    """A warehouse with raw, ops and a published analytics table; bi_reader's URL to it."""
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("create schema raw_hubspot")
        conn.execute("create table raw_hubspot.contacts as select 1 as contact_id")
        conn.execute("create schema ops")
        conn.execute("create table ops.quarantine as select 'a@b.example' as payload")
        conn.execute("create schema analytics_build")
        conn.execute("create table analytics_build.fct_deals as select 7 as deal_id")
    publish(fresh_database, "analytics_build")
    database = fresh_database.rsplit("/", 1)[1]
    return embedded_warehouse.bi_reader_url().rsplit("/", 1)[0] + f"/{database}"


def test_bi_reader_reads_analytics(reader: str) -> None:
    with psycopg.connect(reader) as conn:
        assert conn.execute("select current_user").fetchone() == (BI_READER,)
        assert conn.execute("select deal_id from analytics.fct_deals").fetchall() == [(7,)]


@pytest.mark.parametrize(
    "statement",
    [
        "select contact_id from raw_hubspot.contacts",
        "select payload from ops.quarantine",
        "insert into analytics.fct_deals (deal_id) values (8)",
        "update analytics.fct_deals set deal_id = 9",
        "delete from analytics.fct_deals",
        "create table analytics.mine (x int)",
        "create table public.mine (x int)",
        "create schema mine",
        "drop table analytics.fct_deals",
    ],
)
def test_bi_reader_is_refused(reader: str, statement: str) -> None:
    with psycopg.connect(reader, autocommit=True) as conn:
        # Sessions start read-only; a client can undo that, the grants still refuse.
        conn.execute("set default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_bi_reader_sessions_are_read_only(reader: str) -> None:
    with psycopg.connect(reader) as conn:
        assert conn.execute("show default_transaction_read_only").fetchone() == ("on",)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("create temp table scratch (x int)")


def test_reader_url_swaps_only_the_credentials() -> None:
    url = reader_url("postgresql://owner:s3cret@db.example:6543/thinline?sslmode=require", "p w")
    assert url == "postgresql://bi_reader:p%20w@db.example:6543/thinline?sslmode=require"


def run_url_command(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("THINLINE_")}
    return subprocess.run(
        [THINLINE, "warehouse", "url", *args],
        env={**clean, "THINLINE_HOME": str(home), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_url_command_for_an_external_warehouse(tmp_path: Path) -> None:
    external = "postgresql://owner:0wner-pw@db.example:5432/thinline"
    missing = run_url_command(tmp_path, "--role", "bi_reader", THINLINE_WAREHOUSE_URL=external)
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: no password for bi_reader: set THINLINE_BI_READER")
    assert "0wner-pw" not in missing.stderr
    given = run_url_command(
        tmp_path,
        "--role",
        "bi_reader",
        THINLINE_WAREHOUSE_URL=external,
        THINLINE_BI_READER_PASSWORD="r3ader",
    )
    assert given.stdout.strip() == "postgresql://bi_reader:r3ader@db.example:5432/thinline"
    unknown = run_url_command(tmp_path, "--role", "admin", THINLINE_WAREHOUSE_URL=external)
    assert unknown.returncode == 2 and unknown.stderr.startswith("error: unknown role 'admin'")


def test_url_command_for_the_embedded_warehouse(embedded_warehouse: EmbeddedWarehouse) -> None:
    printed = run_url_command(embedded_warehouse.home, "--role", "bi_reader")
    assert printed.returncode == 0, printed.stderr
    url = printed.stdout.strip()
    assert url.startswith("postgresql://bi_reader:")
    with psycopg.connect(url) as conn:
        assert conn.execute("select current_user").fetchone() == (BI_READER,)
    password_file = embedded_warehouse.folder / "bi_reader_password"
    assert password_file.stat().st_mode & 0o077 == 0
