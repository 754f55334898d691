"""Checks on a raw table's health rather than its content, added to every raw suite:

* ``<PREFIX>-007`` volume: the latest load batch's row count is within 3x of the median of
  the (up to 7) batches before it (at least 3 needed; differences of 10 rows or fewer pass);
* ``<PREFIX>-008`` freshness: the newest live record's date is no older than N days before the
  end of the latest batch's window (windows, not the wall clock: a backfill is judged by the
  interval it loaded);
* ``<PREFIX>-009`` dates in range: no record date before 2000-01-01 (the upper bound, "not in
  the future", is each entity's own rule).

Volume and freshness read ``ops.load_batches`` and are only added when it exists; snapshot
tables (read whole every run) have no freshness rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import great_expectations as gx
import great_expectations.expectations as gxe

from quality.results import WARNING
from quality.suites.rules import LIVE, day_of, is_datetime, rows_check

FLOOR = "2000-01-01"
TRAILING_BATCHES = 7
MIN_BATCHES = 3
RATIO = 3
SLACK_ROWS = 10


@dataclass(frozen=True)
class Health:
    prefix: str
    day: str | None = None  # SQL: the record's 'YYYY-MM-DD' date (text), null if unreadable
    max_age_days: int | None = None  # freshness; None for snapshots
    range_severity: str = WARNING


def json_day(value: str) -> str:
    """A JSON date-time as 'YYYY-MM-DD', null when it is not one (never a failing cast)."""
    return f"case when {is_datetime(value)} then {day_of(value)} end"


def column_day(column: str) -> str:
    return f"to_char({column}, 'YYYY-MM-DD')"


ADS = 3  # ad platforms report every day with delivery
CRM = 7  # a CRM where nothing changed for a week is worth a look


def with_health(
    table: str,
    suite: gx.ExpectationSuite,
    health: Health | None,
    has_batches: bool,
    batch_scoped: bool = False,
) -> gx.ExpectationSuite:
    """``suite`` plus ``table``'s ``health`` rules (its source's HEALTH; volume and freshness if
    ``has_batches``). ``batch_scoped``: the suite sees only this run's rows, so a night that
    brought none is not stale (the volume rule judges the count)."""
    if health is None:
        return suite
    source, entity = table.split(".", 1)
    source = source.removeprefix("raw_")
    keys = _key_columns(suite, health.prefix)
    added: list[gxe.Expectation] = []
    if has_batches:
        added.append(_volume(health.prefix, source, entity))
        if health.day is not None and health.max_age_days is not None:
            added.append(_freshness(health, source, entity, batch_scoped))
    if health.day is not None:
        added.append(
            rows_check(
                f"{health.prefix}-009",
                health.range_severity,
                f"record dates are not before {FLOOR}",
                f"select {', '.join(keys)}, {health.day} as record_date from {{batch}} "
                f"where {LIVE} and {health.day} < '{FLOOR}'",
            )
        )
    return gx.ExpectationSuite(name=suite.name, expectations=[*suite.expectations, *added])


def _batches(source: str, entity: str) -> str:
    """The stream's loads, one row per run (a source read account by account loads a batch
    per account): rows added up, the latest load time and window end."""
    return (
        "from (select sum(row_count)::bigint as row_count, max(loaded_at) as loaded_at, "
        "max(window_end) as window_end from ops.load_batches "
        f"where source = '{source}' and entity = '{entity}' "
        "group by coalesce(run_id, batch_id)) as loads where true"
    )


def _volume(prefix: str, source: str, entity: str) -> gxe.UnexpectedRowsExpectation:
    return rows_check(
        f"{prefix}-007",
        WARNING,
        f"the latest batch's row count is within {RATIO}x of the median of the "
        f"{TRAILING_BATCHES} batches before it",
        "select latest.row_count as latest_rows, trailing_batches.median_rows, "
        "trailing_batches.batches, current_table.table_rows "
        f"from (select row_count, loaded_at {_batches(source, entity)} "
        "order by loaded_at desc limit 1) as latest "
        "cross join lateral (select percentile_cont(0.5) within group (order by earlier.row_count) "
        "as median_rows, count(*) as batches "
        f"from (select row_count {_batches(source, entity)} and loaded_at < latest.loaded_at "
        f"order by loaded_at desc limit {TRAILING_BATCHES}) as earlier) as trailing_batches "
        "cross join (select count(*) as table_rows from {batch} as raw_rows) as current_table "
        f"where trailing_batches.batches >= {MIN_BATCHES} "
        f"and (latest.row_count * {RATIO} < trailing_batches.median_rows "
        f"or latest.row_count > trailing_batches.median_rows * {RATIO}) "
        f"and abs(latest.row_count - trailing_batches.median_rows) > {SLACK_ROWS}",
    )


def _freshness(
    health: Health, source: str, entity: str, batch_scoped: bool = False
) -> gxe.UnexpectedRowsExpectation:
    return rows_check(
        f"{health.prefix}-008",
        WARNING,
        f"the newest record is at most {health.max_age_days} days older than the end of the "
        "latest load window",
        "select to_char(latest.window_end, 'YYYY-MM-DD') as window_end, fresh.newest "
        f"from (select max(window_end) as window_end {_batches(source, entity)}) as latest "
        f"cross join (select max({health.day}) as newest "
        f"from {{batch}} as raw_rows where {LIVE}) as fresh "
        "where latest.window_end is not null "
        + ("and fresh.newest is not null " if batch_scoped else "")
        + "and coalesce(fresh.newest, '') < to_char("
        f"latest.window_end - interval '{health.max_age_days} days', 'YYYY-MM-DD')",
    )


def _key_columns(suite: gx.ExpectationSuite, prefix: str) -> list[str]:
    """The key columns, from the suite's own "key is present" rule (``<PREFIX>-001``)."""
    keys = [
        expectation.column
        for expectation in suite.expectations
        if isinstance(expectation, gxe.ExpectColumnValuesToNotBeNull)
        and (expectation.meta or {}).get("rule") == f"{prefix}-001"
    ]
    return keys or ["_batch_id"]
