"""A benchmark company that looks like a real one, generated in SQL into the raw tables of all
five sources (layout: docs/raw_layout.md; tables made by the real loader's DDL).

At full size (``Size()``), as of END: about 50,000 deals across both CRMs (Salesforce
opportunities from converted leads, HubSpot deals from sales-qualified contacts) with stage,
amount and close-date history (OpportunityHistory rows, HubSpot ``dealstage`` property history,
``hs_v2_date_entered_*``): won, lost and open, discounts, regressions, pushed close dates,
re-opened deals; 40 reps in 6 teams (HubSpot owners in teams, Salesforce users in roles with
managers; a few seats change hands, so reps join and leave); 500,000 people records (HubSpot
contacts, some merged; Salesforce leads, some deleted, and the contacts converted leads
became; a share of the leads are the same person as a HubSpot contact); 5,000,000
touchpoints (campaign memberships, HubSpot first and latest sources with Google, Meta and
LinkedIn click ids, lead sources); and Google Ads, Meta and LinkedIn daily rows at campaign,
ad group and ad level. Amounts come in USD, EUR and GBP, converted at the ECB's reference
rates (the stand-in's: the ECB's published history, then its synthetic walk), loaded from the
ECB source's history start as its first extract would.

History runs from START to END (35 months: dim_dates and the FX seed start on 2024-01-01,
and END stays before the machine's clock, which stamps dbt's snapshot). Every entity is a pure
function of its index (hashed pseudo-random numbers, pg_temp.u); nothing is random between
runs. The full load is the world as of END; ``add_company_day`` merges what changed in the
next day, as a nightly extract would, including a late-arriving touch, restated ad days,
a merged contact and a re-opened deal.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from bench.attribution_data import UNIFORM, create_raw_tables
from extract.ecb.settings import EcbSettings
from extract.google_ads.settings import GoogleAdsSettings
from extract.linkedin_ads.settings import LinkedInAdsSettings
from extract.meta_ads.settings import MetaAdsSettings
from sandbox.ecb_rates import published

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)  # the full load is the world as of this instant
SPAN_DAYS = (END - START).days
WORLD_DAYS = SPAN_DAYS + 1  # entities are spread over the history and the added day

# Funnel shares (by each entity's hashed number, so exact in expectation).
SF_CONVERTED, SF_OPPORTUNITY = 0.15, 0.12  # of leads: converted (a contact), with an opportunity
SF_DEAL_SHARE = 0.6  # of the deals
HS_LEAD, HS_MQL, HS_SQL = 0.6, 0.3, 0.14  # of HubSpot contacts; deals are a share of the SQLs
LATEST_SOURCE = 0.7  # HubSpot contacts with a later visit from another source
NO_MEMBERSHIP = 10  # every 10th lead is in no campaign: its LeadSource is its touch
MEMBER_SPREAD_DAYS = 240  # a lead's campaign touches fall in its first 240 days
LATE_MEMBER_SHARE = 0.002  # memberships synced 1-5 days after they were made
# Ad platforms: campaigns (per full size) x ad groups x ads; every 4th campaign is always on.
AD_LEVELS = {"google_ads": (4, 3), "meta_ads": (3, 3), "linkedin_ads": (1, 5)}
RESTATED_DAYS = {
    "google_ads": GoogleAdsSettings.model_fields["lookback_days"].default,
    "meta_ads": MetaAdsSettings.model_fields["lookback_days"].default,
    "linkedin_ads": LinkedInAdsSettings.model_fields["lookback_days"].default,
}
GOOGLE_CUSTOMER, META_ACCOUNT, LINKEDIN_ACCOUNT = 1234567890, 5550001, 508000001
HUBSPOT_DEAL_IDS = 9_000_000_000  # HubSpot deal id = this + the contact's index


@dataclass(frozen=True)
class Size:
    """What the company should look like as of END (the targets of issue 15)."""

    deals: int = 50_000
    contacts: int = 500_000
    touchpoints: int = 5_000_000
    reps: int = 40
    teams: int = 6
    ad_campaigns: int = 20  # per ad platform

    def scaled(self, fraction: float) -> Size:
        """Every count times ``fraction`` (at least two reps and teams: one per CRM)."""
        return Size(
            *(
                max(minimum, round(value * fraction))
                for value, minimum in zip(asdict(self).values(), (1, 1, 1, 2, 2, 4), strict=True)
            )
        )


@dataclass(frozen=True)
class Shape:
    """Entity counts over the whole world (the load as of END sees most of them)."""

    salesforce_leads: int
    hubspot_contacts: int
    hubspot_deal_share: float
    campaign_members: int
    salesforce_campaigns: int
    salesforce_accounts: int
    hubspot_companies: int
    hubspot_owners: int
    hubspot_turnover: int  # seats whose rep leaves and is replaced
    hubspot_teams: int
    salesforce_users: int
    salesforce_turnover: int
    salesforce_teams: int
    google_campaigns: int
    google_pmax_campaigns: int
    meta_campaigns: int
    linkedin_campaigns: int


def plan(size: Size) -> Shape:
    """Entity counts that give about ``size`` as of END, for uniform creation times over
    WORLD_DAYS: a Salesforce opportunity comes ~45 days after its lead, a HubSpot deal ~31
    days after its contact, a campaign membership ~``MEMBER_SPREAD_DAYS`` x 0.4 after."""
    seen = SPAN_DAYS / WORLD_DAYS
    leads = round(size.deals * SF_DEAL_SHARE / (SF_OPPORTUNITY * (SPAN_DAYS - 45) / WORLD_DAYS))
    contacts = max(1, round(size.contacts / seen - leads * (1 + SF_CONVERTED)))
    deal_share = size.deals * (1 - SF_DEAL_SHARE) / (contacts * (SPAN_DAYS - 31) / WORLD_DAYS)
    if deal_share >= HS_SQL:
        raise ValueError(f"{size}: too many deals for its contacts (HubSpot share {deal_share})")
    hubspot_touches = contacts * seen * (1 + LATEST_SOURCE)
    lead_touches = leads * seen / NO_MEMBERSHIP
    first_members = leads - leads // NO_MEMBERSHIP
    spread = (SPAN_DAYS - MEMBER_SPREAD_DAYS * 0.4) / WORLD_DAYS
    members = round(
        first_members
        + (size.touchpoints - hubspot_touches - lead_touches - first_members * seen) / spread
    )
    hubspot_reps = max(1, round(size.reps * 0.4))
    salesforce_reps = size.reps - hubspot_reps
    return Shape(
        salesforce_leads=leads,
        hubspot_contacts=contacts,
        hubspot_deal_share=round(deal_share, 6),
        campaign_members=max(first_members, members),
        salesforce_campaigns=max(5, round(size.ad_campaigns * 7.5)),
        salesforce_accounts=max(1, round(size.deals * SF_DEAL_SHARE * 0.3)),
        hubspot_companies=max(1, round(size.deals * (1 - SF_DEAL_SHARE) * 0.4)),
        hubspot_owners=hubspot_reps,
        hubspot_turnover=max(1, round(hubspot_reps / 8)) if hubspot_reps > 1 else 0,
        hubspot_teams=max(1, size.teams // 2),
        salesforce_users=salesforce_reps,
        salesforce_turnover=max(1, round(salesforce_reps / 8)) if salesforce_reps > 1 else 0,
        salesforce_teams=max(1, size.teams - size.teams // 2),
        google_campaigns=size.ad_campaigns,
        google_pmax_campaigns=max(1, size.ad_campaigns // 10),
        meta_campaigns=size.ad_campaigns,
        linkedin_campaigns=size.ad_campaigns,
    )


START_SQL = f"timestamptz '{START.isoformat()}'"

# Entity times shared by several tables. Declared stable, as timestamptz arithmetic and
# to_char are, so the planner inlines them (an immutable one with a stable body is called
# row by row: 3-4x slower); iso and sf replace attribution_data's for the same reason.
FUNCTIONS = f"""
create or replace function pg_temp.iso(at timestamptz) returns text
language sql stable as
$$ select to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
create or replace function pg_temp.sf(at timestamptz) returns text
language sql stable as
$$ select to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+0000"') $$;
create or replace function pg_temp.day(x float8) returns timestamptz
language sql stable as $$ select {START_SQL} + x * interval '1 day' $$;
-- entity a of n: created over the history in index order, the first sixth before it
create or replace function pg_temp.born(a bigint, n bigint) returns timestamptz
language sql stable as
$$ select pg_temp.day(((a - 1)::float8 / n * 1.2 - 0.2) * {WORLD_DAYS}) $$;
-- one of the n entities already created at `at`, chosen by u in [0, 1)
create or replace function pg_temp.pick(n bigint, at timestamptz, u float8) returns bigint
language sql stable as
$$ select 1 + floor(u * n * least(1.0, greatest(0.0,
    extract(epoch from at - {START_SQL}) / 86400 / {WORLD_DAYS} + 0.2) / 1.2))::bigint $$;
create or replace function pg_temp.lead_created(i bigint) returns timestamptz
language sql stable as $$ select pg_temp.day(pg_temp.u(i, 1) * {WORLD_DAYS}) $$;
create or replace function pg_temp.lead_converted(i bigint) returns timestamptz
language sql stable as
$$ select case when pg_temp.u(i, 2) < {SF_CONVERTED}
    then pg_temp.lead_created(i) + (15 + 60 * pg_temp.u(i, 3)) * interval '1 day' end $$;
create or replace function pg_temp.contact_created(h bigint) returns timestamptz
language sql stable as $$ select pg_temp.day(pg_temp.u(h, 21) * {WORLD_DAYS}) $$;
create or replace function pg_temp.contact_mql(h bigint) returns timestamptz
language sql stable as
$$ select case when pg_temp.u(h, 26) < {HS_MQL}
    then pg_temp.contact_created(h) + (1 + 20 * pg_temp.u(h, 27)) * interval '1 day' end $$;
create or replace function pg_temp.contact_sql(h bigint) returns timestamptz
language sql stable as
$$ select case when pg_temp.u(h, 26) < {HS_SQL}
    then pg_temp.contact_mql(h) + (2 + 30 * pg_temp.u(h, 28)) * interval '1 day' end $$;
create or replace function pg_temp.contact_deal(h bigint, share float8) returns timestamptz
language sql stable as
$$ select case when pg_temp.u(h, 26) < share
    then pg_temp.contact_sql(h) + (1 + 4 * pg_temp.u(h, 29)) * interval '1 day' end $$;
