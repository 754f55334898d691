"""Extract one source for one data interval: pick each stream's read window, load it.

Read windows follow the stream's load mode (docs/raw_layout.md):
* ``merge``: from the committed watermark (minus the stream's overlap) to the interval end;
  on the first load, from the configured history start.
* ``replace_days``: as ``merge`` but the overlap is the platform's restatement window, and
  whole days are replaced.
* ``snapshot``: the interval itself (the stream reads everything anyway).
A backfill of an older interval re-reads from that interval's start; watermarks never move back
(only ``thinline reset`` moves one back, on purpose, logged in ``ops.watermark_resets``). A
stream with open quarantined records also re-reads from the start of the window they came from
(extract/loader.py). An interval that ends after now is refused: it would read nothing of its
future and its watermark would hide what arrives meanwhile.

A source read account by account (extract/accounts.py) is extracted one account at a time,
or only the account asked for (the nightly's mapped tasks): each with its own watermarks.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

import psycopg

from extract.accounts import adopt_whole_source_watermarks
from extract.base import ConfigError, LoadMode, Stream, Window, midnight
from extract.loader import (
    LoadResult,
    ensure_ops,
    load_stream,
    open_quarantine_start,
    read_watermark,
)
from extract.settings import SourceSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceSummary:
    source: str
    rows: dict[str, int]  # entity -> rows, every account's together
    deleted: dict[str, int]
    skipped: dict[str, dict[str, int]] = field(default_factory=dict)  # entity -> reason -> n
    accounts: list[str] = field(default_factory=lambda: [""])  # those extracted ("": whole)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "total_rows": self.total_rows}


def read_window(
    stream: Stream,
    watermark: datetime | None,
    interval: Window,
    history_start: date,
    quarantine_start: datetime | None = None,
) -> Window:
    if stream.load_mode is LoadMode.SNAPSHOT:
        return interval
    if watermark is None:
        first = min(history_start, stream.history_start or history_start)
        return Window(min(midnight(first), interval.start), interval.end)
    start = min(watermark - stream.lookback, interval.start)
    if quarantine_start is not None:  # re-read the window of records still quarantined
        start = min(start, quarantine_start)
    if stream.load_mode is LoadMode.REPLACE_DAYS:
        start = midnight(start.date())  # whole days only
    return Window(start, interval.end)


def refuse_future(interval: Window, now: datetime | None = None) -> None:
    """A one-line :class:`ConfigError` for an interval that ends after now."""
    moment = now or datetime.now(UTC)
    if interval.end > moment:
        raise ConfigError(
            f"the interval {interval.start:%Y-%m-%d %H:%M} .. {interval.end:%Y-%m-%d %H:%M} UTC "
            f"ends after now ({moment:%Y-%m-%d %H:%M} UTC): Thinline reads only what has "
            "happened; choose a window that has ended"
        )


def extract_source(
    source: str,
    settings: SourceSettings,
    interval: Window,
    warehouse_url: str,
    history_start: date,
    run_id: str | None = None,
    account: str | None = None,
) -> SourceSummary:
    """Extract every stream of ``source`` for ``interval`` into ``raw_<source>``: of
    ``account`` only, or of every configured account (``None``)."""
    from extract.registry import manifest  # imports the connector: only when extracting

    refuse_future(interval)
    settings.check_credentials()
    configured = settings.accounts()
    if account is not None and account not in configured:
        raise ConfigError(
            f"{source}: account {account!r} is not one of the configured accounts "
            f"({', '.join(configured)}); check THINLINE_{source.upper()}__"
            f"{(settings.account_setting or '').upper()}"
        )
    accounts = configured if account is None else [account]
    results: list[LoadResult] = []
    # Autocommit, so each load_stream transaction is a real one rather than a savepoint.
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        ensure_ops(conn)
        if settings.account_setting is not None:
            streams = manifest(source).build_connector(settings).streams()
            adopt_whole_source_watermarks(conn, source, streams, configured)
        for one in accounts:
            connector = manifest(source).build_connector(settings.for_account(one))
            label = f"{source}[{one}]" if one else source
            for stream in connector.streams():
                watermark = read_watermark(conn, source, stream.entity, one)
                quarantine_start = open_quarantine_start(conn, source, stream.entity, one)
                window = read_window(stream, watermark, interval, history_start, quarantine_start)
                log.info("%s.%s: reading %s .. %s", label, stream.entity, window.start, window.end)
                batch_id = uuid.uuid4().hex
                results.append(load_stream(conn, source, stream, window, batch_id, run_id, one))
    return summarize(source, accounts, results)


def summarize(source: str, accounts: list[str], results: list[LoadResult]) -> SourceSummary:
    """One summary of the loads of ``accounts``: rows, deletions and skips added per entity."""
    rows: dict[str, int] = {}
    deleted: dict[str, int] = {}
    skipped: dict[str, dict[str, int]] = {}
    for result in results:
        rows[result.entity] = rows.get(result.entity, 0) + result.rows
        deleted[result.entity] = deleted.get(result.entity, 0) + result.deleted
        for reason, count in result.skipped.items():
            reasons = skipped.setdefault(result.entity, {})
            reasons[reason] = reasons.get(reason, 0) + count
    return SourceSummary(source, rows, deleted, skipped, accounts)
