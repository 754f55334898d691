{{ config(enabled=source_enabled('microsoft_ads')) }}
-- Microsoft Advertising spend at ad grain (the ad report), plus one campaign-level row per
-- campaign and day for what the campaign report has beyond its ads (e.g. ad types the ad
-- report leaves out), so a day's spend always adds up to Microsoft's campaign report. Deleted
-- rows dropped; a remainder row has no ad group and no ad, and only exists when not zero.
with

ad_performance as (

    select * from {{ ref('stg_microsoft_ads__ad_daily_performance') }}
    where not is_deleted

),

campaign_performance as (

    select * from {{ ref('stg_microsoft_ads__campaign_daily_performance') }}
    where not is_deleted

),

ad_rows as (

    select
        account_id,
        campaign_id,
        ad_group_id,
        ad_id,
        report_date,
        currency_code,
        spend,
        impressions,
        clicks,
        conversions,
        revenue
    from ad_performance

),

ad_totals as (

    select
        account_id,
        campaign_id,
        report_date,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        sum(revenue) as revenue
    from ad_performance
    group by account_id, campaign_id, report_date

),

campaign_remainders as (

    select
        campaign_performance.account_id,
        campaign_performance.campaign_id,
        cast(null as {{ dbt.type_bigint() }}) as ad_group_id,
        cast(null as {{ dbt.type_bigint() }}) as ad_id,
        campaign_performance.report_date,
        campaign_performance.currency_code,
        campaign_performance.spend - coalesce(ad_totals.spend, 0) as spend,
        campaign_performance.impressions - coalesce(ad_totals.impressions, 0) as impressions,
        campaign_performance.clicks - coalesce(ad_totals.clicks, 0) as clicks,
        campaign_performance.conversions - coalesce(ad_totals.conversions, 0) as conversions,
        campaign_performance.revenue - coalesce(ad_totals.revenue, 0) as revenue
    from campaign_performance
    left join ad_totals
        on
            campaign_performance.account_id = ad_totals.account_id
            and campaign_performance.campaign_id = ad_totals.campaign_id
            and campaign_performance.report_date = ad_totals.report_date

),

unioned as (

    select * from ad_rows

    union all

    select * from campaign_remainders
    where
        spend != 0
        or impressions != 0
        or clicks != 0
        or conversions != 0
        or revenue != 0

),

final as (

    select
        'microsoft_ads' as platform,
        report_date as spend_date,
        {{ dbt.safe_cast('account_id', dbt.type_string()) }} as account_id,
        {{ dbt.safe_cast('campaign_id', dbt.type_string()) }} as campaign_id,
        {{ dbt.safe_cast('ad_group_id', dbt.type_string()) }} as ad_group_id,
        {{ dbt.safe_cast('ad_id', dbt.type_string()) }} as ad_id,
        currency_code,
        spend,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(conversions as {{ dbt.type_numeric() }}) as platform_conversions,
        cast(revenue as {{ dbt.type_numeric() }}) as platform_conversion_value
    from unioned

)

select * from final