"""

# Stages: (crm, pipeline, stage id, label, probability %, forecast category name) in order,
# the open ones first, then won, then lost (seeds/deal_stage_mapping.csv maps them).
SALESFORCE_STAGES = [
    ("Prospecting", 10, "Pipeline"),
    ("Qualification", 20, "Pipeline"),
    ("Needs Analysis", 30, "Pipeline"),
    ("Value Proposition", 50, "Pipeline"),
    ("Id. Decision Makers", 60, "Pipeline"),
    ("Perception Analysis", 70, "Best Case"),
    ("Proposal/Price Quote", 75, "Best Case"),
    ("Negotiation/Review", 90, "Commit"),
    ("Closed Won", 100, "Closed"),
    ("Closed Lost", 0, "Omitted"),
]
HUBSPOT_PIPELINES = {
    "default": (
        "Sales Pipeline",
        [
            ("appointmentscheduled", "Appointment Scheduled", 20),
            ("qualifiedtobuy", "Qualified To Buy", 40),
            ("presentationscheduled", "Presentation Scheduled", 60),
            ("decisionmakerboughtin", "Decision Maker Bought-In", 80),
            ("contractsent", "Contract Sent", 90),
            ("closedwon", "Closed Won", 100),
            ("closedlost", "Closed Lost", 0),
        ],
    ),
    "75318642": (
        "Partner Pipeline",
        [
            ("75318643", "Partner Referral", 30),
            ("75318644", "Joint Demo", 60),
            ("75318645", "Proposal", 85),
            ("75318646", "Closed Won", 100),
            ("75318647", "Closed Lost", 0),
        ],
    ),
}


def _stage_rows() -> list[tuple[Any, ...]]:
    """(crm, pipeline, stage_no, stage_id, label, probability, forecast, n_open)."""
    rows = [
        ("salesforce", "salesforce", n, name, name, probability, forecast, 8)
        for n, (name, probability, forecast) in enumerate(SALESFORCE_STAGES)
    ]
    for pipeline, (_, stages) in HUBSPOT_PIPELINES.items():
        open_count = len(stages) - 2
        rows += [
            ("hubspot", pipeline, n, stage_id, label, probability, None, open_count)
            for n, (stage_id, label, probability) in enumerate(stages)
        ]
    return rows


PLAN_STAGES = """
create temp table plan_stages (
    crm text, pipeline text, stage_no int, stage_id text, label text, probability int,
    forecast text, n_open int
) on commit preserve rows
"""

# Seats: each CRM's reps sit in seats (team = seat mod teams; the first seat of a Salesforce
# role is its manager); the last `turnover` seats change hands once, mid-history.
PLAN_REPS = f"""
create temp table plan_reps as
with seats as (
    select 'hubspot' as crm, seat, %(hubspot_teams)s as teams,
        %(hubspot_owners)s - %(hubspot_turnover)s as seats, %(hubspot_turnover)s as turnover,
        1000 as salt
    from generate_series(0, %(hubspot_owners)s - %(hubspot_turnover)s - 1) as seat
    union all
    select 'salesforce', seat, %(salesforce_teams)s,
        %(salesforce_users)s - %(salesforce_turnover)s, %(salesforce_turnover)s, 0
    from generate_series(0, %(salesforce_users)s - %(salesforce_turnover)s - 1) as seat
),
handovers as (
    select *, pg_temp.day((0.3 + 0.5 * pg_temp.u(seat, 82 + salt)) * {WORLD_DAYS}) as handover_at
    from seats
),
tenures as (
    select crm, seat, mod(seat, teams) as team_no, 1 as tenure,
        pg_temp.day(-30 - 300 * pg_temp.u(seat, 81 + salt)) as active_from,
        case when seat >= seats - turnover then handover_at end as active_to
    from handovers
    union all
    select crm, seat, mod(seat, teams), 2, handover_at, null
    from handovers
    where seat >= seats - turnover
),
numbered as (
    select *, row_number() over (partition by crm order by tenure, seat) as rep_no
    from tenures
)
select
    numbered.*,
    case when crm = 'hubspot' then (41000000 + rep_no)::text
        else pg_temp.sf_id('005', rep_no) end as owner_id,
    9100000 + rep_no as user_id,
    case when crm = 'hubspot' then (1001 + team_no)::text
        else pg_temp.sf_id('00E', 1 + team_no) end as team_id,
    case when crm = 'hubspot'
        then coalesce((array['NA Sales', 'EMEA Sales', 'APAC Sales'])[1 + team_no],
            'Sales Team ' || (1 + team_no))
        else coalesce((array['Enterprise AE', 'Mid-Market AE', 'EMEA AE'])[1 + team_no],
            'AE Role ' || (1 + team_no))
    end as team_name,
    case when crm = 'hubspot' and team_no = 1 then 'EUR'
        when crm = 'salesforce' and team_no = 2 then 'GBP' else 'USD' end as currency,
    (array['Ana', 'Ben', 'Chloe', 'Dev', 'Elena', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jon',
        'Kira', 'Liam', 'Maya', 'Nils', 'Olga', 'Priya'])[1 + mod(rep_no * 7 + 3, 16)]
        as first_name,
    (array['Adler', 'Brooks', 'Castro', 'Dimitrov', 'Evans', 'Fischer', 'Garcia', 'Hale',
        'Ito', 'Jensen', 'Khan', 'Lopez', 'Moreau', 'Novak'])[1 + mod(rep_no * 5 + 1, 14)]
        || ' ' || crm as last_name
from numbered
"""

# Deals: Salesforce opportunity i comes from lead i's conversion; HubSpot deal h from contact
# h's sales qualification. A deal climbs `reached` open stages, then closes (won only from the
# last open stage); the share still open as of END are the recent ones.
PLAN_DEALS = f"""
create temp table plan_deals as
with sources as (
    select 'salesforce' as crm, i as deal_index, i * 2 as k, 'salesforce' as pipeline,
        pg_temp.sf_id('006', i) as deal_id, pg_temp.lead_converted(i) as created_at
    from generate_series(1, %(salesforce_leads)s) as i
    where pg_temp.u(i, 2) < {SF_OPPORTUNITY}
    union all
    select 'hubspot', h, h * 2 + 1,
        case when pg_temp.u(h, 60) < 0.2 then '75318642' else 'default' end,
        ({HUBSPOT_DEAL_IDS} + h)::text, pg_temp.contact_deal(h, %(hubspot_deal_share)s)
    from generate_series(1, %(hubspot_contacts)s) as h
    where pg_temp.u(h, 26) < %(hubspot_deal_share)s
),
sized as (
    select sources.*, pipelines.n_open, seats.seats,
        least(pipelines.n_open, 1 + floor(pg_temp.u(k, 62) * (pipelines.n_open + 3)))::int
            as reached
    from sources
    inner join (select distinct pipeline, n_open from plan_stages) as pipelines
        on sources.pipeline = pipelines.pipeline
    inner join (select crm, count(distinct seat) as seats from plan_reps group by crm) as seats
        on sources.crm = seats.crm
)
select
    sized.*,
    floor(pg_temp.u(k, 71) * seats)::int as seat,
    reached = n_open and pg_temp.u(k, 63) < 0.7 as is_won,
    round((3000 + 97000 * power(pg_temp.u(k, 64), 2))::numeric, -2) as list_amount,
    case when reached >= n_open - 1
        then round((0.3 * power(pg_temp.u(k, 65), 1.5))::numeric, 3) else 0 end as discount,
    case when reached >= 3 and pg_temp.u(k, 66) < 0.1
        then 1 + floor(pg_temp.u(k, 67) * (reached - 2))::int end as regression_stage,
    case when pg_temp.u(k, 68) < 0.4 then floor(pg_temp.u(k, 69) * reached)::int end
        as push_stage,
    false as is_forced_reopening
from sized
"""

# Stage entries: stage e entered after the time spent in the stages before it (2-27 days each).
PLAN_ENTRIES = """
create temp table plan_entries as
select
    plan_deals.crm,
    plan_deals.deal_index,
    entry.stage_no,
    durations.days,
    plan_deals.created_at + (sum(durations.days) over deal_stages - durations.days)
        * interval '1 day' as entered_at
from plan_deals
cross join lateral generate_series(0, plan_deals.reached - 1) as entry (stage_no)
cross join lateral (select 2 + 25 * pg_temp.u(plan_deals.k, 100 + entry.stage_no) as days)
    as durations
window deal_stages as (partition by plan_deals.crm, plan_deals.deal_index order by entry.stage_no)
"""

# The won deal of each CRM closed longest before END among the last 60 days' closes, re-opened
# the night after END (so the next night has one; others re-open by chance).
FORCE_REOPENING = """
update plan_deals set is_forced_reopening = true
from (
    select distinct on (plan_deals.crm) plan_deals.crm, plan_deals.deal_index
    from plan_deals
    inner join plan_entries
        on plan_deals.crm = plan_entries.crm
        and plan_deals.deal_index = plan_entries.deal_index
        and plan_entries.stage_no = plan_deals.reached - 1
    where plan_deals.is_won
        and plan_entries.entered_at + plan_entries.days * interval '1 day'
            between %(end)s - interval '60 days' and %(end)s - interval '10 days'
    order by plan_deals.crm, plan_deals.deal_index
) as forced
where plan_deals.crm = forced.crm and plan_deals.deal_index = forced.deal_index
"""

# Every change of every deal: stage entries, a regression (back one stage and forward again),
# a pushed close date, the discount (an amount change in the last open stage), the close, and
# for a few won deals a re-opening and a second win. Then each event's state: the stage in
# force, the amount and the close date (actual once closed; expected: 45 days after creation,
# 30 more per push, never in the past).
PLAN_EVENTS = """
create temp table plan_deal_events as
with closes as (
    select plan_deals.crm, plan_deals.deal_index, plan_deals.k, plan_deals.is_won,
        plan_deals.n_open, plan_deals.is_forced_reopening,
        plan_entries.entered_at + plan_entries.days * interval '1 day' as closed_at
    from plan_deals
    inner join plan_entries
        on plan_deals.crm = plan_entries.crm
        and plan_deals.deal_index = plan_entries.deal_index
        and plan_entries.stage_no = plan_deals.reached - 1
),
reopenings as (
    select crm, deal_index, n_open, reopened_at,
        reopened_at + (5 + 15 * pg_temp.u(k, 73)) * interval '1 day' as reclosed_at
    from closes
    cross join lateral (
        select case when is_forced_reopening then %(end)s + interval '8 hours'
            else closed_at + (5 + 20 * pg_temp.u(k, 72)) * interval '1 day' end as reopened_at
    ) as reopening
    where is_won and (is_forced_reopening or pg_temp.u(k, 70) < 0.04)
),
inside_stages as (
    select plan_entries.*, plan_deals.regression_stage, plan_deals.push_stage,
        plan_deals.reached, plan_deals.discount
    from plan_entries
    inner join plan_deals
        on plan_entries.crm = plan_deals.crm and plan_entries.deal_index = plan_deals.deal_index
),
events as (
    select crm, deal_index, entered_at as at, 'stage' as kind, stage_no from plan_entries
    union all
    select crm, deal_index, entered_at + 0.3 * days * interval '1 day', 'regression',
        stage_no - 1
    from inside_stages where stage_no = regression_stage
    union all
    select crm, deal_index, entered_at + 0.6 * days * interval '1 day', 'stage', stage_no
    from inside_stages where stage_no = regression_stage
    union all
    select crm, deal_index, entered_at + 0.8 * days * interval '1 day', 'push', null
    from inside_stages where stage_no = push_stage
    union all
    select crm, deal_index, entered_at + 0.45 * days * interval '1 day', 'discount', null
    from inside_stages where stage_no = reached - 1 and discount > 0
    union all
    select crm, deal_index, closed_at, 'close', case when is_won then n_open else n_open + 1 end
    from closes
    union all
    select crm, deal_index, reopened_at, 'reopen', n_open - 1 from reopenings
    union all
    select crm, deal_index, reclosed_at, 'close', n_open from reopenings
),
running as (
    select
        events.*,
        row_number() over so_far as event_no,
        count(stage_no) over so_far as stage_group,
        count(*) filter (where kind = 'push') over so_far as pushes,
        bool_or(kind = 'discount') over so_far as is_discounted,
        max(case when kind = 'close' then at end) over so_far as last_closed_at
    from events
    window so_far as (partition by crm, deal_index order by at, kind rows unbounded preceding)
),
staged as (
    select running.*,
        first_value(stage_no) over (
            partition by crm, deal_index, stage_group order by at, kind
        ) as stage_in_force
    from running
)
select
    staged.crm,
    staged.deal_index,
    staged.event_no,
    staged.at,
    staged.kind,
    staged.kind in ('stage', 'regression', 'close', 'reopen') as sets_stage,
    plan_stages.stage_id,
    plan_stages.probability,
    plan_stages.forecast,
    staged.stage_in_force >= plan_deals.n_open as is_closed,
    staged.stage_in_force = plan_deals.n_open as is_won,
    case when staged.is_discounted
        then round(plan_deals.list_amount * (1 - plan_deals.discount), 2)
        else plan_deals.list_amount end as amount,
    case when staged.stage_in_force >= plan_deals.n_open
        then (staged.last_closed_at at time zone 'UTC')::date
        else (greatest(
            plan_deals.created_at + (45 + 30 * staged.pushes) * interval '1 day',
            staged.at + interval '7 days'
        ) at time zone 'UTC')::date
    end as close_date
from staged
inner join plan_deals
    on staged.crm = plan_deals.crm and staged.deal_index = plan_deals.deal_index
inner join plan_stages
    on plan_deals.pipeline = plan_stages.pipeline
    and staged.stage_in_force = plan_stages.stage_no
