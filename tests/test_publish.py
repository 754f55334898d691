"""Publish and rollback on a real PostgreSQL: one-transaction swaps, bi_reader grants that
travel with the version, readers never queued behind a publisher for long, clear errors."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from thinline.publish import PREVIOUS, PUBLISHED, PublishError, publish, rollback
from thinline.warehouse import EmbeddedWarehouse

BUILD = "analytics_build"
THINLINE = str(Path(sys.executable).parent / "thinline")


def build_version(url: str, marker: int) -> None:
    """A build schema of two tables carrying ``marker``."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"create schema {BUILD}")
        conn.execute(f"create table {BUILD}.fct_one as select {marker} as version")
        conn.execute(f"create table {BUILD}.fct_two as select {marker} as version")


def versions(url: str, schema: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            f"select (select version from {schema}.fct_one), (select version from {schema}.fct_two)"
        ).fetchone()
    return row[0], row[1]


def reader_url(warehouse: EmbeddedWarehouse, database_url: str) -> str:
    return warehouse.bi_reader_url().rsplit("/", 1)[0] + "/" + database_url.rsplit("/", 1)[1]


def test_publish_swaps_keeps_previous_and_grants_only_the_published(
    fresh_database: str, embedded_warehouse: EmbeddedWarehouse
) -> None:
    build_version(fresh_database, 1)
    assert publish(fresh_database, BUILD) == ["fct_one", "fct_two"]
    build_version(fresh_database, 2)
    publish(fresh_database, BUILD)

    assert versions(fresh_database, PUBLISHED) == (2, 2)
    assert versions(fresh_database, PREVIOUS) == (1, 1)
    with psycopg.connect(fresh_database) as conn:
        schemas = {row[0] for row in conn.execute("select nspname from pg_namespace")}
    assert BUILD not in schemas

    reader = reader_url(embedded_warehouse, fresh_database)
    assert versions(reader, PUBLISHED) == (2, 2)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        versions(reader, PREVIOUS)  # the rollback copy is not BI's to read


def test_rollback_restores_previous_and_rolls_forward(
    fresh_database: str, embedded_warehouse: EmbeddedWarehouse
) -> None:
    for marker in (1, 2):
        build_version(fresh_database, marker)
        publish(fresh_database, BUILD)

    rollback(fresh_database)
    assert versions(fresh_database, PUBLISHED) == (1, 1)
    assert versions(fresh_database, PREVIOUS) == (2, 2)
    reader = reader_url(embedded_warehouse, fresh_database)
    assert versions(reader, PUBLISHED) == (1, 1)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        versions(reader, PREVIOUS)

    rollback(fresh_database)
    assert versions(reader, PUBLISHED) == (2, 2)


def test_nothing_to_publish_or_roll_back_is_a_clear_error(fresh_database: str) -> None:
    with pytest.raises(PublishError, match="nothing to roll back"):
        rollback(fresh_database)
    build_version(fresh_database, 1)
    publish(fresh_database, BUILD)
    with pytest.raises(PublishError, match="nothing to publish: schema analytics_build"):
        publish(fresh_database, BUILD)
    with pytest.raises(PublishError, match="nothing to roll back"):
        rollback(fresh_database)  # a first publish has no earlier version to keep
    assert versions(fresh_database, PUBLISHED) == (1, 1)


def test_rollback_command(fresh_database: str, tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("THINLINE_")}
    env = {
        **clean,
        "THINLINE_HOME": str(tmp_path),
        "THINLINE_WAREHOUSE_URL": fresh_database,
    }

    def command() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [THINLINE, "rollback"], env=env, capture_output=True, text=True, check=False
        )

    empty = command()
    assert empty.returncode == 2
    assert empty.stderr.startswith("error: nothing to roll back")
    for marker in (1, 2):
        build_version(fresh_database, marker)
        publish(fresh_database, BUILD)
    done = command()
    assert done.returncode == 0, done.stderr
    assert "rolled back" in done.stdout
    assert versions(fresh_database, PUBLISHED) == (1, 1)


def test_publish_waits_for_an_open_reader_without_queueing_new_readers(
    fresh_database: str,
) -> None:
    build_version(fresh_database, 1)
    publish(fresh_database, BUILD)
    build_version(fresh_database, 2)

    holder = psycopg.connect(fresh_database)  # a BI transaction left open on version 1
    holder.execute(f"select version from {PUBLISHED}.fct_one").fetchone()
    published = threading.Event()
    errors: list[BaseException] = []

    def run_publish() -> None:
        try:
            publish(fresh_database, BUILD)
            published.set()
        except BaseException as error:
            errors.append(error)

    publisher = threading.Thread(target=run_publish)
    publisher.start()
    try:
        # Other readers meanwhile: a wait over one second would raise LockNotAvailable.
        with psycopg.connect(fresh_database, options="-c lock_timeout=1000") as reader:
            for _ in range(20):
                assert versions_on(reader) == (1, 1)
                reader.rollback()
        assert not published.is_set()  # the open transaction still holds version 1
    finally:
        holder.close()
    publisher.join(timeout=60)
    assert not errors and published.is_set()
    assert versions(fresh_database, PUBLISHED) == (2, 2)


