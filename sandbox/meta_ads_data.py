"""The synthetic company's Meta (Facebook) ads: two ad accounts, campaigns, ad sets, ads, insights.

Structure (accounts, campaigns, ad sets, ads, launch and stop days) is drawn once from the seed;
each day's insights from ``(seed, day)``. Meta attributes actions (leads, purchases) to the day
of the ad click for up to 7 days after it, so the last ``RESTATEMENT_DAYS`` days before ``end``
are served with fewer actions and a later ``end`` restates them upwards. Spend, impressions,
clicks and reach are final the day they are served.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sandbox.clock import day_start_ms
from sandbox.config import UniqueIds, WorldConfig, landing_page, poisson, rng

RESTATEMENT_DAYS = 7  # Meta's default 7-day click attribution window
FBCLID_ALPHABET = string.ascii_letters + string.digits + "-_"
LEAD = "lead"
PURCHASE = "offsite_conversion.fb_pixel_purchase"

# name, currency, time zone, region
ACCOUNTS = [
    ("Thinline US - Meta", "USD", "America/New_York", "US"),
    ("Thinline UK - Meta", "GBP", "Europe/London", "UK"),
    ("Thinline DE - Meta", "EUR", "Europe/Berlin", "DE"),  # with WorldConfig.meta_ad_accounts 3
]
# name, objective, ad set audiences
CAMPAIGN_TEMPLATES = [
    ("Lead Gen - Demo requests", "OUTCOME_LEADS", ["Lookalike 1%", "Interest - RevOps"]),
    ("Retargeting - Site visitors", "OUTCOME_SALES", ["Visitors 30d", "Pricing viewers"]),
    ("Prospecting - Video", "OUTCOME_AWARENESS", ["Broad", "Interest - Marketing ops"]),
    ("Traffic - Blog", "OUTCOME_TRAFFIC", ["Readers lookalike", "Interest - Sales ops"]),
]
# impressions per ad-day, click-through rate, CPM in cents, leads and purchases per click
OBJECTIVE_PROFILE = {
    "OUTCOME_LEADS": ((1500, 6000), (0.008, 0.02), (900, 2200), 0.003, 0.0),
    "OUTCOME_SALES": ((800, 3000), (0.01, 0.025), (1200, 3000), 0.001, 0.01),
    "OUTCOME_AWARENESS": ((5000, 20000), (0.002, 0.006), (300, 900), 0.0003, 0.0),
    "OUTCOME_TRAFFIC": ((2000, 8000), (0.01, 0.03), (500, 1400), 0.0005, 0.0),
}


@dataclass(frozen=True)
class AdAccount:
    account_id: int  # the bare id; the API's ``id`` is ``act_<account_id>``
    name: str
    currency: str
    timezone_name: str
    account_status: int = 1  # ACTIVE


@dataclass(frozen=True)
class Campaign:
    account_id: int
    campaign_id: int
    name: str
    objective: str
    status: str  # as of end: ACTIVE, PAUSED, ARCHIVED or DELETED
    created_day: date
    stop_day: date | None  # no delivery from this day on


@dataclass(frozen=True)
class AdSet:
    account_id: int
    campaign_id: int
    ad_set_id: int
    name: str


@dataclass(frozen=True)
class Ad:
    account_id: int
    campaign_id: int
    ad_set_id: int
    ad_id: int
    name: str
    final_url: str  # the creative's ``object_story_spec.link_data.link``: its campaign's page
    url_tags: str  # the creative's ``url_tags``: Meta appends them (and fbclid) on a click

    @property
    def creative_id(self) -> int:
        """The ad's creative: an id of its own, derived so no random draw is added."""
        return self.ad_id + 1_000_000_000_000


@dataclass(frozen=True)
class InsightDay:
    """One ad's insights on one day as served as of ``end``; only days with delivery exist."""

    account_id: int
    campaign_id: int
    ad_set_id: int
    ad_id: int
    day: date
    spend_cents: int  # account currency; all sandbox currencies have 2 decimals
    impressions: int
    clicks: int
    link_clicks: int
    reach: int
    leads: int
    purchases: int
    purchase_value: int  # whole currency units, so sums are exact everywhere

    @property
    def spend(self) -> str:
        """The API's decimal string, e.g. ``"37.12"``."""
        return f"{self.spend_cents // 100}.{self.spend_cents % 100:02d}"

    @property
    def cost_micros(self) -> int:
        return self.spend_cents * 10_000


@dataclass(frozen=True)
class PaidClick:
    """A Meta ad click whose visitor became a lead (a HubSpot contact with this fbclid)."""

    platform: str  # always "meta_ads"
    day: date
    at_ms: int
    click_id: str  # the fbclid, e.g. "IwAR2F4-..."
    account_id: int
    campaign_id: int
    ad_set_id: int
    ad_id: int
    landing_url: str  # the ad's final URL: the page the visitor landed on


