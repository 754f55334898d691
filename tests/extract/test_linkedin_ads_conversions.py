"""LinkedIn offline conversions: the uploader against the stand-in's Conversions API over HTTP."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from extract.base import SourceError
from extract.linkedin_ads import MANIFEST, LinkedInAdsSettings
from extract.linkedin_ads.conversions import LinkedInConversionUploader, build_uploader
from sandbox import Faults, World
from sandbox.conversion_destinations import LINKEDIN_CONVERSION_RULES
from sandbox.faults import Fault
from sandbox.linkedin_ads_data import PaidClick
from sandbox.linkedin_ads_server import LinkedInAdsServer
from thinline.conversions.model import Conversion, Status

VERSION = "202603"  # live on the API day below (released 2026-03-01)
EMAIL = "Jane.Doe@Example.com"
EMAIL_SHA256 = hashlib.sha256(EMAIL.strip().lower().encode()).hexdigest()
RULE = str(LINKEDIN_CONVERSION_RULES["closed_won"])


def api_day(world: World) -> date:
    """Three days after the world's last LinkedIn click: the stand-in's "now"."""
    return max(click.day for click in world.linkedin_ads.paid_clicks) + timedelta(days=3)


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


@contextmanager
def stand_in(world: World, **server_args: Any) -> Iterator[LinkedInAdsServer]:
    with LinkedInAdsServer(
        world, api_today=api_day(world), conversions_today=api_day(world), **server_args
    ) as server:
        yield server


def settings_for(server: LinkedInAdsServer, **overrides: Any) -> LinkedInAdsSettings:
    env = {k.split("__", 1)[1].lower(): v for k, v in server.env().items()}
    fields = {"linkedin_version": VERSION, "upload_conversions": True, **overrides}
    return LinkedInAdsSettings(**{**env, **fields})


def uploader(server: LinkedInAdsServer, sleeps: Any, **overrides: Any) -> Any:
    return build_uploader(settings_for(server, **overrides), sleep=sleeps)


def recent_clicks(world: World, count: int) -> list[PaidClick]:
    """Clicks from the last weeks before the API day, oldest first."""
    first = api_day(world) - timedelta(days=40)
    clicks = sorted(
        (c for c in world.linkedin_ads.paid_clicks if c.day >= first), key=lambda c: c.at_ms
    )
    assert len(clicks) >= count
    return clicks[:count]


def conversion(
    click: PaidClick,
    *,
    kind: str = "closed_won",
    after: timedelta = timedelta(days=2),
    value: Decimal | None = Decimal("1500.50"),
    currency: str | None = "USD",
    email: str | None = EMAIL_SHA256,
    event_id: str | None = None,
    destination: str | None = None,
) -> Conversion:
    clicked = datetime.fromtimestamp(click.at_ms / 1000, tz=UTC)
    return Conversion(
        event_id=event_id or f"{kind}:hubspot:{click.click_id[:8]}:linkedin_ads",
        conversion_id=f"{kind}:hubspot:{click.click_id[:8]}",
        conversion_type=kind,
        platform="linkedin_ads",
        account_id=str(click.account_id),
        destination=destination or str(LINKEDIN_CONVERSION_RULES[kind]),
        occurred_at=clicked + after,
        click_id=click.click_id,
        clicked_at=clicked,
        email_sha256=email,
        value=value,
        currency=currency if value is not None else None,
    )


def by_event(outcomes: list[Any]) -> dict[str, Any]:
    return {outcome.event_id: outcome for outcome in outcomes}


def test_the_manifest_names_the_uploader(world, sleeps) -> None:
    assert MANIFEST.conversion_uploader == "extract.linkedin_ads.conversions:build_uploader"
    assert LinkedInAdsSettings().upload_conversions is False  # off unless set
    with stand_in(world) as server:
        built = uploader(server, sleeps)
    assert isinstance(built, LinkedInConversionUploader)
    assert built.platform == "linkedin_ads" and built.batch_size == 5_000


def test_accepted_events_carry_value_currency_and_epoch_ms(world, sleeps) -> None:
    clicks = recent_clicks(world, 3)
    sent = [
        conversion(clicks[0]),
        conversion(clicks[1], kind="sql", value=None, email=None),
        conversion(clicks[2], kind="opportunity", value=Decimal("1E+3"), currency="EUR"),
    ]
    with stand_in(world) as server:
        outcomes = uploader(server, sleeps).upload(sent[0].account_id, sent)
        bodies = list(server.conversion_bodies)
        accepted = list(server.accepted_conversions)
        posts = [r for r in server.requests if r.path == "/rest/conversionEvents"]
    assert [o.status for o in outcomes] == [Status.ACCEPTED] * 3
    assert all(o.response == {"status": 201} for o in outcomes)
    assert len(posts) == 1 and len(bodies) == 1  # one BATCH_CREATE for the three
    elements = json.loads(bodies[0])["elements"]
    assert elements[0] == {
        "conversion": f"urn:lla:llaPartnerConversion:{RULE}",
        "conversionHappenedAt": clicks[0].at_ms + 2 * 86_400_000,
        "eventId": sent[0].event_id,
        "user": {
            "userIds": [
                {"idType": "SHA256_EMAIL", "idValue": EMAIL_SHA256},
                {"idType": "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", "idValue": clicks[0].click_id},
            ]
        },
        "conversionValue": {"currencyCode": "USD", "amount": "1500.50"},
    }
    assert "conversionValue" not in elements[1]  # no value: no conversionValue at all
    assert elements[1]["user"]["userIds"] == [
        {"idType": "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", "idValue": clicks[1].click_id}
    ]
    assert elements[2]["conversionValue"] == {"currencyCode": "EUR", "amount": "1000"}
    assert accepted == [
        {
            "event_id": c.event_id,
            "destination": c.destination,
            "click_id": c.click_id,
            "value": c.value,
            "currency": c.currency,
        }
        for c in sent
    ]
    assert sleeps == []


def test_a_repeated_event_id_is_accepted_and_counted_once(world, sleeps) -> None:
    clicks = recent_clicks(world, 2)
    first = [conversion(clicks[0]), conversion(clicks[1])]
    with stand_in(world) as server:
        upload = uploader(server, sleeps).upload
        assert [o.status for o in upload(first[0].account_id, first)] == [Status.ACCEPTED] * 2
        again = upload(first[0].account_id, [first[1], conversion(clicks[1], kind="sql")])
        twice_in_one = upload(first[0].account_id, [conversion(clicks[0], kind="sql")] * 2)
        accepted = [a["event_id"] for a in server.accepted_conversions]
    assert [o.status for o in again] == [Status.ACCEPTED] * 2
    assert [o.status for o in twice_in_one] == [Status.ACCEPTED] * 2
    # LinkedIn de-duplicates by eventId (per rule): each event is counted once.
    sql = [conversion(clicks[1], kind="sql").event_id, conversion(clicks[0], kind="sql").event_id]
    assert accepted == [first[0].event_id, first[1].event_id, *sql]


def test_refused_events_are_rejected_with_linkedins_message(world, sleeps) -> None:
    click = recent_clicks(world, 2)
    today = api_day(world)
    good = conversion(click[0])
    # Sent anyway (the sender would have skipped them): the stand-in refuses each on its own.
    old = conversion(click[1], after=-timedelta(days=120), event_id="old")
    future = dataclasses.replace(
        conversion(click[1], event_id="future"), occurred_at=noon(today + timedelta(days=1))
    )
    with stand_in(world) as server:
        outcomes = by_event(uploader(server, sleeps).upload(good.account_id, [old, good, future]))
        accepted = [a["event_id"] for a in server.accepted_conversions]
    assert outcomes[good.event_id].status is Status.ACCEPTED
    for name, words in (("old", "more than 90 days in the past"), ("future", "in the future")):
        outcome = outcomes[name]
        assert outcome.status is Status.REJECTED, name
        assert outcome.message.startswith("ILLEGAL_ARGUMENT: conversionHappenedAt")
        assert words in outcome.message and outcome.response["status"] == 400
    assert accepted == [good.event_id]
    assert noon(today) - old.occurred_at > timedelta(days=90)


def test_a_transient_event_is_retried_later_and_the_rest_accepted(world, sleeps) -> None:
    clicks = recent_clicks(world, 3)
    sent = [conversion(c) for c in clicks]
    with stand_in(world) as server:
        server.transient_click_ids.add(clicks[1].click_id)
        upload = uploader(server, sleeps).upload
        first = by_event(upload(sent[0].account_id, sent))
        second = by_event(upload(sent[0].account_id, [sent[1]]))  # every time
        accepted = [a["event_id"] for a in server.accepted_conversions]
    assert first[sent[1].event_id].status is Status.RETRY
    assert first[sent[1].event_id].message == "INTERNAL_SERVER_ERROR: Internal Server Error"
    assert second[sent[1].event_id].status is Status.RETRY
    assert {first[c.event_id].status for c in (sent[0], sent[2])} == {Status.ACCEPTED}
    assert accepted == [sent[0].event_id, sent[2].event_id]


def test_a_request_that_stays_throttled_gives_every_event_retry(world, sleeps) -> None:
    sent = [conversion(c) for c in recent_clicks(world, 2)]
    with stand_in(world, faults=Faults(rate_limit=3, retry_after_seconds=0.5)) as server:
        outcomes = uploader(server, sleeps, max_retries=2).upload(sent[0].account_id, sent)
        assert server.faults_fired() == Counter({Fault.RATE_LIMIT: 3})
        assert server.accepted_conversions == []
        assert len(server.conversion_bodies) == 3  # faulted requests' bodies recorded too
    assert [o.status for o in outcomes] == [Status.RETRY] * 2
    assert "TOO_MANY_REQUESTS" in outcomes[0].message and "\n" not in outcomes[0].message
    assert sleeps == [0.5, 0.5]


def test_server_errors_are_retried_in_process(world, sleeps) -> None:
    sent = [conversion(c) for c in recent_clicks(world, 2)]
    with stand_in(world, faults=Faults(server_errors=2)) as server:
        outcomes = uploader(server, sleeps, backoff_seconds=0.25).upload(sent[0].account_id, sent)
        assert server.faults_fired() == Counter({Fault.SERVER_ERROR: 2})
        assert len(server.accepted_conversions) == 2
    assert [o.status for o in outcomes] == [Status.ACCEPTED] * 2
    assert sleeps == [0.25, 0.5]


def test_a_malformed_answer_is_resent_and_counted_once(world, sleeps) -> None:
    sent = [conversion(c) for c in recent_clicks(world, 2)]
    with stand_in(world, faults=Faults(malformed_pages=1)) as server:
        outcomes = uploader(server, sleeps).upload(sent[0].account_id, sent)
        assert server.faults_fired() == Counter({Fault.MALFORMED: 1})
        bodies, accepted = list(server.conversion_bodies), list(server.accepted_conversions)
    # The first answer was cut short after LinkedIn took the events: the resent batch is
    # de-duplicated by eventId, so nothing is counted twice.
    assert [o.status for o in outcomes] == [Status.ACCEPTED] * 2
    assert len(bodies) == 2 and bodies[0] == bodies[1]
    assert [a["event_id"] for a in accepted] == [c.event_id for c in sent]


def test_an_expired_token_is_refreshed_once(world, sleeps) -> None:
    sent = [conversion(c) for c in recent_clicks(world, 1)]
    with stand_in(world, faults=Faults(expired_tokens=1)) as server:
        outcomes = uploader(server, sleeps).upload(sent[0].account_id, sent)
        paths = [r.path for r in server.requests]
    assert [o.status for o in outcomes] == [Status.ACCEPTED]
    assert paths == ["/rest/conversionEvents", "/oauth/v2/accessToken", "/rest/conversionEvents"]


def test_the_daily_limit_gives_retry_without_waiting(world, sleeps) -> None:
    sent = [conversion(c) for c in recent_clicks(world, 1)]
    with stand_in(world, faults=Faults(daily_quota_exhausted=True)) as server:
        outcomes = uploader(server, sleeps).upload(sent[0].account_id, sent)
        assert len(server.requests) == 1
    assert [o.status for o in outcomes] == [Status.RETRY]
    assert "DAY limit" in outcomes[0].message and sleeps == []


def test_the_per_minute_limit_is_counted_by_the_stand_in(world, sleeps) -> None:
    sent = [conversion(c) for c in recent_clicks(world, 3)]
    with stand_in(world, conversion_requests_per_minute=2) as server:
        upload = uploader(server, sleeps, max_retries=1).upload
        statuses = [upload(c.account_id, [c])[0].status for c in sent]
        answered = [r.status for r in server.requests]
    assert statuses == [Status.ACCEPTED, Status.ACCEPTED, Status.RETRY]
    assert answered == [200, 200, 429, 429]  # the third refused, and again on its retry
    assert sleeps == [1.0]  # no Retry-After: the client's own backoff


def test_an_unknown_conversion_rule_raises(world, sleeps) -> None:
    click = recent_clicks(world, 1)[0]
    bad = conversion(click, destination="9199999")
    with stand_in(world) as server, pytest.raises(SourceError) as caught:
        uploader(server, sleeps).upload(bad.account_id, [bad])
    text = str(caught.value)
    assert text.startswith("linkedin_ads: 404 NOT_FOUND: Conversion rule")
    assert "9199999" in text and "conversion_map.csv" in text and "\n" not in text

    not_an_id = conversion(click, destination="Purchase")
    with stand_in(world) as server, pytest.raises(SourceError, match="conversion rule id"):
        uploader(server, sleeps).upload(not_an_id.account_id, [not_an_id])
    assert server.conversion_bodies == []  # refused before any request


def test_a_token_without_rw_conversions_raises(world, sleeps) -> None:
    sent = [conversion(recent_clicks(world, 1)[0])]
    with (
        stand_in(world, scopes=["r_ads", "r_ads_reporting"]) as server,
        pytest.raises(SourceError) as caught,
    ):
        uploader(server, sleeps).upload(sent[0].account_id, sent)
    text = str(caught.value)
    assert "403 ACCESS_DENIED: Not enough permissions to access: conversionEvents" in text
    assert "rw_conversions" in text and "THINLINE_LINKEDIN_ADS__ACCESS_TOKEN" in text


def test_a_sunset_version_raises(world, sleeps) -> None:
    sent = [conversion(recent_clicks(world, 1)[0])]
    with stand_in(world) as server, pytest.raises(SourceError, match="NONEXISTENT_VERSION"):
        uploader(server, sleeps, linkedin_version="202411").upload(sent[0].account_id, sent)


def test_no_request_body_holds_a_plain_email(world, sleeps) -> None:
    clicks = recent_clicks(world, 3)
    sent = [
        conversion(clicks[0]),
        conversion(clicks[1], email=EMAIL_SHA256.upper()),  # still a digest: sent lower-cased
        conversion(clicks[2], email=EMAIL),  # not a digest: never sent
    ]
    with stand_in(world, faults=Faults(server_errors=1)) as server:
        uploader(server, sleeps).upload(sent[0].account_id, sent)
        bodies = list(server.conversion_bodies)
    assert len(bodies) == 2
    for body in bodies:
        assert b"@" not in body and EMAIL.lower().encode() not in body.lower()
        assert b"firstName" not in body and b"userInfo" not in body
    elements = json.loads(bodies[-1])["elements"]
    assert [len(e["user"]["userIds"]) for e in elements] == [2, 2, 1]
    assert elements[1]["user"]["userIds"][0]["idValue"] == EMAIL_SHA256


HOUR = timedelta(hours=1)
# name -> (changes to a conversion 2 days after its click, its age at "now", the rules' window)
SKIPS: dict[str, tuple[dict[str, Any], timedelta, int]] = {
    "conversion is in the future": ({}, -HOUR, 90),
    "more than 90 days old": ({}, timedelta(days=90, seconds=1), 90),
    "value without an ISO 4217 currency": ({"currency": None}, HOUR, 90),
    "value without an ISO 4217 currency ": ({"currency": "usd"}, HOUR, 90),
    "negative value": ({"value": Decimal("-1")}, HOUR, 90),
    "longer than 64 characters": ({"event_id": "x" * 65}, HOUR, 90),
    "not a SHA-256 hex digest": ({"email_sha256": EMAIL}, HOUR, 90),
    "conversion before its click": ({"email_sha256": None, "after": -HOUR}, HOUR, 90),
    "post-click window": ({"email_sha256": None, "after": timedelta(days=31)}, HOUR, 30),
    "no li_fat_id and no hashed email": ({"email_sha256": None, "click_id": ""}, HOUR, 90),
}


@pytest.mark.parametrize("reason", list(SKIPS))
def test_skip_rules(world, sleeps, reason: str) -> None:
    changes, age, window = SKIPS[reason]
    click = recent_clicks(world, 1)[0]
    changes = dict(changes)
    item = conversion(click, after=changes.pop("after", timedelta(days=2)))
    item = dataclasses.replace(item, **changes)
    settings = LinkedInAdsSettings(post_click_window_days=window)
    skip = LinkedInConversionUploader(settings, sleep=sleeps).skip_reason
    assert reason.strip() in (skip(item, item.occurred_at + age) or "")


def test_the_windows_admit_what_linkedin_takes(world, sleeps) -> None:
    click = recent_clicks(world, 1)[0]
    clicked = datetime.fromtimestamp(click.at_ms / 1000, tz=UTC)
    skip = LinkedInConversionUploader(LinkedInAdsSettings(), sleep=sleeps).skip_reason
    now = clicked + timedelta(days=89)
    assert skip(conversion(click, after=timedelta(0)), now) is None  # 89 days old
    assert skip(conversion(click, after=timedelta(days=60), email=None), now) is None
    # with an email, LinkedIn matches the member: an old or odd click does not keep it out
    assert skip(conversion(click, after=-timedelta(hours=1)), now) is None
    assert skip(conversion(click, value=None), now) is None


# The stand-in on hand-made requests.


def post(server: LinkedInAdsServer, body: Any, **headers: str) -> httpx.Response:
    sent = {
        "Authorization": f"Bearer {server.credentials.access_token}",
        "LinkedIn-Version": VERSION,
        "X-Restli-Protocol-Version": "2.0.0",
        "X-RestLi-Method": "BATCH_CREATE",
        **headers,
    }
    sent = {name: value for name, value in sent.items() if value}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{server.url}/rest/conversionEvents", content=content, headers=sent)


def good_event(world: World, **fields: Any) -> dict[str, Any]:
    click = recent_clicks(world, 1)[0]
    event = {
        "conversion": f"urn:lla:llaPartnerConversion:{RULE}",
        "conversionHappenedAt": click.at_ms + 3_600_000,
        "conversionValue": {"currencyCode": "USD", "amount": "10.00"},
        "eventId": "hand-made",
        "user": {
            "userIds": [
                {"idType": "SHA256_EMAIL", "idValue": EMAIL_SHA256},
                {"idType": "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", "idValue": click.click_id},
            ]
        },
    }
    return {**event, **fields}


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"conversion": "urn:li:conversion:9100003"}, 400, "urn:lla:llaPartnerConversion:<id>"),
        ({"conversion": "urn:lla:llaPartnerConversion:1"}, 404, "does not exist"),
        ({"conversionHappenedAt": "2026-03-01T00:00:00Z"}, 400, "epoch milliseconds"),
        ({"conversionHappenedAt": 1_700_000_000}, 400, "more than 90 days"),  # seconds
        ({"conversionValue": {"amount": "10.00"}}, 400, "currencyCode"),
        ({"conversionValue": {"currencyCode": "USD", "amount": 10.0}}, 400, "decimal string"),
        ({"conversionValue": {"currencyCode": "USD", "amount": "1e3"}}, 400, "decimal string"),
        ({"eventId": "e" * 65}, 400, "eventId"),
        ({"user": None}, 400, "user is required"),
        ({"user": {"userIds": []}}, 400, "userInfo with firstName and lastName"),
        ({"user": {"userIds": [{"idType": "EMAIL", "idValue": "a@b.c"}]}}, 400, "idType"),
        (
            {"user": {"userIds": [{"idType": "SHA256_EMAIL", "idValue": EMAIL}]}},
            400,
            "SHA-256 hex digest",
        ),
        (
            {"user": {"userIds": [{"idType": "SHA256_EMAIL", "idValue": EMAIL_SHA256.upper()}]}},
            400,
            "64 lower-case hex",
        ),
    ],
)
def test_the_stand_in_refuses_a_bad_element_alone(
    world, fields: dict[str, Any], status: int, words: str
) -> None:
    with stand_in(world) as server:
        answer = post(server, {"elements": [good_event(world, **fields), good_event(world)]})
        accepted = list(server.accepted_conversions)
    assert answer.status_code == 200
    bad, good = answer.json()["elements"]
    assert bad["status"] == status and bad["error"]["status"] == status
    assert words in bad["error"]["message"]
    assert good == {"status": 201}
    assert [a["event_id"] for a in accepted] == ["hand-made"]


def test_the_stand_in_takes_a_named_user_without_ids(world) -> None:
    user = {"userInfo": {"firstName": "Jane", "lastName": "Doe"}}
    with stand_in(world) as server:
        answer = post(server, good_event(world, user=user), **{"X-RestLi-Method": ""})
        assert server.accepted_conversions[0]["click_id"] is None
    assert answer.status_code == 201 and answer.content == b""  # a single create


@pytest.mark.parametrize(
    ("body", "headers", "status", "words"),
    [
        (b"{not json", {}, 400, "not valid JSON"),
        ({"elements": []}, {}, 400, "non-empty elements"),
        ({"elements": [{}]}, {"X-RestLi-Method": ""}, 400, "needs X-RestLi-Method"),
        ({"elements": [{}]}, {"X-RestLi-Method": "BATCH_UPDATE"}, 400, "Unsupported"),
        ({"elements": [{}]}, {"LinkedIn-Version": ""}, 400, "version must be present"),
        ({"elements": [{}]}, {"LinkedIn-Version": "202411"}, 426, "is not active"),
        ({"elements": [{}]}, {"X-Restli-Protocol-Version": ""}, 400, "2.0.0"),
        ({"elements": [{}]}, {"Authorization": "Bearer nope"}, 401, "Invalid access token"),
    ],
)
def test_the_stand_in_refuses_a_bad_request_whole(
    world, body: Any, headers: dict[str, str], status: int, words: str
) -> None:
    with stand_in(world) as server:
        answer = post(server, body, **headers)
        assert server.accepted_conversions == []
        assert len(server.conversion_bodies) == 1
    assert answer.status_code == status
    assert answer.json()["status"] == status and words in answer.json()["message"]


def test_the_stand_in_refuses_a_batch_over_5000(world) -> None:
    with stand_in(world) as server:
        answer = post(server, {"elements": [good_event(world)] * 5_001})
        assert server.accepted_conversions == []
    assert answer.status_code == 400 and "exceeds the limit of 5000" in answer.json()["message"]
