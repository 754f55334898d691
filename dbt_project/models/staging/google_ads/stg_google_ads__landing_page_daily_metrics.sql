{{ config(enabled=source_enabled('google_ads')) }}
with

source as (

    select * from {{ source('google_ads', 'landing_page_daily_metrics') }}

),

renamed as (

    select
        -- ids
        customer_id,
        {{ string_to_number("record -> 'campaign' ->> 'id'", 'bigint') }} as campaign_id,
        ad_group_id,

        -- dimensions
        metric_date,
        landing_page_url,
        record -> 'campaign' ->> 'name' as campaign_name,
        upper(record -> 'customer' ->> 'currencyCode') as currency_code,

        -- metrics (macros/google_ads_metrics.sql)
        {{ google_ads_metrics() }},

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
