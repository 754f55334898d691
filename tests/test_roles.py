"""bi_reader on a real PostgreSQL: reads the published schema, is refused on raw tables, ops
(personal data, quarantine), every write, temp tables, large objects and the server's other
databases, whatever it sets in its session; its URL comes from `thinline warehouse url`."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from tests.conftest import waiting_sessions
from thinline.publish import publish
from thinline.roles import BI_READER, SESSION_LIMITS, ensure_bi_reader, lock_down, reader_url
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


@pytest.mark.parametrize(
    "statement",
    [
        "create temp table scratch as select 1 as x",
        "create temporary table scratch (x int)",
        "select lo_from_bytea(0, 'persistent')",
        "select lo_create(0)",
        "select lo_creat(-1)",
        "set temp_file_limit = -1",
    ],
)
def test_bi_reader_is_refused_once_read_only_is_lifted(reader: str, statement: str) -> None:
    """Read-only is only a session default: the privileges are what refuse."""
    with psycopg.connect(reader, autocommit=True) as conn:
        conn.execute("set default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_bi_reader_sessions_carry_the_role_limits(reader: str) -> None:
    with psycopg.connect(reader) as conn:
        for name, value in SESSION_LIMITS.items():
            assert conn.execute(f"select current_setting('{name}')").fetchone() == (value,)


def with_database(url: str, database: str) -> str:
    return url.rsplit("/", 1)[0] + f"/{database}"


def test_bi_reader_cannot_connect_to_the_other_databases(
    reader: str, fresh_database: str, embedded_warehouse: EmbeddedWarehouse
) -> None:
    """Not to ``postgres``, nor to ``airflow`` (`thinline airflow`'s metadata, created on the
    same server after the warehouse started): the next publish closes it too."""
    server = with_database(embedded_warehouse.url(), "postgres")
    airflow = f"airflow_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'create database "{airflow}"')
    try:
        with psycopg.connect(fresh_database, autocommit=True) as conn:
            conn.execute("create schema analytics_build")
            conn.execute("create table analytics_build.fct_deals as select 8 as deal_id")
        publish(fresh_database, "analytics_build")
        for database in ("postgres", airflow):
            with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
                psycopg.connect(with_database(reader, database)).close()
        with psycopg.connect(reader) as conn:  # its own database, still
            assert conn.execute("select deal_id from analytics.fct_deals").fetchall() == [(8,)]
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'drop database "{airflow}" with (force)')


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


@pytest.fixture
def plain_owner(fresh_database: str) -> Iterator[str]:
    """URL of an owner that is neither superuser nor the database's owner, as on a managed
    server: a DBA created the database and granted the pipeline's role CREATE on it."""
    name = f"owner_{uuid.uuid4().hex[:8]}"
    database = fresh_database.rsplit("/", 1)[1]
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute(f"create role {name} login password 'plain-pw'")
        conn.execute(f'grant create on database "{database}" to {name}')
    parts = urlsplit(fresh_database)
    yield urlunsplit(parts._replace(netloc=f"{name}:plain-pw@{parts.hostname}:{parts.port}"))
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute(f"drop owned by {name}")  # its grants on the server's databases too
        conn.execute(f"drop role {name}")


def build_and_publish(url: str, deal_id: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create schema analytics_build")
        conn.execute(f"create table analytics_build.fct_deals as select {deal_id} as deal_id")
    publish(url, "analytics_build", deadline_seconds=10)


def dba_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "a DBA should run" in r.getMessage()]


def test_an_owner_short_of_privileges_publishes_and_names_what_a_dba_must_run(
    plain_owner: str,
    fresh_database: str,
    embedded_warehouse: EmbeddedWarehouse,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reader = with_database(embedded_warehouse.bi_reader_url(), fresh_database.rsplit("/", 1)[1])
    with caplog.at_level(logging.WARNING, logger="thinline.roles"):
        build_and_publish(plain_owner, 1)
    (warning,) = dba_warnings(caplog)  # one warning, and the publish went through
    assert "REVOKE TEMPORARY ON DATABASE" in warning and "pg_catalog.lo_from_bytea" in warning
    with psycopg.connect(reader, autocommit=True) as conn:  # the warning tells the truth
        conn.execute("set default_transaction_read_only = off")
        conn.execute("create temp table scratch (x int)")

    with psycopg.connect(plain_owner, autocommit=True) as conn:
        statements = lock_down(conn)
    assert statements and all(s.rstrip(";") in warning for s in statements)
    with psycopg.connect(fresh_database, autocommit=True) as conn:  # the DBA runs them
        for statement in statements:
            conn.execute(statement)

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="thinline.roles"):
        build_and_publish(plain_owner, 2)
    assert dba_warnings(caplog) == []
    with psycopg.connect(reader, autocommit=True) as conn:
        conn.execute("set default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("create temp table scratch (x int)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select lo_from_bytea(0, 'x')")

    # and, granted bi_reader's membership, it ends a BI session that holds up the swap
    with psycopg.connect(reader) as holder:
        holder.execute("select deal_id from analytics.fct_deals").fetchone()
        build_and_publish(plain_owner, 3)
        with pytest.raises(psycopg.OperationalError):
            holder.execute("select 1")
    with psycopg.connect(reader) as conn:
        assert conn.execute("select deal_id from analytics.fct_deals").fetchall() == [(3,)]


def test_two_starts_creating_the_role_at_once_both_succeed(fresh_database: str) -> None:
    """The second `create role` waits for the first's transaction, then fails with a
    UniqueViolation on pg_authid (not DuplicateObject): both starts must still succeed."""
    role = f"test_reader_{uuid.uuid4().hex[:8]}"
    errors: list[BaseException] = []

    def second_start() -> None:
        try:
            with psycopg.connect(fresh_database) as conn:
                ensure_bi_reader(conn, None, role)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    try:
        with psycopg.connect(fresh_database) as first:
            ensure_bi_reader(first, None, role)  # created, not yet committed
            thread = threading.Thread(target=second_start)
            thread.start()
            waited = waiting_sessions(fresh_database, 1, patience_s=20)
        thread.join(timeout=60)
        assert waited == 1, "the second start should have waited for the first's role"
        assert not errors, [f"{type(error).__name__}: {error}" for error in errors]
    finally:
        with psycopg.connect(fresh_database, autocommit=True) as conn:
            conn.execute(f'drop role if exists "{role}"')
