"""Watermarks that stay true: skipped nights lose nothing, a future interval is refused and
leaves every watermark as it was, no watermark passes the moment its data was read, and only
`thinline reset` moves one back (logged). Quarantine heals: a record held back is re-read
every night until it loads."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from extract.base import ConfigError, LoadMode, RawRow, Stream, Window, midnight
from extract.hubspot import HubSpotSettings
from extract.loader import (
    ensure_ops,
    load_stream,
    open_quarantine_counts,
    open_quarantine_start,
    read_watermark,
)
from extract.runner import extract_source, read_window
from sandbox import WorldConfig, build_world, serve
from tests.conftest import run_cli
from thinline.interval import day_window

THINLINE = str(Path(sys.executable).parent / "thinline")
START = date(2026, 2, 1)
WORLD = WorldConfig(seed=5, scale=0.4, start=START, end=date(2026, 2, 10))
PREFIX = "THINLINE_HUBSPOT__"


def hubspot_night(url: str, day: date) -> None:
    """One night of the HubSpot extract, against the company as it stands after ``day``."""
    with serve(build_world(replace(WORLD, end=day))) as sources:
        env = {
            k.removeprefix(PREFIX).lower(): v
            for k, v in sources.env.items()
            if k.startswith(PREFIX)
        }
        extract_source("hubspot", HubSpotSettings(**env), day_window(day), url, START, "run")


def contact_ids(url: str) -> set[int]:
    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute("select contact_id from raw_hubspot.contacts")}


def watermarks(url: str) -> dict[str, datetime]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("select source || '.' || entity, watermark from ops.watermarks")
        return dict(rows.fetchall())


def test_a_skipped_night_is_caught_up_and_a_future_day_moves_no_watermark(
    fresh_database: str,
) -> None:
    hubspot_night(fresh_database, date(2026, 2, 10))
    # 11 February is skipped; the night of the 12th reads from the watermark (the 11th)
    hubspot_night(fresh_database, date(2026, 2, 12))
    expected = build_world(replace(WORLD, end=date(2026, 2, 12))).hubspot.contacts
    assert contact_ids(fresh_database) == {contact.object_id for contact in expected}

    before = watermarks(fresh_database)
    assert max(before.values()) == midnight(date(2026, 2, 13))
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    with pytest.raises(ConfigError, match="ends after now"):
        hubspot_night(fresh_database, tomorrow)
    assert watermarks(fresh_database) == before


def stream(fetch, mode: LoadMode = LoadMode.MERGE) -> Stream:
    return Stream("things", {"thing_id": "bigint"}, mode, fetch, lookback=timedelta(minutes=10))


def load(url: str, stream: Stream, window: Window, batch: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_ops(conn)
        load_stream(conn, "demo", stream, window, batch, run_id=batch)


def test_no_watermark_passes_the_moment_its_data_was_read(fresh_database: str) -> None:
    future = Window(midnight(date(2026, 2, 1)), datetime.now(UTC) + timedelta(days=400))
    load(fresh_database, stream(lambda window: iter([RawRow((1,), {"v": 1})])), future, "b1")
    assert watermarks(fresh_database)["demo.things"] <= datetime.now(UTC)


def test_a_quarantined_record_is_read_again_until_it_loads(fresh_database: str) -> None:
    asked: list[Window] = []
    bad = [RawRow((None,), {"v": "no id yet"}), RawRow((1,), {"v": 1})]
    fixed = [RawRow((2,), {"v": "the fixed record"})]
    nights = iter([bad, bad, fixed, []])

    def fetch(window: Window) -> Iterator[RawRow]:
        asked.append(window)
        return iter(next(nights))

    things = stream(fetch)
    first = day_window(date(2026, 2, 1))
    for night in range(4):
        day = date(2026, 2, 1) + timedelta(days=night)
        with psycopg.connect(fresh_database, autocommit=True) as conn:
            ensure_ops(conn)
            window = read_window(
                things,
                read_watermark(conn, "demo", "things"),
                day_window(day),
                START,
                open_quarantine_start(conn, "demo", "things"),
            )
        load(fresh_database, things, window, f"night-{night}")
        with psycopg.connect(fresh_database) as conn:
            still_open = open_quarantine_counts(conn, "demo")
        if night < 2:  # still bad at the source: held back, and the next night re-reads it
            assert still_open == {"things": 1}
        else:  # fixed at the source: loaded, nothing open, the re-reads stop
            assert still_open == {}
    assert asked[1].start == first.start and asked[2].start == first.start
    assert asked[3].start > first.start
    with psycopg.connect(fresh_database) as conn:
        closed = conn.execute(
            "select count(*) from ops.quarantine where resolved_at is not null"
        ).fetchone()
        loaded = conn.execute("select thing_id from raw_demo.things order by 1").fetchall()
    assert closed == (2,) and loaded == [(1,), (2,)]


def test_reset_moves_watermarks_back_and_logs_who(fresh_database: str, tmp_path: Path) -> None:
    load(
        fresh_database,
        stream(lambda window: iter([RawRow((1,), {"v": 1})])),
        day_window(date(2026, 2, 20)),
        "b1",
    )
    env = {"THINLINE_WAREHOUSE_URL": fresh_database}
    result = run_cli(THINLINE, "reset", "demo", "--to", "2026-02-01", home=tmp_path, **env)
    assert result.returncode == 2 and "unknown source 'demo'" in result.stderr  # known sources only

    with psycopg.connect(fresh_database, autocommit=True) as conn:  # a real source's stream
        conn.execute(
            "insert into ops.watermarks (source, entity, watermark, batch_id) values "
            "('hubspot', 'contacts', '2026-02-21', 'b'), ('hubspot', 'deals', '2026-01-15', 'b')"
        )
    result = run_cli(THINLINE, "reset", "hubspot", "--to", "2026-02-01", home=tmp_path, **env)
    assert result.returncode == 0, result.stderr
    assert "raw_hubspot.contacts: watermark 2026-02-21 00:00 -> 2026-02-01" in result.stdout
    assert "deals" not in result.stdout  # already before --to: left alone
    marks = watermarks(fresh_database)
    assert marks["hubspot.contacts"] == midnight(date(2026, 2, 1))
    assert marks["hubspot.deals"] == datetime(2026, 1, 15, tzinfo=UTC)
    with psycopg.connect(fresh_database) as conn:
        logged = conn.execute(
            "select entity, from_watermark::date, to_watermark::date, reset_by "
            "from ops.watermark_resets"
        ).fetchall()
    assert [row[:3] for row in logged] == [("contacts", date(2026, 2, 21), date(2026, 2, 1))]
    assert "@" in logged[0][3]
    unknown = run_cli(
        THINLINE, "reset", "hubspot", "contactz", "--to", "2026-02-01", home=tmp_path, **env
    )
    assert unknown.returncode == 2 and "unknown stream 'contactz' of hubspot" in unknown.stderr