"""

AD_LEVEL_VALUES = ", ".join(
    f"('{platform}', {groups}, {ads})" for platform, (groups, ads) in AD_LEVELS.items()
)

# Ad campaigns: campaign c of n starts staggered over the history and runs 90-690 days;
# every 4th (c = 0, 4, ...) is always on. Google's Performance Max campaigns have no ads.
PLAN_ADS = f"""
create temp table plan_ads as
with campaigns as (
    select platform, c, n, platform_no,
        case when mod(c, 4) = 0 then 0
            else greatest(0, floor(c::float8 / n * 0.8 * {WORLD_DAYS}) - 30) end::int as first_day,
        case when mod(c, 4) = 0 then null
            else floor(c::float8 / n * 0.8 * {WORLD_DAYS}) + 90
                + floor(600 * pg_temp.u(platform_no * 1000 + c, 91)) end::int as last_day
    from (values ('google_ads', 1, %(google_campaigns)s), ('meta_ads', 2, %(meta_campaigns)s),
        ('linkedin_ads', 3, %(linkedin_campaigns)s)) as platforms (platform, platform_no, n)
    cross join lateral generate_series(0, n - 1) as c
),
levels as (
    select * from (values {AD_LEVEL_VALUES}) as levels (platform, ad_groups, ads)
)
select campaigns.*, ad_group, ad,
    (platform_no * 1000000 + c * 100 + ad_group * 10 + ad)::bigint as ad_key,
    case platform
        when 'google_ads' then 20000000 + c
        when 'meta_ads' then 23850000000 + c
        else 600000000 + c end::bigint as campaign_id,
    case platform
        when 'google_ads' then 30000000 + c * 10 + ad_group
        when 'meta_ads' then 23851000000 + c * 10 + ad_group end::bigint as ad_group_id,
    case platform
        when 'google_ads' then 400000000 + c * 100 + ad_group * 10 + ad
        when 'meta_ads' then 23852000000 + c * 100 + ad_group * 10 + ad
        else 700000000 + c * 10 + ad end::bigint as ad_id
from campaigns
inner join levels using (platform)
cross join lateral generate_series(0, levels.ad_groups - 1) as ad_group
cross join lateral generate_series(0, levels.ads - 1) as ad
"""


def _sf_audit(created: str, modified: str | None = None, deleted: str = "false") -> str:
    """A Salesforce record's audit fields (jsonb_build_object arguments)."""
    modified = modified or created
    return (
        f"'CreatedDate', pg_temp.sf({created}),\n"
        f"        'LastModifiedDate', pg_temp.sf({modified}),\n"
        f"        'SystemModstamp', pg_temp.sf({modified}),\n"
        f"        'IsDeleted', {deleted}"
    )


def _sf_attributes(sobject: str, record_id: str) -> str:
    return (
        f"'attributes', jsonb_build_object('type', '{sobject}', 'url', "
        f"'/services/data/v68.0/sobjects/{sobject}/' || {record_id})"
    )


def _owner(crm: str, seat: str, at: str, alias: str = "owners") -> str:
    """Join the rep holding ``seat`` at ``at`` (before a handover its first tenure, after it
    the second; seats that never change hands have one)."""
    return f"""left join plan_reps as {alias}
    on {alias}.crm = '{crm}' and {alias}.seat = {seat}
    and (
        {alias}.tenure = 1 and ({alias}.active_to is null or {at} < {alias}.active_to)
        or {alias}.tenure = 2 and {at} >= {alias}.active_from
    )"""


def _stamp_changes(*events: str) -> str:
    """The latest of the events (SQL timestamps, null if none) that happened before as_of."""
    known = ", ".join(f"case when {event} < %(as_of)s then {event} end" for event in events)
    return f"greatest({known})"


DATE = "to_char(({}) at time zone 'UTC', 'YYYY-MM-DD')"

ORGANIZATION = f"""
select
    pg_temp.sf_id('00D', 1) as organization_id,
    jsonb_build_object(
        {_sf_attributes("Organization", "pg_temp.sf_id('00D', 1)")},
        'Id', pg_temp.sf_id('00D', 1),
        'Name', 'Bench Company Inc.',
        'DefaultLocaleSidKey', 'en_US',
        'TimeZoneSidKey', 'America/New_York',
        'FiscalYearStartMonth', 1,
        'OrganizationType', 'Enterprise Edition',
        'IsSandbox', false,
        'CreatedDate', pg_temp.sf({START_SQL} - interval '400 days'),
        'LastModifiedDate', pg_temp.sf({START_SQL} - interval '400 days'),
        'SystemModstamp', pg_temp.sf({START_SQL} - interval '400 days')
    ) as record,
    false as is_deleted,
    {START_SQL} - interval '400 days' as modified_at
"""

REPS = """
select plan_reps.*,
    coalesce(active_to < %(as_of)s, false) as is_gone,
    greatest(active_from, case when active_to < %(as_of)s then active_to end) as modified_at,
    lower(first_name) || '.' || crm || rep_no || '@bench.example' as email
from plan_reps
where active_from < %(as_of)s
"""

SF_USERS = f"""
with reps as ({REPS})
select
    reps.owner_id as user_id,
    jsonb_build_object(
        {_sf_attributes("User", "reps.owner_id")},
        'Id', reps.owner_id,
        'Username', reps.email || '.thinline',
        'Name', reps.first_name || ' ' || reps.last_name,
        'FirstName', reps.first_name,
        'LastName', reps.last_name,
        'Email', reps.email,
        'IsActive', not reps.is_gone,
        'UserRoleId', reps.team_id,
        'UserRole', jsonb_build_object(
            'attributes', jsonb_build_object('type', 'UserRole',
                'url', '/services/data/v68.0/sobjects/UserRole/' || reps.team_id),
            'Name', reps.team_name),
        'ManagerId', managers.owner_id,
        'Department', 'Sales',
        'CreatedDate', pg_temp.sf(reps.active_from),
        'LastModifiedDate', pg_temp.sf(reps.modified_at),
        'SystemModstamp', pg_temp.sf(reps.modified_at)
    ) as record,
    false as is_deleted,
    reps.modified_at
from reps
-- the first seat of each role manages the others
left join plan_reps as managers
    on managers.crm = 'salesforce' and managers.seat = reps.team_no and managers.tenure = 1
    and reps.seat != reps.team_no
where reps.crm = 'salesforce'
"""

HUBSPOT_OWNERS = f"""
with reps as ({REPS})
select
    owner_id::bigint as owner_id,
    jsonb_build_object(
        'id', owner_id,
        'email', email,
        'type', 'PERSON',
        'firstName', first_name,
        'lastName', last_name,
        'userId', user_id,
        'userIdIncludingInactive', user_id,
        'createdAt', pg_temp.iso(active_from),
        'updatedAt', pg_temp.iso(modified_at),
        'archived', is_gone,
        'teams', jsonb_build_array(
            jsonb_build_object('id', team_id, 'name', team_name, 'primary', true))
    ) || case when is_gone then jsonb_build_object('archivedAt', pg_temp.iso(active_to))
        else '{{}}'::jsonb end as record,
    is_gone as is_deleted,
    modified_at
from reps
where crm = 'hubspot'
"""

INDUSTRIES = (
    "array['Software', 'Financial Services', 'Healthcare', 'Manufacturing', 'Retail', "
    "'Education', 'Media', 'Logistics']"
)
COUNTRIES = "array['US', 'US', 'US', 'GB', 'DE', 'FR', 'CA', 'AU']"

SF_ACCOUNTS = f"""
with accounts as (
    select a, pg_temp.born(a, %(salesforce_accounts)s) as created_at
    from generate_series(1, %(salesforce_accounts)s) as a
)
select
    pg_temp.sf_id('001', accounts.a) as account_id,
    jsonb_build_object(
        {_sf_attributes("Account", "pg_temp.sf_id('001', accounts.a)")},
        'Id', pg_temp.sf_id('001', accounts.a),
        'Name', 'Account ' || accounts.a,
        'Website', 'https://www.account' || accounts.a || '.example/',
        'Industry', ({INDUSTRIES})[1 + mod(accounts.a, 8)],
        'NumberOfEmployees', 5 + floor(20000 * power(pg_temp.u(accounts.a, 42), 4))::int,
        'BillingCountry', ({COUNTRIES})[1 + mod(accounts.a * 3, 8)],
        'OwnerId', owners.owner_id,
        'CurrencyIsoCode', coalesce(owners.currency, 'USD'),
        {_sf_audit("accounts.created_at")}
    ) as record,
    false as is_deleted,
    accounts.created_at as modified_at
from accounts
{_owner("salesforce", "mod(accounts.a, %(salesforce_seats)s)", "accounts.created_at")}
where accounts.created_at < %(as_of)s
"""

HUBSPOT_COMPANIES = f"""
with companies as (
    select a, 5000000 + a as company_id, pg_temp.born(a, %(hubspot_companies)s) as created_at
    from generate_series(1, %(hubspot_companies)s) as a
)
select
    companies.company_id,
    jsonb_build_object(
        'id', companies.company_id::text,
        'properties', jsonb_build_object(
            'name', 'Company ' || companies.a,
            'domain', 'company' || companies.a || '.example',
            'industry', upper(replace(({INDUSTRIES})[1 + mod(companies.a, 8)], ' ', '_')),
            'numberofemployees',
                (5 + floor(20000 * power(pg_temp.u(companies.a, 43), 4)))::text,
            'annualrevenue', (floor(1000000 * power(pg_temp.u(companies.a, 44), 2)) * 100)::text,
            'country', ({COUNTRIES})[1 + mod(companies.a * 5, 8)],
            'city', (array['New York', 'London', 'Berlin', 'Paris', 'Toronto', 'Sydney'])
                [1 + mod(companies.a, 6)],
            'hubspot_owner_id', owners.owner_id,
            'createdate', pg_temp.iso(companies.created_at),
            'hs_lastmodifieddate', pg_temp.iso(companies.created_at),
            'hs_object_id', companies.company_id::text
        ),
        'createdAt', pg_temp.iso(companies.created_at),
        'updatedAt', pg_temp.iso(companies.created_at),
        'archived', false
    ) as record,
    false as is_deleted,
    companies.created_at as modified_at
from companies
{_owner("hubspot", "mod(companies.a, %(hubspot_seats)s)", "companies.created_at")}
where companies.created_at < %(as_of)s
"""

# Salesforce lead i (and the contact and opportunity its conversion made).
LEAD_TIMES = f"""
select
    i,
    pg_temp.lead_created(i) as created_at,
    pg_temp.lead_created(i) + (1 + 3 * pg_temp.u(i, 4)) * interval '1 day' as worked_at,
    pg_temp.lead_converted(i) as converted_at,
    pg_temp.u(i, 2) < {SF_OPPORTUNITY} as has_opportunity,
    case when pg_temp.u(i, 9) < 0.003 and pg_temp.u(i, 2) >= {SF_CONVERTED}
        then pg_temp.lead_created(i) + interval '2 days' end as deleted_at,
    -- every 7th lead is a HubSpot contact too (same email)
    case when mod(i, 7) = 0
        then 'hs' || (1 + mod(i / 7 * 3, %(hubspot_contacts)s)) || '@bench.example'
        else 'lead' || i || '@bench.example' end as email,
    pg_temp.pick(%(salesforce_accounts)s, pg_temp.lead_created(i), pg_temp.u(i, 41))
        as account_index,
    (array['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Trade Show',
        'Webinar', 'Advertisement', 'Email'])[1 + floor(pg_temp.u(i, 6) * 8)::int] as lead_source,
    floor(pg_temp.u(i, 5) * %(salesforce_seats)s)::int as seat
from generate_series(1, %(salesforce_leads)s) as i
"""

