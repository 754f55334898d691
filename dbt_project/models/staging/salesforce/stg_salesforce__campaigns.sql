{{ config(enabled=source_enabled('salesforce')) }}
with

source as (

    select * from {{ source('salesforce', 'campaigns') }}

),

renamed as (

    select
        -- ids
        campaign_id,
        record ->> 'ParentId' as parent_campaign_id,

        -- campaign
        record ->> 'Name' as campaign_name,
        record ->> 'Type' as campaign_type,
        record ->> 'Status' as campaign_status,
        {{ string_to_boolean("record ->> 'IsActive'") }} as is_active,
        {{ string_to_number("record ->> 'BudgetedCost'") }} as budgeted_cost,
        {{ string_to_number("record ->> 'ActualCost'") }} as actual_cost,
        upper(nullif(btrim(record ->> 'CurrencyIsoCode'), '')) as currency_code,

        -- dates and timestamps
        cast(nullif(btrim(record ->> 'StartDate'), '') as date) as start_date,
        cast(nullif(btrim(record ->> 'EndDate'), '') as date) as end_date,
        {{ string_to_timestamp("record ->> 'CreatedDate'") }} as created_at,
        coalesce(
            {{ string_to_timestamp("record ->> 'LastModifiedDate'") }},
            {{ string_to_timestamp("record ->> 'SystemModstamp'") }}
        ) as updated_at,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
