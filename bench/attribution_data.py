"""A synthetic company for the attribution benchmark, generated in SQL into the raw tables.

``load_benchmark_company(url)`` fills ``raw_hubspot`` / ``raw_salesforce`` / ``raw_google_ads``
(layout: docs/raw_layout.md, tables made by the real loader's DDL) so that the real dbt chain
ends with about ``touchpoints`` rows in fct_touchpoints and ``conversions`` rows in the
attribution conversions (lead, mql, sql, opportunity, closed_won together):

* Salesforce: campaigns of every mapped type; leads, each entering through a campaign and
  touched by more over the next 180 days (campaign members: most of the touchpoints); some
  leads convert (a contact: the sql), some of those get an opportunity (primary contact role),
  some opportunities are won. A share of the leads have the email of a HubSpot contact (one
  person across both CRMs).
* HubSpot: contacts with a first visit (an ad click with gclid / fbclid / li_fat_id for paid
  sources) and a later latest source, and lifecycle dates (lead, mql, sql).
* Google Ads: the click_views the gclids point at, and daily campaign spend.

Every entity is a pure function of its index (hashed pseudo-random numbers), with event times
over SPAN_DAYS + 1 days: the full load is the world as of END, and ``add_benchmark_day`` merges
what changed in the following day (new touches, records and conversions), as the nightly
extract would. Nothing here is random between runs.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from extract.loader import _ensure_table  # the raw tables exactly as the extractors make them
from extract.registry import manifest, source_names

SOURCES = list(source_names())  # every registered source
END = datetime(2026, 3, 1, tzinfo=UTC)  # the full load is the world as of this instant
SPAN_DAYS = 730  # history before END
WORLD_DAYS = SPAN_DAYS + 1  # entities are spread over the history and the added day
MEMBER_SPREAD_DAYS = 180  # a lead's campaign touches fall in its first 180 days
CAMPAIGNS = 60
GOOGLE_CAMPAIGNS = 8
CUSTOMER_ID = 1234567890

# Shares of entities (by index, so exact): HubSpot lifecycle stages and Salesforce funnel.
HUBSPOT_LEAD, HUBSPOT_MQL, HUBSPOT_SQL = 0.50, 0.20, 0.08
SF_CONVERTED, SF_OPPORTUNITY, SF_WON, SF_LOST = 0.25, 0.20, 0.08, 0.05
HUBSPOT_SHARE_OF_CONVERSIONS = 0.25  # HubSpot contacts = this x conversions
OVERLAP_SHARE = 0.2  # Salesforce leads that are also a HubSpot contact (same email)


@dataclass(frozen=True)
class Shape:
    """Entity counts over the whole world (the full load sees about SPAN/WORLD of them)."""

    hubspot_contacts: int
    salesforce_leads: int
    campaign_members: int
    overlapping_leads: int


def plan(touchpoints: int, conversions: int) -> Shape:
    """Entity counts that give about ``touchpoints`` and ``conversions`` as of END.

    As of END: a HubSpot contact has a first touch and (unless its latest source comes after
    END) a latest one, and is a lead / mql / sql conversion by its index; a Salesforce lead is
    a lead conversion, and an sql / opportunity / won deal if that happened before END; a
    campaign member exists if its lead entered by END minus its offset. The fractions below
    are those expectations for uniform times over WORLD_DAYS.
    """
    seen = SPAN_DAYS / WORLD_DAYS
    hubspot = round(conversions * HUBSPOT_SHARE_OF_CONVERSIONS)
    hubspot_conversions = hubspot * (HUBSPOT_LEAD + HUBSPOT_MQL + HUBSPOT_SQL) * seen
    # sql ~60 days after the lead, opportunity ~5 later, won ~60 after that
    sf_per_lead = (
        seen
        + SF_CONVERTED * (SPAN_DAYS - 60) / WORLD_DAYS
        + SF_OPPORTUNITY * (SPAN_DAYS - 65) / WORLD_DAYS
        + SF_WON * (SPAN_DAYS - 125) / WORLD_DAYS
    )
    leads = max(1, round((conversions - hubspot_conversions) / sf_per_lead))
    hubspot_touches = hubspot * (seen + (SPAN_DAYS - 30) / WORLD_DAYS)
    member_seen = (SPAN_DAYS - MEMBER_SPREAD_DAYS / 2) / WORLD_DAYS
    members = max(leads, round((touchpoints - hubspot_touches) / member_seen))
    overlap = min(round(leads * OVERLAP_SHARE), hubspot // 2)
    return Shape(hubspot, leads, members, overlap)


# A uniform number in [0, 1) from (index, salt): 52 bits of PostgreSQL's seeded int8 hash.
UNIFORM = """
create or replace function pg_temp.u(i bigint, salt bigint) returns float8
language sql immutable as
$$ select (hashint8extended(i, salt) & 4503599627370495)::float8 / 4503599627370496.0 $$;
create or replace function pg_temp.iso(at timestamptz) returns text
language sql immutable as
$$ select to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
create or replace function pg_temp.sf(at timestamptz) returns text
language sql immutable as
$$ select to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"+0000"') $$;
create or replace function pg_temp.sf_id(prefix text, i bigint) returns text
language sql immutable as $$ select prefix || lpad(i::text, 15, '0') $$;
"""


# Parameters of every statement: %(start)s (END - SPAN_DAYS), %(world_days)s, %(since)s and
# %(as_of)s (rows whose last change is in [since, as_of)), and the Shape's counts.
def sf_stamps(created: str, modified: str | None = None) -> str:
    """A Salesforce record's audit fields (jsonb_build_object arguments) from SQL expressions."""
    modified = modified or created
    return (
        f"'CreatedDate', pg_temp.sf({created}),\n"
        f"        'LastModifiedDate', pg_temp.sf({modified}),\n"
        f"        'SystemModstamp', pg_temp.sf({modified}),\n"
        "        'IsDeleted', false"
    )


