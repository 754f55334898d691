"""Custom CRM fields reach `analytics` through the dbt var alone: the shared run sets
`custom_fields` (THINLINE_DBT_VARS, tests/integration/conftest.py) and no model is edited. The
synthetic org's Salesforce custom fields and the portal's custom HubSpot properties must come
out exactly as the stand-ins served them."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

from sandbox.world import World

pytestmark = pytest.mark.integration


def published(url: str, query: str) -> dict[str, dict]:
    with psycopg.connect(url) as conn:
        return dict(conn.execute(query).fetchall())


def test_salesforce_custom_fields_reach_deals_and_accounts(
    published_company: dict, world: World
) -> None:
    url = published_company["url"]
    deals = published(
        url, "select deal_id, custom_fields from analytics.fct_deals where crm = 'salesforce'"
    )
    planted = {
        record.record_id: record.fields.get("Region__c")
        for record in world.salesforce.of("Opportunity")
        if not record.is_deleted
    }
    assert deals.keys() == planted.keys()
    assert {deal_id: fields.get("region__c") for deal_id, fields in deals.items()} == planted
    assert set(planted.values()) >= {"North America", "EMEA"}  # the field really varies

    accounts = published(
        url,
        "select account_id, custom_fields from analytics.dim_accounts where crm = 'salesforce'",
    )
    tiers = {r.record_id: r.fields.get("Tier__c") for r in world.salesforce.of("Account")}
    assert {account_id: fields.get("tier__c") for account_id, fields in accounts.items()} == tiers
    assert None in tiers.values() and len(set(tiers.values())) > 2


def test_a_salesforce_lead_score_reaches_its_person(published_company: dict, world: World) -> None:
    people = published(
        published_company["url"],
        # people of one record: with several, the merge rule decides (a dbt unit test)
        "select salesforce_lead_id, custom_fields from analytics.dim_contacts "
        "where salesforce_lead_id is not null and record_count = 1",
    )
    scores = {
        r.record_id: r.fields.get("Lead_Score__c")
        for r in world.salesforce.of("Lead")
        if r.record_id in people
    }
    assert len(scores) == len(people) > 10
    for lead_id, score in scores.items():
        shown = people[lead_id].get("lead_score__c")
        assert (None if shown is None else Decimal(str(shown))) == score, lead_id


def test_hubspot_custom_properties_reach_deals_and_contacts(
    published_company: dict, world: World
) -> None:
    url = published_company["url"]
    deals = published(
        url, "select deal_id, custom_fields from analytics.fct_deals where crm = 'hubspot'"
    )
    planted = {
        str(deal.object_id): deal.properties.get("deal_region")
        for deal in world.hubspot.deals
        if deal.archived_ms is None
    }
    assert deals.keys() == planted.keys()
    assert {deal_id: fields.get("region") for deal_id, fields in deals.items()} == planted
    assert len(set(planted.values())) > 1

    contacts = published(
        url,
        "select hubspot_contact_id, custom_fields from analytics.dim_contacts "
        "where hubspot_contact_id is not null and record_count = 1",
    )
    grades = {
        str(contact.object_id): contact.properties.get("lead_grade")
        for contact in world.hubspot.contacts
        if str(contact.object_id) in contacts
    }
    assert len(grades) == len(contacts) > 10
    assert {cid: fields.get("lead_grade") for cid, fields in contacts.items()} == grades
