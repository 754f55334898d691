"""The raw suites against a real PostgreSQL: clean data passes, each broken batch fails
exactly the rule codes it breaks, warnings never stop the run."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from quality.results import QualityGateError, QualityReport
from quality.runner import validate_raw
from quality.suites import RAW_SUITES
from tests.quality import quality_data as data
from tests.quality.quality_data import EUR_ACCOUNT, EUR_GROUP, Database, Row

pytestmark = pytest.mark.integration

CLICK_VIEWS = "raw_google_ads.click_views"
GCLID = "Cj0KCQjwexampleGCLID"


def click_record(gclid: str, day: str, **extra: Any) -> dict[str, Any]:
    """A ``FROM click_view`` result row (source_apis.md §3.4) in the EUR account."""
    customer = f"customers/{EUR_ACCOUNT}"
    return {
        "customer": {"resourceName": customer, "id": EUR_ACCOUNT},
        "campaign": {"resourceName": f"{customer}/campaigns/{data.BRAND}", "id": data.BRAND},
        "adGroup": {"resourceName": f"{customer}/adGroups/{EUR_GROUP}", "id": EUR_GROUP},
        "clickView": {
            "resourceName": f"{customer}/clickViews/{day}~{gclid}",
            "gclid": gclid,
            "adGroupAd": f"{customer}/adGroupAds/{EUR_GROUP}~690123456789",
        },
        "metrics": {"clicks": "1"},
        "segments": {"date": day, "clickType": "URL_CLICKS", "device": "MOBILE"},
        **extra,
    }


def insert_clicks(warehouse: Database, rows: list[tuple[str, str, dict[str, Any]]]) -> None:
    for gclid, day, record in rows:
        warehouse.conn.execute(
            f"insert into {CLICK_VIEWS} (customer_id, gclid, click_date, record, _batch_id) "
            "values (%s, %s, %s, %s, %s)",
            (int(EUR_ACCOUNT), gclid, day, Jsonb(record), data.BATCH),
        )


@pytest.fixture
def warehouse(warehouse: Database) -> Database:
    """The shared good raw data plus raw_google_ads.click_views, which it does not hold."""
    warehouse.conn.execute(
        f"create table {CLICK_VIEWS} (customer_id bigint, gclid text, click_date date, "
        "record jsonb, is_deleted boolean not null default false, "
        "_loaded_at timestamptz not null default now(), _batch_id text)"
    )
    insert_clicks(warehouse, [(GCLID, "2024-06-01", click_record(GCLID, "2024-06-01"))])
    return warehouse


def codes(report: QualityReport, severity: str) -> set[str]:
    failures = report.critical_failures if severity == "critical" else report.warning_failures
    return {failure.rule for failure in failures}


def sample(report: QualityReport, rule: str) -> list:
    (failure,) = {r.rule: r for r in report.results if not r.passed and r.rule == rule}.values()
    return failure.sample_bad_values


def ad_row(ad: str, day: str, metrics: dict[str, str]) -> Row:
    return Row(
        "raw_google_ads.ad_daily_metrics",
        (int(EUR_ACCOUNT), int(EUR_GROUP), int(ad), day),
        data.ads_row(
            EUR_ACCOUNT,
            data.BRAND,
            day,
            metrics,
            adGroup={"id": EUR_GROUP, "name": "Ad group"},
            adGroupAd={"ad": {"id": ad, "name": f"Ad {ad}"}},
        ),
    )


def deal_row(deal_id: str, **properties: str) -> Row:
    values = {"amount": "100", "createdate": "2024-05-02T09:12:44.120Z", "dealstage": "closedwon"}
    record = data.hubspot_object(deal_id, {**values, **properties})
    return Row("raw_hubspot.deals", (int(deal_id),), record)


def test_good_raw_data_passes_every_suite(warehouse: Database) -> None:
    report = validate_raw(warehouse.url, "run-good")

    assert (report.failed, report.warnings) == (0, 0)
    assert report.passed == len(report.results) > 0
    # every raw table of the good data (other sources' suites are tested with their own data)
    loaded = {*data.RAW_KEYS, CLICK_VIEWS}
    assert {result.table_name for result in report.results} == loaded
    assert loaded <= set(RAW_SUITES)
    rows = warehouse.results("run-good")
    assert len(rows) == len(report.results)
    assert all(row["passed"] and row["sample_bad_values"] is None for row in rows)
    assert {row["severity"] for row in rows} == {"critical", "warning"}


def test_bad_batch_fails_exactly_the_broken_rules(
    warehouse: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    dates = {"createdate": "2024-05-01T00:00:00Z", "lastmodifieddate": "2024-05-01T00:00:00Z"}
    contact = data.hubspot_object("4", dates)
    del contact["id"]  # the source sent a contact without an id: the loader's key is NULL
    bad = [
        ad_row("690123456791", "2024-06-03", {"costMicros": "-5000000", "impressions": "10"}),
        next(row for row in data.good_raw_data().rows if row.table == "raw_hubspot.deals"),
        deal_row("8078784225", amount="12,500.00"),
        Row("raw_hubspot.contacts", (None,), contact),
        next(row for row in data.good_raw_data().rows if row.table == "raw_google_ads.campaigns"),
    ]
    data.insert_rows(warehouse.conn, bad)

    with pytest.raises(QualityGateError) as raised:
        validate_raw(warehouse.url, "run-bad")

    report = raised.value.report
    assert codes(report, "critical") == {
        "GADS-ADDAY-011",  # negative costMicros
        "HS-DEAL-002",  # duplicate deal key
        "HS-DEAL-010",  # non-numeric amount
        "HS-CONTACT-001",  # null key
        "GADS-CAMP-002",  # duplicate compound key
    }
    assert codes(report, "warning") == set()
    assert sample(report, "GADS-ADDAY-011") == [
        {
            "customer_id": int(EUR_ACCOUNT),
            "ad_group_id": int(EUR_GROUP),
            "ad_id": 690123456791,
            "metric_date": "2024-06-03",
            "cost_micros": "-5000000",
        }
    ]
    assert sample(report, "HS-DEAL-010") == [{"deal_id": 8078784225, "amount": "12,500.00"}]
    assert sample(report, "HS-DEAL-002") == [8078784221]
    assert sample(report, "HS-CONTACT-001") == [None]
    assert sample(report, "GADS-CAMP-002") == [
        {"customer_id": int(EUR_ACCOUNT), "campaign_id": int(data.BRAND)}
    ]

    message = str(raised.value).splitlines()
    assert message[0].startswith("quality gate failed for run run-bad: 5 critical check(s)")
    assert len(message) == 6
    assert any(
        "raw_hubspot.deals HS-DEAL-010" in line and "12,500.00" in line for line in message[1:]
    )
    assert any("raw_hubspot.contacts HS-CONTACT-001" in line for line in message[1:])

    rows = warehouse.results("run-bad")
    assert len(rows) == len(report.results)
    failed = {row["rule"]: row for row in rows if not row["passed"]}
    assert set(failed) == codes(report, "critical")
    assert failed["GADS-ADDAY-011"]["sample_bad_values"][0]["cost_micros"] == "-5000000"
    assert failed["GADS-ADDAY-011"]["unexpected_count"] == 1
    assert failed["HS-DEAL-002"]["unexpected_count"] == 2
    assert failed["HS-DEAL-002"]["severity"] == "critical"

    everything = str(raised.value) + caplog.text + str(rows)
    assert warehouse.password and warehouse.password not in everything


def test_warnings_are_recorded_but_do_not_raise(warehouse: Database) -> None:
    future = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    metrics = {"costMicros": "1000000", "impressions": "5", "clicks": "9"}
    data.insert_rows(
        warehouse.conn,
        [ad_row("690123456792", "2024-06-03", metrics), deal_row("8078784226", createdate=future)],
    )

    report = validate_raw(warehouse.url, "run-warn")

    assert report.failed == 0
    assert codes(report, "warning") == {"GADS-ADDAY-013", "HS-DEAL-013"}
    assert report.warnings == 2
    assert sample(report, "HS-DEAL-013") == [{"deal_id": 8078784226, "createdate": future}]
    rows = [row for row in warehouse.results("run-warn") if not row["passed"]]
    assert {(row["rule"], row["severity"]) for row in rows} == {
        ("GADS-ADDAY-013", "warning"),
        ("HS-DEAL-013", "warning"),
    }
    assert all(row["sample_bad_values"] for row in rows)


def test_structure_types_and_record_checks(warehouse: Database) -> None:
    warehouse.conn.execute(
        "alter table raw_google_ads.campaigns alter column campaign_id type text"
    )
    pipeline = next(r for r in data.good_raw_data().rows if r.table == "raw_hubspot.deal_pipelines")
    customer = {"customer": {"id": "3456789013", "currencyCode": "EUR", "timeZone": "UTC"}}
    enterprise = {**pipeline.record, "id": "enterprise"}
    data.insert_rows(
        warehouse.conn,
        [
            Row("raw_hubspot.deal_contact_associations", (8078784223, 3), None),
            Row(pipeline.table, ("enterprise",), enterprise, batch_id=None),
            Row("raw_google_ads.customers", (3456789012,), customer),
        ],
    )

    with pytest.raises(QualityGateError) as raised:
        validate_raw(warehouse.url, "run-structure")

    report = raised.value.report
    assert codes(report, "critical") == {
        "GADS-CAMP-003",  # key column is text, not bigint
        "HS-ASSOC-004",  # record is null
        "HS-ASSOC-006",  # ... so its ids cannot match the keys
        "HS-PIPELINE-005",  # no load batch
        "GADS-CUST-006",  # typed key differs from the id in the record
    }
    assert codes(report, "warning") == {"HS-ASSOC-010"}
    assert sample(report, "GADS-CAMP-003") == ["TEXT"]
    assert sample(report, "GADS-CUST-006") == [
        {"customer_id": 3456789012, "record_customer_id": "3456789013"}
    ]


def test_requested_tables_only_and_missing_tables(warehouse: Database) -> None:
    only = validate_raw(warehouse.url, "run-one", tables=["raw_google_ads.ad_daily_metrics"])
    assert {result.table_name for result in only.results} == {"raw_google_ads.ad_daily_metrics"}
    assert only.failed == 0

    with pytest.raises(ValueError, match=r"no raw quality suite for raw_hubspot\.tickets"):
        validate_raw(warehouse.url, "run-unknown", tables=["raw_hubspot.tickets"])

    warehouse.conn.execute("drop table raw_hubspot.owners")
    present = validate_raw(warehouse.url, "run-present")  # None: only tables that exist
    assert "raw_hubspot.owners" not in {result.table_name for result in present.results}

    with pytest.raises(QualityGateError) as raised:
        validate_raw(warehouse.url, "run-missing", tables=["raw_hubspot.owners"])
    report = raised.value.report
    assert codes(report, "critical") == {f"HS-OWNER-00{n}" for n in range(7)}
    assert codes(report, "warning") == {"HS-OWNER-010"}
    assert {result.observed_value for result in report.results} == {"table does not exist"}


def test_click_views_rules(warehouse: Database) -> None:
    day = "2024-06-02"
    no_campaign = click_record("Cj0KCQjwNoCampaign", day)
    del no_campaign["campaign"]
    no_campaign["clickView"]["adGroupAd"] = "adGroupAds/1"
    insert_clicks(
        warehouse,
        [
            (GCLID, "2024-06-01", click_record(GCLID, "2024-06-01")),  # a second copy
            ("Cj0KCQjwNoCampaign", day, no_campaign),
            ("Cj0KCQjwTypedKey", day, click_record("Cj0KCQjwInRecord", day)),
        ],
    )

    with pytest.raises(QualityGateError) as raised:
        validate_raw(warehouse.url, "run-clicks", tables=[CLICK_VIEWS])

    report = raised.value.report
    assert codes(report, "critical") == {"GADS-CLICK-002", "GADS-CLICK-006", "GADS-CLICK-011"}
    assert codes(report, "warning") == {"GADS-CLICK-012"}
    assert sample(report, "GADS-CLICK-011") == [
        {
            "customer_id": int(EUR_ACCOUNT),
            "gclid": "Cj0KCQjwNoCampaign",
            "click_date": day,
            "campaign_id": None,
            "ad_group_id": EUR_GROUP,
        }
    ]


def test_deal_stage_history_rules(warehouse: Database) -> None:
    table = "raw_hubspot.deal_stage_history"
    empty = data.stage_history_object("8078784225", [("2024-05-02T09:12:44.120Z", "closedwon")])
    empty["propertiesWithHistory"] = {"dealstage": []}
    unstamped = data.stage_history_object(
        "8078784226",
        [("yesterday", "appointmentscheduled"), ("2024-05-09T10:00:00Z", "closedwon")],
    )
    stale = data.stage_history_object(
        "8078784227",
        [
            ("2024-05-02T09:12:44.120Z", "appointmentscheduled"),
            ("2024-05-09T10:00:00Z", "closedwon"),
        ],
    )
    stale["properties"]["dealstage"] = "closedlost"  # moved after the history was read
    # the other tracked properties: a good deal, then one bad entry of each kind
    tracked = data.stage_history_object("8078784228", [("2024-05-02T09:12:44.120Z", "closedwon")])

    def entry(value: str, at: str = "2024-05-02T09:12:44.120Z") -> dict:
        return {"value": value, "timestamp": at, "sourceType": "CRM_UI"}

    tracked["propertiesWithHistory"] |= {
        "amount": [entry("1200.50"), entry("")],  # a cleared amount is fine
        "closedate": [entry("2024-05-02T09:12:44.120Z"), entry("1714641164120")],
        "hubspot_owner_id": [entry("41002916")],
        "hs_manual_forecast_category": [entry("CLOSED"), entry("BEST_CASE")],
    }
    bad = data.stage_history_object("8078784229", [("2024-05-02T09:12:44.120Z", "closedwon")])
    bad["propertiesWithHistory"] |= {
        "amount": [entry("1,200.50"), entry("900", at="last week")],
        "closedate": [entry("next quarter")],
        "hubspot_owner_id": [entry("Jonas Meyer")],
        "hs_manual_forecast_category": [entry("MOST_LIKELY")],
    }
    data.insert_rows(
        warehouse.conn,
        [Row(table, (int(r["id"]),), r) for r in (empty, unstamped, stale, tracked, bad)],
    )

    with pytest.raises(QualityGateError) as raised:
        validate_raw(warehouse.url, "run-history", tables=[table])

    report = raised.value.report
    assert codes(report, "critical") == {
        "HS-STAGEHIST-010",
        "HS-STAGEHIST-011",
        "HS-STAGEHIST-013",
        "HS-STAGEHIST-014",
    }
    assert codes(report, "warning") == {
        "HS-STAGEHIST-012",
        "HS-STAGEHIST-015",
        "HS-STAGEHIST-016",
        "HS-STAGEHIST-017",
    }
    for rule in (13, 14, 15, 16, 17):
        assert {row["deal_id"] for row in sample(report, f"HS-STAGEHIST-0{rule}")} == {
            8078784229
        }, rule
    assert [row["property"] for row in sample(report, "HS-STAGEHIST-013")] == ["amount"]
    assert [row["entry"]["value"] for row in sample(report, "HS-STAGEHIST-014")] == ["1,200.50"]
    assert [row["deal_id"] for row in sample(report, "HS-STAGEHIST-010")] == [8078784225]
    assert [row["deal_id"] for row in sample(report, "HS-STAGEHIST-011")] == [8078784226]
    assert sample(report, "HS-STAGEHIST-012") == [
        {"deal_id": 8078784227, "dealstage": "closedlost", "newest_entry": "closedwon"}
    ]


def test_engagement_rules(warehouse: Database) -> None:
    table = "raw_hubspot.calls"
    warehouse.conn.execute(
        f"create table {table} (call_id bigint, record jsonb, is_deleted boolean not null "
        "default false, _loaded_at timestamptz not null default now(), _batch_id text)"
    )
    stamp = "2024-06-01T08:03:11.902Z"
    base = {"hs_timestamp": stamp, "hs_lastmodifieddate": stamp, "hubspot_owner_id": "41629779"}

    def call(call_id: str, associations: Any = None, **properties: str | None) -> dict:
        record = data.hubspot_object(call_id, {**base, **properties})
        if associations is not None:
            record["associations"] = associations
        return record

    linked = {"contacts": [{"toObjectId": 51, "associationTypes": [{"typeId": 194}]}]}
    good = call("1", linked, hs_call_direction="OUTBOUND", hs_call_duration="95000")
    undated = call("2", hs_timestamp=None)
    sideways = call("3", hs_call_direction="SIDEWAYS", hs_call_duration="-5")
    flat = call("4", {"contacts": {"toObjectId": 51}})
    for record in (good, undated, sideways, flat):
        warehouse.conn.execute(
            f"insert into {table} (call_id, record, _batch_id) values (%s, %s, %s)",
            (int(record["id"]), Jsonb(record), data.BATCH),
        )

    with pytest.raises(QualityGateError) as raised:
        validate_raw(warehouse.url, "run-calls", tables=[table])

    report = raised.value.report
    assert codes(report, "critical") == {"HS-CALL-010"}
    assert codes(report, "warning") >= {"HS-CALL-013", "HS-CALL-014", "HS-CALL-015"}
    assert not {"HS-CALL-011", "HS-CALL-012"} & codes(report, "warning")
    assert [row["call_id"] for row in sample(report, "HS-CALL-010")] == [2]
    assert [row["call_id"] for row in sample(report, "HS-CALL-013")] == [3]
    assert [row["call_id"] for row in sample(report, "HS-CALL-014")] == [4]
    assert [row["call_id"] for row in sample(report, "HS-CALL-015")] == [3]


def test_note_rules_have_no_enumerated_property(warehouse: Database) -> None:
    table = "raw_hubspot.notes"
    warehouse.conn.execute(
        f"create table {table} (note_id bigint, record jsonb, is_deleted boolean not null "
        "default false, _loaded_at timestamptz not null default now(), _batch_id text)"
    )
    stamp = "2024-06-01T08:03:11.902Z"
    good = data.hubspot_object(
        "1", {"hs_timestamp": stamp, "hs_lastmodifieddate": stamp, "hubspot_owner_id": "41"}
    )
    undated = data.hubspot_object(
        "2", {"hs_timestamp": None, "hs_lastmodifieddate": stamp, "hubspot_owner_id": "x"}
    )
    for record in (good, undated):
        warehouse.conn.execute(
            f"insert into {table} (note_id, record, _batch_id) values (%s, %s, %s)",
            (int(record["id"]), Jsonb(record), data.BATCH),
        )

    with pytest.raises(QualityGateError) as raised:
        validate_raw(warehouse.url, "run-notes", tables=[table])

    report = raised.value.report
    assert codes(report, "critical") == {"HS-NOTE-010"}
    assert codes(report, "warning") == {"HS-NOTE-012"}
    assert [row["note_id"] for row in sample(report, "HS-NOTE-010")] == [2]
    assert "HS-NOTE-013" not in {result.rule for result in report.results}
