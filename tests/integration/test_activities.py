"""Sales activities on the shared nightly run (`published_company`): `fct_activities` holds
each CRM's live activities as the world logged them, per rep and type, and the rep activity
scorecard adds up to them."""

from __future__ import annotations

from collections import Counter

import psycopg
import pytest

from sandbox.world import World

pytestmark = pytest.mark.integration

# the world's HubSpot engagement object types and Salesforce Task subtypes, in the
# standard vocabulary of seeds/activity_type_mapping.csv
HUBSPOT_TYPES = {
    "calls": "call",
    "emails": "email",
    "meetings": "meeting",
    "tasks": "task",
    "notes": "note",
}
SALESFORCE_TASK_TYPES = {"Call": "call", "Email": "email", "Task": "task"}


def world_activities(world: World) -> Counter[tuple[str, str]]:
    """Live activities per (sales_rep_id, activity_type), as the CRMs hold them at the end."""
    assert world.hubspot.activities is not None
    counts: Counter[tuple[str, str]] = Counter()
    for kind, records in world.hubspot.activities.engagements.items():
        for record in records:
            if record.archived_ms is None:
                rep = f"hubspot:{record.properties['hubspot_owner_id']}"
                counts[rep, HUBSPOT_TYPES[kind]] += 1
    for sobject in ("Task", "Event"):
        for record in world.salesforce.of(sobject):
            if not record.is_deleted:
                kind = (
                    "meeting"
                    if sobject == "Event"
                    else SALESFORCE_TASK_TYPES[record.fields["TaskSubtype"]]
                )
                counts[f"salesforce:{record.fields['OwnerId']}", kind] += 1
    return counts


def test_published_activities_are_the_worlds_per_rep_and_type(
    published_company, world: World
) -> None:
    with psycopg.connect(published_company["url"]) as conn:
        rows = conn.execute(
            "select sales_rep_id, activity_type, count(*) from analytics.fct_activities "
            "group by 1, 2"
        ).fetchall()
    published = Counter({(rep, kind): count for rep, kind, count in rows})
    expected = world_activities(world)
    assert sum(expected.values()) > 500
    assert {kind for _, kind in expected} == {"call", "email", "meeting", "task", "note"}
    assert published == expected


def test_scorecard_adds_up_to_the_activities_and_the_worlds_held_meetings(
    published_company, world: World
) -> None:
    assert world.hubspot.activities is not None
    held = Counter(
        f"hubspot:{m.properties['hubspot_owner_id']}"
        for m in world.hubspot.activities.engagements["meetings"]
        if m.archived_ms is None and m.properties["hs_meeting_outcome"] == "COMPLETED"
    )
    with psycopg.connect(published_company["url"]) as conn:
        scorecard = conn.execute(
            "select sales_rep_id, sum(activities), sum(calls), sum(emails), sum(meetings), "
            "sum(tasks), sum(notes), sum(meetings_held), sum(deals_won), sum(deals_lost) "
            "from analytics.rpt_rep_activity_scorecard group by 1"
        ).fetchall()
        won_lost = {
            rep: (won, lost)
            for rep, won, lost in conn.execute(
                "select sales_rep_id, count(*) filter (where is_won), "
                "count(*) filter (where not is_won) from analytics.fct_deals "
                "where is_closed and closed_at is not null and sales_rep_id is not null "
                "group by 1"
            ).fetchall()
        }
    expected = world_activities(world)
    by_rep = {rep: row for rep, *row in scorecard}
    kinds = ("call", "email", "meeting", "task", "note")
    for rep, (total, *by_kind, _, _, _) in by_rep.items():
        assert by_kind == [expected[rep, kind] for kind in kinds], rep
        assert total == sum(by_kind), rep
    assert {
        rep: row[6] for rep, row in by_rep.items() if rep.startswith("hubspot:") and row[6]
    } == dict(held)
    assert {rep: (row[7], row[8]) for rep, row in by_rep.items() if row[7] or row[8]} == won_lost
