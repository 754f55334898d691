"""Close to the wire: one TLS context per process, and records that keep the JSON text the
source sent (extract.http.decode), so the loader stores it instead of encoding it again."""

from __future__ import annotations

import json
import ssl
from typing import Any

import psycopg
import pytest
from psycopg import sql

from extract import http
from extract.http import HttpClient, RawRecord, decode
from extract.hubspot import HubSpotSettings
from extract.loader import ensure_ops, load_stream
from extract.registry import manifest, source_names
from sandbox import serve
from thinline.settings import Settings

BODIES = [
    '{"results": [{"id": "1", "properties": {"amount": "12.30"}}, {"id": "2"}], "paging": null}',
    ' \n{ "results" : [ ] , "total" : 0 }\t',
    '{"paging": {"next": {"after": "2"}}, "results": [{"a": [1, 2.50, -0.0, 1e400]}]}',
    '{"results": [{"s": "caf\\u00e9 \\"quoted\\" \\\\ / \\n", "n": 12345678901234567890.123}]}',
    '{"results": [{"dup": 1, "dup": 2}, [1, 2], "text", null, {}]}',
    '{"results": {"not": "an array"}}',
    '{"total": 3}',
    "[1, 2, 3]",
    '"just a string"',
    '[{"results": [{"row": 1}]}, {"results": [{"row": 2}, {"row": 3}]}, {"error": {"code": 1}}]',
    '{"id": "act_1", "name": "Ä account"}',
]
PATHS = [("results", "*"), ("*", "results", "*"), ("data", "*"), ()]


def records(value: Any) -> list[RawRecord]:
    """Every RawRecord inside ``value``."""
    if isinstance(value, RawRecord):
        return [value, *records(dict(value))]
    if isinstance(value, dict):
        return [found for item in value.values() for found in records(item)]
    if isinstance(value, list):
        return [found for item in value for found in records(item)]
    return []


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("path", [None, *PATHS])
def test_decode_is_json_loads_whatever_the_path(body: str, path: tuple[str, ...] | None) -> None:
    decoded = decode(body.encode(), path)
    assert json.dumps(decoded, sort_keys=True) == json.dumps(json.loads(body), sort_keys=True)
    for record in records(decoded):
        assert json.loads(record.text) == record  # the text is exactly the record's


def test_records_at_a_path_keep_the_text_as_sent() -> None:
    body = '{"results": [ {"id": "1", "amount": 12345678901234567890.123}, {"id":"2"} ], "n": 2}'
    page = decode(body.encode(), ("results", "*"))
    first, second = page["results"]
    assert type(first) is RawRecord and type(second) is RawRecord
    assert first.text == '{"id": "1", "amount": 12345678901234567890.123}'  # digits all kept
    assert second.text == '{"id":"2"}'
    batches = decode(b'[{"results": [{"r": 1}]}, {"results": [{"r": 2}]}]', ("*", "results", "*"))
    assert [row.text for batch in batches for row in batch["results"]] == ['{"r": 1}', '{"r": 2}']
    whole = decode('{"id": "1", "name": "Ä"}'.encode(), ())
    assert type(whole) is RawRecord and whole.text == '{"id": "1", "name": "Ä"}'
    assert type(decode(b'{"results": [{"r": 1}]}', ("data", "*"))["results"][0]) is dict


@pytest.mark.parametrize(
    "body",
    [
        b'{"results": [{"id": 1}, {"id": 2}',  # truncated
        b'{"results": [{"id": 1}] } extra',
        b'{"results": [{"id": 1},]}',
        b'{"results" [1]}',
        b"{results: [1]}",
        b'{"results": [{"id": 1} {"id": 2}]}',
        b'{"results": [1], "total": 2,}',
        b"",
        b"\xff\xfe\x00",
    ],
)
def test_malformed_bodies_fail_as_json_loads_does(body: bytes) -> None:
    with pytest.raises(ValueError):
        json.loads(body)
    with pytest.raises(ValueError):
        decode(body, ("results", "*"))


def test_every_client_of_a_process_shares_one_tls_context(monkeypatch) -> None:
    made = []
    real = ssl.create_default_context  # what httpx builds a context with (loads the CA bundle)

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    http._tls_context.cache_clear()
    settings = HubSpotSettings(base_url="https://127.0.0.1:1", token="pat-test")
    clients = [HttpClient(settings, classify=lambda *_: None, auth_hint="") for _ in range(3)]
    for client in clients:
        client.close()
    assert len(made) == 1  # was one per client: every stream of every source built its own
    http._tls_context.cache_clear()


