/*
    The funnel per lead cohort (month the person became a lead) x channel (the first touch
    of the person's lead journey; 'unattributed' without one). A person counts at a stage
    once: mql, sql; opportunity and won from the deals it is the primary contact of (its
    first). Each rate is over the people who reached the previous stage (so a Salesforce
    lead, which has no mql, counts in lead-to-mql but not in mql-to-sql). Median days between
    consecutive stages, over the people who reached both.
*/
with

conversions as (

    select * from {{ ref('int_attribution_conversions') }}
    where contact_id is not null

),

journeys as (

    select * from {{ ref('int_attribution_journeys') }}
    where
        conversion_type = 'lead'
        and attribution_scope = 'contact'  -- a lead is one person's: it has no account scope
        and (touch_number = 1 or touchpoint_id is null)

),

people as (

    select
        contact_id,
        min(converted_at) filter (where conversion_type = 'lead') as lead_at,
        min(converted_at) filter (where conversion_type = 'mql') as mql_at,
        min(converted_at) filter (where conversion_type = 'sql') as sql_at,
        min(converted_at) filter (where conversion_type = 'opportunity') as opportunity_at,
        min(converted_at) filter (where conversion_type = 'closed_won') as won_at
    from conversions
    group by contact_id

),

cohorts as (

    select
        cast(date_trunc('month', people.lead_at at time zone 'UTC') as date) as cohort_month,
        journeys.channel,
        people.lead_at,
        people.mql_at,
        people.sql_at,
        people.opportunity_at,
        people.won_at
    from people
    inner join journeys
        on people.contact_id = journeys.contact_id
    where people.lead_at is not null

),

aggregated as (

    select
        cohort_month,
        channel,
        count(*) as leads,
        count(mql_at) as mqls,
        count(sql_at) as sqls,
        count(opportunity_at) as opportunities,
        count(won_at) as won_deals,
        count(*) filter (where mql_at is not null and sql_at is not null) as mql_to_sql_count,
        count(*) filter (where sql_at is not null and opportunity_at is not null)
            as sql_to_opportunity_count,
        count(*) filter (where opportunity_at is not null and won_at is not null)
            as opportunity_to_won_count,
        percentile_cont(0.5) within group (
            order by extract(epoch from mql_at - lead_at) / 86400.0
        ) as median_days_lead_to_mql,
        percentile_cont(0.5) within group (
            order by extract(epoch from sql_at - mql_at) / 86400.0
        ) as median_days_mql_to_sql,
        percentile_cont(0.5) within group (
            order by extract(epoch from opportunity_at - sql_at) / 86400.0
        ) as median_days_sql_to_opportunity,
        percentile_cont(0.5) within group (
            order by extract(epoch from won_at - opportunity_at) / 86400.0
        ) as median_days_opportunity_to_won,
        percentile_cont(0.5) within group (
            order by extract(epoch from won_at - lead_at) / 86400.0
        ) as median_days_lead_to_won
    from cohorts
    group by cohort_month, channel

),

final as (

    select
        {{ key_from(['cohort_month', 'channel']) }} as funnel_key,
        cohort_month,
        channel,
        cast(leads as integer) as leads,
        cast(mqls as integer) as mqls,
        cast(sqls as integer) as sqls,
        cast(opportunities as integer) as opportunities,
        cast(won_deals as integer) as won_deals,
        cast(mqls as numeric) / nullif(leads, 0) as lead_to_mql_rate,
        cast(mql_to_sql_count as numeric) / nullif(mqls, 0) as mql_to_sql_rate,
        cast(sql_to_opportunity_count as numeric) / nullif(sqls, 0) as sql_to_opportunity_rate,
        cast(opportunity_to_won_count as numeric) / nullif(opportunities, 0)
            as opportunity_to_won_rate,
        cast(opportunities as numeric) / nullif(leads, 0) as lead_to_opportunity_rate,
        cast(won_deals as numeric) / nullif(leads, 0) as lead_to_won_rate,
        cast(median_days_lead_to_mql as numeric) as median_days_lead_to_mql,
        cast(median_days_mql_to_sql as numeric) as median_days_mql_to_sql,
        cast(median_days_sql_to_opportunity as numeric) as median_days_sql_to_opportunity,
        cast(median_days_opportunity_to_won as numeric) as median_days_opportunity_to_won,
        cast(median_days_lead_to_won as numeric) as median_days_lead_to_won
    from aggregated

)

select * from final
