"""The sender and its ledger (thinline/conversions/send.py) against a real PostgreSQL and the
Google Ads stand-in over HTTP: once each, skips recorded, retries bounded, answers kept."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from sandbox.google_ads_data import PaidClick
from sandbox.google_ads_server import GoogleAdsServer
from thinline.conversions.send import NO_CONSENT, send_conversions
from thinline.settings import load_settings

CLOSED_WON = "7003"  # sandbox/conversion_destinations.py
EMAIL_SHA256 = hashlib.sha256(b"dana.buyer@example.com").hexdigest()
FACT = """
create schema analytics;
create table analytics.fct_offline_conversions (
    event_id text primary key, conversion_id text, conversion_type text, platform text,
    account_id text, destination text, occurred_at timestamptz, click_id text,
    clicked_at timestamptz, email_sha256 text, value numeric(20, 6), currency text,
    has_marketing_consent boolean
)
"""


def clicked_at(click: PaidClick) -> datetime:
    return datetime.fromtimestamp(click.at_ms / 1000, tz=UTC)


@pytest.fixture
def server(world) -> Iterator[GoogleAdsServer]:
    with GoogleAdsServer(world) as running:
        yield running


@pytest.fixture
def now(server) -> datetime:
    return server.conversions.now  # the world's as-of moment: the stand-in's "now"


@pytest.fixture
def warehouse(fresh_database: str) -> str:
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute(FACT)
    return fresh_database


def configure(monkeypatch, server: GoogleAdsServer, **extra: str) -> Any:
    """Settings as a deployment sets them: Google Ads only, uploads on."""
    import os

    for name in [name for name in os.environ if name.startswith("THINLINE_")]:
        monkeypatch.delenv(name)
    values = {
        **server.env(),
        "THINLINE_SOURCES": "google_ads",
        "THINLINE_GOOGLE_ADS__UPLOAD_CONVERSIONS": "true",
        "THINLINE_CONVERSIONS_RETRY_WAIT_SECONDS": "0",
        **extra,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def publish(url: str, rows: list[dict[str, Any]]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for row in rows:
            conn.execute(
                "insert into analytics.fct_offline_conversions values (%(event_id)s, "
                "%(conversion_id)s, 'closed_won', 'google_ads', %(account_id)s, %(destination)s, "
                "%(occurred_at)s, %(click_id)s, %(clicked_at)s, %(email_sha256)s, %(value)s, "
                "%(currency)s, %(has_marketing_consent)s)",
                row,
            )


def row_for(click: PaidClick, number: int, **changes: Any) -> dict[str, Any]:
    return {
        "event_id": f"event-{number}",
        "conversion_id": f"closed_won:hubspot:{number}",
        "account_id": str(click.customer_id),
        "destination": CLOSED_WON,
        "occurred_at": clicked_at(click) + timedelta(days=2),
        "click_id": click.gclid,
        "clicked_at": clicked_at(click),
        "email_sha256": EMAIL_SHA256,
        "value": Decimal("1500.25") + number,
        "currency": "USD",
        "has_marketing_consent": True,
        **changes,
    }


def ledger(url: str) -> dict[str, tuple]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select event_id, status, attempts, reason from ops.conversion_uploads"
        ).fetchall()
    return {event_id: (status, attempts, reason) for event_id, status, attempts, reason in rows}


def clicks_aged(server: GoogleAdsServer, now: datetime, low: int, high: int) -> list[PaidClick]:
    return [
        click
        for click in server.data.paid_clicks
        if timedelta(days=low) <= now - clicked_at(click) <= timedelta(days=high)
    ]


def test_each_conversion_is_sent_once_and_skips_are_recorded(
    monkeypatch, server, now, warehouse
) -> None:
    recent = clicks_aged(server, now, 5, 60)
    assert len(recent) >= 5
    rows = [row_for(click, n) for n, click in enumerate(recent[:3])]
    rows.append(row_for(recent[3], 3, has_marketing_consent=False))
    # a click 120 days old (the world holds none so old; it is never sent, so never checked)
    long_ago = now - timedelta(days=120)
    rows.append(row_for(recent[4], 4, clicked_at=long_ago, occurred_at=long_ago + timedelta(1)))
    publish(warehouse, rows)
    settings = configure(monkeypatch, server)

    first = send_conversions(warehouse, settings, now, sleep=lambda _: None)

    assert first.counts["google_ads"] == {"accepted": 3, "skipped": 2}
    taken = {item["event_id"]: item for item in server.accepted_conversions}
    assert set(taken) == {"event-0", "event-1", "event-2"}
    for row in rows[:3]:
        assert taken[row["event_id"]]["value"] == row["value"]
        assert taken[row["event_id"]]["currency"] == "USD"
        assert taken[row["event_id"]]["click_id"] == row["click_id"]
    states = ledger(warehouse)
    assert states["event-3"] == ("skipped", 0, NO_CONSENT)
    assert states["event-4"][0] == "skipped" and "90" in states["event-4"][2]
    bodies = len(server.conversion_bodies)

    # a rerun, and the next night: nothing is sent again
    assert send_conversions(warehouse, settings, now, sleep=lambda _: None).counts == {}
    later = now + timedelta(days=1)
    assert send_conversions(warehouse, settings, later, sleep=lambda _: None).counts == {}
    assert len(server.conversion_bodies) == bodies
    assert len(server.accepted_conversions) == 3


def test_a_transient_refusal_is_retried_then_failed_with_the_platforms_message(
    monkeypatch, server, now, warehouse
) -> None:
    flaky, steady = clicks_aged(server, now, 5, 60)[:2]
    server.transient_click_ids.add(flaky.gclid)
    publish(warehouse, [row_for(flaky, 1), row_for(steady, 2)])
    settings = configure(
        monkeypatch,
        server,
        THINLINE_CONVERSIONS_MAX_ATTEMPTS="3",
        THINLINE_CONVERSIONS_ATTEMPTS_PER_RUN="2",
    )
    waits: list[float] = []

    first = send_conversions(warehouse, settings, now, sleep=waits.append)

    assert first.counts["google_ads"] == {"accepted": 1, "retry": 1}
    assert waits == [0.0]  # one wait between the night's two attempts
    status, attempts, reason = ledger(warehouse)["event-1"]
    assert (status, attempts) == ("retry", 2) and "INTERNAL_ERROR" in reason
    # not due again the same night; due the next
    assert send_conversions(warehouse, settings, now, sleep=waits.append).counts == {}
    second = send_conversions(warehouse, settings, now + timedelta(days=1), sleep=waits.append)
    assert second.counts["google_ads"] == {"failed": 1}
    status, attempts, reason = ledger(warehouse)["event-1"]
    assert (status, attempts) == ("failed", 3) and "INTERNAL_ERROR" in reason
    assert [item["event_id"] for item in server.accepted_conversions] == ["event-2"]
    # failed is final
    later = now + timedelta(days=9)
    assert send_conversions(warehouse, settings, later, sleep=waits.append).counts == {}


def test_a_row_left_pending_by_a_crash_is_sent_again_and_counted_once(
    monkeypatch, server, now, warehouse
) -> None:
    (click,) = clicks_aged(server, now, 5, 60)[:1]
    publish(warehouse, [row_for(click, 1)])
    settings = configure(monkeypatch, server)
    assert send_conversions(warehouse, settings, now, sleep=lambda _: None).counts == {
        "google_ads": {"accepted": 1}
    }
    # as if the process died after sending, before recording the answer
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute("update ops.conversion_uploads set status = 'pending'")

    again = send_conversions(warehouse, settings, now, sleep=lambda _: None)

    assert again.counts == {"google_ads": {"accepted": 1}}  # Google knows the order id
    assert len(server.accepted_conversions) == 1
    assert ledger(warehouse)["event-1"][:2] == ("accepted", 2)


def test_a_refusal_no_retry_fixes_keeps_the_rows_and_names_the_fix(
    monkeypatch, server, now, warehouse
) -> None:
    recent = clicks_aged(server, now, 5, 60)
    first = recent[0]
    other = next(click for click in recent if click.customer_id != first.customer_id)
    publish(warehouse, [row_for(first, 1, destination="7999"), row_for(other, 2)])
    settings = configure(monkeypatch, server)

    report = send_conversions(warehouse, settings, now, sleep=lambda _: None)

    # the bad account's rows wait for the fix; the other account still sends
    assert len(report.errors) == 1 and "conversion_map.csv" in report.errors[0]
    states = ledger(warehouse)
    assert states["event-1"][0] == "retry" and "conversion_map.csv" in states["event-1"][2]
    assert states["event-2"][0] == "accepted"
    assert [item["event_id"] for item in server.accepted_conversions] == ["event-2"]


def test_uploads_are_off_unless_switched_on(monkeypatch, server, now, warehouse) -> None:
    (click,) = clicks_aged(server, now, 5, 60)[:1]
    publish(warehouse, [row_for(click, 1)])
    settings = configure(monkeypatch, server, THINLINE_GOOGLE_ADS__UPLOAD_CONVERSIONS="false")

    report = send_conversions(warehouse, settings, now)

    assert report.enabled == [] and "off" in report.summary_line()
    assert server.conversion_bodies == []
