"""The synthetic company's HubSpot portal: owners, pipelines, companies, contacts and deals.

Every record is planned in full the day it is created (from that day's seeded generator):
its later changes are timestamped events, some after ``end``. The portal as of ``end`` is
the projection of those plans, so a later ``end`` only adds records and applies more events.

Ad clicks of every platform the world has (Google Ads, Meta, LinkedIn: each platform's
``paid_clicks``) become contacts carrying that platform's click id. Channel quality is
planted: ``CHANNEL_RATES`` sets each channel's funnel rates and deal size, and each sales
rep has a planted win probability and discount habit (``RepProfile``).

Deals keep every value of ``dealstage``, ``amount``, ``closedate``, ``hubspot_owner_id`` and
the forecast category ``hs_manual_forecast_category`` with its time (``CrmRecord.history``,
what HubSpot's ``propertiesWithHistory`` serves; ``HISTORY_PROPERTIES``). Some deals step back
a stage and forward again, and some won deals are reopened and won again (``REGRESSION_RATE``,
``REOPEN_RATE``): only the history shows every entry, as ``hs_v2_date_entered_<stage>`` keeps
the latest. What forecasting needs is planted on top, each kind from per-deal generators of
its own (``_plan_forecast_history``), before the deal is decided, so closed deals keep their
outcome, close time and final amount: expected close dates set at a stage move, pushed later
or pulled in before they arrive; amounts changed while open, up or down, as scope changes
(list price too; set back at the next stage move on deals that close); open deals that never
close reassigned for good to another rep of the team (their owner left, or a territory move),
and some deals that close covered by a colleague for a while and handed back before they are
decided; the forecast category following the stage, with some manual overrides.
``HubSpotData.pipeline_as_of`` replays the plan: the open pipeline of any past day.

The portal's currency settings (``exchange_rates``): company currency USD, EUR added, one
EUR rate a month taken from the ECB's reference rates (``sandbox/ecb_rates.py``).

The portal also has custom properties of its own (``CUSTOM_PROPERTIES``: ``li_fat_id`` and
``lead_grade`` on contacts, ``list_amount`` and ``deal_region`` on deals), which HubSpot's
properties API lists next to the HubSpot-defined ones. ``lead_grade`` and ``deal_region`` come
from their own per-record generators (seed and record id), so no other value of the world
depends on them.

Buying committees (``COMMITTEE_RATE``): some deals gain a colleague of their contact, touched
only by a partner's event (channel ``partner_events``, which touches nobody else), so
account-scope attribution has a channel that contact scope never credits. Drawn last, from
generators of their own, and added after everything built from the portal
(``HubSpotData.with_committees``).
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.clock import DAY_MS, day_start_ms, iso, parse_ms
from sandbox.config import WorldConfig, poisson, rng
from sandbox.ecb_rates import published
from sandbox.google_ads_data import Customer, GoogleAdsData, PaidClick

Properties = dict[str, str | None]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Ada Alan Amara Ben Chloe Dana Elif Emil Farah Grace Hugo Ines Jonas Kai Lena Liam Mia Noah "
    "Nora Omar Paula Rafael Sara Tariq Uma Victor Wen Yara Zoe Leo"
)
LAST_NAMES = _words(
    "Meyer Okafor Rossi Dubois Kowalski Tanaka Silva Novak Jensen Haddad Byrne Fischer Larsen "
    "Moreau Patel Nguyen Schmidt Costa Walsh Bauer Ito Weber Lopez Murphy Berg Klein Varga Ahmed"
)
COMPANY_WORDS = _words(
    "Northwind Bluefin Copperleaf Driftwood Evergreen Foxglove Granite Harbor Ironbark Juniper "
    "Keystone Lighthouse Maple Nimbus Oakridge Pinecrest Quartz Redwood Silverline Tidewater "
    "Umber Vantage Willow Xenon Yellowstone Zephyr Alder Beacon Cobalt Delta"
)
COMPANY_KINDS = _words("Analytics Logistics Health Retail Labs Systems Partners Foods Energy Media")
INDUSTRIES = _words(
    "COMPUTER_SOFTWARE FINANCIAL_SERVICES RETAIL HOSPITAL_HEALTH_CARE MARKETING_AND_ADVERTISING "
    "LOGISTICS_AND_SUPPLY_CHAIN"
)
COUNTRIES = {"US": ("United States", "Canada"), "EU": ("Germany", "France", "Netherlands", "Spain")}
JOB_TITLES = ("Head of Marketing", "VP Sales", "RevOps Manager", "CFO", "Data Analyst", "CEO")
# (source, drill-down 1, drill-down 2, weight) for contacts not from a Google Ads click
ORGANIC_SOURCES = (
    ("ORGANIC_SEARCH", "google", "Keywords unavailable", 30),
    ("DIRECT_TRAFFIC", None, None, 20),
    ("REFERRALS", "g2.com", "https://www.g2.com/categories/revenue", 12),
    ("EMAIL_MARKETING", "Monthly newsletter", "newsletter-2026", 10),
    ("PAID_SOCIAL", "linkedin", "abm-decision-makers", 10),
    ("PAID_SEARCH", "bing", "revenue analytics", 5),  # paid search without a gclid
    ("OFFLINE", "IMPORT", "events-2026.csv", 13),
)

# Buying committees (issue 18): on this share of deals whose contact works at a company, a
# colleague the rep added by hand (an offline CRM_UI source) was brought in by a partner's
# event (the colleague's latest source, OTHER_CAMPAIGNS "partner-summit": channel
# partner_events in seeds/channel_mapping.csv) a few days before the deal, and is associated
# with it. Nobody else is ever touched by that event, and those colleagues stay leads, so the
# channel gets credit only in account-scope attribution. Each deal draws from a generator of
# its own, after everything else: no other value of the world changes.
COMMITTEE_RATE = 0.3
COMMITTEE_EVENT = ("OTHER_CAMPAIGNS", "partner-summit", "partner-summit-2026")
COMMITTEE_CHANNEL = "partner_events"
COMMITTEE_CONTACT_ID_OFFSET = 30_000_000_000  # a planted colleague's id: its deal's id + this


@dataclass(frozen=True)
class ChannelRates:
    """A channel's planted funnel: each step's probability, and a list-price multiplier."""

    lead_to_mql: float
    mql_to_sql: float
    sql_to_opportunity: float
    # P(won | the deal is decided) for a rep of REFERENCE_WIN_PROBABILITY; see deal_win_rule
    opportunity_to_won: float
    deal_size: float


# Paid search converts best; LinkedIn brings the largest deals; Meta is cheap but converts
# worst; organic, referral and direct sit in between.
CHANNEL_RATES = {
    "paid_search": ChannelRates(0.55, 0.70, 0.65, 0.55, 1.0),
    "paid_social_linkedin": ChannelRates(0.45, 0.60, 0.60, 0.45, 1.8),
    "paid_social_meta": ChannelRates(0.25, 0.40, 0.40, 0.25, 0.6),
    "organic_search": ChannelRates(0.45, 0.60, 0.55, 0.45, 1.0),
    "referral": ChannelRates(0.50, 0.65, 0.60, 0.50, 1.1),
    "direct": ChannelRates(0.35, 0.55, 0.55, 0.40, 1.0),
    "email": ChannelRates(0.30, 0.50, 0.50, 0.40, 0.9),
    "offline": ChannelRates(0.30, 0.50, 0.50, 0.40, 1.0),
}
CHANNEL_OF_SOURCE = {
    "PAID_SEARCH": "paid_search",
    "ORGANIC_SEARCH": "organic_search",
    "REFERRALS": "referral",
    "DIRECT_TRAFFIC": "direct",
    "EMAIL_MARKETING": "email",
    "OFFLINE": "offline",
}
SOCIAL_CHANNELS = {"facebook": "paid_social_meta", "linkedin": "paid_social_linkedin"}
REFERENCE_WIN_PROBABILITY = 0.5  # the rep skill CHANNEL_RATES.opportunity_to_won is quoted for
MAX_WIN_PROBABILITY = 0.95
STALL_RATE = 0.15  # opportunities that stall at some open stage and never close
DISCOUNT_HABITS = ((5, 10), (10, 15), (10, 15, 20), (15, 20, 25), (5, 10, 15, 20))
# The deal's forecast category (Settings > Objects > Forecast maps each stage of a pipeline to
# a category; a rep may override it on the deal:
# https://blog.wthubspot.com/knowledge/forecast/set-up-the-forecast-tool, a copy of HubSpot's
# knowledge base article). [inferred] The internal name hs_manual_forecast_category and the
# option values OMIT ("Not forecasted"), PIPELINE, BEST_CASE, COMMIT, CLOSED come from public
# client code and API fixtures, not from a HubSpot page found. A stage change re-maps the
# category, overwriting a manual pick (https://www.man.digital/blog/hubspot-forecasting).
FORECAST_PROPERTY = "hs_manual_forecast_category"
# properties whose every value a record keeps (deals'); the history holds a value when it
# changes (a property never set has none)
HISTORY_PROPERTIES = ("dealstage", "amount", "closedate", "hubspot_owner_id", FORECAST_PROPERTY)
REGRESSION_RATE = 0.10  # deals past the 2nd open stage that step back a stage, then forward
REOPEN_RATE = 0.08  # won deals reopened a few days after the win, then won again


@dataclass(frozen=True)
class ClickPlatform:
    """How a platform's ad click shows on the contact it becomes."""

    source: str  # hs_analytics_source
    network: str  # hs_analytics_source_data_1 for paid social, and utm_source
    medium: str  # utm_medium
    click_property: str  # the contact property holding the click id
    url_parameter: str  # the click id's name in the landing URL
    campaign_prefix: str  # utm_campaign is <prefix>-<campaign id>
    content_prefix: str  # utm_content (utm_term for Google) is <prefix>-<ad group/set/creative>


