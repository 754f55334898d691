"""The build schema is vacuumed and analyzed before publish (thinline/vacuum.py)."""

from __future__ import annotations

import psycopg

from thinline.vacuum import vacuum_analyze_schema


def test_every_table_of_the_schema_is_vacuumed_and_analyzed(fresh_database: str) -> None:
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("create schema analytics_build")
        conn.execute("create schema other")
        for table in ("analytics_build.fct_a", "analytics_build.fct_b", "other.fct_c"):
            conn.execute(f"create table {table} as select generate_series(1, 1000) as row_id")
        conn.execute("create view analytics_build.v as select 1 as one")

    assert vacuum_analyze_schema(fresh_database, "analytics_build") == ["fct_a", "fct_b"]

    with psycopg.connect(fresh_database) as conn:
        rows = conn.execute(
            "select schemaname || '.' || relname, last_vacuum is not null, "
            "last_analyze is not null from pg_stat_user_tables order by 1"
        ).fetchall()
        visible = conn.execute(
            "select relallvisible > 0 from pg_class where oid = 'analytics_build.fct_a'::regclass"
        ).fetchone()
    assert rows == [
        ("analytics_build.fct_a", True, True),
        ("analytics_build.fct_b", True, True),
        ("other.fct_c", False, False),
    ]
    assert visible == (True,)  # the visibility map index-only scans need
