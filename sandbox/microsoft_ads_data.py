"""The synthetic company's Microsoft Advertising (Bing) search ads: two accounts under one
manager customer, search campaigns, ad groups, keywords and their daily delivery.

Everything is drawn from generators seeded ``microsoft_ads`` (structure) and ``microsoft_ads``
plus the day (delivery), never from another source's: adding this platform changes no other
source's data. Delivery is drawn per keyword and day; each day's keyword row is split over one
to three search queries (which add up to it exactly), and the campaign report is the sum of
its keywords. Conversions are credited to the click's day for the conversion window, so the
last ``RESTATEMENT_DAYS`` days before ``end`` are served with fewer and a later ``end``
restates them upwards; spend, impressions and clicks are final the day they are served.

Ad groups are the keywords' (no draw of their own); each has a responsive search ad, and the
first ad group of a campaign also an older, paused expanded text ad. Ad ids come from a
separate generator (``microsoft_ads``, ``ads``), so adding ads changed no earlier number. Final
URLs are ``https://thinline.example/<ad group name>`` (slugged), the same whatever the seed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sandbox.config import UniqueIds, WorldConfig, poisson, rng

RESTATEMENT_DAYS = 7
# name, currency, TimeZone (Microsoft's enumeration), region
ACCOUNTS = [
    ("Thinline US - Microsoft", "USD", "EasternTimeUSCanada", "US"),
    ("Thinline DE - Microsoft", "EUR", "AmsterdamBerlinBernRomeStockholmVienna", "DE"),
]
# campaign name, ad groups with their keywords
CAMPAIGNS = [
    (
        "Search - Brand",
        [("Brand", ["thinline", "thinline revenue warehouse", "thinline pricing"])],
    ),
    (
        "Search - Revenue analytics",
        [
            ("Attribution", ["marketing attribution software", "multi touch attribution"]),
            ("Pipeline", ["sales pipeline analytics", "revenue operations dashboard"]),
        ],
    ),
    (
        "Search - Competitors",  # paused mid-period
        [("Alternatives", ["crm reporting alternative", "bi for revops"])],
    ),
]
MATCH_TYPES = ("Exact", "Phrase", "Broad")
QUERY_SUFFIXES = ("", " online", " for b2b", " reviews", " free trial")


@dataclass(frozen=True)
class Account:
    account_id: int
    account_number: str  # e.g. "F123ABCD": not the id
    name: str
    currency: str
    time_zone: str


@dataclass(frozen=True)
class Campaign:
    account_id: int
    campaign_id: int
    name: str
    status: str  # as of end: Active or Paused
    daily_budget: str
    start_day: date
    stop_day: date | None  # no delivery from this day on


@dataclass(frozen=True)
class Keyword:
    account_id: int
    campaign_id: int
    ad_group_id: int
    ad_group_name: str
    keyword_id: int
    text: str
    match_type: str
    quality_score: int  # 1-10


@dataclass(frozen=True)
class AdGroup:
    account_id: int
    campaign_id: int
    ad_group_id: int
    name: str
    status: str  # Active (Microsoft's AdGroupStatus: Active, Paused, Expired, Deleted)
    final_url_suffix: str


@dataclass(frozen=True)
class Ad:
    account_id: int
    campaign_id: int
    ad_group_id: int
    ad_id: int
    ad_type: str  # Microsoft's AdType: ResponsiveSearch or ExpandedText
    status: str  # Active or Paused (AdStatus)
    final_url: str
    tracking_url_template: str | None


@dataclass(frozen=True)
class QueryDay:
    """One search query of one keyword on one day."""

    keyword: Keyword
    day: date
    search_query: str
    delivered_match_type: str
    spend_cents: int
    impressions: int
    clicks: int
    conversions: int


@dataclass(frozen=True)
class KeywordDay:
    keyword: Keyword
    day: date
    spend_cents: int  # account currency, two decimals
    impressions: int
    clicks: int
    conversions: int  # as served as of end
    revenue_cents: int
    queries: tuple[QueryDay, ...]


def money(cents: int) -> str:
    """Microsoft's decimal text for an amount, e.g. ``"37.12"``."""
    return f"{cents // 100}.{cents % 100:02d}"


