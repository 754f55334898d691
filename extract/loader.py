"""Land a stream's rows in ``raw_<source>.<entity>``: one transaction per stream and window.

Rows stream into a temporary table with ``COPY`` (memory stays flat whatever the count),
then merge into the raw table and advance the watermark in the same transaction, so a
crash mid-load leaves neither partial rows nor a moved watermark. Layout: docs/raw_layout.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from extract.base import LoadMode, RawRow, Stream, Window

log = logging.getLogger(__name__)

PROGRESS_EVERY = 50_000

OPS_DDL = """
create schema if not exists ops;
create table if not exists ops.watermarks (
    source text not null,
    entity text not null,
    watermark timestamptz not null,
    batch_id text not null,
    updated_at timestamptz not null default now(),
    primary key (source, entity)
);
create table if not exists ops.load_batches (
    batch_id text primary key,
    run_id text,
    source text not null,
    entity text not null,
    load_mode text not null,
    window_start timestamptz not null,
    window_end timestamptz not null,
    row_count bigint not null,
    deleted_count bigint not null,
    loaded_at timestamptz not null default now()
);
"""


@dataclass(frozen=True)
class LoadResult:
    source: str
    entity: str
    batch_id: str
    window: Window
    rows: int
    deleted: int


def ensure_ops(conn: psycopg.Connection) -> None:
    conn.execute(OPS_DDL)


def read_watermark(conn: psycopg.Connection, source: str, entity: str) -> datetime | None:
    row = conn.execute(
        "select watermark from ops.watermarks where source = %s and entity = %s",
        (source, entity),
    ).fetchone()
    return row[0] if row else None


def load_stream(
    conn: psycopg.Connection,
    source: str,
    stream: Stream,
    window: Window,
    batch_id: str,
    run_id: str | None = None,
) -> LoadResult:
    """Fetch ``stream`` for ``window`` and land it; commit rows and watermark together."""
    schema = f"raw_{source}"
    table = sql.Identifier(schema, stream.entity)
    keys = list(stream.key_columns)
    loaded_at = datetime.now(UTC)
    with conn.transaction():
        _ensure_table(conn, schema, stream)
        conn.execute(
            sql.SQL(
                "create temp table _batch on commit drop as select * from {} with no data"
            ).format(table)
        )
        rows = _copy_rows(conn, stream.fetch(window), keys, loaded_at, batch_id, stream, source)
        deleted = _merge(conn, table, stream, keys, window)
        conn.execute(
            """
            insert into ops.watermarks (source, entity, watermark, batch_id)
            values (%s, %s, %s, %s)
            on conflict (source, entity) do update
            set watermark = greatest(ops.watermarks.watermark, excluded.watermark),
                batch_id = excluded.batch_id,
                updated_at = now()
            """,
            (source, stream.entity, window.end, batch_id),
        )
        conn.execute(
            """
            insert into ops.load_batches
                (batch_id, run_id, source, entity, load_mode, window_start, window_end,
                 row_count, deleted_count)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s)
            """,
            (
                batch_id,
                run_id,
                source,
                stream.entity,
                stream.load_mode.value,
                window.start,
                window.end,
                rows,
                deleted,
            ),
        )
    log.info("%s.%s: committed %d rows (%d marked deleted)", source, stream.entity, rows, deleted)
    return LoadResult(source, stream.entity, batch_id, window, rows, deleted)


def _ensure_table(conn: psycopg.Connection, schema: str, stream: Stream) -> None:
    key_defs = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(pg_type))
        for name, pg_type in stream.key_columns.items()
    )
    conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
    conn.execute(
        sql.SQL(
            "create table if not exists {table} ({keys}, record jsonb not null, "
            "is_deleted boolean not null default false, _loaded_at timestamptz not null, "
            "_batch_id text not null)"
        ).format(table=sql.Identifier(schema, stream.entity), keys=key_defs)
    )
    conn.execute(
        sql.SQL("create index if not exists {index} on {table} ({keys})").format(
            index=sql.Identifier(f"{stream.entity}_keys_idx"),
            table=sql.Identifier(schema, stream.entity),
            keys=sql.SQL(", ").join(map(sql.Identifier, stream.key_columns)),
        )
    )


def _copy_rows(
    conn: psycopg.Connection,
    rows: Iterator[RawRow],
    keys: list[str],
    loaded_at: datetime,
    batch_id: str,
    stream: Stream,
    source: str,
) -> int:
    columns = sql.SQL(", ").join(
        map(sql.Identifier, [*keys, "record", "is_deleted", "_loaded_at", "_batch_id"])
    )
    count = 0
    statement = sql.SQL("copy _batch ({}) from stdin").format(columns)
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row((*row.keys, Jsonb(row.record), row.is_deleted, loaded_at, batch_id))
            count += 1
            if count % PROGRESS_EVERY == 0:
                log.info("%s.%s: %d rows fetched so far", source, stream.entity, count)
    return count


def _merge(
    conn: psycopg.Connection, table: sql.Identifier, stream: Stream, keys: list[str], window: Window
) -> int:
    """Replace what the batch supersedes, insert the batch; return rows newly marked deleted."""
    key_list = sql.SQL(", ").join(map(sql.Identifier, keys))
    if stream.load_mode is LoadMode.REPLACE_DAYS:
        # Restated days: every re-read day is replaced whole, so nothing is double counted.
        days = window.days()
        if days:
            conn.execute(
                sql.SQL("delete from {} where {} >= %s and {} < %s").format(
                    table, sql.Identifier(stream.day_column), sql.Identifier(stream.day_column)
                ),
                (days[0], days[-1] + timedelta(days=1)),
            )
    else:
        conn.execute(
            sql.SQL("delete from {table} where ({keys}) in (select {keys} from _batch)").format(
                table=table, keys=key_list
            )
        )
    conn.execute(sql.SQL("insert into {} select * from _batch").format(table))
    if stream.load_mode is not LoadMode.SNAPSHOT:
        return 0
    # A full snapshot that no longer returns a row means the source removed it: mark, keep.
    cursor = conn.execute(
        sql.SQL(
            "update {table} set is_deleted = true where not is_deleted "
            "and ({keys}) not in (select {keys} from _batch where {first} is not null)"
        ).format(table=table, keys=key_list, first=sql.Identifier(keys[0]))
    )
    return cursor.rowcount