SF_LEAD_TIMES = f"""
select
    i as lead_index,
    %(start)s + pg_temp.u(i, 1) * %(world_days)s * interval '1 day' as created_at,
    pg_temp.u(i, 2) as funnel,
    case when pg_temp.u(i, 2) < {SF_CONVERTED}
        then %(start)s + (pg_temp.u(i, 1) * %(world_days)s + 30 + 60 * pg_temp.u(i, 3))
            * interval '1 day'
    end as converted_at,
    case when pg_temp.u(i, 2) < {SF_OPPORTUNITY}
        then %(start)s + (pg_temp.u(i, 1) * %(world_days)s + 30 + 60 * pg_temp.u(i, 3)
            + 10 * pg_temp.u(i, 4)) * interval '1 day'
    end as opportunity_at,
    case when pg_temp.u(i, 2) < {SF_WON + SF_LOST}
        then %(start)s + (pg_temp.u(i, 1) * %(world_days)s + 30 + 60 * pg_temp.u(i, 3)
            + 10 * pg_temp.u(i, 4) + 30 + 60 * pg_temp.u(i, 5)) * interval '1 day'
    end as closed_at,
    case when i <= %(overlapping_leads)s
        then 'hs' || ((i - 1) / 50 * 100 + 50 + (i - 1) %% 50 + 1) || '@bench.example'
        else 'sf' || i || '@bench.example'
    end as email
from generate_series(1, %(salesforce_leads)s) as i
"""

LEADS = f"""
with leads as ({SF_LEAD_TIMES}),
stated as (
    select *, converted_at < %(as_of)s as is_converted,
        greatest(created_at, case when converted_at < %(as_of)s then converted_at end)
            as modified_at
    from leads
    where created_at < %(as_of)s
)
select
    pg_temp.sf_id('00Q', lead_index) as lead_id,
    jsonb_build_object(
        'attributes', jsonb_build_object('type', 'Lead'),
        'Id', pg_temp.sf_id('00Q', lead_index),
        'FirstName', 'Lead', 'LastName', 'No ' || lead_index,
        'Email', email,
        'Company', 'Company ' || (lead_index %% 5000),
        'Country', 'US',
        'Status', case when is_converted then 'Closed - Converted' else 'Working' end,
        'LeadSource', null,
        'OwnerId', '005000000000000001',
        'IsConverted', is_converted,
        'ConvertedDate', case when is_converted then to_char(converted_at, 'YYYY-MM-DD') end,
        'ConvertedContactId', case when is_converted then pg_temp.sf_id('003', lead_index) end,
        'ConvertedAccountId', case when is_converted then pg_temp.sf_id('001', lead_index) end,
        'ConvertedOpportunityId', null,
        {sf_stamps("created_at", "modified_at")}
    ) as record,
    modified_at
from stated
"""