CLICK_PLATFORMS = {
    "google_ads": ClickPlatform(
        "PAID_SEARCH", "google", "cpc", "hs_google_click_id", "gclid", "gads", "adgroup"
    ),
    "meta_ads": ClickPlatform(
        "PAID_SOCIAL", "facebook", "paid_social", "hs_facebook_click_id", "fbclid", "meta", "adset"
    ),
    # HubSpot has no standard LinkedIn click id: li_fat_id is this portal's custom property.
    "linkedin_ads": ClickPlatform(
        "PAID_SOCIAL", "linkedin", "paid_social", "li_fat_id", "li_fat_id", "li", "creative"
    ),
}


@dataclass(frozen=True)
class Stage:
    stage_id: str
    label: str
    probability: str
    is_closed: bool
    is_won: bool


@dataclass(frozen=True)
class Pipeline:
    pipeline_id: str
    label: str
    stages: tuple[Stage, ...]

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if not s.is_closed)

    def closed_stage(self, won: bool) -> Stage:
        return next(s for s in self.stages if s.is_closed and s.is_won == won)


PIPELINES = (
    Pipeline(
        "default",
        "Sales Pipeline",
        (
            Stage("appointmentscheduled", "Appointment Scheduled", "0.2", False, False),
            Stage("qualifiedtobuy", "Qualified To Buy", "0.4", False, False),
            Stage("presentationscheduled", "Presentation Scheduled", "0.6", False, False),
            Stage("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", False, False),
            Stage("contractsent", "Contract Sent", "0.9", False, False),
            Stage("closedwon", "Closed Won", "1.0", True, True),
            Stage("closedlost", "Closed Lost", "0.0", True, False),
        ),
    ),
    # Portal-specific pipelines have numeric ids: consumers must map them through the API.
    Pipeline(
        "75318642",
        "Partner Pipeline",
        (
            Stage("75318643", "Partner Referral", "0.3", False, False),
            Stage("75318644", "Joint Demo", "0.6", False, False),
            Stage("75318645", "Proposal", "0.85", False, False),
            Stage("75318646", "Closed Won", "1.0", True, True),
            Stage("75318647", "Closed Lost", "0.0", True, False),
        ),
    ),
)
TEAMS = {"US": ("1001", "NA Sales"), "EU": ("1002", "EMEA Sales")}
# Each stage's forecast category: early stages pipeline, proposal best case, negotiation
# (contract out) commit, won closed, lost not forecasted.
FORECAST_CATEGORIES = {
    "appointmentscheduled": "PIPELINE",
    "qualifiedtobuy": "PIPELINE",
    "presentationscheduled": "BEST_CASE",
    "decisionmakerboughtin": "BEST_CASE",
    "contractsent": "COMMIT",
    "closedwon": "CLOSED",
    "closedlost": "OMIT",
    "75318643": "PIPELINE",
    "75318644": "BEST_CASE",
    "75318645": "COMMIT",
    "75318646": "CLOSED",
    "75318647": "OMIT",
}
# What a rep's manual override may set instead of the stage's category.
FORECAST_OVERRIDES = {
    "PIPELINE": ("BEST_CASE", "OMIT"),
    "BEST_CASE": ("COMMIT", "PIPELINE"),
    "COMMIT": ("BEST_CASE",),
}
CLOSE_DATE_SET_RATE = 0.7  # open deals without an expected close date that get one at a move
CLOSE_DATE_MOVE_RATE = 0.4  # deals whose expected close date moves (once or twice) before it
PULL_IN_SHARE = 0.3  # of those moves, the share that pull the date in (the rest push it out)
AMOUNT_CHANGE_RATE = 0.25  # deals whose amount changes while open, up or down
OWNER_LEFT_RATE = 0.8  # never-closing open deals of a rep who left, reassigned days after
TERRITORY_MOVE_RATE = 0.25  # other never-closing open deals moved to a colleague of the team
COVER_RATE = 0.1  # deals that are decided, covered by a colleague for a while before that
FORECAST_OVERRIDE_RATE = 0.2  # deals whose rep overrides the stage's forecast category once
OPEN_HORIZON_DAYS = 120  # a never-decided deal's changes fall within this many days of creation

CONTACT_PROPERTIES = _words(
    "email firstname lastname jobtitle country createdate lastmodifieddate hs_object_id "
    "lifecyclestage hs_lifecyclestage_subscriber_date hs_lifecyclestage_lead_date "
    "hs_lifecyclestage_marketingqualifiedlead_date hs_lifecyclestage_salesqualifiedlead_date "
    "hs_lifecyclestage_opportunity_date hs_lifecyclestage_customer_date hs_analytics_source "
    "hs_analytics_source_data_1 hs_analytics_source_data_2 hs_analytics_first_url "
    "hs_analytics_first_timestamp hs_latest_source hs_latest_source_data_1 "
    "hs_latest_source_data_2 hs_latest_source_timestamp hs_google_click_id hs_facebook_click_id "
    "li_fat_id associatedcompanyid hubspot_owner_id hs_merged_object_ids "
    "hs_sa_first_engagement_date lead_grade hs_legal_basis"
)
COMPANY_PROPERTIES = _words(
    "name domain industry numberofemployees annualrevenue country createdate "
    "hs_lastmodifieddate hs_object_id"
)
DEAL_PROPERTIES = (
    *_words(
        "dealname amount list_amount deal_currency_code dealstage pipeline dealtype closedate "
        "createdate hs_lastmodifieddate hubspot_owner_id hs_is_closed hs_is_closed_won "
        "hs_object_id deal_region hs_manual_forecast_category"
    ),
    *(
        f"hs_v2_date_{kind}_{s.stage_id}"
        for p in PIPELINES
        for s in p.stages
        for kind in ("entered", "exited")
    ),
)


# The portal's own properties (not HubSpot-defined): (label, type, fieldType, options).
CUSTOM_PROPERTIES: dict[str, dict[str, tuple[str, str, str, tuple[str, ...]]]] = {
    "contacts": {
        "li_fat_id": ("LinkedIn click id", "string", "text", ()),
        "lead_grade": ("Lead grade", "enumeration", "select", ("A", "B", "C", "D")),
    },
    "companies": {},
    "deals": {
        "list_amount": ("List amount", "number", "number", ()),
        "deal_region": ("Deal region", "enumeration", "select", ("North America", "EMEA", "APAC")),
    },
}
# HubSpot-defined properties every portal has that this world leaves empty on every record.
UNFILLED_PROPERTIES = {
    "contacts": _words(
        "phone city hs_analytics_first_referrer hs_analytics_last_url hs_analytics_last_referrer "
        "hs_analytics_num_visits hs_analytics_first_touch_converting_campaign "
        "hs_analytics_last_touch_converting_campaign hs_lifecyclestage_evangelist_date "
        "hs_lifecyclestage_other_date"
    ),
    "companies": _words("phone city website hubspot_owner_id"),
    "deals": _words("description hs_deal_stage_probability"),
}
LEAD_GRADES = (("A", 15), ("B", 35), ("C", 30), ("D", 10), (None, 10))
# hs_legal_basis, "Legal basis for processing contact's data": a HubSpot-defined multiple
# checkbox property (values ';'-separated) whose options are these labels, en dash included
# (https://knowledge.hubspot.com/articles/kcs_article/contacts/how-can-i-track-lawful-basis-of-processing-in-hubspot).
# Most contacts consented on the form that created them; a planted minority (about 15 in 100)
# are held on another basis or none, so they are never sent to an ad platform (issue 20).
# The weights are [inferred]: no documentation says how a portal's contacts are spread.
LEGAL_BASES = (
    ("Freely given consent from contact", 82),
    ("Legitimate interest – prospect/lead", 6),
    ("Freely given consent from contact;Legitimate interest – existing customer", 3),
    ("Performance of a contract", 2),
    ("Not applicable", 2),
    (None, 5),
)


@dataclass(frozen=True)
class Owner:
    owner_id: int
    user_id: int
    email: str
    first_name: str
    last_name: str
    team_id: str
    team_name: str
    created_ms: int
    archived_ms: int | None  # as of end

    @property
    def updated_ms(self) -> int:
        return self.archived_ms or self.created_ms


@dataclass(frozen=True)
class RepProfile:
    """A sales rep's planted habits: how often they win, how often and how much they discount."""

    owner_id: int
    win_probability: float  # P(won | decided) on a deal whose channel rate is the reference
    discount_probability: float  # P(discount) when a deal reaches its last open stage
    discount_levels: tuple[int, ...]  # percent, one drawn uniformly when discounting

    @property
    def average_discount(self) -> float:
        """The mean discount (fraction of list price) of a discounted deal."""
        return sum(self.discount_levels) / len(self.discount_levels) / 100


