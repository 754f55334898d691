"""Write-audit-publish seen from BI: a bi_reader session querying `analytics` in a loop while
a whole nightly run goes through Airflow never errors, never waits on a lock for more than a
second, and never sees tables of two versions together."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg
import pytest

from sandbox import serve
from sandbox.world import World
from tests.integration.conftest import ALL_SOURCES, DAY, run_thinline

pytestmark = [pytest.mark.integration, pytest.mark.changes_shared_run]

TABLES = ("fct_deals", "fct_ad_spend_daily", "dim_dates")


def version(url: str, schema: str) -> tuple[int, ...]:
    """The identity (table oids) of the version in ``schema``."""
    with psycopg.connect(url) as conn:
        return tuple(
            conn.execute("select %s::regclass::oid::int8", (f"{schema}.{table}",)).fetchone()[0]
            for table in TABLES
        )


class Reader(threading.Thread):
    """BI in a loop: each transaction reads one table, then the two others, and records the
    tables it actually read (tableoid). ``lock_timeout = 1s``: a longer wait is an error."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.stop = url, threading.Event()
        self.seen: list[tuple[int, ...]] = []
        self.errors: list[str] = []

    def run(self) -> None:
        with psycopg.connect(self.url, options="-c lock_timeout=1000") as conn:
            while not self.stop.is_set():
                try:
                    with conn.transaction():
                        first = conn.execute(
                            f"select min(tableoid::int8) from analytics.{TABLES[0]}"
                        ).fetchone()
                        rest = conn.execute(
                            "select "
                            + ", ".join(
                                f"(select min(tableoid::int8) from analytics.{table})"
                                for table in TABLES[1:]
                            )
                        ).fetchone()
                    self.seen.append((*first, *rest))
                except psycopg.Error as error:
                    self.errors.append(f"{type(error).__name__}: {error}".splitlines()[0])
                time.sleep(0.02)


def test_reader_loop_during_a_full_run(published_company: dict, world: World) -> None:
    home: Path = published_company["home"]
    reader_url = run_thinline(home, "warehouse", "url", "--role", "bi_reader").strip()
    owner_url = published_company["url"]
    before = version(owner_url, "analytics")

    reader = Reader(reader_url)
    reader.start()
    try:
        with serve(world) as sources:
            env = {**sources.env, "THINLINE_SOURCES": ALL_SOURCES}
            run_thinline(home, "run", "--date", DAY.isoformat(), extra_env=env)
        seen_before_stop = len(reader.seen)
        while len(reader.seen) < seen_before_stop + 5 and reader.is_alive():
            time.sleep(0.05)  # a few reads of the new version
    finally:
        reader.stop.set()
        reader.join(timeout=30)

    after = version(owner_url, "analytics")
    assert after != before  # a new version was published during the loop
    assert version(owner_url, "analytics_previous") == before
    assert reader.errors == []
    assert set(reader.seen) <= {before, after}, "a read mixed tables of two versions"
    assert {before, after} <= set(reader.seen)  # the loop spanned the publish
