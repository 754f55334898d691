{{ config(enabled=source_enabled('meta_ads')) }}
with

source as (

    select * from {{ source('meta_ads', 'ad_accounts') }}

),

renamed as (

    select
        -- ids
        account_id,

        -- account
        record ->> 'name' as account_name,
        upper(record ->> 'currency') as currency_code,
        record ->> 'timezone_name' as time_zone,
        {{ string_to_number("record ->> 'account_status'", 'integer') }} as account_status,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
