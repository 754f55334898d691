"""The raw_salesforce suites against a real PostgreSQL: what the connector lands from the
sandbox passes every rule, and each broken row fails exactly the rule codes it breaks."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from extract.base import Window
from extract.loader import ensure_ops, load_stream
from extract.salesforce import SalesforceSettings, build_connector
from extract.salesforce.streams import ACTIVITY_OBJECTS, CURRENCY_OBJECTS, OBJECTS, ORGANIZATION
from quality.results import QualityGateError, QualityReport
from quality.runner import validate_raw
from quality.suites import RAW_SUITES
from quality.suites.raw_salesforce import SUITES
from sandbox import World, WorldConfig, build_world, serve

pytestmark = pytest.mark.integration

TABLES = sorted(SUITES)
KEYS = {sobject.entity: sobject.key_column for sobject in (*OBJECTS, ORGANIZATION)}
PREFIX = "THINLINE_SALESFORCE__"
EVERYTHING = Window(datetime(2020, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


@pytest.fixture(scope="module")
def world() -> World:
    return build_world(WorldConfig(seed=7, scale=1.0))


@pytest.fixture
def loaded(world: World, fresh_database: str) -> Iterator[tuple[str, psycopg.Connection]]:
    """A fresh database holding every raw_salesforce table, as the connector lands them."""
    with serve(world) as sources, psycopg.connect(fresh_database, autocommit=True) as conn:
        ensure_ops(conn)
        env = sources.env.items()
        settings = SalesforceSettings(
            **{k.removeprefix(PREFIX).lower(): v for k, v in env if k.startswith(PREFIX)}
        )
        for stream in build_connector(settings, sleep=lambda _: None).streams():
            load_stream(conn, "salesforce", stream, EVERYTHING, f"batch-{stream.entity}")
        yield fresh_database, conn


def codes(report: QualityReport, severity: str) -> set[str]:
    failures = report.critical_failures if severity == "critical" else report.warning_failures
    return {failure.rule for failure in failures}


def first_record(conn: psycopg.Connection, table: str, **where: bool) -> dict[str, Any]:
    deleted = where.get("is_deleted", False)
    (record,) = conn.execute(
        f"select record from raw_salesforce.{table} where is_deleted = %s "
        "order by record->>'Id' limit 1",
        (deleted,),
    ).fetchone()
    return record


def insert(
    conn: psycopg.Connection, table: str, key: str | None, record: dict, deleted: bool = False
) -> None:
    key_column = KEYS[table]
    conn.execute(
        f"insert into raw_salesforce.{table} ({key_column}, record, is_deleted, _loaded_at, "
        "_batch_id) values (%s, %s, %s, now(), 'bad-batch')",
        (key, Jsonb(record), deleted),
    )


def variant(record: dict[str, Any], new_id: str, **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(record) | {"Id": new_id} | changes
    return {k: v for k, v in changed.items() if v is not ...}  # ``...`` drops a field


def test_suites_are_registered_for_every_raw_table() -> None:
    assert set(TABLES) <= set(RAW_SUITES)
    read = (*OBJECTS, ORGANIZATION, *CURRENCY_OBJECTS, *ACTIVITY_OBJECTS)
    assert set(SUITES) == {f"raw_salesforce.{sobject.entity}" for sobject in read}


def test_what_the_connector_lands_passes_every_rule(
    loaded: tuple[str, psycopg.Connection],
) -> None:
    url, _ = loaded
    report = validate_raw(url, "run-sf-good", sources=["salesforce"])
    assert (report.failed, report.warnings) == (0, 0), report.summary_line()
    # every raw table, and the run's quarantine (the loader created ops.quarantine)
    assert {result.table_name for result in report.results} == {*TABLES, "ops.quarantine"}
    assert {result.severity for result in report.results} == {"critical", "warning"}


def test_broken_rows_fail_exactly_their_rules(loaded: tuple[str, psycopg.Connection]) -> None:
    url, conn = loaded
    opp = first_record(conn, "opportunities")
    fake = "006BAD00000000{:d}AAA".format
    bad_opportunities = {
        fake(1): variant(opp, fake(1), Amount="12,500.00"),  # SF-OPP-012
        fake(2): variant(opp, fake(2), Amount=-5.0),  # SF-OPP-013
        fake(3): variant(opp, fake(3), StageName=None),  # SF-OPP-014
        fake(4): variant(opp, fake(4), CloseDate="28/06/2026"),  # SF-OPP-015
        fake(5): variant(opp, fake(5), IsWon="true"),  # SF-OPP-016
        fake(6): variant(opp, fake(6), IsWon=True, IsClosed=False),  # SF-OPP-017
        fake(7): variant(opp, fake(7), SystemModstamp=...),  # SF-OPP-010
    }
    for key, record in bad_opportunities.items():
        insert(conn, "opportunities", key, record)
    insert(conn, "opportunities", opp["Id"], opp)  # SF-OPP-002: a second row for one key
    insert(conn, "opportunities", fake(8), variant(opp, fake(9)))  # SF-OPP-006
    # Deleted rows are kept but never judged on content.
    insert(conn, "opportunities", fake(0), variant(opp, fake(0), Amount=-1.0), deleted=True)
    lead = first_record(conn, "leads")
    insert(conn, "leads", None, variant(lead, "00QBAD000000001AAA", Id=...))  # SF-LEAD-001
    history = first_record(conn, "opportunity_histories")
    insert(
        conn,
        "opportunity_histories",
        "008BAD000000001AAA",
        variant(history, "008BAD000000001AAA", OpportunityId=None),  # SF-OPPHIST-012
    )
    change = first_record(conn, "opportunity_field_histories")
    insert(
        conn,
        "opportunity_field_histories",
        "017BAD000000001AAA",
        variant(change, "017BAD000000001AAA", Field=None),  # SF-OPPFIELDHIST-012
    )
    insert(
        conn,
        "opportunity_field_histories",
        "017BAD000000002AAA",
        variant(  # SF-OPPFIELDHIST-013 (warning): a name where the User id belongs
            change, "017BAD000000002AAA", Field="Owner", DataType="EntityId", NewValue="Kai Moreau"
        ),
    )
    member = first_record(conn, "campaign_members")
    insert(
        conn,
        "campaign_members",
        "00vBAD000000001AAA",
        variant(member, "00vBAD000000001AAA", LeadId=None, ContactId=None),  # SF-CAMPMEMBER-013
    )
    user = first_record(conn, "users")
    insert(conn, "users", "005BAD000000001AAA", variant(user, "005BAD000000001AAA", IsActive="1"))
    contact = first_record(conn, "contacts")
    insert(
        conn,
        "contacts",
        "003BAD000000001AAA",
        variant(contact, "003BAD000000001AAA", Email="not an email"),  # SF-CONTACT-012 (warning)
    )
    campaign = first_record(conn, "campaigns")
    insert(
        conn,
        "campaigns",
        "701BAD000000001AAA",
        variant(campaign, "701BAD000000001AAA", ActualCost=-10.0),  # SF-CAMPAIGN-014 (warning)
    )

    with pytest.raises(QualityGateError) as raised:
        validate_raw(url, "run-sf-bad", tables=TABLES)

    report = raised.value.report
    assert codes(report, "critical") == {
        "SF-OPP-002",
        "SF-OPP-006",
        "SF-OPP-010",
        "SF-OPP-012",
        "SF-OPP-013",
        "SF-OPP-014",
        "SF-OPP-015",
        "SF-OPP-016",
        "SF-OPP-017",
        "SF-LEAD-001",
        "SF-OPPHIST-012",
        "SF-OPPFIELDHIST-012",
        "SF-CAMPMEMBER-013",
        "SF-USER-012",
    }
    assert codes(report, "warning") == {
        "SF-CONTACT-012",
        "SF-CAMPAIGN-014",
        "SF-OPPFIELDHIST-013",
    }
    (amount,) = [r for r in report.results if r.rule == "SF-OPP-012"]
    assert amount.sample_bad_values == [{"opportunity_id": fake(1), "amount": "12,500.00"}]
    (email,) = [r for r in report.results if r.rule == "SF-CONTACT-012"]
    assert email.sample_bad_values == [{"contact_id": "003BAD000000001AAA"}]  # no email shown


def test_a_second_org_row_or_a_bad_default_currency_fails_the_org_rules(
    loaded: tuple[str, psycopg.Connection],
) -> None:
    url, conn = loaded
    org = first_record(conn, "organization")
    insert(
        conn,
        "organization",
        "00DBAD000000001AAA",
        variant(org, "00DBAD000000001AAA", DefaultCurrencyIsoCode="euro"),
    )
    with pytest.raises(QualityGateError) as failure:
        validate_raw(url, "run-sf-org", sources=["salesforce"])
    report = failure.value.report
    assert codes(report, "critical") == {"SF-ORG-012", "SF-ORG-013"}
    (currency,) = [r for r in report.results if r.rule == "SF-ORG-013"]
    assert currency.sample_bad_values == [
        {"organization_id": "00DBAD000000001AAA", "default_currency": "euro"}
    ]
