"""Land a stream's rows in ``raw_<source>.<entity>``: one transaction per stream and window.

Rows stream straight into the raw table with ``COPY``, as close to a bare ``COPY`` as a merge
allows: a record is written once (not into a temporary table and again into the raw one),
as the source's own JSON text when the connector kept it (:class:`~extract.http.RawRecord`),
and sent by a writer thread, so the fetch goes on while PostgreSQL digests. Their keys go,
every ``KEY_CHUNK`` rows, into a temporary key table, so memory stays flat whatever the count.
Then, in the same transaction: keys the batch holds twice are settled (below), the older
versions of the batch's keys (``merge``, ``snapshot``) or of the window's days
(``replace_days``) are deleted (every row of this batch carries its ``_batch_id``, so none of
them is; a table that was empty has nothing to delete), and the watermark advances. A crash
mid-load leaves neither partial rows nor a moved watermark. Layout: docs/raw_layout.md; where
a load's time goes: :class:`LoadResult` ``seconds``.

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

import hashlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from psycopg.types.json import Jsonb

from extract.accounts import account_scope
from extract.base import LoadMode, RawRow, Skipped, Stream, Window
from extract.http import RawRecord
from extract.shared_ddl import relations_present, run_shared_ddl, table_comment

log = logging.getLogger(__name__)

PROGRESS_EVERY = 50_000
KEY_CHUNK = 10_000  # keys held in memory before they are copied to the key table
ANALYZE_KEYS = 1_000  # a batch this big gets statistics before its merge (5-10 ms)

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
-- One watermark per account of a source read account by account ('' : the whole source).
alter table ops.watermarks add column if not exists account text not null default '';
alter table ops.watermarks drop constraint if exists watermarks_pkey;
alter table ops.watermarks add constraint watermarks_pkey primary key (source, entity, account);
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
alter table ops.load_batches add column if not exists account text not null default '';
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
alter table ops.quarantine add column if not exists account text not null default '';
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
alter table ops.watermark_resets add column if not exists account text not null default '';
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
    seconds: dict[str, float] = field(default_factory=dict)  # part of the load -> wall seconds


@dataclass(frozen=True)
class Quarantined:
    rule: str
    detail: str
    keys: dict[str, Any]
    record: Any
    is_deleted: bool


# OPS_DDL's fingerprint, kept as ops.load_batches' comment once it has run: a night that finds
# it skips the DDL, whose `create index` and `alter table` (even when there is nothing to do)
# would wait for every other task's open load, which holds ops.load_batches until it commits.
OPS_DDL_VERSION = "thinline ops " + hashlib.sha256(OPS_DDL.encode()).hexdigest()[:16]


def _ops_current(conn: psycopg.Connection) -> bool:
    return table_comment(conn, "ops", "load_batches") == OPS_DDL_VERSION


def ensure_ops(conn: psycopg.Connection) -> None:
    if _ops_current(conn):
        return
    run_shared_ddl(
        conn,
        "ops",
        OPS_DDL,
        sql.SQL("comment on table ops.load_batches is {}").format(sql.Literal(OPS_DDL_VERSION)),
        done=_ops_current,
    )


def open_quarantine_start(
    conn: psycopg.Connection, source: str, entity: str, account: str = ""
) -> datetime | None:
    """Start of the earliest read window that quarantined a record of ``account`` still open
    (None: none)."""
    row = conn.execute(
        "select min(batches.window_start) from ops.quarantine as quarantine "
        "join ops.load_batches as batches on quarantine.batch_id = batches.batch_id "
        "where quarantine.source = %s and quarantine.entity = %s and quarantine.account = %s "
        "and quarantine.resolved_at is null",
        (source, entity, account),
    ).fetchone()
    return row[0] if row else None


def read_watermark(
    conn: psycopg.Connection, source: str, entity: str, account: str = ""
) -> datetime | None:
    row = conn.execute(
        "select watermark from ops.watermarks where source = %s and entity = %s and account = %s",
        (source, entity, account),
    ).fetchone()
    return row[0] if row else None


def load_stream(
    conn: psycopg.Connection,
    source: str,
    stream: Stream,
    window: Window,
    batch_id: str,
    run_id: str | None = None,
    account: str = "",
) -> LoadResult:
    """Fetch ``stream`` for ``window`` and land it; commit rows and watermark together.
    ``account``: the rows are one account's, and only its rows are replaced or marked deleted."""
    schema = f"raw_{source}"
    table = sql.Identifier(schema, stream.entity)
    keys = list(stream.key_columns)
    loaded_at = datetime.now(UTC)  # also the moment the read begins: the watermark's limit
    lap = Laps()
    with conn.transaction():
        _ensure_table(conn, schema, stream)
        with conn.pipeline():  # one round trip for all of these
            conn.execute(
                sql.SQL(
                    "create temp table _batch_keys on commit drop as select {} from {} with no data"
                ).format(sql.SQL(", ").join(map(sql.Identifier, keys)), table)
            )
            holding = conn.execute(sql.SQL("select exists (select from {})").format(table))
        fresh = not holding.fetchone()[0]  # nothing for the batch to supersede: no merge to do
        lap("prepare")
        bad: list[Quarantined] = []
        skipped: dict[str, int] = {}
        rows = _copy_rows(
            conn,
            table,
            stream.fetch(window),
            (loaded_at.isoformat(), batch_id),  # as text: formatting a datetime per row is slow
            stream,
            source,
            bad.append,
            skipped,
        )
        lap("fetch_and_copy")
        duplicates = _take_duplicates(conn, table, stream, batch_id)
        rows -= len(duplicates)
        bad += duplicates
        lap("dedupe")
        scope = account_scope(stream, account)
        deleted = 0 if fresh else _merge(conn, table, stream, window, batch_id, rows, scope)
        lap("merge")
        with conn.pipeline():
            healing = _close_reread_quarantine(conn, source, stream, window, batch_id, account)
            quarantined = _quarantine(conn, bad, batch_id, run_id, source, stream.entity, account)
            conn.execute(
                """
                insert into ops.watermarks (source, entity, account, watermark, batch_id)
                values (%s, %s, %s, %s, %s)
                on conflict (source, entity, account) do update
                set watermark = greatest(ops.watermarks.watermark, excluded.watermark),
                    batch_id = excluded.batch_id,
                    updated_at = now()
                """,
                (source, stream.entity, account, min(window.end, loaded_at), batch_id),
            )
            conn.execute(
                """
                insert into ops.load_batches
                    (batch_id, run_id, source, entity, account, load_mode, window_start,
                     window_end, row_count, deleted_count, quarantined_count)
                values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                """,
                (
                    batch_id,
                    run_id,
                    source,
                    stream.entity,
                    account,
                    stream.load_mode.value,
                    window.start,
                    window.end,
                    rows,
                    deleted,
                    sum(quarantined.values()),
                ),
            )
        healed = healing.rowcount  # answered once the pipeline is through
        lap("bookkeeping")
    lap("commit")
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
    return LoadResult(
        source, stream.entity, batch_id, window, rows, deleted, quarantined, skipped, lap.seconds
    )


