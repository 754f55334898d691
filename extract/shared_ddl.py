"""DDL that several tasks may run at the same moment (ops tables, raw schemas and tables).

``create ... if not exists`` is not safe under concurrency in PostgreSQL: two sessions that
both find the object missing both create it, and the one that commits second fails with
``UniqueViolation`` (or ``DuplicateObject``). Tasks that run side by side on Celery workers
or the local scheduler's processes do exactly that on a fresh warehouse. So every such piece
of DDL runs under a transaction-level advisory lock named after what it creates: the second
session waits until the first commits, then finds everything there. The lock ends with the
transaction, so callers keep these transactions short (never around a whole load).

Every statement that creates something in schema ``ops`` takes the lock ``ops``; a raw
schema's tables take the schema's name; dbt's on-run-start hook takes ``thinline_functions``
for the Markov solver's functions (macros/markov_functions.sql), with the same lock key.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
from psycopg import sql


def run_shared_ddl(
    conn: psycopg.Connection,
    name: str,
    *statements: str | sql.Composable,
    done: Callable[[psycopg.Connection], bool] | None = None,
) -> None:
    """Run ``statements`` holding the advisory lock ``name`` until the transaction ends.

    On an autocommit connection this is a transaction of its own; inside the caller's
    transaction it is a savepoint, and the lock is held until the caller commits.
    ``done``: asked again once the lock is held; True skips the statements. A session that
    waited for another's DDL must not run its own ``if not exists`` copy: it takes the
    tables' exclusive locks while tasks that started after the commit already hold row locks
    on them, a deadlock.
    """
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"ddl:{name}",))
        if done is not None and done(conn):
            return
        for statement in statements:
            conn.execute(statement)


def relations_present(conn: psycopg.Connection, schema: str, names: list[str]) -> bool:
    """Whether every relation ``schema.name`` exists, as this statement's snapshot sees it."""
    found = conn.execute(
        "select count(*) from pg_catalog.pg_class as rel"
        " join pg_catalog.pg_namespace as ns on ns.oid = rel.relnamespace"
        " where ns.nspname = %s and rel.relname = any(%s)",
        (schema, names),
    ).fetchone()[0]
    return found == len(set(names))


def table_comment(conn: psycopg.Connection, schema: str, table: str) -> str | None:
    """The comment on ``schema.table`` (None: no comment or no table), read like
    ``relations_present``."""
    row = conn.execute(
        "select pg_catalog.obj_description(rel.oid, 'pg_class') from pg_catalog.pg_class as rel"
        " join pg_catalog.pg_namespace as ns on ns.oid = rel.relnamespace"
        " where ns.nspname = %s and rel.relname = %s",
        (schema, table),
    ).fetchone()
    return row[0] if row else None
