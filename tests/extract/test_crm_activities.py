"""Sales activities from both CRMs: HubSpot engagements and Salesforce Task/Event, against the
stand-ins, incremental by window, deleted records flagged."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from extract.base import RawRow, Stream, Window
from extract.hubspot import HubSpotSettings
from extract.hubspot import build_connector as build_hubspot
from extract.hubspot.streams import ENGAGEMENTS
from extract.salesforce import SalesforceSettings
from extract.salesforce import build_connector as build_salesforce
from sandbox import World, build_world, serve
from sandbox.clock import iso
from sandbox.hubspot_server import ASSOCIATION_TYPE_IDS
from sandbox.salesforce_data import sf_datetime

MIDDLE = datetime(2026, 2, 15, tzinfo=UTC)
ENGAGEMENT_TYPES = [crm.object_type for crm in ENGAGEMENTS]


def hubspot_streams(settings: HubSpotSettings, sleep: Any) -> dict[str, Stream]:
    return {s.entity: s for s in build_hubspot(settings, sleep=sleep).streams()}


def salesforce_streams(settings: SalesforceSettings, sleep: Any) -> dict[str, Stream]:
    return {s.entity: s for s in build_salesforce(settings, sleep=sleep).streams()}


def read(stream: Stream, window: Window) -> list[RawRow]:
    rows = list(stream.fetch(window))
    assert len({row.keys for row in rows}) == len(rows), f"{stream.entity}: duplicate keys"
    return rows


def links_of(world: World) -> dict[tuple[str, int], dict[str, set[int]]]:
    assert world.hubspot.activities is not None
    links: dict[tuple[str, int], dict[str, set[int]]] = {}
    for kind, engagement_id, to, to_id in world.hubspot.activities.links:
        links.setdefault((kind, engagement_id), {}).setdefault(to, set()).add(to_id)
    return links


def test_hubspot_engagements_land_as_the_portal_holds_them(
    world: World, world_window: Window, make_settings: Any, sleeps: list[float]
) -> None:
    assert world.hubspot.activities is not None
    links = links_of(world)
    with serve(world) as sources:
        settings = make_settings(HubSpotSettings, sources.env, page_size=50)
        every = hubspot_streams(settings, sleeps)
        rows = {kind: read(every[kind], world_window) for kind in ENGAGEMENT_TYPES}
    for crm in ENGAGEMENTS:
        kind = crm.object_type
        expected = {r.object_id: r for r in world.hubspot.activities.engagements[kind]}
        landed = {row.keys[0]: row for row in rows[kind]}
        assert set(landed) == set(expected) and expected, kind
        for object_id, row in landed.items():
            record = expected[object_id]
            assert row.is_deleted == (record.archived_ms is not None)
            for name in crm.properties:  # exactly as the portal holds them, strings
                assert row.record["properties"][name] == record.properties.get(name), name
            if row.is_deleted:
                assert "associations" not in row.record
                continue
            found = {
                to: {int(item["toObjectId"]) for item in items}
                for to, items in row.record["associations"].items()
            }
            assert found == links.get((kind, object_id), {})
            type_ids = {
                (to, item["associationTypes"][0]["typeId"])
                for to, items in row.record["associations"].items()
                for item in items
            }
            assert type_ids <= {(to, ASSOCIATION_TYPE_IDS[kind, to]) for to in found}
    assert any(row.is_deleted for kind in ENGAGEMENT_TYPES for row in rows[kind])
    meetings = [row for row in rows["meetings"] if not row.is_deleted]
    assert any("deals" in row.record["associations"] for row in meetings)
    assert sleeps == []


def test_hubspot_engagements_second_night_reads_only_what_changed(
    world: World, world_window: Window, make_settings: Any, sleeps: list[float]
) -> None:
    """Night one sees the portal as of a day in February; night two, the portal as of end,
    reads from the night after: only what changed since, meetings held meanwhile included."""
    assert world.hubspot.activities is not None
    booked = next(  # a meeting booked in February: the cut is the midnight after its booking
        r
        for r in world.hubspot.activities.engagements["meetings"]
        if r.archived_ms is None and r.properties["hs_createdate"] >= "2026-02"
    )
    day = datetime.fromtimestamp(booked.created_ms / 1000, tz=UTC).date()
    cut_at = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    early = build_world(replace(world.config, end=day))
    assert early.hubspot.activities is not None
    nights = []
    for portal, window in ((early, Window(world_window.start, cut_at)), (world, None)):
        with serve(portal) as sources:
            settings = make_settings(HubSpotSettings, sources.env, page_size=100)
            every = hubspot_streams(settings, sleeps)
            window = window or Window(cut_at, world_window.end)
            nights.append({kind: read(every[kind], window) for kind in ("tasks", "meetings")})
    cut = iso(round(cut_at.timestamp() * 1000))
    for kind in ("tasks", "meetings"):
        night_one = {row.keys[0]: row for row in nights[0][kind]}
        night_two = {row.keys[0]: row for row in nights[1][kind]}
        before = early.hubspot.activities.engagements[kind]
        after = world.hubspot.activities.engagements[kind]
        assert set(night_one) == {r.object_id for r in before}
        assert set(night_two) == {
            r.object_id for r in after if r.properties["hs_lastmodifieddate"] >= cut
        }
        assert set(night_one) | set(night_two) == {r.object_id for r in after}
    meetings_one = {row.keys[0]: row.record["properties"] for row in nights[0]["meetings"]}
    meetings_two = {row.keys[0]: row.record["properties"] for row in nights[1]["meetings"]}
    held = [
        meeting_id
        for meeting_id, properties in meetings_one.items()
        if properties["hs_meeting_outcome"] == "SCHEDULED"
        and meetings_two.get(meeting_id, {}).get("hs_meeting_outcome") not in (None, "SCHEDULED")
    ]
    assert held  # booked before the cut, held after it: read again with its outcome


def test_salesforce_tasks_and_events_land_as_the_org_holds_them(
    world: World, make_settings: Any, sleeps: list[float]
) -> None:
    window = Window(datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    with serve(world) as sources:
        every = salesforce_streams(make_settings(SalesforceSettings, sources.env), sleeps)
        rows = {entity: read(every[entity], window) for entity in ("tasks", "events")}
    for entity, sobject in (("tasks", "Task"), ("events", "Event")):
        expected = {r.record_id: r for r in world.salesforce.of(sobject)}
        landed = {row.keys[0]: row for row in rows[entity]}
        assert set(landed) == set(expected) and expected
        for record_id, row in landed.items():
            record = expected[record_id]
            assert row.is_deleted is record.is_deleted is row.record["IsDeleted"]
            for name, value in record.fields.items():
                assert row.record[name] == value, (entity, name)
    tasks = [row.record for row in rows["tasks"]]
    assert {t["TaskSubtype"] for t in tasks} == {"Call", "Email", "Task"}
    assert any(row.is_deleted for row in rows["tasks"])  # a deleted lead's activities
    assert all(
        e["WhatId"] and e["WhatId"].startswith("006") for e in (r.record for r in rows["events"])
    )


def test_salesforce_activities_second_night_reads_only_what_changed(
    world: World, make_settings: Any, sleeps: list[float]
) -> None:
    early = build_world(replace(world.config, end=MIDDLE.date() - timedelta(days=1)))
    first = Window(datetime(2025, 12, 1, tzinfo=UTC), MIDDLE)
    second = Window(MIDDLE, datetime(2026, 4, 1, tzinfo=UTC))
    with serve(early) as sources:
        tasks = salesforce_streams(make_settings(SalesforceSettings, sources.env), sleeps)["tasks"]
        night_one = {row.keys[0]: row.record for row in read(tasks, first)}
    with serve(world) as sources:
        tasks = salesforce_streams(make_settings(SalesforceSettings, sources.env), sleeps)["tasks"]
        night_two = {row.keys[0]: row.record for row in read(tasks, second)}
    cut = sf_datetime(round(MIDDLE.timestamp() * 1000))
    records = world.salesforce.of("Task")
    assert set(night_one) == {r.record_id for r in early.salesforce.of("Task")}
    assert set(night_two) == {r.record_id for r in records if r.fields["SystemModstamp"] >= cut}
    again = set(night_one) & set(night_two)
    # completed, reparented to the converted contact or deleted after the cut: read again
    assert any(night_one[i]["WhoId"] != night_two[i]["WhoId"] for i in again)
    assert any(night_one[i]["Status"] != night_two[i]["Status"] for i in again)
    assert set(night_one) | set(night_two) == {r.record_id for r in records}


def test_planted_response_habits_are_in_the_truth(world: World, truth: dict[str, Any]) -> None:
    activities = truth["sales_activities"]
    for crm in ("hubspot", "salesforce"):
        habits = activities[crm]["rep_response_habits"]
        medians = [h["planted_median_business_hours"] for h in habits.values()]
        assert min(medians) < 4 < 8 <= max(medians)  # quick reps and slow ones
        leads = activities[crm]["lead_first_outbound"]
        answered = [lead for lead in leads if lead["first_outbound_at"]]
        assert answered and len(answered) < len(leads)  # a few leads are never answered
        assert all(lead["first_outbound_at"] > lead["arrived_at"] for lead in answered)


def test_every_follow_up_comes_after_the_first_outbound_touch(world: World) -> None:
    """A slow rep's first touch can come after the lead's first week: follow-ups still follow."""
    from sandbox.activities import ResponseHabit, plan_lead

    slow = ResponseHabit("41000001", "NA Sales", 60.0, 3.0)  # ~7.5 business days
    for n in range(40):
        plan = plan_lead(world.config, "hubspot", str(n), 1_767_600_000_000, slow, None)
        if plan.first_outbound_ms is None:
            continue
        first, *rest = plan.touches
        assert first.at_ms == plan.first_outbound_ms and first.direction == "outbound"
        for touch in rest:  # a task's at_ms is its due time, a day after it was set
            assert touch.at_ms - (86_400_000 if touch.kind == "task" else 0) > first.at_ms