CONTACTS = f"""
with leads as ({SF_LEAD_TIMES})
select
    pg_temp.sf_id('003', lead_index) as contact_id,
    jsonb_build_object(
        'attributes', jsonb_build_object('type', 'Contact'),
        'Id', pg_temp.sf_id('003', lead_index),
        'AccountId', pg_temp.sf_id('001', lead_index),
        'FirstName', 'Lead', 'LastName', 'No ' || lead_index,
        'Email', email,
        'Title', 'Buyer',
        'LeadSource', null,
        'OwnerId', '005000000000000001',
        {sf_stamps("converted_at")}
    ) as record,
    converted_at as modified_at
from leads
where converted_at < %(as_of)s
"""

OPPORTUNITIES = f"""
with leads as ({SF_LEAD_TIMES}),
stated as (
    select *,
        closed_at < %(as_of)s as is_closed,
        closed_at < %(as_of)s and funnel < {SF_WON} as is_won,
        greatest(opportunity_at, case when closed_at < %(as_of)s then closed_at end)
            as modified_at
    from leads
    where opportunity_at < %(as_of)s
)
select
    pg_temp.sf_id('006', lead_index) as opportunity_id,
    jsonb_build_object(
        'attributes', jsonb_build_object('type', 'Opportunity'),
        'Id', pg_temp.sf_id('006', lead_index),
        'AccountId', pg_temp.sf_id('001', lead_index),
        'Name', 'Deal ' || lead_index,
        'Amount', round((5000 + 95000 * pg_temp.u(lead_index, 6))::numeric, 2),
        'CurrencyIsoCode', 'USD',
        'StageName', case when is_won then 'Closed Won' when is_closed then 'Closed Lost'
            else 'Qualification' end,
        'Probability', case when is_won then 100 when is_closed then 0 else 20 end,
        'ForecastCategoryName', case when is_won then 'Closed' when is_closed then 'Omitted'
            else 'Pipeline' end,
        'CloseDate', to_char(
            coalesce(closed_at, opportunity_at + interval '60 days'), 'YYYY-MM-DD'
        ),
        'IsClosed', is_closed,
        'IsWon', is_won,
        'OwnerId', '005000000000000001',
        'LeadSource', null,
        'CampaignId', null,
        'Type', 'New Business',
        {sf_stamps("opportunity_at", "modified_at")}
    ) as record,
    modified_at
from stated
"""

CONTACT_ROLES = f"""
with leads as ({SF_LEAD_TIMES})
select
    pg_temp.sf_id('00K', lead_index) as opportunity_contact_role_id,
    jsonb_build_object(
        'attributes', jsonb_build_object('type', 'OpportunityContactRole'),
        'Id', pg_temp.sf_id('00K', lead_index),
        'OpportunityId', pg_temp.sf_id('006', lead_index),
        'ContactId', pg_temp.sf_id('003', lead_index),
        'Role', 'Decision Maker',
        'IsPrimary', true,
        {sf_stamps("opportunity_at")}
    ) as record,
    opportunity_at as modified_at
from leads
where opportunity_at < %(as_of)s
"""

# Campaign k: its type decides the channel (seeds/channel_mapping.csv maps lower(Type)).
CAMPAIGN_NAMES = f"""
select
    k as campaign_index,
    (array['Email', 'Webinar', 'Trade Show', 'Advertisement', 'Partners'])[1 + k %% 5]
        as campaign_type,
    case when k %% 5 = 3
        then (array['Google Search', 'LinkedIn Sponsored', 'Display Network'])[1 + k / 5 %% 3]
            || ' ' || k
        else 'Campaign ' || k
    end as campaign_name
from generate_series(1, {CAMPAIGNS}) as k
"""

