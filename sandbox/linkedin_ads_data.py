"""The synthetic company's LinkedIn Ads: one sponsored account, campaign groups, campaigns,
creatives and daily creative analytics.

Structure (account, groups, campaigns, creatives, launch and stop days) is drawn once from the
seed; each day's analytics from ``(seed, day)``. Website conversions arrive late: the last
``RESTATEMENT_DAYS`` days before ``end`` are served provisional (lower) and a later ``end``
restates them. Cost, impressions, clicks and one-click leads are final the day they are served.
Money is kept as integer micros so every sum is exact; the wire carries decimal strings.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sandbox.clock import day_start_ms
from sandbox.config import UniqueIds, WorldConfig, landing_page, poisson, rng

RESTATEMENT_DAYS = 7  # LinkedIn restates about a week (DESIGN.md)
CURRENCIES = ("USD", "EUR")
# Statuses the connector lands as is_deleted (kept, marked).
DELETED_STATUSES = frozenset({"ARCHIVED", "REMOVED", "PENDING_DELETION"})

# group name, campaign templates: (name, objective, cost type)
GROUP_TEMPLATES = [
    (
        "Demand gen",
        [
            ("Lead gen - Revenue leaders", "LEAD_GENERATION", "CPM"),
            ("Website visits - RevOps", "WEBSITE_VISIT", "CPC"),
        ],
    ),
    (
        "ABM - Enterprise",
        [
            ("Conversions - Target accounts", "WEBSITE_CONVERSION", "CPC"),
            ("Lead gen - Target accounts", "LEAD_GENERATION", "CPM"),
        ],
    ),
    (
        "Brand awareness",
        [
            ("Awareness - Marketing leaders", "BRAND_AWARENESS", "CPM"),
            ("Awareness - Sales leaders", "BRAND_AWARENESS", "CPM"),
        ],
    ),
]
# impressions per creative-day, click-through rate, unit cost (CPC or CPM, account units),
# website conversions per click, one-click leads per impression, site leads (li_fat_id) per click
OBJECTIVE_PROFILE = {
    "LEAD_GENERATION": ((800, 4000), (0.004, 0.009), (25.0, 60.0), 0.0, 0.0008, 0.002),
    "WEBSITE_VISIT": ((500, 3000), (0.005, 0.012), (4.0, 11.0), 0.02, 0.0, 0.012),
    "WEBSITE_CONVERSION": ((400, 2500), (0.005, 0.011), (5.0, 12.0), 0.05, 0.0, 0.015),
    "BRAND_AWARENESS": ((3000, 12000), (0.002, 0.005), (8.0, 20.0), 0.0, 0.0, 0.001),
}
# The stand-in serves its creatives as Text Ads: the one format whose creative record itself
# carries the landing page (``content.textAd.landingPage``); sponsored content keeps it on the
# referenced post instead.
CREATIVE_FORMATS = ("Text ad - Benefit", "Text ad - Question", "Text ad - Proof", "Text ad - Offer")


@dataclass(frozen=True)
class SponsoredAccount:
    account_id: int
    name: str
    currency: str
    organization_id: int
    created_ms: int


@dataclass(frozen=True)
class CampaignGroup:
    account_id: int
    group_id: int
    name: str
    status: str  # ACTIVE or ARCHIVED, as of end


@dataclass(frozen=True)
class Campaign:
    account_id: int
    group_id: int
    campaign_id: int
    name: str
    objective: str
    cost_type: str
    status: str  # as of end: ACTIVE, PAUSED or ARCHIVED
    launch_day: date
    stop_day: date | None  # paused or archived from this day on
    daily_budget_micros: int
    unit_cost_micros: int


@dataclass(frozen=True)
class Creative:
    account_id: int
    campaign_id: int
    creative_id: int
    name: str
    intended_status: str  # follows its campaign: ACTIVE, PAUSED or ARCHIVED
    share_id: int  # drawn so the world's numbers stay put; a text ad references no share
    landing_page: str  # ``content.textAd.landingPage``: its campaign's page


@dataclass(frozen=True)
class CreativeDay:
    """One creative's analytics on one day, as served as of ``end``; only days with impressions."""

    account_id: int
    group_id: int
    campaign_id: int
    creative_id: int
    day: date
    impressions: int
    clicks: int
    landing_page_clicks: int
    cost_micros: int  # account currency x 1e6
    cost_usd_micros: int
    conversions: int  # externalWebsiteConversions (provisional in the restatement window)
    leads: int  # oneClickLeads
    long_cost: bool  # served with a long zero tail, as real responses sometimes are

    @property
    def spend(self) -> str:
        return money_text(self.cost_micros)


