"""Google Ads offline click conversions: the uploader against the stand-in over real HTTP."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from extract.base import SourceError
from extract.google_ads import MANIFEST, GoogleAdsSettings
from extract.google_ads.conversions import GoogleAdsUploader, build_uploader
from sandbox.faults import Fault, Faults
from sandbox.google_ads_data import PaidClick
from sandbox.google_ads_server import GoogleAdsServer
from tests.extract.test_google_ads_connector import server_settings
from thinline.conversions.model import Conversion, Status

EMAIL = "Dana.Buyer@example.com"
EMAIL_SHA256 = hashlib.sha256(EMAIL.strip().lower().encode()).hexdigest()
CLOSED_WON, SQL = "7003", "7001"  # sandbox/conversion_destinations.py
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\+00:00")
UNKNOWN_GCLID = "Cj0KCQiA" + "x" * 40 + "_BwE"


def settings_for(server: GoogleAdsServer, **overrides: Any) -> GoogleAdsSettings:
    """The connector tests' settings for the stand-in, with uploads on."""
    return server_settings(server, upload_conversions=True, **overrides)


def clicked_at(click: PaidClick) -> datetime:
    return datetime.fromtimestamp(click.at_ms / 1000, tz=UTC)


def clicks_between(server: GoogleAdsServer, youngest: timedelta, oldest: timedelta) -> list[Any]:
    """The world's clicks aged between ``youngest`` and ``oldest`` at the stand-in's now."""
    now = server.conversions.now
    return [c for c in server.data.paid_clicks if youngest <= now - clicked_at(c) <= oldest]


def conversion(
    click: PaidClick, *, event: str = "1", after: timedelta = timedelta(days=1), **changes: Any
) -> Conversion:
    fields: dict[str, Any] = {
        "event_id": f"cw-{event}-{click.gclid[-12:]}",
        "conversion_id": f"closed_won:hubspot:{event}",
        "conversion_type": "closed_won",
        "platform": "google_ads",
        "account_id": str(click.customer_id),
        "destination": CLOSED_WON,
        "occurred_at": clicked_at(click) + after,
        "click_id": click.gclid,
        "clicked_at": clicked_at(click),
        "email_sha256": EMAIL_SHA256,
        "value": Decimal("1234.50"),
        "currency": "EUR",
    }
    return Conversion(**{**fields, **changes})


def by_event(outcomes: list[Any]) -> dict[str, Any]:
    return {outcome.event_id: outcome for outcome in outcomes}


@pytest.fixture
def server(world) -> Any:
    with GoogleAdsServer(world) as running:
        yield running


@pytest.fixture
def recent(server) -> list[PaidClick]:
    """Clicks Google takes a conversion for: over 6 hours old, well inside 90 days."""
    clicks = clicks_between(server, timedelta(days=3), timedelta(days=60))
    assert len(clicks) >= 6
    return clicks


def test_manifest_names_the_uploader() -> None:
    assert MANIFEST.conversion_uploader == "extract.google_ads.conversions:build_uploader"
    assert GoogleAdsSettings().upload_conversions is False


def test_accepted_rows_carry_value_currency_and_googles_time_format(server, recent, sleeps) -> None:
    uploader = build_uploader(settings_for(server), sleep=sleeps)
    first, second = (
        recent[0],
        next(
            c
            for c in recent
            if c.customer_id == recent[0].customer_id and c.gclid != recent[0].gclid
        ),
    )
    sent = [
        conversion(first, event="a"),
        conversion(second, event="b", destination=SQL, value=None, currency=None),
    ]
    outcomes = by_event(uploader.upload(str(first.customer_id), sent))

    assert {o.status for o in outcomes.values()} == {Status.ACCEPTED}
    assert outcomes[sent[0].event_id].response["result"]["gclid"] == first.gclid
    accepted = sorted(server.accepted_conversions, key=lambda row: row["event_id"])
    assert [
        (row["event_id"], row["destination"], row["click_id"], row["value"], row["currency"])
        for row in accepted
    ] == [
        (sent[0].event_id, CLOSED_WON, first.gclid, Decimal("1234.5"), "EUR"),
        (sent[1].event_id, SQL, second.gclid, None, None),
    ]
    (body,) = [json.loads(raw) for raw in server.conversion_bodies]
    assert body["partialFailure"] is True
    row = body["conversions"][0]
    assert row["conversionAction"] == f"customers/{first.customer_id}/conversionActions/7003"
    assert DATE_TIME.fullmatch(row["conversionDateTime"])
    assert row["conversionDateTime"] == (clicked_at(first) + timedelta(days=1)).strftime(
        "%Y-%m-%d %H:%M:%S+00:00"
    )
    assert row["orderId"] == sent[0].event_id
    assert row == uploader.payload(sent[0])
    assert "conversionValue" not in body["conversions"][1]
    assert sleeps == []