CAMPAIGNS_SQL = f"""
with campaigns as ({CAMPAIGN_NAMES})
select
    pg_temp.sf_id('701', campaign_index) as campaign_id,
    jsonb_build_object(
        'attributes', jsonb_build_object('type', 'Campaign'),
        'Id', pg_temp.sf_id('701', campaign_index),
        'Name', campaign_name,
        'Type', campaign_type,
        'Status', 'In Progress',
        'IsActive', true,
        'StartDate', to_char(%(start)s - interval '30 days', 'YYYY-MM-DD'),
        'EndDate', null,
        'BudgetedCost', 10000,
        'ActualCost', 9000,
        'CurrencyIsoCode', 'USD',
        'ParentId', null,
        {sf_stamps("%(start)s - interval '30 days'")}
    ) as record,
    %(start)s - interval '30 days' as modified_at
from campaigns
"""

# Member k <= leads is lead k's first touch (at its creation); the others touch a lead at a
# random time in its first MEMBER_SPREAD_DAYS, in a campaign skewed towards low numbers.
MEMBERS = f"""
with members as (
    select
        k as member_index,
        lead_index,
        %(start)s + (pg_temp.u(lead_index, 1) * %(world_days)s
            + case when k <= %(salesforce_leads)s then 0
                else {MEMBER_SPREAD_DAYS} * pg_temp.u(k, 12) end) * interval '1 day'
            as created_at,
        1 + floor(power(pg_temp.u(k, 13), 1.5) * {CAMPAIGNS})::int as campaign_index
    from generate_series(1, %(campaign_members)s) as k
    cross join lateral (
        select case when k <= %(salesforce_leads)s then k
            else 1 + floor(pg_temp.u(k, 11) * %(salesforce_leads)s)::bigint end as lead_index
    ) as chosen
)
select
    pg_temp.sf_id('00v', member_index) as campaign_member_id,
    jsonb_build_object(
        'attributes', jsonb_build_object('type', 'CampaignMember'),
        'Id', pg_temp.sf_id('00v', member_index),
        'CampaignId', pg_temp.sf_id('701', campaign_index),
        'LeadId', pg_temp.sf_id('00Q', lead_index),
        'ContactId', null,
        'LeadOrContactId', pg_temp.sf_id('00Q', lead_index),
        'Status', 'Responded',
        'HasResponded', true,
        'FirstRespondedDate', to_char(created_at, 'YYYY-MM-DD'),
        {sf_stamps("created_at")}
    ) as record,
    created_at as modified_at
from members
"""

# HubSpot analytics sources (hs_analytics_source) with their drill-down and click id.
HUBSPOT_TIMES = f"""
select
    h as contact_index,
    %(start)s + pg_temp.u(h, 21) * %(world_days)s * interval '1 day' as created_at,
    %(start)s + (pg_temp.u(h, 21) * %(world_days)s - 30 * pg_temp.u(h, 22)) * interval '1 day'
        as first_visited_at,
    %(start)s + (pg_temp.u(h, 21) * %(world_days)s + 60 * pg_temp.u(h, 23)) * interval '1 day'
        as latest_source_at,
    (h - 1) %% 100 < {round(HUBSPOT_LEAD * 100)} as is_lead,
    (h - 1) %% 100 < {round(HUBSPOT_MQL * 100)} as is_mql,
    (h - 1) %% 100 < {round(HUBSPOT_SQL * 100)} as is_sql,
    (array['PAID_SEARCH', 'PAID_SOCIAL', 'ORGANIC_SEARCH', 'EMAIL_MARKETING', 'REFERRALS',
        'DIRECT_TRAFFIC', 'SOCIAL_MEDIA', 'PAID_SOCIAL'])[1 + h %% 8] as first_source,
    (array['google', 'facebook', 'google', 'newsletter', 'partner.example', null,
        'twitter', 'linkedin'])[1 + h %% 8] as first_detail,
    (array['ORGANIC_SEARCH', 'EMAIL_MARKETING', 'DIRECT_TRAFFIC', 'REFERRALS', 'PAID_SEARCH',
        'OFFLINE', 'SOCIAL_MEDIA'])[1 + (h * 3) %% 7] as latest_source,
    (array['bing', 'newsletter', null, 'partner.example', 'google', 'IMPORT',
        'linkedin'])[1 + (h * 3) %% 7] as latest_detail,
    1 + h %% {GOOGLE_CAMPAIGNS} as google_campaign_index
from generate_series(1, %(hubspot_contacts)s) as h
"""

