"""The synthetic company as of ``end``: what every stand-in server serves, and the truth to check.

Another source is one more ``build_<source>`` and one more field here, drawn from its own
seeded generator so the others stay as they were.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sandbox.clock import iso
from sandbox.config import WorldConfig
from sandbox.google_ads_data import RESTATEMENT_DAYS, GoogleAdsData, build_google_ads
from sandbox.hubspot_data import CrmRecord, HubSpotData, build_hubspot, build_hubspot_activities
from sandbox.linkedin_ads_data import LinkedInAdsData, build_linkedin_ads
from sandbox.meta_ads_data import MetaAdsData, build_meta_ads
from sandbox.microsoft_ads_data import MicrosoftAdsData, build_microsoft_ads
from sandbox.salesforce_data import (
    SalesforceData,
    build_salesforce,
    build_salesforce_activities,
)

__all__ = ["World", "WorldConfig", "build_world"]


@dataclass(frozen=True)
class World:
    config: WorldConfig
    hubspot: HubSpotData
    google_ads: GoogleAdsData
    meta_ads: MetaAdsData
    salesforce: SalesforceData
    linkedin_ads: LinkedInAdsData
    # no HubSpot contact comes from a Microsoft click: its own seed keeps every other source
    # byte-for-byte what it was before it was added
    microsoft_ads: MicrosoftAdsData
    salesforce_activity_truth: Any = None

    def truth(self) -> dict[str, Any]:
        """What a correct pipeline must end up with, as JSON-ready values."""
        ads = self.google_ads
        currency = {c.customer_id: c.currency for c in ads.customers}
        contacts_by_deal: dict[int, list[str]] = {}
        for deal_id, contact_id in self.hubspot.deal_contacts:
            contacts_by_deal.setdefault(deal_id, []).append(str(contact_id))
        return {
            "config": {
                "seed": self.config.seed,
                "scale": self.config.scale,
                "start": self.config.start.isoformat(),
                "end": self.config.end.isoformat(),
            },
            "as_of": iso(self.config.as_of_ms),
            # Conversions on these last days are provisional: a later ``end`` restates them.
            "restatement_days": RESTATEMENT_DAYS,
            "ad_spend": [
                {
                    "platform": "google_ads",
                    "customer_id": str(m.customer_id),
                    "currency": currency[m.customer_id],
                    "campaign_id": str(m.campaign_id),
                    "ad_group_id": str(m.ad_group_id),
                    "ad_id": str(m.ad_id),
                    "date": m.day.isoformat(),
                    "cost_micros": m.cost_micros,
                    "impressions": m.impressions,
                    "clicks": m.clicks,
                    "conversions": m.conversions,
                    "conversions_value": m.conversions_value,
                }
                for m in ads.metrics
            ]
            + self.meta_ads.ad_spend()
            + self.linkedin_ads.spend_truth()
            + self.microsoft_ads.ad_spend(),
            "deals": [
                _deal_truth(d, contacts_by_deal.get(d.object_id, [])) for d in self.hubspot.deals
            ],
            "paid_contacts": [
                {
                    "contact_id": str(contact_id),
                    "gclid": click.gclid,
                    "customer_id": str(click.customer_id),
                    "campaign_id": str(click.campaign_id),
                    "ad_group_id": str(click.ad_group_id),
                    "ad_id": str(click.ad_id),
                    "date": click.day.isoformat(),
                }
                for contact_id, click in self.hubspot.paid_contacts
            ],
            # HubSpot's planted knobs: channel_rates, deal_win_rule, rep_profiles, and
            # ad_click_contacts (the contacts of every platform's ad clicks, with click ids).
            **self.hubspot.planted_truth(),
            # Salesforce opportunities, deleted ones included (is_deleted: only queryAll sees them).
            "salesforce_opportunities": self.salesforce.opportunity_truth(),
            # The org's own exchange rates (CurrencyType, DatedConversionRate), per 1 USD.
            "salesforce_rates": self.salesforce.rates_truth(),
            # Sales activities: each rep's planted response habit (median delay to the first
            # outbound touch, business hours of the team's calendar in sandbox/activities.py)
            # and each lead's first outbound touch (None: unanswered as of end).
            "sales_activities": self.activity_truth(),
            # Buying committees: a colleague of the deal's contact, touched only by a partner's
            # event (a channel that touches no one else), associated with the deal.
            "buying_committees": self.hubspot.committee_truth(),
            "counts": self.counts(),
        }

    def activity_truth(self) -> dict[str, Any]:
        hubspot = self.hubspot.activities
        return {
            "hubspot": dict(hubspot.truth) if hubspot else {},
            "salesforce": dict(self.salesforce_activity_truth),
        }

    def counts(self) -> dict[str, dict[str, dict[str, int]]]:
        """Rows per raw entity as a full extract would land them: live and archived apart."""
        hubspot, ads = self.hubspot, self.google_ads

        def split(archived: list[bool]) -> dict[str, int]:
            return {"active": archived.count(False), "archived": archived.count(True)}

        def records(items: tuple[CrmRecord, ...]) -> dict[str, int]:
            return split([r.archived_ms is not None for r in items])

        def live(n: int) -> dict[str, int]:
            return {"active": n, "archived": 0}

        return {
            "hubspot": {
                "contacts": records(hubspot.contacts),
                "companies": records(hubspot.companies),
                "deals": records(hubspot.deals),
                "owners": split([o.archived_ms is not None for o in hubspot.owners]),
                "deal_pipelines": live(len(hubspot.pipelines)),
                "deal_contact_associations": live(len(hubspot.deal_contacts)),
                # one row of dealstage history per live deal
                "deal_stage_history": live(records(hubspot.deals)["active"]),
                **{
                    kind: records(items)
                    for kind, items in (
                        hubspot.activities.engagements.items() if hubspot.activities else ()
                    )
                },
            },
            "salesforce": self.salesforce.counts(),
            "meta_ads": self.meta_ads.counts(),
            "linkedin_ads": self.linkedin_ads.counts(),
            "microsoft_ads": self.microsoft_ads.counts(),
            "google_ads": {
                "customers": live(len(ads.customers)),
                "campaigns": live(len(ads.campaigns)),
                "campaign_daily_metrics": live(_distinct(ads, "campaign_id")),
                "ad_group_daily_metrics": live(_distinct(ads, "ad_group_id")),
                "ad_daily_metrics": live(len(ads.metrics)),
                "click_views": live(len(ads.click_view_clicks(self.config.end + timedelta(1)))),
            },
        }

    def write_truth(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.truth(), indent=1) + "\n")


def build_world(config: WorldConfig) -> World:
    google_ads = build_google_ads(config)
    meta_ads = build_meta_ads(config)
    linkedin_ads = build_linkedin_ads(config)
    hubspot = build_hubspot(config, google_ads, meta_ads, linkedin_ads)
    salesforce = build_salesforce(config, hubspot)
    microsoft_ads = build_microsoft_ads(config)
    # Sales activities last, from generators of their own: every record above is unchanged.
    sf_activities, sf_truth = build_salesforce_activities(config, salesforce)
    return World(
        config=config,
        # Planted buying-committee colleagues last of all: nothing above sees them.
        hubspot=replace(
            hubspot, activities=build_hubspot_activities(config, hubspot)
        ).with_committees(),
        google_ads=google_ads,
        meta_ads=meta_ads,
        salesforce=replace(salesforce, objects=salesforce.objects | sf_activities),
        linkedin_ads=linkedin_ads,
        microsoft_ads=microsoft_ads,
        salesforce_activity_truth=sf_truth,
    )


def _deal_truth(deal: CrmRecord, contact_ids: list[str]) -> dict[str, Any]:
    props = deal.properties
    is_closed = props["hs_is_closed"] == "true"
    return {
        "deal_id": str(deal.object_id),
        "dealname": props["dealname"],
        "amount": props["amount"],
        "list_amount": props["list_amount"],
        "currency": props["deal_currency_code"],
        "pipeline": props["pipeline"],
        "stage": props["dealstage"],
        "is_closed": is_closed,
        "is_won": props["hs_is_closed_won"] == "true",
        "archived": deal.archived_ms is not None,
        "owner_id": props["hubspot_owner_id"],
        "created_at": props["createdate"],
        "closed_at": props["closedate"] if is_closed else None,
        "contact_ids": contact_ids,
        # every dealstage value, oldest first (regressions and reopenings included)
        "stage_history": [[iso(ms), value] for ms, value in deal.history.get("dealstage", ())],
    }


def _distinct(ads: GoogleAdsData, level: str) -> int:
    return len({(getattr(m, level), m.day) for m in ads.metrics})
