"""Marketing consent is planted in the HubSpot world: most contacts grant, a minority do not.

The offline conversions (issue 20) send a person only with consent, read from HubSpot's
``hs_legal_basis`` ("Legal basis for processing contact's data"); the world must hold both
kinds, served by the stand-in like any other property, without moving any other value.
"""

from __future__ import annotations

import httpx
import pytest

from sandbox import World, build_world, hubspot_data
from tests.sandbox.conftest import SMALL
from tests.sandbox.test_sandbox_hubspot import OBJECTS, VERSION, list_all

# The property's options as HubSpot labels them (knowledge.hubspot.com, "Track lawful basis of
# processing in HubSpot"); the en dash is HubSpot's own.
OPTIONS = {
    "Legitimate interest – prospect/lead",
    "Legitimate interest – existing customer",
    "Legitimate interest - other",
    "Performance of a contract",
    "Freely given consent from contact",
    "Not applicable",
}
CONSENT = "Freely given consent from contact"


def test_most_contacts_consent_and_a_planted_minority_do_not(world: World) -> None:
    values = [c.properties.get("hs_legal_basis") for c in world.hubspot.contacts]
    stated = [v for v in values if v is not None]
    assert all(set(v.split(";")) <= OPTIONS for v in stated)
    granted = sum(1 for v in stated if CONSENT in v.split(";"))
    assert 0.75 < granted / len(values) < 0.92
    refused = {v for v in stated if CONSENT not in v.split(";")}
    assert {"Legitimate interest – prospect/lead", "Not applicable"} <= refused
    assert None in values  # some contacts have no basis recorded at all
    assert any(";" in v for v in stated)  # a multiple checkbox: some hold two bases
    # contacts with a click id are among both kinds, so some conversions are held back
    clicked = [
        c.properties.get("hs_legal_basis")
        for c in world.hubspot.contacts
        if c.properties.get("hs_google_click_id") or c.properties.get("hs_facebook_click_id")
    ]
    assert any(v and CONSENT in v for v in clicked)
    assert any(not v or CONSENT not in v for v in clicked)


def test_planting_consent_moves_no_other_value(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hubspot_data, "_plan_legal_basis", lambda portal: None)
    before = build_world(SMALL).hubspot

    def without_basis(records: tuple) -> list:
        return [
            (r.object_id, {k: v for k, v in r.properties.items() if k != "hs_legal_basis"})
            for r in records
        ]

    for kind in ("contacts", "companies", "deals"):
        assert without_basis(getattr(world.hubspot, kind)) == without_basis(getattr(before, kind))
    assert all(c.properties.get("hs_legal_basis") is None for c in before.contacts)


def test_the_stand_in_lists_and_serves_the_legal_basis(hubspot: httpx.Client, world: World) -> None:
    listed = {
        p["name"]: p for p in hubspot.get(f"/crm/properties/{VERSION}/contacts").json()["results"]
    }
    assert listed["hs_legal_basis"]["hubspotDefined"] is True
    records, _ = list_all(hubspot, f"{OBJECTS}/contacts", limit=100, properties="hs_legal_basis")
    planted = {
        str(c.object_id): c.properties for c in world.hubspot.contacts if c.archived_ms is None
    }
    assert len(records) == len(planted)
    for record in records:
        assert record["properties"]["hs_legal_basis"] == planted[record["id"]]["hs_legal_basis"]
