"""Quarantine in the loader, on a real PostgreSQL: bad records of a batch go to
ops.quarantine with rule and reason, in the batch's transaction; the rest of the batch lands."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest

from extract.base import LoadMode, RawRow, Stream, Window, midnight
from extract.loader import ensure_ops, load_stream, quarantine_counts, read_watermark

DAY = date(2026, 3, 10)
WINDOW = Window(midnight(DAY), midnight(DAY + timedelta(days=1)))
DAILY = {"ad_id": "bigint", "metric_date": "date"}


def stream(rows: list[RawRow], mode: LoadMode = LoadMode.MERGE, keys: dict | None = None) -> Stream:
    return Stream(
        entity="ads",
        key_columns=keys or {"ad_id": "bigint"},
        load_mode=mode,
        fetch=lambda window: iter(rows),
        day_column="metric_date" if mode is LoadMode.REPLACE_DAYS else None,
    )


def load(url: str, loaded: Stream, batch_id: str) -> dict[str, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_ops(conn)
        return load_stream(conn, "demo", loaded, WINDOW, batch_id, run_id="run-1").quarantined


def raw(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute("select ad_id, record from raw_demo.ads order by 1").fetchall()


def quarantine(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select rule, severity, reason, record_key, payload, batch_id, run_id "
            "from ops.quarantine order by quarantine_id"
        ).fetchall()


def test_bad_records_are_quarantined_and_the_rest_loads(fresh_database: str) -> None:
    rows = [
        RawRow((1,), {"spend": "1.00"}),
        RawRow((None,), {"spend": "2.00"}),  # null key
        RawRow(("12x",), {"spend": "3.00"}),  # unparsable key
        RawRow((2,), ["not", "an", "object"]),  # type: ignore[arg-type]
        RawRow((3,), {"spend": "4.00"}),
        RawRow((3,), {"spend": "4.00"}),  # exact copy: one loads
        RawRow((4,), {"spend": "5.00"}),
        RawRow((4,), {"spend": "-5.00"}),  # two versions of one key: neither loads
    ]
    counts = load(fresh_database, stream(rows), "batch-1")

    assert counts == {"QUAR-001": 1, "QUAR-002": 2, "QUAR-003": 1, "QUAR-004": 1, "QUAR-005": 1}
    assert raw(fresh_database) == [(1, {"spend": "1.00"}), (3, {"spend": "4.00"})]
    stored = quarantine(fresh_database)
    by_rule = {}
    for rule, severity, reason, key, payload, batch_id, run_id in stored:
        assert (batch_id, run_id) == ("batch-1", "run-1")
        by_rule.setdefault(rule, []).append((severity, reason, key, payload))
    assert by_rule["QUAR-001"] == [
        ("critical", "null key: ad_id is null", {"ad_id": None}, {"spend": "2.00"})
    ]
    assert by_rule["QUAR-004"] == [
        (
            "critical",
            "unparsable key value: ad_id '12x' is not a bigint",
            {"ad_id": "12x"},
            {"spend": "3.00"},
        )
    ]
    assert by_rule["QUAR-005"][0][3] == ["not", "an", "object"]
    assert sorted(item[3]["spend"] for item in by_rule["QUAR-002"]) == ["-5.00", "5.00"]
    assert by_rule["QUAR-003"] == [
        (
            "warning",
            "exact duplicate in one batch (one copy loaded): copy 2",
            {"ad_id": 3},
            {"spend": "4.00"},
        )
    ]
    with psycopg.connect(fresh_database) as conn:
        assert conn.execute(
            "select row_count, quarantined_count from ops.load_batches where batch_id = 'batch-1'"
        ).fetchone() == (2, 6)
        assert quarantine_counts(conn, "run-1", "demo") == {
            "ads": {
                "null key [QUAR-001]": 1,
                "duplicate key with different records in one batch [QUAR-002]": 2,
                "exact duplicate in one batch (one copy loaded) [QUAR-003]": 1,
                "unparsable key value [QUAR-004]": 1,
                "record is not a JSON object [QUAR-005]": 1,
            }
        }


def test_a_quarantined_key_keeps_its_earlier_version(fresh_database: str) -> None:
    load(fresh_database, stream([RawRow((4,), {"v": 1})], LoadMode.SNAPSHOT), "batch-1")
    conflicting = [RawRow((4,), {"v": 2}), RawRow((4,), {"v": 3}), RawRow((5,), {"v": 1})]
    load(fresh_database, stream(conflicting, LoadMode.SNAPSHOT), "batch-2")
    with psycopg.connect(fresh_database) as conn:
        rows = conn.execute("select ad_id, record, is_deleted from raw_demo.ads order by 1")
        # not marked deleted: the snapshot did return key 4, only ambiguously
        assert rows.fetchall() == [(4, {"v": 1}, False), (5, {"v": 1}, False)]


def test_restated_days_with_a_bad_date_key(fresh_database: str) -> None:
    rows = [
        RawRow((1, DAY), {"spend": "1"}),
        RawRow((1, "2026-02-30"), {"spend": "2"}),
        RawRow((1, "yesterday"), {"spend": "3"}),
    ]
    counts = load(fresh_database, stream(rows, LoadMode.REPLACE_DAYS, DAILY), "batch-1")
    assert counts == {"QUAR-004": 2}
    assert [row[1] for row in raw(fresh_database)] == [{"spend": "1"}]


def test_a_crash_leaves_no_quarantine_rows_either(fresh_database: str) -> None:
    def crashing(window: Window) -> Iterator[RawRow]:
        yield RawRow((None,), {"v": 1})
        raise RuntimeError("connection reset mid-page")

    crash = Stream("ads", {"ad_id": "bigint"}, LoadMode.MERGE, crashing)
    with pytest.raises(RuntimeError), psycopg.connect(fresh_database, autocommit=True) as conn:
        ensure_ops(conn)
        load_stream(conn, "demo", crash, WINDOW, batch_id="crash", run_id="run-1")
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        assert read_watermark(conn, "demo", "ads") is None
        assert conn.execute("select count(*) from ops.quarantine").fetchone() == (0,)
