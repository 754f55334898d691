{{ config(enabled=source_enabled('ecb')) }}
with

source as (

    select * from {{ source('ecb', 'reference_rates') }}

),

renamed as (

    select
        -- keys
        currency_code,
        rate_date,

        -- rate: units of the currency one euro buys, as the ECB published it
        {{ string_to_number("record ->> 'OBS_VALUE'") }} as units_per_euro,
        record ->> 'OBS_STATUS' as observation_status,
        nullif(record ->> 'OBS_COM', '') as observation_comment,

        -- load metadata
        _loaded_at

    from source
    where not coalesce(is_deleted, false)

)

select * from renamed
