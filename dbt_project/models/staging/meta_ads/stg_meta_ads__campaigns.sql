{{ config(enabled=source_enabled('meta_ads')) }}
with

source as (

    select * from {{ source('meta_ads', 'campaigns') }}

),

renamed as (

    select
        -- ids
        account_id,
        campaign_id,

        -- campaign
        record ->> 'name' as campaign_name,
        record ->> 'objective' as objective,
        record ->> 'status' as campaign_status,
        record ->> 'effective_status' as effective_status,

        -- timestamps ("2026-01-05T09:00:00+0000")
        {{ string_to_timestamp("record ->> 'created_time'") }} as created_at,
        {{ string_to_timestamp("record ->> 'start_time'") }} as started_at,
        {{ string_to_timestamp("record ->> 'stop_time'") }} as stopped_at,
        {{ string_to_timestamp("record ->> 'updated_time'") }} as updated_at,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
