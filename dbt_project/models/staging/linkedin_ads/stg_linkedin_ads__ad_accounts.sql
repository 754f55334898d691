{{ config(enabled=source_enabled('linkedin_ads')) }}
with

source as (

    select * from {{ source('linkedin_ads', 'ad_accounts') }}

),

renamed as (

    select
        -- ids
        account_id,

        -- account
        record ->> 'name' as account_name,
        upper(record ->> 'currency') as currency_code,
        record ->> 'status' as account_status,
        record ->> 'type' as account_type,
        {{ string_to_boolean("record ->> 'test'") }} as is_test,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
