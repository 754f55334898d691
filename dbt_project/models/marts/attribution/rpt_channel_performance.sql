/*
    Channel performance per period (day and month) x channel x attribution model: ad spend
    (reporting currency; ad platforms only, mapped to a channel as their clicks are), the
    credited conversions of each type, pipeline and revenue credited, and the cost ratios.
    Spend does not depend on the model: each model's row carries the channel's whole spend.
*/
with

attribution as (

    select * from {{ ref('fct_attribution') }}
    -- the primary contact's journeys (account scope is for side-by-side analysis)
    where attribution_scope = 'contact'

),

ad_spend as (

    select * from {{ ref('fct_ad_spend_daily') }}

),

-- an ad platform's spend goes to the channel its clicks map to
platform_sources as (

    select
        platform,
        source,
        medium
    from (
        values
        ('google_ads', 'google', 'cpc'),
        ('meta_ads', 'facebook', 'paid_social'),
        ('linkedin_ads', 'linkedin', 'paid_social')
    ) as platforms (platform, source, medium)

),

platform_channels as (

    select
        platform,
        {{ attribution_channel('source', 'medium') }} as channel
    from platform_sources

),

models as (

    {{ attribution_models() }}

),

daily_spend as (

    select
        ad_spend.spend_date as date_day,
        coalesce(platform_channels.channel, 'other') as channel,
        sum(ad_spend.spend_reporting) as spend
    from ad_spend
    left join platform_channels
        on ad_spend.platform = platform_channels.platform
    group by ad_spend.spend_date, platform_channels.channel

),

daily_conversions as (

    select
        converted_date as date_day,
        channel,
        model,
        sum(credit) filter (where conversion_type = 'lead') as leads,
        sum(credit) filter (where conversion_type = 'mql') as mqls,
        sum(credit) filter (where conversion_type = 'sql') as sqls,
        sum(credit) filter (where conversion_type = 'opportunity') as opportunities,
        sum(credit) filter (where conversion_type = 'closed_won') as won_deals,
        sum(revenue_credit) filter (where conversion_type = 'opportunity') as pipeline,
        sum(revenue_credit) filter (where conversion_type = 'closed_won') as attributed_revenue
    from attribution
    group by converted_date, channel, model

),

daily_spend_by_model as (

    select
        daily_spend.date_day,
        daily_spend.channel,
        models.model,
        daily_spend.spend
    from daily_spend
    cross join models

),

daily as (

    select
        coalesce(daily_conversions.date_day, daily_spend_by_model.date_day) as date_day,
        coalesce(daily_conversions.channel, daily_spend_by_model.channel) as channel,
        coalesce(daily_conversions.model, daily_spend_by_model.model) as model,  -- noqa: RF04
        coalesce(daily_spend_by_model.spend, 0) as spend,
        coalesce(daily_conversions.leads, 0) as leads,
        coalesce(daily_conversions.mqls, 0) as mqls,
        coalesce(daily_conversions.sqls, 0) as sqls,
        coalesce(daily_conversions.opportunities, 0) as opportunities,
        coalesce(daily_conversions.won_deals, 0) as won_deals,
        coalesce(daily_conversions.pipeline, 0) as pipeline,
        coalesce(daily_conversions.attributed_revenue, 0) as attributed_revenue
    from daily_conversions
    full outer join daily_spend_by_model
        on
            daily_conversions.date_day = daily_spend_by_model.date_day
            and daily_conversions.channel = daily_spend_by_model.channel
            and daily_conversions.model = daily_spend_by_model.model

),

periods as (

    select
        'day' as period_type,
        date_day as period_start,
        date_day as period_end,
        channel,
        model,
        spend,
        leads,
        mqls,
        sqls,
        opportunities,
        won_deals,
        pipeline,
        attributed_revenue
    from daily
    union all
    select
        'month' as period_type,
        cast(date_trunc('month', date_day) as date) as period_start,
        cast(date_trunc('month', date_day) + interval '1 month' - interval '1 day' as date)
            as period_end,
        channel,
        model,
        sum(spend) as spend,
        sum(leads) as leads,
        sum(mqls) as mqls,
        sum(sqls) as sqls,
        sum(opportunities) as opportunities,
        sum(won_deals) as won_deals,
        sum(pipeline) as pipeline,
        sum(attributed_revenue) as attributed_revenue
    from daily
    group by period_type, period_start, period_end, channel, model

),

final as (

    select
        {{ key_from(['period_type', 'period_start', 'channel', 'model']) }}
            as channel_performance_key,
        period_type,
        period_start,
        period_end,
        channel,
        model,
        cast(spend as numeric) as spend,
        cast(leads as numeric) as leads,
        cast(mqls as numeric) as mqls,
        cast(sqls as numeric) as sqls,
        cast(opportunities as numeric) as opportunities,
        cast(won_deals as numeric) as won_deals,
        cast(pipeline as numeric) as pipeline,
        cast(attributed_revenue as numeric) as attributed_revenue,
        cast(spend / nullif(leads, 0) as numeric) as cpl,
        cast(spend / nullif(opportunities, 0) as numeric) as cost_per_opportunity,
        cast(spend / nullif(won_deals, 0) as numeric) as cac,
        cast(attributed_revenue / nullif(spend, 0) as numeric) as roas,
        {{ currency_var('reporting_currency') }} as reporting_currency_code
    from periods

)

select * from final
