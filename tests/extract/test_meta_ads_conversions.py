"""Meta's Conversions API uploader against the stand-in over real HTTP, and the stand-in's rules."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from extract.base import ConfigError, SourceError
from extract.meta_ads import MANIFEST, MetaAdsSettings
from extract.meta_ads.conversions import MetaConversionUploader, build_uploader, fbc
from sandbox import Faults, World, WorldConfig, build_world
from sandbox.conversion_destinations import META_DATASET_ID, META_EVENT_NAMES
from sandbox.meta_ads_data import PaidClick
from sandbox.meta_ads_server import TOKEN, MetaAdsServer
from tests.extract.conftest import SleepRecorder, settings_from_env
from thinline.conversions.model import Conversion, Status

NOW = datetime(2026, 2, 15, 20, 0, tzinfo=UTC)  # the stand-in's "now": the world's last day
EMAIL = "Ana.Lopez@Example.com"
EMAIL_SHA256 = hashlib.sha256(EMAIL.strip().lower().encode()).hexdigest()


@pytest.fixture(scope="module")
def small_world() -> World:
    return build_world(WorldConfig(end=date(2026, 2, 15)))


@pytest.fixture
def server(small_world: World) -> Iterator[MetaAdsServer]:
    with MetaAdsServer(small_world, conversions_now=NOW) as running:
        yield running


def uploader(server: MetaAdsServer, sleeps: SleepRecorder, **overrides: Any) -> Any:
    settings = settings_from_env(
        MetaAdsSettings, server.env(), upload_conversions=True, **overrides
    )
    return build_uploader(settings, sleep=sleeps)


def clicks(world: World) -> list[PaidClick]:
    """The world's Meta clicks of the last week up to a day before now, newest first."""
    until_ms = (NOW - timedelta(days=1)).timestamp() * 1000
    recent = [
        c for c in world.meta_ads.paid_clicks if c.day >= date(2026, 2, 9) and c.at_ms < until_ms
    ]
    return sorted(recent, key=lambda c: c.at_ms, reverse=True)


def conversion(
    click: PaidClick,
    kind: str = "sql",
    *,
    after: timedelta = timedelta(hours=2),
    value: str | None = None,
    currency: str | None = None,
    email: str | None = EMAIL_SHA256,
    n: int = 0,
) -> Conversion:
    clicked_at = datetime.fromtimestamp(click.at_ms / 1000, UTC)
    return Conversion(
        event_id=f"{kind}:hubspot:{click.click_id[-8:]}:{n}:meta_ads",
        conversion_id=f"{kind}:hubspot:{n}",
        conversion_type=kind,
        platform="meta_ads",
        account_id=META_DATASET_ID,
        destination=META_EVENT_NAMES[kind],
        occurred_at=clicked_at + after,
        click_id=click.click_id,
        clicked_at=clicked_at,
        email_sha256=email,
        value=Decimal(value) if value is not None else None,
        currency=currency,
    )


def sent_events(server: MetaAdsServer) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for body in server.conversion_bodies:
        events += json.loads(parse_qs(body.decode())["data"][0])
    return events


def post(server: MetaAdsServer, events: Any, dataset: str = META_DATASET_ID, **form: str) -> Any:
    """A hand-made upload request, as a form body like Meta's curl examples."""
    data = events if isinstance(events, str) else json.dumps(events)
    return httpx.post(
        f"{server.url}/v25.0/{dataset}/events",
        params={"access_token": TOKEN},
        data={"data": data, **form},
    )


def good_event(click: PaidClick, **changes: Any) -> dict[str, Any]:
    event = {
        "event_name": "Opportunity",
        "event_time": int(NOW.timestamp()) - 3600,
        "event_id": "opportunity:hubspot:1",
        "action_source": "system_generated",
        "user_data": {"em": [EMAIL_SHA256], "fbc": f"fb.1.{click.at_ms}.{click.click_id}"},
        "custom_data": {"value": 1200.5, "currency": "EUR"},
    }
    return event | changes


# The uploader against the stand-in.


def test_the_manifest_names_the_uploader() -> None:
    assert MANIFEST.conversion_uploader == "extract.meta_ads.conversions:build_uploader"
    assert MetaAdsSettings().upload_conversions is False  # off unless asked for


