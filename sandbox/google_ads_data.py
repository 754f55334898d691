"""The synthetic company's Google Ads: a manager, two client accounts, campaigns, daily ad metrics.

Structure (accounts, campaigns, ad groups, ads, launch and pause days) is drawn once from the
seed; each day's metrics from ``(seed, day)``. Conversions arrive late: the last
``RESTATEMENT_DAYS`` days before ``end`` are served provisional (lower) and a later ``end``
restates them. Cost, impressions and clicks are final the day they are served.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from datetime import date, timedelta

from sandbox.clock import day_start_ms
from sandbox.config import UniqueIds, WorldConfig, poisson, rng

RESTATEMENT_DAYS = 3
CLICK_VIEW_DAYS = 90  # click_view serves dates back to 90 days before the request
GCLID_ALPHABET = string.ascii_letters + string.digits + "-_"
DEVICES = ("DESKTOP", "DESKTOP", "MOBILE", "MOBILE", "MOBILE", "TABLET")  # click_view devices

# name, channel, ad group themes
CAMPAIGN_TEMPLATES = [
    ("Brand - Search", "SEARCH", ["Brand exact", "Brand phrase", "Brand misspellings"]),
    ("Generic - Search", "SEARCH", ["Revenue analytics", "Marketing attribution", "Sales BI"]),
    ("Remarketing - Display", "DISPLAY", ["Site visitors", "Pricing viewers", "Trial users"]),
    ("Competitor - Search", "SEARCH", ["Competitor A", "Competitor B", "Alternatives"]),
    ("Prospecting - PMax", "PERFORMANCE_MAX", ["All assets", "Lookalikes", "Video assets"]),
    ("Product - Search", "SEARCH", ["Pipeline reporting", "Quota tracking", "Forecasting"]),
]
# impressions per ad-day, click-through rate, cost per click (account units), leads per click
CHANNEL_PROFILE = {
    "SEARCH": ((200, 1500), (0.03, 0.09), (1.5, 6.0), 0.0015),
    "DISPLAY": ((3000, 15000), (0.002, 0.008), (0.3, 1.2), 0.0004),
    "PERFORMANCE_MAX": ((1000, 5000), (0.01, 0.03), (0.8, 2.5), 0.0008),
}
ACCOUNTS = [
    ("Thinline US", "USD", "America/New_York", "US"),
    ("Thinline EU", "EUR", "Europe/Berlin", "EU"),
]


@dataclass(frozen=True)
class Customer:
    customer_id: int
    name: str
    currency: str
    time_zone: str
    is_manager: bool = False


@dataclass(frozen=True)
class Campaign:
    customer_id: int
    campaign_id: int
    name: str
    channel: str
    status: str  # as of end: ENABLED, PAUSED or REMOVED
    launch_day: date
    stop_day: date | None  # paused or removed from this day on


@dataclass(frozen=True)
class AdGroup:
    customer_id: int
    campaign_id: int
    ad_group_id: int
    name: str


@dataclass(frozen=True)
class Ad:
    customer_id: int
    campaign_id: int
    ad_group_id: int
    ad_id: int
    name: str
    ad_type: str
    final_url: str


@dataclass(frozen=True)
class AdDay:
    """One ad's metrics on one day, as served as of ``end``; only days with impressions exist."""

    customer_id: int
    campaign_id: int
    ad_group_id: int
    ad_id: int
    day: date
    impressions: int
    clicks: int
    cost_micros: int
    conversions: float  # quarter units, so sums are exact in binary floating point
    conversions_value: float  # half units, same reason


@dataclass(frozen=True)
class PaidClick:
    """A click whose visitor became a HubSpot contact carrying its gclid."""

    gclid: str
    customer_id: int
    campaign_id: int
    ad_group_id: int
    ad_id: int
    day: date
    at_ms: int
    platform: str = "google_ads"

    @property
    def click_id(self) -> str:
        """The platform-neutral name other ad platforms' clicks use."""
        return self.gclid

    @property
    def device(self) -> str:
        """``segments.device``, derived from the gclid so no random draw is added."""
        return DEVICES[sum(map(ord, self.gclid)) % len(DEVICES)]


