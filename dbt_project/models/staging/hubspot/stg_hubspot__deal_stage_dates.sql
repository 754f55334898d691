{{ config(enabled=source_enabled('hubspot')) }}
-- Unnests the deal record: one row per stage entered (hs_v2_date_entered_<stage id>). HubSpot
-- keeps only the latest entry per stage there; stg_hubspot__deal_stage_history has every change.
with

source as (

    select * from {{ source('hubspot', 'deals') }}

),

stage_entries as (

    select
        source.deal_id,
        source.record,
        source.is_deleted,
        source._loaded_at,
        substr(deal_properties.property_name, length('hs_v2_date_entered_') + 1) as stage_id,
        deal_properties.property_value as entered_text
    from source
    cross join
        lateral jsonb_each_text(
            case
                when jsonb_typeof(source.record -> 'properties') = 'object'
                    then source.record -> 'properties'
                else '{}'::jsonb
            end
        ) as deal_properties (property_name, property_value)
    where
        starts_with(deal_properties.property_name, 'hs_v2_date_entered_')
        and nullif(btrim(deal_properties.property_value), '') is not null

),

renamed as (

    select
        -- ids
        deal_id,
        stage_id,

        -- timestamps
        {{ string_to_timestamp("entered_text") }} as entered_at,
        {{ string_to_timestamp(
            "record -> 'properties' ->> ('hs_v2_date_exited_' || stage_id)"
        ) }} as exited_at,

        -- flags and load metadata
        coalesce(record -> 'properties' ->> 'dealstage' = stage_id, false) as is_current_stage,
        is_deleted,
        _loaded_at

    from stage_entries

)

select * from renamed
