"""The loader against a real PostgreSQL: merge, restated days, snapshots, crash safety."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from extract.base import LoadMode, RawRow, Stream, Window, midnight
from extract.loader import ensure_ops, load_stream, read_watermark
from extract.runner import read_window

DAY = date(2026, 3, 10)
WINDOW = Window(midnight(DAY), midnight(DAY + timedelta(days=1)))


def stream_of(rows: list[RawRow], mode: LoadMode, entity: str = "things", **extra) -> Stream:
    keys = (
        {"thing_id": "bigint"}
        if mode is not LoadMode.REPLACE_DAYS
        else {
            "thing_id": "bigint",
            "metric_date": "date",
        }
    )
    return Stream(
        entity=entity,
        key_columns=keys,
        load_mode=mode,
        fetch=lambda window: iter(rows),
        day_column="metric_date" if mode is LoadMode.REPLACE_DAYS else None,
        **extra,
    )


def load(url: str, stream: Stream, window: Window = WINDOW) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_ops(conn)
        load_stream(conn, "demo", stream, window, batch_id=f"b{datetime.now(UTC).timestamp()}")


def table(url: str, entity: str = "things") -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            f"select thing_id, record, is_deleted from raw_demo.{entity} order by 1"
        ).fetchall()


def test_merge_replaces_by_key_and_keeps_unknown_fields(fresh_database: str) -> None:
    load(
        fresh_database, stream_of([RawRow((1,), {"v": 1}), RawRow((2,), {"v": 2})], LoadMode.MERGE)
    )
    load(fresh_database, stream_of([RawRow((2,), {"v": 20, "new_field": "kept"})], LoadMode.MERGE))
    assert table(fresh_database) == [
        (1, {"v": 1}, False),
        (2, {"v": 20, "new_field": "kept"}, False),
    ]


def test_replace_days_replaces_restated_days_without_double_counting(fresh_database: str) -> None:
    two_days = Window(midnight(DAY - timedelta(days=1)), WINDOW.end)
    first = [RawRow((1, DAY - timedelta(days=1)), {"spend": "5"}), RawRow((1, DAY), {"spend": "7"})]
    load(fresh_database, stream_of(first, LoadMode.REPLACE_DAYS), two_days)
    restated = [RawRow((1, DAY), {"spend": "9"})]
    load(fresh_database, stream_of(restated, LoadMode.REPLACE_DAYS), WINDOW)
    with psycopg.connect(fresh_database) as conn:
        rows = conn.execute(
            "select metric_date, record->>'spend' from raw_demo.things order by 1"
        ).fetchall()
    assert rows == [(DAY - timedelta(days=1), "5"), (DAY, "9")]


def test_snapshot_marks_rows_the_source_stopped_returning(fresh_database: str) -> None:
    load(fresh_database, stream_of([RawRow((1,), {}), RawRow((2,), {})], LoadMode.SNAPSHOT))
    load(fresh_database, stream_of([RawRow((1,), {})], LoadMode.SNAPSHOT))
    assert [(key, deleted) for key, _, deleted in table(fresh_database)] == [(1, False), (2, True)]


def test_crash_mid_load_leaves_no_rows_and_no_watermark(fresh_database: str) -> None:
    def crashing(window: Window) -> Iterator[RawRow]:
        yield RawRow((1,), {"v": 1})
        raise RuntimeError("connection reset mid-page")

    stream = Stream("things", {"thing_id": "bigint"}, LoadMode.MERGE, crashing)
    with pytest.raises(RuntimeError), psycopg.connect(fresh_database, autocommit=True) as conn:
        ensure_ops(conn)
        load_stream(conn, "demo", stream, WINDOW, batch_id="crash")
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        assert read_watermark(conn, "demo", "things") is None
        exists = conn.execute("select to_regclass('raw_demo.things')").fetchone()[0]
    assert exists is None  # even the table creation rolled back with the batch

    load(fresh_database, stream_of([RawRow((1,), {"v": 1})], LoadMode.MERGE))
    assert table(fresh_database) == [(1, {"v": 1}, False)]


def test_watermark_moves_with_rows_and_never_back(fresh_database: str) -> None:
    later = Window(WINDOW.end, WINDOW.end + timedelta(days=1))
    load(fresh_database, stream_of([RawRow((1,), {})], LoadMode.MERGE), later)
    load(fresh_database, stream_of([RawRow((1,), {})], LoadMode.MERGE), WINDOW)  # a backfill
    with psycopg.connect(fresh_database) as conn:
        assert read_watermark(conn, "demo", "things") == later.end


def test_read_window_follows_the_watermark_and_the_history_start() -> None:
    stream = stream_of([], LoadMode.MERGE, lookback=timedelta(minutes=10))
    first = read_window(stream, None, WINDOW, date(2026, 1, 1))
    assert first == Window(midnight(date(2026, 1, 1)), WINDOW.end)
    nightly = read_window(stream, WINDOW.start, WINDOW, date(2026, 1, 1))
    assert nightly == Window(WINDOW.start - timedelta(minutes=10), WINDOW.end)
    ads = stream_of([], LoadMode.REPLACE_DAYS, lookback=timedelta(days=30))
    restated = read_window(ads, WINDOW.start, WINDOW, date(2026, 1, 1))
    assert restated == Window(midnight(DAY - timedelta(days=30)), WINDOW.end)
