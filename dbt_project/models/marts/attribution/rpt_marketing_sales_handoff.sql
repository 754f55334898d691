/*
    The marketing-to-sales handoff per month x channel. Channel: for people, the first touch
    of their lead journey; for deals, their source channel (int_deal_source_channels).
    * leads / lead_to_opportunity_rate: people who became leads that month, and the share of
      them that became the primary contact of an opportunity (so far);
    * mqls / median_days_mql_to_first_sales_activity: people who became MQLs that month and
      the median days to their first outbound sales activity at or after the MQL (a call or
      email a rep logged in either CRM, fct_activities), over those who had one;
    * pipeline: deals created that month (reporting currency), marketing-sourced (a
      marketing touch of the primary contact in the lookback window before the deal was
      created) or sales-sourced (none: channel 'unattributed'); revenue: the same for deals
      won that month.
*/
with

conversions as (

    select * from {{ ref('int_attribution_conversions') }}
    where contact_id is not null

),

lead_journeys as (

    select * from {{ ref('int_attribution_journeys') }}
    where conversion_type = 'lead' and (touch_number = 1 or touchpoint_id is null)

),

activities as (

    select * from {{ ref('fct_activities') }}
    where direction = 'outbound' and contact_id is not null

),

-- each MQL's first outbound sales activity at or after it (one MQL conversion per person)
first_sales_activities as (

    select
        conversions.contact_id,
        min(activities.occurred_at) as first_sales_activity_at
    from conversions
    inner join activities
        on
            conversions.contact_id = activities.contact_id
            and activities.occurred_at >= conversions.converted_at
    where conversions.conversion_type = 'mql'
    group by conversions.contact_id

),

-- fct_deals carries each deal's source channel (int_deal_source_channels, one row per deal)
deals as (

    select * from {{ ref('fct_deals') }}

),

-- Each lead-journey row (its first touch, or its no-touch row) with its person's conversion
-- dates and first sales activity, gathered by one sort of the three inputs per person rather
-- than joins: no plan here hinges on a row estimate (a nested loop over the journeys took 101 s
-- one night without statistics). A row needs its person to have a conversion, as the inner
-- join it replaces did.
contact_events as (

    select
        contact_id,
        'conversion' as event_source,
        conversion_type,
        converted_at as event_at,
        null as channel
    from conversions
    union all
    select
        contact_id,
        'lead_journey' as event_source,
        null as conversion_type,
        null as event_at,
        channel
    from lead_journeys
    where contact_id is not null
    union all
    select
        contact_id,
        'sales_activity' as event_source,
        null as conversion_type,
        first_sales_activity_at as event_at,
        null as channel
    from first_sales_activities

),

contact_facts as (

    select
        contact_id,
        event_source,
        channel,
        count(*) filter (where event_source = 'conversion') over people as conversions,
        min(event_at) filter (
            where event_source = 'conversion' and conversion_type = 'lead'
        ) over people as lead_at,
        min(event_at) filter (
            where event_source = 'conversion' and conversion_type = 'mql'
        ) over people as mql_at,
        min(event_at) filter (
            where event_source = 'conversion' and conversion_type = 'opportunity'
        ) over people as opportunity_at,
        min(event_at) filter (where event_source = 'sales_activity') over people
            as first_sales_activity_at
    from contact_events
    window people as (partition by contact_id)

),

people_channels as (

    select
        contact_id,
        lead_at,
        mql_at,
        opportunity_at,
        channel,
        -- after the person's first MQL (a later MQL's activity says nothing about this one)
        case
            when first_sales_activity_at >= mql_at then first_sales_activity_at
        end as first_sales_activity_at
    from contact_facts
    where event_source = 'lead_journey' and conversions > 0

),

lead_months as (

    select
        cast(date_trunc('month', lead_at at time zone 'UTC') as date) as period_month,
        channel,
        count(*) as leads,
        count(opportunity_at) as leads_with_opportunity
    from people_channels
    where lead_at is not null
    group by period_month, channel

),

