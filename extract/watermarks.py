"""Moving a watermark back, on purpose: the only way one ever goes back.

A watermark moves forward with the rows it commits (extract/loader.py) and never back by
itself, so a deliberate re-read of history (a source restated old records, a bug was fixed)
is an explicit ``thinline reset SOURCE [STREAM] --to DATE``: logged, and recorded with who did
it in ``ops.watermark_resets``. The next run reads every reset stream from the new watermark.
"""

from __future__ import annotations

import getpass
import logging
import socket
from dataclasses import dataclass
from datetime import datetime

import psycopg

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reset:
    entity: str
    before: datetime
    after: datetime
    account: str = ""  # "": the whole source


def reset_watermarks(
    conn: psycopg.Connection, source: str, entities: list[str], to: datetime
) -> list[Reset]:
    """Move the watermarks of ``entities`` of ``source`` (every account's) back to ``to``
    (those already at or before it are left alone); record and log each move. Runs in one
    transaction."""
    by = f"{getpass.getuser()}@{socket.gethostname()}"
    resets: list[Reset] = []
    with conn.transaction():
        for entity in entities:
            rows = conn.execute(
                "select account, watermark from ops.watermarks "
                "where source = %s and entity = %s and watermark > %s order by account for update",
                (source, entity, to),
            ).fetchall()
            for account, before in rows:
                conn.execute(
                    "update ops.watermarks set watermark = %s, updated_at = now() "
                    "where source = %s and entity = %s and account = %s",
                    (to, source, entity, account),
                )
                conn.execute(
                    "insert into ops.watermark_resets "
                    "(source, entity, account, from_watermark, to_watermark, reset_by) "
                    "values (%s, %s, %s, %s, %s, %s)",
                    (source, entity, account, before, to, by),
                )
                name = f"{source}.{entity}" + (f" [{account}]" if account else "")
                log.warning("%s: watermark reset %s -> %s by %s", name, before, to, by)
                resets.append(Reset(entity, before, to, account))
    return resets
