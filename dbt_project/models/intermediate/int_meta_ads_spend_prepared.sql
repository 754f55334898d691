{{ config(enabled=source_enabled('meta_ads')) }}
-- Meta daily ad insights (deleted rows dropped) in the platform-neutral spend shape of
-- int_ad_spend_unioned: ad sets are Meta's ad groups; conversions are leads plus purchases.
with

insights as (

    select * from {{ ref('stg_meta_ads__ad_daily_insights') }}
    where not is_deleted

),

final as (

    select
        'meta_ads' as platform,
        insight_date as spend_date,
        cast(account_id as text) as account_id,
        cast(campaign_id as text) as campaign_id,
        cast(ad_set_id as text) as ad_group_id,
        cast(ad_id as text) as ad_id,
        currency_code,
        spend,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(leads + purchases as numeric) as platform_conversions,
        cast(purchase_value as numeric) as platform_conversion_value
    from insights

)

select * from final