def test_accepted_events_carry_time_click_value_and_currency(server, small_world, sleeps) -> None:
    first, second, third = clicks(small_world)[:3]
    batch = [
        conversion(first, "sql"),
        conversion(second, "opportunity", value="1200.50", currency="EUR"),
        conversion(third, "closed_won", value="18000", currency="usd", email=None),
    ]
    meta = uploader(server, sleeps)

    outcomes = meta.upload(META_DATASET_ID, batch)

    assert [o.status for o in outcomes] == [Status.ACCEPTED] * 3
    assert {o.event_id for o in outcomes} == {c.event_id for c in batch}
    assert all(o.response["events_received"] == 3 for o in outcomes)
    assert len(server.conversion_bodies) == 1  # one request for the batch
    assert server.accepted_conversions == [
        {
            "event_id": batch[0].event_id,
            "destination": "QualifiedLead",
            "click_id": first.click_id,
            "value": None,
            "currency": None,
        },
        {
            "event_id": batch[1].event_id,
            "destination": "Opportunity",
            "click_id": second.click_id,
            "value": Decimal("1200.5"),
            "currency": "EUR",
        },
        {
            "event_id": batch[2].event_id,
            "destination": "Purchase",
            "click_id": third.click_id,
            "value": Decimal("18000"),
            "currency": "USD",
        },
    ]
    events = sent_events(server)
    assert events == [meta.payload(c) for c in batch]
    opportunity = events[1]
    assert opportunity["event_time"] == int(batch[1].occurred_at.timestamp())  # Unix seconds
    assert opportunity["action_source"] == "system_generated"
    assert opportunity["user_data"] == {
        "em": [EMAIL_SHA256],
        "fbc": f"fb.1.{second.at_ms}.{second.click_id}",  # click time in ms, fbclid as it came
    }
    assert "em" not in events[2]["user_data"]
    request = next(r for r in server.requests if r.method == "POST")
    assert request.path == f"/{meta.settings.api_version}/{META_DATASET_ID}/events"


def test_a_duplicate_is_received_and_counted_once(server, small_world, sleeps) -> None:
    click = clicks(small_world)[0]
    first = conversion(click, "opportunity", value="500", currency="EUR")
    meta = uploader(server, sleeps)

    assert meta.upload(META_DATASET_ID, [first])[0].status is Status.ACCEPTED
    again = meta.upload(META_DATASET_ID, [first])

    assert again[0].status is Status.ACCEPTED  # Meta answers as for any event...
    assert again[0].response["events_received"] == 1
    assert [row["event_id"] for row in server.accepted_conversions] == [first.event_id]  # ...once


def test_a_refused_event_is_rejected_alone_with_metas_words(server, small_world, sleeps) -> None:
    recent = clicks(small_world)[:5]
    batch = [conversion(click, "sql", n=n) for n, click in enumerate(recent)]
    old_click = next(c for c in small_world.meta_ads.paid_clicks if c.day == date(2026, 2, 1))
    stale = conversion(old_click, "sql", n=99)  # 14 days old: skip_reason would have said so
    batch.insert(2, stale)

    outcomes = {o.event_id: o for o in uploader(server, sleeps).upload(META_DATASET_ID, batch)}

    assert outcomes[stale.event_id].status is Status.REJECTED
    assert "Event Timestamp Too Old" in (outcomes[stale.event_id].message or "")
    assert "2804003" in (outcomes[stale.event_id].message or "")
    assert outcomes[stale.event_id].response["error"]["error_subcode"] == 2804003
    good = [c.event_id for c in batch if c is not stale]
    assert all(outcomes[event_id].status is Status.ACCEPTED for event_id in good)
    assert sorted(row["event_id"] for row in server.accepted_conversions) == sorted(good)
    refused = [r for r in server.requests if r.status == 400]
    assert len(refused) >= 2 and len(server.conversion_bodies) <= 2 * len(batch)