def test_connectors_hand_over_records_with_their_text(world, world_window, monkeypatch) -> None:
    """Each source's big streams carry the JSON text the stand-in sent, and that text is the
    record (a connector that changed a record would have to build a new dict)."""
    expect_text = {
        "hubspot": {"contacts", "companies", "deals", "owners", "deal_stage_history"},
        "salesforce": {"leads", "contacts", "opportunities", "opportunity_histories"},
        "google_ads": {"campaign_daily_metrics", "ad_group_daily_metrics", "ad_daily_metrics"},
        "meta_ads": {"ad_accounts", "campaigns", "ad_daily_insights"},
        "linkedin_ads": {"ad_accounts", "campaigns", "creatives", "creative_daily_analytics"},
        "microsoft_ads": {"campaigns"},  # its reports are CSV rows: encoded by the loader
    }
    with serve(world) as sources:
        for name, value in sources.env.items():
            monkeypatch.setenv(name, value)
        settings = Settings()
        for source, entities in expect_text.items():
            streams = manifest(source).build_connector(getattr(settings, source)).streams()
            for stream in streams:
                rows = [row for row in stream.fetch(world_window) if hasattr(row, "record")]
                texts = [row.record for row in rows if type(row.record) is RawRecord]
                for record in texts:
                    assert json.loads(record.text) == record, (source, stream.entity)
                if stream.entity in entities:
                    assert rows and len(texts) == len(rows), (source, stream.entity)


def test_what_lands_is_what_the_committed_client_and_loader_landed(
    world, world_window, fresh_database: str, monkeypatch
) -> None:
    """Every stream of every source loaded twice from the stand-ins: as before (the body
    decoded by ``json.loads``, every record encoded again for jsonb) and as now (the records'
    text as sent). The raw tables and the quarantine hold the same rows: keys, deleted flags
    and record JSON, compared as jsonb's text."""
    with serve(world) as sources:
        for name, value in sources.env.items():
            monkeypatch.setenv(name, value)
        settings = Settings()
        with psycopg.connect(fresh_database, autocommit=True) as conn:
            for before in (True, False):
                ensure_ops(conn)
                for source in source_names():
                    connector = manifest(source).build_connector(getattr(settings, source))
                    for stream in connector.streams():
                        with monkeypatch.context() as patch:
                            if before:
                                patch.setattr(http, "decode", lambda body, _=None: json.loads(body))
                            batch = f"{before}-{source}-{stream.entity}"
                            load_stream(conn, source, stream, world_window, batch, "run")
                if before:  # out of the way of the second load
                    for schema in [*(f"raw_{source}" for source in source_names()), "ops"]:
                        conn.execute(f"alter schema {schema} rename to before_{schema}")
            compared = 0
            for schema, table in conn.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema like 'raw\\_%%' order by 1, 2"
            ).fetchall():
                now, was = landed(conn, schema, table), landed(conn, f"before_{schema}", table)
                assert now == was, (schema, table)
                compared += len(now)
            assert compared > 5_000
            quarantine = (
                "select entity, rule, record_key::text, payload::text, is_deleted "
                "from {}.quarantine order by 1, 2, 3, 4, 5"
            )
            assert (
                conn.execute(quarantine.format("ops")).fetchall()
                == conn.execute(quarantine.format("before_ops")).fetchall()
            )


def landed(conn: psycopg.Connection, schema: str, table: str) -> list[tuple[Any, ...]]:
    """A raw table's rows, sorted: its keys, record JSON (as jsonb's text) and deleted flag."""
    columns = [
        name
        for (name,) in conn.execute(
            "select column_name from information_schema.columns "
            "where table_schema = %s and table_name = %s order by ordinal_position",
            (schema, table),
        )
        if name not in ("record", "is_deleted", "_loaded_at", "_batch_id")
    ]
    query = sql.SQL("select {}, record::text, is_deleted from {}").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(schema, table)
    )
    return sorted(conn.execute(query).fetchall(), key=repr)


def test_a_record_changed_in_place_drops_its_text() -> None:
    """The loader stores the kept text only while it is still the record's JSON."""
    changes = [
        lambda r: r.__setitem__("extra", 1),
        lambda r: r.__delitem__("id"),
        lambda r: r.update(extra=1),
        lambda r: r.pop("id"),
        lambda r: r.popitem(),
        lambda r: r.setdefault("extra", 1),
        lambda r: r.clear(),
    ]
    for change in changes:
        record = decode(b'{"results": [{"id": "1"}]}', ("results", "*"))["results"][0]
        assert record.text == '{"id": "1"}'
        change(record)
        assert record.text is None
    record = decode(b'{"id": "1"}', ())
    record |= {"extra": 1}
    assert type(record) is RawRecord and record.text is None


@pytest.mark.parametrize(
    "text", ['{"id": 1, "a": "x"}', "{ }", '{"accountId": 9, "b": [1, {"c": 2}]} ']
)
def test_fields_appended_to_the_text_decode_to_the_merged_record(text: str) -> None:
    record = http.decode(text.encode(), ())
    fields = {"accountId": 7, "currency": "EUR", "none": None, "é": "ü"}
    merged = http.with_fields(record, fields)
    assert merged == {**json.loads(text), **fields}
    assert type(merged) is RawRecord and json.loads(merged.text) == merged
    plain = http.with_fields(json.loads(text), fields)
    assert type(plain) is dict and plain == merged
