{{ config(enabled=source_enabled('google_ads')) }}
with

source as (

    select * from {{ source('google_ads', 'ad_daily_metrics') }}

),

renamed as (

    select
        -- ids
        customer_id,
        {{ string_to_number("record -> 'campaign' ->> 'id'", 'bigint') }} as campaign_id,
        ad_group_id,
        ad_id,

        -- dimensions
        metric_date,
        record -> 'campaign' ->> 'name' as campaign_name,
        record -> 'adGroup' ->> 'name' as ad_group_name,
        record -> 'adGroupAd' -> 'ad' ->> 'name' as ad_name,
        record -> 'adGroupAd' ->> 'status' as ad_status,
        -- the first of the ad's final URLs (its landing page; Google serves a list)
        record -> 'adGroupAd' -> 'ad' -> 'finalUrls' ->> 0 as final_url,
        upper(record -> 'customer' ->> 'currencyCode') as currency_code,

        -- metrics (macros/google_ads_metrics.sql)
        {{ google_ads_metrics() }},

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
