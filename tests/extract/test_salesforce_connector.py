"""The Salesforce connector against the sandbox's Salesforce stand-in (OAuth + SOQL queryAll)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

import psycopg
import pytest

from extract.base import ConfigError, LoadMode, RawRow, SourceError, Stream, Window
from extract.loader import ensure_ops, load_stream
from extract.salesforce import SalesforceSettings, build_connector
from sandbox import Faults, World, serve
from sandbox.faults import Fault
from sandbox.http import Request, Response
from sandbox.salesforce_data import RAW_TABLES
from sandbox.salesforce_server import NEXT_PAGE, SalesforceServer
from sandbox.serve import salesforce_env

# Users and campaigns predate the world's first day: read from well before it.
EVERYTHING = Window(datetime(2020, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


def streams(settings: SalesforceSettings, sleep: Any) -> dict[str, Stream]:
    return {stream.entity: stream for stream in build_connector(settings, sleep=sleep).streams()}


def read(stream: Stream, window: Window = EVERYTHING) -> list[RawRow]:
    rows = list(stream.fetch(window))
    keys = [row.keys for row in rows]
    assert len(keys) == len(set(keys)), f"{stream.entity}: duplicate keys"
    return rows


def query_calls(server: SalesforceServer) -> list[Any]:
    return [r for r in server.requests if r.path.startswith("/services/data/")]


def token_calls(server: SalesforceServer) -> int:
    return sum(r.path == "/services/oauth2/token" for r in server.requests)


@pytest.fixture
def server(world: World) -> Iterator[SalesforceServer]:
    with SalesforceServer(world) as running:
        yield running


def settings_for(make_settings: Any, server: SalesforceServer, **overrides: Any) -> Any:
    return make_settings(SalesforceSettings, salesforce_env(server), **overrides)


def test_every_object_reads_to_the_end_and_matches_truth(
    world: World, truth: dict[str, Any], make_settings: Any, sleeps: list[float]
) -> None:
    with serve(world) as sources:
        settings = make_settings(SalesforceSettings, sources.env)
        rows = {name: read(stream) for name, stream in streams(settings, sleeps).items()}
        server = sources.salesforce
        assert server is not None
        tokens = token_calls(server)

    assert set(rows) == set(RAW_TABLES.values())
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
    assert call.path == "/services/data/v62.0/queryAll"
    assert call.query["q"] == [
        "SELECT Id, FirstName, LastName, Email, Company, Country, Status, LeadSource, OwnerId, "
        "IsConverted, ConvertedDate, ConvertedAccountId, ConvertedContactId, "
        "ConvertedOpportunityId, CreatedDate, LastModifiedDate, SystemModstamp, IsDeleted "
        "FROM Lead WHERE SystemModstamp >= 2026-02-01T00:00:00Z "
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
        tokens, calls = token_calls(expiring), len(query_calls(expiring))
    assert len(rows) == len(world.salesforce.of("Campaign"))
    assert (tokens, calls) == (2, 2)  # the first session, one refresh after the 401
    assert sleeps == []


def test_a_session_rejected_after_refresh_names_the_refresh_token(
    world: World, make_settings: Any, sleeps: list[float]
) -> None:
    with SalesforceServer(world, faults=Faults(expired_tokens=5)) as expiring:
        env = salesforce_env(expiring)
        settings = make_settings(SalesforceSettings, env)
        with pytest.raises(SourceError) as caught:
            read(streams(settings, sleeps)["campaigns"])
        tokens, calls = token_calls(expiring), len(query_calls(expiring))
    message = str(caught.value)
    assert (tokens, calls) == (2, 2)
    assert re.fullmatch(
        r"salesforce: 401 INVALID_SESSION_ID: Session expired or invalid from GET "
        r"/services/data/v62\.0/queryAll — check THINLINE_SALESFORCE__REFRESH_TOKEN",
        message,
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
        calls = len(query_calls(spent))
    assert calls == 1
    assert sleeps == []
    assert str(caught.value) == (
        "salesforce: 403 REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded. from GET "
        "/services/data/v62.0/queryAll — the org's daily API request limit is spent; rerun "
        "once its rolling 24-hour usage frees up"
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
        calls = len(query_calls(down))
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