HUBSPOT_CONTACTS = f"""
with contacts as ({HUBSPOT_TIMES}),
stated as (
    select *,
        case when is_lead then created_at end as lead_at,
        case when is_mql then created_at + interval '3 days' end as mql_at,
        case when is_sql then created_at + interval '10 days' end as sql_at,
        case when first_source = 'PAID_SEARCH' then 'bench-gclid-' || contact_index end
            as gclid,
        case when first_detail = 'facebook' then 'bench-fbclid-' || contact_index end
            as fbclid,
        case when first_detail = 'linkedin' then 'bench-li-' || contact_index end as li_fat_id
    from contacts
    where created_at < %(as_of)s
),
dated as (
    select *,
        case when lead_at < %(as_of)s then lead_at end as known_lead_at,
        case when mql_at < %(as_of)s then mql_at end as known_mql_at,
        case when sql_at < %(as_of)s then sql_at end as known_sql_at,
        case when latest_source_at < %(as_of)s then latest_source_at end as known_latest_at
    from stated
),
final as (
    select *,
        greatest(created_at, known_lead_at, known_mql_at, known_sql_at, known_latest_at)
            as modified_at
    from dated
)
select
    contact_index as contact_id,
    jsonb_build_object(
        'id', contact_index::text,
        'properties', jsonb_build_object(
            'email', 'hs' || contact_index || '@bench.example',
            'firstname', 'Contact',
            'lastname', 'No ' || contact_index,
            'createdate', pg_temp.iso(created_at),
            'lastmodifieddate', pg_temp.iso(modified_at),
            'lifecyclestage', case when known_sql_at is not null then 'salesqualifiedlead'
                when known_mql_at is not null then 'marketingqualifiedlead'
                when known_lead_at is not null then 'lead' else 'subscriber' end,
            'hs_lifecyclestage_lead_date', pg_temp.iso(known_lead_at),
            'hs_lifecyclestage_marketingqualifiedlead_date', pg_temp.iso(known_mql_at),
            'hs_lifecyclestage_salesqualifiedlead_date', pg_temp.iso(known_sql_at),
            'hs_analytics_source', first_source,
            'hs_analytics_source_data_1', first_detail,
            'hs_analytics_first_timestamp', pg_temp.iso(first_visited_at),
            'hs_analytics_first_url', case when gclid is not null
                then 'https://bench.example/?utm_source=google&utm_medium=cpc&utm_campaign=search_'
                    || google_campaign_index
                else 'https://bench.example/' end,
            'hs_latest_source', case when known_latest_at is not null then latest_source end,
            'hs_latest_source_data_1',
                case when known_latest_at is not null then latest_detail end,
            'hs_latest_source_timestamp', pg_temp.iso(known_latest_at),
            'hs_google_click_id', gclid,
            'hs_facebook_click_id', fbclid,
            'li_fat_id', li_fat_id,
            'country', 'US'
        ),
        'createdAt', pg_temp.iso(created_at),
        'updatedAt', pg_temp.iso(modified_at),
        'archived', false
    ) as record,
    modified_at
from final
"""

GOOGLE_CUSTOMERS = f"""
select
    {CUSTOMER_ID}::bigint as customer_id,
    jsonb_build_object('customer', jsonb_build_object(
        'id', '{CUSTOMER_ID}', 'descriptiveName', 'Bench', 'currencyCode', 'USD',
        'timeZone', 'Etc/UTC', 'manager', false
    )) as record,
    %(start)s - interval '30 days' as modified_at
"""

