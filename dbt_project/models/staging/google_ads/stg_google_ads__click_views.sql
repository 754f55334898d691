{{ config(enabled=source_enabled('google_ads')) }}
with

source as (

    select * from {{ source('google_ads', 'click_views') }}

),

renamed as (

    select
        -- ids
        customer_id,
        {{ string_to_number("record -> 'campaign' ->> 'id'", 'bigint') }} as campaign_id,
        {{ string_to_number("record -> 'adGroup' ->> 'id'", 'bigint') }} as ad_group_id,
        -- clickView.adGroupAd is customers/<customer>/adGroupAds/<ad group>~<ad>
        {{ string_to_number(
            "split_part(record -> 'clickView' ->> 'adGroupAd', '~', 2)", 'bigint'
        ) }} as ad_id,
        -- clickView.keyword is customers/<customer>/adGroupCriteria/<ad group>~<criterion>,
        -- present for a search click
        {{ string_to_number(
            "split_part(record -> 'clickView' ->> 'keyword', '~', 2)", 'bigint'
        ) }} as keyword_id,
        gclid,

        -- dimensions
        click_date,
        record -> 'segments' ->> 'clickType' as click_type,
        record -> 'segments' ->> 'device' as device,
        record -> 'clickView' -> 'keywordInfo' ->> 'text' as keyword_text,
        record -> 'clickView' -> 'keywordInfo' ->> 'matchType' as match_type,

        -- metrics: one click per row; int64 arrive as strings, zero may be absent
        coalesce({{ string_to_number("record -> 'metrics' ->> 'clicks'", 'bigint') }}, 0)
            as clicks,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