def test_no_request_body_holds_an_email(server, recent, sleeps) -> None:
    uploader = build_uploader(settings_for(server), sleep=sleeps)
    sent = [conversion(click, event=str(n)) for n, click in enumerate(recent[:5])]
    for click_account in {c.account_id for c in sent}:
        uploader.upload(click_account, [c for c in sent if c.account_id == click_account])
    assert server.conversion_bodies
    for raw in server.conversion_bodies:
        text = raw.decode()
        assert EMAIL.lower() not in text.lower() and "@" not in text
        assert EMAIL_SHA256 not in text  # the gclid alone: no user identifiers at all


def test_a_resent_conversion_is_known_by_its_order_id(server, recent, sleeps) -> None:
    uploader = build_uploader(settings_for(server), sleep=sleeps)
    once = conversion(recent[0])
    assert uploader.upload(once.account_id, [once])[0].status is Status.ACCEPTED
    (again,) = uploader.upload(once.account_id, [once])

    assert again.status is Status.ACCEPTED  # Google holds it already: sent before
    assert again.message.startswith("conversionUploadError.ORDER_ID_ALREADY_IN_USE: ")
    assert len(server.accepted_conversions) == 1
    # the same event twice in one call is sent once (Google: DUPLICATE_ORDER_ID for both)
    other = conversion(recent[1], event="twice")
    outcomes = uploader.upload(other.account_id, [other, other])
    assert [o.status for o in outcomes] == [Status.ACCEPTED]
    assert len(json.loads(server.conversion_bodies[-1])["conversions"]) == 1


def test_per_row_refusals_are_rejected_in_googles_words(world, sleeps) -> None:
    # twenty days after the world's as-of day: its first days' clicks are over 90 days old
    with GoogleAdsServer(world, conversions_now=datetime(2026, 4, 21, tzinfo=UTC)) as server:
        old = clicks_between(server, timedelta(days=91), timedelta(days=400))[0]
        good = next(
            c
            for c in clicks_between(server, timedelta(days=3), timedelta(days=60))
            if c.customer_id == old.customer_id
        )
        stranger = next(c for c in server.data.paid_clicks if c.customer_id != good.customer_id)
        account = str(good.customer_id)
        sent = {
            "good": conversion(good, event="good"),
            "unknown": conversion(good, event="unknown", click_id=UNKNOWN_GCLID),
            "early": conversion(good, event="early", after=-timedelta(hours=1)),
            "old": conversion(old, event="old"),
            "stranger": conversion(stranger, event="stranger", account_id=account),
            "garbled": conversion(good, event="garbled", click_id="not a gclid!"),
        }
        uploader = build_uploader(settings_for(server), sleep=sleeps)
        outcomes = by_event(uploader.upload(account, list(sent.values())))
        accepted = [row["event_id"] for row in server.accepted_conversions]

    def said(name: str) -> str:
        outcome = outcomes[sent[name].event_id]
        assert outcome.status is Status.REJECTED, name
        return outcome.message or ""

    assert outcomes[sent["good"].event_id].status is Status.ACCEPTED
    assert said("unknown").startswith("conversionUploadError.EVENT_NOT_FOUND: The imported event")
    assert said("early").startswith("conversionUploadError.CONVERSION_PRECEDES_EVENT: ")
    assert said("old").startswith("conversionUploadError.EXPIRED_EVENT: ")
    assert said("stranger").startswith("conversionUploadError.INVALID_CUSTOMER_FOR_CLICK: ")
    assert said("garbled") == (
        "conversionUploadError.UNPARSEABLE_GCLID: The imported gclid could not be decoded."
    )
    located = outcomes[sent["unknown"].event_id].response["errors"][0]["location"]
    assert located["fieldPathElements"][0] == {"fieldName": "conversions", "index": 1}
    assert accepted == [sent["good"].event_id]


