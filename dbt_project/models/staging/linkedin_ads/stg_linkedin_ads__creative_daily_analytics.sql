{{ config(enabled=source_enabled('linkedin_ads')) }}
with

source as (

    select * from {{ source('linkedin_ads', 'creative_daily_analytics') }}

),

renamed as (

    select
        -- ids (the connector adds the creative's campaign and campaign group)
        account_id,
        {{ string_to_number("record ->> 'campaignId'", 'bigint') }} as campaign_id,
        {{ string_to_number("record ->> 'campaignGroupId'", 'bigint') }} as campaign_group_id,
        creative_id,

        -- dimensions
        analytics_date,
        upper(record ->> 'accountCurrency') as currency_code,

        -- metrics: costs are decimal strings in the account currency, read exactly as numeric
        coalesce({{ string_to_number("record ->> 'costInLocalCurrency'") }}, 0) as spend,
        coalesce({{ string_to_number("record ->> 'costInUsd'") }}, 0) as spend_usd,
        coalesce({{ string_to_number("record ->> 'impressions'", 'bigint') }}, 0) as impressions,
        coalesce({{ string_to_number("record ->> 'clicks'", 'bigint') }}, 0) as clicks,
        coalesce({{ string_to_number("record ->> 'landingPageClicks'", 'bigint') }}, 0)
            as landing_page_clicks,
        coalesce({{ string_to_number("record ->> 'externalWebsiteConversions'", 'bigint') }}, 0)
            as conversions,
        coalesce({{ string_to_number("record ->> 'oneClickLeads'", 'bigint') }}, 0) as leads,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