GOOGLE_CAMPAIGNS_SQL = f"""
select
    {CUSTOMER_ID}::bigint as customer_id,
    c::bigint as campaign_id,
    jsonb_build_object(
        'customer', jsonb_build_object('id', '{CUSTOMER_ID}'),
        'campaign', jsonb_build_object('id', c::text, 'name', 'search_' || c,
            'status', 'ENABLED', 'advertisingChannelType', 'SEARCH')
    ) as record,
    %(start)s - interval '30 days' as modified_at
from generate_series(1, {GOOGLE_CAMPAIGNS}) as c
"""

GOOGLE_SPEND = f"""
select
    {CUSTOMER_ID}::bigint as customer_id,
    c::bigint as campaign_id,
    day::date as metric_date,
    jsonb_build_object(
        'customer', jsonb_build_object('id', '{CUSTOMER_ID}', 'currencyCode', 'USD'),
        'campaign', jsonb_build_object('id', c::text, 'name', 'search_' || c),
        'segments', jsonb_build_object('date', to_char(day, 'YYYY-MM-DD')),
        'metrics', jsonb_build_object(
            'costMicros', (50000000 + floor(pg_temp.u(c * 100000 + (day::date - date '2000-01-01'),
                31) * 450000000)::bigint)::text,
            'impressions', '1000', 'clicks', '40', 'conversions', 2, 'conversionsValue', 0
        )
    ) as record,
    day as modified_at
from generate_series(1, {GOOGLE_CAMPAIGNS}) as c
cross join generate_series(%(start)s, %(as_of)s - interval '1 day', interval '1 day') as day
"""

CLICK_VIEWS = f"""
with contacts as ({HUBSPOT_TIMES})
select
    {CUSTOMER_ID}::bigint as customer_id,
    'bench-gclid-' || contact_index as gclid,
    (first_visited_at at time zone 'UTC')::date as click_date,
    jsonb_build_object(
        'customer', jsonb_build_object('id', '{CUSTOMER_ID}'),
        'clickView', jsonb_build_object('gclid', 'bench-gclid-' || contact_index,
            'adGroupAd', 'customers/{CUSTOMER_ID}/adGroupAds/' || google_campaign_index || '~1'),
        'campaign', jsonb_build_object('id', google_campaign_index::text),
        'adGroup', jsonb_build_object('id', google_campaign_index::text),
        'segments', jsonb_build_object(
            'date', to_char(first_visited_at at time zone 'UTC', 'YYYY-MM-DD'),
            'clickType', 'URL_CLICKS', 'device', 'DESKTOP'),
        'metrics', jsonb_build_object('clicks', '1')
    ) as record,
    created_at as modified_at
from contacts
where first_source = 'PAID_SEARCH' and created_at < %(as_of)s
"""

# (schema, table, key columns, select): each select yields the keys, record and modified_at.
TABLES: list[tuple[str, str, tuple[str, ...], str]] = [
    ("raw_salesforce", "campaigns", ("campaign_id",), CAMPAIGNS_SQL),
    ("raw_salesforce", "leads", ("lead_id",), LEADS),
    ("raw_salesforce", "contacts", ("contact_id",), CONTACTS),
    ("raw_salesforce", "opportunities", ("opportunity_id",), OPPORTUNITIES),
    (
        "raw_salesforce",
        "opportunity_contact_roles",
        ("opportunity_contact_role_id",),
        CONTACT_ROLES,
    ),
    ("raw_salesforce", "campaign_members", ("campaign_member_id",), MEMBERS),
    ("raw_hubspot", "contacts", ("contact_id",), HUBSPOT_CONTACTS),
    ("raw_google_ads", "customers", ("customer_id",), GOOGLE_CUSTOMERS),
    ("raw_google_ads", "campaigns", ("customer_id", "campaign_id"), GOOGLE_CAMPAIGNS_SQL),
    (
        "raw_google_ads",
        "campaign_daily_metrics",
        ("customer_id", "campaign_id", "metric_date"),
        GOOGLE_SPEND,
    ),
    ("raw_google_ads", "click_views", ("customer_id", "gclid", "click_date"), CLICK_VIEWS),
]