def test_transient_row_errors_and_too_recent_clicks_are_retried(world, sleeps) -> None:
    with GoogleAdsServer(world) as probe:
        click = clicks_between(probe, timedelta(days=3), timedelta(days=60))[0]
    moment = clicked_at(click)
    # the stand-in's now two hours after the click: Google takes no conversion for it yet
    with GoogleAdsServer(world, conversions_now=moment + timedelta(hours=2)) as server:
        uploader = build_uploader(settings_for(server), sleep=sleeps)
        young = conversion(click, after=timedelta(hours=1))
        (outcome,) = uploader.upload(young.account_id, [young])
        assert outcome.status is Status.RETRY
        assert outcome.message.startswith("conversionUploadError.TOO_RECENT_EVENT: ")
    with GoogleAdsServer(world) as server:
        recent = clicks_between(server, timedelta(days=3), timedelta(days=60))
        same = [c for c in recent if c.customer_id == recent[0].customer_id][:2]
        server.transient_click_ids.add(same[0].gclid)
        uploader = build_uploader(settings_for(server), sleep=sleeps)
        sent = [conversion(c, event=str(n)) for n, c in enumerate(same)]
        for _ in range(2):  # every time, not once
            outcomes = by_event(uploader.upload(sent[0].account_id, sent[:1]))
            failing = outcomes[sent[0].event_id]
            assert failing.status is Status.RETRY
            assert (
                failing.message == "internalError.INTERNAL_ERROR: An internal error has occurred."
            )
        assert uploader.upload(sent[1].account_id, sent[1:])[0].status is Status.ACCEPTED
    assert sleeps == []  # per-row failures are answered at once, not retried in-process


def test_a_whole_request_failing_transiently_retries_every_row(world, sleeps) -> None:
    faults = Faults(server_errors=10)
    with GoogleAdsServer(world, faults=faults) as server:
        recent = clicks_between(server, timedelta(days=3), timedelta(days=60))
        sent = [conversion(c, event=str(n)) for n, c in enumerate(recent[:3])]
        sent = [c for c in sent if c.account_id == sent[0].account_id]
        uploader = build_uploader(settings_for(server, max_retries=2), sleep=sleeps)
        outcomes = uploader.upload(sent[0].account_id, sent)
        assert server.faults_fired()[Fault.SERVER_ERROR] == 3
    assert {o.status for o in outcomes} == {Status.RETRY}
    assert len(outcomes) == len(sent)
    assert "gave up after 3 tries" in (outcomes[0].message or "")
    assert len(sleeps) == 2


def test_an_upload_whose_answer_was_lost_is_accepted_on_the_retry(world, sleeps) -> None:
    # Google took the rows but the answer came back truncated: the client's retry meets
    # ORDER_ID_ALREADY_IN_USE, which means the conversion is in Google Ads
    with GoogleAdsServer(world, faults=Faults(malformed_pages=1)) as server:
        click = clicks_between(server, timedelta(days=3), timedelta(days=60))[0]
        uploader = build_uploader(settings_for(server), sleep=sleeps)
        (outcome,) = uploader.upload(str(click.customer_id), [conversion(click)])
        assert server.faults_fired()[Fault.MALFORMED] == 1
        assert len(server.conversion_bodies) == 2
        assert len(server.accepted_conversions) == 1
    assert outcome.status is Status.ACCEPTED
    assert "ORDER_ID_ALREADY_IN_USE" in (outcome.message or "")
    assert len(sleeps) == 1


def test_rate_limits_are_waited_out(world, sleeps) -> None:
    with GoogleAdsServer(world, faults=Faults(rate_limit=2, retry_after_seconds=7)) as server:
        click = clicks_between(server, timedelta(days=3), timedelta(days=60))[0]
        uploader = build_uploader(settings_for(server), sleep=sleeps)
        (outcome,) = uploader.upload(str(click.customer_id), [conversion(click)])
        assert server.faults_fired()[Fault.RATE_LIMIT] == 2
    assert outcome.status is Status.ACCEPTED
    assert sleeps == [7.0, 7.0]


