{{ config(enabled=source_enabled('salesforce')) }}
with

source as (

    select * from {{ source('salesforce', 'dated_conversion_rates') }}

),

renamed as (

    select
        -- ids
        dated_conversion_rate_id,

        -- a dated rate (advanced currency management): units of the currency per unit of the
        -- corporate currency for [start_date, next_start_date)
        upper(record ->> 'IsoCode') as currency_code,
        {{ string_to_number("record ->> 'ConversionRate'") }} as conversion_rate,
        cast(record ->> 'StartDate' as date) as start_date,
        cast(nullif(record ->> 'NextStartDate', '') as date) as next_start_date,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
