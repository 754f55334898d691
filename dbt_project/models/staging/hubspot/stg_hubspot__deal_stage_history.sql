{{ config(enabled=source_enabled('hubspot')) }}
-- The deal's dealstage property history (propertiesWithHistory, newest first in the record):
-- one row per time the stage was set, with when and by whom. A filter of
-- stg_hubspot__deal_property_history.
with

property_history as (

    select * from {{ ref('stg_hubspot__deal_property_history') }}
    where property_name = 'dealstage'

),

renamed as (

    select
        -- ids
        deal_id,
        property_value as stage_id,
        changed_by_user_id,

        -- change
        change_source_type,

        -- timestamps
        changed_at,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from property_history

)

select * from renamed
