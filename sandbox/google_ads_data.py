"""The synthetic company's Google Ads: a manager, two client accounts, campaigns, daily ad metrics.

Structure (accounts, campaigns, ad groups, ads, launch and pause days) is drawn once from the
seed; each day's metrics from ``(seed, day)``. Conversions arrive late: the last
``RESTATEMENT_DAYS`` days before ``end`` are served provisional (lower) and a later ``end``
restates them. Cost, impressions and clicks are final the day they are served.

Search campaigns' ad groups also have keywords (``FROM keyword_view``) and the search terms
those keywords matched (``FROM search_term_view``). Their metrics are not drawn: each ad group
day's totals are split over its keywords, and each keyword day's over its search terms, so
keywords add up exactly to their ad group. Google leaves out search terms without enough query
activity: "Some search terms that don't have enough query activity are omitted from the search
terms report in order to keep with our standards on data privacy"
(https://support.google.com/google-ads/answer/2472708). The stand-in's reading of that is a
row under :data:`PRIVACY_IMPRESSIONS` impressions, applied when a report is served; the data
here keeps every term. Keyword structure comes from its own seeded streams, so adding it left
every other number of the world unchanged.
"""

from __future__ import annotations

import hashlib
import math
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

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
# Search term rows under this many impressions are not served (Google's privacy threshold; the
# number is the stand-in's, Google does not publish one).
PRIVACY_IMPRESSIONS = 10
MATCH_TYPES = ("EXACT", "PHRASE", "BROAD")
# Keyword phrases per search ad group theme; an unknown theme gets phrases built from its name.
KEYWORD_PHRASES = {
    "Brand exact": [
        "thinline",
        "thinline app",
        "thinline software",
        "thinline login",
        "thinline io",
    ],
    "Brand phrase": [
        "thinline analytics",
        "thinline pricing",
        "thinline reviews",
        "thinline demo",
        "thinline integrations",
    ],
    "Brand misspellings": ["thin line", "thinlne", "thinlime", "thynline", "thinline analytcs"],
    "Revenue analytics": [
        "revenue analytics software",
        "revenue analytics",
        "revenue intelligence platform",
        "revenue reporting tool",
        "saas revenue dashboard",
    ],
    "Marketing attribution": [
        "marketing attribution software",
        "multi touch attribution",
        "marketing attribution tool",
        "b2b attribution",
        "attribution reporting",
    ],
    "Sales BI": [
        "sales bi tool",
        "sales analytics dashboard",
        "sales reporting software",
        "crm analytics",
        "sales intelligence",
    ],
    "Competitor A": [
        "clarimetric",
        "clarimetric pricing",
        "clarimetric alternative",
        "clarimetric reviews",
        "clarimetric vs thinline",
    ],
    "Competitor B": [
        "revsight",
        "revsight pricing",
        "revsight alternative",
        "revsight reviews",
        "revsight vs thinline",
    ],
    "Alternatives": [
        "revenue analytics alternatives",
        "attribution tool alternatives",
        "bi tool alternatives",
        "cheaper revenue dashboard",
        "spreadsheet revenue reporting",
    ],
    "Pipeline reporting": [
        "pipeline reporting",
        "sales pipeline report",
        "pipeline analytics software",
        "pipeline dashboard",
        "deal pipeline tracking",
    ],
    "Quota tracking": [
        "quota tracking software",
        "sales quota tracker",
        "quota attainment report",
        "quota management tool",
        "sales rep quota dashboard",
    ],
    "Forecasting": [
        "sales forecasting software",
        "revenue forecasting tool",
        "pipeline forecasting",
        "forecast accuracy",
        "b2b sales forecast",
    ],
}
# What users type besides the keyword itself, by how loosely its match type matches ({k} the
# keyword, {ks} its plural): exact match serves close variants, phrase and broad wider searches.
TERM_TEMPLATES = {
    "EXACT": ("{ks}", "the {k}", "{k} official", "{k} site"),
    "PHRASE": ("best {k}", "{k} pricing", "{k} for startups", "{k} reviews", "free {k}"),
    "BROAD": ("top {ks}", "{k} comparison", "how to choose {k}", "{k} jobs", "free {k}"),
}
NEGATIVE_WORDS = ("free", "jobs")  # the accounts' negative keywords: terms with them are EXCLUDED
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
    landing_url: str = ""  # the clicked ad's final URL: the page the visitor landed on

    @property
    def click_id(self) -> str:
        """The platform-neutral name other ad platforms' clicks use."""
        return self.gclid

    @property
    def device(self) -> str:
        """``segments.device``, derived from the gclid so no random draw is added."""
        return DEVICES[sum(map(ord, self.gclid)) % len(DEVICES)]


