{{ config(enabled=source_enabled('microsoft_ads')) }}
with

source as (

    select * from {{ source('microsoft_ads', 'search_query_daily_performance') }}

),

renamed as (

    select
        -- ids
        account_id,
        {{ string_to_number("record ->> 'CampaignId'", 'bigint') }} as campaign_id,
        ad_group_id,
        keyword_id,

        -- dimensions
        report_date,
        search_query,
        delivered_match_type,
        record ->> 'Keyword' as keyword_text,
        upper(record ->> 'CurrencyCode') as currency_code,

        -- metrics: every value arrives as text; money exactly as written
        coalesce({{ string_to_number("record ->> 'Spend'") }}, 0) as spend,
        coalesce({{ string_to_number("record ->> 'Impressions'", 'bigint') }}, 0) as impressions,
        coalesce({{ string_to_number("record ->> 'Clicks'", 'bigint') }}, 0) as clicks,
        coalesce({{ string_to_number("record ->> 'Conversions'") }}, 0) as conversions,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
