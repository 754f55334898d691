"""The Salesforce org and its stand-in: OAuth, SOQL query/queryAll paging, errors and faults."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox import DemoSources, Faults, World, WorldConfig, build_world
from sandbox.salesforce_data import KEY_PREFIXES, RAW_TABLES, sf_id
from sandbox.salesforce_server import SalesforceServer

VERSION = "v62.0"
SF_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
Query = Callable[..., httpx.Response]


def token_form(server: SalesforceServer, **overrides: str) -> dict[str, str]:
    credentials = server.credentials
    form = {
        "grant_type": "refresh_token",
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
        "refresh_token": credentials.refresh_token,
    }
    return {**form, **overrides}


def session(server: SalesforceServer, client: httpx.Client) -> dict[str, str]:
    token = client.post(server.token_url, data=token_form(server)).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def soql(sources: DemoSources) -> Iterator[Query]:
    """``soql(query, resource="queryAll")`` runs one SOQL query with a valid session."""
    server = sources.salesforce
    assert server is not None
    with httpx.Client() as client:
        headers = session(server, client)

        def run(query: str, resource: str = "queryAll", **kwargs: Any) -> httpx.Response:
            url = f"{server.url}/services/data/{VERSION}/{resource}"
            return client.get(url, params={"q": query}, headers=kwargs.get("headers", headers))

        yield run


def follow(server: SalesforceServer, client: httpx.Client, page: dict[str, Any]) -> list[dict]:
    """Every record of a query, following ``nextRecordsUrl`` verbatim until ``done``."""
    headers = session(server, client)
    records = list(page["records"])
    while not page["done"]:
        page = client.get(server.url + page["nextRecordsUrl"], headers=headers).json()
        records += page["records"]
    return records


def test_token_endpoint_issues_a_session_on_this_instance(sources: DemoSources) -> None:
    server = sources.salesforce
    assert server is not None
    with httpx.Client() as client:
        good = client.post(server.token_url, data=token_form(server))
        bad = client.post(server.token_url, data=token_form(server, refresh_token="5Aep-revoked"))
    body = good.json()
    assert good.status_code == 200
    assert body["instance_url"] == server.url
    assert body["token_type"] == "Bearer" and body["access_token"]
    assert bad.status_code == 400
    assert bad.json() == {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    }
    assert sources.env["THINLINE_SALESFORCE__TOKEN_URL"] == server.token_url
    assert sources.env["THINLINE_SALESFORCE__REFRESH_TOKEN"] == server.credentials.refresh_token


def test_a_query_without_a_session_is_invalid_session_id(soql: Query) -> None:
    response = soql("SELECT Id FROM Lead", headers={"Authorization": "Bearer 00Dnope"})
    assert response.status_code == 401
    assert response.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_query_hides_deleted_rows_and_query_all_returns_them(world: World, soql: Query) -> None:
    opportunities = world.salesforce.of("Opportunity")
    deleted = {o.record_id for o in opportunities if o.is_deleted}
    assert deleted
    live = soql("SELECT Id, IsDeleted FROM Opportunity", "query").json()
    everything = soql("SELECT Id, IsDeleted FROM Opportunity").json()
    assert live["totalSize"] == len(opportunities) - len(deleted) and live["done"] is True
    assert everything["totalSize"] == len(opportunities)
    assert {r["Id"] for r in everything["records"] if r["IsDeleted"]} == deleted
    assert not any(r["IsDeleted"] for r in live["records"])


def test_records_are_typed_as_salesforce_writes_them(world: World, soql: Query) -> None:
    fields = "Id, Amount, IsWon, IsClosed, CloseDate, CreatedDate, SystemModstamp, StageName"
    records = soql(f"SELECT {fields} FROM Opportunity").json()["records"]
    first = records[0]
    assert list(first) == ["attributes", *fields.split(", ")]
    assert first["attributes"] == {
        "type": "Opportunity",
        "url": f"/services/data/{VERSION}/sobjects/Opportunity/{first['Id']}",
    }
    truth = {o.record_id: o for o in world.salesforce.of("Opportunity")}
    for record in records:
        assert isinstance(record["Amount"], float)
        assert Decimal(str(record["Amount"])) == truth[record["Id"]].fields["Amount"]
        assert isinstance(record["IsWon"], bool) and isinstance(record["IsClosed"], bool)
        assert date.fromisoformat(record["CloseDate"])
        assert SF_DATETIME.match(record["CreatedDate"]) and SF_DATETIME.match(
            record["SystemModstamp"]
        )
    users = soql("SELECT Id, Name, UserRole.Name FROM User").json()["records"]
    assert {u["UserRole"]["Name"] for u in users} == {"NA Sales", "EMEA Sales"}
    assert users[0]["UserRole"]["attributes"]["type"] == "UserRole"


def test_where_on_system_modstamp_and_order_by(world: World, soql: Query) -> None:
    query = (
        "SELECT Id, SystemModstamp FROM Lead WHERE SystemModstamp >= 2026-02-01T00:00:00Z "
        "AND SystemModstamp < 2026-03-01T00:00:00Z ORDER BY SystemModstamp ASC"
    )
    records = soql(query).json()["records"]
    stamps = [r["SystemModstamp"] for r in records]
    expected = {
        r.record_id
        for r in world.salesforce.of("Lead")
        if "2026-02" <= r.fields["SystemModstamp"] < "2026-03"
    }
    assert {r["Id"] for r in records} == expected and expected
    assert stamps == sorted(stamps)


def test_next_records_url_pages_to_done(world: World) -> None:
    leads = world.salesforce.of("Lead")
    with SalesforceServer(world, batch_size=25) as server, httpx.Client() as client:
        url = f"{server.url}/services/data/{VERSION}/queryAll"
        first = client.get(
            url, params={"q": "SELECT Id FROM Lead"}, headers=session(server, client)
        )
        page = first.json()
        assert page["done"] is False and len(page["records"]) == 25
        assert re.fullmatch(rf"/services/data/{VERSION}/queryAll/01g\w+-25", page["nextRecordsUrl"])
        records = follow(server, client, page)
        again = client.get(server.url + page["nextRecordsUrl"], headers=session(server, client))
        stale = client.get(
            f"{server.url}/services/data/{VERSION}/queryAll/01g5g00000999999AAA-25",
            headers=session(server, client),
        )
    assert [r["Id"] for r in records] == [r.record_id for r in leads]
    assert again.status_code == 200  # a page can be read again (a retry after a bad body)
    assert stale.status_code == 400 and stale.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("SELEC Id FROM Lead", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead WHERE SystemModstamp >= yesterday-ish", "MALFORMED_QUERY"),
        ("SELECT Id FROM Lead WHERE IsDeleted = true OR IsConverted = true", "MALFORMED_QUERY"),
        ("SELECT Id, Bogus__c FROM Lead", "INVALID_FIELD"),
        ("SELECT Id FROM User WHERE IsDeleted = false", "INVALID_FIELD"),  # users are never deleted
        ("SELECT Id FROM Lead WHERE SystemModstamp >= '2026-01-01T00:00:00Z'", "INVALID_FIELD"),
        ("SELECT Id FROM Widget", "INVALID_TYPE"),
    ],
)
def test_bad_soql_is_a_400_error_array(soql: Query, query: str, code: str) -> None:
    response = soql(query)
    assert response.status_code == 400
    (error,) = response.json()
    assert error["errorCode"] == code and error["message"]


@pytest.mark.parametrize(
    ("faults", "status", "code", "message"),
    [
        (Faults(daily_quota_exhausted=True), 403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests"),
        (Faults(rate_limit=1), 403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentRequests"),
        (Faults(server_errors=1), 500, "UNKNOWN_EXCEPTION", "unexpected error"),
        (Faults(expired_tokens=1), 401, "INVALID_SESSION_ID", "Session expired"),
    ],
)
def test_faults_answer_in_salesforce_error_arrays(
    world: World, faults: Faults, status: int, code: str, message: str
) -> None:
    with SalesforceServer(world, faults=faults) as server, httpx.Client() as client:
        headers = session(server, client)  # the token endpoint takes no faults
        url = f"{server.url}/services/data/{VERSION}/queryAll"
        response = client.get(url, params={"q": "SELECT Id FROM Campaign"}, headers=headers)
        retried = client.get(url, params={"q": "SELECT Id FROM Campaign"}, headers=headers)
    (error,) = response.json()
    assert response.status_code == status
    assert error["errorCode"] == code and message in error["message"]
    if faults.expired_tokens:  # the session stays revoked until refreshed
        assert retried.status_code == 401
    elif not faults.daily_quota_exhausted:
        assert retried.status_code == 200


def test_ids_are_18_characters_with_the_case_safe_checksum(world: World) -> None:
    assert sf_id("Opportunity", 1) == "0065g0000000001AAA"
    assert sf_id("Lead", 7_001)[-3:] == "EAA"  # the 'Q' of 00Q sets bit 2 of the first chunk
    for sobject, records in world.salesforce.objects.items():
        for record in records:
            assert len(record.record_id) == 18
            assert record.record_id.startswith(KEY_PREFIXES[sobject])


def test_the_org_mirrors_hubspot_people_and_keeps_its_own(world: World) -> None:
    salesforce, hubspot = world.salesforce, world.hubspot
    users = {u.fields["Email"]: u for u in salesforce.of("User")}
    assert set(users) == {o.email for o in hubspot.owners}
    for owner in hubspot.owners:
        user = users[owner.email]
        assert user.fields["Name"] == f"{owner.first_name} {owner.last_name}"
        assert user.fields["IsActive"] is (owner.archived_ms is None)
        assert user.fields["UserRole"]["Name"] == owner.team_name
    hubspot_emails = {c.properties["email"] for c in hubspot.contacts}
    emails = [c.fields["Email"] for c in salesforce.of("Contact")]
    shared = [email for email in emails if email in hubspot_emails]
    assert 5 <= len(shared) < len(emails)  # duplicates across CRMs, and Salesforce-only people
    accounts = {a.fields["Name"] for a in salesforce.of("Account")}
    assert accounts & {c.properties["name"] for c in hubspot.companies}


def test_conversions_histories_and_counts_agree(world: World) -> None:
    org = world.salesforce
    ids = {sobject: {r.record_id for r in records} for sobject, records in org.objects.items()}
    converted = [lead for lead in org.of("Lead") if lead.fields["IsConverted"]]
    assert converted and any(lead.fields["ConvertedOpportunityId"] for lead in converted)
    for lead in converted:
        assert lead.fields["ConvertedContactId"] in ids["Contact"]
        assert lead.fields["ConvertedAccountId"] in ids["Account"]
        assert lead.fields["ConvertedOpportunityId"] in ids["Opportunity"] | {None}
        assert date.fromisoformat(lead.fields["ConvertedDate"])
    history: dict[str, list[Any]] = {}
    for row in org.of("OpportunityHistory"):
        history.setdefault(row.fields["OpportunityId"], []).append(row)
    for opportunity in org.of("Opportunity"):
        last = max(history[opportunity.record_id], key=lambda row: row.created_ms)
        assert last.fields["StageName"] == opportunity.fields["StageName"]
        assert last.fields["Amount"] == opportunity.fields["Amount"]
        assert last.is_deleted == opportunity.is_deleted
        assert opportunity.fields["IsWon"] <= opportunity.fields["IsClosed"]
        assert opportunity.fields["SystemModstamp"] >= opportunity.fields["CreatedDate"]
    assert {o.fields["CurrencyIsoCode"] for o in org.of("Opportunity")} == {"USD", "EUR"}
    assert {o.fields["StageName"] for o in org.of("Opportunity")} >= {"Closed Won", "Closed Lost"}
    assert any(m.fields["ContactId"] and m.fields["LeadId"] for m in org.of("CampaignMember"))
    counts = world.truth()["counts"]["salesforce"]
    assert set(counts) == set(RAW_TABLES.values())
    assert counts["opportunities"]["archived"] == sum(o.is_deleted for o in org.of("Opportunity"))


def test_a_later_end_only_adds_records_and_later_changes(world: World) -> None:
    earlier = build_world(WorldConfig(seed=7, scale=1.0, end=date(2026, 2, 28)))
    cutoff = earlier.config.as_of_ms
    for sobject, records in earlier.salesforce.objects.items():
        later = {r.record_id: r for r in world.salesforce.of(sobject)}
        for record in records:
            assert record.record_id in later, (sobject, record.record_id)
            if later[record.record_id].modstamp_ms < cutoff:  # nothing changed since
                assert later[record.record_id] == record


# --- The org's settings and schema, and the API lifecycle (issue 13).


def rest(
    server: SalesforceServer, client: httpx.Client, path: str, **params: str
) -> httpx.Response:
    return client.get(f"{server.url}{path}", params=params, headers=session(server, client))


def test_describe_lists_fields_in_salesforces_shape(world: World) -> None:
    with SalesforceServer(world) as server, httpx.Client() as client:
        body = rest(server, client, f"/services/data/{VERSION}/sobjects/Account/describe").json()
        missing = rest(server, client, f"/services/data/{VERSION}/sobjects/Widget__c/describe")
    assert body["name"] == "Account" and body["keyPrefix"] == "001" and body["queryable"]
    fields = {field["name"]: field for field in body["fields"]}
    assert fields["Id"]["type"] == "id" and fields["Id"]["idLookup"]
    assert (fields["OwnerId"]["type"], fields["OwnerId"]["referenceTo"]) == ("reference", ["User"])
    assert fields["OwnerId"]["relationshipName"] == "Owner"
    assert fields["CurrencyIsoCode"]["type"] == "picklist"
    assert {v["value"] for v in fields["CurrencyIsoCode"]["picklistValues"]} == {"USD", "EUR"}
    assert fields["Tier__c"]["custom"] is True and fields["Tier__c"]["type"] == "picklist"
    assert not fields["Name"]["custom"] and not fields["Name"]["calculated"]
    assert fields["BillingAddress"]["type"] == "address"  # compound, with its component:
    assert fields["BillingCountry"]["compoundFieldName"] == "BillingAddress"
    assert missing.status_code == 404
    assert missing.json() == [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ]


def test_custom_fields_come_from_their_own_generator(world: World) -> None:
    accounts = world.salesforce.of("Account")
    assert {a.fields["Tier__c"] for a in accounts} >= {"Strategic", "SMB", None}
    regions = {o.fields["Region__c"] for o in world.salesforce.of("Opportunity")}
    assert regions == {"North America", "EMEA"}
    scores = [lead.fields["Lead_Score__c"] for lead in world.salesforce.of("Lead")]
    assert None in scores and all(s is None or 0 <= s < 100 for s in scores)
    again = build_world(
        WorldConfig(seed=7, scale=1.0, start=date(2026, 1, 1), end=date(2026, 3, 31))
    )
    assert again.salesforce == world.salesforce  # seeded: the same org every time


def test_a_single_currency_org_has_no_currency_iso_code(world: World) -> None:
    soql = "SELECT Id, Amount, CurrencyIsoCode FROM Opportunity"
    with SalesforceServer(world, single_currency="EUR") as server, httpx.Client() as client:
        described = rest(server, client, f"/services/data/{VERSION}/sobjects/Opportunity/describe")
        response = rest(server, client, f"/services/data/{VERSION}/query", q=soql)
        organization = rest(
            server,
            client,
            f"/services/data/{VERSION}/query",
            q="SELECT Id, DefaultCurrencyIsoCode FROM Organization",
        )
    assert "CurrencyIsoCode" not in {field["name"] for field in described.json()["fields"]}
    assert response.status_code == 400
    (error,) = response.json()
    assert error["errorCode"] == "INVALID_FIELD"
    assert error["message"].endswith(
        "ERROR at Row:1:Column:20\nNo such column 'CurrencyIsoCode' on entity 'Opportunity'. If "
        "you are attempting to use a custom field, be sure to append the '__c' after the custom "
        "field name. Please reference your WSDL or the describe call for the appropriate names."
    )
    (org,) = organization.json()["records"]
    assert org["DefaultCurrencyIsoCode"] == "EUR" and org["Id"].startswith("00D")


def test_a_multi_currency_orgs_organization_has_no_default_currency(soql: Query) -> None:
    response = soql("SELECT Id, DefaultCurrencyIsoCode FROM Organization", "query")
    assert response.status_code == 400 and response.json()[0]["errorCode"] == "INVALID_FIELD"
    (org,) = soql("SELECT Id, Name FROM Organization", "query").json()["records"]
    assert org["attributes"]["type"] == "Organization"


def test_field_level_security_hides_a_field_from_describe_and_soql(world: World) -> None:
    hidden = frozenset({("Opportunity", "Amount")})
    with SalesforceServer(world, hidden_fields=hidden) as server, httpx.Client() as client:
        described = rest(server, client, f"/services/data/{VERSION}/sobjects/Opportunity/describe")
        response = rest(
            server, client, f"/services/data/{VERSION}/query", q="SELECT Amount FROM Opportunity"
        )
    assert "Amount" not in {field["name"] for field in described.json()["fields"]}
    assert response.json()[0]["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Amount' on entity 'Opportunity'" in response.json()[0]["message"]


def test_versions_are_served_from_release_to_retirement(world: World) -> None:
    def status(server: SalesforceServer, client: httpx.Client, version: str) -> tuple[int, str]:
        response = rest(server, client, f"/services/data/{version}/limits")
        body = response.json()
        return response.status_code, body[0]["errorCode"] if isinstance(body, list) else "ok"

    with (
        SalesforceServer(world, api_today=date(2026, 12, 5)) as server,
        httpx.Client() as client,
    ):
        listed = client.get(f"{server.url}/services/data/").json()  # no session needed
        today = {v: status(server, client, v) for v in ("v30.0", "v31.0", "v68.0", "v69.0")}
    assert listed[0] == {"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"}
    assert listed[-1] == {"label": "Winter '27", "url": "/services/data/v68.0", "version": "68.0"}
    assert today == {
        "v30.0": (410, "GONE"),
        "v31.0": (200, "ok"),
        "v68.0": (200, "ok"),
        "v69.0": (404, "NOT_FOUND"),
    }
    with (
        SalesforceServer(world, api_today=date(2024, 10, 1)) as before,
        httpx.Client() as client,
    ):
        assert client.get(f"{before.url}/services/data/").json()[-1]["version"] == "61.0"
        assert rest(before, client, "/services/data/v62.0/limits").status_code == 404
        assert rest(before, client, "/services/data/v30.0/limits").status_code == 200
    with SalesforceServer(world, api_today=date(2028, 7, 1)) as later, httpx.Client() as client:
        assert client.get(f"{later.url}/services/data/").json()[0]["version"] == "41.0"
        assert rest(later, client, "/services/data/v40.0/limits").status_code == 410


def test_limits_count_the_orgs_daily_requests(world: World) -> None:
    with (
        SalesforceServer(world, api_requests_used=1_000) as server,
        httpx.Client() as client,
    ):
        first = rest(server, client, f"/services/data/{VERSION}/limits")
        second = rest(server, client, f"/services/data/{VERSION}/limits")
    assert first.json()["DailyApiRequests"] == {"Max": 15_000, "Remaining": 13_999}
    assert second.json()["DailyApiRequests"]["Remaining"] == 13_998
    assert second.headers["Sforce-Limit-Info"] == "api-usage=1002/15000"


def test_the_client_credentials_grant_needs_no_refresh_token(world: World) -> None:
    with SalesforceServer(world) as server, httpx.Client() as client:
        credentials = server.credentials
        form = {
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        }
        good = client.post(server.token_url, data=form)
        bad = client.post(server.token_url, data=form | {"client_secret": "wrong"})
        url = server.url
    assert good.status_code == 200 and good.json()["instance_url"] == url
    assert good.json()["scope"] == "api" and "refresh_token" not in good.json()
    assert bad.status_code == 400
    assert bad.json() == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }


def test_a_request_uri_over_16384_bytes_is_414(soql: Query) -> None:
    fields = ", ".join(["Id"] * 4_000)
    assert soql(f"SELECT {fields} FROM Lead").status_code == 414
