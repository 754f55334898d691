"""``ops.conversion_uploads``: one row per platform, destination and conversion, ever.

The ledger is what makes sending safe to repeat: a conversion whose row is final (accepted,
rejected, failed, skipped) is never sent again, whatever reruns, retries or backfills ask;
a row in ``retry`` is sent again once ``next_attempt_at`` has passed, until ``attempts``
reaches the configured maximum, then it is ``failed`` with the platform's last message.
Only hashes of what was sent are kept (``payload_sha256``), never the identifiers.
"""

from __future__ import annotations

import psycopg

from extract.shared_ddl import relations_present, run_shared_ddl

DDL = """
create schema if not exists ops;
create table if not exists ops.conversion_uploads (
    platform text not null,
    destination text not null,
    event_id text not null,
    account_id text not null,
    conversion_id text not null,
    conversion_type text not null,
    occurred_at timestamptz not null,
    value numeric(20, 6),
    currency text,
    status text not null check (
        status in ('pending', 'accepted', 'rejected', 'retry', 'failed', 'skipped')
    ),
    reason text,
    response jsonb,
    payload_sha256 text,
    attempts integer not null default 0,
    recorded_at timestamptz not null,
    updated_at timestamptz not null,
    last_attempt_at timestamptz,
    next_attempt_at timestamptz,
    primary key (platform, destination, event_id)
);
comment on table ops.conversion_uploads is
    'Offline conversions sent to the ad platforms (thinline/conversions/ledger.py)';
"""


def ensure_ledger(conn: psycopg.Connection) -> None:
    """Create ``ops.conversion_uploads`` unless it exists (safe beside other tasks' DDL)."""
    run_shared_ddl(
        conn,
        "ops",
        DDL,
        done=lambda c: relations_present(c, "ops", ["conversion_uploads"]),
    )
