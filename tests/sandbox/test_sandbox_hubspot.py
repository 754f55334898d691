"""The HubSpot stand-in speaks HubSpot's wire format and pages, filters and fails like it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from itertools import combinations, pairwise
from typing import Any

import httpx
import pytest

from sandbox import World
from sandbox.clock import iso, parse_ms
from sandbox.faults import Fault, Faults
from sandbox.hubspot_data import PIPELINES, CrmRecord
from sandbox.hubspot_server import TOKEN, HubSpotServer

VERSION = "2026-09"  # HubSpot's newest date version (GA 2026-09-08)
OBJECTS = f"/crm/objects/{VERSION}"
OWNERS = f"/crm/owners/{VERSION}"
PIPELINES_PATH = f"/crm/pipelines/{VERSION}/deals"
ASSOCIATIONS = f"/crm/associations/{VERSION}/deals/contacts/batch/read"
MODIFIED = {
    "contacts": "lastmodifieddate",
    "companies": "hs_lastmodifieddate",
    "deals": "hs_lastmodifieddate",
}


def list_all(client: httpx.Client, path: str, **params: Any) -> tuple[list[dict], list[dict]]:
    """Every record behind a paged GET, and every page body."""
    records, pages, after = [], [], None
    while True:
        page = client.get(path, params={**params, **({"after": after} if after else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        pages.append(body)
        records += body["results"]
        if "paging" not in body:
            return records, pages
        after = body["paging"]["next"]["after"]


def search_all(
    client: httpx.Client, kind: str, body: dict[str, Any]
) -> tuple[list[dict], list[dict]]:
    records, pages, after = [], [], None
    while True:
        page = client.post(
            f"{OBJECTS}/{kind}/search", json={**body, **({"after": after} if after else {})}
        )
        assert page.status_code == 200, page.text
        pages.append(page.json())
        records += pages[-1]["results"]
        if "paging" not in pages[-1]:
            return records, pages
        after = pages[-1]["paging"]["next"]["after"]


@pytest.mark.parametrize("kind", ["contacts", "companies", "deals"])
@pytest.mark.parametrize("archived", [False, True])
def test_list_paging_reaches_every_record_and_ends_without_paging(
    hubspot: httpx.Client, world: World, kind: str, archived: bool
) -> None:
    records, pages = list_all(
        hubspot, f"{OBJECTS}/{kind}", limit=100, archived=str(archived).lower()
    )
    expected = [r for r in getattr(world.hubspot, kind) if (r.archived_ms is not None) == archived]
    assert [r["id"] for r in records] == [str(r.object_id) for r in expected]
    assert all(r["archived"] is archived for r in records)
    assert all("paging" in p for p in pages[:-1]) and "paging" not in pages[-1]
    if len(pages) > 1:
        cursor = pages[0]["paging"]["next"]["after"]
        assert not cursor.isdigit(), "list cursors are opaque, unlike search offsets"
        assert pages[0]["paging"]["next"]["link"].startswith(str(hubspot.base_url))


def test_list_returns_requested_properties_as_strings_or_null(
    hubspot: httpx.Client, world: World
) -> None:
    wanted = "amount,dealstage,hs_is_closed_won,closedate,no_such_property"
    body = hubspot.get(f"{OBJECTS}/deals", params={"limit": 100, "properties": wanted}).json()
    first = body["results"][0]
    assert set(first) >= {"id", "properties", "createdAt", "updatedAt", "archived"}
    assert set(first["properties"]) == {"amount", "dealstage", "hs_is_closed_won", "closedate"}
    assert all(isinstance(v, str | None) for r in body["results"] for v in r["properties"].values())
    deal = next(d for d in world.hubspot.deals if str(d.object_id) == first["id"])
    assert first["properties"]["amount"] == deal.properties["amount"]
    assert first["updatedAt"] == deal.properties["hs_lastmodifieddate"]


def test_list_defaults_to_ten_records_and_rejects_limits_over_100(hubspot: httpx.Client) -> None:
    assert len(hubspot.get(f"{OBJECTS}/contacts").json()["results"]) == 10
    rejected = hubspot.get(f"{OBJECTS}/contacts", params={"limit": 101})
    assert rejected.status_code == 400 and rejected.json()["category"] == "VALIDATION_ERROR"


def test_list_includes_requested_associations(hubspot: httpx.Client, world: World) -> None:
    deals, _ = list_all(hubspot, f"{OBJECTS}/deals", limit=100, associations="contacts")
    linked = {
        (int(d["id"]), int(a["id"]))
        for d in deals
        for a in d.get("associations", {}).get("contacts", {}).get("results", [])
    }
    assert linked == set(world.hubspot.deal_contacts)
    typed = next(d for d in deals if "associations" in d)["associations"]["contacts"]["results"][0]
    assert typed["type"] == "deal_to_contact"


@pytest.mark.parametrize("kind", ["contacts", "deals"])
def test_search_by_modified_window_matches_the_world(
    hubspot: httpx.Client, world: World, kind: str
) -> None:
    prop = MODIFIED[kind]
    start, end = parse_ms("2026-02-01"), parse_ms("2026-03-01")
    body = {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": prop, "operator": "GTE", "value": str(start)},
                    {"propertyName": prop, "operator": "LT", "value": str(end)},
                ]
            }
        ],
        "sorts": [{"propertyName": prop, "direction": "ASCENDING"}],
        "properties": [prop, "createdate"],
        "limit": 50,
    }
    records, pages = search_all(hubspot, kind, body)
    expected = [
        r
        for r in getattr(world.hubspot, kind)
        if r.archived_ms is None and start <= parse_ms(r.properties[prop]) < end
    ]
    assert sorted(r["id"] for r in records) == sorted(str(r.object_id) for r in expected)
    stamps = [parse_ms(r["properties"][prop]) for r in records]
    assert stamps == sorted(stamps)
    assert all(p["total"] == len(expected) for p in pages)
    assert [p["paging"]["next"]["after"] for p in pages[:-1]] == [
        str(50 * (i + 1)) for i in range(len(pages) - 1)
    ]
    assert "paging" not in pages[-1]


def test_search_never_returns_archived_records(hubspot: httpx.Client, world: World) -> None:
    records, _ = search_all(hubspot, "contacts", {"limit": 200})
    live = [c for c in world.hubspot.contacts if c.archived_ms is None]
    assert len(records) == len(live) < len(world.hubspot.contacts)


def test_search_supports_or_groups_and_eq(hubspot: httpx.Client, world: World) -> None:
    ids = [str(d.object_id) for d in world.hubspot.deals if d.archived_ms is None][:2]
    groups = [
        {"filters": [{"propertyName": "hs_object_id", "operator": "EQ", "value": i}]} for i in ids
    ]
    body = hubspot.post(f"{OBJECTS}/deals/search", json={"filterGroups": groups}).json()
    assert sorted(r["id"] for r in body["results"]) == sorted(ids) and body["total"] == 2


def test_search_past_the_cap_is_a_400(hubspot: httpx.Client, world: World) -> None:
    capped = hubspot.post(f"{OBJECTS}/contacts/search", json={"limit": 10, "after": "10000"})
    assert capped.status_code == 400
    assert capped.json()["category"] == "VALIDATION_ERROR" and capped.json()["status"] == "error"
    # A lowered cap shows a client walking into it: the last allowed page still offers a next page.
    with (
        HubSpotServer(world, search_cap=30) as server,
        httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}) as client,
    ):
        page = client.post(f"{OBJECTS}/contacts/search", json={"limit": 10, "after": "20"}).json()
        assert page["paging"]["next"]["after"] == "30"
        refused = client.post(f"{OBJECTS}/contacts/search", json={"limit": 10, "after": "30"})
        assert refused.status_code == 400 and refused.json()["category"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "body",
    [
        {"limit": 201},
        {
            "filterGroups": [
                {"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": "0"}]}
            ]
        },
        {
            "filterGroups": [
                {"filters": [{"propertyName": "amount", "operator": "LIKE", "value": "1"}]}
            ]
        },
        {"after": "ten"},
    ],
    ids=["limit", "contacts-only property on deals", "unknown operator", "non-numeric after"],
)
def test_search_rejects_invalid_requests(hubspot: httpx.Client, body: dict) -> None:
    response = hubspot.post(f"{OBJECTS}/deals/search", json=body)
    assert response.status_code == 400 and response.json()["category"] == "VALIDATION_ERROR"


def test_owners_are_paged_and_archived_ones_listed_apart(
    hubspot: httpx.Client, world: World
) -> None:
    active, pages = list_all(hubspot, OWNERS, limit=3)
    archived, _ = list_all(hubspot, OWNERS, archived="true")
    assert len(pages) > 1 and "paging" not in pages[-1]
    assert len(active) == 6 and len(archived) == 2
    assert {o["id"] for o in active + archived} == {str(o.owner_id) for o in world.hubspot.owners}
    owner = active[0]
    assert isinstance(owner["userId"], int) and owner["teams"][0]["name"] in {
        "NA Sales",
        "EMEA Sales",
    }
    assert all(o["archived"] for o in archived)


def test_pipelines_list_stages_with_string_metadata(hubspot: httpx.Client) -> None:
    body = hubspot.get(PIPELINES_PATH).json()
    assert "paging" not in body
    default = next(p for p in body["results"] if p["id"] == "default")
    stages = {s["id"]: s["metadata"] for s in default["stages"]}
    assert stages["closedwon"] == {"isClosed": "true", "probability": "1.0"}
    assert stages["appointmentscheduled"]["isClosed"] == "false"
    assert len(body["results"]) == 2


def test_batch_associations_return_numeric_contact_ids(hubspot: httpx.Client, world: World) -> None:
    pairs = world.hubspot.deal_contacts
    deal_ids = sorted({str(deal) for deal, _ in pairs})
    response = hubspot.post(
        ASSOCIATIONS,
        json={"inputs": [{"id": i} for i in deal_ids]},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "COMPLETE"
    got = set()
    for result in body["results"]:
        for to in result["to"]:
            assert isinstance(to["toObjectId"], int)
            assert to["associationTypes"] == [
                {"category": "HUBSPOT_DEFINED", "typeId": 3, "label": None}
            ]
            got.add((int(result["from"]["id"]), to["toObjectId"]))
    assert got == set(pairs)


def test_batch_associations_report_unknown_deals_and_cap_inputs(hubspot: httpx.Client) -> None:
    path = ASSOCIATIONS
    partial = hubspot.post(path, json={"inputs": [{"id": "1"}]})
    assert partial.status_code == 207
    assert partial.json()["numErrors"] == 1 and partial.json()["results"] == []
    too_many = hubspot.post(path, json={"inputs": [{"id": str(i)} for i in range(1001)]})
    assert too_many.status_code == 400


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", TOKEN])
def test_bad_credentials_get_the_hubspot_401_envelope(sources, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = httpx.get(f"{sources.hubspot.url}{OBJECTS}/contacts", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == "error" and body["category"] == "INVALID_AUTHENTICATION"
    assert set(body) == {"status", "message", "correlationId", "category"}


def test_unknown_routes_are_404(hubspot: httpx.Client) -> None:
    assert hubspot.get(f"{OBJECTS}/tickets").status_code == 404
    assert hubspot.post(f"{OBJECTS}/deals").status_code == 405


def test_every_request_is_recorded(world: World) -> None:
    with HubSpotServer(world) as server:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        httpx.get(f"{server.url}{OWNERS}", headers=headers)
        httpx.get(f"{server.url}{PIPELINES_PATH}")
        assert [(r.method, r.path, r.status) for r in server.requests] == [
            ("GET", OWNERS, 200),
            ("GET", PIPELINES_PATH, 401),
        ]
        assert server.requests[0].at <= server.requests[1].at


def test_merged_away_contacts_are_archived_and_listed_on_their_survivor(
    hubspot: httpx.Client,
) -> None:
    wanted = "email,hs_merged_object_ids,lastmodifieddate"
    live, _ = list_all(hubspot, f"{OBJECTS}/contacts", limit=100, properties=wanted)
    archived, _ = list_all(
        hubspot, f"{OBJECTS}/contacts", limit=100, properties=wanted, archived="true"
    )
    archived_by_id = {r["id"]: r for r in archived}
    survivors = [r for r in live if r["properties"]["hs_merged_object_ids"]]
    assert survivors, "the world merges some duplicates"
    for survivor in survivors:
        for merged_id in survivor["properties"]["hs_merged_object_ids"].split(";"):
            merged = archived_by_id[merged_id]  # archived, not gone
            assert merged["properties"]["email"] == survivor["properties"]["email"]
            # the merge touched the survivor, so an incremental read picks the list up
            assert survivor["properties"]["lastmodifieddate"] >= merged["archivedAt"]


def test_deals_carry_their_stage_dates_per_pipeline_stage(
    hubspot: httpx.Client, world: World
) -> None:
    pipelines = hubspot.get(PIPELINES_PATH).json()["results"]
    names = [
        f"hs_v2_date_{kind}_{stage['id']}"
        for pipeline in pipelines
        for stage in pipeline["stages"]
        for kind in ("entered", "exited")
    ]
    body = {"properties": ["dealstage", "pipeline", *names], "limit": 200}
    deals, _ = search_all(hubspot, "deals", body)
    assert deals
    for deal in deals:
        props = deal["properties"]
        entered = {n: v for n, v in props.items() if n.startswith("hs_v2_date_entered_") and v}
        assert f"hs_v2_date_entered_{props['dealstage']}" in entered  # the current stage
        stage_ids = {
            s["id"] for p in pipelines if p["id"] == props["pipeline"] for s in p["stages"]
        }
        assert {n.removeprefix("hs_v2_date_entered_") for n in entered} <= stage_ids
        for name, value in props.items():
            if name.startswith("hs_v2_date_exited_") and value:
                stage = name.removeprefix("hs_v2_date_exited_")
                assert props[f"hs_v2_date_entered_{stage}"] <= value


BATCH_READ = f"{OBJECTS}/deals/batch/read"
OPEN_STAGES = {p.pipeline_id: [s.stage_id for s in p.open_stages] for p in PIPELINES}
WON_STAGES = {p.closed_stage(won=True).stage_id for p in PIPELINES}


def batch_read(client: httpx.Client, ids: list[int], **body: Any) -> httpx.Response:
    archived = body.pop("archived", None)
    params = {"archived": archived} if archived else {}
    return client.post(
        BATCH_READ, params=params, json={"inputs": [{"id": str(i)} for i in ids], **body}
    )


def stage_values(deal: CrmRecord) -> list[str | None]:
    return [value for _, value in deal.history["dealstage"]]


def regressed(deal: CrmRecord) -> bool:
    """An open stage, then an earlier open stage, then the first one again."""
    values, order = stage_values(deal), OPEN_STAGES[deal.properties["pipeline"]]
    rank = {stage: n for n, stage in enumerate(order)}
    return any(
        values[i] == values[k] in rank and values[j] in rank and rank[values[j]] < rank[values[i]]
        for i, j, k in combinations(range(len(values)), 3)
    )


def reopened(deal: CrmRecord) -> bool:
    """Won, then open again."""
    values = stage_values(deal)
    return any(
        won in WON_STAGES and after in OPEN_STAGES[deal.properties["pipeline"]]
        for won, after in pairwise(values)
    )


def test_batch_read_returns_properties_and_newest_first_stage_history(
    hubspot: httpx.Client, world: World
) -> None:
    live = [d for d in world.hubspot.deals if d.archived_ms is None]
    detoured = [d for d in live if regressed(d) or reopened(d)]
    sample = detoured + [d for d in live[::5] if d.object_id not in {x.object_id for x in detoured}]
    user_ids = {str(o.owner_id): o.user_id for o in world.hubspot.owners}
    response = batch_read(
        hubspot,
        [d.object_id for d in sample],
        properties=["dealstage", "amount", "hs_lastmodifieddate"],
        propertiesWithHistory=["dealstage", "amount", "dealname"],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "COMPLETE" and "errors" not in body
    by_id = {str(d.object_id): d for d in sample}
    assert sorted(r["id"] for r in body["results"]) == sorted(by_id)
    for result in body["results"]:
        deal = by_id[result["id"]]
        assert result["properties"] == {
            name: deal.properties[name] for name in ("dealstage", "amount", "hs_lastmodifieddate")
        }
        # dealname is not tracked by the world: left out
        assert set(result["propertiesWithHistory"]) == {"dealstage", "amount"}
        for name in ("dealstage", "amount"):
            served = result["propertiesWithHistory"][name]
            expected = [[iso(ms), value] for ms, value in reversed(deal.history[name])]
            assert [[e["timestamp"], e["value"]] for e in served] == expected
            assert served[0]["value"] == result["properties"][name]  # newest is current
        history = result["propertiesWithHistory"]["dealstage"]
        assert history[0]["value"] == result["properties"]["dealstage"]  # newest is current
        assert history[-1]["timestamp"] == result["createdAt"]  # oldest is the creation value
        user_id = user_ids[deal.properties["hubspot_owner_id"]]
        assert all(
            e["sourceType"] == "CRM_UI"
            and e["sourceId"] == f"userId:{user_id}"
            and e["updatedByUserId"] == user_id
            for e in history
        )


def test_world_plants_stage_regressions_and_reopened_won_deals(
    hubspot: httpx.Client, world: World
) -> None:
    detoured = {
        "regressions": [d for d in world.hubspot.deals if regressed(d)],
        "reopenings": [d for d in world.hubspot.deals if reopened(d)],
    }
    assert all(detoured.values()), {kind: len(deals) for kind, deals in detoured.items()}
    deals = [d for kind in detoured.values() for d in kind]
    names = [
        f"hs_v2_date_{kind}_{s}"
        for s in {v for d in deals for v in stage_values(d)}
        for kind in ("entered", "exited")
    ]
    body = batch_read(
        hubspot,
        [d.object_id for d in deals],
        properties=["dealstage", "hs_is_closed", "closedate", *names],
        propertiesWithHistory=["dealstage"],
    ).json()
    for result in body["results"]:
        props, latest = result["properties"], {}
        for entry in reversed(result["propertiesWithHistory"]["dealstage"]):
            latest[entry["value"]] = entry["timestamp"]  # oldest first: the last entry wins
        # HubSpot keeps only the latest entry per stage in hs_v2_date_entered_*
        assert {s: props[f"hs_v2_date_entered_{s}"] for s in latest} == latest
        assert props[f"hs_v2_date_exited_{props['dealstage']}"] is None
        if props["hs_is_closed"] == "true":
            assert props["closedate"] == latest[props["dealstage"]]
    truth = {d["deal_id"]: d for d in world.truth()["deals"]}
    for deal in deals:
        assert truth[str(deal.object_id)]["stage_history"] == [
            [iso(ms), value] for ms, value in deal.history["dealstage"]
        ]


def test_batch_read_reports_unknown_and_archived_ids_as_207(
    hubspot: httpx.Client, world: World
) -> None:
    live = next(d for d in world.hubspot.deals if d.archived_ms is None)
    archived = next(d for d in world.hubspot.deals if d.archived_ms is not None)
    response = batch_read(hubspot, [live.object_id, 1, archived.object_id])
    assert response.status_code == 207
    body = response.json()
    assert [r["id"] for r in body["results"]] == [str(live.object_id)]
    assert body["numErrors"] == 1
    error = body["errors"][0]
    assert error["category"] == "OBJECT_NOT_FOUND" and error["status"] == "error"
    assert error["context"] == {"ids": ["1", str(archived.object_id)]}
    assert "propertiesWithHistory" not in body["results"][0]  # none asked for


def test_batch_read_with_archived_true_reads_archived_deals_only(
    hubspot: httpx.Client, world: World
) -> None:
    archived = [d for d in world.hubspot.deals if d.archived_ms is not None]
    live = next(d for d in world.hubspot.deals if d.archived_ms is None)
    response = batch_read(
        hubspot,
        [d.object_id for d in archived] + [live.object_id],
        archived="true",
        propertiesWithHistory=["dealstage"],
    )
    assert response.status_code == 207
    body = response.json()
    assert [r["id"] for r in body["results"]] == [str(d.object_id) for d in archived]
    assert all(r["archived"] and r["archivedAt"] for r in body["results"])
    assert body["errors"][0]["context"]["ids"] == [str(live.object_id)]
    assert all(len(r["propertiesWithHistory"]["dealstage"]) >= 1 for r in body["results"])


@pytest.mark.parametrize(
    "body",
    [
        {"inputs": [{"id": str(i)} for i in range(101)]},
        {"inputs": []},
        {"inputs": [{"id": "1"}], "idProperty": "email"},
        {"inputs": ["1"]},
        {"inputs": [{"id": "1"}], "propertiesWithHistory": "dealstage"},
    ],
    ids=["over 100 inputs", "no inputs", "idProperty", "bare ids", "history names not a list"],
)
def test_batch_read_rejects_invalid_requests(hubspot: httpx.Client, body: dict) -> None:
    response = hubspot.post(BATCH_READ, json=body)
    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR"


def test_batch_read_of_contacts_has_no_tracked_history(hubspot: httpx.Client, world: World) -> None:
    contact = next(c for c in world.hubspot.contacts if c.archived_ms is None)
    response = hubspot.post(
        f"{OBJECTS}/contacts/batch/read",
        json={
            "inputs": [{"id": str(contact.object_id)}],
            "properties": ["email"],
            "propertiesWithHistory": ["lifecyclestage"],
            "idProperty": "hs_object_id",
        },
    )
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["properties"] == {"email": contact.properties["email"]}
    assert result["propertiesWithHistory"] == {}
    assert contact.history == {}


def test_batch_read_is_recorded_and_takes_faults(world: World) -> None:
    deal = next(d for d in world.hubspot.deals if d.archived_ms is None)
    with HubSpotServer(world, faults=Faults(rate_limit=1)) as server:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        body = {"inputs": [{"id": str(deal.object_id)}]}
        for _ in range(2):
            httpx.post(f"{server.url}{BATCH_READ}", headers=headers, json=body)
        assert [(r.path, r.status, r.fault) for r in server.requests] == [
            (BATCH_READ, 429, Fault.RATE_LIMIT),
            (BATCH_READ, 200, None),
        ]


# HubSpot's versions, service-key scopes, properties API and limits (issue 13).
@contextmanager
def stand_in(world: World, **options: Any) -> Iterator[httpx.Client]:
    """A client of a HubSpot stand-in built with ``options``, holding its service key."""
    with (
        HubSpotServer(world, **options) as server,
        httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}) as client,
    ):
        yield client


def not_found(response: httpx.Response) -> bool:
    """HubSpot's answer for a path it does not serve: 404, no category."""
    body = response.json()
    return (
        response.status_code == 404
        and body["status"] == "error"
        and body["message"] == "resource not found"
        and set(body) == {"status", "message", "correlationId", "requestId"}
    )


