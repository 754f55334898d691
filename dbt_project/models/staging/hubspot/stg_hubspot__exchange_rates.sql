{{ config(enabled=source_enabled('hubspot')) }}
with

source as (

    select * from {{ source('hubspot', 'exchange_rates') }}

),

renamed as (

    select
        -- ids
        exchange_rate_id,

        -- a rate from its effective moment until the pair's next one: units of to_currency
        -- (the company currency) per unit of from_currency
        upper(record ->> 'fromCurrencyCode') as from_currency_code,
        upper(record ->> 'toCurrencyCode') as to_currency_code,
        {{ string_to_number("record ->> 'conversionRate'") }} as conversion_rate,
        {{ string_to_timestamp("record ->> 'effectiveAt'") }} as effective_at,
        {{ string_to_timestamp("record ->> 'createdAt'") }} as created_at,
        {{ string_to_timestamp("record ->> 'updatedAt'") }} as updated_at,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
