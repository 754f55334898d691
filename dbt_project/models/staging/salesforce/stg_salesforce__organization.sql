{{ config(enabled=source_enabled('salesforce')) }}
with

source as (

    select * from {{ source('salesforce', 'organization') }}

),

renamed as (

    select
        -- ids
        organization_id,

        -- organization
        record ->> 'Name' as organization_name,
        -- present only in a single-currency org: the currency of all its amounts
        upper(nullif(btrim(record ->> 'DefaultCurrencyIsoCode'), '')) as default_currency_code,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