@dataclass(frozen=True)
class CrmRecord:
    """A contact, company or deal as of ``end``: every property key present, strings or None."""

    object_id: int
    properties: Properties
    created_ms: int
    updated_ms: int
    archived_ms: int | None
    # every value each of HISTORY_PROPERTIES took up to ``end``, oldest first: (epoch ms, value)
    history: Mapping[str, tuple[tuple[int, str | None], ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class HubSpotData:
    owners: tuple[Owner, ...]
    pipelines: tuple[Pipeline, ...]
    companies: tuple[CrmRecord, ...]
    contacts: tuple[CrmRecord, ...]
    deals: tuple[CrmRecord, ...]
    deal_contacts: tuple[tuple[int, int], ...]  # (deal_id, contact_id), both live as of end
    paid_contacts: tuple[tuple[int, PaidClick], ...]  # contacts created from a Google Ads click
    # contacts created from an ad click of any platform: (contact_id, that platform's click)
    ad_contacts: tuple[tuple[int, Any], ...] = ()
    rep_profiles: tuple[RepProfile, ...] = ()
    # deals created by mistake and deleted (or to be deleted) days later, whatever ``end`` is:
    # no rep logs a meeting on one
    mistaken_deals: frozenset[int] = frozenset()
    # the sales engagements (calls, emails, meetings, tasks), added after the portal is built
    activities: HubSpotActivities | None = None
    # planted buying-committee colleagues and their deal associations (COMMITTEE_RATE), kept
    # apart until with_committees() adds them, so what is built from the portal before (the
    # Salesforce org, the activities) is as it was
    committee_contacts: tuple[CrmRecord, ...] = ()
    committee_deal_contacts: tuple[tuple[int, int], ...] = ()
    # each deal's plan of HISTORY_PROPERTIES up to ``as_of_ms``: (epoch ms, the values set
    # then), in time order, its values at creation first; the truth of pipeline_as_of
    deal_plans: Mapping[int, tuple[tuple[int, Properties], ...]] = field(
        default_factory=dict, repr=False
    )
    as_of_ms: int | None = None  # the world's cut-off (exclusive)

    def pipeline_as_of(self, day: date) -> list[dict[str, Any]]:
        """Every deal open at the end of ``day`` (UTC) and not deleted as of the world's end,
        replayed from the plan (not from ``CrmRecord.history``): its stage, amount (a Decimal,
        deal currency), currency, expected close date (UTC date or None), owner id and
        forecast category (HubSpot's value), in deal id order."""
        cutoff = day_start_ms(day + timedelta(days=1))
        if self.as_of_ms is None or cutoff > self.as_of_ms:
            raise ValueError(f"{day} ends after the world's cut-off")
        open_stages = {s.stage_id for p in self.pipelines for s in p.open_stages}
        rows = []
        for deal in self.deals:
            if deal.archived_ms is not None:
                continue
            state: Properties = {}
            for at_ms, changes in self.deal_plans.get(deal.object_id, ()):
                if at_ms >= cutoff:
                    break
                state |= changes
            if state.get("dealstage") not in open_stages:
                continue
            amount, close = state.get("amount"), state.get("closedate")
            rows.append(
                {
                    "deal_id": str(deal.object_id),
                    "stage": state["dealstage"],
                    "amount": Decimal(amount) if amount is not None else None,
                    "currency": deal.properties["deal_currency_code"],
                    "close_date": _utc_date(parse_ms(close)) if close else None,
                    "owner_id": state.get("hubspot_owner_id"),
                    "forecast_category": state.get(FORECAST_PROPERTY),
                }
            )
        return rows

    def with_committees(self) -> HubSpotData:
        """The portal with the planted colleagues among its contacts and deal associations."""
        return replace(
            self,
            contacts=tuple(
                sorted(self.contacts + self.committee_contacts, key=lambda r: r.object_id)
            ),
            deal_contacts=tuple(sorted(self.deal_contacts + self.committee_deal_contacts)),
        )

    def committee_truth(self) -> dict[str, Any]:
        """The planted buying committees: the channel only their colleagues were touched by,
        and each deal's planted colleague (deal id -> contact id, live deals as of end)."""
        return {
            "channel": COMMITTEE_CHANNEL,
            "source": COMMITTEE_EVENT[0],
            "source_detail": COMMITTEE_EVENT[1],
            "deals": {str(deal): str(contact) for deal, contact in self.committee_deal_contacts},
        }

    def planted_truth(self) -> dict[str, Any]:
        """The knobs behind the funnel, for checking what the models measure."""
        return {
            "channel_rates": {name: asdict(rates) for name, rates in CHANNEL_RATES.items()},
            "deal_win_rule": (
                "P(won | decided) = min(channel opportunity_to_won * rep win_probability / "
                f"{REFERENCE_WIN_PROBABILITY}, {MAX_WIN_PROBABILITY}); "
                f"{STALL_RATE} of opportunities stall open"
            ),
            "rep_profiles": {
                str(rep.owner_id): {
                    "win_probability": rep.win_probability,
                    "discount_probability": rep.discount_probability,
                    "discount_levels": [level / 100 for level in rep.discount_levels],
                    "average_discount": rep.average_discount,
                }
                for rep in self.rep_profiles
            },
            "ad_click_contacts": [
                {
                    "contact_id": str(contact_id),
                    "platform": click.platform,
                    "click_id": click.click_id,
                    "click_property": CLICK_PLATFORMS[click.platform].click_property,
                    "account_id": str(_account_id(click)),
                    "campaign_id": str(click.campaign_id),
                    "ad_group_id": str(_ad_group_id(click)),
                    "date": click.day.isoformat(),
                }
                for contact_id, click in self.ad_contacts
            ],
        }


@dataclass
class _History:
    """A record's plan: initial properties, then timestamped changes (some after ``end``)."""

    object_id: int
    created_ms: int
    base: Properties
    events: list[tuple[int, Properties]] = field(default_factory=list)
    archived_ms: int | None = None
    region: str = "US"
    company_id: int | None = None

    def project(
        self, as_of_ms: int, modified_key: str, tracked: tuple[str, ...] = ()
    ) -> CrmRecord | None:
        """The record as of ``as_of_ms``, keeping the history of the ``tracked`` properties."""
        if self.created_ms >= as_of_ms:
            return None
        archived = self.archived_ms if self.archived_ms and self.archived_ms < as_of_ms else None
        frozen_at = archived if archived is not None else as_of_ms - 1
        props, last = dict(self.base), self.created_ms
        history: dict[str, list[tuple[int, str | None]]] = {
            name: [(self.created_ms, self.base[name])] if self.base[name] is not None else []
            for name in tracked
            if name in self.base
        }
        for at_ms, changes in self.timeline():
            if at_ms <= frozen_at:
                props.update(changes)
                last = max(last, at_ms)
                for name, values in history.items():
                    # a value set again unchanged is no new version
                    if name in changes and (not values or values[-1][1] != changes[name]):
                        values.append((at_ms, changes[name]))
        last = max(last, archived or last)
        props.update(
            createdate=iso(self.created_ms),
            hs_object_id=str(self.object_id),
            **{modified_key: iso(last)},
        )
        tracked = {name: tuple(values) for name, values in history.items() if values}
        return CrmRecord(self.object_id, props, self.created_ms, last, archived, tracked)

    def timeline(self) -> list[tuple[int, Properties]]:
        """The planned changes in time order (changes planned for the same moment keep the
        order they were planned in, and form one state)."""
        return sorted(self.events, key=lambda event: event[0])

    def value_at(self, name: str, at_ms: int) -> str | None:
        """The property's planned value just after every change at or before ``at_ms``."""
        value = self.base.get(name)
        for changed_ms, changes in self.timeline():
            if changed_ms > at_ms:
                break
            value = changes.get(name, value)
        return value


@dataclass
class _Portal:
    """Generation state carried from day to day (ids, plans, uniqueness)."""

    owners: list[tuple[Owner, int | None]]  # with the planned archive time
    reps: dict[str, RepProfile] = field(default_factory=dict)  # by owner id (a string)
    companies: list[_History] = field(default_factory=list)
    # per region, in creation order, for picking one that exists at a given time
    companies_by_region: dict[str, list[_History]] = field(
        default_factory=lambda: {region: [] for region in COUNTRIES}
    )
    contacts_by_company: dict[int, list[_History]] = field(default_factory=dict)
    contacts: list[_History] = field(default_factory=list)
    deals: list[_History] = field(default_factory=list)
    deal_contacts: list[tuple[int, int]] = field(default_factory=list)
    paid_contacts: list[tuple[int, PaidClick]] = field(default_factory=list)
    ad_contacts: list[tuple[int, Any]] = field(default_factory=list)
    merged_originals: set[int] = field(default_factory=set)
    seed: int = 0  # the world seed, for generators drawn outside the daily stream
    names: set[str] = field(default_factory=set)
    next_company_id: int = 5_120_000_000
    next_contact_id: int = 101
    next_deal_id: int = 18_400_000_000

    def active_owner(self, rnd: random.Random, region: str, at_ms: int, prefer: str | None) -> str:
        team = TEAMS[region][0]
        active = [o for o, gone in self.owners if gone is None or gone > at_ms]
        if prefer and any(str(o.owner_id) == prefer for o in active):
            return prefer
        return str(rnd.choice([o for o in active if o.team_id == team] or active).owner_id)

    def unique(self, name: str) -> str:
        candidate, n = name, 1
        while candidate in self.names:
            n += 1
            candidate = f"{name} {n}" if " " in name else name.replace("@", f"{n}@", 1)
        self.names.add(candidate)
        return candidate


def build_hubspot(config: WorldConfig, google_ads: GoogleAdsData, *social_ads: Any) -> HubSpotData:
    """The portal; ``social_ads`` are the other ad platforms' data (Meta, LinkedIn), if any.

    Each has ``paid_clicks`` (``platform``, ``click_id``, ``day``, ``at_ms``, ``account_id``,
    ``campaign_id``, an ad set or creative id) and its ``account`` or ``accounts`` (with a
    ``currency``, which places the contact in a region).
    """
    owners = _plan_owners(config)
    portal = _Portal(
        owners=owners,
        reps=_plan_reps(config, [owner for owner, _ in owners]),
        seed=config.seed,
    )
    regions = {("google_ads", c.customer_id): _region(c) for c in google_ads.customers}
    clicks_by_day: dict[date, list[PaidClick]] = {}
    for click in google_ads.paid_clicks:
        clicks_by_day.setdefault(click.day, []).append(click)
    social_by_day: dict[date, list[Any]] = {}
    for data in social_ads:
        accounts = getattr(data, "accounts", None) or (data.account,)
        platforms = {click.platform for click in data.paid_clicks}
        regions |= {
            (p, account.account_id): _region(account) for p in platforms for account in accounts
        }
        for click in data.paid_clicks:
            social_by_day.setdefault(click.day, []).append(click)
    for day in config.days():
        rnd = rng(config, "hubspot", day.isoformat())
        first_day = day == config.start
        new_companies = round(30 * config.scale) if first_day else poisson(rnd, 0.4 * config.scale)
        for company in sorted(
            (_plan_company(rnd, portal, day) for _ in range(new_companies)),
            key=lambda company: company.created_ms,
        ):
            portal.companies.append(company)
            portal.companies_by_region[company.region].append(company)
        arrivals = [
            (click.at_ms + 60_000 * rnd.randint(1, 30), click)
            for click in clicks_by_day.get(day, [])
        ]
        arrivals += [
            (day_start_ms(day) + rnd.randrange(DAY_MS - 1_900_000), None)
            for _ in range(poisson(rnd, 2.2 * config.scale))
        ]
        # Other platforms' clicks are drawn last, so Google's and organic arrival times do not
        # depend on which other platforms exist.
        arrivals += [
            (click.at_ms + 60_000 * rnd.randint(1, 30), click)
            for click in social_by_day.get(day, [])
        ]
        for at_ms, click in sorted(arrivals, key=lambda arrival: arrival[0]):
            region = (
                regions[click.platform, _account_id(click)]
                if click
                else rnd.choice(("US", "US", "EU"))
            )
            _plan_contact(portal, rnd, at_ms, region, click)
        duplicates = poisson(rnd, 0.05 * config.scale)
        if duplicates:
            midnight = day_start_ms(day)
            earlier = [c for c in portal.contacts if c.created_ms < midnight]
            for _ in range(duplicates):
                _plan_duplicate(portal, rnd, day, earlier)

    _plan_custom_values(portal)
    _plan_legal_basis(portal)
    committee = _plan_committees(portal)
    as_of = config.as_of_ms

    def project(
        histories: list[_History], modified_key: str, tracked: tuple[str, ...] = ()
    ) -> tuple[CrmRecord, ...]:
        records = (h.project(as_of, modified_key, tracked) for h in histories)
        return tuple(sorted((r for r in records if r), key=lambda r: r.object_id))

    deals = project(portal.deals, "hs_lastmodifieddate", HISTORY_PROPERTIES)
    live_deals = {d.object_id for d in deals if d.archived_ms is None}
    owners = tuple(
        replace(o, archived_ms=gone if gone and gone < as_of else None) for o, gone in portal.owners
    )
    contacts = project(portal.contacts, "lastmodifieddate")
    existing = {c.object_id for c in contacts}
    committee_contacts = project([colleague for _, colleague in committee], "lastmodifieddate")
    return HubSpotData(
        owners=owners,
        pipelines=PIPELINES,
        companies=project(portal.companies, "hs_lastmodifieddate"),
        contacts=contacts,
        deals=deals,
        deal_contacts=tuple(sorted(pair for pair in portal.deal_contacts if pair[0] in live_deals)),
        paid_contacts=tuple(p for p in portal.paid_contacts if p[0] in existing),
        ad_contacts=tuple(p for p in portal.ad_contacts if p[0] in existing),
        rep_profiles=tuple(portal.reps.values()),
        mistaken_deals=frozenset(d.object_id for d in portal.deals if d.archived_ms is not None),
        deal_plans={d.object_id: _tracked_plan(d, as_of) for d in portal.deals},
        as_of_ms=as_of,
        committee_contacts=committee_contacts,
        committee_deal_contacts=tuple(
            sorted(
                (deal_id, colleague.object_id)
                for deal_id, colleague in committee
                if deal_id in live_deals
            )
        ),
    )


def _tracked_plan(deal: _History, as_of_ms: int) -> tuple[tuple[int, Properties], ...]:
    """The deal's planned values of HISTORY_PROPERTIES before ``as_of_ms``, in time order."""
    entries = [(deal.created_ms, {name: deal.base[name] for name in HISTORY_PROPERTIES})]
    entries += [
        (at_ms, {name: value for name, value in changes.items() if name in HISTORY_PROPERTIES})
        for at_ms, changes in deal.timeline()
    ]
    return tuple((at_ms, changes) for at_ms, changes in entries if changes and at_ms < as_of_ms)


def _utc_date(at_ms: int) -> date:
    return date(1970, 1, 1) + timedelta(days=at_ms // DAY_MS)


def _plan_committees(portal: _Portal) -> list[tuple[int, _History]]:
    """The planted buying-committee colleagues (COMMITTEE_RATE): (deal id, colleague plan)."""
    companies = {company.object_id: company for company in portal.companies}
    contacts = {contact.object_id: contact for contact in portal.contacts}
    primary: dict[int, _History] = {}
    for deal_id, contact_id in portal.deal_contacts:  # the deal's own contact comes first
        primary.setdefault(deal_id, contacts[contact_id])
    committee = []
    for deal in portal.deals:
        rnd = random.Random(f"{portal.seed}-committee|hubspot|{deal.object_id}")
        contact = primary[deal.object_id]
        company = companies.get(contact.company_id or 0)
        if company is None or deal.archived_ms is not None or rnd.random() >= COMMITTEE_RATE:
            continue
        # both after the deal's contact arrived (when the deal was planned), so a world with a
        # later end only adds the colleague after the cutoff, as every other record
        created_ms = contact.created_ms + round(
            (deal.created_ms - contact.created_ms) * rnd.uniform(0.05, 0.5)
        )
        touched_ms = created_ms + round((deal.created_ms - created_ms) * rnd.uniform(0.3, 0.95))
        first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
        object_id = deal.object_id + COMMITTEE_CONTACT_ID_OFFSET
        domain = company.base["domain"]
        added_by_hand = {"hs_analytics_source": "OFFLINE", "hs_analytics_source_data_1": "CRM_UI"}
        colleague = _History(
            object_id,
            created_ms,
            _blank(CONTACT_PROPERTIES)
            | {
                "email": f"{first}.{last}.{object_id}@{domain}".lower(),
                "firstname": first,
                "lastname": last,
                "jobtitle": rnd.choice(JOB_TITLES),
                "country": company.base["country"],
                "associatedcompanyid": str(company.object_id),
                "lifecyclestage": "lead",
                "hs_lifecyclestage_lead_date": iso(created_ms),
                **added_by_hand,
                "hs_analytics_first_timestamp": iso(created_ms),
                "hs_latest_source": "OFFLINE",
                "hs_latest_source_data_1": "CRM_UI",
                "hs_latest_source_timestamp": iso(created_ms),
                "lead_grade": rnd.choices(*zip(*LEAD_GRADES, strict=True))[0],
            },
            region=company.region,
            company_id=company.object_id,
        )
        source, data_1, data_2 = COMMITTEE_EVENT
        colleague.events.append(
            (
                touched_ms,
                {
                    "hs_latest_source": source,
                    "hs_latest_source_data_1": data_1,
                    "hs_latest_source_data_2": data_2,
                    "hs_latest_source_timestamp": iso(touched_ms),
                },
            )
        )
        committee.append((deal.object_id, colleague))
    return committee


def _plan_custom_values(portal: _Portal) -> None:
    """The portal's own properties: each record's value from a generator of its own (seed and
    record id), drawn after everything else, so no other value of the world changes."""
    for contact in portal.contacts:
        rnd = random.Random(f"{portal.seed}|hubspot|lead-grade|{contact.object_id}")
        grades, weights = zip(*LEAD_GRADES, strict=True)
        contact.base["lead_grade"] = rnd.choices(grades, weights)[0]
    for deal in portal.deals:
        rnd = random.Random(f"{portal.seed}|hubspot|deal-region|{deal.object_id}")
        home = "EMEA" if deal.base["deal_currency_code"] == "EUR" else "North America"
        deal.base["deal_region"] = "APAC" if rnd.random() < 0.1 else home


def _plan_legal_basis(portal: _Portal) -> None:
    """Each contact's ``hs_legal_basis`` (``LEGAL_BASES``), set when it was created, from a
    generator of its own (seed and contact id), drawn last: no other value of the world
    changes. Buying-committee colleagues (added later by sales) carry none."""
    bases, weights = zip(*LEGAL_BASES, strict=True)
    for contact in portal.contacts:
        rnd = random.Random(f"{portal.seed}|hubspot|legal-basis|{contact.object_id}")
        contact.base["hs_legal_basis"] = rnd.choices(bases, weights)[0]


def _account_id(click: Any) -> int:
    """The ad account of any platform's click (Google calls it the customer)."""
    return click.customer_id if isinstance(click, PaidClick) else click.account_id


def _ad_group_id(click: Any) -> int:
    """The ad group (Google), ad set (Meta) or creative (LinkedIn) of a click."""
    for name in ("ad_group_id", "ad_set_id", "creative_id"):
        if (value := getattr(click, name, None)) is not None:
            return int(value)
    raise ValueError(f"a {click.platform} click names no ad group, ad set or creative")


def _region(account: Customer | Any) -> str:
    """An ad account's region: US for USD accounts, else EU (EUR, GBP)."""
    return "US" if account.currency == "USD" else "EU"


def _plan_owners(config: WorldConfig) -> list[tuple[Owner, int | None]]:
    rnd = rng(config, "hubspot", "owners")
    owners: list[tuple[Owner, int | None]] = []
    for index in range(min(40, 6 + round(2 * config.scale))):
        first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
        team_id, team_name = TEAMS["US" if index % 2 == 0 else "EU"]
        # Two reps leave during the period; their deals keep pointing at them, but for some
        # open ones that never close (_plan_owner_change).
        gone_day = {2: 20, 5: 55}.get(index)
        gone = (
            None
            if gone_day is None
            else day_start_ms(config.start) + gone_day * DAY_MS + 36_000_000
        )
        owner = Owner(
            owner_id=41_000_000 + index * 1_379 + rnd.randrange(1_000),
            user_id=9_500_000 + index * 37 + rnd.randrange(30),
            email=f"{first}.{last}.{index}@thinline.example".lower(),
            first_name=first,
            last_name=last,
            team_id=team_id,
            team_name=team_name,
            created_ms=day_start_ms(config.start) - rnd.randrange(30, 400) * DAY_MS,
            archived_ms=None,
        )
        owners.append((owner, gone))
    return owners


def _plan_reps(config: WorldConfig, owners: list[Owner]) -> dict[str, RepProfile]:
    """Each rep's win probability and discount habit, from its own seeded generator."""
    rnd = rng(config, "hubspot", "reps")
    return {
        str(owner.owner_id): RepProfile(
            owner_id=owner.owner_id,
            win_probability=rnd.choice((0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)),
            discount_probability=rnd.choice((0.2, 0.35, 0.5, 0.65, 0.8)),
            discount_levels=rnd.choice(DISCOUNT_HABITS),
        )
        for owner in owners
    }


def _plan_company(rnd: random.Random, portal: _Portal, day: date) -> _History:
    portal.next_company_id += rnd.randint(1, 40)
    region = rnd.choice(("US", "US", "EU"))
    name = portal.unique(f"{rnd.choice(COMPANY_WORDS)} {rnd.choice(COMPANY_KINDS)}")
    employees = rnd.choice((12, 25, 60, 140, 320, 800, 2400))
    company = _History(
        object_id=portal.next_company_id,
        created_ms=day_start_ms(day) + rnd.randrange(DAY_MS - 1),
        base=_blank(COMPANY_PROPERTIES)
        | {
            "name": name,
            "domain": name.lower().replace(" ", "") + ".example",
            "industry": rnd.choice(INDUSTRIES),
            "numberofemployees": str(employees),
            "annualrevenue": str(employees * rnd.randrange(80, 250) * 1000),
            "country": rnd.choice(COUNTRIES[region]),
        },
        region=region,
    )
    if rnd.random() < 0.3:
        company.events.append(
            (
                _later(rnd, company.created_ms, 1, 80),
                {"numberofemployees": str(round(employees * 1.2))},
            )
        )
    return company


def _plan_contact(
    portal: _Portal,
    rnd: random.Random,
    at_ms: int,
    region: str,
    click: Any | None,
) -> None:
    portal.next_contact_id += rnd.randint(1, 60)
    first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
    regional = portal.companies_by_region[region]
    existing = bisect.bisect_right(regional, at_ms, key=lambda company: company.created_ms)
    company = regional[rnd.randrange(existing)] if existing and rnd.random() < 0.85 else None
    domain = company.base["domain"] if company else rnd.choice(("gmail.com", "outlook.com"))
    props = _blank(CONTACT_PROPERTIES) | {
        "email": portal.unique(f"{first}.{last}@{domain}".lower()),
        "firstname": first,
        "lastname": last,
        "jobtitle": rnd.choice(JOB_TITLES),
        "country": company.base["country"] if company else rnd.choice(COUNTRIES[region]),
        "associatedcompanyid": str(company.object_id) if company else None,
        "lifecyclestage": "lead",
        "hs_lifecyclestage_lead_date": iso(at_ms),
    }
    props |= _source(rnd, at_ms, click)
    contact = _History(portal.next_contact_id, at_ms, props, region=region)
    if company:
        contact.company_id = company.object_id
        portal.contacts_by_company.setdefault(company.object_id, []).append(contact)
    if click:
        portal.ad_contacts.append((contact.object_id, click))
        if isinstance(click, PaidClick):
            portal.paid_contacts.append((contact.object_id, click))
    if rnd.random() < 0.25:
        source, data_1, data_2, _ = ORGANIC_SOURCES[rnd.choice((0, 1, 3))]
        revisit = _later(rnd, at_ms, 1, 30)
        contact.events.append(
            (
                revisit,
                {
                    "hs_latest_source": source,
                    "hs_latest_source_data_1": data_1,
                    "hs_latest_source_data_2": data_2,
                    "hs_latest_source_timestamp": iso(revisit),
                },
            )
        )
    if rnd.random() < 0.15:
        contact.events.append((_later(rnd, at_ms, 1, 60), {"jobtitle": rnd.choice(JOB_TITLES)}))
    _plan_funnel(portal, rnd, contact, _channel(props))
    portal.contacts.append(contact)


def _channel(props: Properties) -> str:
    """The contact's original channel: the key of its planted CHANNEL_RATES."""
    source = props["hs_analytics_source"] or ""
    if source == "PAID_SOCIAL":
        return SOCIAL_CHANNELS.get(props["hs_analytics_source_data_1"] or "", "paid_social_meta")
    return CHANNEL_OF_SOURCE.get(source, "offline")


def _source(rnd: random.Random, at_ms: int, click: Any | None) -> Properties:
    click_ids: Properties = {}
    if click:
        platform = CLICK_PLATFORMS[click.platform]
        campaign = f"{platform.campaign_prefix}-{click.campaign_id}"
        content = f"{platform.content_prefix}-{_ad_group_id(click)}"
        source = platform.source
        # Google's drill-downs are the campaign and ad group; paid social's the network and
        # campaign, as HubSpot reports them.
        data_1, data_2 = (
            (campaign, content) if source == "PAID_SEARCH" else (platform.network, campaign)
        )
        content_parameter = "utm_term" if source == "PAID_SEARCH" else "utm_content"
        # The page is the clicked ad's final URL; the query what its tags and click id add.
        url = (
            f"{click.landing_url}?utm_source={platform.network}"
            f"&utm_medium={platform.medium}&utm_campaign={campaign}"
            f"&{content_parameter}={content}&{platform.url_parameter}={click.click_id}"
        )
        click_ids[platform.click_property] = click.click_id
    else:
        weights = [entry[3] for entry in ORGANIC_SOURCES]
        source, data_1, data_2, _ = rnd.choices(ORGANIC_SOURCES, weights)[0]
        url = "https://thinline.example/" + ("pricing" if data_1 else "")
    return {
        "hs_analytics_source": source,
        "hs_analytics_source_data_1": data_1,
        "hs_analytics_source_data_2": data_2,
        "hs_analytics_first_url": url,
        "hs_analytics_first_timestamp": iso(at_ms),
        "hs_latest_source": source,
        "hs_latest_source_data_1": data_1,
        "hs_latest_source_data_2": data_2,
        "hs_latest_source_timestamp": iso(at_ms),
        "hs_google_click_id": None,
        **click_ids,
    }


def _plan_funnel(portal: _Portal, rnd: random.Random, contact: _History, channel: str) -> None:
    """Lead → MQL → SQL → opportunity (a deal) → customer, each step a planned event."""
    rates = CHANNEL_RATES[channel]
    if rnd.random() >= rates.lead_to_mql:
        if rnd.random() < 0.04:  # spam and test leads get deleted
            contact.archived_ms = _later(rnd, contact.created_ms, 1, 30)
        return
    mql_ms = _later(rnd, contact.created_ms, 0.1, 6)
    owner = portal.active_owner(rnd, contact.region, mql_ms, None)
    contact.events.append(
        (
            mql_ms,
            {
                "lifecyclestage": "marketingqualifiedlead",
                "hs_lifecyclestage_marketingqualifiedlead_date": iso(mql_ms),
                "hubspot_owner_id": owner,
            },
        )
    )
    _plan_first_sales_activity(portal, contact, mql_ms)
    if rnd.random() >= rates.mql_to_sql:
        return
    sql_ms = _later(rnd, mql_ms, 0.5, 7)
    contact.events.append(
        (
            sql_ms,
            {
                "lifecyclestage": "salesqualifiedlead",
                "hs_lifecyclestage_salesqualifiedlead_date": iso(sql_ms),
            },
        )
    )
    if rnd.random() < rates.sql_to_opportunity:
        _plan_deal(portal, rnd, contact, _later(rnd, sql_ms, 0.5, 10), owner, rates)


def _plan_first_sales_activity(portal: _Portal, contact: _History, mql_ms: int) -> None:
    """The owner's first call or email after the MQL (hs_sa_first_engagement_date), most
    within two days. Its own generator (seed and contact id): no other draw changes."""
    rnd = random.Random(f"{portal.seed}|hubspot|first-sales-activity|{contact.object_id}")
    if rnd.random() < 0.9:
        at_ms = _later(rnd, mql_ms, 0.02, rnd.choice((1, 2, 2, 5)))
        contact.events.append((at_ms, {"hs_sa_first_engagement_date": iso(at_ms)}))


def _plan_deal(
    portal: _Portal,
    rnd: random.Random,
    contact: _History,
    created_ms: int,
    owner: str,
    rates: ChannelRates,
) -> None:
    portal.next_deal_id += rnd.randint(1, 500)
    pipeline = PIPELINES[0] if rnd.random() < 0.85 else PIPELINES[1]
    low, high = round(200_000 * rates.deal_size), round(6_000_000 * rates.deal_size)
    list_amount = Decimal(rnd.randrange(low, high)) / 100
    currency = "EUR" if contact.region == "EU" and rnd.random() < 0.8 else "USD"
    company = next((c for c in portal.companies if c.object_id == contact.company_id), None)
    account = (
        company.base["name"]
        if company
        else f"{contact.base['firstname']} {contact.base['lastname']}"
    )
    plan = "Enterprise" if list_amount > 30_000 else "Growth" if list_amount > 10_000 else "Starter"
    first = pipeline.open_stages[0]
    deal_owner = portal.active_owner(rnd, contact.region, created_ms, owner)
    rep = portal.reps[deal_owner]
    deal = _History(
        object_id=portal.next_deal_id,
        created_ms=created_ms,
        base=_blank(DEAL_PROPERTIES)
        | {
            "dealname": f"{account} - {plan}",
            "amount": f"{list_amount:.2f}",
            "list_amount": f"{list_amount:.2f}",
            "deal_currency_code": currency,
            "pipeline": pipeline.pipeline_id,
            "dealtype": "newbusiness",
            "hubspot_owner_id": deal_owner,
            # Open deals may carry an expected close date: only hs_is_closed says it closed.
            "closedate": iso(created_ms + 30 * DAY_MS) if rnd.random() < 0.5 else None,
            **_stage_props(first, None, created_ms),
        },
    )
    contact.events.append(
        (
            created_ms,
            {
                "lifecyclestage": "opportunity",
                "hs_lifecyclestage_opportunity_date": iso(created_ms),
            },
        )
    )
    portal.deals.append(deal)
    portal.deal_contacts.append((deal.object_id, contact.object_id))
    colleagues = [
        c.object_id
        for c in portal.contacts_by_company.get(contact.company_id or 0, [])
        if c is not contact and c.archived_ms is None
    ]
    if colleagues and rnd.random() < 0.3:
        portal.deal_contacts.append((deal.object_id, rnd.choice(colleagues)))
    if rnd.random() < 0.04:  # created by mistake, deleted before it moves
        deal.archived_ms = _later(rnd, created_ms, 0.5, 5)
        return
    win = rates.opportunity_to_won * rep.win_probability / REFERENCE_WIN_PROBABILITY
    path: list[tuple[int, Stage, Stage]] = []
    for at_ms, stage, previous in _stage_path(
        rnd, pipeline, created_ms, min(win, MAX_WIN_PROBABILITY)
    ):
        path.append((at_ms, stage, previous))
        changes = _stage_props(stage, previous, at_ms)
        if stage is pipeline.open_stages[-1] and rnd.random() < rep.discount_probability:
            # A negotiated discount on the list price, agreed when the contract goes out.
            discount = Decimal(rnd.choice(rep.discount_levels)) / 100
            amount = (list_amount * (1 - discount)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            changes["amount"] = f"{amount:.2f}"
        deal.events.append((at_ms, changes))
        if stage.is_won:
            contact.events.append(
                (
                    at_ms,
                    {"lifecyclestage": "customer", "hs_lifecyclestage_customer_date": iso(at_ms)},
                )
            )
    _plan_stage_detours(portal, deal, path)
    _plan_forecast_history(portal, deal, path)


def _stage_path(
    rnd: random.Random, pipeline: Pipeline, created_ms: int, win_probability: float
) -> Iterator[tuple[int, Stage, Stage]]:
    """Forward through the open stages to the planned outcome: won (every stage), lost (after
    some stages) or stalled open for good; P(won | not stalled) is ``win_probability``."""
    won, stalls = rnd.random() < win_probability, rnd.random() < STALL_RATE
    stages = pipeline.open_stages
    reached = len(stages) - 1 if won and not stalls else rnd.randrange(len(stages))
    at_ms, current = created_ms, stages[0]
    for stage in stages[1 : reached + 1]:
        at_ms = _later(rnd, at_ms, 1, 9)
        yield at_ms, stage, current
        current = stage
    if not stalls:
        at_ms = _later(rnd, at_ms, 2, 14) if won else _later(rnd, at_ms, 1, 8)
        yield at_ms, pipeline.closed_stage(won=won), current


def _plan_stage_detours(
    portal: _Portal, deal: _History, path: list[tuple[int, Stage, Stage]]
) -> None:
    """Some deals step back an open stage and forward again; some won deals are reopened and
    won again. Each kind has its own generator (seed and deal id) and happens inside a gap of
    the planned ``path`` or after it: no other draw, event time or outcome changes."""
    # path holds the open stages after the first, then the closed one (unless it stalls)
    entered = sum(not stage.is_closed for _, stage, _ in path)
    regression = random.Random(f"{portal.seed}|hubspot|stage-regression|{deal.object_id}")
    if regression.random() < REGRESSION_RATE and entered >= 2:  # reached the 3rd open stage
        deal.events += _regression(regression, path, regression.randrange(entered))
    reopening = random.Random(f"{portal.seed}|hubspot|stage-reopening|{deal.object_id}")
    if reopening.random() < REOPEN_RATE and path and path[-1][1].is_won:
        deal.events += _reopening(reopening, *path[-1])


def _regression(
    rnd: random.Random, path: list[tuple[int, Stage, Stage]], index: int
) -> list[tuple[int, Properties]]:
    """Back from the stage entered at ``path[index]`` to the one before, then into it again,
    both before the next planned move."""
    at_ms, stage, previous = path[index]
    if index + 1 < len(path):  # gaps are at least a day, so both moves fall strictly inside
        following = path[index + 1][0]
        back = at_ms + round((following - at_ms) * rnd.uniform(0.2, 0.5))
        again = back + round((following - back) * rnd.uniform(0.3, 0.8))
    else:  # stalled there for good: the detour takes a few days
        back = _later(rnd, at_ms, 0.5, 4)
        again = _later(rnd, back, 0.5, 4)
    return [(back, _reentered(previous, stage, back)), (again, _reentered(stage, previous, again))]


def _reopening(
    rnd: random.Random, won_ms: int, won: Stage, last_open: Stage
) -> list[tuple[int, Properties]]:
    """Back to the last open stage 1-6 days after the win, then won again 1-6 days later."""
    reopened = _later(rnd, won_ms, 1, 6)
    won_again = _later(rnd, reopened, 1, 6)
    # Open again, with an expected close date as open deals may carry.
    expected = {"closedate": iso(reopened + 7 * DAY_MS)}
    return [
        (reopened, _reentered(last_open, won, reopened) | expected),
        (won_again, _reentered(won, last_open, won_again)),
    ]


def _plan_forecast_history(
    portal: _Portal, deal: _History, path: list[tuple[int, Stage, Stage]]
) -> None:
    """What forecasting reads, changing while the deal is open: each kind from a generator of
    its own (seed and deal id), placed before the deal is first decided (or within its first
    ``OPEN_HORIZON_DAYS`` if it never is), so no other draw, outcome, close time or final
    amount changes."""
    decided = next((at_ms for at_ms, stage, _ in path if stage.is_closed), None)
    horizon = decided if decided is not None else deal.created_ms + OPEN_HORIZON_DAYS * DAY_MS
    _plan_close_dates(portal, deal, horizon)
    _plan_amount_change(portal, deal, horizon, settles=decided is not None)
    _plan_owner_change(portal, deal, horizon, settles=decided is not None)
    _plan_forecast_override(portal, deal, horizon)


def _plan_close_dates(portal: _Portal, deal: _History, horizon: int) -> None:
    """An expected close date set at a stage move on a deal without one
    (``CLOSE_DATE_SET_RATE``), then moved once or twice before it arrives
    (``CLOSE_DATE_MOVE_RATE``): pushed later, or pulled in (``PULL_IN_SHARE``)."""
    rnd = random.Random(f"{portal.seed}|hubspot|close-date|{deal.object_id}")
    moves = [at_ms for at_ms, changes in deal.timeline() if "dealstage" in changes]
    moves = [at_ms for at_ms in moves if at_ms < horizon]
    expected = deal.base["closedate"]
    set_ms = deal.created_ms
    if expected is None:
        if rnd.random() >= CLOSE_DATE_SET_RATE or not moves:
            return
        set_ms = rnd.choice(moves)
        expected_day = _utc_date(set_ms) + timedelta(days=rnd.randint(14, 60))
        deal.events.append((set_ms, {"closedate": iso(day_start_ms(expected_day))}))
    else:
        expected_day = _utc_date(parse_ms(expected))
    if rnd.random() >= CLOSE_DATE_MOVE_RATE:
        return
    for _ in range(rnd.choice((1, 1, 2))):
        latest = min(day_start_ms(expected_day), horizon)  # before it arrives or is decided
        if latest - set_ms < 2 * DAY_MS:
            return
        set_ms += round((latest - set_ms) * rnd.uniform(0.3, 0.9))
        room = (expected_day - _utc_date(set_ms)).days
        if rnd.random() < PULL_IN_SHARE and room >= 3:
            expected_day = _utc_date(set_ms) + timedelta(days=rnd.randint(1, room - 1))
        else:
            expected_day += timedelta(days=rnd.randint(7, 45))
        deal.events.append((set_ms, {"closedate": iso(day_start_ms(expected_day))}))


def _plan_amount_change(portal: _Portal, deal: _History, horizon: int, settles: bool) -> None:
    """The deal's scope changes while open (``AMOUNT_CHANGE_RATE``): amount and list price
    scaled up or down together, so a discount stays the rep's; on a deal that is decided, set
    back at the next stage move to what the plan has then, so it closes at its planned amount
    (a stage move and an amount change at one moment)."""
    rnd = random.Random(f"{portal.seed}|hubspot|amount-change|{deal.object_id}")
    if rnd.random() >= AMOUNT_CHANGE_RATE:
        return
    at_ms = deal.created_ms + round((horizon - deal.created_ms) * rnd.uniform(0.1, 0.9))
    factor = Decimal(rnd.choice(("0.7", "0.8", "0.9", "1.1", "1.25", "1.5")))
    names = ("amount", "list_amount")
    changed: Properties = {}
    for name in names:
        value = Decimal(deal.value_at(name, at_ms) or 0) * factor
        changed[name] = f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP):.2f}"
    following = next(
        (ms for ms, changes in deal.timeline() if ms > at_ms and "dealstage" in changes), None
    )
    restored = {name: deal.value_at(name, following) for name in names} if following else {}
    deal.events.append((at_ms, changed))
    if settles and restored and following is not None:
        deal.events.append((following, restored))


def _plan_owner_change(portal: _Portal, deal: _History, horizon: int, settles: bool) -> None:
    """Another active rep of the owner's team takes the deal: for good on a deal that never
    closes, days after its owner left (``OWNER_LEFT_RATE``) or in a territory move
    (``TERRITORY_MOVE_RATE``); on a deal that is decided only while the owner is away
    (``COVER_RATE``), handed back before the decision, so the rep who decides it, and whose
    planted skill and discount habit drew its outcome, is its owner at the end."""
    rnd = random.Random(f"{portal.seed}|hubspot|owner-change|{deal.object_id}")
    owner_id = deal.base["hubspot_owner_id"]
    owner, gone = next((o, g) for o, g in portal.owners if str(o.owner_id) == owner_id)
    back_ms = None
    if settles:
        if rnd.random() >= COVER_RATE or (gone is not None and gone <= horizon):
            return
        at_ms = deal.created_ms + round((horizon - deal.created_ms) * rnd.uniform(0.1, 0.5))
        back_ms = at_ms + round((horizon - at_ms) * rnd.uniform(0.3, 0.8))
    elif gone is not None and gone > deal.created_ms:
        if rnd.random() >= OWNER_LEFT_RATE:
            return
        at_ms = _later(rnd, gone, 0.5, 5)
    elif rnd.random() < TERRITORY_MOVE_RATE:
        at_ms = _later(rnd, deal.created_ms, 5, 60)
    else:
        return
    colleagues = [
        o
        for o, g in portal.owners
        if o.team_id == owner.team_id and o is not owner and (g is None or g > (back_ms or at_ms))
    ]
    if not colleagues:
        return
    deal.events.append((at_ms, {"hubspot_owner_id": str(rnd.choice(colleagues).owner_id)}))
    if back_ms is not None:
        deal.events.append((back_ms, {"hubspot_owner_id": owner_id}))


def _plan_forecast_override(portal: _Portal, deal: _History, horizon: int) -> None:
    """The rep overrides the stage's forecast category once (``FORECAST_OVERRIDE_RATE``);
    the next stage move maps it back to the stage's."""
    rnd = random.Random(f"{portal.seed}|hubspot|forecast-override|{deal.object_id}")
    if rnd.random() >= FORECAST_OVERRIDE_RATE:
        return
    at_ms = deal.created_ms + round((horizon - deal.created_ms) * rnd.uniform(0.05, 0.95))
    choices = FORECAST_OVERRIDES.get(deal.value_at(FORECAST_PROPERTY, at_ms) or "")
    if choices:
        deal.events.append((at_ms, {FORECAST_PROPERTY: rnd.choice(choices)}))


def _reentered(stage: Stage, previous: Stage, at_ms: int) -> Properties:
    """A move into a stage the deal was in before: its entry date becomes the latest entry (as
    HubSpot keeps it) and its exit date is cleared, since the current stage has none."""
    return _stage_props(stage, previous, at_ms) | {f"hs_v2_date_exited_{stage.stage_id}": None}


def _stage_props(stage: Stage, previous: Stage | None, at_ms: int) -> Properties:
    props: Properties = {
        "dealstage": stage.stage_id,
        "hs_is_closed": str(stage.is_closed).lower(),
        "hs_is_closed_won": str(stage.is_won).lower(),
        f"hs_v2_date_entered_{stage.stage_id}": iso(at_ms),
        FORECAST_PROPERTY: FORECAST_CATEGORIES[stage.stage_id],
    }
    if previous:
        props[f"hs_v2_date_exited_{previous.stage_id}"] = iso(at_ms)
    if stage.is_closed:
        props["closedate"] = iso(at_ms)
    return props


def _plan_duplicate(
    portal: _Portal, rnd: random.Random, day: date, earlier: list[_History]
) -> None:
    """An imported copy of an existing contact, merged into it (archived) a few days later."""
    candidates = [
        c for c in earlier if c.archived_ms is None and c.object_id not in portal.merged_originals
    ]
    if not candidates:
        return
    original = rnd.choice(candidates)
    portal.merged_originals.add(original.object_id)
    portal.next_contact_id += rnd.randint(1, 60)
    at_ms = day_start_ms(day) + rnd.randrange(DAY_MS - 1)
    props = _blank(CONTACT_PROPERTIES) | {
        key: original.base[key] for key in ("email", "firstname", "lastname", "country")
    }
    props |= {
        "lifecyclestage": "lead",
        "hs_lifecyclestage_lead_date": iso(at_ms),
        "hs_analytics_source": "OFFLINE",
        "hs_analytics_source_data_1": "IMPORT",
        "hs_analytics_source_data_2": "crm-migration.csv",
        "hs_latest_source": "OFFLINE",
    }
    duplicate = _History(portal.next_contact_id, at_ms, props, region=original.region)
    duplicate.archived_ms = _later(rnd, at_ms, 0.2, 5)
    original.events.append(
        (duplicate.archived_ms, {"hs_merged_object_ids": str(duplicate.object_id)})
    )
    portal.contacts.append(duplicate)


def _blank(names: tuple[str, ...]) -> Properties:
    return dict.fromkeys(names)


def _later(rnd: random.Random, after_ms: int, min_days: float, max_days: float) -> int:
    return after_ms + round(rnd.uniform(min_days, max_days) * DAY_MS)


# The portal's multi-currency settings (sources in sandbox/hubspot_server.py's docstring).
COMPANY_CURRENCY = "USD"
ADDITIONAL_CURRENCIES = ("EUR",)  # the other currency the world's deals use
COMPANY_CURRENCY_CREATED_MS = day_start_ms(date(2025, 6, 1)) + 9 * 3_600_000
RATE_PLACES = Decimal("0.000001")  # HubSpot keeps at most 6 decimals of a conversion rate
ECB_PUBLISHED_HOUR_MS = 15 * 3_600_000  # ~16:00 CET: when the admin can copy the day's rate
EXCHANGE_RATE_ID_BASE = 730_000_000  # made up: HubSpot's rate ids are opaque strings


@dataclass(frozen=True)
class ExchangeRate:
    """One rate the portal's admin set: ``conversion_rate`` units of the company currency per
    unit of ``from_currency``, effective from ``effective_ms``."""

    exchange_rate_id: str
    from_currency: str
    to_currency: str
    conversion_rate: Decimal
    effective_ms: int
    created_ms: int


def exchange_rates(config: WorldConfig) -> tuple[ExchangeRate, ...]:
    """One rate per month and additional currency, effective the 1st of each month of the
    world, valued at the ECB reference rate of the month's first ECB day (company-currency
    units per euro, re-based for non-euro currencies), rounded half-up to 6 decimals, and set
    the day the ECB published it; only the ones set before ``end``'s cut-off exist yet."""
    rates = []
    month = config.start.replace(day=1)
    while month <= config.end:
        following = (month + timedelta(days=32)).replace(day=1)
        wanted = {COMPANY_CURRENCY, *ADDITIONAL_CURRENCIES} - {"EUR"}
        found = published(month, following - timedelta(days=1), wanted)
        days = sorted({o.day for o in found if o.currency == COMPANY_CURRENCY} or {month})
        per_euro = {o.currency: Decimal(o.value) for o in found if o.day == days[0]}
        per_euro["EUR"] = Decimal(1)
        for index, currency in enumerate(ADDITIONAL_CURRENCIES):
            if COMPANY_CURRENCY not in per_euro or currency not in per_euro:
                continue  # no ECB day in the month (past the data): no rate set
            value = per_euro[COMPANY_CURRENCY] / per_euro[currency]
            rates.append(
                ExchangeRate(
                    exchange_rate_id=str(
                        EXCHANGE_RATE_ID_BASE + (month.year * 12 + month.month) * 10 + index
                    ),
                    from_currency=currency,
                    to_currency=COMPANY_CURRENCY,
                    conversion_rate=value.quantize(RATE_PLACES, ROUND_HALF_UP).normalize(),
                    effective_ms=day_start_ms(month),
                    created_ms=day_start_ms(days[0]) + ECB_PUBLISHED_HOUR_MS,
                )
            )
        month = following
    return tuple(r for r in rates if r.created_ms < config.as_of_ms)


# Sales activities (engagements), the CRM v3 objects calls, emails, meetings and tasks
# (https://developers.hubspot.com/docs/api-reference/latest/crm/activities/calls/guide.md and
# the emails, meetings and tasks guides next to it). hs_call_disposition holds the GUID of a
# call outcome; these are HubSpot's default outcomes (Connected, No answer, Left voicemail,
# Busy; https://developers.hubspot.com/docs/methods/engagements/get-call-dispositions).
ENGAGEMENT_TYPES = ("calls", "emails", "meetings", "tasks", "notes")
ENGAGEMENT_OF_KIND = {"call": "calls", "email": "emails", "meeting": "meetings", "task": "tasks"}
CALL_DISPOSITIONS = {
    "connected": "f240bbac-87c9-4f6e-bf70-924b57d47db7",
    "no_answer": "73a0d17f-1163-4015-bdd5-ec830791da20",
    "voicemail": "b2cf5968-551e-4856-9783-52b3da59a7d0",
    "busy": "9d9162e7-6cf3-4944-bf63-4dff82258764",
}
ENGAGEMENT_PROPERTIES = {
    "calls": _words(
        "hs_timestamp hubspot_owner_id hs_call_title hs_call_body hs_call_direction "
        "hs_call_duration hs_call_disposition hs_call_status hs_createdate hs_lastmodifieddate"
    ),
    "emails": _words(
        "hs_timestamp hubspot_owner_id hs_email_subject hs_email_direction hs_email_status "
        "hs_createdate hs_lastmodifieddate"
    ),
    "meetings": _words(
        "hs_timestamp hubspot_owner_id hs_meeting_title hs_meeting_start_time "
        "hs_meeting_end_time hs_meeting_outcome hs_createdate hs_lastmodifieddate"
    ),
    "tasks": _words(
        "hs_timestamp hubspot_owner_id hs_task_subject hs_task_status hs_task_type "
        "hs_task_priority hs_task_completion_date hs_createdate hs_lastmodifieddate"
    ),
    # https://developers.hubspot.com/docs/api-reference/2026-03/crm/activities/notes/guide
    "notes": _words(
        "hs_timestamp hubspot_owner_id hs_note_body hs_attachment_ids hs_createdate "
        "hs_lastmodifieddate"
    ),
}
NOTE_SEQUENCE = 50  # a note's id: the call's engagement id + 50 (touch sequences stay below)
NOTE_RATE = 0.6  # share of connected calls the rep writes up in a note
ENGAGEMENT_ID_BASE = 60_000_000_000  # engagement ids: base + contact id * 100 + sequence


@dataclass(frozen=True)
class HubSpotActivities:
    """The engagements as of ``end``, their associations, and the planted truth."""

    engagements: Mapping[str, tuple[CrmRecord, ...]]  # by object type, in id order
    # (object type, engagement id, to object type, to id), live engagements only
    links: tuple[tuple[str, int, str, int], ...]
    truth: Mapping[str, Any]


def build_hubspot_activities(config: WorldConfig, data: HubSpotData) -> HubSpotActivities:
    """Each MQL's touches by its owner (:mod:`sandbox.activities`), as HubSpot engagements.

    Drawn from generators of their own, after the portal is built: no record of the portal
    changes. The lead arrives at ``hs_lifecyclestage_marketingqualifiedlead_date``; its owner
    is the contact's ``hubspot_owner_id`` (set at the MQL); the meeting of a lead that became
    an opportunity is associated with the contact's first deal."""
    from sandbox.activities import LeadOutcome, habit_truth, plan_habit, plan_lead, sla_truth

    as_of = config.as_of_ms
    teams = {str(o.owner_id): o.team_name for o in data.owners}
    habits = {
        owner_id: plan_habit(config, "hubspot", owner_id, team, slow=n % 3 == 2)
        for n, (owner_id, team) in enumerate(sorted(teams.items()))
    }
    deals_of: dict[int, int] = {}
    for deal_id, contact_id in data.deal_contacts:
        # [inferred] HubSpot drops a deleted deal's associations without touching the
        # engagement's hs_lastmodifieddate (no HubSpot page says an association change moves
        # it; Airbyte reads HubSpot associations as full refresh for that reason,
        # https://github.com/airbytehq/airbyte/pull/85019), so a link to a deal deleted later
        # would change on a re-read that no incremental night makes; and no rep meets on a
        # deal made by mistake.
        if deal_id not in data.mistaken_deals:
            deals_of.setdefault(contact_id, deal_id)
    records: dict[str, list[CrmRecord]] = {kind: [] for kind in ENGAGEMENT_TYPES}
    links: list[tuple[str, int, str, int]] = []
    plans = []
    deleted_first: set[str] = set()  # leads whose first outbound touch is deleted as of end
    first_live: dict[str, int] = {}  # each lead's first logged, undeleted outbound touch
    for contact in data.contacts:
        props = contact.properties
        mql = props.get("hs_lifecyclestage_marketingqualifiedlead_date")
        owner = props.get("hubspot_owner_id")
        if not mql or owner not in habits:
            continue
        opportunity = props.get("hs_lifecyclestage_opportunity_date")
        plan = plan_lead(
            config,
            "hubspot",
            str(contact.object_id),
            parse_ms(mql),
            habits[owner],
            parse_ms(opportunity) if opportunity else None,
        )
        plans.append(plan)
        company = props.get("associatedcompanyid")
        for touch in plan.touches:
            record = _engagement(contact.object_id, touch, as_of)
            if record is None:
                continue
            kind = ENGAGEMENT_OF_KIND[touch.kind]
            records[kind].append(record)
            # the note is on the contact, not on the call: deleting the call leaves it
            note = _call_note(config, contact.object_id, touch, as_of)
            if note is not None:
                records["notes"].append(note)
                links.append(("notes", note.object_id, "contacts", contact.object_id))
                if company:
                    links.append(("notes", note.object_id, "companies", int(company)))
            if record.archived_ms is not None:
                if touch.sequence == 0:
                    deleted_first.add(plan.lead_id)
                continue
            if touch.direction == "outbound":
                first_live[plan.lead_id] = min(
                    first_live.get(plan.lead_id, touch.at_ms), touch.at_ms
                )
            links.append((kind, record.object_id, "contacts", contact.object_id))
            if company:
                links.append((kind, record.object_id, "companies", int(company)))
            if touch.with_deal and contact.object_id in deals_of:
                links.append((kind, record.object_id, "deals", deals_of[contact.object_id]))
    visible = [p for p in plans if p.first_outbound_ms is None or p.first_outbound_ms < as_of]
    archived_contacts = {str(c.object_id) for c in data.contacts if c.archived_ms is not None}
    outcomes = [
        LeadOutcome(
            p.owner_id, p.arrived_ms, first_live.get(p.lead_id), p.lead_id in archived_contacts
        )
        for p in plans
    ]
    truth = {
        "rep_response_habits": habit_truth(list(habits.values()), visible),
        "rep_sla_breaches": sla_truth(list(habits.values()), outcomes, as_of),
        "lead_first_outbound": [
            {
                "crm": "hubspot",
                "lead_id": p.lead_id,
                "owner_id": p.owner_id,
                "arrived_at": iso(p.arrived_ms),
                "first_outbound_at": iso(p.first_outbound_ms) if p.first_outbound_ms else None,
                "business_hours": p.business_hours if p.first_outbound_ms else None,
                # deleted by mistake: the published tables show the next outbound touch
                "first_outbound_deleted": p.lead_id in deleted_first,
                "lead_deleted": p.lead_id in archived_contacts,
                # what the published tables show: the first outbound touch not deleted
                "first_live_outbound_at": (
                    iso(first_live[p.lead_id]) if p.lead_id in first_live else None
                ),
            }
            for p in (
                replace(p, first_outbound_ms=None, business_hours=None)
                if p.first_outbound_ms is not None and p.first_outbound_ms >= as_of
                else p
                for p in plans
            )
        ],
    }
    return HubSpotActivities(
        {kind: tuple(sorted(rs, key=lambda r: r.object_id)) for kind, rs in records.items()},
        tuple(sorted(links)),
        truth,
    )


def _call_note(config: WorldConfig, contact_id: int, touch: Any, as_of_ms: int) -> CrmRecord | None:
    """The note a rep writes a few minutes after a connected call (``NOTE_RATE`` of them), drawn
    from a generator of its own: no touch, and no truth of the leads, moves."""
    if touch.kind != "call" or touch.outcome != "connected":
        return None
    rnd = random.Random(f"{config.seed}-activities|note|hubspot|{contact_id}|{touch.sequence}")
    if rnd.random() >= NOTE_RATE:
        return None
    at_ms = touch.at_ms + touch.duration_ms + rnd.randrange(60, 1200) * 1000
    if at_ms >= as_of_ms:
        return None
    object_id = ENGAGEMENT_ID_BASE + contact_id * 100 + NOTE_SEQUENCE + touch.sequence
    props: Properties = {
        "hs_timestamp": iso(at_ms),
        "hubspot_owner_id": touch.owner_id,
        "hs_note_body": "<p>Call notes</p>",
        "hs_attachment_ids": None,
        "hs_object_id": str(object_id),
        "hs_createdate": iso(at_ms),
        "hs_lastmodifieddate": iso(at_ms),
    }
    return CrmRecord(object_id, props, at_ms, at_ms, None)


def _engagement(contact_id: int, touch: Any, as_of_ms: int) -> CrmRecord | None:
    """One touch as the engagement HubSpot serves as of ``as_of_ms`` (None: not yet logged)."""
    object_id = ENGAGEMENT_ID_BASE + contact_id * 100 + touch.sequence
    owner = touch.owner_id
    events: list[tuple[int, Properties]] = []
    if touch.kind == "call":
        created = touch.at_ms
        props: Properties = {
            "hs_timestamp": iso(touch.at_ms),
            "hs_call_title": "Intro call" if touch.sequence == 0 else "Follow-up call",
            "hs_call_body": None,
            "hs_call_direction": "OUTBOUND",
            "hs_call_duration": str(touch.duration_ms),
            "hs_call_disposition": CALL_DISPOSITIONS[touch.outcome],
            "hs_call_status": "COMPLETED",
        }
    elif touch.kind == "email":
        created = touch.at_ms
        inbound = touch.direction == "inbound"
        props = {
            "hs_timestamp": iso(touch.at_ms),
            "hs_email_subject": "Re: your request" if inbound else "Following up on your request",
            "hs_email_direction": "INCOMING_EMAIL" if inbound else "EMAIL",
            "hs_email_status": "SENT",
        }
    elif touch.kind == "meeting":
        created = touch.at_ms - 2 * DAY_MS  # booked two days ahead
        outcome = {"completed": "COMPLETED", "no_show": "NO_SHOW", "rescheduled": "RESCHEDULED"}
        props = {
            "hs_timestamp": iso(touch.at_ms),
            "hs_meeting_title": "Discovery meeting",
            "hs_meeting_start_time": iso(touch.at_ms),
            "hs_meeting_end_time": iso(touch.at_ms + touch.duration_ms),
            "hs_meeting_outcome": "SCHEDULED",
        }
        end_ms = touch.at_ms + touch.duration_ms
        events.append((end_ms, {"hs_meeting_outcome": outcome[touch.outcome]}))
    else:  # a follow-up task, due a day after it is created
        created = touch.at_ms - DAY_MS
        props = {
            "hs_timestamp": iso(touch.at_ms),
            "hs_task_subject": "Follow up",
            "hs_task_status": "NOT_STARTED",
            "hs_task_type": "TODO",
            "hs_task_priority": "MEDIUM",
            "hs_task_completion_date": None,
        }
        if touch.completed_ms is not None:
            stamp = iso(touch.completed_ms)
            events.append(
                (
                    touch.completed_ms,
                    {"hs_task_status": "COMPLETED", "hs_task_completion_date": stamp},
                )
            )
    if created >= as_of_ms:
        return None
    archived = touch.archived_ms if touch.archived_ms and touch.archived_ms < as_of_ms else None
    frozen = archived if archived is not None else as_of_ms - 1
    last = created
    for at_ms, changes in events:
        if at_ms <= frozen:
            props.update(changes)
            last = max(last, at_ms)
    last = max(last, archived or last)
    props |= {
        "hubspot_owner_id": owner,
        "hs_object_id": str(object_id),
        "hs_createdate": iso(created),
        "hs_lastmodifieddate": iso(last),
    }
    return CrmRecord(object_id, props, created, last, archived)
