"""Volume, freshness and date-range rules on every raw table, and the quarantine suite,
against a real PostgreSQL: which rule codes fail for which history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from psycopg.types.json import Jsonb

from extract.loader import ensure_ops
from quality.results import QualityGateError, QualityReport
from quality.runner import validate_raw
from quality.suites import RAW_HEALTH, RAW_SUITES
from tests.quality.quality_data import Database

pytestmark = pytest.mark.integration

ADS = "raw_google_ads.ad_daily_metrics"
DEALS = "raw_hubspot.deals"
RUN = "manual__2026-03-10T00:00:00+00:00"  # ':' and '+' must not upset the SQL


def history(db: Database, source: str, entity: str, counts: list[int], window_end: str) -> None:
    """Load batches of ``counts`` rows, oldest first, the last one ending at ``window_end``."""
    ensure_ops(db.conn)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    (earlier,) = db.conn.execute(
        "select count(*) from ops.load_batches where source = %s and entity = %s", (source, entity)
    ).fetchone()
    for n, count in enumerate(counts, start=earlier):
        db.conn.execute(
            "insert into ops.load_batches (batch_id, run_id, source, entity, load_mode, "
            "window_start, window_end, row_count, deleted_count, loaded_at) "
            "values (%s, %s, %s, %s, 'merge', %s, %s, %s, 0, %s)",
            (
                f"{entity}-{n}",
                f"run-{n}",
                source,
                entity,
                start,
                window_end,
                count,
                start + timedelta(hours=n),
            ),
        )


def failed(report: QualityReport) -> dict[str, str]:
    return {r.rule: r.severity for r in report.results if not r.passed}


def rules(report: QualityReport) -> set[str]:
    return {r.rule for r in report.results}


def test_every_raw_table_has_health_rules_under_its_own_prefix() -> None:
    assert set(RAW_HEALTH) == set(RAW_SUITES)
    for table, health in RAW_HEALTH.items():
        codes = {e.meta["rule"] for e in RAW_SUITES[table]().expectations}
        assert f"{health.prefix}-001" in codes, table


def test_without_load_history_only_the_date_range_is_checked(warehouse: Database) -> None:
    report = validate_raw(warehouse.url, "run-no-ops", tables=[ADS, DEALS])
    assert {"GADS-ADDAY-009", "HS-DEAL-009"} <= rules(report)
    assert not {"GADS-ADDAY-007", "GADS-ADDAY-008", "HS-DEAL-007", "HS-DEAL-008"} & rules(report)
    assert failed(report) == {}


def test_volume_against_the_trailing_median(warehouse: Database) -> None:
    history(
        warehouse, "google_ads", "ad_daily_metrics", [5000, 100, 120, 90, 110, 20], "2024-06-03"
    )
    report = validate_raw(warehouse.url, "run-volume", tables=[ADS])
    assert failed(report) == {"GADS-ADDAY-007": "warning"}  # a warning: the run goes on
    (volume,) = [r for r in report.results if r.rule == "GADS-ADDAY-007"]
    assert volume.sample_bad_values == [
        {"latest_rows": 20, "median_rows": 110.0, "batches": 5, "table_rows": 5}
    ]

    history(warehouse, "google_ads", "ad_daily_metrics", [105], "2024-06-03")  # back to normal
    assert failed(validate_raw(warehouse.url, "run-volume-2", tables=[ADS])) == {}


def test_volume_adds_up_the_accounts_of_one_run(warehouse: Database) -> None:
    # Five runs of 1000 rows, then one loaded as four accounts' batches of 250: the same volume.
    history(warehouse, "google_ads", "ad_daily_metrics", [1000] * 5, "2024-06-03")
    warehouse.conn.execute(
        "insert into ops.load_batches (batch_id, run_id, source, entity, account, load_mode, "
        "window_start, window_end, row_count, deleted_count, loaded_at) "
        "select batch_id || '-' || account_id, 'run-accounts', source, entity, account_id, "
        "load_mode, window_start, window_end, 250, 0, loaded_at + interval '1 day' "
        "from ops.load_batches cross join (values ('1'), ('2'), ('3'), ('4')) as a (account_id) "
        "where batch_id = 'ad_daily_metrics-4'"
    )
    assert failed(validate_raw(warehouse.url, "run-accounts", tables=[ADS])) == {}


def test_volume_needs_three_earlier_batches(warehouse: Database) -> None:
    history(warehouse, "google_ads", "ad_daily_metrics", [100, 120, 3], "2024-06-03")
    assert failed(validate_raw(warehouse.url, "run-few", tables=[ADS])) == {}


def test_freshness_against_the_latest_load_window(warehouse: Database) -> None:
    # Newest ad day 2024-06-02, newest deal change 2024-06-01.
    history(warehouse, "google_ads", "ad_daily_metrics", [5], "2024-06-05")
    history(warehouse, "hubspot", "deals", [3], "2024-06-08")
    assert failed(validate_raw(warehouse.url, "run-fresh", tables=[ADS, DEALS])) == {}

    warehouse.conn.execute("update ops.load_batches set window_end = '2024-06-09'")
    report = validate_raw(warehouse.url, "run-stale", tables=[ADS, DEALS])
    assert failed(report) == {"GADS-ADDAY-008": "warning", "HS-DEAL-008": "warning"}
    (stale,) = [r for r in report.results if r.rule == "HS-DEAL-008"]
    assert stale.sample_bad_values == [{"window_end": "2024-06-09", "newest": "2024-06-01"}]


def test_a_date_out_of_range_fails(warehouse: Database) -> None:
    warehouse.conn.execute(
        f"update {ADS} set metric_date = '1999-12-31', "
        "record = jsonb_set(record, '{segments,date}', %s) "
        "where ad_id = 690123456790",
        (Jsonb("1999-12-31"),),
    )
    with pytest.raises(QualityGateError) as raised:
        validate_raw(warehouse.url, "run-range", tables=[ADS])
    assert failed(raised.value.report) == {"GADS-ADDAY-009": "critical"}
    assert "GADS-ADDAY-009" in str(raised.value)


def quarantine(db: Database, run_id: str, source: str, entity: str, rule: str, key: dict) -> None:
    ensure_ops(db.conn)
    db.conn.execute(
        "insert into ops.quarantine (batch_id, run_id, source, entity, rule, severity, reason, "
        "record_key, payload) values ('b1', %s, %s, %s, %s, 'critical', %s, %s, %s)",
        (
            run_id,
            source,
            entity,
            rule,
            f"reason for {rule}",
            Jsonb(key),
            Jsonb({"email": "person@example.com"}),
        ),
    )


def test_critical_quarantine_of_this_run_stops_the_raw_gate(warehouse: Database) -> None:
    quarantine(warehouse, RUN, "hubspot", "deals", "QUAR-002", {"deal_id": 7})
    quarantine(warehouse, "an-earlier-run", "hubspot", "deals", "QUAR-001", {"deal_id": None})
    quarantine(warehouse, RUN, "google_ads", "ad_daily_metrics", "QUAR-003", {"ad_id": 1})

    with pytest.raises(QualityGateError) as raised:
        validate_raw(warehouse.url, RUN, sources=["hubspot", "google_ads"])

    report = raised.value.report
    assert failed(report) == {"QUAR-002": "critical", "QUAR-003": "warning"}
    (dup,) = report.critical_failures
    assert dup.table_name == "ops.quarantine"
    assert dup.sample_bad_values == [
        {
            "table_name": "raw_hubspot.deals",
            "record_key": {"deal_id": 7},
            "reason": "reason for QUAR-002",
        }
    ]
    assert "QUAR-002" in str(raised.value) and "person@example.com" not in str(raised.value)

    # Another source's quarantine is not this gate's business.
    report = validate_raw(warehouse.url, RUN, sources=["google_ads"])
    assert failed(report) == {"QUAR-003": "warning"}