class Laps:
    """Wall seconds per part of a load, each part from the end of the one before."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._mark = time.perf_counter()

    def __call__(self, part: str) -> None:
        now = time.perf_counter()
        self.seconds[part] = self.seconds.get(part, 0.0) + now - self._mark
        self._mark = now


def _ensure_table(conn: psycopg.Connection, schema: str, stream: Stream) -> None:
    """Create the raw table and its indexes where missing, with the load (a crashed first load
    leaves no table). Only then under the schema's DDL lock, which the load holds to its end:
    the loads of a night that find their tables in place do not wait for each other."""
    indexes = [f"{stream.entity}_keys_idx", f"{stream.entity}_loaded_idx"]
    if stream.day_column is not None:
        indexes.append(f"{stream.entity}_day_idx")

    def present(conn: psycopg.Connection) -> bool:
        return relations_present(conn, schema, [stream.entity, *indexes])

    if present(conn):
        return
    table = sql.Identifier(schema, stream.entity)
    key_defs = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(pg_type))
        for name, pg_type in stream.key_columns.items()
    )
    statements = [
        sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)),
        sql.SQL(
            "create table if not exists {table} ({keys}, record jsonb not null, "
            "is_deleted boolean not null default false, _loaded_at timestamptz not null, "
            "_batch_id text not null)"
        ).format(table=table, keys=key_defs),
        sql.SQL("create index if not exists {index} on {table} ({keys})").format(
            index=sql.Identifier(indexes[0]),
            table=table,
            keys=sql.SQL(", ").join(map(sql.Identifier, stream.key_columns)),
        ),
        # the incremental models read the rows loaded since their last build (dbt_project's
        # README_incremental.md): by index, not by reading the whole history each night
        sql.SQL("create index if not exists {index} on {table} (_loaded_at)").format(
            index=sql.Identifier(indexes[1]), table=table
        ),
    ]
    if stream.day_column is not None:  # replace_days deletes the window's days: by index, so a
        statements.append(  # night's load does not read the whole history
            sql.SQL("create index if not exists {index} on {table} ({day})").format(
                index=sql.Identifier(indexes[2]),
                table=table,
                day=sql.Identifier(stream.day_column),
            )
        )
    run_shared_ddl(conn, schema, *statements, done=present)


def _copy_rows(
    conn: psycopg.Connection,
    table: sql.Identifier,
    rows: Iterator[RawRow | Skipped],
    stamp: tuple[str, str],
    stream: Stream,
    source: str,
    quarantine: Any,
    skipped: dict[str, int],
) -> int:
    """COPY the good rows into ``table`` and their keys into ``_batch_keys``; hand bad ones to
    ``quarantine`` and count what the fetch skipped into ``skipped``. Returns the number of
    rows copied."""
    keys = list(stream.key_columns)
    columns = sql.SQL(", ").join(
        map(sql.Identifier, [*keys, "record", "is_deleted", "_loaded_at", "_batch_id"])
    )
    into_table = sql.SQL("copy {} ({}) from stdin").format(table, columns)
    count = fetched = 0
    with conn.cursor() as cursor:
        while True:  # one COPY of rows, then one of their keys, per KEY_CHUNK rows
            chunk: list[tuple[Any, ...]] = []
            with cursor.copy(into_table, writer=QueuedLibpqWriter(cursor)) as copy:
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
                    copy.write_row((*row.keys, _json(row.record), row.is_deleted, *stamp))
                    chunk.append(row.keys)
                    if len(chunk) == KEY_CHUNK:
                        break
            count += len(chunk)
            if chunk:
                with cursor.copy("copy _batch_keys from stdin") as copy:
                    for key in chunk:
                        copy.write_row(key)
            if len(chunk) < KEY_CHUNK:
                return count


def _json(record: dict[str, Any]) -> str | Jsonb:
    """The record for COPY: the source's own JSON text when the connector kept it."""
    if type(record) is RawRecord and record.text is not None:
        return record.text
    return Jsonb(record)


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
        if type(value) is int:  # the common case first: every key of every row comes here
            return INT64[0] <= value <= INT64[1]
        if isinstance(value, bool) or not isinstance(value, int | str):
            return False
        try:
            number = int(value)
        except ValueError:
            return False
        return INT64[0] <= number <= INT64[1]
    if pg_type == "date":
        if isinstance(value, date):
            return True
        try:
            date.fromisoformat(str(value))
        except ValueError:
            return False
        return True
    return isinstance(value, str) and "\x00" not in value


