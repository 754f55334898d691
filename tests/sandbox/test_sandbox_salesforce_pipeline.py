"""The org's pipeline over time: planted close date pushes and pulls, amount revisions,
forecast overrides and owner changes, their OpportunityHistory and OpportunityFieldHistory
rows, the ``pipeline_as_of`` truth and the stand-in serving the field history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from sandbox import DemoSources, World
from sandbox.salesforce_data import FORECAST_NAMES, OPEN_STAGES, SObject, Timeline

VERSION = "v62.0"
TRACKED = ("StageName", "Amount", "CloseDate", "Probability", "ForecastCategoryName")
DEFAULT_CATEGORY = {name: FORECAST_NAMES[category] for name, _, category in OPEN_STAGES}


def day_of(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).date()


def histories(world: World, sobject: str) -> dict[str, list[SObject]]:
    rows: dict[str, list[SObject]] = {}
    for row in sorted(world.salesforce.of(sobject), key=lambda r: (r.created_ms, r.record_id)):
        rows.setdefault(row.fields["OpportunityId"], []).append(row)
    return rows


def revisions(world: World, name: str) -> list[tuple[Timeline, int, dict[str, Any]]]:
    """(opportunity, moment, change) of every change of ``name`` that is no stage move."""
    return [
        (timeline, at_ms, changes)
        for timeline in world.salesforce.timelines.values()
        for at_ms, changes in timeline.events
        if name in changes and "StageName" not in changes and at_ms < world.config.as_of_ms
    ]


def in_pipeline(world: World, day: date, opportunity_id: str) -> dict[str, Any] | None:
    rows = [
        r for r in world.salesforce.pipeline_as_of(day) if r["opportunity_id"] == opportunity_id
    ]
    return rows[0] if rows else None


def test_a_pushed_close_date_shows_in_the_pipeline_from_its_day(world: World) -> None:
    rows = histories(world, "OpportunityHistory")
    checked = 0
    for timeline, at_ms, change in revisions(world, "CloseDate"):
        day = day_of(at_ms)
        before = timeline.as_of(at_ms)
        assert before is not None and not before["IsClosed"]
        if change["CloseDate"] <= before["CloseDate"] or day == day_of(timeline.created_ms):
            continue  # a pull, or made on the day the opportunity was created
        if any(day_of(at) == day and at > at_ms for at, _ in timeline.events):
            continue  # another change later that day
        # the edit's OpportunityHistory row holds the values after it
        (row,) = [r for r in rows[timeline.record_id] if r.created_ms == at_ms]
        assert row.fields["CloseDate"] == change["CloseDate"]
        assert row.fields["StageName"] == before["StageName"]
        previous = in_pipeline(world, day - timedelta(days=1), timeline.record_id)
        pushed = in_pipeline(world, day, timeline.record_id)
        assert previous is not None and pushed is not None
        assert previous["close_date"] == before["CloseDate"] < pushed["close_date"]
        assert pushed["close_date"] == change["CloseDate"]
        checked += 1
    assert checked >= 3


def test_pulled_in_close_dates_stay_ahead_of_the_edit(world: World) -> None:
    pulls = [
        (timeline, at_ms, change)
        for timeline, at_ms, change in revisions(world, "CloseDate")
        if change["CloseDate"] < (timeline.as_of(at_ms) or {})["CloseDate"]
    ]
    assert pulls
    for _, at_ms, change in pulls:
        assert date.fromisoformat(change["CloseDate"]) > day_of(at_ms)


def test_an_owner_change_writes_two_field_history_rows_and_moves_the_pipeline(
    world: World,
) -> None:
    changes = histories(world, "OpportunityFieldHistory")
    users = {u.record_id: u.fields["Name"] for u in world.salesforce.of("User")}
    teams = {u.record_id: u.fields["UserRole"]["Name"] for u in world.salesforce.of("User")}
    assert changes
    for opportunity_id, rows in changes.items():
        assert len(rows) % 2 == 0
        for by_id, by_name in zip(rows[::2], rows[1::2], strict=True):
            assert by_id.created_ms == by_name.created_ms
            assert {by_id.fields["DataType"], by_name.fields["DataType"]} == {"EntityId", "Text"}
            if by_id.fields["DataType"] != "EntityId":
                by_id, by_name = by_name, by_id
            old, new = by_id.fields["OldValue"], by_id.fields["NewValue"]
            assert (by_id.fields["Field"], by_name.fields["Field"]) == ("Owner", "Owner")
            assert (by_name.fields["OldValue"], by_name.fields["NewValue"]) == (
                users[old],
                users[new],
            )
            assert old != new and teams[old] == teams[new]  # the same region's team
            day = day_of(by_id.created_ms)
            before = in_pipeline(world, day - timedelta(days=1), opportunity_id)
            after = in_pipeline(world, day, opportunity_id)
            if before is not None:
                assert before["owner_id"] == old
            if after is not None:
                assert after["owner_id"] == new


def test_a_forecast_override_rides_on_a_logged_edit(world: World) -> None:
    rows = histories(world, "OpportunityHistory")
    overrides = revisions(world, "ForecastCategoryName")
    assert overrides
    for timeline, at_ms, change in overrides:
        values = timeline.as_of(at_ms + 1)
        assert values is not None
        assert change["ForecastCategoryName"] != DEFAULT_CATEGORY[values["StageName"]]
        assert {"CloseDate", "Amount"} & set(change)  # made in a close date or amount edit
        (row,) = [r for r in rows[timeline.record_id] if r.created_ms == at_ms]
        assert FORECAST_NAMES[row.fields["ForecastCategory"]] == change["ForecastCategoryName"]
        shown = in_pipeline(world, day_of(at_ms), timeline.record_id)
        if shown is not None and not any(
            day_of(at) == day_of(at_ms) and at > at_ms for at, _ in timeline.events
        ):
            assert shown["forecast_category_name"] == change["ForecastCategoryName"]


def test_every_tracked_change_writes_a_history_row_with_the_values_after_it(
    world: World,
) -> None:
    rows = histories(world, "OpportunityHistory")
    for timeline in world.salesforce.timelines.values():
        if timeline.deleted_ms is not None and timeline.deleted_ms < world.config.as_of_ms:
            continue
        logged = {r.created_ms: r for r in rows[timeline.record_id]}
        moments = [timeline.created_ms] + [
            at
            for at, changes in timeline.events
            if at < world.config.as_of_ms and set(changes) & set(TRACKED)
        ]
        assert sorted(logged) == moments, timeline.record_id
        for at_ms in moments:
            values = timeline.as_of(at_ms + 1)
            assert values is not None
            row = logged[at_ms].fields
            assert (row["StageName"], row["Amount"], row["CloseDate"]) == (
                values["StageName"],
                values["Amount"],
                values["CloseDate"],
            )
            assert FORECAST_NAMES[row["ForecastCategory"]] == values["ForecastCategoryName"]
            assert row["CreatedById"] == values["OwnerId"]


def test_closed_opportunities_keep_a_list_or_discounted_amount(world: World) -> None:
    """Amount revisions while open never reach a closed opportunity's final amount: it is the
    opening amount or the planned negotiated discount of it."""
    rows = histories(world, "OpportunityHistory")
    revised = 0
    for opportunity in world.salesforce.of("Opportunity"):
        if not opportunity.fields["IsClosed"]:
            continue
        opening = rows[opportunity.record_id][0].fields["Amount"]
        allowed = {opening} | {
            (opening * (1 - Decimal(d) / 100)).quantize(Decimal("0.01")) for d in (5, 10, 15, 20)
        }
        amounts = {r.fields["Amount"] for r in rows[opportunity.record_id]}
        revised += not amounts <= allowed
        assert opportunity.fields["Amount"] in allowed, opportunity.record_id
        assert (
            opportunity.fields["CloseDate"]
            == day_of(max(r.created_ms for r in rows[opportunity.record_id])).isoformat()
        )
    assert revised  # some closed opportunities had their amount revised while open


def test_the_pipeline_of_a_day_is_the_open_opportunities_then(world: World) -> None:
    day = world.config.end - timedelta(days=30)
    moment = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
    moment += 86_400_000
    pipeline = {r["opportunity_id"]: r for r in world.salesforce.pipeline_as_of(day)}
    assert pipeline
    deleted = {o.record_id for o in world.salesforce.of("Opportunity") if o.is_deleted}
    for opportunity_id, timeline in world.salesforce.timelines.items():
        values = timeline.as_of(moment)
        is_open = values is not None and not values["IsClosed"] and opportunity_id not in deleted
        assert (opportunity_id in pipeline) == is_open, opportunity_id
    # today's pipeline is the open opportunities as the org holds them
    today = {r["opportunity_id"]: r for r in world.salesforce.pipeline_as_of(world.config.end)}
    held = {
        o.record_id: o.fields
        for o in world.salesforce.of("Opportunity")
        if not o.is_deleted and not o.fields["IsClosed"]
    }
    assert set(today) == set(held)
    for opportunity_id, row in today.items():
        fields = held[opportunity_id]
        assert row["amount"] == f"{fields['Amount']:.2f}"
        assert (row["close_date"], row["owner_id"], row["stage"]) == (
            fields["CloseDate"],
            fields["OwnerId"],
            fields["StageName"],
        )


def test_the_stand_in_serves_field_history_on_created_date(
    world: World, sources: DemoSources
) -> None:
    server = sources.salesforce
    assert server is not None
    changes = sorted(world.salesforce.of("OpportunityFieldHistory"), key=lambda r: r.created_ms)
    cutoff = changes[len(changes) // 2].fields["CreatedDate"][:19] + "Z"
    with httpx.Client() as client:
        token = client.post(
            server.token_url,
            data={
                "grant_type": "refresh_token",
                "client_id": server.credentials.client_id,
                "client_secret": server.credentials.client_secret,
                "refresh_token": server.credentials.refresh_token,
            },
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        query = (
            "SELECT Id, OpportunityId, Field, DataType, OldValue, NewValue, CreatedById, "
            f"CreatedDate, IsDeleted FROM OpportunityFieldHistory WHERE CreatedDate >= {cutoff} "
            "ORDER BY CreatedDate ASC"
        )
        url = f"{server.url}/services/data/{VERSION}/queryAll"
        body = client.get(url, params={"q": query}, headers=headers).json()
        path = f"/services/data/{VERSION}/sobjects/OpportunityFieldHistory/describe"
        describe = client.get(server.url + path, headers=headers).json()
        modstamp = client.get(
            url,
            params={
                "q": "SELECT Id FROM OpportunityFieldHistory WHERE SystemModstamp > 2026-01-01"
            },
            headers=headers,
        )
        unfiltered = client.get(
            url,
            params={"q": "SELECT Id FROM OpportunityFieldHistory WHERE NewValue = 'x'"},
            headers=headers,
        )
    expected = [r.record_id for r in changes if r.fields["CreatedDate"][:19] + "Z" >= cutoff]
    assert [r["Id"] for r in body["records"]] == expected
    assert body["records"][0]["Id"].startswith("017")
    fields = {f["name"]: f for f in describe["fields"]}
    assert set(fields) == {
        "Id",
        "OpportunityId",
        "Field",
        "DataType",
        "OldValue",
        "NewValue",
        "CreatedById",
        "CreatedDate",
        "IsDeleted",
    }
    assert fields["NewValue"]["type"] == "anyType" and fields["Field"]["type"] == "picklist"
    assert describe["keyPrefix"] == "017"
    assert modstamp.status_code == 400  # no SystemModstamp on field history
    assert modstamp.json()[0]["errorCode"] == "INVALID_FIELD"
    assert not fields["NewValue"]["filterable"] and fields["NewValue"]["sortable"]
    assert describe["replicateable"]
    assert unfiltered.status_code == 400
    assert unfiltered.json()[0]["errorCode"] == "INVALID_FIELD"