@dataclass(frozen=True)
class Keyword:
    """A keyword ad group criterion of a search campaign's ad group."""

    customer_id: int
    campaign_id: int
    ad_group_id: int
    criterion_id: int
    text: str
    match_type: str  # EXACT, PHRASE or BROAD
    quality_score: int | None  # 1-10; None: Google has not enough information to score it
    weight: int  # its fixed share of the ad group's traffic, in parts


@dataclass(frozen=True)
class SearchTerm:
    """What users typed when ``keyword`` matched; the text is unique within its ad group."""

    keyword: Keyword
    text: str
    status: str  # SearchTermTargetingStatus: NONE, ADDED (also a keyword) or EXCLUDED
    weight: int  # its fixed share of the keyword's traffic, in parts


@dataclass(frozen=True)
class KeywordDay:
    """One keyword's share of its ad group's metrics on one day; all-zero days do not exist."""

    keyword: Keyword
    day: date
    impressions: int
    clicks: int
    cost_micros: int
    conversions: float  # quarter units, as AdDay
    conversions_value: float  # half units, as AdDay


@dataclass(frozen=True)
class SearchTermDay:
    """One search term's share of its keyword's metrics on one day, before the privacy cut."""

    term: SearchTerm
    day: date
    impressions: int
    clicks: int
    cost_micros: int
    conversions: float
    conversions_value: float


@dataclass(frozen=True)
class GoogleAdsData:
    manager: Customer
    customers: tuple[Customer, ...]
    campaigns: tuple[Campaign, ...]
    ad_groups: tuple[AdGroup, ...]
    ads: tuple[Ad, ...]
    metrics: tuple[AdDay, ...]
    paid_clicks: tuple[PaidClick, ...]
    keywords: tuple[Keyword, ...] = ()
    search_terms: tuple[SearchTerm, ...] = ()
    keyword_metrics: tuple[KeywordDay, ...] = ()
    search_term_metrics: tuple[SearchTermDay, ...] = ()  # every term, hidden ones too

    def customer(self, customer_id: int) -> Customer | None:
        return next(
            (c for c in (self.manager, *self.customers) if c.customer_id == customer_id), None
        )

    def click_keyword(self, click: PaidClick) -> Keyword | None:
        """The keyword a click came through (``click_view.keyword``; search ad groups only):
        one of its ad group's keywords, as often as the keyword's weight, chosen from the gclid
        so that no random draw is added to the world."""
        own = [k for k in self.keywords if k.ad_group_id == click.ad_group_id]
        if not own:
            return None
        digest = hashlib.sha256(click.gclid.encode()).digest()
        point = int.from_bytes(digest[:8], "big") % sum(k.weight for k in own)
        for keyword in own:
            point -= keyword.weight
            if point < 0:
                return keyword
        return own[-1]

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
    keywords = _keywords(config, ad_groups)
    terms = tuple(
        t for group in _by_ad_group(keywords).values() for t in _search_terms(config, group)
    )
    keyword_metrics = _split_ad_groups(metrics, keywords)
    return GoogleAdsData(
        manager=manager,
        customers=tuple(customers),
        campaigns=tuple({p.campaign.campaign_id: p.campaign for p in live}.values()),
        ad_groups=tuple(g for c, g in ad_groups if c.launch_day <= config.end),
        ads=tuple(p.ad for p in live),
        metrics=tuple(metrics),
        paid_clicks=tuple(clicks),
        keywords=keywords,
        search_terms=terms,
        keyword_metrics=keyword_metrics,
        search_term_metrics=_split_keywords(keyword_metrics, terms),
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
                    gclid,
                    ad.customer_id,
                    ad.campaign_id,
                    ad.ad_group_id,
                    ad.ad_id,
                    day,
                    at_ms,
                    landing_url=ad.final_url,
                )
            )
    return metrics, clicks