@dataclass(frozen=True)
class GoogleAdsData:
    manager: Customer
    customers: tuple[Customer, ...]
    campaigns: tuple[Campaign, ...]
    ad_groups: tuple[AdGroup, ...]
    ads: tuple[Ad, ...]
    metrics: tuple[AdDay, ...]
    paid_clicks: tuple[PaidClick, ...]

    def customer(self, customer_id: int) -> Customer | None:
        return next(
            (c for c in (self.manager, *self.customers) if c.customer_id == customer_id), None
        )

    def click_view_clicks(self, today: date) -> tuple[PaidClick, ...]:
        """The clicks ``FROM click_view`` still serves to a request made on ``today``."""
        oldest = today - timedelta(days=CLICK_VIEW_DAYS)
        return tuple(c for c in self.paid_clicks if c.day >= oldest)


@dataclass(frozen=True)
class _AdProfile:
    ad: Ad
    campaign: Campaign
    impressions: float
    ctr: float
    cpc_micros: float
    conversion_rate: float
    value_per_conversion: float
    leads_per_click: float


def build_google_ads(config: WorldConfig) -> GoogleAdsData:
    rnd = rng(config, "google_ads", "structure")
    new_id = UniqueIds(rnd).new

    manager = Customer(
        new_id(9_000_000_000, 999_999_999), "Thinline MCC", "USD", "America/New_York", True
    )
    customers: list[Customer] = []
    ad_groups: list[tuple[Campaign, AdGroup]] = []
    profiles: list[_AdProfile] = []
    size = math.sqrt(config.scale)
    per_account = max(4, round(4 * size))
    for account_no, (name, currency, time_zone, region) in enumerate(ACCOUNTS):
        customer = Customer(new_id(1_000_000_000, 7_999_999_999), name, currency, time_zone)
        customers.append(customer)
        for index in range(per_account):
            template_name, channel, themes = CAMPAIGN_TEMPLATES[index % len(CAMPAIGN_TEMPLATES)]
            round_no = index // len(CAMPAIGN_TEMPLATES)
            launch = config.start + timedelta(days=0 if index < 2 else rnd.randrange(45))
            stop, status = None, "ENABLED"
            # Each account's last campaign stops mid-period (US paused, EU removed); some pause.
            if index == per_account - 1 or (index > 0 and rnd.random() < 0.1):
                stop = config.start + timedelta(days=50 + rnd.randrange(25))
                status = "REMOVED" if index == per_account - 1 and account_no == 1 else "PAUSED"
            if stop is not None and stop > config.end:
                status = "ENABLED"
            campaign = Campaign(
                customer_id=customer.customer_id,
                campaign_id=new_id(20_000_000_000, 999_999_999),
                name=f"{template_name} - {region}" + (f" {round_no + 1}" if round_no else ""),
                channel=channel,
                status=status,
                launch_day=launch,
                stop_day=stop,
            )
            (imp_low, imp_high), (ctr_low, ctr_high), (cpc_low, cpc_high), leads = CHANNEL_PROFILE[
                channel
            ]
            for theme in themes[: rnd.randint(2, 3)]:
                ad_group = AdGroup(
                    customer.customer_id,
                    campaign.campaign_id,
                    new_id(150_000_000_000, 9_999_999_999),
                    theme,
                )
                ad_groups.append((campaign, ad_group))
                for ad_no in (1, 2):
                    ad = Ad(
                        customer_id=customer.customer_id,
                        campaign_id=campaign.campaign_id,
                        ad_group_id=ad_group.ad_group_id,
                        ad_id=new_id(690_000_000_000, 9_999_999_999),
                        name=f"{ad_group.name} - variant {ad_no}",
                        ad_type="RESPONSIVE_SEARCH_AD"
                        if channel == "SEARCH"
                        else "RESPONSIVE_DISPLAY_AD",
                        final_url=f"https://thinline.example/{theme.lower().replace(' ', '-')}",
                    )
                    profiles.append(
                        _AdProfile(
                            ad=ad,
                            campaign=campaign,
                            impressions=rnd.uniform(imp_low, imp_high) * size,
                            ctr=rnd.uniform(ctr_low, ctr_high),
                            cpc_micros=rnd.uniform(cpc_low, cpc_high) * 1_000_000,
                            conversion_rate=rnd.uniform(0.02, 0.08),
                            value_per_conversion=rnd.uniform(40, 200),
                            leads_per_click=leads * rnd.uniform(0.7, 1.3),
                        )
                    )

    metrics: list[AdDay] = []
    clicks: list[PaidClick] = []
    for day in config.days():
        day_metrics, day_clicks = _simulate_day(config, day, profiles)
        metrics.extend(day_metrics)
        clicks.extend(day_clicks)

    # Campaigns launching after ``end`` do not exist yet.
    live = [p for p in profiles if p.campaign.launch_day <= config.end]
    return GoogleAdsData(
        manager=manager,
        customers=tuple(customers),
        campaigns=tuple({p.campaign.campaign_id: p.campaign for p in live}.values()),
        ad_groups=tuple(g for c, g in ad_groups if c.launch_day <= config.end),
        ads=tuple(p.ad for p in live),
        metrics=tuple(metrics),
        paid_clicks=tuple(clicks),
    )