def _take_duplicates(
    conn: psycopg.Connection, table: sql.Identifier, stream: Stream, batch_id: str
) -> list[Quarantined]:
    """Take the batch's rows whose key it holds more than once out of ``table``: exact copies
    keep one row (QUAR-003 for the others), differing versions all go (QUAR-002: which one is
    right?) and their keys leave ``_batch_keys``, so the earlier version stays. Only a key
    table's worth of work when every key is unique (``_duplicate_keys`` is then empty). The
    copy kept is the first by ``ctid``: the first to arrive, unless the COPY filled space a
    vacuum freed earlier in the table (exact copies are equal as jsonb either way)."""
    keys = list(stream.key_columns)
    key_list = sql.SQL(", ").join(map(sql.Identifier, keys))
    found = conn.execute(
        sql.SQL(
            "create temp table _duplicate_keys on commit drop as "
            "select {keys} from _batch_keys group by {keys} having count(*) > 1"
        ).format(keys=key_list)
    ).rowcount
    if not found:
        return []
    rows = conn.execute(
        sql.SQL(
            "select row_ctid::text, {keys}, record, is_deleted, copies = same as exact, nth "
            "from (select ctid as row_ctid, {keys}, record, is_deleted, "
            "count(*) over (partition by {keys}) as copies, "
            "count(*) over (partition by {keys}, record) as same, "
            "row_number() over (partition by {keys}, record order by ctid) as nth "
            "from {table} where _batch_id = %s "
            "and ({keys}) in (select {keys} from _duplicate_keys)) as versions "
            "where copies <> same or nth > 1"
        ).format(keys=key_list, table=table),
        (batch_id,),
    ).fetchall()
    conn.execute(
        sql.SQL("delete from {} where ctid = any(%s::tid[])").format(table),
        ([row[0] for row in rows],),
    )
    taken, ambiguous = [], []
    for row in rows:
        named = dict(zip(keys, row[1 : len(keys) + 1], strict=True))
        record, is_deleted, exact, nth = row[len(keys) + 1 :]
        if exact:
            taken.append(Quarantined("QUAR-003", f"copy {nth}", named, record, is_deleted))
        else:
            taken.append(Quarantined("QUAR-002", "differing versions", named, record, is_deleted))
            ambiguous.append(row[1 : len(keys) + 1])
    with conn.cursor() as cursor:
        cursor.executemany(
            sql.SQL("delete from _batch_keys where ({}) = ({})").format(
                key_list, sql.SQL(", ").join(sql.Placeholder() * len(keys))
            ),
            ambiguous,
        )
    return taken


