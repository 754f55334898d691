{{ config(materialized='table') }}
/*
    The conversions attribution credits, one row each:
    * lead, mql, sql: once per person, at the earliest such moment of any of its records
      (HubSpot lifecycle dates; a Salesforce lead's or contact's creation is a lead, a
      converted lead's conversion an sql; Salesforce has no mql);
    * opportunity: once per deal, at its creation; closed_won: once per won deal, at its
      close. The deal's person is its primary contact (a primary-flagged association, else
      the associated contact whose opportunity date is nearest the deal's creation, else the
      earliest created); a deal without one keeps a null contact_id (unattributed, not lost).
    lead_at and deal_created_at are the w_shaped milestones of the conversion's person / deal.
*/
with

records as (

    select * from {{ ref('int_attribution_contact_records') }}
    where is_counted

),

deals as (

    select * from {{ ref('int_deals_unioned') }}

),

deal_contacts as (

    select * from {{ ref('int_attribution_deal_contacts') }}

),

people as (

    select
        contact_id,
        min(lead_at) as lead_at,
        min(mql_at) as mql_at,
        min(sql_at) as sql_at
    from records
    group by contact_id

),

ranked_deal_contacts as (

    select
        deals.deal_key,
        records.contact_id,
        row_number() over (
            partition by deals.deal_key
            order by
                deal_contacts.is_primary desc,
                abs(extract(epoch from records.opportunity_at - deals.created_at)) nulls last,
                records.created_at asc,
                records.record_key asc
        ) as contact_rank
    from deals
    inner join deal_contacts
        on deals.deal_key = deal_contacts.deal_key
    inner join records
        on deal_contacts.record_key = records.record_key

),

deal_people as (

    select
        deals.deal_key,
        deals.deal_id,
        deals.crm,
        deals.created_at,
        deals.close_at,
        deals.is_won,
        ranked_deal_contacts.contact_id
    from deals
    left join ranked_deal_contacts
        on
            deals.deal_key = ranked_deal_contacts.deal_key
            and ranked_deal_contacts.contact_rank = 1

),

person_conversions as (

    select
        stage_events.conversion_type || ':' || people.contact_id as conversion_id,
        stage_events.conversion_type,
        people.contact_id,
        cast(null as text) as deal_key,
        cast(null as text) as deal_id,
        stage_events.converted_at,
        people.lead_at,
        cast(null as timestamptz) as deal_created_at
    from people
    cross join
        lateral (
            values
            ('lead', people.lead_at),
            ('mql', people.mql_at),
            ('sql', people.sql_at)
        ) as stage_events (conversion_type, converted_at)
    where stage_events.converted_at is not null

),

deal_conversions as (

    select
        stage_events.conversion_type || ':' || deal_people.deal_key as conversion_id,
        stage_events.conversion_type,
        deal_people.contact_id,
        deal_people.deal_key,
        deal_people.deal_id,
        stage_events.converted_at,
        people.lead_at,
        deal_people.created_at as deal_created_at
    from deal_people
    left join people
        on deal_people.contact_id = people.contact_id
    cross join
        lateral (
            values
            ('opportunity', deal_people.created_at),
            ('closed_won', case when deal_people.is_won then deal_people.close_at end)
        ) as stage_events (conversion_type, converted_at)
    where stage_events.converted_at is not null

),

final as (

    select * from person_conversions
    union all
    select * from deal_conversions

)

select * from final