def test_a_transient_error_is_retry_for_every_event_of_the_request(
    server, small_world, sleeps
) -> None:
    first, second = clicks(small_world)[:2]
    server.transient_click_ids = {first.click_id}
    batch = [conversion(first, "sql"), conversion(second, "sql")]

    outcomes = uploader(server, sleeps, max_retries=2).upload(META_DATASET_ID, batch)

    assert [o.status for o in outcomes] == [Status.RETRY, Status.RETRY]
    assert "Service temporarily unavailable" in (outcomes[0].message or "")
    assert len(server.conversion_bodies) == 3 and len(sleeps) == 2  # retried, then given up
    assert server.accepted_conversions == []
    assert uploader(server, sleeps).upload(META_DATASET_ID, batch[1:])[0].status is Status.ACCEPTED


def test_throttling_and_server_errors_are_retried_then_accepted(small_world, sleeps) -> None:
    faults = Faults(rate_limit=1, server_errors=1, malformed_pages=1)
    with MetaAdsServer(small_world, conversions_now=NOW, faults=faults) as server:
        click = clicks(small_world)[0]
        outcomes = uploader(server, sleeps).upload(META_DATASET_ID, [conversion(click)])

    assert outcomes[0].status is Status.ACCEPTED
    assert [r.status for r in server.requests] == [400, 500, 200, 200]
    assert len(server.conversion_bodies) == 4 and len(set(server.conversion_bodies)) == 1
    assert len(server.accepted_conversions) == 1  # the malformed answer's resend is a duplicate


def test_a_daily_block_is_retry_not_an_error(small_world, sleeps) -> None:
    with MetaAdsServer(
        small_world, conversions_now=NOW, faults=Faults(daily_quota_exhausted=True)
    ) as s:
        outcomes = uploader(s, sleeps).upload(META_DATASET_ID, [conversion(clicks(small_world)[0])])

    assert outcomes[0].status is Status.RETRY and "User request limit" in (
        outcomes[0].message or ""
    )


def test_an_unknown_dataset_or_a_bad_token_raises(server, small_world, sleeps) -> None:
    wrong = Conversion(**{**conversion(clicks(small_world)[0]).__dict__, "account_id": "12345"})
    with pytest.raises(SourceError, match=r"THINLINE_META_ADS__CONVERSIONS_DATASET_ID is 830"):
        uploader(server, sleeps).upload("12345", [wrong])
    assert server.conversion_bodies == []  # refused before sending

    meta = uploader(server, sleeps, conversions_dataset_id=None)
    with pytest.raises(SourceError, match=r"does not exist.*CONVERSIONS_DATASET_ID") as error:
        meta.upload("12345", [wrong])
    assert "\n" not in str(error.value)

    bad_token = uploader(server, sleeps, conversions_access_token="EAABnot0the0token")
    with pytest.raises(SourceError, match=r"190.*CONVERSIONS_ACCESS_TOKEN") as error:
        bad_token.upload(META_DATASET_ID, [conversion(clicks(small_world)[0])])
    assert "EAABnot0the0token" not in str(error.value)
    assert server.accepted_conversions == []

    with pytest.raises(ConfigError, match=r"CONVERSIONS_ACCESS_TOKEN .*is not set"):
        MetaConversionUploader(MetaAdsSettings())


def test_a_separate_conversions_token_and_the_app_secret_proof(small_world, sleeps) -> None:
    with MetaAdsServer(
        small_world, conversions_now=NOW, token="EAABcapi0token", require_app_secret=True
    ) as server:
        env = {**server.env(), "THINLINE_META_ADS__ACCESS_TOKEN": "EAABads0read0only"}
        settings = settings_from_env(
            MetaAdsSettings, env, conversions_access_token="EAABcapi0token"
        )
        outcome = build_uploader(settings, sleep=sleeps).upload(
            META_DATASET_ID, [conversion(clicks(small_world)[0])]
        )
        proofs = [r.query.get("appsecret_proof") for r in server.requests]

    assert outcome[0].status is Status.ACCEPTED
    assert all(proofs)


def test_a_test_event_code_sends_to_the_test_events_tool_only(server, small_world, sleeps) -> None:
    meta = uploader(server, sleeps, test_event_code="TEST4242")

    outcomes = meta.upload(META_DATASET_ID, [conversion(clicks(small_world)[0])])

    assert outcomes[0].status is Status.ACCEPTED
    assert server.accepted_conversions == []
    assert [e["test_event_code"] for e in server.test_events] == ["TEST4242"]
    assert parse_qs(server.conversion_bodies[0].decode())["test_event_code"] == ["TEST4242"]


