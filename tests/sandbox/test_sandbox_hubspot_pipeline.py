"""The HubSpot world's forecasting history: the five tracked deal properties, what is planted
in them, and ``HubSpotData.pipeline_as_of`` checked against each deal's served history."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import httpx
import pytest

from sandbox import World
from sandbox.clock import day_start_ms, iso, parse_ms
from sandbox.hubspot_data import (
    FORECAST_CATEGORIES,
    FORECAST_PROPERTY,
    HISTORY_PROPERTIES,
    PIPELINES,
    CrmRecord,
)

BATCH_READ = "/crm/objects/2026-09/deals/batch/read"
OPEN_STAGES = {s.stage_id for p in PIPELINES for s in p.open_stages}
CLOSED_STAGES = {s.stage_id for p in PIPELINES for s in p.stages if s.is_closed}
DAYS = (date(2026, 1, 31), date(2026, 2, 14), date(2026, 3, 1), date(2026, 3, 31))


def live_deals(world: World) -> list[CrmRecord]:
    return [d for d in world.hubspot.deals if d.archived_ms is None]


def state_from_history(history: dict[str, list[dict]], cutoff_ms: int) -> dict[str, Any]:
    """Each property's latest served value before ``cutoff_ms`` (entries newest first; a
    property never set has none)."""
    state = {}
    for name in HISTORY_PROPERTIES:
        before = [e for e in history.get(name, []) if parse_ms(e["timestamp"]) < cutoff_ms]
        state[name] = before[0]["value"] if before else None
    return state


def first_close_ms(deal: CrmRecord) -> int | None:
    return next((ms for ms, v in deal.history["dealstage"] if v in CLOSED_STAGES), None)


def pushed(deal: CrmRecord) -> bool:
    """An expected close date moved later while the deal was open."""
    decided = first_close_ms(deal)
    values = [
        parse_ms(v)
        for ms, v in deal.history.get("closedate", ())
        if v and (decided is None or ms < decided)
    ]
    return any(b > a for a, b in pairwise(values))


def pulled_in(deal: CrmRecord) -> bool:
    decided = first_close_ms(deal)
    values = [
        parse_ms(v)
        for ms, v in deal.history.get("closedate", ())
        if v and (decided is None or ms < decided)
    ]
    return any(b < a for a, b in pairwise(values))


def amount_changed_while_open(deal: CrmRecord) -> bool:
    """More amount versions than the list price and a discount."""
    return len(deal.history["amount"]) > 2


def owner_changed(deal: CrmRecord) -> bool:
    return len(deal.history["hubspot_owner_id"]) > 1


def overridden(deal: CrmRecord) -> bool:
    """A forecast category other than its stage's, set at a moment the stage did not move."""
    stage_times = {ms for ms, _ in deal.history["dealstage"]}
    return any(ms not in stage_times for ms, _ in deal.history[FORECAST_PROPERTY])


@pytest.fixture(scope="module")
def picked(world: World) -> dict[str, CrmRecord]:
    """One deal of each planted kind, the first by id."""
    kinds = {
        "pushed": pushed,
        "pulled_in": pulled_in,
        "amount_changed": amount_changed_while_open,
        "owner_changed": owner_changed,
        "overridden": overridden,
    }
    deals = live_deals(world)
    found = {kind: next((d for d in deals if test(d)), None) for kind, test in kinds.items()}
    assert all(found.values()), {kind: deal is not None for kind, deal in found.items()}
    return {kind: deal for kind, deal in found.items() if deal is not None}


def test_world_plants_every_kind_of_forecast_change(world: World) -> None:
    """Pushed and pulled-in close dates, amount changes, owner changes and manual forecast
    overrides are all planted, each on a small share of the deals."""
    deals = live_deals(world)
    shares = {
        test.__name__: sum(test(d) for d in deals) / len(deals)
        for test in (pushed, pulled_in, amount_changed_while_open, owner_changed, overridden)
    }
    assert all(0 < share < 0.6 for share in shares.values()), shares


