{{ config(enabled=source_enabled('meta_ads')) }}
with

source as (

    select * from {{ source('meta_ads', 'ads') }}

),

renamed as (

    select
        -- ids
        account_id,
        {{ string_to_number("record ->> 'campaign_id'", 'bigint') }} as campaign_id,
        {{ string_to_number("record ->> 'adset_id'", 'bigint') }} as ad_set_id,
        ad_id,
        {{ string_to_number("record -> 'creative' ->> 'id'", 'bigint') }} as creative_id,

        -- ad
        record ->> 'name' as ad_name,
        record ->> 'status' as ad_status,
        record ->> 'effective_status' as effective_status,

        -- landing page: the creative's link, and the URL tags Meta appends to it on a click
        record -> 'creative' ->> 'name' as creative_name,
        record -> 'creative' -> 'object_story_spec' -> 'link_data' ->> 'link' as final_url,
        record -> 'creative' ->> 'url_tags' as url_tags,

        -- timestamps ("2026-01-05T09:00:00+0000")
        {{ string_to_timestamp("record ->> 'created_time'") }} as created_at,
        {{ string_to_timestamp("record ->> 'updated_time'") }} as updated_at,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
