"""Land a stream's rows in ``raw_<source>.<entity>``: one transaction per stream and window.

Rows stream into a temporary table with ``COPY`` (memory stays flat whatever the count),
then merge into the raw table and advance the watermark in the same transaction, so a
crash mid-load leaves neither partial rows nor a moved watermark. Layout: docs/raw_layout.md.

Bad records never reach the raw table: a record without its key, with a key value that does
not parse as the key column's type, that is not a JSON object, or whose key appears more than
once in the batch goes to ``ops.quarantine`` with its rule and reason, in the same
transaction; the rest of the batch loads. Whether the run may go on is the raw quality gate's
call (``quality``: critical quarantine rules stop it before dbt). See docs/quality.md.

Quarantine heals: while a stream has open quarantined records, each night re-reads from the
start of the window they came from (:func:`read_window` in extract/runner.py), so a record the
source fixes loads; a load that re-read a quarantined record's window closes its row
(``resolved_at``), and a record still bad is quarantined again by that load. So the open rows
are exactly the records that are still bad. ``thinline quarantine resolve`` closes rows by hand.

The watermark is the window's end, but never later than the moment the read began: a window
that ends after "now" cannot claim data that did not exist yet.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from extract.base import LoadMode, RawRow, Skipped, Stream, Window

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
alter table ops.load_batches add column if not exists quarantined_count bigint not null default 0;
create table if not exists ops.quarantine (
    quarantine_id bigserial primary key,
    batch_id text not null,
    run_id text,
    source text not null,
    entity text not null,
    rule text not null,
    severity text not null,
    reason text not null,
    record_key jsonb,
    payload jsonb,
    is_deleted boolean,
    quarantined_at timestamptz not null default now()
);
create index if not exists quarantine_run_idx on ops.quarantine (run_id, source, entity);
alter table ops.quarantine add column if not exists resolved_at timestamptz;
alter table ops.quarantine add column if not exists resolved_by text;
create index if not exists quarantine_open_idx on ops.quarantine (source, entity)
    where resolved_at is null;
create table if not exists ops.watermark_resets (
    source text not null,
    entity text not null,
    from_watermark timestamptz not null,
    to_watermark timestamptz not null,
    reset_by text not null,
    reset_at timestamptz not null default now()
);
"""

CRITICAL, WARNING = "critical", "warning"
# rule -> (severity, reason). Critical ones stop the run at the raw gate; the batch's other
# rows are loaded either way (nothing is lost: the bad ones wait here with their payload).
QUARANTINE_RULES: dict[str, tuple[str, str]] = {
    "QUAR-001": (CRITICAL, "null key"),
    "QUAR-002": (CRITICAL, "duplicate key with different records in one batch"),
    "QUAR-003": (WARNING, "exact duplicate in one batch (one copy loaded)"),
    "QUAR-004": (CRITICAL, "unparsable key value"),
    "QUAR-005": (CRITICAL, "record is not a JSON object"),
}
INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class LoadResult:
    source: str
    entity: str
    batch_id: str
    window: Window
    rows: int
    deleted: int
    quarantined: dict[str, int] = field(default_factory=dict)  # rule -> rows
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> units the fetch passed over


@dataclass(frozen=True)
class Quarantined:
    rule: str
    detail: str
    keys: dict[str, Any]
    record: Any
    is_deleted: bool


def ensure_ops(conn: psycopg.Connection) -> None:
    try:
        conn.execute(OPS_DDL)
    except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateObject):
        conn.execute(OPS_DDL)  # a concurrent first run created it between check and create