@dataclass(frozen=True)
class PaidClick:
    """A click (``li_fat_id``) whose visitor became a lead on the website."""

    click_id: str
    account_id: int
    group_id: int
    campaign_id: int
    creative_id: int
    day: date
    at_ms: int
    platform: str = field(default="linkedin_ads")
    landing_url: str = ""  # the creative's landing page: the page the visitor landed on


@dataclass(frozen=True)
class LinkedInAdsData:
    account: SponsoredAccount
    groups: tuple[CampaignGroup, ...]
    campaigns: tuple[Campaign, ...]
    creatives: tuple[Creative, ...]
    analytics: tuple[CreativeDay, ...]
    paid_clicks: tuple[PaidClick, ...]

    def spend_truth(self) -> list[dict[str, Any]]:
        """``World.truth()["ad_spend"]`` rows, keyed like Google's (ad group = campaign group)."""
        return [
            {
                "platform": "linkedin_ads",
                "customer_id": str(row.account_id),
                "currency": self.account.currency,
                "campaign_id": str(row.campaign_id),
                "ad_group_id": str(row.group_id),
                "ad_id": str(row.creative_id),
                "date": row.day.isoformat(),
                "spend": row.spend,
                "cost_micros": row.cost_micros,
                "impressions": row.impressions,
                "clicks": row.clicks,
                "conversions": row.conversions,
                "leads": row.leads,
            }
            for row in self.analytics
        ]

    def counts(self) -> dict[str, dict[str, int]]:
        """Rows per raw_linkedin_ads table after a full extract; archived ones are is_deleted."""

        def split(statuses: list[str]) -> dict[str, int]:
            archived = sum(status in DELETED_STATUSES for status in statuses)
            return {"active": len(statuses) - archived, "archived": archived}

        return {
            "ad_accounts": {"active": 1, "archived": 0},
            "campaigns": split([c.status for c in self.campaigns]),
            "creatives": split([c.intended_status for c in self.creatives]),
            "creative_daily_analytics": {"active": len(self.analytics), "archived": 0},
        }


@dataclass(frozen=True)
class _Profile:
    creative: Creative
    campaign: Campaign
    impressions: float
    ctr: float
    unit_cost_micros: float
    conversion_rate: float
    lead_rate: float
    site_leads_per_click: float


def money_text(micros: int, places: int = 0) -> str:
    """Exact decimal text of ``micros`` / 1e6: ``"12.5"``, ``"0"``; ``places`` pads zeros."""
    whole, fraction = divmod(micros, 1_000_000)
    digits = f"{fraction:06d}".rstrip("0")
    if places:
        digits = digits.ljust(places, "0")
    return f"{whole}.{digits}" if digits else str(whole)


def build_linkedin_ads(config: WorldConfig) -> LinkedInAdsData:
    rnd = rng(config, "linkedin_ads", "structure")
    ids = UniqueIds(rnd)

    def new_id(low: int) -> int:
        return ids.new(low, 99_999_999)

    account = SponsoredAccount(
        account_id=new_id(500_000_000),
        name="Thinline",
        currency=rnd.choice(CURRENCIES),
        organization_id=new_id(10_000_000),
        created_ms=day_start_ms(config.start - timedelta(days=400)),
    )
    size = math.sqrt(config.scale)
    per_group = max(2, round(2 * size))
    groups: list[CampaignGroup] = []
    profiles: list[_Profile] = []
    last_group = len(GROUP_TEMPLATES) - 1
    for group_no, (group_name, templates) in enumerate(GROUP_TEMPLATES):
        group = CampaignGroup(account.account_id, new_id(600_000_000), group_name, "ACTIVE")
        groups.append(group)
        for index in range(per_group):
            name, objective, cost_type = templates[index % len(templates)]
            round_no = index // len(templates)
            launch = config.start + timedelta(days=0 if index == 0 else rnd.randrange(40))
            stop, status = None, "ACTIVE"
            # The last group's last campaign ends mid-period and is archived; some pause.
            if (group_no == last_group and index == per_group - 1) or rnd.random() < 0.15:
                stop = config.start + timedelta(days=45 + rnd.randrange(30))
                status = (
                    "ARCHIVED" if group_no == last_group and index == per_group - 1 else "PAUSED"
                )
            if stop is not None and stop > config.end:
                status = "ACTIVE"
            (imp_low, imp_high), (ctr_low, ctr_high), (cost_low, cost_high), conv, leads, site = (
                OBJECTIVE_PROFILE[objective]
            )
            unit_cost = rnd.uniform(cost_low, cost_high)
            campaign = Campaign(
                account_id=account.account_id,
                group_id=group.group_id,
                campaign_id=new_id(300_000_000),
                name=f"{name}" + (f" {round_no + 1}" if round_no else ""),
                objective=objective,
                cost_type=cost_type,
                status=status,
                launch_day=launch,
                stop_day=stop,
                daily_budget_micros=rnd.randrange(50, 400) * 1_000_000,
                unit_cost_micros=round(unit_cost * 100) * 10_000,
            )
            for creative_no in range(rnd.randint(2, 3)):
                creative_format = CREATIVE_FORMATS[(index + creative_no) % len(CREATIVE_FORMATS)]
                creative = Creative(
                    account_id=account.account_id,
                    campaign_id=campaign.campaign_id,
                    creative_id=new_id(400_000_000),
                    name=f"{campaign.name} - {creative_format} {creative_no + 1}",
                    intended_status=status,
                    share_id=new_id(7_100_000_000_000_000_000),
                    landing_page=landing_page(name),
                )
                profiles.append(
                    _Profile(
                        creative=creative,
                        campaign=campaign,
                        impressions=rnd.uniform(imp_low, imp_high) * size,
                        ctr=rnd.uniform(ctr_low, ctr_high),
                        unit_cost_micros=unit_cost * 1_000_000,
                        conversion_rate=conv * rnd.uniform(0.6, 1.4),
                        lead_rate=leads * rnd.uniform(0.6, 1.4),
                        site_leads_per_click=site * rnd.uniform(0.7, 1.3),
                    )
                )

    analytics: list[CreativeDay] = []
    clicks: list[PaidClick] = []
    for day in config.days():
        day_rows, day_clicks = _simulate_day(config, day, profiles, account.currency)
        analytics.extend(day_rows)
        clicks.extend(day_clicks)

    # Campaigns launching after ``end`` do not exist yet.
    live = [p for p in profiles if p.campaign.launch_day <= config.end]
    return LinkedInAdsData(
        account=account,
        groups=tuple(groups),
        campaigns=tuple({p.campaign.campaign_id: p.campaign for p in live}.values()),
        creatives=tuple(p.creative for p in live),
        analytics=tuple(analytics),
        paid_clicks=tuple(clicks),
    )