def test_date_versioned_and_legacy_paths_serve_the_same_portal(hubspot: httpx.Client) -> None:
    params = {"limit": 100, "properties": "email,lead_grade"}
    dated = hubspot.get(f"{OBJECTS}/contacts", params=params).json()
    legacy = hubspot.get("/crm/v3/objects/contacts", params=params).json()
    assert dated["results"] == legacy["results"]
    inputs = {"inputs": [{"id": str(deal)} for deal, _ in hubspot_pairs(hubspot)[:5]]}
    assert (
        hubspot.post(ASSOCIATIONS, json=inputs).json()["results"]
        == hubspot.post("/crm/v4/associations/deals/contacts/batch/read", json=inputs).json()[
            "results"
        ]
    )
    for path in ("/crm/v3/owners/", "/crm/v3/pipelines/deals", "/account-info/v3/details"):
        assert hubspot.get(path).status_code == 200, path


def hubspot_pairs(hubspot: httpx.Client) -> list[tuple[int, int]]:
    deals, _ = list_all(hubspot, f"{OBJECTS}/deals", limit=100, associations="contacts")
    return [
        (int(d["id"]), int(a["id"]))
        for d in deals
        for a in d.get("associations", {}).get("contacts", {}).get("results", [])
    ]


@pytest.mark.parametrize(
    ("today", "path", "served"),
    [
        (date(2026, 9, 7), "/crm/objects/2026-09/contacts", False),  # the day before GA
        (date(2026, 9, 8), "/crm/objects/2026-09/contacts", True),
        (date(2027, 9, 29), "/crm/objects/2026-03/contacts", True),
        (date(2027, 9, 30), "/crm/objects/2026-03/contacts", False),  # 18 months after GA
        (date(2028, 3, 8), "/crm/owners/2026-09", False),
        (date(2027, 3, 29), "/crm/v4/associations/deals/contacts/batch/read", True),
        (date(2027, 3, 30), "/crm/v4/associations/deals/contacts/batch/read", False),
        (date(2027, 3, 30), "/crm/v3/objects/contacts", True),  # v1-v3 last until September
        (date(2027, 9, 1), "/crm/v3/objects/contacts", False),
        (date(2026, 12, 5), "/crm/objects/2025-09/contacts", False),  # never released
        (date(2026, 12, 5), "/crm/objects/2027-03-beta/contacts", False),  # not served here
    ],
)
def test_each_version_is_served_from_its_release_to_its_end_of_support(
    world: World, today: date, path: str, served: bool
) -> None:
    with stand_in(world, api_today=today) as client:
        if "batch/read" in path:
            response = client.post(path, json={"inputs": [{"id": "1"}]})
        else:
            response = client.get(path)
    assert (response.status_code in (200, 207)) is served, response.text
    if not served:
        assert not_found(response)