def create_raw_tables(conn: psycopg.Connection) -> list[str]:
    """Every raw table of every source, as the real loader creates it; returns their names."""
    names = []
    for source in SOURCES:
        found = manifest(source)
        # only the streams' names and keys are used: no credentials, nothing fetched
        for stream in found.build_streams(found.settings.model_construct()):
            _ensure_table(conn, f"raw_{source}", stream)
            names.append(f"raw_{source}.{stream.entity}")
    return names


def _parameters(shape: Shape, since: datetime | None, as_of: datetime) -> dict[str, Any]:
    return {
        **asdict(shape),
        "start": END - timedelta(days=SPAN_DAYS),
        "world_days": WORLD_DAYS,
        "since": since or datetime(1970, 1, 1, tzinfo=UTC),
        "as_of": as_of,
    }


def _merge(
    conn: psycopg.Connection,
    schema: str,
    table: str,
    keys: tuple[str, ...],
    select: str,
    parameters: dict[str, Any],
    batch_id: str,
) -> int:
    """Replace the rows of ``select`` changed in [since, as_of) by key, as the loader's merge."""
    key_list = sql.SQL(", ").join(map(sql.Identifier, keys))
    target = sql.Identifier(schema, table)
    conn.execute("drop table if exists pg_temp.bench_batch")
    conn.execute(
        sql.SQL(
            "create temp table bench_batch as select * from ({}) as generated"
            " where modified_at >= %(since)s and modified_at < %(as_of)s"
        ).format(sql.SQL(select)),
        parameters,
    )
    conn.execute(
        sql.SQL("delete from {} as raw using bench_batch where {}").format(
            target,
            sql.SQL(" and ").join(
                sql.SQL("raw.{key} = bench_batch.{key}").format(key=sql.Identifier(key))
                for key in keys
            ),
        )
    )
    cursor = conn.execute(
        sql.SQL(
            "insert into {} ({}, record, is_deleted, _loaded_at, _batch_id)"
            " select {}, record, false, now(), %s from bench_batch"
        ).format(target, key_list, key_list),
        (batch_id,),
    )
    return cursor.rowcount


def _load(url: str, shape: Shape, since: datetime | None, as_of: datetime) -> dict[str, int]:
    batch_id = f"bench-{as_of:%Y%m%d}"
    rows = {}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("set max_parallel_workers_per_gather = 0")
        conn.execute(UNIFORM)
        with conn.transaction():
            for schema, table, keys, select in TABLES:
                parameters = _parameters(shape, since, as_of)
                rows[f"{schema}.{table}"] = _merge(
                    conn, schema, table, keys, select, parameters, batch_id
                )
        for schema, table, _, _ in TABLES:
            conn.execute(sql.SQL("analyze {}").format(sql.Identifier(schema, table)))
    return rows


def load_benchmark_company(
    url: str, touchpoints: int = 1_000_000, conversions: int = 100_000
) -> dict[str, Any]:
    """Empty the raw tables of the database at ``url`` and load the benchmark company as of
    END (about ``touchpoints`` touchpoints and ``conversions`` conversions once dbt has built
    the attribution models). Returns the shape, the rows loaded per table and the seconds."""
    started = time.perf_counter()
    shape = plan(touchpoints, conversions)
    with psycopg.connect(url, autocommit=True) as conn:
        tables = create_raw_tables(conn)
        for name in tables:
            schema, table = name.split(".")
            conn.execute(sql.SQL("truncate {}").format(sql.Identifier(schema, table)))
    rows = _load(url, shape, None, END)
    return {
        "as_of": END.isoformat(),
        "shape": asdict(shape),
        "raw_rows": rows,
        "seconds": round(time.perf_counter() - started, 1),
    }


def add_benchmark_day(
    url: str, touchpoints: int = 1_000_000, conversions: int = 100_000
) -> dict[str, Any]:
    """Merge the day after END into a company loaded by ``load_benchmark_company`` with the
    same arguments: new records and touches, and records that changed (conversions)."""
    started = time.perf_counter()
    shape = plan(touchpoints, conversions)
    rows = _load(url, shape, END, END + timedelta(days=1))
    return {
        "day": END.date().isoformat(),
        "raw_rows": rows,
        "seconds": round(time.perf_counter() - started, 1),
    }
