{{ config(enabled=source_enabled('microsoft_ads')) }}
with

source as (

    select * from {{ source('microsoft_ads', 'keyword_daily_performance') }}

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
        record ->> 'AdGroupName' as ad_group_name,
        record ->> 'Keyword' as keyword_text,
        record ->> 'BidMatchType' as match_type,
        record ->> 'KeywordStatus' as keyword_status,
        upper(record ->> 'CurrencyCode') as currency_code,

        -- metrics: every value arrives as text; money exactly as written
        coalesce({{ string_to_number("record ->> 'Spend'") }}, 0) as spend,
        coalesce({{ string_to_number("record ->> 'Impressions'", 'bigint') }}, 0) as impressions,
        coalesce({{ string_to_number("record ->> 'Clicks'", 'bigint') }}, 0) as clicks,
        coalesce({{ string_to_number("record ->> 'Conversions'") }}, 0) as conversions,
        -- empty when Microsoft has too little data to score the keyword
        case
            when record ->> 'QualityScore' ~ '^[0-9]+$'
                then {{ string_to_number("record ->> 'QualityScore'", 'integer') }}
        end as quality_score,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