def test_an_unknown_conversion_action_is_a_setting_to_fix(server, recent, sleeps) -> None:
    uploader = build_uploader(settings_for(server), sleep=sleeps)
    wrong = conversion(recent[0], destination="7999")
    with pytest.raises(SourceError) as caught:
        uploader.upload(wrong.account_id, [conversion(recent[0], event="ok"), wrong])
    message = str(caught.value)
    assert "\n" not in message
    assert "conversionUploadError.NO_CONVERSION_ACTION_FOUND" in message
    assert "conversion action 7999" in message and "conversion_map.csv" in message
    with pytest.raises(SourceError, match="not a conversion action id"):
        uploader.upload(wrong.account_id, [conversion(recent[0], destination="Purchase")])


def test_an_account_google_refuses_is_a_setting_to_fix(server, recent, sleeps) -> None:
    uploader = build_uploader(settings_for(server), sleep=sleeps)
    with pytest.raises(SourceError, match=r"USER_PERMISSION_DENIED.*CUSTOMER_IDS"):
        uploader.upload("1234567890", [conversion(recent[0], account_id="1234567890")])
    refused = build_uploader(settings_for(server, refresh_token="1//0revoked"), sleep=sleeps)
    with pytest.raises(SourceError, match=r"invalid_grant.*REFRESH_TOKEN"):
        refused.upload(str(recent[0].customer_id), [conversion(recent[0])])
    assert not server.accepted_conversions


def test_the_manager_uploads_for_its_clients_when_it_owns_the_actions(
    server, recent, sleeps
) -> None:
    manager = str(server.data.manager.customer_id)
    uploader = build_uploader(settings_for(server, conversion_customer_id=manager), sleep=sleeps)
    sent = conversion(recent[0])
    (outcome,) = uploader.upload(sent.account_id, [sent])
    assert outcome.status is Status.ACCEPTED
    assert uploader.payload(sent)["conversionAction"].startswith(f"customers/{manager}/")
    assert server.requests[-1].path.endswith(f"/customers/{manager}:uploadClickConversions")


def test_more_than_one_request_worth_is_split_at_2000(server, recent, sleeps) -> None:
    uploader = build_uploader(settings_for(server), sleep=sleeps)
    click = recent[0]
    sent = [conversion(click, event=str(n), click_id=UNKNOWN_GCLID) for n in range(2001)]
    outcomes = uploader.upload(str(click.customer_id), sent)
    assert len(outcomes) == 2001 and {o.status for o in outcomes} == {Status.REJECTED}
    sizes = [len(json.loads(raw)["conversions"]) for raw in server.conversion_bodies]
    assert sizes == [2000, 1]


NOW = datetime(2026, 4, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("clicked_days_ago", "occurred_days_ago", "value", "currency", "reason"),
    [
        (10, 5, Decimal("10"), "EUR", None),
        (10, 5, None, None, None),
        (0.1, 0.05, None, None, None),  # under 6 hours: sent, and retried on TOO_RECENT_EVENT
        (5, 10, None, None, "precedes its click"),
        (5, -1, None, None, "in the future"),
        (91, 2, None, None, "older than the 90-day click-through window"),
        (10, 5, Decimal("10"), None, "a value without a currency"),
    ],
)
def test_skip_rules_follow_googles_windows(
    clicked_days_ago: float,
    occurred_days_ago: float,
    value: Decimal | None,
    currency: str | None,
    reason: str | None,
) -> None:
    uploader = GoogleAdsUploader(GoogleAdsSettings())
    click = PaidClick(UNKNOWN_GCLID, 1, 1, 1, 1, NOW.date(), 0)
    candidate = conversion(
        click,
        clicked_at=NOW - timedelta(days=clicked_days_ago),
        occurred_at=NOW - timedelta(days=occurred_days_ago),
        value=value,
        currency=currency,
    )
    said = uploader.skip_reason(candidate, NOW)
    assert (said is None) if reason is None else (reason in (said or ""))


