"""The loader lands what the committed loader landed: a model of its rules (temp table, then
de-duplication, then delete-and-insert) against the COPY-into-the-raw-table loader, on random
batches in every load mode, key chunks small enough that every batch spans several.

The model is the committed behaviour written out: rows with a bad key or a record that is no
object are quarantined (QUAR-001/004/005); a key the batch holds twice keeps its first copy
when all copies are the same record (QUAR-003 for the others) and loads none when they differ
(QUAR-002, the earlier version stays); ``merge`` and ``snapshot`` replace by key, ``snapshot``
marks what it no longer returned deleted, ``replace_days`` replaces the window's days whole;
quarantine rows of a re-read window close; the watermark is the latest window end.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest

from extract import loader
from extract.base import LoadMode, RawRow, Stream, Window, midnight
from extract.http import RawRecord, decode
from extract.loader import ensure_ops, load_stream, read_watermark

DAY = date(2026, 3, 10)
Key = tuple[Any, ...]


@dataclass
class Model:
    """The raw table and open quarantine as the committed loader left them."""

    mode: LoadMode
    rows: list[tuple[Key, Any, bool, str]] = field(default_factory=list)
    open: list[tuple[str, date]] = field(default_factory=list)  # (rule, its window's start)
    taken: list[tuple[str, Any, bool]] = field(default_factory=list)  # the batch's quarantine

    def load(self, batch: list[RawRow], window: Window, batch_id: str) -> tuple[int, int, dict]:
        quarantined: Counter[str] = Counter()
        good: dict[Key, list[RawRow]] = {}
        self.taken = []
        for row in batch:
            rule = problem(row, self.mode)
            if rule:
                quarantined[rule] += 1
                self.taken.append((rule, row.record, row.is_deleted))
            else:
                good.setdefault(normal(row.keys, self.mode), []).append(row)
        kept: dict[Key, RawRow] = {}
        ambiguous = set()
        for key, copies in good.items():
            if all(copy.record == copies[0].record for copy in copies):
                kept[key] = copies[0]  # the first to arrive
                if len(copies) > 1:
                    quarantined["QUAR-003"] += len(copies) - 1
                self.taken += [("QUAR-003", c.record, c.is_deleted) for c in copies[1:]]
            else:
                ambiguous.add(key)
                quarantined["QUAR-002"] += len(copies)
                self.taken += [("QUAR-002", c.record, c.is_deleted) for c in copies]
        deleted = 0
        if self.mode is LoadMode.REPLACE_DAYS:
            days = window.days()
            self.rows = [r for r in self.rows if not (days and days[0] <= r[0][1] <= days[-1])]
        else:
            self.rows = [r for r in self.rows if r[0] not in kept]
        if self.mode is LoadMode.SNAPSHOT:
            returned = kept.keys() | ambiguous
            for index, (key, record, is_deleted, earlier) in enumerate(self.rows):
                if not is_deleted and key not in returned:
                    self.rows[index] = (key, record, True, earlier)
                    deleted += 1
        self.rows += [(key, row.record, row.is_deleted, batch_id) for key, row in kept.items()]
        start = window.start.date()
        self.open = [
            (rule, opened)
            for rule, opened in self.open
            if self.mode is not LoadMode.SNAPSHOT and opened < start
        ] + [(rule, start) for rule, count in quarantined.items() for _ in range(count)]
        return len(kept), deleted, dict(quarantined)


def problem(row: RawRow, mode: LoadMode) -> str | None:
    if not isinstance(row.record, dict):
        return "QUAR-005"
    if any(value is None or value == "" for value in row.keys):
        return "QUAR-001"
    try:
        normal(row.keys, mode)
    except ValueError:
        return "QUAR-004"
    return None


def normal(keys: Key, mode: LoadMode) -> Key:
    """The key as PostgreSQL stores it (``"7"`` and ``7`` are one bigint)."""
    thing = int(keys[0])
    if mode is LoadMode.REPLACE_DAYS:
        day = keys[1]
        return (thing, day if isinstance(day, date) else date.fromisoformat(day))
    return (thing,)


def random_batch(rng: random.Random, mode: LoadMode, size: int) -> list[RawRow]:
    rows = []
    for _ in range(size):
        thing: Any = rng.randint(1, 9)
        roll = rng.random()
        if roll < 0.05:
            thing = None
        elif roll < 0.08:
            thing = "not a number"
        elif roll < 0.2:
            thing = str(thing)
        keys: Key = (thing,)
        if mode is LoadMode.REPLACE_DAYS:
            day = DAY + timedelta(days=rng.randint(-2, 1))
            keys = (thing, day.isoformat() if rng.random() < 0.3 else day)
        value = rng.randint(0, 2)
        record: Any = {"v": value, "name": rng.choice(["é", 'q"t'])}
        roll = rng.random()
        if roll < 0.04:
            record = [value]
        elif roll < 0.6:  # as a connector hands it over: decoded, with the text sent
            sent = json.dumps(record, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 1]))
            record = decode(f'{{"data": [{sent}]}}'.encode(), ("data", "*"))["data"][0]
            assert type(record) is RawRecord and record.text == sent
        rows.append(RawRow(keys, record, is_deleted=rng.random() < 0.3))
    return rows


def stream_of(mode: LoadMode, rows: list[RawRow]) -> Stream:
    daily = mode is LoadMode.REPLACE_DAYS
    return Stream(
        entity="things",
        key_columns={"thing_id": "bigint", **({"metric_date": "date"} if daily else {})},
        load_mode=mode,
        fetch=lambda window: iter(rows),
        day_column="metric_date" if daily else None,
    )


def landed(conn: psycopg.Connection, mode: LoadMode) -> list[tuple[Any, ...]]:
    keys = "thing_id, metric_date" if mode is LoadMode.REPLACE_DAYS else "thing_id"
    rows = conn.execute(
        f"select {keys}, record::text, is_deleted, _batch_id from raw_demo.things"
    ).fetchall()
    width = 2 if mode is LoadMode.REPLACE_DAYS else 1
    return sorted((tuple(row[:width]), *row[width:]) for row in rows)


def expected(conn: psycopg.Connection, model: Model) -> list[tuple[Any, ...]]:
    """The model's rows, their records as the committed loader stored them."""
    return sorted(
        (key, as_jsonb(conn, record), is_deleted, batch_id)
        for key, record, is_deleted, batch_id in model.rows
    )


