"""One run at a time per warehouse.

The lock is a row lock on ``ops.run_lock``, a table only the pipeline's owner role may touch
(``bi_reader`` has no privilege in ``ops``, so it cannot take it or hold it; a well-known
advisory key could be taken by any login). It lives in the session that holds it: a run that
crashes or is killed loses it with its connection, so nothing needs clearing by hand.

* ``thinline run`` holds it for the whole run (:func:`hold_run_lock`) and hands its tasks a
  token; a second ``thinline run`` on the same warehouse exits 2 naming the holder and since
  when (``ops.run_lock_holder``, written by each holder).
* Each task also takes it for its own duration (:func:`task_lock`): under ``thinline run`` the
  CLI's token lets it through; under a scheduler (``thinline airflow``, compose) no task runs
  while another run holds the warehouse, and a task whose ``thinline run`` died is not
  interleaved with another run's task.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg

from extract.base import ConfigError
from extract.shared_ddl import run_shared_ddl

LOCK = "nightly"
TOKEN_ENV = "THINLINE_RUN_LOCK_TOKEN"
DDL = """
create schema if not exists ops;
create table if not exists ops.run_lock (lock_name text primary key);
create table if not exists ops.run_lock_holder (
    lock_name text primary key,
    holder text not null,
    token text not null,
    since timestamptz not null
);
insert into ops.run_lock (lock_name) values ('nightly') on conflict do nothing;
"""


class RunLocked(ConfigError):
    """Another run holds the warehouse; the message names it and since when."""


def new_token() -> str:
    return uuid.uuid4().hex


def describe(what: str) -> str:
    """``what`` with the process and host that runs it, for the holder row."""
    return f"{what} (pid {os.getpid()} on {socket.gethostname()})"


@contextmanager
def hold_run_lock(url: str, holder: str, token: str) -> Iterator[None]:
    """Hold the warehouse's run lock for the block, or raise :class:`RunLocked`."""
    with _locked(url, holder, token, token_of_parent=None):
        yield


@contextmanager
def task_lock(url: str, what: str) -> Iterator[None]:
    """Hold the run lock for one task; through when the task's own ``thinline run`` holds it."""
    with _locked(url, describe(what), new_token(), token_of_parent=os.environ.get(TOKEN_ENV)):
        yield


@contextmanager
def _locked(url: str, holder: str, token: str, token_of_parent: str | None) -> Iterator[None]:
    _ensure_tables(url)
    conn = psycopg.connect(url)
    try:
        # an owner-session setting: a server-wide idle timeout must not end the lock mid-run
        conn.execute("set idle_in_transaction_session_timeout = 0")
        if _take(conn):
            _write_holder(url, holder, token)
        else:
            current = _holder(url)
            ours = token_of_parent is not None and current and current[1] == token_of_parent
            if not ours:  # else our own `thinline run` holds it for us
                raise RunLocked(_locked_message(current))
        yield
    finally:
        conn.close()  # ends the transaction, and with it the lock


def _take(conn: psycopg.Connection) -> bool:
    try:
        conn.execute(
            "select lock_name from ops.run_lock where lock_name = %s for update nowait", (LOCK,)
        )
    except psycopg.errors.LockNotAvailable:
        conn.rollback()
        return False
    return True


def _ensure_tables(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        run_shared_ddl(conn, "ops", DDL)


def _holder(url: str) -> tuple[str, str, datetime] | None:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "select holder, token, since from ops.run_lock_holder where lock_name = %s", (LOCK,)
        ).fetchone()
    return (row[0], row[1], row[2]) if row else None


def _write_holder(url: str, holder: str, token: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "insert into ops.run_lock_holder (lock_name, holder, token, since) "
            "values (%s, %s, %s, %s) on conflict (lock_name) do update "
            "set holder = excluded.holder, token = excluded.token, since = excluded.since",
            (LOCK, holder, token, datetime.now(UTC)),
        )


def _locked_message(current: tuple[str, str, datetime] | None) -> str:
    if current is None:
        who = "another Thinline run"
    else:
        since = current[2].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        who = f"{current[0]}, since {since} UTC"
    return (
        f"another run holds this warehouse: {who}; wait for it to finish (one run at a time; "
        "a killed run's lock goes with its connection)"
    )