def test_skip_rules_use_the_actions_click_through_window() -> None:
    uploader = GoogleAdsUploader(GoogleAdsSettings(conversion_click_window_days=30))
    click = PaidClick(UNKNOWN_GCLID, 1, 1, 1, 1, NOW.date(), 0)
    late = conversion(click, clicked_at=NOW - timedelta(days=40), occurred_at=NOW)
    assert "30-day click-through window" in (uploader.skip_reason(late, NOW) or "")
    slow = conversion(
        click, clicked_at=NOW - timedelta(days=29), occurred_at=NOW - timedelta(days=1)
    )
    assert uploader.skip_reason(slow, NOW) is None
    no_click = conversion(click, click_id="", clicked_at=NOW - timedelta(days=2), occurred_at=NOW)
    assert "no gclid" in (uploader.skip_reason(no_click, NOW) or "")


# The stand-in's own validation, on hand-made requests.


def token(server: GoogleAdsServer) -> dict[str, str]:
    credentials = server.credentials
    answer = httpx.post(
        f"{server.url}/token",
        data={
            "grant_type": "refresh_token",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "refresh_token": credentials.refresh_token,
        },
    ).json()
    return {
        "Authorization": f"Bearer {answer['access_token']}",
        "login-customer-id": str(server.data.manager.customer_id),
    }


def post(server: GoogleAdsServer, customer_id: int, body: Any) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(
        f"{server.url}/{server.newest_version}/customers/{customer_id}:uploadClickConversions",
        content=content,
        headers={**token(server), "content-type": "application/json"},
    )


def row(click: PaidClick, **changes: Any) -> dict[str, Any]:
    base = {
        "gclid": click.gclid,
        "conversionAction": f"customers/{click.customer_id}/conversionActions/7003",
        "conversionDateTime": (clicked_at(click) + timedelta(days=1)).strftime(
            "%Y-%m-%d %H:%M:%S+00:00"
        ),
        "orderId": f"order-{click.gclid[-6:]}",
    }
    return {**base, **changes}


def errors_of(answer: dict[str, Any]) -> list[tuple[int, str, str]]:
    """(row index, ``category.CODE``, field) of each error in ``partialFailureError``."""
    found = []
    for detail in answer["partialFailureError"]["details"]:
        for error in detail["errors"]:
            path = error["location"]["fieldPathElements"]
            ((category, code),) = error["errorCode"].items()
            field = path[1]["fieldName"] if len(path) > 1 else ""
            found.append((path[0]["index"], f"{category}.{code}", field))
    return found


def test_stand_in_refuses_malformed_rows_one_by_one(server, recent) -> None:
    click = recent[0]
    rows = [
        row(click),
        row(click, conversionDateTime="2026-03-01T10:00:00Z", orderId="o-1"),
        row(click, gclid="short", orderId="o-2"),
        row(click, orderId="o-3", userIdentifiers=[{"hashedEmail": EMAIL}]),
        row(click, orderId="o-4", userIdentifiers=[{"hashedEmail": EMAIL_SHA256.upper()}]),
        row(click, orderId="o-5", userIdentifiers=[{"addressInfo": {"city": "Berlin"}}]),
        row(click, orderId="o-6", conversionAction="customers/1/conversionActions/42"),
        row(click, orderId="dup"),
        row(click, orderId="dup"),
        row(click, orderId="o-7", conversionValue=12.5, currencyCode="euro"),
        row(click, orderId="o-8", userIdentifiers=[{"hashedEmail": EMAIL_SHA256}]),
    ]
    response = post(server, click.customer_id, {"conversions": rows, "partialFailure": True})
    assert response.status_code == 200
    answer = response.json()
    assert errors_of(answer) == [
        (1, "dateError.INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET", "conversion_date_time"),
        (2, "conversionUploadError.UNPARSEABLE_GCLID", "gclid"),
        (3, "conversionUploadError.INVALID_USER_IDENTIFIER", "user_identifiers"),
        (4, "conversionUploadError.INVALID_USER_IDENTIFIER", "user_identifiers"),
        (5, "conversionUploadError.UNSUPPORTED_USER_IDENTIFIER", "user_identifiers"),
        (6, "conversionUploadError.NO_CONVERSION_ACTION_FOUND", "conversion_action"),
        (7, "conversionUploadError.DUPLICATE_ORDER_ID", "order_id"),
        (8, "conversionUploadError.DUPLICATE_ORDER_ID", "order_id"),
        (9, "currencyCodeError.UNSUPPORTED", "currency_code"),
    ]
    assert answer["partialFailureError"]["message"].startswith(
        "Multiple errors in \u2018details\u2019. First error: The string date time's format "
        "should be yyyy-mm-dd hh:mm:ss+|-hh:mm., at conversions[1].conversion_date_time"
    )
    results = answer["results"]
    assert results[1] == {} and results[0]["gclid"] == click.gclid
    assert results[10]["conversionDateTime"] == rows[10]["conversionDateTime"]
    assert int(answer["jobId"]) >= 2**31
    assert len(server.accepted_conversions) == 2  # rows 0 and 10 (same click, own order ids)
    assert server.conversion_bodies == [
        json.dumps({"conversions": rows, "partialFailure": True}).encode()
    ]


