"""The synthetic company: deterministic, append-only in time, internally consistent."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from sandbox import World, WorldConfig, build_world
from sandbox.google_ads_data import RESTATEMENT_DAYS
from sandbox.hubspot_data import PIPELINES, build_hubspot


def google_spend(world: World) -> list[dict[str, Any]]:
    return [r for r in world.truth()["ad_spend"] if r["platform"] == "google_ads"]


def test_same_config_builds_the_same_world(world: World) -> None:
    again = build_world(replace(world.config))
    assert json.dumps(again.truth()) == json.dumps(world.truth())
    assert again.hubspot == world.hubspot


def test_another_seed_builds_another_world(world: World) -> None:
    other = build_world(replace(world.config, seed=8))
    assert other.truth()["ad_spend"] != world.truth()["ad_spend"]
    assert [d.object_id for d in other.hubspot.deals] != [d.object_id for d in world.hubspot.deals]


def test_a_later_end_keeps_earlier_spend_and_only_restates_recent_conversions() -> None:
    early = build_world(WorldConfig(end=date(2026, 2, 15)))
    late = build_world(WorldConfig(end=date(2026, 3, 31)))
    key = ("ad_id", "date")
    late_rows = {tuple(r[k] for k in key): r for r in google_spend(late)}
    early_rows = google_spend(early)
    assert early_rows and all(r["date"] <= "2026-02-15" for r in early_rows)
    settled = (date(2026, 2, 15) - timedelta(days=RESTATEMENT_DAYS)).isoformat()
    restated = 0
    for row in early_rows:
        final = late_rows[tuple(row[k] for k in key)]
        for metric in ("cost_micros", "impressions", "clicks"):
            assert row[metric] == final[metric], (row, final)
        if row["date"] <= settled:
            assert row["conversions"] == final["conversions"]
        else:
            assert row["conversions"] <= final["conversions"]
            restated += row["conversions"] != final["conversions"]
    assert restated > 0, "recent days should be restated by a later end"
    assert len(late_rows) > len(early_rows)


def test_a_later_end_only_adds_crm_records_and_applies_later_changes() -> None:
    early = build_world(WorldConfig(end=date(2026, 2, 15)))
    late = build_world(WorldConfig(end=date(2026, 3, 31)))
    cutoff = early.config.as_of_ms
    for kind in ("contacts", "companies", "deals"):
        before = {r.object_id: r for r in getattr(early.hubspot, kind)}
        after = {r.object_id: r for r in getattr(late.hubspot, kind)}
        assert before.keys() < after.keys(), kind
        for object_id, record in before.items():
            later = after[object_id]
            assert later.created_ms == record.created_ms
            if later.updated_ms < cutoff:  # nothing changed since: identical
                assert later.properties == record.properties
            else:
                assert later.updated_ms >= record.updated_ms
        assert all(r.created_ms >= cutoff for i, r in after.items() if i not in before)


def test_truth_is_json_and_round_trips_through_a_file(world: World, tmp_path) -> None:
    path = tmp_path / "truth.json"
    world.write_truth(path)
    truth = json.loads(path.read_text())
    assert truth == json.loads(json.dumps(world.truth()))
    assert truth["config"] == {"seed": 7, "scale": 1.0, "start": "2026-01-01", "end": "2026-03-31"}
    counts = truth["counts"]
    assert counts["hubspot"]["deals"]["active"] + counts["hubspot"]["deals"]["archived"] == len(
        truth["deals"]
    )
    assert counts["google_ads"]["ad_daily_metrics"]["active"] == len(google_spend(world))
    assert counts["hubspot"]["owners"] == {"active": 6, "archived": 2}


def test_small_world_has_the_promised_size_and_variety(world: World) -> None:
    hubspot, ads = world.hubspot, world.google_ads
    assert 200 <= len(hubspot.contacts) <= 600
    assert 20 <= len(hubspot.deals) <= 100
    assert {c.currency for c in ads.customers} == {"USD", "EUR"}
    assert {c.status for c in ads.campaigns} == {"ENABLED", "PAUSED", "REMOVED"}
    assert {o.team_name for o in hubspot.owners} == {"NA Sales", "EMEA Sales"}
    assert any(r.archived_ms for r in hubspot.contacts)
    assert any(r.archived_ms for r in hubspot.deals)
    assert any(m.clicks == 0 for m in ads.metrics), "some days have impressions but no clicks"
    currencies = {d.properties["deal_currency_code"] for d in hubspot.deals}
    assert currencies == {"USD", "EUR"}


def test_crm_properties_are_strings_or_null(world: World) -> None:
    for record in (*world.hubspot.contacts, *world.hubspot.companies, *world.hubspot.deals):
        assert all(v is None or isinstance(v, str) for v in record.properties.values())
        assert record.properties["hs_object_id"] == str(record.object_id)


def test_deal_flags_amounts_and_dates_agree_with_their_stage(world: World) -> None:
    stages = {(p.pipeline_id, s.stage_id): s for p in PIPELINES for s in p.stages}
    truth = world.truth()
    for deal in truth["deals"]:
        stage = stages[deal["pipeline"], deal["stage"]]
        assert deal["is_closed"] == stage.is_closed and deal["is_won"] == stage.is_won
        assert Decimal(deal["amount"]).as_tuple().exponent == -2
        assert Decimal(deal["amount"]) <= Decimal(deal["list_amount"])
        assert (deal["closed_at"] is not None) == deal["is_closed"]
        if deal["closed_at"]:
            assert deal["closed_at"] >= deal["created_at"]
        assert deal["contact_ids"] or deal["archived"], "live deals have contacts"
        assert deal["created_at"] < truth["as_of"]


def test_paid_contacts_carry_gclids_of_clicks_on_active_ads(world: World) -> None:
    clicked = {(m.ad_id, m.day) for m in world.google_ads.metrics if m.clicks > 0}
    contacts = {c.object_id: c for c in world.hubspot.contacts}
    assert len(world.hubspot.paid_contacts) > 50
    for contact_id, click in world.hubspot.paid_contacts:
        props = contacts[contact_id].properties
        assert props["hs_google_click_id"] == click.gclid
        assert props["hs_analytics_source"] == "PAID_SEARCH"
        assert f"gclid={click.gclid}" in props["hs_analytics_first_url"]
        assert (click.ad_id, click.day) in clicked
    gclids = [click.gclid for _, click in world.hubspot.paid_contacts]
    assert len(set(gclids)) == len(gclids)


CLICK_PROPERTY = {
    "google_ads": "hs_google_click_id",
    "meta_ads": "hs_facebook_click_id",
    "linkedin_ads": "li_fat_id",  # a custom property: HubSpot has no standard LinkedIn one
}


def test_ad_clicks_of_every_platform_become_contacts_with_their_click_ids(world: World) -> None:
    contacts = {c.object_id: c.properties for c in world.hubspot.contacts}
    platforms = {click.platform for _, click in world.hubspot.ad_contacts}
    assert platforms == {"google_ads", "meta_ads", "linkedin_ads"}
    campaigns = {
        "google_ads": {c.campaign_id for c in world.google_ads.campaigns},
        "meta_ads": {c.campaign_id for c in world.meta_ads.campaigns},
        "linkedin_ads": {c.campaign_id for c in world.linkedin_ads.campaigns},
    }
    for contact_id, click in world.hubspot.ad_contacts:
        props = contacts[contact_id]
        assert props[CLICK_PROPERTY[click.platform]] == click.click_id
        others = set(CLICK_PROPERTY.values()) - {CLICK_PROPERTY[click.platform]}
        assert all(props[name] is None for name in others)
        assert click.campaign_id in campaigns[click.platform]
        url, google = props["hs_analytics_first_url"], click.platform == "google_ads"
        if google:
            assert props["hs_analytics_source"] == "PAID_SEARCH"
            assert "utm_source=google&utm_medium=cpc" in url
        else:
            network = "facebook" if click.platform == "meta_ads" else "linkedin"
            assert props["hs_analytics_source"] == "PAID_SOCIAL"
            assert props["hs_analytics_source_data_1"] == network
            assert f"utm_source={network}&utm_medium=paid_social" in url
        campaign = props["hs_analytics_source_data_1" if google else "hs_analytics_source_data_2"]
        assert f"utm_campaign={campaign}" in url
        assert url.endswith(f"={click.click_id}")
    truth = world.truth()["ad_click_contacts"]
    assert len(truth) == len(world.hubspot.ad_contacts)
    assert [c["click_id"] for c in truth] == [c.click_id for _, c in world.hubspot.ad_contacts]
    assert len({c["click_id"] for c in truth}) == len(truth)


def test_ad_click_contacts_first_page_is_the_clicked_ads_final_url(world: World) -> None:
    """The page part of a contact's first URL is the final URL of the ad (Google, Meta) or
    creative (LinkedIn) clicked; a Meta ad's url_tags are that URL's query, less the fbclid."""
    final_urls = {
        "google_ads": {ad.ad_id: ad.final_url for ad in world.google_ads.ads},
        "meta_ads": {ad.ad_id: ad.final_url for ad in world.meta_ads.ads},
        "linkedin_ads": {c.creative_id: c.landing_page for c in world.linkedin_ads.creatives},
    }
    meta_tags = {ad.ad_id: ad.url_tags for ad in world.meta_ads.ads}
    contacts = {c.object_id: c.properties for c in world.hubspot.contacts}
    pages: dict[str, set[str]] = {platform: set() for platform in final_urls}
    for contact_id, click in world.hubspot.ad_contacts:
        ad_id = click.creative_id if click.platform == "linkedin_ads" else click.ad_id
        page, query = contacts[contact_id]["hs_analytics_first_url"].split("?")
        assert page == click.landing_url == final_urls[click.platform][ad_id]
        assert "?" not in page and page.startswith("https://thinline.example/")
        pages[click.platform].add(page)
        if click.platform == "meta_ads":
            assert query == f"{meta_tags[ad_id]}&fbclid={click.click_id}"
    assert all(len(found) >= 2 for found in pages.values())  # several landing pages each


def test_a_google_only_portal_has_no_social_clicks(world: World) -> None:
    alone = build_hubspot(world.config, world.google_ads)
    assert alone == build_hubspot(world.config, world.google_ads)  # deterministic
    assert [click for _, click in alone.ad_contacts] == [c for _, c in alone.paid_contacts]
    assert {c.gclid for _, c in alone.paid_contacts} == {
        c.gclid for _, c in world.hubspot.paid_contacts
    }
    for contact in alone.contacts:
        assert contact.properties["hs_facebook_click_id"] is None
        assert contact.properties["li_fat_id"] is None


def test_channel_quality_and_rep_habits_are_planted_and_in_the_truth(world: World) -> None:
    truth = world.truth()
    rates = truth["channel_rates"]
    search, meta, linkedin = (
        rates[name] for name in ("paid_search", "paid_social_meta", "paid_social_linkedin")
    )
    steps = ("lead_to_mql", "mql_to_sql", "sql_to_opportunity", "opportunity_to_won")
    for step in steps:
        assert search[step] == max(r[step] for r in rates.values())  # paid search converts best
        assert meta[step] == min(r[step] for r in rates.values())  # Meta converts worst
        for organic in ("organic_search", "direct"):
            assert meta[step] < rates[organic][step] <= search[step]
    assert linkedin["deal_size"] == max(r["deal_size"] for r in rates.values())

    # the contacts' MQL rate follows the planted order (a fixed seed: no flakiness)
    contacts = {c.object_id: c.properties for c in world.hubspot.contacts}
    mql = {"google_ads": [], "meta_ads": []}
    for contact_id, click in world.hubspot.ad_contacts:
        if click.platform in mql and click.day < world.config.end - timedelta(days=10):
            mql[click.platform].append(
                contacts[contact_id]["hs_lifecyclestage_marketingqualifiedlead_date"] is not None
            )
    assert sum(mql["google_ads"]) / len(mql["google_ads"]) > 0.4
    assert sum(mql["meta_ads"]) / len(mql["meta_ads"]) < 0.35

    reps = truth["rep_profiles"]
    assert set(reps) == {str(o.owner_id) for o in world.hubspot.owners}
    assert len({rep["win_probability"] for rep in reps.values()}) > 2  # reps differ
    discounted = 0
    for deal in world.hubspot.deals:
        props = deal.properties
        rep = reps[props["hubspot_owner_id"]]
        assert 0 < rep["win_probability"] < 1 and 0 < rep["discount_probability"] < 1
        levels = rep["discount_levels"]
        assert rep["average_discount"] == pytest.approx(sum(levels) / len(levels))
        amount, list_amount = Decimal(props["amount"]), Decimal(props["list_amount"])
        if amount < list_amount:
            discounted += 1
            discount = float(round(1 - amount / list_amount, 2))
            assert discount in rep["discount_levels"], (deal.object_id, discount)
    assert discounted > 0
