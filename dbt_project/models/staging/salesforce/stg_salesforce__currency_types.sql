{{ config(enabled=source_enabled('salesforce')) }}
with

source as (

    select * from {{ source('salesforce', 'currency_types') }}

),

renamed as (

    select
        -- ids
        currency_type_id,

        -- the org's static rate: units of the currency per unit of the corporate currency
        upper(record ->> 'IsoCode') as currency_code,
        {{ string_to_number("record ->> 'ConversionRate'") }} as conversion_rate,
        {{ string_to_number("record ->> 'DecimalPlaces'", 'integer') }} as decimal_places,
        {{ string_to_boolean("record ->> 'IsActive'") }} as is_active,
        {{ string_to_boolean("record ->> 'IsCorporate'") }} as is_corporate,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