def versions_on(conn: psycopg.Connection) -> tuple[int, int]:
    row = conn.execute(
        f"select (select version from {PUBLISHED}.fct_one), "
        f"(select version from {PUBLISHED}.fct_two)"
    ).fetchone()
    return row[0], row[1]


def test_publish_gives_up_after_its_deadline(fresh_database: str) -> None:
    build_version(fresh_database, 1)
    publish(fresh_database, BUILD)
    build_version(fresh_database, 2)
    with psycopg.connect(fresh_database) as holder:
        holder.execute(f"select version from {PUBLISHED}.fct_two").fetchone()
        with pytest.raises(PublishError, match="could not swap schemas"):
            publish(fresh_database, BUILD, deadline_seconds=1)
    assert versions(fresh_database, PUBLISHED) == (1, 1)
    assert versions(fresh_database, BUILD) == (2, 2)  # the build waits for the next try


# -- BI cannot hold up the nightly publish -----------------------------------------------------


def bi_session(warehouse: EmbeddedWarehouse, database_url: str) -> psycopg.Connection:
    """A bi_reader session that lifts every limit its role set (it may: they are USERSET)."""
    conn = psycopg.connect(reader_url(warehouse, database_url))
    conn.execute("set statement_timeout = 0")
    conn.execute("set idle_in_transaction_session_timeout = 0")
    conn.commit()
    return conn


def test_bi_reader_cannot_hold_the_publish_lock(
    fresh_database: str, embedded_warehouse: EmbeddedWarehouse
) -> None:
    build_version(fresh_database, 1)
    publish(fresh_database, BUILD)
    build_version(fresh_database, 2)
    with bi_session(embedded_warehouse, fresh_database) as bi:
        bi.execute("select pg_advisory_lock(hashtext('thinline.publish'))")  # the old key
        bi.commit()  # a session-level advisory lock outlives its transaction
        publish(fresh_database, BUILD, deadline_seconds=4)
        assert versions(fresh_database, PUBLISHED) == (2, 2)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            bi.execute("lock table ops.published_views in access share mode")


@pytest.mark.parametrize("how", ["idle in transaction", "running a long query"])
def test_publish_ends_the_bi_sessions_that_hold_its_tables(
    fresh_database: str,
    embedded_warehouse: EmbeddedWarehouse,
    how: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    build_version(fresh_database, 1)
    publish(fresh_database, BUILD)
    build_version(fresh_database, 2)
    bi = bi_session(embedded_warehouse, fresh_database)
    pid = bi.info.backend_pid
    query = threading.Thread(target=long_query, args=(bi,), daemon=True)
    try:
        if how == "idle in transaction":
            bi.execute(f"select version from {PUBLISHED}.fct_one").fetchone()
        else:
            query.start()
            wait_for_lock(fresh_database, pid)
        with caplog.at_level(logging.WARNING, logger="thinline.publish"):
            published = publish(fresh_database, BUILD, deadline_seconds=4)
    finally:
        with psycopg.connect(fresh_database, autocommit=True) as owner:
            owner.execute("select pg_terminate_backend(%s, 10000)", (pid,))  # if still there
        if query.ident is not None:
            query.join(timeout=30)
        bi.close()
    assert versions(fresh_database, PUBLISHED) == (2, 2)
    assert [f"pid {pid}" in ended for ended in published.ended_sessions] == [True]
    assert any(f"pid {pid}" in record.getMessage() for record in caplog.records)


def long_query(conn: psycopg.Connection) -> None:
    with contextlib.suppress(psycopg.OperationalError):  # ended by publish
        conn.execute(f"select pg_sleep(600) from {PUBLISHED}.fct_one").fetchall()


def wait_for_lock(url: str, pid: int) -> None:
    """Until backend ``pid`` holds a lock on a table of ``analytics``."""
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(600):
            held = conn.execute(
                "select 1 from pg_locks as l join pg_class as c on c.oid = l.relation "
                "where l.pid = %s and c.relnamespace = 'analytics'::regnamespace and l.granted",
                (pid,),
            ).fetchone()
            if held:
                return
            threading.Event().wait(0.05)
    raise AssertionError(f"backend {pid} never locked an analytics table")
