"""The loader's COPY path on a real PostgreSQL: rows go straight into the raw table (their keys
into a key table, a chunk at a time), records kept as the source's JSON text are stored as
that text, and merge, quarantine and snapshot rules hold across key chunks."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import psycopg
import pytest

from extract import loader
from extract.base import LoadMode, RawRow, Stream, Window, midnight
from extract.http import decode
from extract.loader import LoadResult, ensure_ops, load_stream

DAY = date(2026, 3, 10)
WINDOW = Window(midnight(DAY), midnight(DAY + timedelta(days=1)))


def load(url: str, rows: list[RawRow], batch_id: str, mode: LoadMode = LoadMode.MERGE) -> Any:
    daily = mode is LoadMode.REPLACE_DAYS
    stream = Stream(
        entity="things",
        key_columns={"thing_id": "bigint", **({"metric_date": "date"} if daily else {})},
        load_mode=mode,
        fetch=lambda window: iter(rows),
        day_column="metric_date" if daily else None,
    )
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_ops(conn)
        return load_stream(conn, "demo", stream, WINDOW, batch_id, run_id="run-1")


def raw(url: str, columns: str = "thing_id, record, is_deleted") -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(f"select {columns} from raw_demo.things order by 1, 2").fetchall()


def test_records_kept_as_text_land_exactly_as_the_source_sent_them(fresh_database: str) -> None:
    body = (
        b'{"records": [{"Id": 1, "Amount": 12345678901234567890.123456789, "Note": "caf\\u00e9"}]}'
    )
    record = decode(body, ("records", "*"))["records"][0]
    load(fresh_database, [RawRow((1,), record)], "batch-1")
    with psycopg.connect(fresh_database) as conn:
        stored = conn.execute("select record->>'Amount', record->>'Note' from raw_demo.things")
        # through a float (json.loads, then Jsonb) it was 12345678901234567000 or so
        assert stored.fetchone() == ("12345678901234567890.123456789", "café")


def test_merge_and_quarantine_rules_hold_across_key_chunks(
    fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "KEY_CHUNK", 2)  # five keys: three chunks
    load(fresh_database, [RawRow((1,), {"v": 1}), RawRow((2,), {"v": 1})], "batch-1")
    rows = [
        RawRow((1,), {"v": 2}),
        RawRow((2,), {"v": 2}),
        RawRow((3,), {"v": 2}),
        RawRow((1,), {"v": 2}),  # an exact copy of key 1, in another chunk: one loads
        RawRow((2,), {"v": 3}),  # a second version of key 2: neither loads, the earlier stays
    ]
    result = load(fresh_database, rows, "batch-2")
    assert result.quarantined == {"QUAR-002": 2, "QUAR-003": 1}
    assert result.rows == 2
    assert raw(fresh_database) == [(1, {"v": 2}, False), (2, {"v": 1}, False), (3, {"v": 2}, False)]


def test_snapshot_and_restated_days_across_key_chunks(
    fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "KEY_CHUNK", 1)
    first = [RawRow((key,), {"v": key}) for key in (1, 2, 3)]
    load(fresh_database, first, "batch-1", LoadMode.SNAPSHOT)
    later = [RawRow((3,), {"v": 30}), RawRow((1,), {"v": 10})]
    assert load(fresh_database, later, "batch-2", LoadMode.SNAPSHOT).deleted == 1
    assert raw(fresh_database) == [
        (1, {"v": 10}, False),
        (2, {"v": 2}, True),
        (3, {"v": 30}, False),
    ]

    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("drop table raw_demo.things")
    days = [RawRow((1, DAY), {"spend": "1"}), RawRow((2, DAY), {"spend": "2"})]
    load(fresh_database, days, "batch-3", LoadMode.REPLACE_DAYS)
    restated = [RawRow((2, DAY), {"spend": "20"}), RawRow((3, DAY), {"spend": "3"})]
    load(fresh_database, restated, "batch-4", LoadMode.REPLACE_DAYS)
    rows = raw(fresh_database, "thing_id, record->>'spend', _batch_id")
    assert rows == [(2, "20", "batch-4"), (3, "3", "batch-4")]  # the day replaced whole


def test_a_load_reports_where_its_time_went(fresh_database: str) -> None:
    result: LoadResult = load(fresh_database, [RawRow((1,), {"v": 1})], "batch-1")
    assert list(result.seconds) == [
        "prepare",
        "fetch_and_copy",
        "dedupe",
        "merge",
        "bookkeeping",
        "commit",
    ]
    assert all(seconds >= 0 for seconds in result.seconds.values())


def test_a_record_changed_after_decoding_lands_with_the_change(fresh_database: str) -> None:
    record = decode(b'{"records": [{"Id": 1, "Name": "as sent"}]}', ("records", "*"))["records"][0]
    record["Name"] = "changed"  # in place: the text it came with is no longer its JSON
    load(fresh_database, [RawRow((1,), record)], "batch-1")
    assert raw(fresh_database) == [(1, {"Id": 1, "Name": "changed"}, False)]
