{{ config(enabled=source_enabled('salesforce')) }}
with

source as (

    select * from {{ source('salesforce', 'opportunity_contact_roles') }}

),

renamed as (

    select
        -- ids
        opportunity_contact_role_id,
        record ->> 'OpportunityId' as opportunity_id,
        record ->> 'ContactId' as contact_id,

        -- role
        record ->> 'Role' as contact_role,
        {{ string_to_boolean("record ->> 'IsPrimary'") }} as is_primary,

        -- timestamps
        {{ string_to_timestamp("record ->> 'CreatedDate'") }} as created_at,
        coalesce(
            {{ string_to_timestamp("record ->> 'LastModifiedDate'") }},
            {{ string_to_timestamp("record ->> 'SystemModstamp'") }}
        ) as updated_at,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