mql_months as (

    select
        cast(date_trunc('month', mql_at at time zone 'UTC') as date) as period_month,
        channel,
        count(*) as mqls,
        count(first_sales_activity_at) as mqls_with_sales_activity,
        percentile_cont(0.5) within group (
            order by extract(epoch from first_sales_activity_at - mql_at) / 86400.0
        ) as median_days_mql_to_first_sales_activity
    from people_channels
    where mql_at is not null
    group by period_month, channel

),

deal_channels as (

    select
        deal_key,
        created_at,
        closed_at,
        is_won,
        amount_reporting,
        source_channel as channel,
        is_marketing_sourced
    from deals

),

pipeline_months as (

    select
        cast(date_trunc('month', created_at at time zone 'UTC') as date) as period_month,
        channel,
        count(*) filter (where is_marketing_sourced) as marketing_sourced_deals,
        count(*) filter (where not is_marketing_sourced) as sales_sourced_deals,
        coalesce(sum(amount_reporting) filter (where is_marketing_sourced), 0)
            as marketing_sourced_pipeline,
        coalesce(sum(amount_reporting) filter (where not is_marketing_sourced), 0)
            as sales_sourced_pipeline
    from deal_channels
    where created_at is not null
    group by period_month, channel

),

revenue_months as (

    select
        cast(date_trunc('month', closed_at at time zone 'UTC') as date) as period_month,
        channel,
        coalesce(sum(amount_reporting) filter (where is_marketing_sourced), 0)
            as marketing_sourced_revenue,
        coalesce(sum(amount_reporting) filter (where not is_marketing_sourced), 0)
            as sales_sourced_revenue
    from deal_channels
    where is_won and closed_at is not null
    group by period_month, channel

),

spine as (

    select
        period_month,
        channel
    from lead_months
    union
    select
        period_month,
        channel
    from mql_months
    union
    select
        period_month,
        channel
    from pipeline_months
    union
    select
        period_month,
        channel
    from revenue_months

),

final as (

    select
        {{ key_from(['spine.period_month', 'spine.channel']) }} as handoff_key,
        spine.period_month,
        spine.channel,
        cast(coalesce(lead_months.leads, 0) as integer) as leads,
        cast(coalesce(lead_months.leads_with_opportunity, 0) as integer)
            as leads_with_opportunity,
        cast(lead_months.leads_with_opportunity as numeric)
        / nullif(lead_months.leads, 0) as lead_to_opportunity_rate,
        cast(coalesce(mql_months.mqls, 0) as integer) as mqls,
        cast(coalesce(mql_months.mqls_with_sales_activity, 0) as integer)
            as mqls_with_sales_activity,
        cast(mql_months.median_days_mql_to_first_sales_activity as numeric)
            as median_days_mql_to_first_sales_activity,
        cast(coalesce(pipeline_months.marketing_sourced_deals, 0) as integer)
            as marketing_sourced_deals,
        cast(coalesce(pipeline_months.sales_sourced_deals, 0) as integer)
            as sales_sourced_deals,
        cast(coalesce(pipeline_months.marketing_sourced_pipeline, 0) as numeric)
            as marketing_sourced_pipeline,
        cast(coalesce(pipeline_months.sales_sourced_pipeline, 0) as numeric)
            as sales_sourced_pipeline,
        cast(coalesce(revenue_months.marketing_sourced_revenue, 0) as numeric)
            as marketing_sourced_revenue,
        cast(coalesce(revenue_months.sales_sourced_revenue, 0) as numeric)
            as sales_sourced_revenue,
        {{ currency_var('reporting_currency') }} as reporting_currency_code
    from spine
    left join lead_months
        on spine.period_month = lead_months.period_month and spine.channel = lead_months.channel
    left join mql_months
        on spine.period_month = mql_months.period_month and spine.channel = mql_months.channel
    left join pipeline_months
        on
            spine.period_month = pipeline_months.period_month
            and spine.channel = pipeline_months.channel
    left join revenue_months
        on
            spine.period_month = revenue_months.period_month
            and spine.channel = revenue_months.channel

)

select * from final