def _keywords(
    config: WorldConfig, ad_groups: list[tuple[Campaign, AdGroup]]
) -> tuple[Keyword, ...]:
    """3-5 keywords for each live search ad group.

    Ids come from one stream walked over every ad group, launched or not, and the rest from a
    stream per ad group, so a later ``end`` keeps every keyword as it was.
    """
    new_id = UniqueIds(rng(config, "google_keywords", "ids")).new
    keywords: list[Keyword] = []
    for campaign, group in ad_groups:
        if campaign.channel != "SEARCH":
            continue
        rnd = rng(config, "google_keywords", group.ad_group_id)
        phrases = KEYWORD_PHRASES.get(group.name) or _phrases(group.name)
        for text in rnd.sample(phrases, rnd.randint(3, min(5, len(phrases)))):
            score = None if rnd.random() < 0.15 else min(10, max(1, round(rnd.gauss(6.5, 2))))
            keyword = Keyword(
                customer_id=group.customer_id,
                campaign_id=group.campaign_id,
                ad_group_id=group.ad_group_id,
                criterion_id=new_id(300_000_000_000, 99_999_999_999),
                text=text,
                match_type=rnd.choice(MATCH_TYPES),
                quality_score=score,
                weight=round(rnd.lognormvariate(0, 0.7) * 1000) + 1,
            )
            if campaign.launch_day <= config.end:
                keywords.append(keyword)
    return tuple(keywords)


def _phrases(theme: str) -> list[str]:
    base = theme.lower()
    return [base, f"{base} software", f"{base} tool", f"best {base}", f"{base} platform"]


def _by_ad_group(keywords: Iterable[Keyword]) -> dict[int, list[Keyword]]:
    groups: dict[int, list[Keyword]] = {}
    for keyword in keywords:
        groups.setdefault(keyword.ad_group_id, []).append(keyword)
    return groups


def _search_terms(config: WorldConfig, keywords: list[Keyword]) -> list[SearchTerm]:
    """2-4 search terms per keyword of one ad group, each text once in the ad group.

    A keyword's first term is its own text (status ADDED) and its last a rare one (a sliver of
    its traffic), the kind of long-tail query Google's privacy threshold hides on most days.
    """
    rnd = rng(config, "google_search_terms", keywords[0].ad_group_id)
    added = {k.text for k in keywords}
    used = set(added)  # a keyword's own text is its own term only
    terms: list[SearchTerm] = []
    for keyword in keywords:
        others = [t for t in _term_texts(keyword) if t not in used]
        chosen = [keyword.text, *rnd.sample(others, min(len(others), rnd.randint(1, 3)))]
        used.update(chosen)
        for position, text in enumerate(chosen):
            rare = position == len(chosen) - 1 and position > 0
            weight = rnd.lognormvariate(0, 0.6) * (0.02 if rare else 1)
            terms.append(SearchTerm(keyword, text, _status(text, added), round(weight * 1000) + 1))
    return terms


def _term_texts(keyword: Keyword) -> list[str]:
    """Searches the keyword's match type would match, besides the keyword itself."""
    plural = keyword.text if keyword.text.endswith("s") else keyword.text + "s"
    texts = (t.format(k=keyword.text, ks=plural) for t in TERM_TEMPLATES[keyword.match_type])
    # "thinline app app" reads as nobody types
    return [t for t in dict.fromkeys(texts) if len(set(t.split())) == len(t.split())]


def _status(text: str, keyword_texts: set[str]) -> str:
    """``search_term_view.status``: a keyword of the ad group, a negative's match, or neither."""
    if text in keyword_texts:
        return "ADDED"
    return "EXCLUDED" if set(text.split()) & set(NEGATIVE_WORDS) else "NONE"


