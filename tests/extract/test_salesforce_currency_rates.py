"""The org's own exchange rates (CurrencyType, DatedConversionRate) against the stand-in."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from extract.base import LoadMode, RawRow, Stream, Window
from extract.loader import ensure_ops, load_stream
from extract.salesforce import SalesforceSettings, build_connector
from sandbox import World
from sandbox.salesforce_server import SalesforceServer

EVERYTHING = Window(datetime(2020, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
RATES = ("currency_types", "dated_conversion_rates")


def rate_streams(server: SalesforceServer, make_settings: Any, sleeps: Any) -> dict[str, Stream]:
    settings = make_settings(SalesforceSettings, server.env())
    every = build_connector(settings, sleep=sleeps).streams()
    return {stream.entity: stream for stream in every if stream.entity in RATES}


def read(stream: Stream) -> list[RawRow]:
    return list(stream.fetch(EVERYTHING))


def rate_queries(server: SalesforceServer) -> list[str]:
    queries = [r.query.get("q", [""])[0] for r in server.requests if "/query" in r.path]
    return [q for q in queries if "CurrencyType" in q or "DatedConversionRate" in q]


def info_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "nothing to read" in r.getMessage()]


@pytest.fixture
def server(world: World) -> Iterator[SalesforceServer]:
    with SalesforceServer(world) as running:
        yield running


def test_rates_land_exactly_as_the_org_keeps_them(
    server: SalesforceServer, truth: dict[str, Any], make_settings: Any, sleeps: Any
) -> None:
    streams = rate_streams(server, make_settings, sleeps)
    assert {name: s.load_mode for name, s in streams.items()} == dict.fromkeys(
        RATES, LoadMode.SNAPSHOT
    )
    assert streams["currency_types"].key_columns == {"currency_type_id": "text"}
    assert streams["dated_conversion_rates"].key_columns == {"dated_conversion_rate_id": "text"}
    expected = truth["salesforce_rates"]

    types = {row.keys[0]: row for row in read(streams["currency_types"])}
    assert sorted(types) == [c["currency_type_id"] for c in expected["currency_types"]]
    for currency in expected["currency_types"]:
        row = types[currency["currency_type_id"]]
        record = row.record
        assert record["IsoCode"] == currency["iso_code"]
        assert Decimal(str(record["ConversionRate"])) == Decimal(currency["conversion_rate"])
        assert record["DecimalPlaces"] == currency["decimal_places"]
        assert (record["IsActive"], record["IsCorporate"]) == (True, currency["is_corporate"])
        assert "IsDeleted" not in record and row.is_deleted is False
    assert expected["corporate_currency"] == "USD"
    assert {c["iso_code"] for c in expected["currency_types"]} == {"USD", "EUR"}

    dated = {row.keys[0]: row.record for row in read(streams["dated_conversion_rates"])}
    assert sorted(dated) == [
        r["dated_conversion_rate_id"] for r in expected["dated_conversion_rates"]
    ]
    for rate in expected["dated_conversion_rates"]:
        record = dated[rate["dated_conversion_rate_id"]]
        assert Decimal(str(record["ConversionRate"])) == Decimal(rate["conversion_rate"])
        assert (record["IsoCode"], record["StartDate"], record["NextStartDate"]) == (
            rate["iso_code"],
            rate["start_date"],
            rate["next_start_date"],
        )
    euro = sorted(
        (r for r in dated.values() if r["IsoCode"] == "EUR"), key=lambda r: r["StartDate"]
    )
    assert euro[0]["StartDate"] == "0001-01-01" and euro[-1]["NextStartDate"] == "9999-12-31"
    assert all(a["NextStartDate"] == b["StartDate"] for a, b in itertools.pairwise(euro))
    assert rate_queries(server) == [  # one whole-object query each, no window
        "SELECT Id, IsoCode, ConversionRate, DecimalPlaces, IsActive, IsCorporate, CreatedDate, "
        "LastModifiedDate, SystemModstamp FROM CurrencyType",
        "SELECT Id, IsoCode, ConversionRate, StartDate, NextStartDate, CreatedDate, "
        "LastModifiedDate, SystemModstamp FROM DatedConversionRate",
    ]
    assert sleeps == []


def test_the_raw_tables_hold_the_id_key_and_the_record(
    server: SalesforceServer,
    truth: dict[str, Any],
    make_settings: Any,
    sleeps: Any,
    fresh_database: str,
) -> None:
    streams = rate_streams(server, make_settings, sleeps)
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        ensure_ops(conn)
        for entity, stream in streams.items():
            load_stream(conn, "salesforce", stream, EVERYTHING, f"rates-{entity}")
        types = conn.execute(
            "select currency_type_id, record ->> 'IsoCode', "
            "(record ->> 'ConversionRate')::numeric, is_deleted "
            "from raw_salesforce.currency_types order by 1"
        ).fetchall()
        ranges = conn.execute(
            "select count(*) from raw_salesforce.dated_conversion_rates where not is_deleted"
        ).fetchone()
    assert types == [
        (c["currency_type_id"], c["iso_code"], Decimal(c["conversion_rate"]), False)
        for c in truth["salesforce_rates"]["currency_types"]
    ]
    assert ranges == (len(truth["salesforce_rates"]["dated_conversion_rates"]),)


def test_a_single_currency_org_yields_no_rates_and_one_info_line_each(
    world: World, make_settings: Any, sleeps: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with SalesforceServer(world, single_currency="EUR") as org:
        streams = rate_streams(org, make_settings, sleeps)
        with caplog.at_level(logging.INFO):
            rows = {name: read(stream) for name, stream in streams.items()}
        assert rate_queries(org) == []  # never asked: the objects are not in Describe Global
    assert rows == {"currency_types": [], "dated_conversion_rates": []}
    assert info_lines(caplog) == [
        "salesforce: the org has no CurrencyType (it needs multiple currencies); nothing to read",
        "salesforce: the org has no DatedConversionRate (it needs multiple currencies and "
        "advanced currency management); nothing to read",
    ]
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_without_advanced_currency_management_only_static_rates_land(
    world: World,
    truth: dict[str, Any],
    make_settings: Any,
    sleeps: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """DatedConversionRate "is not available if the org does not have ACM enabled"."""
    with SalesforceServer(world, advanced_currency_management=False) as org:
        streams = rate_streams(org, make_settings, sleeps)
        with caplog.at_level(logging.INFO):
            types = read(streams["currency_types"])
            dated = read(streams["dated_conversion_rates"])
    assert [row.keys[0] for row in types] == [
        c["currency_type_id"] for c in truth["salesforce_rates"]["currency_types"]
    ]
    assert dated == []
    assert len(info_lines(caplog)) == 1 and "DatedConversionRate" in info_lines(caplog)[0]
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