def _simulate_day(
    config: WorldConfig, day: date, profiles: list[_Profile], currency: str
) -> tuple[list[CreativeDay], list[PaidClick]]:
    rnd = rng(config, "linkedin_ads", day.isoformat())
    weekday_factor = 0.35 if day.weekday() >= 5 else 1.0  # B2B audiences rest at weekends
    usd_per_unit = 1.0 if currency == "USD" else 1.04 + rnd.random() * 0.08
    age = (config.end - day).days
    matured = 1.0 if age >= RESTATEMENT_DAYS else (age + 1) / (RESTATEMENT_DAYS + 1)
    rows: list[CreativeDay] = []
    clicks: list[PaidClick] = []
    for profile in profiles:
        campaign, creative = profile.campaign, profile.creative
        if day < campaign.launch_day or (campaign.stop_day and day >= campaign.stop_day):
            continue
        dark, long_cost = rnd.random() < 0.05, rnd.random() < 0.3
        impressions = round(profile.impressions * weekday_factor * rnd.lognormvariate(0, 0.3))
        if dark or impressions == 0:
            continue  # adAnalytics has no element for a creative without activity that day
        day_clicks = round(impressions * profile.ctr * rnd.uniform(0.7, 1.3))
        if campaign.cost_type == "CPC":
            cost = day_clicks * profile.unit_cost_micros * rnd.uniform(0.85, 1.15)
        else:
            cost = impressions * profile.unit_cost_micros / 1000 * rnd.uniform(0.9, 1.1)
        cost_micros = round(cost)
        final_conversions = poisson(rnd, day_clicks * profile.conversion_rate)
        leads = poisson(rnd, impressions * profile.lead_rate)
        rows.append(
            CreativeDay(
                account_id=creative.account_id,
                group_id=campaign.group_id,
                campaign_id=campaign.campaign_id,
                creative_id=creative.creative_id,
                day=day,
                impressions=impressions,
                clicks=day_clicks,
                landing_page_clicks=round(day_clicks * rnd.uniform(0.75, 0.95)),
                cost_micros=cost_micros,
                cost_usd_micros=round(cost_micros * usd_per_unit),
                conversions=math.floor(final_conversions * matured),
                leads=leads,
                long_cost=long_cost,
            )
        )
        for _ in range(min(day_clicks, poisson(rnd, day_clicks * profile.site_leads_per_click))):
            click_id = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
            at_ms = day_start_ms(day) + rnd.randrange(86_000_000)
            clicks.append(
                PaidClick(
                    click_id,
                    creative.account_id,
                    campaign.group_id,
                    campaign.campaign_id,
                    creative.creative_id,
                    day,
                    at_ms,
                    landing_url=creative.landing_page,
                )
            )
    return rows, clicks