class _Units(NamedTuple):
    """Metrics in whole units: 1 impression, 1 click, 1 micro, 0.25 conversion, 0.5 value."""

    impressions: int
    clicks: int
    cost_micros: int
    quarters: int
    halves: int

    @classmethod
    def of(cls, metrics: AdDay | KeywordDay) -> _Units:
        return cls(
            metrics.impressions,
            metrics.clicks,
            metrics.cost_micros,
            round(metrics.conversions * 4),
            round(metrics.conversions_value * 2),
        )

    def __add__(self, other: tuple[int, ...]) -> _Units:  # type: ignore[override]
        return _Units(*(a + b for a, b in zip(self, other, strict=True)))

    def fields(self) -> dict[str, int | float]:
        return {
            "impressions": self.impressions,
            "clicks": self.clicks,
            "cost_micros": self.cost_micros,
            "conversions": self.quarters / 4,
            "conversions_value": self.halves / 2,
        }


def _split_ad_groups(metrics: list[AdDay], keywords: tuple[Keyword, ...]) -> tuple[KeywordDay, ...]:
    """Each search ad group day's totals (its ads' sums) split over its keywords."""
    totals: dict[tuple[int, date], _Units] = {}
    for ad_day in metrics:
        key = (ad_day.ad_group_id, ad_day.day)
        totals[key] = totals.get(key, _Units(0, 0, 0, 0, 0)) + _Units.of(ad_day)
    groups = _by_ad_group(keywords)
    rows: list[KeywordDay] = []
    for (ad_group_id, day), units in totals.items():
        if ad_group_id not in groups:
            continue  # not a search ad group: no keywords
        shares = _split_units(units, [k.weight for k in groups[ad_group_id]])
        rows.extend(
            KeywordDay(keyword, day, **share.fields())
            for keyword, share in zip(groups[ad_group_id], shares, strict=True)
            if any(share)
        )
    return tuple(rows)


def _split_keywords(
    keyword_metrics: tuple[KeywordDay, ...], terms: tuple[SearchTerm, ...]
) -> tuple[SearchTermDay, ...]:
    """Each keyword day's metrics split over its search terms."""
    by_keyword: dict[int, list[SearchTerm]] = {}
    for term in terms:
        by_keyword.setdefault(term.keyword.criterion_id, []).append(term)
    rows: list[SearchTermDay] = []
    for keyword_day in keyword_metrics:
        own = by_keyword[keyword_day.keyword.criterion_id]
        shares = _split_units(_Units.of(keyword_day), [t.weight for t in own])
        rows.extend(
            SearchTermDay(term, keyword_day.day, **share.fields())
            for term, share in zip(own, shares, strict=True)
            if any(share)
        )
    return tuple(rows)


def _split_units(total: _Units, weights: Sequence[int]) -> list[_Units]:
    """``total`` shared out by ``weights``; the shares add up to ``total`` exactly.

    Impressions follow the weights; clicks follow the impressions each share got, so no share
    has more clicks than impressions; cost and conversions follow clicks, value conversions.
    """
    impressions = _largest_remainder(total.impressions, weights)
    clicks = _largest_remainder(total.clicks, impressions)
    by_clicks = _first_nonzero(clicks, impressions)
    cost = _largest_remainder(total.cost_micros, by_clicks)
    quarters = _largest_remainder(total.quarters, by_clicks)
    halves = _largest_remainder(total.halves, _first_nonzero(quarters, by_clicks))
    return [
        _Units(*share) for share in zip(impressions, clicks, cost, quarters, halves, strict=True)
    ]


def _first_nonzero(*candidates: list[int]) -> list[int]:
    """The first weights that give anything (a day's value can outlive its floored conversions)."""
    return next((weights for weights in candidates if any(weights)), candidates[-1])


def _largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` whole units in proportion to ``weights``: floors, then one more unit to each of
    the largest remainders (earlier first on ties), so the shares sum to ``total`` exactly."""
    whole = sum(weights)
    if total == 0 or whole == 0:
        return [0] * len(weights)
    shares = [total * weight // whole for weight in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for index in order[: total - sum(shares)]:
        shares[index] += 1
    return shares