def test_no_request_holds_a_plain_email(server, small_world, sleeps) -> None:
    batch = [conversion(click, n=n) for n, click in enumerate(clicks(small_world)[:4])]
    unhashed = Conversion(**{**batch[0].__dict__, "event_id": "x", "email_sha256": EMAIL})
    meta = uploader(server, sleeps)

    meta.upload(META_DATASET_ID, [*batch, unhashed])

    assert meta.skip_reason(unhashed, NOW) == "email_sha256 is not a SHA-256 hex digest"
    assert "em" not in meta.payload(unhashed)["user_data"]  # never sent, whatever comes in
    for body in server.conversion_bodies:
        text = body.decode().lower()
        assert EMAIL.lower() not in text and "ana.lopez%40example.com" not in text
        assert EMAIL_SHA256 in text


def test_skip_rules_count_from_now(small_world) -> None:
    settings = MetaAdsSettings(access_token="EAABx")
    meta = build_uploader(settings)
    click = clicks(small_world)[0]
    clicked = datetime.fromtimestamp(click.at_ms / 1000, UTC)
    fine = conversion(click, "opportunity", value="10", currency="EUR")

    def skip(**changes: Any) -> str | None:
        return meta.skip_reason(Conversion(**{**fine.__dict__, **changes}), NOW)

    assert meta.skip_reason(fine, NOW) is None
    week_ago = NOW - timedelta(days=7)
    assert skip(occurred_at=week_ago, clicked_at=week_ago) is None  # the last accepted moment
    assert "days old" in (skip(occurred_at=NOW - timedelta(days=7, seconds=1)) or "")
    assert "in the future" in (skip(occurred_at=NOW + timedelta(minutes=5)) or "")
    assert skip(clicked_at=fine.occurred_at + timedelta(seconds=1)) == (
        "the click came after the conversion"
    )
    assert "without an ISO 4217 currency" in (skip(currency=None) or "")
    assert "without an ISO 4217 currency" in (skip(currency="euro") or "")
    assert "Purchase" in (skip(destination="Purchase", value=None, currency=None) or "")
    assert skip(destination="Opportunity", value=None, currency=None) is None
    assert "not a SHA-256" in (skip(email_sha256="ana@example.com") or "")
    assert "neither" in (skip(click_id="", email_sha256=None) or "")
    old_click = clicked - timedelta(days=60)  # Meta refuses nothing for an old click
    assert skip(clicked_at=old_click) is None
    assert fbc(click.click_id, clicked) == f"fb.1.{click.at_ms}.{click.click_id}"


def test_batches_hold_at_most_1000_events(server, small_world, sleeps) -> None:
    click = clicks(small_world)[0]
    batch = [conversion(click, "sql", n=n) for n in range(1001)]

    outcomes = uploader(server, sleeps).upload(META_DATASET_ID, batch)

    assert MetaConversionUploader.batch_size == 1000
    assert len(server.conversion_bodies) == 2 and len(sent_events(server)) == 1001
    assert all(o.status is Status.ACCEPTED for o in outcomes) and len(outcomes) == 1001


# The stand-in's own validation, on hand-made requests.