def open_quarantine_start(conn: psycopg.Connection, source: str, entity: str) -> datetime | None:
    """Start of the earliest read window that quarantined a record still open (None: none)."""
    row = conn.execute(
        "select min(batches.window_start) from ops.quarantine as quarantine "
        "join ops.load_batches as batches on quarantine.batch_id = batches.batch_id "
        "where quarantine.source = %s and quarantine.entity = %s "
        "and quarantine.resolved_at is null",
        (source, entity),
    ).fetchone()
    return row[0] if row else None


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
    loaded_at = datetime.now(UTC)  # also the moment the read begins: the watermark's limit
    with conn.transaction():
        _ensure_table(conn, schema, stream)
        conn.execute(
            sql.SQL(
                "create temp table _batch on commit drop as select * from {} with no data"
            ).format(table)
        )
        bad: list[Quarantined] = []
        skipped: dict[str, int] = {}
        rows = _copy_rows(
            conn, stream.fetch(window), loaded_at, batch_id, stream, source, bad.append, skipped
        )
        duplicates = _take_duplicates(conn, stream)
        rows -= len(duplicates)
        bad += duplicates
        deleted = _merge(conn, table, stream, keys, window)
        healed = _close_reread_quarantine(conn, source, stream, window, batch_id)
        quarantined = _quarantine(conn, bad, batch_id, run_id, source, stream.entity)
        conn.execute(
            """
            insert into ops.watermarks (source, entity, watermark, batch_id)
            values (%s, %s, %s, %s)
            on conflict (source, entity) do update
            set watermark = greatest(ops.watermarks.watermark, excluded.watermark),
                batch_id = excluded.batch_id,
                updated_at = now()
            """,
            (source, stream.entity, min(window.end, loaded_at), batch_id),
        )
        conn.execute(
            """
            insert into ops.load_batches
                (batch_id, run_id, source, entity, load_mode, window_start, window_end,
                 row_count, deleted_count, quarantined_count)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
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
                sum(quarantined.values()),
            ),
        )
    log.info("%s.%s: committed %d rows (%d marked deleted)", source, stream.entity, rows, deleted)
    if healed:
        log.info("%s.%s: %d quarantined records re-read (closed)", source, stream.entity, healed)
    for reason, count in sorted(skipped.items()):
        log.warning("%s.%s: skipped %d: %s", source, stream.entity, count, reason)
    for rule, count in sorted(quarantined.items()):
        severity, reason = QUARANTINE_RULES[rule]
        log.warning(
            "%s.%s: quarantined %d rows: %s [%s, %s]",
            source,
            stream.entity,
            count,
            reason,
            rule,
            severity,
        )
    return LoadResult(source, stream.entity, batch_id, window, rows, deleted, quarantined, skipped)


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
    rows: Iterator[RawRow | Skipped],
    loaded_at: datetime,
    batch_id: str,
    stream: Stream,
    source: str,
    quarantine: Any,
    skipped: dict[str, int],
) -> int:
    """COPY the good rows into ``_batch``; hand bad ones to ``quarantine`` and count what the
    fetch skipped into ``skipped``. Returns the number of rows copied."""
    keys = list(stream.key_columns)
    columns = sql.SQL(", ").join(
        map(sql.Identifier, [*keys, "record", "is_deleted", "_loaded_at", "_batch_id"])
    )
    count = fetched = 0
    statement = sql.SQL("copy _batch ({}) from stdin").format(columns)
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            if isinstance(row, Skipped):
                skipped[row.reason] = skipped.get(row.reason, 0) + row.count
                continue
            fetched += 1
            if fetched % PROGRESS_EVERY == 0:
                log.info("%s.%s: %d rows fetched so far", source, stream.entity, fetched)
            problem = _problem(row, stream)
            if problem is not None:
                rule, detail = problem
                named = dict(zip(keys, row.keys, strict=False))
                quarantine(Quarantined(rule, detail, named, row.record, row.is_deleted))
                continue
            copy.write_row((*row.keys, Jsonb(row.record), row.is_deleted, loaded_at, batch_id))
            count += 1
    return count


def _problem(row: RawRow, stream: Stream) -> tuple[str, str] | None:
    """The quarantine rule a row breaks (checked before COPY, so one bad value cannot abort
    the whole batch), or None."""
    if not isinstance(row.record, dict):
        return "QUAR-005", f"record is a {type(row.record).__name__}"
    if len(row.keys) != len(stream.key_columns):
        return "QUAR-004", f"{len(row.keys)} key values for {len(stream.key_columns)} columns"
    for (column, pg_type), value in zip(stream.key_columns.items(), row.keys, strict=True):
        if value is None or value == "":
            return "QUAR-001", f"{column} is null"
        if not _parses(value, pg_type):
            return "QUAR-004", f"{column} {str(value)[:80]!r} is not a {pg_type}"
    return None


def _parses(value: Any, pg_type: str) -> bool:
    if pg_type == "bigint":
        if isinstance(value, bool):
            return False
        try:
            number = int(value) if isinstance(value, int | str) else None
        except ValueError:
            return False
        return number is not None and INT64[0] <= number <= INT64[1]
    if pg_type == "date":
        if isinstance(value, date):
            return True
        try:
            date.fromisoformat(str(value))
        except ValueError:
            return False
        return True
    return isinstance(value, str) and "\x00" not in value


def _take_duplicates(conn: psycopg.Connection, stream: Stream) -> list[Quarantined]:
    """Move keys that occur more than once in ``_batch`` out of it: exact copies keep one row
    (QUAR-003 for the others), differing versions all go (QUAR-002: which one is right?)."""
    keys = list(stream.key_columns)
    key_list = sql.SQL(", ").join(map(sql.Identifier, keys))
    conn.execute(
        sql.SQL(
            "create temp table _duplicates on commit drop as "
            "select ctid as row_ctid, {keys}, record, is_deleted, "
            "count(*) over (partition by {keys}) as copies, "
            "count(*) over (partition by {keys}, record) as same, "
            "row_number() over (partition by {keys}, record order by ctid) as nth "
            "from _batch where ({keys}) in "
            "(select {keys} from _batch group by {keys} having count(*) > 1)"
        ).format(keys=key_list)
    )
    rows = conn.execute(
        sql.SQL(
            "select {keys}, record, is_deleted, copies = same as exact, nth from _duplicates "
            "where copies <> same or nth > 1"
        ).format(keys=key_list)
    ).fetchall()
    conn.execute(
        "delete from _batch where ctid in (select row_ctid from _duplicates "
        "where copies <> same or nth > 1)"
    )
    taken = []
    for row in rows:
        named = dict(zip(keys, row[: len(keys)], strict=True))
        record, is_deleted, exact, nth = row[len(keys) :]
        if exact:
            taken.append(Quarantined("QUAR-003", f"copy {nth}", named, record, is_deleted))
        else:
            taken.append(Quarantined("QUAR-002", "differing versions", named, record, is_deleted))
    return taken


def _quarantine(
    conn: psycopg.Connection,
    bad: list[Quarantined],
    batch_id: str,
    run_id: str | None,
    source: str,
    entity: str,
) -> dict[str, int]:
    counts: dict[str, int] = {}
    if not bad:
        return counts
    with conn.cursor() as cursor:
        cursor.executemany(
            "insert into ops.quarantine (batch_id, run_id, source, entity, rule, severity, "
            "reason, record_key, payload, is_deleted) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    batch_id,
                    run_id,
                    source,
                    entity,
                    item.rule,
                    QUARANTINE_RULES[item.rule][0],
                    f"{QUARANTINE_RULES[item.rule][1]}: {item.detail}",
                    Jsonb(item.keys, dumps=_dumps),
                    Jsonb(item.record, dumps=_dumps),
                    item.is_deleted,
                )
                for item in bad
            ],
        )
    for item in bad:
        counts[item.rule] = counts.get(item.rule, 0) + 1
    return counts


def _close_reread_quarantine(
    conn: psycopg.Connection, source: str, stream: Stream, window: Window, batch_id: str
) -> int:
    """Close the open quarantine rows whose window this load read again: the record loaded,
    or is quarantined again by this very batch (a snapshot re-reads everything)."""
    covered = (
        sql.SQL("")
        if stream.load_mode is LoadMode.SNAPSHOT
        else sql.SQL(
            "and batch_id in (select batch_id from ops.load_batches "
            "where source = %(source)s and entity = %(entity)s and window_start >= %(start)s)"
        )
    )
    cursor = conn.execute(
        sql.SQL(
            "update ops.quarantine set resolved_at = now(), resolved_by = %(batch)s "
            "where source = %(source)s and entity = %(entity)s and resolved_at is null {}"
        ).format(covered),
        {"source": source, "entity": stream.entity, "start": window.start, "batch": batch_id},
    )
    return cursor.rowcount


def resolve_quarantine(
    conn: psycopg.Connection, source: str, entity: str | None, by: str
) -> dict[str, int]:
    """Close open quarantine rows by hand (the re-reads stop): ``{entity: rows}`` closed."""
    rows = conn.execute(
        "update ops.quarantine set resolved_at = now(), resolved_by = %s "
        "where source = %s and (%s::text is null or entity = %s) and resolved_at is null "
        "returning entity",
        (by, source, entity, entity),
    ).fetchall()
    closed: dict[str, int] = {}
    for (name,) in rows:
        closed[name] = closed.get(name, 0) + 1
    return closed


def open_quarantine_counts(conn: psycopg.Connection, source: str) -> dict[str, int]:
    """``{entity: rows}`` still quarantined (open) for ``source``."""
    rows = conn.execute(
        "select entity, count(*) from ops.quarantine where source = %s and resolved_at is null "
        "group by 1 order by 1",
        (source,),
    ).fetchall()
    return {entity: count for entity, count in rows}


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str)


def quarantine_counts(
    conn: psycopg.Connection, run_id: str, source: str
) -> dict[str, dict[str, int]]:
    """``{entity: {"<reason> [<rule>]": rows}}`` quarantined by ``run_id`` for ``source``."""
    rows = conn.execute(
        "select entity, rule, count(*) from ops.quarantine where run_id = %s and source = %s "
        "group by 1, 2 order by 1, 2",
        (run_id, source),
    ).fetchall()
    counts: dict[str, dict[str, int]] = {}
    for entity, rule, count in rows:
        label = f"{QUARANTINE_RULES.get(rule, ('', rule))[1]} [{rule}]"
        counts.setdefault(entity, {})[label] = count
    return counts


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
            "and ({keys}) not in (select {keys} from _batch where {first} is not null) "
            # a key quarantined as ambiguous was returned: keep its earlier version live
            "and ({keys}) not in (select {keys} from _duplicates)"
        ).format(table=table, keys=key_list, first=sql.Identifier(keys[0]))
    )
    return cursor.rowcount
