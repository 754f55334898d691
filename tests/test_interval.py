"""Which day a run covers: scheduled intervals, manual runs with empty or no interval."""

from __future__ import annotations

from datetime import UTC, date, datetime

from extract.base import Window, midnight
from thinline.interval import day_window, logical_date_for, resolve_window


def test_nightly_interval_is_the_previous_utc_day() -> None:
    start = datetime(2026, 3, 10, 2, tzinfo=UTC)
    end = datetime(2026, 3, 11, 2, tzinfo=UTC)
    assert resolve_window(start, end, end) == day_window(date(2026, 3, 10))


def test_empty_or_missing_interval_uses_the_previous_full_day() -> None:
    run_after = datetime(2026, 3, 11, 15, 30, tzinfo=UTC)
    expected = Window(midnight(date(2026, 3, 10)), midnight(date(2026, 3, 11)))
    assert resolve_window(run_after, run_after, run_after) == expected
    assert resolve_window(None, None, run_after) == expected


def test_logical_date_for_a_day_infers_that_days_interval() -> None:
    from airflow.sdk import CronDataIntervalTimetable

    timetable = CronDataIntervalTimetable("0 2 * * *", timezone="UTC")
    serialized_cls = __import__("airflow.timetables.interval", fromlist=["x"])
    core = serialized_cls.CronDataIntervalTimetable(timetable.expression, timetable.timezone)
    interval = core.infer_manual_data_interval(run_after=logical_date_for(date(2026, 3, 10)))
    assert resolve_window(interval.start, interval.end, None) == day_window(date(2026, 3, 10))
