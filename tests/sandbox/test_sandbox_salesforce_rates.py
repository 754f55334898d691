"""The stand-in's exchange rate objects: CurrencyType and DatedConversionRate over SOQL."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest

from sandbox import World, WorldConfig, build_world
from sandbox.ecb_rates import published
from sandbox.salesforce_server import SalesforceServer

VERSION = "v62.0"
TYPES = "SELECT Id, IsoCode, ConversionRate, DecimalPlaces, IsActive, IsCorporate FROM CurrencyType"
DATED = (
    "SELECT Id, IsoCode, ConversionRate, StartDate, NextStartDate, SystemModstamp "
    "FROM DatedConversionRate"
)


def call(server: SalesforceServer, path: str, **params: str) -> httpx.Response:
    credentials = server.credentials
    form = {
        "grant_type": "refresh_token",
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
        "refresh_token": credentials.refresh_token,
    }
    with httpx.Client() as client:
        token = client.post(server.token_url, data=form).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        return client.get(
            f"{server.url}/services/data/{VERSION}{path}", params=params, headers=headers
        )


def records(server: SalesforceServer, soql: str) -> list[dict[str, Any]]:
    response = call(server, "/queryAll", q=soql)
    assert response.status_code == 200, response.text
    return response.json()["records"]


def test_currency_types_are_the_orgs_currencies_per_corporate_usd(world: World) -> None:
    with SalesforceServer(world) as server:
        rows = records(server, TYPES)
    used = {o.fields["CurrencyIsoCode"] for o in world.salesforce.of("Opportunity")}
    assert {row["IsoCode"] for row in rows} == used | {"USD"}
    (corporate,) = [row for row in rows if row["IsCorporate"]]
    assert (corporate["IsoCode"], corporate["ConversionRate"]) == ("USD", 1.0)
    assert all(row["IsActive"] is True and row["DecimalPlaces"] == 2 for row in rows)
    assert all(row["attributes"]["type"] == "CurrencyType" for row in rows)
    truth = {
        c["iso_code"]: c["conversion_rate"]
        for c in world.truth()["salesforce_rates"]["currency_types"]
    }
    assert {row["IsoCode"]: Decimal(str(row["ConversionRate"])) for row in rows} == {
        code: Decimal(rate) for code, rate in truth.items()
    }


def test_dated_rates_are_monthly_ecb_rates_per_usd_with_salesforces_bounds(world: World) -> None:
    with SalesforceServer(world) as server:
        rows = records(server, DATED + " WHERE IsoCode = 'EUR' ORDER BY StartDate ASC")
        usd = records(server, DATED + " WHERE IsoCode = 'USD'")
    starts = [row["StartDate"] for row in rows]
    # Set up in December (the month before the world's first), then one range a month to March.
    assert starts == ["0001-01-01", "2026-01-01", "2026-02-01", "2026-03-01"]
    assert [row["NextStartDate"] for row in rows] == [*starts[1:], "9999-12-31"]
    february = published(date(2026, 2, 1), date(2026, 2, 28), ["USD"])[0]  # its first ECB day
    expected = (Decimal(1) / Decimal(february.value)).quantize(Decimal("0.000001"), ROUND_HALF_UP)
    assert Decimal(str(rows[2]["ConversionRate"])) == expected  # EUR per USD, 6 decimals
    assert rows[2]["SystemModstamp"].startswith("2026-03-02T17:00:00")  # March's range moved it
    assert rows[-1]["SystemModstamp"].startswith("2026-03-02T17:00:00")
    assert [(r["StartDate"], r["NextStartDate"], r["ConversionRate"]) for r in usd] == [
        ("0001-01-01", "9999-12-31", 1.0)
    ]
    currency_types = {
        c["iso_code"]: c["conversion_rate"]
        for c in world.truth()["salesforce_rates"]["currency_types"]
    }
    assert Decimal(str(rows[-1]["ConversionRate"])) == Decimal(currency_types["EUR"])


def test_a_later_end_adds_a_month_and_only_moves_the_last_range() -> None:
    earlier = build_world(WorldConfig(seed=7, scale=1.0, end=date(2026, 2, 28)))
    later = build_world(WorldConfig(seed=7, scale=1.0, end=date(2026, 3, 31)))
    before = {r.record_id: r for r in earlier.salesforce.of("DatedConversionRate")}
    after = {r.record_id: r for r in later.salesforce.of("DatedConversionRate")}
    assert set(before) < set(after) and len(after) - len(before) == 1
    changed = [i for i in before if before[i] != after[i]]
    assert [before[i].fields["NextStartDate"] for i in changed] == ["9999-12-31"]
    assert [after[i].fields["NextStartDate"] for i in changed] == ["2026-03-01"]


@pytest.mark.parametrize("sobject", ["CurrencyType", "DatedConversionRate"])
def test_a_single_currency_org_has_neither_object(world: World, sobject: str) -> None:
    with SalesforceServer(world, single_currency="EUR") as server:
        query = call(server, "/query", q=f"SELECT Id FROM {sobject}")
        describe = call(server, f"/sobjects/{sobject}/describe")
        listed = call(server, "/sobjects/").json()
    assert query.status_code == 400
    assert query.json() == [
        {"message": f"sObject type '{sobject}' is not supported.", "errorCode": "INVALID_TYPE"}
    ]
    assert describe.status_code == 404 and describe.json()[0]["errorCode"] == "NOT_FOUND"
    assert sobject not in {item["name"] for item in listed["sobjects"]}


def test_without_advanced_currency_management_only_currency_type_exists(world: World) -> None:
    with SalesforceServer(world, advanced_currency_management=False) as server:
        types = records(server, TYPES)
        dated = call(server, "/query", q=DATED)
        listed = {item["name"] for item in call(server, "/sobjects/").json()["sobjects"]}
    assert {row["IsoCode"] for row in types} == {"USD", "EUR"}
    assert dated.status_code == 400 and dated.json()[0]["errorCode"] == "INVALID_TYPE"
    assert "CurrencyType" in listed and "DatedConversionRate" not in listed


def test_describe_types_the_rate_fields(world: World) -> None:
    with SalesforceServer(world) as server:
        body = call(server, "/sobjects/DatedConversionRate/describe").json()
        listed = call(server, "/sobjects/").json()
    fields = {field["name"]: field for field in body["fields"]}
    assert body["keyPrefix"] == "04w" and body["createable"] is False
    assert (fields["ConversionRate"]["type"], fields["ConversionRate"]["scale"]) == ("double", 6)
    assert fields["StartDate"]["type"] == fields["NextStartDate"]["type"] == "date"
    assert fields["IsoCode"]["type"] == "picklist" and "IsDeleted" not in fields
    assert {"CurrencyType", "DatedConversionRate", "Opportunity"} <= {
        item["name"] for item in listed["sobjects"]
    }
