{{ config(enabled=source_enabled('salesforce')) }}
with

source as (

    select * from {{ source('salesforce', 'opportunity_field_histories') }}

),

renamed as (

    select
        -- ids
        opportunity_field_history_id,
        record ->> 'OpportunityId' as opportunity_id,
        record ->> 'CreatedById' as created_by_user_id,

        -- the change (OldValue and NewValue are anyType: kept as text)
        record ->> 'Field' as field_name,
        record ->> 'DataType' as data_type,
        record ->> 'OldValue' as old_value,
        record ->> 'NewValue' as new_value,

        -- timestamps
        -- history rows are never edited: created_at is when the change happened
        {{ string_to_timestamp("record ->> 'CreatedDate'") }} as created_at,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