def _quarantine(
    conn: psycopg.Connection,
    bad: list[Quarantined],
    batch_id: str,
    run_id: str | None,
    source: str,
    entity: str,
    account: str,
) -> dict[str, int]:
    counts: dict[str, int] = {}
    if not bad:
        return counts
    with conn.cursor() as cursor:
        cursor.executemany(
            "insert into ops.quarantine (batch_id, run_id, source, entity, account, rule, "
            "severity, reason, record_key, payload, is_deleted) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    batch_id,
                    run_id,
                    source,
                    entity,
                    account,
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
    conn: psycopg.Connection,
    source: str,
    stream: Stream,
    window: Window,
    batch_id: str,
    account: str,
) -> psycopg.Cursor:
    """Close the open quarantine rows of ``account`` whose window this load read again: the
    record loaded, or is quarantined again by this very batch (a snapshot re-reads
    everything). Its ``rowcount`` is how many."""
    covered = (
        sql.SQL("")
        if stream.load_mode is LoadMode.SNAPSHOT
        else sql.SQL(
            "and batch_id in (select batch_id from ops.load_batches "
            "where source = %(source)s and entity = %(entity)s and account = %(account)s "
            "and window_start >= %(start)s)"
        )
    )
    return conn.execute(
        sql.SQL(
            "update ops.quarantine set resolved_at = now(), resolved_by = %(batch)s "
            "where source = %(source)s and entity = %(entity)s and account = %(account)s "
            "and resolved_at is null {}"
        ).format(covered),
        {
            "source": source,
            "entity": stream.entity,
            "account": account,
            "start": window.start,
            "batch": batch_id,
        },
    )


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