def test_a_key_without_a_scope_gets_hubspots_missing_scopes_403(world: World) -> None:
    scopes = {"crm.objects.contacts.read"}
    with stand_in(world, scopes=scopes) as client:
        assert client.get(f"{OBJECTS}/contacts").status_code == 200
        assert client.get(f"/account-info/{VERSION}/details").status_code == 200  # no scope
        refused = {
            "deals": client.post(f"{OBJECTS}/deals/search", json={}),
            "owners": client.get(OWNERS),
            "pipelines": client.get(PIPELINES_PATH),
            "properties": client.get(f"/crm/properties/{VERSION}/companies"),
        }
    for name, response in refused.items():
        assert response.status_code == 403, name
        body = response.json()
        assert body["category"] == "MISSING_SCOPES" and body["status"] == "error"
        assert body["message"].startswith("This app hasn't been granted all required scopes")
        assert body["links"] == {"scopes": "https://developers.hubspot.com/scopes"}
        (error,) = body["errors"]
        assert error["message"] == "One or more of the following scopes are required."
        assert error["context"]["requiredGranularScopes"]
    assert refused["owners"].json()["errors"][0]["context"] == {
        "requiredGranularScopes": ["crm.objects.owners.read"]
    }
    assert refused["properties"].json()["errors"][0]["context"]["requiredGranularScopes"] == [
        "crm.objects.companies.read",
        "crm.schemas.companies.read",
    ]