@dataclass(frozen=True)
class MicrosoftAdsData:
    customer_id: int
    accounts: tuple[Account, ...]
    campaigns: tuple[Campaign, ...]
    keywords: tuple[Keyword, ...]
    keyword_days: tuple[KeywordDay, ...]
    ad_groups: tuple[AdGroup, ...] = ()
    ads: tuple[Ad, ...] = ()

    def account(self, account_id: int) -> Account | None:
        return next((a for a in self.accounts if a.account_id == account_id), None)

    def campaign_days(self) -> dict[tuple[int, date], dict[str, int]]:
        """The campaign report: per (campaign, day) the sums of its keywords."""
        sums: dict[tuple[int, date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in self.keyword_days:
            total = sums[(row.keyword.campaign_id, row.day)]
            total["spend_cents"] += row.spend_cents
            total["impressions"] += row.impressions
            total["clicks"] += row.clicks
            total["conversions"] += row.conversions
            total["revenue_cents"] += row.revenue_cents
        return sums

    def ad_days(self) -> dict[tuple[int, date], dict[str, int]]:
        """The ad report: per (ad, day) its ad group's keyword delivery, all of it on the ad
        group's active ad (the paused expanded text ads serve nothing), so the ads of a
        campaign add up to its campaign report. No draw of its own."""
        serving = {ad.ad_group_id: ad.ad_id for ad in self.ads if ad.status == "Active"}
        sums: dict[tuple[int, date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in self.keyword_days:
            total = sums[(serving[row.keyword.ad_group_id], row.day)]
            total["spend_cents"] += row.spend_cents
            total["impressions"] += row.impressions
            total["clicks"] += row.clicks
            total["conversions"] += row.conversions
            total["revenue_cents"] += row.revenue_cents
        return sums

    def ad_spend(self) -> list[dict[str, Any]]:
        """``World.truth()["ad_spend"]`` rows: campaign and day (no ad group, no ad)."""
        campaigns = {c.campaign_id: c for c in self.campaigns}
        rows = []
        for (campaign_id, day), total in sorted(self.campaign_days().items()):
            account = self.account(campaigns[campaign_id].account_id)
            assert account is not None
            rows.append(
                {
                    "platform": "microsoft_ads",
                    "customer_id": str(account.account_id),
                    "currency": account.currency,
                    "campaign_id": str(campaign_id),
                    "ad_group_id": None,
                    "ad_id": None,
                    "date": day.isoformat(),
                    "spend": money(total["spend_cents"]),
                    "cost_micros": total["spend_cents"] * 10_000,
                    "impressions": total["impressions"],
                    "clicks": total["clicks"],
                    "conversions": total["conversions"],
                    "conversions_value": total["revenue_cents"] / 100,
                }
            )
        return rows

    def counts(self) -> dict[str, dict[str, int]]:
        """Rows per raw_microsoft_ads table after a full extract."""
        queries = sum(len(row.queries) for row in self.keyword_days)
        return {
            "campaigns": {"active": len(self.campaigns), "archived": 0},
            "campaign_daily_performance": {"active": len(self.campaign_days()), "archived": 0},
            "keyword_daily_performance": {"active": len(self.keyword_days), "archived": 0},
            "search_query_daily_performance": {"active": queries, "archived": 0},
            "ad_groups": {"active": len(self.ad_groups), "archived": 0},
            "ads": {"active": len(self.ads), "archived": 0},
            "ad_daily_performance": {"active": len(self.ad_days()), "archived": 0},
        }


@dataclass(frozen=True)
class _Profile:
    keyword: Keyword
    campaign: Campaign
    impressions: float
    ctr: float
    cpc_cents: float
    conversions_per_click: float


def build_microsoft_ads(config: WorldConfig) -> MicrosoftAdsData:
    rnd = rng(config, "microsoft_ads", "structure")
    new_id = UniqueIds(rnd).new
    size = math.sqrt(config.scale)
    customer_id = new_id(150_000_000, 99_999_999)
    accounts: list[Account] = []
    campaigns: list[Campaign] = []
    profiles: list[_Profile] = []
    for name, currency, time_zone, region in ACCOUNTS:
        number = "F" + "".join(rnd.choices("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", k=7))
        account = Account(new_id(180_000_000, 99_999_999), number, name, currency, time_zone)
        accounts.append(account)
        for index, (campaign_name, groups) in enumerate(CAMPAIGNS):
            stop = None
            if index == len(CAMPAIGNS) - 1:
                stop = config.start + timedelta(days=40 + rnd.randrange(30))
            campaign = Campaign(
                account_id=account.account_id,
                campaign_id=new_id(400_000_000, 599_999_999),
                name=f"{campaign_name} - {region}",
                status="Paused" if stop is not None and stop <= config.end else "Active",
                daily_budget=f"{rnd.randrange(50, 400)}.00",
                start_day=config.start + timedelta(days=0 if index < 2 else rnd.randrange(20)),
                stop_day=stop,
            )
            campaigns.append(campaign)
            for group_name, texts in groups:
                ad_group_id = new_id(1_100_000_000, 899_999_999)
                for text in texts:
                    keyword = Keyword(
                        account.account_id,
                        campaign.campaign_id,
                        ad_group_id,
                        group_name,
                        new_id(70_000_000_000, 9_999_999_999),
                        text,
                        rnd.choice(MATCH_TYPES),
                        rnd.randint(3, 10),
                    )
                    brand = index == 0
                    profiles.append(
                        _Profile(
                            keyword=keyword,
                            campaign=campaign,
                            impressions=rnd.uniform(80, 600) * size,
                            ctr=rnd.uniform(0.08, 0.2) if brand else rnd.uniform(0.02, 0.06),
                            cpc_cents=rnd.uniform(40, 120) if brand else rnd.uniform(150, 600),
                            conversions_per_click=rnd.uniform(0.02, 0.08),
                        )
                    )
    days: list[KeywordDay] = []
    for day in config.days():
        days.extend(_simulate_day(config, day, profiles))
    live = {c.campaign_id for c in campaigns if c.start_day <= config.end}
    # every campaign's ad groups and ads are drawn, then the ones not started yet left out, so
    # a later end never changes an ad id
    ad_groups = _ad_groups(tuple(p.keyword for p in profiles))
    return MicrosoftAdsData(
        customer_id=customer_id,
        accounts=tuple(accounts),
        campaigns=tuple(c for c in campaigns if c.campaign_id in live),
        keywords=tuple(p.keyword for p in profiles if p.campaign.campaign_id in live),
        keyword_days=tuple(days),
        ad_groups=tuple(g for g in ad_groups if g.campaign_id in live),
        ads=tuple(ad for ad in _ads(config, ad_groups) if ad.campaign_id in live),
    )


def slug(name: str) -> str:
    """``"Search - Brand"`` → ``"search-brand"``: a URL path segment."""
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


def _ad_groups(keywords: tuple[Keyword, ...]) -> tuple[AdGroup, ...]:
    """The keywords' ad groups, in the order they were drawn (no draw of their own)."""
    seen: dict[int, AdGroup] = {}
    for keyword in keywords:
        if keyword.ad_group_id not in seen:
            suffix = f"utm_source=bing&utm_medium=cpc&utm_content={slug(keyword.ad_group_name)}"
            seen[keyword.ad_group_id] = AdGroup(
                keyword.account_id,
                keyword.campaign_id,
                keyword.ad_group_id,
                keyword.ad_group_name,
                "Active",
                suffix,
            )
    return tuple(seen.values())


def _ads(config: WorldConfig, ad_groups: tuple[AdGroup, ...]) -> tuple[Ad, ...]:
    """A responsive search ad per ad group; the first ad group of each campaign also keeps
    a paused expanded text ad (Microsoft no longer lets one be created, old ones stay)."""
    new_id = UniqueIds(rng(config, "microsoft_ads", "ads")).new
    ads: list[Ad] = []
    campaigns_seen: set[int] = set()
    for group in ad_groups:
        url = f"https://thinline.example/{slug(group.name)}"
        ids = (group.account_id, group.campaign_id, group.ad_group_id)
        ads.append(
            Ad(*ids, new_id(80_000_000_000, 9_999_999_999), "ResponsiveSearch", "Active", url, None)
        )
        if group.campaign_id not in campaigns_seen:
            campaigns_seen.add(group.campaign_id)
            template = "{lpurl}?msclkid={msclkid}"
            ads.append(
                Ad(
                    *ids,
                    new_id(80_000_000_000, 9_999_999_999),
                    "ExpandedText",
                    "Paused",
                    url + "/compare",
                    template,
                )
            )
    return tuple(ads)


def _simulate_day(config: WorldConfig, day: date, profiles: list[_Profile]) -> list[KeywordDay]:
    rnd = rng(config, "microsoft_ads", day.isoformat())
    weekday_factor = 0.6 if day.weekday() >= 5 else 1.0
    age = (config.end - day).days
    matured = 1.0 if age >= RESTATEMENT_DAYS else (age + 1) / (RESTATEMENT_DAYS + 1)
    rows: list[KeywordDay] = []
    for profile in profiles:
        campaign, keyword = profile.campaign, profile.keyword
        if day < campaign.start_day or (campaign.stop_day and day >= campaign.stop_day):
            continue
        impressions = round(profile.impressions * weekday_factor * rnd.lognormvariate(0, 0.35))
        if impressions == 0:
            continue  # no row for a day without impressions
        clicks = min(impressions, round(impressions * profile.ctr * rnd.uniform(0.7, 1.3)))
        spend_cents = round(clicks * profile.cpc_cents * rnd.uniform(0.85, 1.15))
        # final conversions are drawn whatever end is, so a later end draws the same values
        conversions = min(clicks, poisson(rnd, clicks * profile.conversions_per_click))
        revenue_cents = sum(rnd.randrange(5_000, 50_000) for _ in range(conversions))
        served = math.floor(conversions * matured)
        parts = rnd.randint(1, 3)
        suffixes = rnd.sample(QUERY_SUFFIXES, parts)
        weights = [rnd.random() + 0.2 for _ in suffixes]
        queries = tuple(
            QueryDay(
                keyword,
                day,
                keyword.text + suffix,
                keyword.match_type if not suffix else rnd.choice(("Phrase", "Broad")),
                spend,
                shown,
                clicked,
                converted,
            )
            for suffix, spend, shown, clicked, converted in zip(
                suffixes,
                _split(spend_cents, weights),
                _split(impressions, weights),
                _split(clicks, weights),
                _split(served, weights),
                strict=True,
            )
        )
        rows.append(
            KeywordDay(
                keyword,
                day,
                spend_cents,
                impressions,
                clicks,
                served,
                revenue_cents * served // conversions if conversions else 0,
                queries,
            )
        )
    return rows


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` in whole parts proportional to ``weights``, adding up to it exactly."""
    parts = [math.floor(total * weight / sum(weights)) for weight in weights]
    parts[0] += total - sum(parts)
    return parts
