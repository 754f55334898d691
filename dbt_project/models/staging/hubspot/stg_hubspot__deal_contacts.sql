{{ config(enabled=source_enabled('hubspot')) }}
with

source as (

    select * from {{ source('hubspot', 'deal_contact_associations') }}

),

renamed as (

    select
        -- ids
        deal_id,
        contact_id,

        -- association
        jsonb_path_query_array(record, '$.to.associationTypes[*].typeId')
            as association_type_ids,
        jsonb_path_query_array(record, '$.to.associationTypes[*].label ? (@ != null)')
            as association_labels,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