def test_stand_in_refuses_whole_requests(server, recent) -> None:
    click = recent[0]
    no_partial = post(server, click.customer_id, {"conversions": [row(click)]})
    assert no_partial.status_code == 400
    error = no_partial.json()["error"]  # a unary method: an object, not searchStream's array
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["details"][0]["errors"][0]["errorCode"] == {"fieldError": "REQUIRED"}

    many = post(
        server,
        click.customer_id,
        {"conversions": [row(click, orderId=str(n)) for n in range(2001)], "partialFailure": True},
    )
    assert many.status_code == 400
    assert many.json()["error"]["details"][0]["errors"][0]["errorCode"] == {
        "conversionUploadError": "TOO_MANY_CONVERSIONS_IN_REQUEST"
    }
    job = post(
        server,
        click.customer_id,
        {"conversions": [row(click)], "partialFailure": True, "jobId": 2**31},
    )
    assert job.json()["error"]["details"][0]["errors"][0]["errorCode"] == {
        "conversionUploadError": "INVALID_JOB_ID"
    }
    garbled = post(server, click.customer_id, b'{"conversions": [')
    assert garbled.status_code == 400 and "details" not in garbled.json()["error"]
    stranger = post(server, 1234567890, {"conversions": [row(click)], "partialFailure": True})
    assert stranger.status_code == 403
    assert not server.accepted_conversions


def test_stand_in_validate_only_takes_nothing_and_job_ids_echo(server, recent) -> None:
    click = recent[0]
    checked = post(
        server,
        click.customer_id,
        {"conversions": [row(click)], "partialFailure": True, "validateOnly": True, "jobId": 7},
    ).json()
    assert checked == {"jobId": "7"}
    assert not server.accepted_conversions
    taken = post(server, click.customer_id, {"conversions": [row(click)], "partialFailure": True})
    assert taken.json()["results"][0]["gclid"] == click.gclid
    without_order = row(click)
    del without_order["orderId"]
    twice = post(
        server,
        click.customer_id,
        {"conversions": [without_order, without_order], "partialFailure": True},
    ).json()
    assert [code for _, code, _ in errors_of(twice)] == [
        "conversionUploadError.DUPLICATE_CLICK_CONVERSION_IN_REQUEST"
    ] * 2
    post(server, click.customer_id, {"conversions": [without_order], "partialFailure": True})
    again = post(
        server, click.customer_id, {"conversions": [without_order], "partialFailure": True}
    ).json()
    assert [code for _, code, _ in errors_of(again)] == [
        "conversionUploadError.CLICK_CONVERSION_ALREADY_EXISTS"
    ]


def test_faults_reach_the_upload_as_a_unary_error(world) -> None:
    with GoogleAdsServer(world, faults=Faults(rate_limit=1)) as server:
        click = clicks_between(server, timedelta(days=3), timedelta(days=60))[0]
        limited = post(
            server, click.customer_id, {"conversions": [row(click)], "partialFailure": True}
        )
        assert limited.status_code == 429
        assert limited.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
        assert server.faults_fired()[Fault.RATE_LIMIT] == 1
        assert not server.conversion_bodies  # the fault answered before Google read it