def test_picked_deals_pipeline_as_of_matches_their_served_history(
    hubspot: httpx.Client, world: World, picked: dict[str, CrmRecord]
) -> None:
    """Every day of each picked deal's life: in pipeline_as_of exactly when its served
    dealstage history says it is open, with the served values of that day."""
    ids = sorted({d.object_id for d in picked.values()})
    response = hubspot.post(
        BATCH_READ,
        json={
            "inputs": [{"id": str(i)} for i in ids],
            "properties": ["deal_currency_code", "createdate"],
            "propertiesWithHistory": list(HISTORY_PROPERTIES),
        },
    )
    assert response.status_code == 200, response.text
    served = {int(r["id"]): r for r in response.json()["results"]}
    start, end = world.config.start, world.config.end
    checked = 0
    for day in (start + timedelta(days=n) for n in range((end - start).days + 1)):
        rows = {
            int(r["deal_id"]): r
            for r in world.hubspot.pipeline_as_of(day)
            if int(r["deal_id"]) in ids
        }
        cutoff = day_start_ms(day + timedelta(days=1))
        for deal_id in ids:
            result = served[deal_id]
            state = state_from_history(result["propertiesWithHistory"], cutoff)
            if state["dealstage"] not in OPEN_STAGES:
                assert deal_id not in rows, (day, deal_id)
                continue
            close = state["closedate"]
            assert rows[deal_id] == {
                "deal_id": str(deal_id),
                "stage": state["dealstage"],
                "amount": Decimal(state["amount"]),
                "currency": result["properties"]["deal_currency_code"],
                "close_date": date.fromisoformat(close[:10]) if close else None,
                "owner_id": state["hubspot_owner_id"],
                "forecast_category": state[FORECAST_PROPERTY],
            }, (day, deal_id)
            checked += 1
    assert checked > 30


def test_pipeline_as_of_matches_every_deals_history(world: World) -> None:
    """On a few days, the open pipeline replayed from the plan equals the one read off every
    live deal's history (the open deals, and each one's values)."""
    for day in DAYS:
        cutoff = day_start_ms(day + timedelta(days=1))
        expected = {}
        for deal in live_deals(world):
            history = {
                name: [{"timestamp": iso(ms), "value": v} for ms, v in reversed(values)]
                for name, values in deal.history.items()
            }
            state = state_from_history(history, cutoff)
            if state["dealstage"] in OPEN_STAGES:
                expected[str(deal.object_id)] = (
                    state["dealstage"],
                    Decimal(state["amount"]),
                    state["closedate"][:10] if state["closedate"] else None,
                    state["hubspot_owner_id"],
                    state[FORECAST_PROPERTY],
                )
        actual = {
            r["deal_id"]: (
                r["stage"],
                r["amount"],
                r["close_date"].isoformat() if r["close_date"] else None,
                r["owner_id"],
                r["forecast_category"],
            )
            for r in world.hubspot.pipeline_as_of(day)
        }
        assert actual == expected, day
        assert len(actual) >= 5, day


def test_pipeline_as_of_refuses_days_past_the_world(world: World) -> None:
    with pytest.raises(ValueError, match="cut-off"):
        world.hubspot.pipeline_as_of(world.config.end + timedelta(days=1))


def test_decided_deals_close_at_their_final_values(world: World) -> None:
    """Planted changes fall before a deal is first decided: from then on its amount and owner
    are the final ones (closed deals keep outcome, close time and final amount), and its
    close date is the close time."""
    decided = [d for d in live_deals(world) if first_close_ms(d) is not None]
    assert decided
    for deal in decided:
        closed_ms = first_close_ms(deal)
        props = deal.properties
        for name in ("amount", "hubspot_owner_id"):
            at_close = [v for ms, v in deal.history[name] if ms <= closed_ms][-1]
            assert at_close == props[name], (deal.object_id, name)
        if props["hs_is_closed"] == "true":
            assert props["closedate"] == iso(deal.history["dealstage"][-1][0])


def test_forecast_category_follows_the_stage_at_every_stage_move(world: World) -> None:
    """At each stage move the category is the stage's (a manual override lasts until the
    next move); won deals end CLOSED, lost ones OMIT."""
    for deal in live_deals(world):
        categories = deal.history[FORECAST_PROPERTY]
        for moved_ms, stage in deal.history["dealstage"]:
            current = [v for ms, v in categories if ms <= moved_ms][-1]
            assert current == FORECAST_CATEGORIES[stage], (deal.object_id, iso(moved_ms))
        if deal.properties["hs_is_closed"] == "true":
            won = deal.properties["hs_is_closed_won"] == "true"
            assert deal.properties[FORECAST_PROPERTY] == ("CLOSED" if won else "OMIT")


def test_owner_changes_stay_in_the_team(world: World) -> None:
    """A reassigned deal goes to another rep of its owner's team, active at the time."""
    owners = {str(o.owner_id): o for o in world.hubspot.owners}
    changed = [d for d in live_deals(world) if owner_changed(d)]
    assert changed
    for deal in changed:
        for (_, before), (at_ms, after) in pairwise(deal.history["hubspot_owner_id"]):
            assert owners[before].team_id == owners[after].team_id
            gone = owners[after].archived_ms
            assert gone is None or gone > at_ms
