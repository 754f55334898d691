{{ config(enabled=source_enabled('hubspot')) }}
-- Unnests the deal's dealstage property history (propertiesWithHistory, newest first in the
-- record): one row per time the stage was set, with when and by whom.
with

source as (

    select * from {{ source('hubspot', 'deal_stage_history') }}

),

history_entries as (

    select
        source.deal_id,
        source.is_deleted,
        source._loaded_at,
        stage_change.entry
    from source
    cross join
        lateral jsonb_array_elements(
            case
                when jsonb_typeof(source.record -> 'propertiesWithHistory' -> 'dealstage') = 'array'
                    then source.record -> 'propertiesWithHistory' -> 'dealstage'
                else '[]'::jsonb
            end
        ) as stage_change (entry)

),

renamed as (

    select
        -- ids
        deal_id,
        nullif(btrim(entry ->> 'value'), '') as stage_id,
        {{ string_to_number("entry ->> 'updatedByUserId'", 'bigint') }} as changed_by_user_id,

        -- change
        entry ->> 'sourceType' as change_source_type,

        -- timestamps
        {{ string_to_timestamp("entry ->> 'timestamp'") }} as changed_at,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from history_entries

)

select * from renamed