SF_LEADS = f"""
with leads as ({LEAD_TIMES}),
stated as (
    select
        leads.*,
        coalesce(converted_at < %(as_of)s, false) as is_converted,
        coalesce(deleted_at < %(as_of)s, false) as is_removed,
        {_stamp_changes("created_at", "worked_at", "converted_at", "deleted_at")} as modified_at
    from leads
    where created_at < %(as_of)s
)
select
    pg_temp.sf_id('00Q', stated.i) as lead_id,
    jsonb_build_object(
        {_sf_attributes("Lead", "pg_temp.sf_id('00Q', stated.i)")},
        'Id', pg_temp.sf_id('00Q', stated.i),
        'FirstName', 'Lead',
        'LastName', 'No ' || stated.i,
        'Email', stated.email,
        'Company', 'Account ' || stated.account_index,
        'Country', ({COUNTRIES})[1 + mod(stated.i, 8)],
        'Status', case when stated.is_converted then 'Closed - Converted'
            when stated.worked_at < %(as_of)s then 'Working - Contacted'
            else 'Open - Not Contacted' end,
        'LeadSource', stated.lead_source,
        'OwnerId', owners.owner_id,
        'IsConverted', stated.is_converted,
        'ConvertedDate', case when stated.is_converted
            then {DATE.format("stated.converted_at")} end,
        'ConvertedContactId', case when stated.is_converted
            then pg_temp.sf_id('003', stated.i) end,
        'ConvertedAccountId', case when stated.is_converted
            then pg_temp.sf_id('001', stated.account_index) end,
        'ConvertedOpportunityId', case when stated.is_converted and stated.has_opportunity
            then pg_temp.sf_id('006', stated.i) end,
        {_sf_audit("stated.created_at", "stated.modified_at", "stated.is_removed")}
    ) as record,
    stated.is_removed as is_deleted,
    stated.modified_at
from stated
{_owner("salesforce", "stated.seat", "stated.created_at")}
"""

SF_CONTACTS = f"""
with leads as ({LEAD_TIMES})
select
    pg_temp.sf_id('003', leads.i) as contact_id,
    jsonb_build_object(
        {_sf_attributes("Contact", "pg_temp.sf_id('003', leads.i)")},
        'Id', pg_temp.sf_id('003', leads.i),
        'AccountId', pg_temp.sf_id('001', leads.account_index),
        'FirstName', 'Lead',
        'LastName', 'No ' || leads.i,
        'Email', leads.email,
        'Title', (array['VP Sales', 'Head of Marketing', 'CFO', 'RevOps Manager', 'CTO'])
            [1 + mod(leads.i, 5)],
        'LeadSource', leads.lead_source,
        'OwnerId', owners.owner_id,
        {_sf_audit("leads.converted_at")}
    ) as record,
    false as is_deleted,
    leads.converted_at as modified_at
from leads
{_owner("salesforce", "leads.seat", "leads.converted_at")}
where leads.converted_at < %(as_of)s
"""

# A deal's state as of as_of: its latest event before then.
DEAL_STATES = """
select distinct on (plan_deals.crm, plan_deals.deal_index)
    plan_deals.*,
    plan_deal_events.at as modified_at,
    plan_deal_events.stage_id,
    plan_deal_events.probability,
    plan_deal_events.forecast,
    plan_deal_events.is_closed,
    plan_deal_events.is_won as is_won_now,
    plan_deal_events.amount,
    plan_deal_events.close_date
from plan_deals
inner join plan_deal_events
    on plan_deals.crm = plan_deal_events.crm and plan_deals.deal_index = plan_deal_events.deal_index
where plan_deals.crm = '{crm}' and plan_deal_events.at < %(as_of)s
order by plan_deals.crm, plan_deals.deal_index, plan_deal_events.at desc,
    plan_deal_events.event_no desc
"""

SF_OPPORTUNITIES = f"""
with deals as ({DEAL_STATES.format(crm="salesforce")}),
leads as ({LEAD_TIMES})
select
    deals.deal_id as opportunity_id,
    jsonb_build_object(
        {_sf_attributes("Opportunity", "deals.deal_id")},
        'Id', deals.deal_id,
        'AccountId', pg_temp.sf_id('001', leads.account_index),
        'Name', 'Account ' || leads.account_index || ' - deal ' || deals.deal_index,
        'Amount', deals.amount,
        'CurrencyIsoCode', owners.currency,
        'StageName', deals.stage_id,
        'Probability', deals.probability,
        'ForecastCategoryName', deals.forecast,
        'CloseDate', to_char(deals.close_date, 'YYYY-MM-DD'),
        'IsClosed', deals.is_closed,
        'IsWon', deals.is_won_now,
        'OwnerId', owners.owner_id,
        'LeadSource', leads.lead_source,
        'CampaignId', null,
        'Type', 'New Business',
        {_sf_audit("deals.created_at", "deals.modified_at")}
    ) as record,
    false as is_deleted,
    deals.modified_at
from deals
inner join leads on deals.deal_index = leads.i
{_owner("salesforce", "deals.seat", "deals.created_at")}
"""

HISTORY_ID = "pg_temp.sf_id('008', plan_deals.deal_index * 64 + events.event_no)"
SF_OPPORTUNITY_HISTORIES = f"""
select
    {HISTORY_ID} as opportunity_history_id,
    jsonb_build_object(
        {_sf_attributes("OpportunityHistory", HISTORY_ID)},
        'Id', {HISTORY_ID},
        'OpportunityId', plan_deals.deal_id,
        'StageName', events.stage_id,
        'Amount', events.amount,
        'CloseDate', to_char(events.close_date, 'YYYY-MM-DD'),
        'Probability', events.probability,
        'ForecastCategory', replace(events.forecast, ' ', ''),
        'CreatedById', owners.owner_id,
        'CreatedDate', pg_temp.sf(events.at),
        'SystemModstamp', pg_temp.sf(events.at),
        'IsDeleted', false
    ) as record,
    false as is_deleted,
    events.at as modified_at
from plan_deal_events as events
inner join plan_deals
    on events.crm = plan_deals.crm and events.deal_index = plan_deals.deal_index
{_owner("salesforce", "plan_deals.seat", "plan_deals.created_at")}
where events.crm = 'salesforce' and events.at < %(as_of)s
"""

# The primary role is the converted lead's contact; a fifth of the deals also have an
# influencer: the contact of lead i + 7, if it was converted before the deal was created.
SF_CONTACT_ROLES = f"""
with roles as (
    select plan_deals.deal_index, plan_deals.deal_id, plan_deals.created_at, role.*
    from plan_deals
    cross join lateral (
        values
        (plan_deals.deal_index * 2, plan_deals.deal_index, 'Decision Maker', true),
        (
            plan_deals.deal_index * 2 + 1,
            case when pg_temp.u(plan_deals.k, 74) < 0.2
                and plan_deals.deal_index + 7 <= %(salesforce_leads)s
                and pg_temp.lead_converted(plan_deals.deal_index + 7) < plan_deals.created_at
                then plan_deals.deal_index + 7 end,
            'Influencer',
            false
        )
    ) as role (role_index, contact_index, role_name, is_primary)
    where plan_deals.crm = 'salesforce' and role.contact_index is not null
)
select
    pg_temp.sf_id('00K', role_index) as opportunity_contact_role_id,
    jsonb_build_object(
        {_sf_attributes("OpportunityContactRole", "pg_temp.sf_id('00K', role_index)")},
        'Id', pg_temp.sf_id('00K', role_index),
        'OpportunityId', deal_id,
        'ContactId', pg_temp.sf_id('003', contact_index),
        'Role', role_name,
        'IsPrimary', is_primary,
        {_sf_audit("created_at")}
    ) as record,
    false as is_deleted,
    created_at as modified_at
from roles
"""

# Campaign c: its type decides the channel (seeds/channel_mapping.csv maps lower(Type)).
SF_CAMPAIGNS = f"""
with campaigns as (
    select
        c,
        pg_temp.born(c, %(salesforce_campaigns)s) as created_at,
        pg_temp.born(c, %(salesforce_campaigns)s)
            + (60 + 120 * pg_temp.u(c, 45)) * interval '1 day' as ended_at,
        (array['Email', 'Webinar', 'Trade Show', 'Advertisement', 'Partners'])[1 + mod(c, 5)]
            as campaign_type,
        case when mod(c, 5) = 3
            then (array['Google Search', 'LinkedIn Sponsored', 'Display Network'])
                [1 + mod(c / 5, 3)] || ' ' || c
            else 'Campaign ' || c
        end as campaign_name
    from generate_series(1, %(salesforce_campaigns)s) as c
)
select
    pg_temp.sf_id('701', c) as campaign_id,
    jsonb_build_object(
        {_sf_attributes("Campaign", "pg_temp.sf_id('701', c)")},
        'Id', pg_temp.sf_id('701', c),
        'Name', campaign_name,
        'Type', campaign_type,
        'Status', case when ended_at < %(as_of)s then 'Completed' else 'In Progress' end,
        'IsActive', ended_at >= %(as_of)s,
        'StartDate', {DATE.format("created_at")},
        'EndDate', {DATE.format("ended_at")},
        'BudgetedCost', 5000 + 1000 * mod(c, 20),
        'ActualCost', 4500 + 1000 * mod(c, 20),
        'CurrencyIsoCode', 'USD',
        'ParentId', null,
        {_sf_audit("created_at", _stamp_changes("created_at", "ended_at"))}
    ) as record,
    false as is_deleted,
    {_stamp_changes("created_at", "ended_at")} as modified_at
from campaigns
where created_at < %(as_of)s
"""

# Membership k <= first_members is the first touch of the k-th lead that has memberships (at
# its creation); the others touch such a lead in its first MEMBER_SPREAD_DAYS, skewed early,
# in a campaign that exists by then (skewed recent). A membership made after the lead's
# conversion is the contact's. A few sync days late (SystemModstamp after CreatedDate).
MEMBER_TIMES = f"""
select
    k as member_index,
    lead_index,
    created_at,
    case when k = %(late_member)s then %(late_member_at)s
        when pg_temp.u(k, 14) < {LATE_MEMBER_SHARE}
            then created_at + (1 + 4 * pg_temp.u(k, 15)) * interval '1 day'
        else created_at end as modified_at,
    pg_temp.pick(%(salesforce_campaigns)s, created_at, sqrt(pg_temp.u(k, 13))) as campaign_index
from (
    select k, lead_index,
        pg_temp.lead_created(lead_index) + case when k <= %(first_members)s then 0
            else {MEMBER_SPREAD_DAYS} * power(pg_temp.u(k, 12), 1.5) end * interval '1 day'
            as created_at
    from (
        -- the nth lead that is not a multiple of NO_MEMBERSHIP
        select k, nth + (nth - 1) / {NO_MEMBERSHIP - 1} as lead_index
        from (
            select k, case when k <= %(first_members)s then k
                else 1 + floor(pg_temp.u(k, 11) * %(first_members)s)::bigint end as nth
            from generate_series(1, {{limit}}) as k
        ) as chosen
        offset 0  -- each step once per row: inlined, every use would recompute it
    ) as leads
    offset 0
) as members
"""

SF_MEMBERS = f"""
with members as materialized ({MEMBER_TIMES.format(limit="%(campaign_members)s")}),
owned as (
    select members.*,
        coalesce(pg_temp.lead_converted(lead_index) < created_at, false) as is_contacts
    from members
    offset 0
)
select
    pg_temp.sf_id('00v', member_index) as campaign_member_id,
    jsonb_build_object(
        {_sf_attributes("CampaignMember", "pg_temp.sf_id('00v', member_index)")},
        'Id', pg_temp.sf_id('00v', member_index),
        'CampaignId', pg_temp.sf_id('701', campaign_index),
        'LeadId', case when not is_contacts then pg_temp.sf_id('00Q', lead_index) end,
        'ContactId', case when is_contacts then pg_temp.sf_id('003', lead_index) end,
        'LeadOrContactId', case when is_contacts then pg_temp.sf_id('003', lead_index)
            else pg_temp.sf_id('00Q', lead_index) end,
        'Status', 'Responded',
        'HasResponded', true,
        'FirstRespondedDate', {DATE.format("created_at")},
        {_sf_audit("created_at", "modified_at")}
    ) as record,
    false as is_deleted,
    modified_at
from owned
"""

