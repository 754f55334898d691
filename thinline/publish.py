"""Publish and rollback: swap a checked schema in as ``analytics`` in one transaction.

BI tools only ever see a complete version: the previous one until the commit, the new one
after. The previous version is kept as ``analytics_previous`` for ``thinline rollback``.

Locks. Renaming a schema takes no table lock, so on its own a reader's query could resolve
one table of the old version and, a moment later, another of the new. The swap therefore
first takes ACCESS EXCLUSIVE on every table of ``analytics`` (and ``analytics_previous``, which
it drops) and on the views users built on them: a query already reading the old version
finishes first, a query arriving during the swap waits for the commit and then resolves every
name in the new version. That wait is only the swap's own few milliseconds, except while the
swap itself queues behind a long reader: ``lock_timeout`` bounds that queueing (a reader waits
at most that long), and the swap then rolls back and tries again a little later, until
``deadline_seconds``.

BI cannot hold it up. One publisher at a time is ensured by a lock on ``ops.published_views``,
which only the owner may take (bi_reader has no privilege in ``ops``; the advisory key used
before could be taken by any login). A BI session that holds a table of the swap, be it a long
query or a transaction left open (its role's timeouts are only defaults it may lift), is given
``reader_patience_seconds`` (at most half the deadline); after that, each failed try ends the
bi_reader sessions holding those tables (``pg_terminate_backend``: cancelling a query would
leave its transaction, and its locks, in place) and logs each one. Sessions of other roles are
waited for until the deadline, as before.

Views and grants users add on ``analytics`` are re-created on the version put in place, in the
same transaction, or named in the log and in the result (thinline/dependents.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from thinline import dependents
from thinline.roles import BI_READER, ensure_bi_reader, grant_reader, revoke_reader

log = logging.getLogger(__name__)

PUBLISHED = "analytics"
PREVIOUS = "analytics_previous"
SWAPPING = "analytics_swapping"  # rollback's stand-in name, never seen after commit
LOCK_TIMEOUT = "300ms"  # longest a reader may queue behind a swap that waits itself
DEADLINE_SECONDS = 300.0
READER_PATIENCE_SECONDS = 60.0  # BI sessions holding the swap's tables are ended after this


class PublishError(Exception):
    """Publish or rollback cannot proceed; the message says why in one line."""


class Published(list[str]):
    """The published table names (a list, as before), and what the swap did besides:
    ``not_kept``, one line per view, grant or object of a user's it could not carry to the
    version in place; ``ended_sessions``, one line per BI session it ended."""

    def __init__(self, tables: list[str], not_kept: list[str], ended_sessions: list[str]):
        super().__init__(tables)
        self.not_kept = not_kept
        self.ended_sessions = ended_sessions


@dataclass
class _Swapped:
    not_kept: list[str] = field(default_factory=list)
    to_refresh: list[str] = field(default_factory=list)


def publish(
    warehouse_url: str,
    build_schema: str,
    reader_password: str | None = None,
    deadline_seconds: float = DEADLINE_SECONDS,
    reader_patience_seconds: float = READER_PATIENCE_SECONDS,
) -> Published:
    """Swap ``build_schema`` in as ``analytics``; return the published table names."""

    def swap(conn: psycopg.Connection) -> _Swapped:
        if not _schema_exists(conn, build_schema):
            raise PublishError(f"nothing to publish: schema {build_schema} does not exist")
        grant_reader(conn, build_schema)  # before the rename: readable from the first instant
        _lock_relations(conn)
        swapped = _Swapped()
        swapped.not_kept += dependents.dropped_with(conn, PREVIOUS)
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(PREVIOUS)))
        saved = dependents.save(conn, PUBLISHED, BI_READER)
        if _schema_exists(conn, PUBLISHED):
            _rename(conn, PUBLISHED, PREVIOUS)
            revoke_reader(conn, PREVIOUS)
        _rename(conn, build_schema, PUBLISHED)
        return _restore(conn, saved, swapped, after_publish=True)

    return _swap(warehouse_url, reader_password, swap, deadline_seconds, reader_patience_seconds)


def rollback(
    warehouse_url: str,
    reader_password: str | None = None,
    deadline_seconds: float = DEADLINE_SECONDS,
    reader_patience_seconds: float = READER_PATIENCE_SECONDS,
) -> Published:
    """Swap ``analytics_previous`` back in as ``analytics`` (the rolled-back version becomes
    ``analytics_previous``, so a second rollback rolls forward); return the table names."""

    def swap(conn: psycopg.Connection) -> _Swapped:
        if not _schema_exists(conn, PREVIOUS):
            raise PublishError(
                f"nothing to roll back: schema {PREVIOUS} does not exist "
                "(it is kept by a publish that replaced an earlier version)"
            )
        grant_reader(conn, PREVIOUS)
        _lock_relations(conn)
        saved = dependents.save(conn, PUBLISHED, BI_READER)
        has_published = _schema_exists(conn, PUBLISHED)
        if has_published:
            _rename(conn, PUBLISHED, SWAPPING)
        _rename(conn, PREVIOUS, PUBLISHED)
        if has_published:
            _rename(conn, SWAPPING, PREVIOUS)
            revoke_reader(conn, PREVIOUS)
        return _restore(conn, saved, _Swapped(), after_publish=False)

    return _swap(warehouse_url, reader_password, swap, deadline_seconds, reader_patience_seconds)


def published_tables(warehouse_url: str) -> list[str]:
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            "select table_name from information_schema.tables where table_schema = %s "
            "order by table_name",
            (PUBLISHED,),
        ).fetchall()
    return [row[0] for row in rows]


def _restore(
    conn: psycopg.Connection, saved: dependents.Saved, swapped: _Swapped, after_publish: bool
) -> _Swapped:
    restored = dependents.restore(conn, PUBLISHED, saved, BI_READER, after_publish)
    swapped.not_kept += saved.not_kept + restored.not_kept
    swapped.to_refresh = restored.to_refresh
    return swapped


def _swap(
    warehouse_url: str,
    reader_password: str | None,
    swap: Callable[[psycopg.Connection], _Swapped],
    deadline_seconds: float,
    reader_patience_seconds: float,
) -> Published:
    """Prepare, swap in one transaction (retried), refresh, report."""
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        # Outside the swap: the role, its lock-down and the registry change rarely, and a
        # refusal there must not hold the swap's locks.
        ensure_bi_reader(conn, reader_password)
        dependents.ensure_registry(conn)
    swapped, ended = _in_one_transaction(
        warehouse_url, swap, deadline_seconds, min(reader_patience_seconds, deadline_seconds / 2)
    )
    not_kept = swapped.not_kept + dependents.refresh(warehouse_url, swapped.to_refresh)
    for line in not_kept:
        log.warning("publish | NOT KEPT %s", line)
    return Published(published_tables(warehouse_url), not_kept, ended)


def _in_one_transaction(
    warehouse_url: str,
    swap: Callable[[psycopg.Connection], _Swapped],
    deadline_seconds: float,
    patience_seconds: float,
) -> tuple[_Swapped, list[str]]:
    """Run ``swap`` in one transaction, retrying while a lock is not granted in time; past
    ``patience_seconds``, end the BI sessions that hold it up."""
    started = time.monotonic()
    ended: list[str] = []
    attempt = 0
    while True:
        attempt += 1
        try:
            with psycopg.connect(warehouse_url, autocommit=True) as conn, conn.transaction():
                conn.execute(sql.SQL("set local lock_timeout = {}").format(LOCK_TIMEOUT))
                # Every name the swap saves or reads is schema-qualified (views' definitions).
                conn.execute("set local search_path = pg_catalog")
                # One publisher at a time, even across overlapping runs: see the docstring.
                conn.execute(f"lock table {dependents.REGISTRY} in exclusive mode")
                return swap(conn), ended
        except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected):
            waited = time.monotonic() - started
            if waited >= deadline_seconds:
                raise PublishError(
                    f"could not swap schemas within {deadline_seconds:.0f} s: readers held "
                    f"{PUBLISHED} tables in long transactions ({attempt} attempts)"
                ) from None
            if waited >= patience_seconds and (just_ended := _end_bi_sessions(warehouse_url)):
                ended += just_ended
                continue  # at once, before another long query takes the tables
            log.info("publish | a reader holds a lock; retrying (attempt %d)", attempt)
            time.sleep(min(0.1 * attempt, 2.0))


def _relations(conn: psycopg.Connection) -> list[tuple[int, str, bool]]:
    """(oid, name, lockable) of what the swap must lock: users' views on ``analytics``
    (outermost first, as a reader locks a view before its tables), then both versions'.
    LOCK TABLE refuses materialized views (the swap drops or re-creates them, which locks
    them), and another role's view (the swap cannot replace it either: it is reported)."""
    views = [oid for oid, _ in dependents.views_on(conn, PUBLISHED)]
    rows = conn.execute(
        "select c.oid, format('%%I.%%I', n.nspname, c.relname), "
        "c.relkind <> 'm' and pg_has_role(c.relowner, 'USAGE') "
        "from pg_class as c join pg_namespace as n on n.oid = c.relnamespace "
        "where (n.nspname = any(%s) and c.relkind in ('r', 'v', 'm', 'p', 'f')) "
        "or c.oid = any(%s) "
        "order by array_position(%s, c.oid), n.nspname, c.relname",
        ([PUBLISHED, PREVIOUS], views, views),
    ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


def _lock_relations(conn: psycopg.Connection) -> None:
    names = [name for _, name, lockable in _relations(conn) if lockable]
    if names:
        tables = sql.SQL(", ").join(sql.SQL(name) for name in names)
        conn.execute(sql.SQL("lock table {} in access exclusive mode").format(tables))


def _end_bi_sessions(warehouse_url: str) -> list[str]:
    """End the bi_reader sessions holding (or queued for) a lock on what the swap must lock;
    one line for each, logged."""
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        relations = [oid for oid, _, _ in _relations(conn)]
        holders = conn.execute(
            "select a.pid, coalesce(nullif(a.application_name, ''), 'unnamed client'), "
            "coalesce(host(a.client_addr), 'local'), a.state, "
            "to_char(a.xact_start at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') "
            "from pg_stat_activity as a "
            "where a.usename = %s and a.pid <> pg_backend_pid() and exists ("
            "select from pg_locks as l where l.pid = a.pid and l.relation = any(%s) "
            "and l.database = (select oid from pg_database where datname = current_database()))",
            (BI_READER, relations),
        ).fetchall()
        ended = []
        for pid, application, client, state, since in holders:
            line = (
                f"pid {pid} ({application} from {client}, {state}, "
                f"transaction open since {since} UTC)"
            )
            try:
                conn.execute("select pg_terminate_backend(%s, 5000)", (pid,))
            except psycopg.errors.InsufficientPrivilege:
                log.warning(
                    "publish | may not end %s session %s that holds up the swap; a DBA should "
                    "run: GRANT %s TO <the warehouse role>",
                    BI_READER,
                    line,
                    BI_READER,
                )
                continue
            log.warning(
                "publish | ended %s session %s: it held the tables to swap", BI_READER, line
            )
            ended.append(line)
    return ended


def _rename(conn: psycopg.Connection, old: str, new: str) -> None:
    conn.execute(
        sql.SQL("alter schema {} rename to {}").format(sql.Identifier(old), sql.Identifier(new))
    )


def _schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    row = conn.execute("select 1 from pg_namespace where nspname = %s", (schema,)).fetchone()
    return row is not None