def as_jsonb(conn: psycopg.Connection, record: Any) -> str:
    """``record`` as the committed loader stored it: Python's JSON of it, through jsonb."""
    return conn.execute("select %s::jsonb::text", (json.dumps(record),)).fetchone()[0]


@pytest.mark.parametrize("mode", list(LoadMode))
@pytest.mark.parametrize("seed", range(4))
def test_random_batches_land_as_the_committed_loader_landed_them(
    fresh_database: str, monkeypatch: pytest.MonkeyPatch, mode: LoadMode, seed: int
) -> None:
    monkeypatch.setattr(loader, "KEY_CHUNK", 3)
    monkeypatch.setattr(loader, "ANALYZE_KEYS", 5)  # the analyzed merge too
    rng = random.Random(seed)
    model = Model(mode)
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        ensure_ops(conn)
        for number in range(5):
            size = rng.choice([0, 1, 4, 12, 25])
            batch = random_batch(rng, mode, size)
            first = DAY - timedelta(days=rng.randint(0, 1))
            window = Window(midnight(first), midnight(DAY + timedelta(days=1)))
            batch_id = f"batch-{number}"
            rows, deleted, quarantined = model.load(batch, window, batch_id)
            result = load_stream(conn, "demo", stream_of(mode, batch), window, batch_id, "run")
            assert (result.rows, result.deleted, result.quarantined) == (
                rows,
                deleted,
                quarantined,
            ), number
            assert landed(conn, mode) == expected(conn, model), number
            open_rules = conn.execute(
                "select rule from ops.quarantine where resolved_at is null"
            ).fetchall()
            assert Counter(rule for (rule,) in open_rules) == Counter(r for r, _ in model.open)
            taken = conn.execute(
                "select rule, payload::text, is_deleted from ops.quarantine where batch_id = %s",
                (batch_id,),
            ).fetchall()
            assert sorted(taken) == sorted(
                (rule, as_jsonb(conn, record), is_deleted)
                for rule, record, is_deleted in model.taken
            )
            logged = conn.execute(
                "select row_count, deleted_count, quarantined_count from ops.load_batches "
                "where batch_id = %s",
                (batch_id,),
            ).fetchone()
            assert logged == (rows, deleted, sum(quarantined.values()))
        assert read_watermark(conn, "demo", "things") == midnight(DAY + timedelta(days=1))