def test_the_stand_in_accepts_a_json_body_too(server, small_world) -> None:
    click = clicks(small_world)[0]
    answer = httpx.post(
        f"{server.url}/v25.0/{META_DATASET_ID}/events",
        params={"access_token": TOKEN},
        json={"data": [good_event(click)]},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["events_received"] == 1 and body["messages"] == [] and body["fbtrace_id"]
    assert server.accepted_conversions[0]["value"] == Decimal("1200.5")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"event_name": ""}, "event_name is required"),
        ({"event_time": "2026-02-15T10:00:00Z"}, "Unix time in seconds"),
        ({"event_time": int(NOW.timestamp()) - 8 * 86400}, "too far in the past"),
        ({"event_time": int(NOW.timestamp()) + 3600}, "in the future"),
        ({"action_source": "crm"}, "action_source must be one of"),
        ({"action_source": "website"}, "event_source_url and client_user_agent"),
        ({"user_data": {}}, "insufficient customer information"),
        ({"user_data": [EMAIL_SHA256]}, "insufficient customer information"),
        ({"user_data": {"em": ["ana@example.com"]}}, "must be hashed"),
        ({"user_data": {"em": [EMAIL_SHA256.upper()]}}, "must be hashed"),
        ({"user_data": {"fbc": "IwAR123"}}, "user_data.fbc must be"),
        ({"user_data": {"fbc": "fb.1.1771200000.IwAR1"}}, "user_data.fbc must be"),  # seconds
        ({"user_data": {"fbc": f"fb.1.{int(NOW.timestamp()) * 1000}.IwAR1"}}, "later than"),
        ({"custom_data": {"value": 10}}, "currency must be"),
        ({"custom_data": "1200.5 EUR"}, "custom_data must be an object"),
        ({"custom_data": {"value": "ten", "currency": "EUR"}}, "value must be a number"),
        ({"event_name": "Purchase", "custom_data": {}}, "Purchase events require"),
    ],
)
def test_the_stand_in_refuses_a_bad_event_and_the_whole_request(
    server, small_world, change, words
) -> None:
    click = clicks(small_world)[0]
    good = good_event(click, event_id="good")
    bad = good_event(click, event_id="bad") | change

    answer = post(server, [good, bad])

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == 100 and error["message"] == "Invalid parameter"
    assert words in error["error_user_msg"] and error["fbtrace_id"]
    assert server.accepted_conversions == []  # the good event was not kept either
    assert len(server.conversion_bodies) == 1


def test_the_stand_in_refuses_bad_requests(server, small_world) -> None:
    click = clicks(small_world)[0]
    unknown = post(server, [good_event(click)], dataset="999999")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["error_subcode"] == 33
    assert "Object with ID '999999' does not exist" in unknown.json()["error"]["message"]

    too_many = post(server, [good_event(click, event_id=str(n)) for n in range(1001)])
    assert too_many.status_code == 400 and "at most 1000" in too_many.json()["error"]["message"]
    assert post(server, []).status_code == 400
    assert (
        post(server, "not json").json()["error"]["message"] == "(#100) param data must be an array."
    )
    no_token = httpx.post(f"{server.url}/v25.0/{META_DATASET_ID}/events", data={"data": "[]"})
    assert no_token.status_code == 400 and no_token.json()["error"]["code"] == 104
    expired = httpx.post(
        f"{server.url}/v1.0/{META_DATASET_ID}/events",
        params={"access_token": TOKEN},
        data={"data": "[]"},
    )
    assert expired.json()["error"]["code"] == 2500
    assert server.accepted_conversions == []
    assert len(server.conversion_bodies) == 6  # every body that reached the endpoint


def test_the_stand_in_judges_at_the_worlds_as_of_moment(small_world) -> None:
    click = clicks(small_world)[0]
    as_of = datetime(2026, 2, 16, tzinfo=UTC)  # midnight after the world's last day
    by_email = {"em": [EMAIL_SHA256]}
    with MetaAdsServer(small_world) as server:
        assert server.now() == as_of
        week = int(as_of.timestamp()) - 7 * 86400
        week_old = post(server, [good_event(click, event_time=week, user_data=by_email)])
        too_old = post(server, [good_event(click, event_time=week - 1, user_data=by_email)])

    assert week_old.status_code == 200
    assert too_old.json()["error"]["error_subcode"] == 2804003


def test_the_stand_in_dedups_within_48_hours(small_world) -> None:
    click = clicks(small_world)[0]
    event = good_event(click, event_time=int(NOW.timestamp()) - 3600)
    with MetaAdsServer(small_world, conversions_now=NOW) as server:
        assert post(server, [event, event]).json()["events_received"] == 2
        renamed = post(server, [event | {"event_name": "QualifiedLead"}])
        assert renamed.status_code == 200
        server.conversions_now = NOW + timedelta(
            hours=49
        )  # past the de-dup window, still in 7 days
        post(server, [event])
        accepted = [(r["event_id"], r["destination"]) for r in server.accepted_conversions]

    assert accepted == [
        ("opportunity:hubspot:1", "Opportunity"),
        ("opportunity:hubspot:1", "QualifiedLead"),  # the key is event_name and event_id
        ("opportunity:hubspot:1", "Opportunity"),
    ]
