{{ config(enabled=source_enabled('google_ads')) }}
-- Google Ads spend at ad grain, plus one campaign-level row per campaign and day for what the
-- ad-level report does not cover (campaign types without ads, such as Performance Max), so
-- the spend of a day always adds up to the campaign report. The remainder row has no ad
-- group and no ad; it is only emitted when the campaign report has a row for that day.
with

ad_metrics as (

    select * from {{ ref('stg_google_ads__ad_daily_metrics') }}
    where not is_deleted

),

campaign_metrics as (

    select * from {{ ref('stg_google_ads__campaign_daily_metrics') }}
    where not is_deleted

),

customers as (

    select * from {{ ref('stg_google_ads__customers') }}

),

ad_rows as (

    select
        customer_id,
        campaign_id,
        ad_group_id,
        ad_id,
        metric_date,
        currency_code,
        cost_micros,
        impressions,
        clicks,
        conversions,
        conversions_value
    from ad_metrics

),

ad_totals as (

    select
        customer_id,
        campaign_id,
        metric_date,
        sum(cost_micros) as cost_micros,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        sum(conversions_value) as conversions_value
    from ad_metrics
    group by
        customer_id,
        campaign_id,
        metric_date

),

campaign_remainders as (

    select
        campaign_metrics.customer_id,
        campaign_metrics.campaign_id,
        cast(null as bigint) as ad_group_id,
        cast(null as bigint) as ad_id,
        campaign_metrics.metric_date,
        campaign_metrics.currency_code,
        campaign_metrics.cost_micros
        - coalesce(ad_totals.cost_micros, 0) as cost_micros,
        campaign_metrics.impressions
        - coalesce(ad_totals.impressions, 0) as impressions,
        campaign_metrics.clicks
        - coalesce(ad_totals.clicks, 0) as clicks,
        campaign_metrics.conversions
        - coalesce(ad_totals.conversions, 0) as conversions,
        campaign_metrics.conversions_value
        - coalesce(ad_totals.conversions_value, 0) as conversions_value
    from campaign_metrics
    left join ad_totals
        on
            campaign_metrics.customer_id = ad_totals.customer_id
            and campaign_metrics.campaign_id = ad_totals.campaign_id
            and campaign_metrics.metric_date = ad_totals.metric_date

),

unioned as (

    select * from ad_rows

    union all

    select * from campaign_remainders
    where
        cost_micros != 0
        or impressions != 0
        or clicks != 0
        or conversions != 0
        or conversions_value != 0

),

final as (

    select
        'google_ads' as platform,
        unioned.metric_date as spend_date,
        cast(unioned.customer_id as text) as account_id,
        cast(unioned.campaign_id as text) as campaign_id,
        cast(unioned.ad_group_id as text) as ad_group_id,
        cast(unioned.ad_id as text) as ad_id,
        coalesce(unioned.currency_code, customers.currency_code) as currency_code,
        {{ micros_to_units('unioned.cost_micros') }} as spend,
        cast(unioned.impressions as bigint) as impressions,
        cast(unioned.clicks as bigint) as clicks,
        cast(unioned.conversions as numeric) as platform_conversions,
        cast(unioned.conversions_value as numeric) as platform_conversion_value
    from unioned
    left join customers
        on unioned.customer_id = customers.customer_id

)

select * from final
