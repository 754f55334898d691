{{ config(enabled=source_enabled('salesforce')) }}
with

source as (

    select * from {{ source('salesforce', 'contacts') }}

),

renamed as (

    select
        -- ids
        contact_id,
        record ->> 'AccountId' as account_id,
        record ->> 'OwnerId' as owner_id,

        -- contact
        lower(btrim(record ->> 'Email')) as email,
        record ->> 'FirstName' as first_name,
        record ->> 'LastName' as last_name,
        record ->> 'Title' as title,
        record ->> 'LeadSource' as lead_source,

        -- timestamps
        {{ string_to_timestamp("record ->> 'CreatedDate'") }} as created_at,
        coalesce(
            {{ string_to_timestamp("record ->> 'LastModifiedDate'") }},
            {{ string_to_timestamp("record ->> 'SystemModstamp'") }}
        ) as updated_at,

        -- custom fields (var custom_fields, macros/custom_fields.sql)
        {{ custom_field_columns('salesforce_contacts', "record") }}
        {{ custom_fields_object('salesforce_contacts', "record") }} as custom_fields,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
