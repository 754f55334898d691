"""Turn an Airflow data interval into the calendar-day window Thinline extracts.

The nightly run fires at 02:00 UTC for the interval ``[D 02:00, D+1 02:00)``; Thinline
treats that as UTC day ``D``. Airflow 3 gives manual runs an empty interval (start == end)
or none at all; those cover the previous full day before ``run_after``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from extract.base import Window, midnight


def day_window(day: date) -> Window:
    return Window(midnight(day), midnight(day + timedelta(days=1)))


def resolve_window(
    start: datetime | None, end: datetime | None, run_after: datetime | None
) -> Window:
    if start is None or end is None or start >= end:
        anchor = (run_after or datetime.now(UTC)).astimezone(UTC)
        return day_window(anchor.date() - timedelta(days=1))
    first, last = start.astimezone(UTC).date(), end.astimezone(UTC).date()
    return Window(midnight(first), midnight(max(last, first + timedelta(days=1))))


def logical_date_for(day: date) -> datetime:
    """The logical date whose inferred manual interval is day ``day``'s nightly interval."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC).replace(
        hour=2
    )


def window_from_context(context: dict) -> Window:
    """The window of the Airflow run in ``context`` (a task's ``**context``)."""
    dag_run = context.get("dag_run")
    return resolve_window(
        context.get("data_interval_start"),
        context.get("data_interval_end"),
        getattr(dag_run, "run_after", None),
    )
