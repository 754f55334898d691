"""The Salesforce connector against the sandbox's Salesforce stand-in (OAuth + SOQL queryAll)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urlencode

import psycopg
import pytest

from extract.api_versions import default_version
from extract.base import ConfigError, LoadMode, RawRow, Skipped, SourceError, Stream, Window
from extract.loader import ensure_ops, load_stream
from extract.preflight import Check, Level
from extract.salesforce import SalesforceSettings, build_connector
from extract.salesforce.fields import select
from extract.salesforce.streams import OBJECTS
from sandbox import Faults, World, serve
from sandbox.faults import Fault
from sandbox.http import Request, Response
from sandbox.salesforce_data import RATE_TABLES, RAW_TABLES
from sandbox.salesforce_server import NEXT_PAGE, SalesforceServer
from thinline.doctor import source_checks

# Users and campaigns predate the world's first day: read from well before it.
EVERYTHING = Window(datetime(2020, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


def streams(settings: SalesforceSettings, sleep: Any) -> dict[str, Stream]:
    return {stream.entity: stream for stream in build_connector(settings, sleep=sleep).streams()}


def read(stream: Stream, window: Window = EVERYTHING) -> list[RawRow]:
    rows = list(stream.fetch(window))
    keys = [row.keys for row in rows]
    assert len(keys) == len(set(keys)), f"{stream.entity}: duplicate keys"
    return rows


VERSION = default_version("salesforce")


def query_calls(server: SalesforceServer) -> list[Any]:
    """SOQL requests (a first page or a following one), not describes."""
    return [r for r in server.requests if "/query" in r.path]


def api_calls(server: SalesforceServer) -> list[Any]:
    return [r for r in server.requests if r.path.startswith("/services/data/v")]


def token_calls(server: SalesforceServer) -> int:
    return sum(r.path == "/services/oauth2/token" for r in server.requests)


@pytest.fixture
def server(world: World) -> Iterator[SalesforceServer]:
    with SalesforceServer(world) as running:
        yield running


def settings_for(make_settings: Any, server: SalesforceServer, **overrides: Any) -> Any:
    return make_settings(SalesforceSettings, server.env(), **overrides)


def test_every_object_reads_to_the_end_and_matches_truth(
    world: World, truth: dict[str, Any], make_settings: Any, sleeps: list[float]
) -> None:
    with serve(world) as sources:
        settings = make_settings(SalesforceSettings, sources.env)
        rows = {name: read(stream) for name, stream in streams(settings, sleeps).items()}
        server = sources.salesforce
        assert server is not None
        tokens = token_calls(server)

    assert set(rows) == {*RAW_TABLES.values(), *RATE_TABLES.values(), "organization"}
    for entity, expected in truth["counts"]["salesforce"].items():
        deleted = sum(row.is_deleted for row in rows[entity])
        assert (len(rows[entity]) - deleted, deleted) == (expected["active"], expected["archived"])
    opportunities = {row.keys[0]: row for row in rows["opportunities"]}
    assert len(opportunities) == len(truth["salesforce_opportunities"])
    for expected in truth["salesforce_opportunities"]:
        row = opportunities[expected["opportunity_id"]]
        assert Decimal(str(row.record["Amount"])) == Decimal(expected["amount"])  # exact
        assert row.record["CurrencyIsoCode"] == expected["currency"]
        assert row.record["StageName"] == expected["stage"]
        assert row.is_deleted is expected["is_deleted"] is row.record["IsDeleted"]
    assert any(row.is_deleted for row in opportunities.values())
    assert all(len(row.keys[0]) == 18 for entity_rows in rows.values() for row in entity_rows)
    assert rows["opportunities"][0].record["attributes"]["type"] == "Opportunity"  # as returned
    assert tokens == 1  # one session serves every stream
    assert sleeps == []


def test_a_window_reads_only_records_stamped_inside_it(
    world: World, server: SalesforceServer, make_settings: Any, sleeps: list[float]
) -> None:
    february = Window(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    rows = read(streams(settings_for(make_settings, server), sleeps)["leads"], february)
    expected = {
        lead.record_id
        for lead in world.salesforce.of("Lead")
        if "2026-02-01" <= lead.fields["SystemModstamp"] < "2026-03-01"
    }
    assert {row.keys[0] for row in rows} == expected and expected
    (call,) = query_calls(server)
    assert call.path == f"/services/data/{VERSION}/queryAll"
    assert call.query["q"] == [
        "SELECT Id, FirstName, LastName, Email, Company, Country, Status, LeadSource, OwnerId, "
        "IsConverted, ConvertedDate, ConvertedAccountId, ConvertedContactId, "
        "ConvertedOpportunityId, CreatedDate, LastModifiedDate, SystemModstamp, IsDeleted, "
        "Lead_Score__c FROM Lead WHERE SystemModstamp >= 2026-02-01T00:00:00Z "
        "AND SystemModstamp < 2026-03-01T00:00:00Z ORDER BY SystemModstamp ASC"
    ]


def test_users_and_campaigns_are_read_whole_whatever_the_window(
    world: World, server: SalesforceServer, make_settings: Any, sleeps: list[float]
) -> None:
    """Deals point at users and campaigns last changed long before any history start."""
    late = Window(datetime(2026, 3, 30, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    every = streams(settings_for(make_settings, server), sleeps)
    for entity, sobject in (("users", "User"), ("campaigns", "Campaign")):
        assert every[entity].load_mode is LoadMode.SNAPSHOT
        expected = {record.record_id for record in world.salesforce.of(sobject)}
        assert {row.keys[0] for row in read(every[entity], late)} == expected and expected
    assert every["leads"].load_mode is LoadMode.MERGE


def test_next_records_url_is_followed_with_small_batches(
    world: World, truth: dict[str, Any], make_settings: Any, sleeps: list[float]
) -> None:
    with SalesforceServer(world, batch_size=7) as small:
        rows = read(streams(settings_for(make_settings, small), sleeps)["opportunity_histories"])
        calls = query_calls(small)
    expected = truth["counts"]["salesforce"]["opportunity_histories"]
    assert len(rows) == expected["active"] + expected["archived"]
    assert len(calls) == -(-len(rows) // 7)  # one query, then one call per further page
    assert all(NEXT_PAGE.fullmatch(call.path) for call in calls[1:])


def test_a_window_over_the_buffer_cap_is_split_not_truncated(
    world: World, server: SalesforceServer, make_settings: Any, sleeps: list[float]
) -> None:
    settings = settings_for(make_settings, server, max_window_records=20)
    rows = read(streams(settings, sleeps)["leads"])
    assert {row.keys[0] for row in rows} == {lead.record_id for lead in world.salesforce.of("Lead")}
    assert len(query_calls(server)) > 8  # halves until every part holds at most 20 records


def test_a_record_changed_while_paging_is_kept_once_in_its_latest_version(
    world: World, make_settings: Any, sleeps: list[float]
) -> None:
    class Moving(SalesforceServer):
        """The last page repeats the first record with a later SystemModstamp."""

        first: ClassVar[dict[str, Any]] = {}

        def route(self, request: Request) -> Response:
            response = super().route(request)
            if NEXT_PAGE.fullmatch(request.path) and b'"done": true' in response.content():
                body = json.loads(response.content())
                first = dict(self.first)
                first["SystemModstamp"] = "2026-03-31T23:00:00.000+0000"
                body["records"].append(first)
                return Response(200, json.dumps(body).encode())
            if not NEXT_PAGE.fullmatch(request.path) and b'"records"' in response.content():
                self.first = json.loads(response.content())["records"][0]
            return response

    with Moving(world, batch_size=10) as moving:
        rows = read(streams(settings_for(make_settings, moving), sleeps)["campaign_members"])
    assert len(rows) == len(world.salesforce.of("CampaignMember"))
    changed = [row for row in rows if row.record["SystemModstamp"].startswith("2026-03-31T23")]
    assert len(changed) == 1


def test_expired_session_is_refreshed_once(
    world: World, make_settings: Any, sleeps: list[float]
) -> None:
    with SalesforceServer(world, faults=Faults(expired_tokens=1)) as expiring:
        rows = read(streams(settings_for(make_settings, expiring), sleeps)["campaigns"])
        tokens, calls = token_calls(expiring), len(api_calls(expiring))
    assert len(rows) == len(world.salesforce.of("Campaign"))
    assert (tokens, calls) == (2, 3)  # describe (401), one refresh, describe again, the query
    assert sleeps == []


def test_a_session_rejected_after_refresh_names_the_refresh_token(
    world: World, make_settings: Any, sleeps: list[float]
) -> None:
    with SalesforceServer(world, faults=Faults(expired_tokens=5)) as expiring:
        env = expiring.env()
        settings = make_settings(SalesforceSettings, env)
        with pytest.raises(SourceError) as caught:
            read(streams(settings, sleeps)["campaigns"])
        tokens, calls = token_calls(expiring), len(api_calls(expiring))
    message = str(caught.value)
    assert (tokens, calls) == (2, 2)
    assert message == (
        "salesforce: 401 INVALID_SESSION_ID: Session expired or invalid from GET "
        f"/services/data/{VERSION}/sobjects/Campaign/describe — check "
        "THINLINE_SALESFORCE__REFRESH_TOKEN"
    )
    secrets = [v for k, v in env.items() if k.endswith(("SECRET", "TOKEN"))]
    assert not any(secret in message for secret in secrets)


def test_a_bad_refresh_token_fails_on_the_token_endpoint(
    server: SalesforceServer, make_settings: Any, sleeps: list[float]
) -> None:
    settings = settings_for(make_settings, server, refresh_token="5Aep-revoked-token")
    with pytest.raises(SourceError) as caught:
        read(streams(settings, sleeps)["users"])
    message = str(caught.value)
    assert message.startswith(
        "salesforce: 400 invalid_grant: expired access/refresh token from POST "
        "/services/oauth2/token — check THINLINE_SALESFORCE__REFRESH_TOKEN"
    )
    assert "\n" not in message and "5Aep-revoked-token" not in message
    assert query_calls(server) == []


def test_the_daily_request_limit_stops_after_one_request(
    world: World, make_settings: Any, sleeps: list[float]
) -> None:
    with SalesforceServer(world, faults=Faults(daily_quota_exhausted=True)) as spent:
        with pytest.raises(SourceError) as caught:
            read(streams(settings_for(make_settings, spent), sleeps)["opportunities"])
        calls = len(api_calls(spent))
    assert calls == 1
    assert sleeps == []
    assert str(caught.value) == (
        "salesforce: 403 REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded. from GET "
        f"/services/data/{VERSION}/sobjects/Opportunity/describe — the org's daily API request "
        "limit is spent; rerun once its rolling 24-hour usage frees up"
    )


def test_the_concurrent_request_limit_is_retried_with_backoff(
    world: World, make_settings: Any, sleeps: list[float]
) -> None:
    with SalesforceServer(world, faults=Faults(rate_limit=2)) as busy:
        settings = settings_for(make_settings, busy, backoff_seconds=0.5)
        assert len(read(streams(settings, sleeps)["campaigns"])) == 6
        fired = busy.faults_fired()
    assert fired == Counter({Fault.RATE_LIMIT: 2})
    assert sleeps == [0.5, 1.0]


def test_server_errors_are_retried_a_bounded_number_of_times(
    world: World, make_settings: Any, sleeps: list[float]
) -> None:
    with SalesforceServer(world, faults=Faults(server_errors=2)) as flaky:
        assert len(read(streams(settings_for(make_settings, flaky), sleeps)["users"])) == 8
    assert sleeps == [1.0, 2.0]

    sleeps.clear()
    with SalesforceServer(world, faults=Faults(server_errors=50)) as down:
        settings = settings_for(make_settings, down, max_retries=2)
        with pytest.raises(SourceError, match="gave up after 3 tries") as caught:
            read(streams(settings, sleeps)["users"])
        calls = len(api_calls(down))
    assert re.match(
        r"salesforce: 50[03] (UNKNOWN_EXCEPTION|SERVER_UNAVAILABLE): ", str(caught.value)
    )
    assert calls == 3
    assert sleeps == [1.0, 2.0]


class TruncatedSecondPage(SalesforceServer):
    """Answers every follow-up page with a body cut in half, as a dropped connection would."""

    def route(self, request: Request) -> Response:
        response = super().route(request)
        if NEXT_PAGE.fullmatch(request.path):
            body = response.content()
            return Response(response.status, body[: len(body) // 2], response.headers)
        return response


def test_a_truncated_page_commits_nothing_of_its_window(
    world: World, make_settings: Any, sleeps: list[float], fresh_database: str
) -> None:
    with serve(world) as sources, psycopg.connect(fresh_database, autocommit=True) as conn:
        ensure_ops(conn)
        settings = make_settings(SalesforceSettings, sources.env)
        good = load_stream(conn, "salesforce", streams(settings, sleeps)["leads"], EVERYTHING, "b1")
        assert good.rows == len(world.salesforce.of("Lead"))
        again = load_stream(
            conn, "salesforce", streams(settings, sleeps)["leads"], EVERYTHING, "b2"
        )
        assert again.rows == good.rows  # merged by key: a rerun leaves one row per lead
        (count,) = conn.execute("select count(*) from raw_salesforce.leads").fetchone()
        assert count == good.rows

    sleeps.clear()
    with (
        TruncatedSecondPage(world, batch_size=10) as broken,
        psycopg.connect(fresh_database, autocommit=True) as conn,
    ):
        settings = settings_for(make_settings, broken, max_retries=1)
        stream = streams(settings, sleeps)["opportunities"]
        with pytest.raises(SourceError, match=r"^salesforce: 200 malformed JSON in response body"):
            load_stream(conn, "salesforce", stream, EVERYTHING, "b3")
        table = conn.execute("select to_regclass('raw_salesforce.opportunities')").fetchone()
        watermark = conn.execute(
            "select count(*) from ops.watermarks where entity = 'opportunities'"
        ).fetchone()
    assert table == (None,) and watermark == (0,)  # not a row, not a watermark
    assert sleeps == [1.0]


def test_a_page_without_records_is_a_source_error(
    world: World, make_settings: Any, sleeps: list[float]
) -> None:
    class Shapeless(SalesforceServer):
        def route(self, request: Request) -> Response:
            response = super().route(request)
            if request.path.endswith("/queryAll"):
                return Response(200, b'{"totalSize": 3, "done": false}')
            return response

    with (
        Shapeless(world) as shapeless,
        pytest.raises(SourceError, match=r"^salesforce: no records list in the page from GET"),
    ):
        read(streams(settings_for(make_settings, shapeless), sleeps)["accounts"])


def test_a_one_time_malformed_body_is_retried(
    world: World, make_settings: Any, sleeps: list[float]
) -> None:
    with SalesforceServer(world, faults=Faults(malformed_pages=1)) as glitchy:
        rows = read(streams(settings_for(make_settings, glitchy), sleeps)["accounts"])
    assert len(rows) == len(world.salesforce.of("Account"))
    assert sleeps == [1.0]


def test_missing_credentials_are_config_errors(sleeps: list[float]) -> None:
    stream = streams(SalesforceSettings(), sleeps)["opportunities"]
    with pytest.raises(
        ConfigError, match=r"^salesforce: credential THINLINE_SALESFORCE__CLIENT_ID is not set$"
    ):
        next(stream.fetch(EVERYTHING))
    partial = SalesforceSettings(client_id="abc", client_secret="s3cret")
    with pytest.raises(ConfigError, match=r"THINLINE_SALESFORCE__REFRESH_TOKEN is not set$"):
        partial.check_credentials()


# --- Issue 13: the org's settings, its schema and the API lifecycle, as Salesforce documents them.

SETTING_VERSION = "THINLINE_SALESFORCE__API_VERSION"


def test_a_single_currency_org_lands_every_object_and_its_default_currency(
    world: World, make_settings: Any, sleeps: list[float], fresh_database: str
) -> None:
    """CurrencyIsoCode exists only once multiple currencies are enabled (an opt-in)."""
    with (
        SalesforceServer(world, single_currency="EUR") as org,
        psycopg.connect(fresh_database, autocommit=True) as conn,
    ):
        ensure_ops(conn)
        every = streams(settings_for(make_settings, org), sleeps)
        assert set(every) == {*RAW_TABLES.values(), *RATE_TABLES.values(), "organization"}
        assert every["organization"].load_mode is LoadMode.SNAPSHOT
        for entity, stream in every.items():
            load_stream(conn, "salesforce", stream, EVERYTHING, f"single-{entity}")
        for sobject, entity in RAW_TABLES.items():
            (rows, with_currency) = conn.execute(
                f"select count(*), count(*) filter (where record ? 'CurrencyIsoCode') "
                f"from raw_salesforce.{entity}"
            ).fetchone()
            assert (rows, with_currency) == (len(world.salesforce.of(sobject)), 0), entity
        organization = conn.execute(
            "select organization_id, record ->> 'DefaultCurrencyIsoCode' "
            "from raw_salesforce.organization"
        ).fetchall()
    assert organization == [("00D5g000004SbXqEAK", "EUR")]


def test_a_multi_currency_org_keeps_currency_iso_code_and_has_no_default_currency(
    server: SalesforceServer, make_settings: Any, sleeps: list[float]
) -> None:
    every = streams(settings_for(make_settings, server), sleeps)
    opportunities = read(every["opportunities"])
    assert {row.record["CurrencyIsoCode"] for row in opportunities} == {"USD", "EUR"}
    (organization,) = read(every["organization"])
    assert "DefaultCurrencyIsoCode" not in organization.record


def test_custom_fields_land_in_the_raw_record(
    world: World, server: SalesforceServer, make_settings: Any, sleeps: list[float]
) -> None:
    every = streams(settings_for(make_settings, server), sleeps)
    for sobject, entity, field in (
        ("Account", "accounts", "Tier__c"),
        ("Opportunity", "opportunities", "Region__c"),
        ("Lead", "leads", "Lead_Score__c"),
    ):
        landed = {row.keys[0]: row.record for row in read(every[entity])}
        for record in world.salesforce.of(sobject):
            value, expected = landed[record.record_id][field], record.fields[field]
            if isinstance(expected, Decimal):
                value = Decimal(str(value))
            assert value == expected, (entity, field, record.record_id)
        assert any(record[field] is not None for record in landed.values())


def test_fields_come_from_describe_once_per_object_per_run(
    server: SalesforceServer, make_settings: Any, sleeps: list[float]
) -> None:
    every = streams(settings_for(make_settings, server), sleeps)
    for entity in ("accounts", "accounts", "users"):
        read(every[entity])
    describes = [r.path for r in server.requests if r.path.endswith("/describe")]
    assert sorted(describes) == [
        f"/services/data/{VERSION}/sobjects/{name}/describe" for name in ("Account", "User")
    ]
    queries = [call.query["q"][0] for call in query_calls(server) if "q" in call.query]
    assert all("BillingAddress" not in q for q in queries)  # compound: its components instead
    assert any("UserRole.Name" in q for q in queries)  # the relationship Thinline needs


def test_a_hidden_required_field_fails_naming_object_and_field(
    world: World, make_settings: Any, sleeps: list[float]
) -> None:
    hidden = frozenset({("Opportunity", "Amount"), ("Lead", "Company")})
    with SalesforceServer(world, hidden_fields=hidden) as org:
        every = streams(settings_for(make_settings, org), sleeps)
        leads = read(every["leads"])  # Company is optional: simply not selected
        with pytest.raises(SourceError) as caught:
            read(every["opportunities"])
    assert len(leads) == len(world.salesforce.of("Lead"))
    assert not any("Company" in row.record for row in leads)
    message = str(caught.value)
    assert message.startswith(
        "salesforce: the integration user cannot see Opportunity.Amount, which Thinline needs"
    )
    assert "field-level security" in message and "\n" not in message


@pytest.mark.parametrize(("version", "status"), [("v30.0", "410 GONE"), ("v69.0", "404 NOT_FOUND")])
def test_a_retired_or_unreleased_version_names_the_setting(
    world: World, make_settings: Any, sleeps: list[float], version: str, status: str
) -> None:
    with SalesforceServer(world, api_today=date(2026, 12, 5)) as org:
        settings = settings_for(make_settings, org, api_version=version)
        with pytest.raises(SourceError) as caught:
            read(streams(settings, sleeps)["campaigns"])
    message = str(caught.value)
    assert message.startswith(f"salesforce: {status}")
    assert SETTING_VERSION in message and default_version("salesforce") in message


def test_the_default_version_is_served_by_the_org_today(
    server: SalesforceServer, make_settings: Any, sleeps: list[float]
) -> None:
    settings = settings_for(make_settings, server)
    assert settings.api_version == default_version("salesforce") != "v62.0"
    assert len(read(streams(settings, sleeps)["campaigns"])) == 6


def test_the_client_credentials_flow_needs_no_refresh_token(
    world: World, server: SalesforceServer, make_settings: Any, sleeps: list[float]
) -> None:
    env = {k: v for k, v in server.env().items() if not k.endswith("REFRESH_TOKEN")}
    settings = make_settings(SalesforceSettings, env, auth_flow="client_credentials")
    assert len(read(streams(settings, sleeps)["users"])) == len(world.salesforce.of("User"))
    (grant,) = [r for r in server.requests if r.path == "/services/oauth2/token"]
    assert grant.status == 200

    login = make_settings(
        SalesforceSettings,
        env,
        auth_flow="client_credentials",
        token_url="https://login.salesforce.com/services/oauth2/token",
    )
    with pytest.raises(
        ConfigError, match=r"My Domain token URL — set THINLINE_SALESFORCE__TOKEN_URL"
    ):
        login.check_credentials()


# --- thinline doctor: the pre-flight rows against the stand-in.

TODAY = date(2026, 12, 5)


def doctor_rows(settings: SalesforceSettings) -> list[Check]:
    return source_checks("salesforce", settings, TODAY)


def test_doctor_rows_are_all_ok_against_the_stand_in(
    server: SalesforceServer, make_settings: Any
) -> None:
    checks = doctor_rows(settings_for(make_settings, server))
    assert [c for c in checks if c.level is not Level.OK] == []
    by_name = {check.name: check for check in checks}
    assert list(by_name)[:4] == ["credentials", "api version", "token", "api version (org)"]
    assert by_name["currency"].detail == (
        "multi-currency (each record's CurrencyIsoCode), dated rates (advanced currency management)"
    )
    assert {f"fields {sobject}" for sobject in RAW_TABLES} <= set(by_name)
    assert by_name["api usage"].detail.startswith("DailyApiRequests: ")
    calls = len(api_calls(server))
    # a handful of cheap calls: describes, Describe Global, one query, limits
    assert calls <= 3 + len(RAW_TABLES)


def test_doctor_names_a_single_currency_orgs_currency(world: World, make_settings: Any) -> None:
    with SalesforceServer(world, single_currency="EUR") as org:
        checks = doctor_rows(settings_for(make_settings, org))
    currency = next(check for check in checks if check.name == "currency")
    assert (currency.level, currency.detail) == (Level.OK, "single-currency, amounts in EUR")


def test_doctor_warns_when_the_integration_user_cannot_see_the_orgs_rates(
    world: World, make_settings: Any
) -> None:
    with SalesforceServer(world, advanced_currency_management=False) as org:
        static = doctor_rows(settings_for(make_settings, org))
    currency = next(check for check in static if check.name == "currency")
    assert (currency.level, currency.detail) == (
        Level.OK,
        "multi-currency (each record's CurrencyIsoCode), "
        "static rates (no advanced currency management)",
    )
    hidden = frozenset({"CurrencyType", "DatedConversionRate"})
    with SalesforceServer(world, hidden_objects=hidden) as org:
        checks = doctor_rows(settings_for(make_settings, org))
    (warning,) = [check for check in checks if check.level is not Level.OK]
    assert (warning.name, warning.level) == ("currency", Level.WARN)
    assert "cannot see CurrencyType" in warning.detail and "ECB" in warning.detail
    assert "permission set" in warning.fix


def test_doctor_fails_a_retired_version_with_the_fix(
    server: SalesforceServer, make_settings: Any
) -> None:
    listed = doctor_rows(settings_for(make_settings, server, api_version="v30.0"))
    assert [(c.name, c.level) for c in listed] == [
        ("credentials", Level.OK),
        ("api version", Level.FAIL),
    ]
    assert "2025-06-14" in listed[1].detail and SETTING_VERSION in listed[1].fix
    # A retired version Thinline's table does not list: the org itself says 410 GONE.
    unlisted = doctor_rows(settings_for(make_settings, server, api_version="v25.0"))
    fail = next(check for check in unlisted if check.level is Level.FAIL)
    assert fail.name == "api version (org)"
    assert fail.detail == "the org no longer serves v25.0 (it serves v31.0 to v68.0)"
    assert fail.fix == f"set {SETTING_VERSION} to {VERSION} (README: API versions)"


def test_doctor_fails_a_hidden_required_field_naming_the_fix(
    world: World, make_settings: Any
) -> None:
    hidden = frozenset({("Opportunity", "Amount"), ("Opportunity", "StageName")})
    with SalesforceServer(world, hidden_fields=hidden) as org:
        checks = doctor_rows(settings_for(make_settings, org))
    (fail,) = [check for check in checks if check.level is Level.FAIL]
    assert fail.name == "fields Opportunity"
    assert (
        fail.detail == "the integration user cannot see Opportunity.Amount, Opportunity.StageName"
    )
    assert "field-level security" in fail.fix and "permission set" in fail.fix


def test_doctor_fails_a_bad_refresh_token_without_printing_a_secret(
    server: SalesforceServer, make_settings: Any
) -> None:
    revoked = "5Aep-revoked-token-0001"
    checks = doctor_rows(settings_for(make_settings, server, refresh_token=revoked))
    assert [(c.name, c.level) for c in checks][-1] == ("token", Level.FAIL)
    token = checks[-1]
    assert token.detail.startswith("400 invalid_grant: expired access/refresh token")
    assert "THINLINE_SALESFORCE__REFRESH_TOKEN" in token.fix
    secrets = [revoked, server.credentials.client_secret]
    assert not any(secret in check.line() for check in checks for secret in secrets)


def test_doctor_warns_when_daily_api_requests_run_low(world: World, make_settings: Any) -> None:
    with SalesforceServer(world, api_requests_used=14_200) as busy:
        checks = doctor_rows(settings_for(make_settings, busy))
    usage = next(check for check in checks if check.name == "api usage")
    assert usage.level is Level.WARN
    assert re.fullmatch(r"DailyApiRequests: \d+ of 15000 left \(\d+%\)", usage.detail)
    assert usage.fix


def test_fields_past_the_request_size_limit_are_counted_as_skipped(
    world: World, make_settings: Any, sleeps: list[float]
) -> None:
    extra = tuple(f"Marketing_Attribute_{n:04d}__c" for n in range(800))
    with SalesforceServer(world) as org:
        org.schema["Lead"] += extra  # an org with hundreds of custom Lead fields
        fetched = list(streams(settings_for(make_settings, org), sleeps)["leads"].fetch(EVERYTHING))
        (query,) = [call for call in query_calls(org) if "q" in call.query]
    skipped = [item for item in fetched if isinstance(item, Skipped)]
    rows = [item for item in fetched if isinstance(item, RawRow)]
    assert len(rows) == len(world.salesforce.of("Lead"))
    (skip,) = skipped
    assert skip.reason == "Lead fields past the REST request size limit" and 0 < skip.count < 800
    assert all(name in rows[0].record for name in ("Email", "Lead_Score__c", extra[0]))
    assert extra[-1] not in rows[0].record  # the org's last extras are the ones left out
    assert len(query.path) + len(urlencode(query.query, doseq=True)) < 16_384


def test_compound_and_binary_fields_are_not_selected() -> None:
    lead = next(sobject for sobject in OBJECTS if sobject.name == "Lead")
    describe = {
        "fields": [{"name": name, "type": "string"} for name in lead.required]
        + [
            {"name": "Address", "type": "address"},
            {"name": "City", "type": "string", "compoundFieldName": "Address"},
            {"name": "Photo__c", "type": "base64", "custom": True},
            {"name": "Spot__c", "type": "location", "custom": True},
            {"name": "Spot__Latitude__s", "type": "double", "compoundFieldName": "Spot__c"},
            {"name": "Retired__c", "type": "string", "deprecatedAndHidden": True},
        ]
    }
    chosen = select(lead, describe, "/services/data/v68.0/queryAll").fields
    assert chosen[0] == "Id"
    assert {"City", "Spot__Latitude__s"} <= set(chosen)
    assert not {"Address", "Photo__c", "Spot__c", "Retired__c"} & set(chosen)
