"""VACUUM ANALYZE the freshly built tables before they are published.

dbt creates each mart as a new table: no planner statistics and no visibility map until
autovacuum comes by, a minute or more later. The report (and any BI query) runs right after
publish, so the nightly run does it first: statistics for good plans, and the visibility map
that lets the report's covering indexes answer from the index alone
(bench/report_queries.py, docs/bi.md).
"""

from __future__ import annotations

import psycopg
from psycopg import sql


def vacuum_analyze_schema(warehouse_url: str, schema: str) -> list[str]:
    """VACUUM (ANALYZE) every table of ``schema``; return their names."""
    # VACUUM cannot run inside a transaction block: autocommit, one statement per table.
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "select c.relname from pg_class as c "
                "join pg_namespace as n on n.oid = c.relnamespace "
                "where n.nspname = %s and c.relkind = 'r' order by c.relname",
                (schema,),
            ).fetchall()
        ]
        for table in tables:
            conn.execute(sql.SQL("vacuum (analyze) {}").format(sql.Identifier(schema, table)))
    return tables
