{{ config(enabled=source_enabled('salesforce')) }}
with

source as (

    select * from {{ source('salesforce', 'opportunity_histories') }}

),

renamed as (

    select
        -- ids
        opportunity_history_id,
        record ->> 'OpportunityId' as opportunity_id,
        record ->> 'CreatedById' as created_by_user_id,

        -- the opportunity at this change
        record ->> 'StageName' as stage_name,
        record ->> 'ForecastCategory' as forecast_category,
        {{ string_to_number("record ->> 'Probability'") }} as probability,
        {{ string_to_number("record ->> 'Amount'") }} as amount,
        cast(nullif(btrim(record ->> 'CloseDate'), '') as date) as close_date,

        -- timestamps
        -- history rows are never edited: created_at is when the change happened
        {{ string_to_timestamp("record ->> 'CreatedDate'") }} as created_at,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
