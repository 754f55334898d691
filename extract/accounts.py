"""Sources read account by account (the ad platforms: Google Ads customers, Meta and LinkedIn
ad accounts).

Each account is extracted on its own (its own nightly task, docs/production.md) with its own
watermark per stream, quarantine and load batches, keyed by the account id in ``ops``; ``""``
is a whole source (the CRMs). An account's rows in ``raw_<source>.<entity>`` are those whose
first key column holds its id, so a load replaces days or marks a snapshot's missing rows
within its account only, and loads of different accounts never touch each other's rows.

A warehouse that extracted a source whole (before accounts had watermarks of their own) keeps
one ``""`` watermark per stream: the first extract that finds one hands it to every configured
account that already has rows in the raw table (an account without rows reads its history
from the start), moves that source's open quarantine rows to their accounts, and drops it.
"""

from __future__ import annotations

import logging

import psycopg
from psycopg import sql

from extract.base import Stream

log = logging.getLogger(__name__)


def account_scope(stream: Stream, account: str) -> sql.Composable:
    """`` and <account column> = <account>``: the rows of one account; nothing for ``""``."""
    if not account:
        return sql.SQL("")
    column, pg_type = next(iter(stream.key_columns.items()))
    return sql.SQL(" and {} = {}::{}").format(
        sql.Identifier(column), sql.Literal(account), sql.SQL(pg_type)
    )


def adopt_whole_source_watermarks(
    conn: psycopg.Connection, source: str, streams: list[Stream], accounts: list[str]
) -> int:
    """Hand ``source``'s whole-source watermarks to its ``accounts`` (module docstring); the
    number of account watermarks written. One transaction: concurrent extracts of the same
    source wait on the first, then find nothing left to adopt."""
    if accounts == [""]:
        return 0
    adopted = 0
    with conn.transaction():
        legacy = conn.execute(
            "select entity, watermark, batch_id from ops.watermarks "
            "where source = %s and account = '' for update",
            (source,),
        ).fetchall()
        by_entity = {stream.entity: stream for stream in streams}
        for entity, watermark, batch_id in legacy:
            stream = by_entity.get(entity)
            if stream is not None:
                for account in _accounts_with_rows(conn, source, stream, accounts):
                    conn.execute(
                        "insert into ops.watermarks (source, entity, account, watermark, batch_id) "
                        "values (%s, %s, %s, %s, %s) on conflict do nothing",
                        (source, entity, account, watermark, batch_id),
                    )
                    adopted += 1
                column = next(iter(stream.key_columns))
                conn.execute(
                    "update ops.quarantine set account = record_key ->> %s "
                    "where source = %s and entity = %s and account = '' "
                    "and resolved_at is null and record_key ->> %s = any(%s)",
                    (column, source, entity, column, accounts),
                )
            conn.execute(
                "delete from ops.watermarks where source = %s and entity = %s and account = ''",
                (source, entity),
            )
    if legacy:
        log.info("%s: whole-source watermarks handed to %d account streams", source, adopted)
    return adopted


def _accounts_with_rows(
    conn: psycopg.Connection, source: str, stream: Stream, accounts: list[str]
) -> list[str]:
    """The ``accounts`` that have rows in the stream's raw table (by its key index)."""
    name = f"raw_{source}.{stream.entity}"
    if conn.execute("select to_regclass(%s)", (name,)).fetchone()[0] is None:
        return []
    table = sql.Identifier(f"raw_{source}", stream.entity)
    found = []
    for account in accounts:
        query = sql.SQL("select exists (select from {} where true{})").format(
            table, account_scope(stream, account)
        )
        if conn.execute(query).fetchone()[0]:
            found.append(account)
    return found
