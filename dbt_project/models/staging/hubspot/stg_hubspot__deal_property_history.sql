{{ config(enabled=source_enabled('hubspot')) }}
-- Unnests every property history the deal's batch read carried (propertiesWithHistory:
-- dealstage, amount, closedate, hubspot_owner_id, hs_manual_forecast_category; each newest
-- first in the record): one row per time a property was set, with its value, when and by whom.
with

source as (

    select * from {{ source('hubspot', 'deal_stage_history') }}

),

histories as (

    select
        source.deal_id,
        source.is_deleted,
        source._loaded_at,
        property_history.property_name,
        property_history.entries
    from source
    cross join
        lateral jsonb_each(
            case
                when jsonb_typeof(source.record -> 'propertiesWithHistory') = 'object'
                    then source.record -> 'propertiesWithHistory'
                else '{}'::jsonb
            end
        ) as property_history (property_name, entries)

),

history_entries as (

    select
        histories.deal_id,
        histories.property_name,
        histories.is_deleted,
        histories._loaded_at,
        property_change.entry,
        property_change.entry_number
    from histories
    cross join
        lateral jsonb_array_elements(
            case
                when jsonb_typeof(histories.entries) = 'array' then histories.entries
                else '[]'::jsonb
            end
        ) with ordinality as property_change (entry, entry_number)

),

renamed as (

    select
        -- ids
        deal_id,
        property_name,
        {{ string_to_number("entry ->> 'updatedByUserId'", 'bigint') }} as changed_by_user_id,

        -- change
        -- the value set, as text ('' when it was cleared: null here)
        nullif(btrim(entry ->> 'value'), '') as property_value,
        entry ->> 'sourceType' as change_source_type,
        -- the entry's place in HubSpot's list for the property, 1 = the newest
        entry_number,

        -- timestamps
        {{ string_to_timestamp("entry ->> 'timestamp'") }} as changed_at,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from history_entries

)

select * from renamed
