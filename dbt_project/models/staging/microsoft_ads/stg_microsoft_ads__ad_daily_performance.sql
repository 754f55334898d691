{{ config(enabled=source_enabled('microsoft_ads')) }}
with

source as (

    select * from {{ source('microsoft_ads', 'ad_daily_performance') }}

),

renamed as (

    select
        -- ids
        account_id,
        {{ string_to_number("record ->> 'CampaignId'", 'bigint') }} as campaign_id,
        {{ string_to_number("record ->> 'AdGroupId'", 'bigint') }} as ad_group_id,
        ad_id,

        -- dimensions
        report_date,
        upper(record ->> 'CurrencyCode') as currency_code,

        -- metrics: every value arrives as text; money exactly as written
        coalesce({{ string_to_number("record ->> 'Spend'") }}, 0) as spend,
        coalesce({{ string_to_number("record ->> 'Impressions'", 'bigint') }}, 0) as impressions,
        coalesce({{ string_to_number("record ->> 'Clicks'", 'bigint') }}, 0) as clicks,
        coalesce({{ string_to_number("record ->> 'Conversions'") }}, 0) as conversions,
        coalesce({{ string_to_number("record ->> 'Revenue'") }}, 0) as revenue,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