# hs_analytics_source buckets (of 20): paid ones carry the platform's click id and UTM tags.
FIRST_SOURCES = (
    "array['PAID_SEARCH', 'PAID_SEARCH', 'PAID_SEARCH', 'PAID_SOCIAL', 'PAID_SOCIAL', "
    "'PAID_SOCIAL', 'PAID_SOCIAL', 'ORGANIC_SEARCH', 'ORGANIC_SEARCH', 'ORGANIC_SEARCH', "
    "'ORGANIC_SEARCH', 'EMAIL_MARKETING', 'EMAIL_MARKETING', 'REFERRALS', 'REFERRALS', "
    "'DIRECT_TRAFFIC', 'DIRECT_TRAFFIC', 'SOCIAL_MEDIA', 'SOCIAL_MEDIA', 'OFFLINE']"
)
FIRST_DETAILS = (
    "array['google', 'google', 'google', 'facebook', 'facebook', 'linkedin', 'linkedin', "
    "'google', 'google', 'google', 'bing', 'newsletter', 'newsletter', 'partner.example', "
    "'partner.example', null, null, 'twitter', 'linkedin', 'IMPORT']"
)
GOOGLE_BUCKETS, META_BUCKETS = 3, 5  # buckets below 3: Google click; 3-4: Meta; 5-6: LinkedIn

# HubSpot contact h; every 100th (h = 37, 137, ...) is a duplicate of contact h - 1, merged
# into it 1-21 days after both exist (one merge forced into the night after END).
CONTACT_TIMES = f"""
select
    h,
    pg_temp.contact_created(h) as created_at,
    pg_temp.contact_created(h) - 30 * pg_temp.u(h, 22) * interval '1 day' as first_visited_at,
    case when pg_temp.u(h, 23) < {LATEST_SOURCE}
        then pg_temp.contact_created(h) + (1 + 90 * pg_temp.u(h, 31)) * interval '1 day' end
        as latest_source_at,
    case when pg_temp.u(h, 26) < {HS_LEAD} then pg_temp.contact_created(h) end as lead_at,
    pg_temp.contact_mql(h) as mql_at,
    pg_temp.contact_sql(h) as sql_at,
    pg_temp.contact_deal(h, %(hubspot_deal_share)s) as opportunity_at,
    case when pg_temp.u(h, 32) < 0.8
        then pg_temp.contact_mql(h) + (0.2 + 10 * pg_temp.u(h, 33)) * interval '1 day' end
        as sales_activity_at,
    floor(pg_temp.u(h, 24) * 20)::int as source_bucket,
    floor(pg_temp.u(h, 25) * 7)::int as latest_bucket,
    -- paid clicks land on always-on campaigns (every 4th)
    4 * floor(pg_temp.u(h, 34) * ceil(%(google_campaigns)s / 4.0))::int as google_campaign,
    4 * floor(pg_temp.u(h, 34) * ceil(%(meta_campaigns)s / 4.0))::int as meta_campaign,
    4 * floor(pg_temp.u(h, 34) * ceil(%(linkedin_campaigns)s / 4.0))::int as linkedin_campaign,
    floor(pg_temp.u(h, 35) * 12)::int as ad_slot,
    case when pg_temp.u(h, 26) < %(hubspot_deal_share)s or pg_temp.u(h, 37) < 0.6
        then 5000000 + pg_temp.pick(
            %(hubspot_companies)s, pg_temp.contact_created(h), pg_temp.u(h, 38)
        ) end as company_id,
    floor(pg_temp.u(h, 39) * %(hubspot_seats)s)::int as seat
from generate_series(1, %(hubspot_contacts)s) as h
"""

MERGES = """
select
    h as merged_index,
    h - 1 as survivor_index,
    case when h = %(merged_contact)s then %(merged_at)s
        else greatest(pg_temp.contact_created(h), pg_temp.contact_created(h - 1))
            + (1 + 20 * pg_temp.u(h, 30)) * interval '1 day' end as merged_at
from generate_series(37, %(hubspot_contacts)s, 100) as h
"""

CONTACT_MODIFIED = _stamp_changes(
    *(f"clicked.{event}_at" for event in ("created", "mql", "sql", "opportunity")),
    *("won_deals.won_at", "clicked.latest_source_at", "clicked.sales_activity_at"),
    *("merged.merged_at", "absorbed.merged_at"),
)
HUBSPOT_CONTACTS = f"""
with contacts as ({CONTACT_TIMES}),
merges as ({MERGES}),
won_deals as (
    select deal_index as h, min(at) as won_at
    from plan_deal_events
    where crm = 'hubspot' and kind = 'close' and is_won
    group by deal_index
),
clicked as (
    select contacts.*,
        case when source_bucket < {GOOGLE_BUCKETS} then 'bench-gclid-' || h end as gclid,
        case when source_bucket between {GOOGLE_BUCKETS} and {META_BUCKETS - 1}
            then 'bench-fbclid-' || h end as fbclid,
        case when source_bucket between {META_BUCKETS} and 6 then 'bench-li-' || h end
            as li_fat_id
    from contacts
    where created_at < %(as_of)s
),
stated as (
    select
        clicked.*,
        merged.merged_at as archived_at,
        absorbed.merged_index as absorbed_index,
        case when lead_at < %(as_of)s then lead_at end as known_lead_at,
        case when mql_at < %(as_of)s then mql_at end as known_mql_at,
        case when sql_at < %(as_of)s then sql_at end as known_sql_at,
        case when opportunity_at < %(as_of)s then opportunity_at end as known_opportunity_at,
        case when won_deals.won_at < %(as_of)s then won_deals.won_at end as known_customer_at,
        case when latest_source_at < %(as_of)s then latest_source_at end as known_latest_at,
        case when sales_activity_at < %(as_of)s then sales_activity_at end
            as known_sales_activity_at,
        {CONTACT_MODIFIED} as modified_at
    from clicked
    left join merges as merged
        on clicked.h = merged.merged_index and merged.merged_at < %(as_of)s
    left join merges as absorbed
        on clicked.h = absorbed.survivor_index and absorbed.merged_at < %(as_of)s
    left join won_deals on clicked.h = won_deals.h
)
select
    stated.h as contact_id,
    jsonb_build_object(
        'id', stated.h::text,
        'properties', jsonb_build_object(
            'email', 'hs' || stated.h || '@bench.example',
            'firstname', 'Contact',
            'lastname', 'No ' || stated.h,
            'jobtitle', (array['VP Sales', 'Marketing Manager', 'CFO', 'RevOps Lead', 'CTO'])
                [1 + mod(stated.h, 5)],
            'country', ({COUNTRIES})[1 + mod(stated.h * 7, 8)],
            'createdate', pg_temp.iso(stated.created_at),
            'lastmodifieddate', pg_temp.iso(stated.modified_at),
            'hs_object_id', stated.h::text,
            'lifecyclestage', case
                when known_customer_at is not null then 'customer'
                when known_opportunity_at is not null then 'opportunity'
                when known_sql_at is not null then 'salesqualifiedlead'
                when known_mql_at is not null then 'marketingqualifiedlead'
                when known_lead_at is not null then 'lead'
                else 'subscriber' end,
            'hs_lifecyclestage_subscriber_date', pg_temp.iso(stated.created_at),
            'hs_lifecyclestage_lead_date', pg_temp.iso(known_lead_at),
            'hs_lifecyclestage_marketingqualifiedlead_date', pg_temp.iso(known_mql_at),
            'hs_lifecyclestage_salesqualifiedlead_date', pg_temp.iso(known_sql_at),
            'hs_lifecyclestage_opportunity_date', pg_temp.iso(known_opportunity_at),
            'hs_lifecyclestage_customer_date', pg_temp.iso(known_customer_at),
            'hs_analytics_source', ({FIRST_SOURCES})[1 + source_bucket],
            'hs_analytics_source_data_1', ({FIRST_DETAILS})[1 + source_bucket],
            'hs_analytics_source_data_2', null,
            'hs_analytics_first_timestamp', pg_temp.iso(first_visited_at),
            'hs_analytics_first_url', 'https://bench.example/' || case
                when gclid is not null then 'pricing?utm_source=google&utm_medium=cpc'
                    || '&utm_campaign=search_' || (20000000 + google_campaign)
                    || '&gclid=' || gclid
                when fbclid is not null then 'demo?utm_source=facebook&utm_medium=paid_social'
                    || '&utm_campaign=meta_' || (23850000000 + meta_campaign)
                    || '&fbclid=' || fbclid
                when li_fat_id is not null then 'demo?utm_source=linkedin'
                    || '&utm_medium=paid_social&utm_campaign=li_'
                    || (600000000 + linkedin_campaign)
                else (array['', 'blog/revenue-operations', 'customers', 'webinars', 'pricing'])
                    [1 + mod(stated.h, 5)]
            end,
            'hs_latest_source', case when known_latest_at is not null
                then (array['ORGANIC_SEARCH', 'EMAIL_MARKETING', 'DIRECT_TRAFFIC', 'REFERRALS',
                    'PAID_SEARCH', 'OFFLINE', 'SOCIAL_MEDIA'])[1 + latest_bucket] end,
            'hs_latest_source_data_1', case when known_latest_at is not null
                then (array['bing', 'newsletter', null, 'partner.example', 'google', 'IMPORT',
                    'linkedin'])[1 + latest_bucket] end,
            'hs_latest_source_data_2', null,
            'hs_latest_source_timestamp', pg_temp.iso(known_latest_at),
            'hs_google_click_id', gclid,
            'hs_facebook_click_id', fbclid,
            'li_fat_id', li_fat_id,
            'associatedcompanyid', company_id::text,
            'hubspot_owner_id', owners.owner_id,
            'hs_merged_object_ids', absorbed_index::text,
            'hs_sa_first_engagement_date', pg_temp.iso(known_sales_activity_at)
        ),
        'createdAt', pg_temp.iso(stated.created_at),
        'updatedAt', pg_temp.iso(stated.modified_at),
        'archived', archived_at is not null
    ) || case when archived_at is not null
        then jsonb_build_object('archivedAt', pg_temp.iso(archived_at)) else '{{}}'::jsonb end
        as record,
    archived_at is not null as is_deleted,
    stated.modified_at
from stated
{_owner("hubspot", "stated.seat", "stated.created_at")}
"""

PIPELINE_RECORDS = [
    (
        pipeline,
        {
            "id": pipeline,
            "label": label,
            "displayOrder": order,
            "createdAt": "2023-01-02T09:00:00.000Z",
            "updatedAt": "2023-01-02T09:00:00.000Z",
            "archived": False,
            "stages": [
                {
                    "id": stage_id,
                    "label": stage_label,
                    "displayOrder": n,
                    "metadata": {
                        "isClosed": str(n >= len(stages) - 2).lower(),
                        "probability": str(probability / 100),
                    },
                    "archived": False,
                }
                for n, (stage_id, stage_label, probability) in enumerate(stages)
            ],
        },
    )
    for order, (pipeline, (label, stages)) in enumerate(HUBSPOT_PIPELINES.items())
]

DEAL_PIPELINES = " union all ".join(
    f"select '{pipeline}' as pipeline_id, '{json.dumps(record)}'::jsonb as record, false as "
    f"is_deleted, {START_SQL} - interval '400 days' as modified_at"
    for pipeline, record in PIPELINE_RECORDS
)

