{{ config(enabled=source_enabled('salesforce')) }}
with

source as (

    select * from {{ source('salesforce', 'leads') }}

),

renamed as (

    select
        -- ids
        lead_id,
        record ->> 'OwnerId' as owner_id,
        record ->> 'ConvertedAccountId' as converted_account_id,
        record ->> 'ConvertedContactId' as converted_contact_id,
        record ->> 'ConvertedOpportunityId' as converted_opportunity_id,

        -- lead
        lower(btrim(record ->> 'Email')) as email,
        record ->> 'FirstName' as first_name,
        record ->> 'LastName' as last_name,
        record ->> 'Company' as company_name,
        record ->> 'Country' as country,
        record ->> 'Status' as lead_status,
        record ->> 'LeadSource' as lead_source,
        {{ string_to_boolean("record ->> 'IsConverted'") }} as is_converted,

        -- dates and timestamps
        cast(nullif(btrim(record ->> 'ConvertedDate'), '') as date) as converted_date,
        {{ string_to_timestamp("record ->> 'CreatedDate'") }} as created_at,
        coalesce(
            {{ string_to_timestamp("record ->> 'LastModifiedDate'") }},
            {{ string_to_timestamp("record ->> 'SystemModstamp'") }}
        ) as updated_at,

        -- custom fields (var custom_fields, macros/custom_fields.sql)
        {{ custom_field_columns('salesforce_leads', "record") }}
        {{ custom_fields_object('salesforce_leads', "record") }} as custom_fields,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