@dataclass(frozen=True)
class MetaAdsData:
    accounts: tuple[AdAccount, ...]
    campaigns: tuple[Campaign, ...]
    ad_sets: tuple[AdSet, ...]
    ads: tuple[Ad, ...]
    insights: tuple[InsightDay, ...]
    paid_clicks: tuple[PaidClick, ...]

    def account(self, account_id: int) -> AdAccount | None:
        return next((a for a in self.accounts if a.account_id == account_id), None)

    def ad_spend(self) -> list[dict[str, Any]]:
        """Truth rows for ``World.truth()["ad_spend"]``, keyed like the Google Ads rows."""
        currency = {a.account_id: a.currency for a in self.accounts}
        return [
            {
                "platform": "meta_ads",
                "customer_id": str(m.account_id),
                "currency": currency[m.account_id],
                "campaign_id": str(m.campaign_id),
                "ad_group_id": str(m.ad_set_id),
                "ad_id": str(m.ad_id),
                "date": m.day.isoformat(),
                "spend": m.spend,
                "cost_micros": m.cost_micros,
                "impressions": m.impressions,
                "clicks": m.clicks,
                "conversions": m.leads + m.purchases,
                "conversions_value": float(m.purchase_value),
                "leads": m.leads,
                "purchases": m.purchases,
            }
            for m in self.insights
        ]

    def counts(self) -> dict[str, dict[str, int]]:
        """Rows per raw_meta_ads table after a full extract (deleted campaigns are flagged)."""
        deleted = sum(c.status == "DELETED" for c in self.campaigns)
        return {
            "ad_accounts": {"active": len(self.accounts), "archived": 0},
            "campaigns": {"active": len(self.campaigns) - deleted, "archived": deleted},
            "ads": {"active": len(self.ads), "archived": 0},  # no deleted campaign has ads
            "ad_daily_insights": {"active": len(self.insights), "archived": 0},
        }


@dataclass(frozen=True)
class _AdProfile:
    ad: Ad
    campaign: Campaign
    impressions: float
    ctr: float
    cpm_cents: float
    leads_per_click: float
    purchases_per_click: float


def build_meta_ads(config: WorldConfig) -> MetaAdsData:
    rnd = rng(config, "meta_ads", "structure")
    new_id = UniqueIds(rnd).new

    accounts: list[AdAccount] = []
    campaigns: list[Campaign] = []
    ad_sets: list[AdSet] = []
    profiles: list[_AdProfile] = []
    size = math.sqrt(config.scale)
    per_account = max(3, round(3 * size))
    for account_no, (name, currency, time_zone, region) in enumerate(
        ACCOUNTS[: config.meta_ad_accounts]
    ):
        account = AdAccount(
            new_id(100_000_000_000_000, 899_999_999_999_999), name, currency, time_zone
        )
        accounts.append(account)
        for index in range(per_account):
            template, objective, audiences = CAMPAIGN_TEMPLATES[index % len(CAMPAIGN_TEMPLATES)]
            round_no = index // len(CAMPAIGN_TEMPLATES)
            created = config.start + timedelta(days=0 if index < 2 else rnd.randrange(40))
            stop, status = None, "ACTIVE"
            # Each account's last campaign stops mid-period: US paused, UK archived.
            if index == per_account - 1:
                stop = config.start + timedelta(days=45 + rnd.randrange(25))
                status = "ARCHIVED" if account_no == 1 else "PAUSED"
                if stop > config.end:
                    status = "ACTIVE"
            campaign = Campaign(
                account_id=account.account_id,
                campaign_id=new_id(120_210_000_000_000_000, 999_999_999_999),
                name=f"{template} - {region}" + (f" {round_no + 1}" if round_no else ""),
                objective=objective,
                status=status,
                created_day=created,
                stop_day=stop,
            )
            campaigns.append(campaign)
            imp, ctr, cpm, leads, purchases = OBJECTIVE_PROFILE[objective]
            for audience in audiences:
                ad_set = AdSet(
                    account.account_id,
                    campaign.campaign_id,
                    new_id(120_210_001_000_000_000, 999_999_999_999),
                    f"{audience} - {region}",
                )
                ad_sets.append(ad_set)
                for creative in ("Carousel", "Video"):
                    ad = Ad(
                        account.account_id,
                        campaign.campaign_id,
                        ad_set.ad_set_id,
                        new_id(120_210_002_000_000_000, 999_999_999_999),
                        f"{audience} - {creative}",
                        final_url=landing_page(template),
                        url_tags=url_tags(campaign.campaign_id, ad_set.ad_set_id),
                    )
                    profiles.append(
                        _AdProfile(
                            ad=ad,
                            campaign=campaign,
                            impressions=rnd.uniform(*imp) * size,
                            ctr=rnd.uniform(*ctr),
                            cpm_cents=rnd.uniform(*cpm),
                            leads_per_click=leads * rnd.uniform(0.7, 1.3),
                            purchases_per_click=purchases * rnd.uniform(0.7, 1.3),
                        )
                    )
        # A draft deleted before it ever delivered: kept (flagged) by the connector, no spend.
        campaigns.append(
            Campaign(
                account_id=account.account_id,
                campaign_id=new_id(120_210_000_000_000_000, 999_999_999_999),
                name=f"Draft - Test campaign - {region}",
                objective="OUTCOME_TRAFFIC",
                status="DELETED",
                created_day=config.start + timedelta(days=5 + rnd.randrange(20)),
                stop_day=config.start,
            )
        )

    insights: list[InsightDay] = []
    clicks: list[PaidClick] = []
    for day in config.days():
        day_insights, day_clicks = _simulate_day(config, day, profiles)
        insights.extend(day_insights)
        clicks.extend(day_clicks)

    # Campaigns created after ``end`` do not exist yet.
    exists = {c.campaign_id for c in campaigns if c.created_day <= config.end}
    return MetaAdsData(
        accounts=tuple(accounts),
        campaigns=tuple(c for c in campaigns if c.campaign_id in exists),
        ad_sets=tuple(s for s in ad_sets if s.campaign_id in exists),
        ads=tuple(p.ad for p in profiles if p.ad.campaign_id in exists),
        insights=tuple(insights),
        paid_clicks=tuple(clicks),
    )