# The deal, with hs_v2_date_entered/exited_<stage> for every stage of every pipeline (the
# latest entry into each, exited when the next stage was set; null if never entered).
HUBSPOT_DEALS = f"""
with deals as ({DEAL_STATES.format(crm="hubspot")}),
entries as (
    select deal_index, stage_id, at as entered_at,
        lead(at) over (partition by deal_index order by at, event_no) as exited_at
    from plan_deal_events
    where crm = 'hubspot' and sets_stage and at < %(as_of)s
),
latest_entries as (
    select distinct on (deal_index, stage_id) *
    from entries
    order by deal_index, stage_id, entered_at desc
),
stage_dates as (
    select
        deals.deal_index,
        jsonb_object_agg('hs_v2_date_entered_' || stages.stage_id,
            pg_temp.iso(latest_entries.entered_at))
        || jsonb_object_agg('hs_v2_date_exited_' || stages.stage_id,
            pg_temp.iso(latest_entries.exited_at)) as properties
    from deals
    cross join (select stage_id from plan_stages where crm = 'hubspot') as stages
    left join latest_entries
        on deals.deal_index = latest_entries.deal_index
        and stages.stage_id = latest_entries.stage_id
    group by deals.deal_index
)
select
    deals.deal_id::bigint as deal_id,
    jsonb_build_object(
        'id', deals.deal_id,
        'properties', jsonb_build_object(
            'dealname', 'Company deal ' || deals.deal_index,
            'dealtype', 'newbusiness',
            'amount', deals.amount::text,
            'list_amount', deals.list_amount::text,
            'deal_currency_code', owners.currency,
            'dealstage', deals.stage_id,
            'pipeline', deals.pipeline,
            'closedate', pg_temp.iso(deals.close_date::timestamp at time zone 'UTC'),
            'createdate', pg_temp.iso(deals.created_at),
            'hs_lastmodifieddate', pg_temp.iso(deals.modified_at),
            'hubspot_owner_id', owners.owner_id,
            'hs_is_closed', deals.is_closed::text,
            'hs_is_closed_won', deals.is_won_now::text,
            'hs_object_id', deals.deal_id
        ) || stage_dates.properties,
        'createdAt', pg_temp.iso(deals.created_at),
        'updatedAt', pg_temp.iso(deals.modified_at),
        'archived', false
    ) as record,
    false as is_deleted,
    deals.modified_at
from deals
inner join stage_dates on deals.deal_index = stage_dates.deal_index
{_owner("hubspot", "deals.seat", "deals.created_at")}
"""

# What the stage-history stream reads for each deal modified in the window: the deal with
# every value its dealstage, amount and closedate took, newest first (a value is logged when
# it changes).
HUBSPOT_STAGE_HISTORY = f"""
with deals as ({DEAL_STATES.format(crm="hubspot")}),
events as (
    select
        plan_deal_events.*,
        owners.user_id,
        lag(plan_deal_events.amount) over deal_events as previous_amount,
        lag(plan_deal_events.close_date) over deal_events as previous_close_date
    from plan_deal_events
    inner join plan_deals
        on plan_deal_events.crm = plan_deals.crm
        and plan_deal_events.deal_index = plan_deals.deal_index
    {_owner("hubspot", "plan_deals.seat", "plan_deals.created_at")}
    where plan_deal_events.crm = 'hubspot' and plan_deal_events.at < %(as_of)s
    window deal_events as (
        partition by plan_deal_events.deal_index
        order by plan_deal_events.at, plan_deal_events.event_no
    )
),
entries as (
    select
        deal_index,
        at,
        event_no,
        sets_stage,
        stage_id,
        amount is distinct from previous_amount as sets_amount,
        amount::text as amount,
        close_date is distinct from previous_close_date as sets_close_date,
        pg_temp.iso(close_date::timestamp at time zone 'UTC') as close_date,
        jsonb_build_object(
            'timestamp', pg_temp.iso(at),
            'sourceType', 'CRM_UI',
            'sourceId', 'userId:' || user_id,
            'updatedByUserId', user_id
        ) as change
    from events
),
histories as (
    select
        deal_index,
        jsonb_agg(change || jsonb_build_object('value', stage_id)
            order by at desc, event_no desc) filter (where sets_stage) as stages,
        jsonb_agg(change || jsonb_build_object('value', amount)
            order by at desc, event_no desc) filter (where sets_amount) as amounts,
        jsonb_agg(change || jsonb_build_object('value', close_date)
            order by at desc, event_no desc) filter (where sets_close_date) as close_dates
    from entries
    group by deal_index
)
select
    deals.deal_id::bigint as deal_id,
    jsonb_build_object(
        'id', deals.deal_id,
        'properties', jsonb_build_object(
            'dealstage', deals.stage_id,
            'pipeline', deals.pipeline,
            'hs_lastmodifieddate', pg_temp.iso(deals.modified_at)
        ),
        'propertiesWithHistory', jsonb_build_object(
            'dealstage', histories.stages,
            'amount', coalesce(histories.amounts, '[]'::jsonb),
            'closedate', coalesce(histories.close_dates, '[]'::jsonb)
        )
    ) as record,
    false as is_deleted,
    deals.modified_at
from deals
inner join histories on deals.deal_index = histories.deal_index
where histories.stages is not null
"""

# The contact the deal came from; a quarter also have the next contact, if it existed by then.
HUBSPOT_DEAL_CONTACTS = """
select
    plan_deals.deal_id::bigint as deal_id,
    associated.contact_id,
    jsonb_build_object(
        'from', jsonb_build_object('id', plan_deals.deal_id),
        'to', jsonb_build_object(
            'toObjectId', associated.contact_id,
            'associationTypes', jsonb_build_array(jsonb_build_object(
                'category', 'HUBSPOT_DEFINED', 'typeId', 3, 'label', null))
        )
    ) as record,
    false as is_deleted,
    plan_deals.created_at as modified_at
from plan_deals
cross join lateral (
    values
    (plan_deals.deal_index),
    (case when pg_temp.u(plan_deals.k, 74) < 0.25
        and plan_deals.deal_index < %(hubspot_contacts)s
        and pg_temp.contact_created(plan_deals.deal_index + 1) < plan_deals.created_at
        then plan_deals.deal_index + 1 end)
) as associated (contact_id)
where plan_deals.crm = 'hubspot' and associated.contact_id is not null
    and plan_deals.created_at < %(as_of)s
"""

# Each ad's daily row from its first to its last day (before as_of): impressions, clicks and
# spend are final; conversions reach their final value over the platform's restatement
# window, so the nightly re-read of those days changes them.
AD_DAYS = """
select
    plan_ads.*,
    day_no,
    date '{start}' + day_no as metric_date,
    metrics.impressions,
    metrics.clicks,
    round(metrics.clicks * (80 + 400 * pg_temp.u(cell, 94)))::bigint as cost_cents,
    floor(floor(metrics.clicks * 0.12 * pg_temp.u(cell, 95))
        * least(1.0, (%(as_of_day)s - day_no)::float8 / {window}))::bigint as conversions
from plan_ads
cross join lateral generate_series(
    plan_ads.first_day, least(coalesce(plan_ads.last_day, 1000000), %(as_of_day)s - 1)
) as day_no
cross join lateral (select plan_ads.ad_key * 2048 + day_no as cell) as cells
cross join lateral (
    select impressions,
        floor(impressions * (0.005 + 0.03 * pg_temp.u(cell, 93)))::bigint as clicks
    from (select 200 + floor(3000 * pg_temp.u(cell, 92))::bigint as impressions) as shown
) as metrics
where plan_ads.platform = '{platform}'
"""


def _ad_days(platform: str) -> str:
    return AD_DAYS.format(
        start=START.date().isoformat(), window=RESTATED_DAYS[platform], platform=platform
    )


def _restated(platform: str, column: str) -> str:
    """A replace_days stream's rows re-read by a night: its lookback window, and the new day."""
    return f"{column} >= (%(since)s at time zone 'UTC')::date - {RESTATED_DAYS[platform]}"


def _campaigns(platform: str) -> str:
    return f"""
select distinct c, campaign_id, first_day, last_day,
    coalesce(last_day < %(as_of_day)s, false) as has_ended,
    {START_SQL} + (first_day - 1) * interval '1 day' as created_at,
    {START_SQL} + (case when last_day < %(as_of_day)s then last_day + 1 else first_day - 1 end)
        * interval '1 day' as modified_at
from plan_ads
where platform = '{platform}' and first_day - 1 < %(as_of_day)s
"""


GOOGLE_METRICS = """jsonb_build_object(
            'costMicros', (cost_cents * 10000)::text,
            'impressions', impressions::text,
            'clicks', clicks::text,
            'conversions', conversions,
            'conversionsValue', conversions * 250
        )"""
GOOGLE_CUSTOMER_JSON = f"jsonb_build_object('id', '{GOOGLE_CUSTOMER}', 'currencyCode', 'USD')"

GOOGLE_CUSTOMERS = f"""
select
    {GOOGLE_CUSTOMER}::bigint as customer_id,
    jsonb_build_object('customer', jsonb_build_object(
        'id', '{GOOGLE_CUSTOMER}', 'descriptiveName', 'Bench Company Search',
        'currencyCode', 'USD', 'timeZone', 'America/New_York', 'manager', false
    )) as record,
    false as is_deleted,
    {START_SQL} - interval '400 days' as modified_at
"""

GOOGLE_CAMPAIGNS = f"""
with campaigns as ({_campaigns("google_ads")})
select
    {GOOGLE_CUSTOMER}::bigint as customer_id,
    campaign_id,
    jsonb_build_object(
        'customer', jsonb_build_object('id', '{GOOGLE_CUSTOMER}'),
        'campaign', jsonb_build_object('id', campaign_id::text, 'name', 'search_' || campaign_id,
            'status', case when has_ended then 'PAUSED' else 'ENABLED' end,
            'advertisingChannelType', 'SEARCH')
    ) as record,
    false as is_deleted,
    modified_at
from campaigns
union all
select
    {GOOGLE_CUSTOMER}::bigint,
    20000000 + %(google_campaigns)s + p,
    jsonb_build_object(
        'customer', jsonb_build_object('id', '{GOOGLE_CUSTOMER}'),
        'campaign', jsonb_build_object('id', (20000000 + %(google_campaigns)s + p)::text,
            'name', 'pmax_' || p, 'status', 'ENABLED',
            'advertisingChannelType', 'PERFORMANCE_MAX')
    ),
    false,
    {START_SQL} - interval '30 days'
from generate_series(0, %(google_pmax_campaigns)s - 1) as p
"""

GOOGLE_AD_METRICS = f"""
with days as ({_ad_days("google_ads")})
select
    {GOOGLE_CUSTOMER}::bigint as customer_id,
    ad_group_id,
    ad_id,
    metric_date,
    jsonb_build_object(
        'customer', {GOOGLE_CUSTOMER_JSON},
        'campaign', jsonb_build_object('id', campaign_id::text, 'name', 'search_' || campaign_id),
        'adGroup', jsonb_build_object('id', ad_group_id::text, 'name', 'ad group ' || ad_group_id),
        'adGroupAd', jsonb_build_object(
            'ad', jsonb_build_object('id', ad_id::text, 'name', 'ad ' || ad_id)),
        'segments', jsonb_build_object('date', to_char(metric_date, 'YYYY-MM-DD')),
        'metrics', {GOOGLE_METRICS}
    ) as record,
    false as is_deleted
from days
"""

GOOGLE_AD_GROUP_METRICS = f"""
with days as ({_ad_days("google_ads")}),
groups as (
    select campaign_id, ad_group_id, metric_date, sum(cost_cents) as cost_cents,
        sum(impressions) as impressions, sum(clicks) as clicks, sum(conversions) as conversions
    from days
    group by campaign_id, ad_group_id, metric_date
)
select
    {GOOGLE_CUSTOMER}::bigint as customer_id,
    ad_group_id,
    metric_date,
    jsonb_build_object(
        'customer', {GOOGLE_CUSTOMER_JSON},
        'campaign', jsonb_build_object('id', campaign_id::text, 'name', 'search_' || campaign_id),
        'adGroup', jsonb_build_object('id', ad_group_id::text, 'name', 'ad group ' || ad_group_id),
        'segments', jsonb_build_object('date', to_char(metric_date, 'YYYY-MM-DD')),
        'metrics', {GOOGLE_METRICS}
    ) as record,
    false as is_deleted
from groups
"""