def test_the_properties_api_lists_custom_and_hubspot_defined_properties(
    hubspot: httpx.Client, world: World
) -> None:
    for kind, custom in (
        ("contacts", {"li_fat_id", "lead_grade"}),
        ("companies", set()),
        ("deals", {"list_amount", "deal_region"}),
    ):
        response = hubspot.get(f"/crm/properties/{VERSION}/{kind}")
        assert response.status_code == 200 and "paging" not in response.json()
        listed = {p["name"]: p for p in response.json()["results"]}
        assert {name for name, p in listed.items() if not p.get("hubspotDefined")} == custom
        record = getattr(world.hubspot, kind)[0]
        assert set(record.properties) <= set(listed)  # every value has its definition
        for definition in listed.values():
            assert {"name", "label", "type", "fieldType", "calculated", "archived"} <= set(
                definition
            )
    contacts = {
        p["name"]: p for p in hubspot.get(f"/crm/properties/{VERSION}/contacts").json()["results"]
    }
    grade = contacts["lead_grade"]
    assert (grade["type"], grade["fieldType"]) == ("enumeration", "select")
    assert [o["value"] for o in grade["options"]] == ["A", "B", "C", "D"]
    assert contacts["hs_analytics_first_referrer"]["hubspotDefined"] is True  # empty here
    assert contacts["createdate"]["type"] == "datetime"


