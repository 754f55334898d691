"""Publish and rollback: swap a checked schema in as ``analytics`` in one transaction.

BI tools only ever see a complete version: the previous one until the commit, the new one
after. The previous version is kept as ``analytics_previous`` for ``thinline rollback``.

Locks. Renaming a schema takes no table lock, so on its own a reader's query could resolve
one table of the old version and, a moment later, another of the new. The swap therefore
first takes ACCESS EXCLUSIVE on every table of ``analytics`` (and ``analytics_previous``, which
it drops): a query already reading the old version finishes first, a query arriving during
the swap waits for the commit and then resolves every name in the new version. That wait is
only the swap's own few milliseconds, except while the swap itself queues behind a long
reader: ``lock_timeout`` bounds that queueing (a reader waits at most that long), and the swap
then rolls back and tries again a little later, until ``deadline_seconds``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import psycopg
from psycopg import sql

from thinline.roles import ensure_bi_reader, grant_reader, revoke_reader

log = logging.getLogger(__name__)

PUBLISHED = "analytics"
PREVIOUS = "analytics_previous"
SWAPPING = "analytics_swapping"  # rollback's stand-in name, never seen after commit
LOCK_TIMEOUT = "300ms"  # longest a reader may queue behind a swap that waits itself
DEADLINE_SECONDS = 300.0


class PublishError(Exception):
    """Publish or rollback cannot proceed; the message says why in one line."""


def publish(
    warehouse_url: str,
    build_schema: str,
    reader_password: str | None = None,
    deadline_seconds: float = DEADLINE_SECONDS,
) -> list[str]:
    """Swap ``build_schema`` in as ``analytics``; return the published table names."""

    def swap(conn: psycopg.Connection) -> None:
        if not _schema_exists(conn, build_schema):
            raise PublishError(f"nothing to publish: schema {build_schema} does not exist")
        ensure_bi_reader(conn, reader_password)
        grant_reader(conn, build_schema)  # before the rename: readable from the first instant
        _lock_tables(conn, [PUBLISHED, PREVIOUS])
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(PREVIOUS)))
        if _schema_exists(conn, PUBLISHED):
            _rename(conn, PUBLISHED, PREVIOUS)
            revoke_reader(conn, PREVIOUS)
        _rename(conn, build_schema, PUBLISHED)

    _in_one_transaction(warehouse_url, swap, deadline_seconds)
    return published_tables(warehouse_url)


def rollback(
    warehouse_url: str,
    reader_password: str | None = None,
    deadline_seconds: float = DEADLINE_SECONDS,
) -> list[str]:
    """Swap ``analytics_previous`` back in as ``analytics`` (the rolled-back version becomes
    ``analytics_previous``, so a second rollback rolls forward); return the table names."""

    def swap(conn: psycopg.Connection) -> None:
        if not _schema_exists(conn, PREVIOUS):
            raise PublishError(
                f"nothing to roll back: schema {PREVIOUS} does not exist "
                "(it is kept by a publish that replaced an earlier version)"
            )
        ensure_bi_reader(conn, reader_password)
        grant_reader(conn, PREVIOUS)
        _lock_tables(conn, [PUBLISHED, PREVIOUS])
        has_published = _schema_exists(conn, PUBLISHED)
        if has_published:
            _rename(conn, PUBLISHED, SWAPPING)
        _rename(conn, PREVIOUS, PUBLISHED)
        if has_published:
            _rename(conn, SWAPPING, PREVIOUS)
            revoke_reader(conn, PREVIOUS)

    _in_one_transaction(warehouse_url, swap, deadline_seconds)
    return published_tables(warehouse_url)


def published_tables(warehouse_url: str) -> list[str]:
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            "select table_name from information_schema.tables where table_schema = %s "
            "order by table_name",
            (PUBLISHED,),
        ).fetchall()
    return [row[0] for row in rows]


def _in_one_transaction(
    warehouse_url: str, swap: Callable[[psycopg.Connection], None], deadline_seconds: float
) -> None:
    """Run ``swap`` in one transaction, retrying while a lock is not granted in time."""
    deadline = time.monotonic() + deadline_seconds
    attempt = 0
    while True:
        attempt += 1
        try:
            with psycopg.connect(warehouse_url, autocommit=True) as conn, conn.transaction():
                conn.execute(sql.SQL("set local lock_timeout = {}").format(LOCK_TIMEOUT))
                # One publisher at a time, even across overlapping runs.
                conn.execute("select pg_advisory_xact_lock(hashtext('thinline.publish'))")
                swap(conn)
            return
        except psycopg.errors.LockNotAvailable:
            if time.monotonic() >= deadline:
                raise PublishError(
                    f"could not swap schemas within {deadline_seconds:.0f} s: readers held "
                    f"{PUBLISHED} tables in long transactions ({attempt} attempts)"
                ) from None
            log.info("publish | a reader holds a lock; retrying (attempt %d)", attempt)
            time.sleep(min(0.1 * attempt, 2.0))


def _lock_tables(conn: psycopg.Connection, schemas: list[str]) -> None:
    rows = conn.execute(
        "select format('%%I.%%I', n.nspname, c.relname) from pg_class as c "
        "join pg_namespace as n on n.oid = c.relnamespace "
        "where n.nspname = any(%s) and c.relkind in ('r', 'v', 'm', 'p', 'f') "
        "order by n.nspname, c.relname",
        (schemas,),
    ).fetchall()
    if rows:
        tables = sql.SQL(", ").join(sql.SQL(row[0]) for row in rows)
        conn.execute(sql.SQL("lock table {} in access exclusive mode").format(tables))


def _rename(conn: psycopg.Connection, old: str, new: str) -> None:
    conn.execute(
        sql.SQL("alter schema {} rename to {}").format(sql.Identifier(old), sql.Identifier(new))
    )


def _schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    row = conn.execute("select 1 from pg_namespace where nspname = %s", (schema,)).fetchone()
    return row is not None