# Search campaigns add up their ads; Performance Max campaigns (no ads) have their own rows.
GOOGLE_CAMPAIGN_METRICS = f"""
with days as ({_ad_days("google_ads")}),
campaign_days as (
    select campaign_id, metric_date, sum(cost_cents) as cost_cents,
        sum(impressions) as impressions, sum(clicks) as clicks, sum(conversions) as conversions
    from days
    group by campaign_id, metric_date
    union all
    select 20000000 + %(google_campaigns)s + p, date '{START.date().isoformat()}' + day_no,
        50000 + floor(100000 * pg_temp.u(p * 2048 + day_no, 96))::bigint,
        20000 + floor(50000 * pg_temp.u(p * 2048 + day_no, 97))::bigint,
        300 + floor(900 * pg_temp.u(p * 2048 + day_no, 98))::bigint,
        floor(floor(40 * pg_temp.u(p * 2048 + day_no, 99))
            * least(1.0, (%(as_of_day)s - day_no)::float8 / {RESTATED_DAYS["google_ads"]}))::bigint
    from generate_series(0, %(google_pmax_campaigns)s - 1) as p
    cross join generate_series(0, %(as_of_day)s - 1) as day_no
)
select
    {GOOGLE_CUSTOMER}::bigint as customer_id,
    campaign_id,
    metric_date,
    jsonb_build_object(
        'customer', {GOOGLE_CUSTOMER_JSON},
        'campaign', jsonb_build_object('id', campaign_id::text),
        'segments', jsonb_build_object('date', to_char(metric_date, 'YYYY-MM-DD')),
        'metrics', {GOOGLE_METRICS}
    ) as record,
    false as is_deleted
from campaign_days
"""

# One click_view per HubSpot contact that came from a Google ad (merged: never replaced).
GOOGLE_CLICK_VIEWS = f"""
with contacts as ({CONTACT_TIMES}),
clicks as (
    select h, first_visited_at, created_at,
        20000000 + google_campaign as campaign_id,
        30000000 + google_campaign * 10 + ad_slot / 3 as ad_group_id,
        400000000 + google_campaign * 100 + (ad_slot / 3) * 10 + mod(ad_slot, 3) as ad_id
    from contacts
    where source_bucket < {GOOGLE_BUCKETS}
)
select
    {GOOGLE_CUSTOMER}::bigint as customer_id,
    'bench-gclid-' || h as gclid,
    (first_visited_at at time zone 'UTC')::date as click_date,
    jsonb_build_object(
        'customer', jsonb_build_object('id', '{GOOGLE_CUSTOMER}'),
        'clickView', jsonb_build_object(
            'resourceName', 'customers/{GOOGLE_CUSTOMER}/clickViews/'
                || to_char(first_visited_at at time zone 'UTC', 'YYYY-MM-DD')
                || '~bench-gclid-' || h,
            'gclid', 'bench-gclid-' || h,
            'adGroupAd', 'customers/{GOOGLE_CUSTOMER}/adGroupAds/' || ad_group_id || '~' || ad_id),
        'campaign', jsonb_build_object('id', campaign_id::text),
        'adGroup', jsonb_build_object('id', ad_group_id::text),
        'segments', jsonb_build_object(
            'date', to_char(first_visited_at at time zone 'UTC', 'YYYY-MM-DD'),
            'clickType', 'URL_CLICKS', 'device', 'DESKTOP'),
        'metrics', jsonb_build_object('clicks', '1')
    ) as record,
    false as is_deleted,
    first_visited_at as modified_at
from clicks
"""

META_TIME = "to_char(({}) at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+0000\"')"

META_ACCOUNTS = f"""
select
    {META_ACCOUNT}::bigint as account_id,
    jsonb_build_object('id', 'act_{META_ACCOUNT}', 'account_id', '{META_ACCOUNT}',
        'name', 'Bench Company Social', 'currency', 'USD', 'timezone_name', 'America/New_York',
        'account_status', 1) as record,
    false as is_deleted,
    {START_SQL} - interval '400 days' as modified_at
"""

META_CAMPAIGNS = f"""
with campaigns as ({_campaigns("meta_ads")})
select
    {META_ACCOUNT}::bigint as account_id,
    campaign_id,
    jsonb_build_object(
        'id', campaign_id::text,
        'account_id', '{META_ACCOUNT}',
        'name', 'meta_' || campaign_id,
        'objective', 'OUTCOME_LEADS',
        'status', case when has_ended then 'PAUSED' else 'ACTIVE' end,
        'configured_status', case when has_ended then 'PAUSED' else 'ACTIVE' end,
        'effective_status', case when has_ended then 'PAUSED' else 'ACTIVE' end,
        'created_time', {META_TIME.format("created_at")},
        'start_time', {META_TIME.format("created_at + interval '1 day'")},
        'stop_time', case when last_day is not null
            then {META_TIME.format(f"{START_SQL} + (last_day + 1) * interval '1 day'")} end,
        'updated_time', {META_TIME.format("modified_at")}
    ) as record,
    false as is_deleted,
    modified_at
from campaigns
"""

META_INSIGHTS = f"""
with days as ({_ad_days("meta_ads")})
select
    {META_ACCOUNT}::bigint as account_id,
    ad_id,
    metric_date as insight_date,
    jsonb_build_object(
        'account_id', '{META_ACCOUNT}',
        'account_name', 'Bench Company Social',
        'account_currency', 'USD',
        'campaign_id', campaign_id::text,
        'campaign_name', 'meta_' || campaign_id,
        'adset_id', ad_group_id::text,
        'adset_name', 'ad set ' || ad_group_id,
        'ad_id', ad_id::text,
        'ad_name', 'ad ' || ad_id,
        'spend', (cost_cents / 100.0)::numeric(14, 2)::text,
        'impressions', impressions::text,
        'clicks', clicks::text,
        'inline_link_clicks', (clicks * 9 / 10)::text,
        'reach', (impressions * 7 / 10)::text,
        'date_start', to_char(metric_date, 'YYYY-MM-DD'),
        'date_stop', to_char(metric_date, 'YYYY-MM-DD')
    ) || case
        when conversions > 0 then jsonb_build_object('actions', jsonb_build_array(
            jsonb_build_object('action_type', 'link_click', 'value', clicks::text),
            jsonb_build_object('action_type', 'lead', 'value', conversions::text)))
        when clicks > 0 then jsonb_build_object('actions', jsonb_build_array(
            jsonb_build_object('action_type', 'link_click', 'value', clicks::text)))
        else '{{}}'::jsonb
    end as record,
    false as is_deleted
from days
"""

LINKEDIN_URN = "urn:li:sponsored"

LINKEDIN_ACCOUNTS = f"""
select
    {LINKEDIN_ACCOUNT}::bigint as account_id,
    jsonb_build_object('id', {LINKEDIN_ACCOUNT}, 'name', 'Bench Company B2B', 'currency', 'EUR',
        'status', 'ACTIVE', 'type', 'BUSINESS', 'reference', 'urn:li:organization:4242',
        'test', false) as record,
    false as is_deleted,
    {START_SQL} - interval '400 days' as modified_at
"""

LINKEDIN_CAMPAIGNS = f"""
with campaigns as ({_campaigns("linkedin_ads")})
select
    {LINKEDIN_ACCOUNT}::bigint as account_id,
    campaign_id,
    jsonb_build_object(
        'id', campaign_id,
        'account', '{LINKEDIN_URN}Account:{LINKEDIN_ACCOUNT}',
        'campaignGroup', '{LINKEDIN_URN}CampaignGroup:' || (610000 + c / 4),
        'name', 'li_' || campaign_id,
        'status', case when has_ended then 'PAUSED' else 'ACTIVE' end,
        'type', 'SPONSORED_UPDATES',
        'costType', 'CPC',
        'objectiveType', 'LEAD_GENERATION',
        'dailyBudget', jsonb_build_object('amount', '150.00', 'currencyCode', 'EUR'),
        'runSchedule', jsonb_build_object(
            'start', (extract(epoch from created_at) * 1000)::bigint)
    ) as record,
    false as is_deleted,
    modified_at
from campaigns
"""

LINKEDIN_CREATIVES = f"""
with campaigns as ({_campaigns("linkedin_ads")})
select
    {LINKEDIN_ACCOUNT}::bigint as account_id,
    plan_ads.ad_id as creative_id,
    jsonb_build_object(
        'id', '{LINKEDIN_URN}Creative:' || plan_ads.ad_id,
        'account', '{LINKEDIN_URN}Account:{LINKEDIN_ACCOUNT}',
        'campaign', '{LINKEDIN_URN}Campaign:' || plan_ads.campaign_id,
        'name', 'creative ' || plan_ads.ad_id,
        'intendedStatus', case when campaigns.has_ended then 'PAUSED' else 'ACTIVE' end,
        'isServing', not campaigns.has_ended,
        'createdAt', (extract(epoch from campaigns.created_at) * 1000)::bigint,
        'lastModifiedAt', (extract(epoch from campaigns.modified_at) * 1000)::bigint
    ) as record,
    false as is_deleted,
    campaigns.modified_at
from plan_ads
inner join campaigns on plan_ads.campaign_id = campaigns.campaign_id
where plan_ads.platform = 'linkedin_ads'
"""

LINKEDIN_ANALYTICS = f"""
with days as ({_ad_days("linkedin_ads")})
select
    {LINKEDIN_ACCOUNT}::bigint as account_id,
    ad_id as creative_id,
    metric_date as analytics_date,
    jsonb_build_object(
        'dateRange', jsonb_build_object('start', day_json, 'end', day_json),
        'pivotValues', jsonb_build_array('{LINKEDIN_URN}Creative:' || ad_id),
        'impressions', impressions,
        'clicks', clicks,
        'landingPageClicks', clicks * 9 / 10,
        -- a decimal string, sometimes with a binary-float tail, as LinkedIn sends it
        'costInLocalCurrency', (cost_cents * 0.01::float8)::text,
        'costInUsd', (cost_cents * 0.0108::float8)::text,
        'externalWebsiteConversions', conversions,
        'oneClickLeads', conversions / 3,
        'accountId', {LINKEDIN_ACCOUNT},
        'accountCurrency', 'EUR',
        'campaignGroupId', 610000 + c / 4,
        'campaignId', campaign_id,
        'creativeId', ad_id
    ) as record,
    false as is_deleted
from days
cross join lateral (
    select jsonb_build_object('year', extract(year from metric_date)::int,
        'month', extract(month from metric_date)::int,
        'day', extract(day from metric_date)::int) as day_json
) as dated
"""


@dataclass(frozen=True)
class Table:
    """A raw table and the select that yields its rows (keys, record, is_deleted); ``changed``
    picks the rows a night re-reads (by default: last modified in [since, as_of))."""

    schema: str
    name: str
    keys: tuple[str, ...]
    select: str
    changed: str = "modified_at >= %(since)s and modified_at < %(as_of)s"


