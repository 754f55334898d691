{{ config(enabled=source_enabled('linkedin_ads')) }}
-- LinkedIn daily creative analytics (deleted rows dropped) in the platform-neutral spend shape
-- of int_ad_spend_unioned: campaigns are LinkedIn's campaigns and creatives its ads; LinkedIn
-- has no ad-group level between the two (its campaign groups sit above campaigns).
with

analytics as (

    select * from {{ ref('stg_linkedin_ads__creative_daily_analytics') }}
    where not is_deleted

),

final as (

    select
        'linkedin_ads' as platform,
        analytics_date as spend_date,
        cast(account_id as text) as account_id,
        cast(campaign_id as text) as campaign_id,
        cast(null as text) as ad_group_id,
        cast(creative_id as text) as ad_id,
        currency_code,
        spend,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(conversions + leads as numeric) as platform_conversions,
        cast(null as numeric) as platform_conversion_value
    from analytics

)

select * from final