def _simulate_day(
    config: WorldConfig, day: date, profiles: list[_AdProfile]
) -> tuple[list[AdDay], list[PaidClick]]:
    rnd = rng(config, "google_ads", day.isoformat())
    weekday_factor = 0.6 if day.weekday() >= 5 else 1.0
    age = (config.end - day).days
    matured = 1.0 if age >= RESTATEMENT_DAYS else (age + 1) / (RESTATEMENT_DAYS + 1)
    metrics: list[AdDay] = []
    clicks: list[PaidClick] = []
    for profile in profiles:
        campaign, ad = profile.campaign, profile.ad
        if day < campaign.launch_day or (campaign.stop_day and day >= campaign.stop_day):
            continue
        dark, no_clicks = rnd.random() < 0.04, rnd.random() < 0.05
        impressions = round(profile.impressions * weekday_factor * rnd.lognormvariate(0, 0.25))
        if dark or impressions == 0:
            continue  # Google Ads returns no row for a day without impressions
        ad_clicks = 0 if no_clicks else round(impressions * profile.ctr * rnd.uniform(0.7, 1.3))
        cost_micros = (
            round(ad_clicks * profile.cpc_micros * rnd.uniform(0.8, 1.25) / 10_000) * 10_000
        )
        conversions = round(ad_clicks * profile.conversion_rate * rnd.uniform(0.5, 1.5) * 4) / 4
        value = round(conversions * profile.value_per_conversion * rnd.uniform(0.8, 1.2) * 2) / 2
        metrics.append(
            AdDay(
                customer_id=ad.customer_id,
                campaign_id=ad.campaign_id,
                ad_group_id=ad.ad_group_id,
                ad_id=ad.ad_id,
                day=day,
                impressions=impressions,
                clicks=ad_clicks,
                cost_micros=cost_micros,
                conversions=math.floor(conversions * matured * 4) / 4,
                conversions_value=math.floor(value * matured * 2) / 2,
            )
        )
        for _ in range(min(ad_clicks, poisson(rnd, ad_clicks * profile.leads_per_click))):
            gclid = "Cj0KCQiA" + "".join(rnd.choices(GCLID_ALPHABET, k=40)) + "_BwE"
            at_ms = day_start_ms(day) + rnd.randrange(86_000_000)
            clicks.append(
                PaidClick(
                    gclid, ad.customer_id, ad.campaign_id, ad.ad_group_id, ad.ad_id, day, at_ms
                )
            )
    return metrics, clicks