TABLES = [
    Table("raw_salesforce", "organization", ("organization_id",), ORGANIZATION),
    Table("raw_salesforce", "users", ("user_id",), SF_USERS),
    Table("raw_salesforce", "accounts", ("account_id",), SF_ACCOUNTS),
    Table("raw_salesforce", "campaigns", ("campaign_id",), SF_CAMPAIGNS),
    Table("raw_salesforce", "leads", ("lead_id",), SF_LEADS),
    Table("raw_salesforce", "contacts", ("contact_id",), SF_CONTACTS),
    Table("raw_salesforce", "opportunities", ("opportunity_id",), SF_OPPORTUNITIES),
    Table(
        "raw_salesforce",
        "opportunity_histories",
        ("opportunity_history_id",),
        SF_OPPORTUNITY_HISTORIES,
    ),
    Table(
        "raw_salesforce",
        "opportunity_contact_roles",
        ("opportunity_contact_role_id",),
        SF_CONTACT_ROLES,
    ),
    Table("raw_salesforce", "campaign_members", ("campaign_member_id",), SF_MEMBERS),
    Table("raw_hubspot", "owners", ("owner_id",), HUBSPOT_OWNERS),
    Table("raw_hubspot", "deal_pipelines", ("pipeline_id",), DEAL_PIPELINES),
    Table("raw_hubspot", "companies", ("company_id",), HUBSPOT_COMPANIES),
    Table("raw_hubspot", "contacts", ("contact_id",), HUBSPOT_CONTACTS),
    Table("raw_hubspot", "deals", ("deal_id",), HUBSPOT_DEALS),
    Table("raw_hubspot", "deal_stage_history", ("deal_id",), HUBSPOT_STAGE_HISTORY),
    Table(
        "raw_hubspot", "deal_contact_associations", ("deal_id", "contact_id"), HUBSPOT_DEAL_CONTACTS
    ),
    Table("raw_google_ads", "customers", ("customer_id",), GOOGLE_CUSTOMERS),
    Table("raw_google_ads", "campaigns", ("customer_id", "campaign_id"), GOOGLE_CAMPAIGNS),
    Table(
        "raw_google_ads",
        "campaign_daily_metrics",
        ("customer_id", "campaign_id", "metric_date"),
        GOOGLE_CAMPAIGN_METRICS,
        _restated("google_ads", "metric_date"),
    ),
    Table(
        "raw_google_ads",
        "ad_group_daily_metrics",
        ("customer_id", "ad_group_id", "metric_date"),
        GOOGLE_AD_GROUP_METRICS,
        _restated("google_ads", "metric_date"),
    ),
    Table(
        "raw_google_ads",
        "ad_daily_metrics",
        ("customer_id", "ad_group_id", "ad_id", "metric_date"),
        GOOGLE_AD_METRICS,
        _restated("google_ads", "metric_date"),
    ),
    Table(
        "raw_google_ads", "click_views", ("customer_id", "gclid", "click_date"), GOOGLE_CLICK_VIEWS
    ),
    Table("raw_meta_ads", "ad_accounts", ("account_id",), META_ACCOUNTS),
    Table("raw_meta_ads", "campaigns", ("account_id", "campaign_id"), META_CAMPAIGNS),
    Table(
        "raw_meta_ads",
        "ad_daily_insights",
        ("account_id", "ad_id", "insight_date"),
        META_INSIGHTS,
        _restated("meta_ads", "insight_date"),
    ),
    Table("raw_linkedin_ads", "ad_accounts", ("account_id",), LINKEDIN_ACCOUNTS),
    Table("raw_linkedin_ads", "campaigns", ("account_id", "campaign_id"), LINKEDIN_CAMPAIGNS),
    Table("raw_linkedin_ads", "creatives", ("account_id", "creative_id"), LINKEDIN_CREATIVES),
    Table(
        "raw_linkedin_ads",
        "creative_daily_analytics",
        ("account_id", "creative_id", "analytics_date"),
        LINKEDIN_ANALYTICS,
        _restated("linkedin_ads", "analytics_date"),
    ),
]

# The night's forced events, found in the plan: a HubSpot duplicate merged (the first pair that
# exists two days before END) and a membership created in the 3 days before END but synced
# after it (among the first memberships, so the search is cheap).
FIRST_MERGEABLE = """
select min(h) from generate_series(37, %(hubspot_contacts)s, 100) as h
where greatest(pg_temp.contact_created(h), pg_temp.contact_created(h - 1))
    < %(end)s - interval '2 days'
"""
FIRST_LATE_MEMBER = f"""
select min(member_index)
from ({MEMBER_TIMES.format(limit="least(%(campaign_members)s, 200000)")}) as members
where created_at >= %(end)s - interval '3 days' and created_at < %(end)s - interval '1 hour'
"""


def _parameters(shape: Shape, since: datetime | None, as_of: datetime) -> dict[str, Any]:
    return {
        **asdict(shape),
        "hubspot_seats": shape.hubspot_owners - shape.hubspot_turnover,
        "salesforce_seats": shape.salesforce_users - shape.salesforce_turnover,
        "first_members": shape.salesforce_leads - shape.salesforce_leads // NO_MEMBERSHIP,
        "end": END,
        "since": since or datetime(1970, 1, 1, tzinfo=UTC),
        "as_of": as_of,
        "as_of_day": (as_of.date() - START.date()).days,
        "merged_contact": None,
        "merged_at": END + timedelta(hours=6),
        "late_member": None,
        "late_member_at": END + timedelta(hours=2),
    }


def _plan(conn: psycopg.Connection, parameters: dict[str, Any]) -> dict[str, Any]:
    """The session's plan tables (reps, stages, deals and their events, ads) and the forced
    events' parameters."""
    conn.execute(UNIFORM)
    conn.execute(FUNCTIONS)
    conn.execute(PLAN_STAGES)
    with conn.cursor() as cursor:
        cursor.executemany(
            "insert into plan_stages values (%s, %s, %s, %s, %s, %s, %s, %s)", _stage_rows()
        )
    for statement in (PLAN_REPS, PLAN_DEALS, PLAN_ENTRIES, FORCE_REOPENING, PLAN_EVENTS, PLAN_ADS):
        conn.execute(statement, parameters)
    for table in ("plan_stages", "plan_reps", "plan_deals", "plan_entries", "plan_deal_events"):
        conn.execute(f"analyze {table}")  # temp tables are never auto-analyzed
    forced = {
        "merged_contact": conn.execute(FIRST_MERGEABLE, parameters).fetchone()[0],
        "late_member": conn.execute(FIRST_LATE_MEMBER, parameters).fetchone()[0],
    }
    return {**parameters, **forced}


def _merge(
    conn: psycopg.Connection, table: Table, parameters: dict[str, Any], batch_id: str, full: bool
) -> int:
    """Load the rows a night re-reads (``table.changed``): straight in on a full load, else
    replacing the rows with the same keys, as the loader's merge does."""
    target = sql.Identifier(table.schema, table.name)
    keys = sql.SQL(", ").join(map(sql.Identifier, table.keys))
    generated = sql.SQL("select * from ({}) as generated where {}").format(
        sql.SQL(table.select), sql.SQL(table.changed)
    )
    insert = sql.SQL(
        "insert into {} ({}, record, is_deleted, _loaded_at, _batch_id)"
        " select {}, record, is_deleted, now(), %(batch_id)s from {}"
    )
    parameters = {**parameters, "batch_id": batch_id}
    if full:
        source = sql.SQL("({}) as batch").format(generated)
        return conn.execute(insert.format(target, keys, keys, source), parameters).rowcount
    conn.execute("drop table if exists pg_temp.company_batch")
    conn.execute(sql.SQL("create temp table company_batch as {}").format(generated), parameters)
    conn.execute(
        sql.SQL("delete from {} as raw using company_batch where {}").format(
            target,
            sql.SQL(" and ").join(
                sql.SQL("raw.{key} = company_batch.{key}").format(key=sql.Identifier(key))
                for key in table.keys
            ),
        )
    )
    return conn.execute(
        insert.format(target, keys, keys, sql.Identifier("company_batch")), parameters
    ).rowcount


def _load(
    url: str, shape: Shape, since: datetime | None, as_of: datetime
) -> tuple[dict[str, int], dict[str, float]]:
    """Rows loaded and seconds taken per raw table."""
    batch_id = f"bench-company-{as_of:%Y%m%d}"
    rows, seconds = {}, {}
    with psycopg.connect(url, autocommit=True) as conn:
        # the generator's own session: big sorts and aggregates in memory, no fsync waits
        conn.execute("set work_mem = '256MB'")
        conn.execute("set synchronous_commit = off")
        started = time.perf_counter()
        parameters = _plan(conn, _parameters(shape, since, as_of))
        seconds["plan"] = round(time.perf_counter() - started, 1)
        for table in TABLES:
            name, started = f"{table.schema}.{table.name}", time.perf_counter()
            rows[name] = _merge(conn, table, parameters, batch_id, full=since is None)
            conn.execute(sql.SQL("analyze {}").format(sql.Identifier(table.schema, table.name)))
            seconds[name] = round(time.perf_counter() - started, 1)
    return rows, seconds


def _load_ecb_rates(url: str, first: date, last: date, batch_id: str) -> int:
    """The ECB's reference rates from ``first`` to ``last`` into raw_ecb.reference_rates, as
    its extract lands them (the CSV row's columns the staging model reads)."""
    rows = [
        (
            rate.currency,
            rate.day,
            json.dumps(
                {
                    "KEY": f"EXR.D.{rate.currency}.EUR.SP00.A",
                    "CURRENCY": rate.currency,
                    "TIME_PERIOD": rate.day.isoformat(),
                    "OBS_VALUE": rate.value,
                    "OBS_STATUS": "A",
                    "OBS_COM": "synthetic" if rate.synthetic else "",
                }
            ),
        )
        for rate in published(first, last)
    ]
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute(
            "delete from raw_ecb.reference_rates where rate_date between %s and %s", (first, last)
        )
        with conn.cursor().copy(
            "copy raw_ecb.reference_rates (currency_code, rate_date, record, is_deleted,"
            " _loaded_at, _batch_id) from stdin"
        ) as copy:
            for currency, day, record in rows:
                copy.write_row((currency, day, record, False, datetime.now(UTC), batch_id))
        conn.execute("analyze raw_ecb.reference_rates")
    return len(rows)


def load_company(url: str, size: Size) -> dict[str, Any]:
    """Empty the raw tables of the database at ``url`` and load the company of ``size`` as of
    END. Returns the shape, the rows loaded per table and the seconds."""
    started = time.perf_counter()
    shape = plan(size)
    with psycopg.connect(url, autocommit=True) as conn:
        for name in create_raw_tables(conn):
            schema, table = name.split(".")
            conn.execute(sql.SQL("truncate {}").format(sql.Identifier(schema, table)))
    rows, seconds = _load(url, shape, None, END)
    rows["raw_ecb.reference_rates"] = _load_ecb_rates(
        url, EcbSettings.model_fields["history_start"].default, END.date(), "bench-company-ecb"
    )
    return {
        "as_of": END.isoformat(),
        "size": asdict(size),
        "shape": asdict(shape),
        "raw_rows": rows,
        "seconds": round(time.perf_counter() - started, 1),
        "seconds_by_table": seconds,
    }


def add_company_day(url: str, size: Size) -> dict[str, Any]:
    """Merge the day after END into a company loaded by ``load_company`` with the same size:
    new people, touches and deals, stage, amount and close-date changes, a late-arriving
    membership, the ad platforms' restated days, a merged HubSpot contact and a re-opened deal
    in each CRM."""
    started = time.perf_counter()
    rows, _ = _load(url, plan(size), END, END + timedelta(days=1))
    rows["raw_ecb.reference_rates"] = _load_ecb_rates(
        url, END.date(), END.date() + timedelta(days=1), "bench-company-ecb-day"
    )
    return {
        "day": END.date().isoformat(),
        "raw_rows": rows,
        "seconds": round(time.perf_counter() - started, 1),
    }


# The benchmark's quota rows (seeds/quotas.csv format, README_quotas.md): defaults for every
# rep (a new rep ramps on them) and a quarterly one for Salesforce reps; each rep who was there
# from the start has own monthly rows, raised every January, in the team's currency; each
# CRM's last team (when it has several) has an explicit quota of its own.
QUOTA_ROWS = """
select 'rep', '*', date '2024-01-01', 'month', 250000, 'USD'
union all
select 'rep', 'salesforce:*', date '2024-01-01', 'quarter', 780000, 'USD'
union all
select 'rep', crm || ':' || owner_id, make_date(year, 1, 1), 'month',
    (240000 + 10000 * mod(rep_no, 6)) * (1 + 0.08 * (year - 2024)), currency
from plan_reps
cross join generate_series(2024, 2026) as year
where tenure = 1
union all
select distinct 'team', crm || ':' || team_id, date '2024-01-01', 'month',
    case crm when 'hubspot' then 1200000 else 1500000 end, currency
from plan_reps
where team_no = case crm when 'hubspot' then %(hubspot_teams)s else %(salesforce_teams)s end - 1
    and team_no > 0
"""


def load_company_quotas(url: str, size: Size) -> int:
    """Replace the rows of the quotas seed table (after ``dbt seed``) with the benchmark
    company's; returns how many."""
    parameters = _parameters(plan(size), None, END)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(UNIFORM)
        conn.execute(FUNCTIONS)
        conn.execute(PLAN_REPS, parameters)
        schema = conn.execute(
            "select table_schema from information_schema.tables where table_name = 'quotas'"
        ).fetchone()[0]
        table = sql.Identifier(schema, "quotas")
        with conn.transaction():
            conn.execute(sql.SQL("truncate {}").format(table))
            return conn.execute(
                sql.SQL(
                    "insert into {} (owner_type, owner_id, period_start, period_type, amount,"
                    " currency_code) {}"
                ).format(table, sql.SQL(QUOTA_ROWS)),
                parameters,
            ).rowcount
