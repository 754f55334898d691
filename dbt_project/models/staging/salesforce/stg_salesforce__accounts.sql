{{ config(enabled=source_enabled('salesforce')) }}
with

source as (

    select * from {{ source('salesforce', 'accounts') }}

),

renamed as (

    select
        -- ids
        account_id,
        record ->> 'OwnerId' as owner_id,

        -- account
        record ->> 'Name' as account_name,
        -- Website as typed ('https://www.acme.com/'): the bare domain, to match HubSpot's
        nullif(
            regexp_replace(
                lower(btrim(record ->> 'Website')), '^(https?://)?(www\.)?|/.*$', '', 'g'
            ),
            ''
        ) as website_domain,
        record ->> 'Industry' as industry,
        {{ string_to_number("record ->> 'NumberOfEmployees'", 'bigint') }} as employee_count,
        record ->> 'BillingCountry' as billing_country,
        upper(nullif(btrim(record ->> 'CurrencyIsoCode'), '')) as currency_code,

        -- timestamps
        {{ string_to_timestamp("record ->> 'CreatedDate'") }} as created_at,
        coalesce(
            {{ string_to_timestamp("record ->> 'LastModifiedDate'") }},
            {{ string_to_timestamp("record ->> 'SystemModstamp'") }}
        ) as updated_at,

        -- custom fields (var custom_fields, macros/custom_fields.sql)
        {{ custom_field_columns('salesforce_accounts', "record") }}
        {{ custom_fields_object('salesforce_accounts', "record") }} as custom_fields,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
