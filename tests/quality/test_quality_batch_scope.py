"""Raw checks on the night's batch: a night reads only the rows its run loaded, so a bad row an
earlier run loaded does not fail tonight's gate (it did fail its own night), a bad row loaded
tonight does, and the weekly full pass reads every row again."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from extract.base import LoadMode, RawRow, Stream, Window
from extract.loader import ensure_ops, load_stream
from quality.results import QualityGateError
from quality.runner import validate_raw
from tests.quality.test_quality_raw import EUR_ACCOUNT, click_record

pytestmark = pytest.mark.integration

TABLE = "raw_google_ads.click_views"


def clicks(rows: list[tuple[str, str, dict]]) -> Stream:
    keyed = [RawRow((EUR_ACCOUNT, gclid, day), record) for gclid, day, record in rows]
    return Stream(
        "click_views",
        {"customer_id": "bigint", "gclid": "text", "click_date": "date"},
        LoadMode.MERGE,
        lambda window: iter(keyed),
    )


def night(url: str, run_id: str, rows: list[tuple[str, str, dict]], day: int) -> None:
    window = Window(datetime(2026, 3, day, tzinfo=UTC), datetime(2026, 3, day + 1, tzinfo=UTC))
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_ops(conn)
        load_stream(conn, "google_ads", clicks(rows), window, f"batch-{run_id}", run_id)


def record(gclid: str, day: str) -> dict:
    return click_record(gclid, day)


def failing(url: str, run_id: str, scope: str) -> set[str]:
    try:
        validate_raw(url, run_id, tables=[TABLE], scope=scope)
    except QualityGateError as error:
        return {result.rule for result in error.report.critical_failures}
    return set()


def test_a_night_checks_its_own_rows_and_the_weekly_pass_all(fresh_database: str) -> None:
    url = fresh_database
    # night 1 loads a click whose date is before 2000 (GADS-CLICK-009, critical)
    night(url, "run-1", [("g-old", "1999-12-31", record("g-old", "1999-12-31"))], 1)
    assert "GADS-CLICK-009" in failing(url, "run-1", "batch")
    # night 2 loads good rows only: tonight's gate passes, the whole table still holds the bad
    night(url, "run-2", [("g-2", "2026-03-02", record("g-2", "2026-03-02"))], 2)
    assert failing(url, "run-2", "batch") == set()
    assert "GADS-CLICK-009" in failing(url, "run-2", "full")
    # night 3 loads another bad one: caught on its own night
    night(url, "run-3", [("g-3", "1998-01-01", record("g-3", "1998-01-01"))], 3)
    assert "GADS-CLICK-009" in failing(url, "run-3", "batch")
    with psycopg.connect(url) as conn:
        shown = conn.execute("select count(*) from quality_batch.raw_google_ads__click_views")
        assert shown.fetchone() == (1,)  # the view holds run-3's row only


def test_an_unknown_scope_is_refused(fresh_database: str) -> None:
    with pytest.raises(ValueError, match="unknown scope"):
        validate_raw(fresh_database, "run", tables=[TABLE], scope="weekly")
