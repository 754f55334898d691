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


def reset_watermarks(
    conn: psycopg.Connection, source: str, entities: list[str], to: datetime
) -> list[Reset]:
    """Move the watermarks of ``entities`` of ``source`` back to ``to`` (those already at or
    before it are left alone); record and log each move. Runs in one transaction."""
    by = f"{getpass.getuser()}@{socket.gethostname()}"
    resets: list[Reset] = []
    with conn.transaction():
        for entity in entities:
            row = conn.execute(
                "select watermark from ops.watermarks where source = %s and entity = %s for update",
                (source, entity),
            ).fetchone()
            if row is None or row[0] <= to:
                continue
            conn.execute(
                "update ops.watermarks set watermark = %s, updated_at = now() "
                "where source = %s and entity = %s",
                (to, source, entity),
            )
            conn.execute(
                "insert into ops.watermark_resets "
                "(source, entity, from_watermark, to_watermark, reset_by) "
                "values (%s, %s, %s, %s, %s)",
                (source, entity, row[0], to, by),
            )
            log.warning("%s.%s: watermark reset %s -> %s by %s", source, entity, row[0], to, by)
            resets.append(Reset(entity, row[0], to))
    return resets
