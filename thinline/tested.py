"""When the nightly dbt build last passed every test: the boundary of a weekday night's tests.

A weekday night's key tests of the incremental models read the rows derived since the end of
the last build whose tests all passed (dbt_project/macros/test_scope.sql), not only the rows
this build derived: after a failed night, or a retried transform, the rows an earlier attempt
derived and a test refused are read again until a build passes. No passing build on record:
every row.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

TABLE = "ops.dbt_tested_builds"
DDL = (
    "create schema if not exists ops; "
    f"create table if not exists {TABLE} (passed_at timestamptz not null default now())"
)


def passed_through(conn: psycopg.Connection) -> datetime | None:
    """The end of the last nightly build that passed every test, or None."""
    conn.execute(DDL)
    return conn.execute(f"select max(passed_at) from {TABLE}").fetchone()[0]


def record_passed(conn: psycopg.Connection) -> None:
    """The build that just returned passed every test (the database's clock, as _derived_at)."""
    conn.execute(DDL)
    conn.execute(f"insert into {TABLE} default values")
