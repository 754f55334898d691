"""Account-level (buying-committee) attribution on the synthetic company (the shared nightly
run, `published_company`): fct_attribution's account scope keeps every invariant of the
contact scope, holds the touches of every person on the deal, and credits the channel the
generator planted on colleagues only (sandbox/hubspot_data.py, COMMITTEE_RATE), which the
contact scope never credits. tests/integration/test_attribution.py checks the contact scope.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from sandbox.world import World

pytestmark = pytest.mark.integration

MODELS = {
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "position_based",
    "w_shaped",
    "time_decay",
    "data_driven",
}
DEAL_CONVERSIONS = {"opportunity", "closed_won"}
TOLERANCE = Decimal("1e-9")


def _rows(url: str, sql: str) -> list[dict[str, Any]]:
    with psycopg.connect(url) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(sql)
        return cur.fetchall()


@pytest.fixture(scope="module")
def url(published_company: dict) -> str:
    return published_company["url"]


@pytest.fixture(scope="module")
def scopes(url: str) -> dict[str, list[dict[str, Any]]]:
    """fct_attribution's rows by attribution_scope."""
    rows = _rows(url, "select * from analytics.fct_attribution")
    by_scope: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_scope[row["attribution_scope"]].append(row)
    return by_scope


def test_every_deal_conversion_has_an_account_scope_and_nothing_else_does(
    scopes: dict[str, list[dict[str, Any]]],
) -> None:
    assert set(scopes) == {"contact", "account"}
    deal_conversions = {
        row["conversion_id"]
        for row in scopes["contact"]
        if row["conversion_type"] in DEAL_CONVERSIONS
    }
    assert {row["conversion_id"] for row in scopes["account"]} == deal_conversions
    assert deal_conversions


def test_account_credit_sums_to_one_per_conversion_and_model(
    scopes: dict[str, list[dict[str, Any]]],
) -> None:
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in scopes["account"]:
        assert 0 < row["credit"] <= 1, row
        totals[row["conversion_id"], row["model"]] += row["credit"]
    off = {key: total for key, total in totals.items() if abs(total - 1) > TOLERANCE}
    assert not off, list(off.items())[:5]
    conversions = {conversion for conversion, _ in totals}
    for model in MODELS:
        assert {c for c, m in totals if m == model} == conversions, model
    assert {model for _, model in totals} == MODELS


def test_account_revenue_credit_sums_to_the_deal_amount(
    url: str, scopes: dict[str, list[dict[str, Any]]]
) -> None:
    deals = {
        row["deal_key"]: row["amount_reporting"]
        for row in _rows(url, "select deal_key, amount_reporting from analytics.fct_deals")
    }
    revenue: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in scopes["account"]:
        revenue[row["conversion_id"], row["model"]] += row["revenue_credit"]
    for (conversion_id, model), total in revenue.items():
        deal_key = conversion_id.split(":", 1)[1]
        assert abs(total - deals[deal_key]) < Decimal("0.000001"), (conversion_id, model)


def test_the_committee_journey_holds_the_primary_contacts_journey(
    scopes: dict[str, list[dict[str, Any]]],
) -> None:
    """Contact scope: only the conversion's person's touches. Account scope: those and more
    (the primary contact is on its deal's committee), with other people's touches in both
    CRMs' deals (HubSpot deal-contact associations, Salesforce opportunity contact roles)."""

    def journeys(rows: list[dict[str, Any]]) -> dict[str, set[str]]:
        touches: dict[str, set[str]] = defaultdict(set)
        for row in rows:  # linear credits every touch of the journey
            if row["model"] == "linear" and row["touchpoint_id"] is not None:
                touches[row["conversion_id"]].add(row["touchpoint_id"])
        return touches

    for row in scopes["contact"]:
        if row["touchpoint_id"] is not None:
            assert row["touched_contact_id"] == row["contact_id"], row
    contact, account = journeys(scopes["contact"]), journeys(scopes["account"])
    for conversion_id, touches in contact.items():
        if conversion_id.split(":", 1)[0] in DEAL_CONVERSIONS:
            assert touches <= account[conversion_id], conversion_id
    colleagues_touched = {
        row["deal_key"].split(":", 1)[0]
        for row in scopes["account"]
        if row["touchpoint_id"] is not None and row["touched_contact_id"] != row["contact_id"]
    }
    assert colleagues_touched == {"hubspot", "salesforce"}


def test_planted_partner_channel_is_credited_in_account_scope_only(
    scopes: dict[str, list[dict[str, Any]]], world: World
) -> None:
    planted = world.truth()["buying_committees"]
    channel = planted["channel"]
    colleagues = {f"hubspot:{contact}" for contact in planted["deals"].values()}
    assert colleagues

    contact_credit = [row for row in scopes["contact"] if row["channel"] == channel]
    assert contact_credit == []  # not one row: the channel never touched a primary contact

    credited = [row for row in scopes["account"] if row["channel"] == channel]
    by_model: dict[str, Decimal] = defaultdict(Decimal)
    for row in credited:
        by_model[row["model"]] += row["credit"]
        # only the planted colleagues were touched by it, on the deals they were planted on
        assert row["touched_contact_id"] in colleagues, row
        assert planted["deals"][row["deal_id"]] == row["touched_contact_id"].split(":", 1)[1]
    # every model that spreads credit over the journey gives the channel some
    for model in ("linear", "position_based", "w_shaped", "time_decay", "data_driven"):
        assert by_model[model] > 0, model
    revenue = sum(
        row["revenue_credit"] for row in credited if row["conversion_type"] == "closed_won"
    )
    assert revenue > 0
