{{ config(enabled=source_enabled('hubspot')) }}
with

source as (

    select * from {{ source('hubspot', 'companies') }}

),

renamed as (

    select
        -- ids
        company_id,
        {{ string_to_number("record -> 'properties' ->> 'hubspot_owner_id'", 'bigint') }}
            as owner_id,

        -- company
        record -> 'properties' ->> 'name' as company_name,
        lower(btrim(record -> 'properties' ->> 'domain')) as website_domain,
        record -> 'properties' ->> 'industry' as industry,
        record -> 'properties' ->> 'country' as country,
        record -> 'properties' ->> 'city' as city,
        {{ string_to_number("record -> 'properties' ->> 'numberofemployees'") }}
            as employee_count,
        {{ string_to_number("record -> 'properties' ->> 'annualrevenue'") }}
            as annual_revenue,

        -- timestamps
        coalesce(
            {{ string_to_timestamp("record -> 'properties' ->> 'createdate'") }},
            {{ string_to_timestamp("record ->> 'createdAt'") }}
        ) as created_at,
        coalesce(
            {{ string_to_timestamp("record -> 'properties' ->> 'hs_lastmodifieddate'") }},
            {{ string_to_timestamp("record ->> 'updatedAt'") }}
        ) as updated_at,

        -- custom fields (var custom_fields, macros/custom_fields.sql)
        {{ custom_field_columns('hubspot_companies', "record -> 'properties'") }}
        {{ custom_fields_object('hubspot_companies', "record -> 'properties'") }} as custom_fields,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
