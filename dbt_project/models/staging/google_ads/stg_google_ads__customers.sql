{{ config(enabled=source_enabled('google_ads')) }}
with

source as (

    select * from {{ source('google_ads', 'customers') }}

),

renamed as (

    select
        -- ids
        customer_id,

        -- account
        record -> 'customer' ->> 'descriptiveName' as customer_name,
        upper(record -> 'customer' ->> 'currencyCode') as currency_code,
        record -> 'customer' ->> 'timeZone' as time_zone,
        {{ string_to_boolean("record -> 'customer' ->> 'manager'") }} as is_manager,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
