"""One run at a time per warehouse.

The lock is a row lock on ``ops.run_lock``, a table only the pipeline's owner role may touch
(``bi_reader`` has no privilege in ``ops``, so it cannot take it or hold it; a well-known
advisory key could be taken by any login). It lives in the session that holds it: a run that
crashes or is killed loses it with its connection, so nothing needs clearing by hand.

* ``thinline run`` holds it for the whole run (:func:`hold_run_lock`) and hands its tasks a
  token; a second ``thinline run`` on the same warehouse exits 2 naming the holder and since
  when (``ops.run_lock_holder``, written by each holder).
* Each task also takes it for its own duration (:func:`task_lock`): under ``thinline run`` the
  CLI's token lets it through; under a scheduler (``thinline airflow``, compose) the tasks of
  one run share it (the extracts run side by side, on several workers), and no task runs
  while another run holds the warehouse, so a task whose ``thinline run`` died is not
  interleaved with another run's task.

How tasks share it: each holds ``FOR SHARE`` on the ``ops.run_lock`` row (a ``thinline run``,
which wants ``FOR UPDATE``, is refused while any task runs) and on the holder row whose token
is its run's id. The token changes only under ``FOR UPDATE NOWAIT`` on the holder row, which
no task of another run can get while one of the holding run's tasks still holds its share.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg

from extract.base import ConfigError
from extract.shared_ddl import run_shared_ddl

LOCK = "nightly"
_CLAIM_TRIES = 5
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
insert into ops.run_lock_holder (lock_name, holder, token, since)
values ('nightly', 'nobody yet', '', now()) on conflict do nothing;
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
def task_lock(url: str, what: str, run: str | None = None) -> Iterator[None]:
    """Hold the run lock for one task, shared with the other tasks of ``run`` (an Airflow run
    id; None: a command of its own); through when the task's own ``thinline run`` holds it."""
    _ensure_tables(url)
    conn = _session(url)
    try:
        if not _take(conn, "share"):
            current = _holder(url)
            parent = os.environ.get(TOKEN_ENV)
            if not (parent and current and current[1] == parent):
                raise RunLocked(_locked_message(current))
        elif not _share_holder(conn, url, describe(what), run or new_token()):
            raise RunLocked(_locked_message(_holder(url)))
        yield
    finally:
        conn.close()  # ends the transaction, and with it the lock


@contextmanager
def _locked(url: str, holder: str, token: str, token_of_parent: str | None) -> Iterator[None]:
    _ensure_tables(url)
    conn = _session(url)
    try:
        if _take(conn, "update"):
            _write_holder(url, holder, token)
        else:
            current = _holder(url)
            ours = token_of_parent is not None and current and current[1] == token_of_parent
            if not ours:  # else our own `thinline run` holds it for us
                raise RunLocked(_locked_message(current))
        yield
    finally:
        conn.close()  # ends the transaction, and with it the lock


def _session(url: str) -> psycopg.Connection:
    conn = psycopg.connect(url)
    # an owner-session setting: a server-wide idle timeout must not end the lock mid-run
    conn.execute("set idle_in_transaction_session_timeout = 0")
    return conn


def _take(conn: psycopg.Connection, mode: str) -> bool:
    try:
        conn.execute(
            f"select lock_name from ops.run_lock where lock_name = %s for {mode} nowait", (LOCK,)
        )
    except psycopg.errors.LockNotAvailable:
        conn.rollback()
        return False
    return True


def _share_holder(conn: psycopg.Connection, url: str, holder: str, token: str) -> bool:
    """Hold ``FOR SHARE`` on the holder row with ``token``, making it ours first if no other
    run's task holds it; False when another run does."""
    for attempt in range(_CLAIM_TRIES):
        # waits while a task is claiming it, then sees whether it claimed it for our run
        found = conn.execute(
            "select 1 from ops.run_lock_holder where lock_name = %s and token = %s for share",
            (LOCK, token),
        ).fetchone()
        if found:
            return True
        with psycopg.connect(url) as claim:
            try:
                claim.execute(
                    "select token from ops.run_lock_holder where lock_name = %s for update nowait",
                    (LOCK,),
                )
            except psycopg.errors.LockNotAvailable:
                # a task holds it: one of another run, or one of ours that claimed it first
                time.sleep(0.1 * (attempt + 1))
                continue
            claim.execute(
                "update ops.run_lock_holder set holder = %s, token = %s, since = %s "
                "where lock_name = %s",
                (holder, token, datetime.now(UTC), LOCK),
            )
    return False


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
