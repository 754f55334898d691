{{ config(enabled=source_enabled('hubspot')) }}
-- The one staging model that unnests: one row per pipeline x stage (record -> 'stages').
with

source as (

    select * from {{ source('hubspot', 'deal_pipelines') }}

),

stages as (

    select
        source.pipeline_id,
        source.record as pipeline_record,
        source.is_deleted,
        source._loaded_at,
        pipeline_stages.stage_record
    from source
    cross join lateral jsonb_array_elements(
        case
            when jsonb_typeof(source.record -> 'stages') = 'array'
                then source.record -> 'stages'
            else '[]'::jsonb
        end
    ) as pipeline_stages (stage_record)

),

renamed as (

    select
        -- ids
        pipeline_id,
        stage_record ->> 'id' as stage_id,

        -- pipeline
        pipeline_record ->> 'label' as pipeline_name,
        {{ string_to_number("pipeline_record ->> 'displayOrder'", 'integer') }}
            as pipeline_display_order,

        -- stage
        stage_record ->> 'label' as stage_name,
        {{ string_to_number("stage_record ->> 'displayOrder'", 'integer') }}
            as stage_display_order,
        {{ string_to_boolean("stage_record -> 'metadata' ->> 'isClosed'") }} as is_closed,
        {{ string_to_number("stage_record -> 'metadata' ->> 'probability'") }} as probability,

        -- flags and load metadata
        {{ string_to_boolean("stage_record ->> 'archived'") }} as is_stage_archived,
        is_deleted as is_pipeline_deleted,
        _loaded_at

    from stages

)

select * from renamed