def open_quarantine_counts(
    conn: psycopg.Connection, source: str, accounts: list[str] | None = None
) -> dict[str, int]:
    """``{entity: rows}`` still quarantined (open) for ``source`` (its ``accounts`` only)."""
    rows = conn.execute(
        "select entity, count(*) from ops.quarantine where source = %s and resolved_at is null "
        "and (%s::text[] is null or account = any(%s)) group by 1 order by 1",
        (source, accounts, accounts),
    ).fetchall()
    return {entity: count for entity, count in rows}


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str)


def quarantine_counts(
    conn: psycopg.Connection, run_id: str, source: str, accounts: list[str] | None = None
) -> dict[str, dict[str, int]]:
    """``{entity: {"<reason> [<rule>]": rows}}`` quarantined by ``run_id`` for ``source``
    (its ``accounts`` only)."""
    rows = conn.execute(
        "select entity, rule, count(*) from ops.quarantine where run_id = %s and source = %s "
        "and (%s::text[] is null or account = any(%s)) group by 1, 2 order by 1, 2",
        (run_id, source, accounts, accounts),
    ).fetchall()
    counts: dict[str, dict[str, int]] = {}
    for entity, rule, count in rows:
        label = f"{QUARANTINE_RULES.get(rule, ('', rule))[1]} [{rule}]"
        counts.setdefault(entity, {})[label] = count
    return counts


def _merge(
    conn: psycopg.Connection,
    table: sql.Identifier,
    stream: Stream,
    window: Window,
    batch_id: str,
    rows: int,
    scope: sql.Composable,
) -> int:
    """Delete what the batch (``rows`` rows, already in ``table``) supersedes; return rows
    newly marked deleted. Days are replaced and a snapshot's missing rows marked only within
    ``scope`` (one account's rows, :func:`account_scope`)."""
    key_list = sql.SQL(", ").join(map(sql.Identifier, stream.key_columns))
    marking = None
    with conn.pipeline():
        if stream.load_mode is LoadMode.REPLACE_DAYS:
            # Restated days: every re-read day is replaced whole, so nothing is double counted.
            days = window.days()
            if days:
                conn.execute(
                    sql.SQL(
                        "delete from {} where {} >= %s and {} < %s and _batch_id <> %s{}"
                    ).format(
                        table,
                        sql.Identifier(stream.day_column),
                        sql.Identifier(stream.day_column),
                        scope,
                    ),
                    (days[0], days[-1] + timedelta(days=1), batch_id),
                )
            return 0
        if rows >= ANALYZE_KEYS:  # unanalyzed, the key table looks like 200 keys: a big batch
            conn.execute("analyze _batch_keys")  # would be probed key by key, not hash joined
        conn.execute(
            sql.SQL(
                "delete from {table} where ({keys}) in (select {keys} from _batch_keys) "
                "and _batch_id <> %s"
            ).format(table=table, keys=key_list),
            (batch_id,),
        )
        if stream.load_mode is LoadMode.SNAPSHOT:
            # A full snapshot that no longer returns a row means the source removed it: mark.
            marking = conn.execute(
                sql.SQL(
                    "update {table} set is_deleted = true where not is_deleted "
                    "and ({keys}) not in (select {keys} from _batch_keys) "
                    # a key quarantined as ambiguous was returned: keep its earlier version live
                    "and ({keys}) not in (select {keys} from _duplicate_keys){scope}"
                ).format(table=table, keys=key_list, scope=scope)
            )
    return marking.rowcount if marking is not None else 0