def _simulate_day(
    config: WorldConfig, day: date, profiles: list[_AdProfile]
) -> tuple[list[InsightDay], list[PaidClick]]:
    rnd = rng(config, "meta_ads", day.isoformat())
    weekday_factor = 0.7 if day.weekday() >= 5 else 1.0
    age = (config.end - day).days
    matured = 1.0 if age >= RESTATEMENT_DAYS else (age + 1) / (RESTATEMENT_DAYS + 1)
    insights: list[InsightDay] = []
    clicks: list[PaidClick] = []
    for profile in profiles:
        campaign, ad = profile.campaign, profile.ad
        if day < campaign.created_day or (campaign.stop_day and day >= campaign.stop_day):
            continue
        dark = rnd.random() < 0.04
        impressions = round(profile.impressions * weekday_factor * rnd.lognormvariate(0, 0.3))
        if dark or impressions == 0:
            continue  # Meta returns no row for a day without delivery
        ad_clicks = round(impressions * profile.ctr * rnd.uniform(0.7, 1.3))
        spend_cents = round(impressions * profile.cpm_cents * rnd.uniform(0.85, 1.15) / 1000)
        reach = max(1, round(impressions / rnd.uniform(1.05, 1.6)))
        link_clicks = round(ad_clicks * rnd.uniform(0.6, 0.9))
        # Final actions are drawn whatever ``end`` is, so a later end draws the same values.
        leads = min(ad_clicks, poisson(rnd, ad_clicks * profile.leads_per_click))
        purchases = min(ad_clicks - leads, poisson(rnd, ad_clicks * profile.purchases_per_click))
        value = sum(rnd.randrange(49, 500) for _ in range(purchases))
        served_purchases = math.floor(purchases * matured)
        insights.append(
            InsightDay(
                account_id=ad.account_id,
                campaign_id=ad.campaign_id,
                ad_set_id=ad.ad_set_id,
                ad_id=ad.ad_id,
                day=day,
                spend_cents=spend_cents,
                impressions=impressions,
                clicks=ad_clicks,
                link_clicks=link_clicks,
                reach=reach,
                leads=math.floor(leads * matured),
                purchases=served_purchases,
                purchase_value=value * served_purchases // purchases if purchases else 0,
            )
        )
        for _ in range(leads):
            clicks.append(
                PaidClick(
                    platform="meta_ads",
                    day=day,
                    at_ms=day_start_ms(day) + rnd.randrange(86_000_000),
                    click_id="IwAR" + "".join(rnd.choices(FBCLID_ALPHABET, k=57)),
                    account_id=ad.account_id,
                    campaign_id=ad.campaign_id,
                    ad_set_id=ad.ad_set_id,
                    ad_id=ad.ad_id,
                    landing_url=ad.final_url,
                )
            )
    return insights, clicks


def url_tags(campaign_id: int, ad_set_id: int) -> str:
    """The UTM parameters the company tags its Meta ads with: the query HubSpot records on the
    contact's first page view (``hubspot_data``'s ``meta_ads`` click platform), less fbclid."""
    return (
        f"utm_source=facebook&utm_medium=paid_social&utm_campaign=meta-{campaign_id}"
        f"&utm_content=adset-{ad_set_id}"
    )
