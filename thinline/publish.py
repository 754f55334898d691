"""Publish: swap the checked build schema in as ``analytics`` in one transaction.

BI tools only ever see a complete version: the previous one until the commit, the new one
after. The previous version is kept as ``analytics_previous`` for rollback.
"""

from __future__ import annotations

import psycopg

PUBLISHED = "analytics"
PREVIOUS = "analytics_previous"


class PublishError(Exception):
    pass


def publish(warehouse_url: str, build_schema: str) -> list[str]:
    """Swap ``build_schema`` in as ``analytics``; return the published table names."""
    with psycopg.connect(warehouse_url, autocommit=True) as conn, conn.transaction():
        # One publisher at a time, even across overlapping runs.
        conn.execute("select pg_advisory_xact_lock(hashtext('thinline.publish'))")
        if not _schema_exists(conn, build_schema):
            raise PublishError(f"nothing to publish: schema {build_schema} does not exist")
        conn.execute(f'drop schema if exists "{PREVIOUS}" cascade')
        if _schema_exists(conn, PUBLISHED):
            conn.execute(f'alter schema "{PUBLISHED}" rename to "{PREVIOUS}"')
        conn.execute(f'alter schema "{build_schema}" rename to "{PUBLISHED}"')
        rows = conn.execute(
            "select table_name from information_schema.tables where table_schema = %s "
            "order by table_name",
            (PUBLISHED,),
        ).fetchall()
    return [row[0] for row in rows]


def _schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    row = conn.execute("select 1 from pg_namespace where nspname = %s", (schema,)).fetchone()
    return row is not None