def test_custom_values_are_served_on_records(hubspot: httpx.Client, world: World) -> None:
    records, _ = list_all(
        hubspot, f"{OBJECTS}/deals", limit=100, properties="deal_region,list_amount"
    )
    planted = {str(d.object_id): d.properties for d in world.hubspot.deals}
    assert records
    for record in records:
        for name in ("deal_region", "list_amount"):
            assert record["properties"][name] == planted[record["id"]][name]


def test_account_details(hubspot: httpx.Client) -> None:
    body = hubspot.get(f"/account-info/{VERSION}/details").json()
    assert body["portalId"] == 24_681_357 and body["accountType"] == "STANDARD"
    assert {"timeZone", "companyCurrency", "uiDomain", "dataHostingLocation"} <= set(body)


def test_a_get_past_the_url_limit_is_a_414_without_json(world: World) -> None:
    names = ",".join(f"property_{n}" for n in range(40))
    with stand_in(world, url_limit=300) as client:
        refused = client.get(f"{OBJECTS}/contacts", params={"properties": names})
        short = client.get(f"{OBJECTS}/contacts", params={"properties": "email"})
    assert refused.status_code == 414
    with pytest.raises(ValueError):
        refused.json()
    assert short.status_code == 200


def test_search_takes_25_filters_at_most(hubspot: httpx.Client) -> None:
    def groups(sizes: list[int]) -> list[dict]:
        test = {"propertyName": "amount", "operator": "GTE", "value": "0"}
        return [{"filters": [test] * size} for size in sizes]

    ok = hubspot.post(f"{OBJECTS}/deals/search", json={"filterGroups": groups([10, 10, 5])})
    assert ok.status_code == 200
    for sizes in ([10, 10, 6], [11], [1] * 6):
        refused = hubspot.post(f"{OBJECTS}/deals/search", json={"filterGroups": groups(sizes)})
        assert refused.status_code == 400 and refused.json()["category"] == "VALIDATION_ERROR"
