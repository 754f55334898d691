"""Marketing attribution on the synthetic company (the shared nightly run, `published_company`):
every model's invariants on real data, identity stitching against what the generator planted,
the reports reconciling with the facts, and the planted channel quality recovered.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from sandbox.hubspot_data import CHANNEL_RATES
from sandbox.world import World

pytestmark = pytest.mark.integration

MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "position_based",
    "w_shaped",
    "time_decay",
    "data_driven",
)
LOOKBACK = timedelta(days=90)  # var attribution_lookback_days
TOLERANCE = Decimal("1e-9")
# Planted-quality checks compare only channels with enough people, and only pairs whose planted
# rates differ by at least this factor: a smaller gap could flip by sampling error alone.
MIN_RATIO = 1.5


def _rows(url: str, sql: str, *params: Any) -> list[dict[str, Any]]:
    with psycopg.connect(url) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(sql, params)
        return cur.fetchall()


@pytest.fixture(scope="module")
def url(published_company: dict) -> str:
    return published_company["url"]


@pytest.fixture(scope="module")
def attribution(url: str) -> list[dict[str, Any]]:
    """The contact scope (the primary contact's journeys), as fct_attribution was before the
    account scope came (tests/integration/test_account_attribution.py checks that one)."""
    return _rows(url, "select * from analytics.fct_attribution where attribution_scope = 'contact'")


@pytest.fixture(scope="module")
def touchpoints(url: str) -> list[dict[str, Any]]:
    return _rows(url, "select * from analytics.fct_touchpoints")


def test_credit_sums_to_one_per_conversion_and_model(attribution: list[dict[str, Any]]) -> None:
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in attribution:
        assert 0 < row["credit"] <= 1, row
        totals[row["conversion_id"], row["model"]] += row["credit"]
    off = {key: total for key, total in totals.items() if abs(total - 1) > TOLERANCE}
    assert not off, list(off.items())[:5]
    conversions = {conversion for conversion, _ in totals}
    by_model = {model: {c for c, m in totals if m == model} for model in MODELS}
    assert {model for _, model in totals} == set(MODELS)
    assert all(found == conversions for found in by_model.values())
    types = {row["conversion_type"] for row in attribution}
    assert types == {"lead", "mql", "sql", "opportunity", "closed_won"}


def test_revenue_credit_sums_to_the_deal_amount(
    url: str, attribution: list[dict[str, Any]]
) -> None:
    deals = {
        row["deal_key"]: row
        for row in _rows(url, "select deal_key, amount_reporting, is_won from analytics.fct_deals")
    }
    revenue: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in attribution:
        if row["conversion_type"] in ("opportunity", "closed_won"):
            revenue[row["conversion_id"], row["model"]] += row["revenue_credit"]
            assert row["deal_key"] in deals, row
        else:
            assert row["revenue_credit"] == 0, row
    for (conversion_id, _), total in revenue.items():
        deal_key = conversion_id.split(":", 1)[1]
        assert abs(total - deals[deal_key]["amount_reporting"]) < Decimal("0.000001")
    # every deal is an opportunity conversion; every won deal a closed_won one
    opportunities = {c.split(":", 1)[1] for c, _ in revenue if c.startswith("opportunity:")}
    won = {c.split(":", 1)[1] for c, _ in revenue if c.startswith("closed_won:")}
    assert opportunities == set(deals)
    assert won == {key for key, deal in deals.items() if deal["is_won"]}
    assert won


def _window_touches(
    attribution: list[dict[str, Any]], touchpoints: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Each conversion's touches in the lookback window, recomputed from fct_touchpoints."""
    by_contact: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for touch in touchpoints:
        by_contact[touch["contact_id"]].append(touch)
    conversions = {row["conversion_id"]: row for row in attribution}
    return {
        conversion_id: sorted(
            (
                touch
                for touch in by_contact.get(row["contact_id"], [])
                if row["converted_at"] - LOOKBACK < touch["touched_at"] <= row["converted_at"]
            ),
            key=lambda touch: (touch["touched_at"], touch["touchpoint_id"]),
        )
        for conversion_id, row in conversions.items()
    }


def test_rule_models_match_a_recomputation_from_the_touchpoints(
    attribution: list[dict[str, Any]], touchpoints: list[dict[str, Any]]
) -> None:
    """first_touch, last_touch and linear, and the unattributed rule, recomputed in Python."""
    journeys = _window_touches(attribution, touchpoints)
    credited: dict[tuple[str, str], dict[str | None, Decimal]] = defaultdict(dict)
    for row in attribution:
        credited[row["conversion_id"], row["model"]][row["touchpoint_id"]] = row["credit"]
    unattributed = 0
    for conversion_id, touches in journeys.items():
        if not touches:
            unattributed += 1
            for model in MODELS:
                assert credited[conversion_id, model] == {None: 1}, (conversion_id, model)
            continue
        ids = [touch["touchpoint_id"] for touch in touches]
        assert credited[conversion_id, "first_touch"] == {ids[0]: 1}
        assert credited[conversion_id, "last_touch"] == {ids[-1]: 1}
        linear = credited[conversion_id, "linear"]
        assert set(linear) == set(ids)
        assert all(abs(c - Decimal(1) / len(ids)) < TOLERANCE for c in linear.values())
        for model in MODELS:
            assert set(credited[conversion_id, model]) <= set(ids), (conversion_id, model)
    assert unattributed < len(journeys) / 10  # most conversions do have touches
    channels = {row["channel"] for row in attribution if row["touchpoint_id"] is None}
    assert channels <= {"unattributed"}


def test_ad_clicks_link_to_their_contacts_and_campaigns(
    touchpoints: list[dict[str, Any]], world: World
) -> None:
    """Every planted ad-click contact has an ad_click touch with its click id, platform and
    campaign (Google's campaign from the click_view matched by gclid)."""
    clicks = {
        touch["record_key"]: touch for touch in touchpoints if touch["touch_type"] == "ad_click"
    }
    live = {str(c.object_id) for c in world.hubspot.contacts if c.archived_ms is None}
    planted = [c for c in world.truth()["ad_click_contacts"] if c["contact_id"] in live]
    assert planted
    for contact in planted:
        touch = clicks.get(f"hubspot:{contact['contact_id']}")
        assert touch is not None, contact
        assert touch["click_id"] == contact["click_id"]
        assert touch["platform"] == contact["platform"]
        assert touch["campaign_id"] == contact["campaign_id"]
        assert touch["campaign_key"] == f"{contact['platform']}:{contact['campaign_id']}"
    # Google serves click_view for the last 90 days only: recent clicks are all matched
    recent = world.config.end - timedelta(days=80)
    google = [
        clicks[f"hubspot:{c['contact_id']}"]
        for c in planted
        if c["platform"] == "google_ads" and date.fromisoformat(c["date"]) >= recent
    ]
    assert google and all(touch["is_click_matched"] for touch in google)
    expected = {"google_ads": "paid_search", "meta_ads": "paid_social_meta"}
    expected["linkedin_ads"] = "paid_social_linkedin"
    assert all(touch["channel"] == expected[touch["platform"]] for touch in clicks.values())


def test_identity_stitches_crm_duplicates_and_merges(url: str, world: World) -> None:
    people = _rows(url, "select * from analytics.dim_contacts")
    assert people
    by_hubspot = {p["hubspot_contact_id"]: p for p in people if p["hubspot_contact_id"]}
    hubspot_emails = {
        c.properties["email"]: str(c.object_id)
        for c in world.hubspot.contacts
        if c.archived_ms is None and c.properties["email"]
    }
    mirrored = [
        (hubspot_emails[c.fields["Email"]], c.record_id)
        for c in world.salesforce.of("Contact")
        if c.fields["Email"] in hubspot_emails and not c.is_deleted
    ]
    assert mirrored
    person_of = {
        hubspot_id: p
        for p in people
        if p["hubspot_contact_ids"]
        for hubspot_id in p["hubspot_contact_ids"].split(";")
    }
    for hubspot_id, salesforce_id in mirrored:
        person = person_of[hubspot_id]
        assert person["contact_id"].startswith("hubspot:")
        assert person["salesforce_contact_id"] is not None, (hubspot_id, salesforce_id)
    merged = [
        (str(c.object_id), c.properties["hs_merged_object_ids"])
        for c in world.hubspot.contacts
        if c.archived_ms is None and c.properties["hs_merged_object_ids"]
    ]
    assert merged
    for survivor, merged_ids in merged:
        ids = person_of[survivor]["hubspot_contact_ids"].split(";")
        assert all(merged_id in ids for merged_id in merged_ids.split(";"))
        assert not any(merged_id in by_hubspot for merged_id in merged_ids.split(";"))
    assert len({p["contact_id"] for p in people}) == len(people)
    assert all(len(p["email_hash"]) == 64 for p in people if p["email_hash"])


def test_channel_performance_reconciles_with_spend_and_attribution(url: str) -> None:
    report = _rows(url, "select * from analytics.rpt_channel_performance")
    spend = _rows(url, "select sum(spend_reporting) as spend from analytics.fct_ad_spend_daily")
    credited = _rows(
        url,
        "select model, conversion_type, sum(credit) as credit, sum(revenue_credit) as revenue "
        "from analytics.fct_attribution where attribution_scope = 'contact' group by 1, 2",
    )
    columns = {"lead": "leads", "mql": "mqls", "sql": "sqls"}
    columns |= {"opportunity": "opportunities", "closed_won": "won_deals"}
    for period_type in ("day", "month"):
        for model in MODELS:
            rows = [r for r in report if r["period_type"] == period_type and r["model"] == model]
            assert abs(sum(r["spend"] for r in rows) - spend[0]["spend"]) < Decimal("0.01")
            for total in (c for c in credited if c["model"] == model):
                column = columns[total["conversion_type"]]
                assert abs(sum(r[column] for r in rows) - total["credit"]) < Decimal("1e-6")
                if total["conversion_type"] == "closed_won":
                    revenue = sum(r["attributed_revenue"] for r in rows)
                    assert abs(revenue - total["revenue"]) < Decimal("0.01")
    for row in report:
        if row["spend"] and row["leads"]:
            assert row["cpl"] == pytest.approx(row["spend"] / row["leads"])
        if row["spend"]:
            assert row["roas"] == pytest.approx(row["attributed_revenue"] / row["spend"])


def test_funnel_and_handoff_reconcile_with_the_conversions(url: str) -> None:
    funnel = _rows(url, "select * from analytics.rpt_funnel")
    handoff = _rows(url, "select * from analytics.rpt_marketing_sales_handoff")
    people = _rows(
        url,
        "select count(became_lead_at) as leads, count(became_mql_at) as mqls "
        "from analytics.dim_contacts",
    )[0]
    deals = _rows(
        url,
        "select sum(amount_reporting) as amount from analytics.fct_deals where created_at "
        "is not null",
    )[0]
    assert sum(r["leads"] for r in funnel) == people["leads"]
    assert sum(r["mqls"] for r in funnel) == people["mqls"]
    for row in funnel:
        assert row["leads"] >= row["mqls"] and row["leads"] >= row["opportunities"]
        for rate in ("lead_to_mql_rate", "mql_to_sql_rate", "opportunity_to_won_rate"):
            assert row[rate] is None or 0 <= row[rate] <= 1, row
    assert sum(r["leads"] for r in handoff) == people["leads"]
    pipeline = sum(r["marketing_sourced_pipeline"] + r["sales_sourced_pipeline"] for r in handoff)
    assert abs(pipeline - deals["amount"]) < Decimal("0.01")
    assert sum(r["marketing_sourced_pipeline"] for r in handoff) > 0
    assert any(r["median_days_mql_to_first_sales_activity"] is not None for r in handoff)
    assert all(
        r["median_days_mql_to_first_sales_activity"] >= 0
        for r in handoff
        if r["median_days_mql_to_first_sales_activity"] is not None
    )


def _ordered_pairs(
    measured: dict[str, float], planted: dict[str, float]
) -> list[tuple[str, str, float, float]]:
    """Channel pairs (better, worse) whose planted rates differ by MIN_RATIO or more, with the
    measured values; a check compares each pair."""
    names = sorted(set(measured) & set(planted))
    return [
        (better, worse, measured[better], measured[worse])
        for better in names
        for worse in names
        if planted[better] >= MIN_RATIO * planted[worse] - 1e-9  # 0.6 vs 1.5 x 0.4
    ]


def test_data_driven_recovers_the_planted_channel_quality(url: str) -> None:
    """data_driven MQL credit per person first reached by a channel orders the channels as
    their planted lead-to-MQL rates do.

    Formulation, for robustness at the test world's size (about 40-130 people per big
    channel): only HubSpot people (the generator plants its channel rates in the HubSpot
    funnel; Salesforce has no MQL stage, so its leads would only dilute the channels they
    came through), only channels with at least 30 such people, and only pairs of channels
    whose planted rates differ by a factor of 1.5 or more (e.g. paid search 0.55 against
    Meta 0.25): with these counts a gap that size is several standard errors wide, so the
    order cannot flip by sampling error alone, while any model ignoring the conversions
    (or crediting the wrong channel) gets it wrong.
    """
    rows = _rows(
        url,
        """
        with people as (
            select contact_id, first_touch_channel
            from analytics.dim_contacts
            where not is_deleted and hubspot_contact_id is not null
        ),
        reached as (
            select first_touch_channel as channel, count(*) as people
            from people group by 1
        ),
        credited as (
            select attribution.channel, sum(attribution.credit) as mqls
            from analytics.fct_attribution as attribution
            inner join people on attribution.contact_id = people.contact_id
            where attribution.model = 'data_driven' and attribution.conversion_type = 'mql'
                and attribution.attribution_scope = 'contact'
            group by 1
        )
        select reached.channel, reached.people, coalesce(credited.mqls, 0) as mqls
        from reached left join credited on reached.channel = credited.channel
        where reached.people >= 30
        """,
    )
    measured = {r["channel"]: float(r["mqls"]) / r["people"] for r in rows}
    planted = {name: rates.lead_to_mql for name, rates in CHANNEL_RATES.items()}
    pairs = _ordered_pairs(measured, planted)
    assert len(pairs) >= 3, measured
    wrong = [pair for pair in pairs if pair[2] <= pair[3]]
    assert not wrong, (wrong, measured)


def test_funnel_recovers_the_planted_channel_quality(url: str) -> None:
    """rpt_funnel's MQL-to-SQL rate, pooled over the cohorts, orders the channels as their
    planted mql_to_sql rates do.

    Formulation, for robustness at the test world's size: MQL to SQL is the stage whose
    people are all HubSpot contacts (Salesforce has no MQL), so no other CRM dilutes it;
    only channels with at least 15 MQLs; only pairs whose planted rates differ by a factor of
    1.5 or more (paid search 0.70, LinkedIn and organic 0.60 against Meta 0.40).
    """
    rows = _rows(
        url,
        "select channel, sum(mqls) as mqls, sum(mql_to_sql_rate * mqls) as mqls_to_sql "
        "from analytics.rpt_funnel group by 1 having sum(mqls) >= 15",
    )
    measured = {r["channel"]: float(r["mqls_to_sql"]) / r["mqls"] for r in rows}
    planted = {name: rates.mql_to_sql for name, rates in CHANNEL_RATES.items()}
    pairs = _ordered_pairs(measured, planted)
    assert len(pairs) >= 2, measured
    wrong = [pair for pair in pairs if pair[2] <= pair[3]]
    assert not wrong, (wrong, measured)


def test_touchpoints_are_inside_the_data_and_carry_a_channel(
    touchpoints: list[dict[str, Any]], world: World
) -> None:
    end = datetime.combine(world.config.end, datetime.min.time()).astimezone()
    assert touchpoints
    assert all(touch["channel"] for touch in touchpoints)
    assert all(touch["touched_at"] <= end + timedelta(days=1) for touch in touchpoints)
    types = {touch["touch_type"] for touch in touchpoints}
    assert {"ad_click", "first_source", "latest_source", "campaign_member"} <= types
