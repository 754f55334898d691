{{ config(enabled=source_enabled('salesforce')) }}
with

source as (

    select * from {{ source('salesforce', 'opportunities') }}

),

renamed as (

    select
        -- ids
        opportunity_id,
        record ->> 'AccountId' as account_id,
        record ->> 'OwnerId' as owner_id,
        record ->> 'CampaignId' as campaign_id,

        -- opportunity
        record ->> 'Name' as opportunity_name,
        record ->> 'Type' as opportunity_type,
        record ->> 'StageName' as stage_name,
        record ->> 'ForecastCategoryName' as forecast_category,
        {{ string_to_number("record ->> 'Probability'") }} as probability,
        {{ string_to_number("record ->> 'Amount'") }} as amount,
        upper(nullif(btrim(record ->> 'CurrencyIsoCode'), '')) as currency_code,
        {{ string_to_boolean("record ->> 'IsClosed'") }} as is_closed,
        {{ string_to_boolean("record ->> 'IsWon'") }} as is_won,
        record ->> 'LeadSource' as lead_source,

        -- dates and timestamps
        -- CloseDate: the actual close for closed opportunities, the expected close for open ones
        cast(nullif(btrim(record ->> 'CloseDate'), '') as date) as close_date,
        {{ string_to_timestamp("record ->> 'CloseDate'") }} as close_at,
        {{ string_to_timestamp("record ->> 'CreatedDate'") }} as created_at,
        coalesce(
            {{ string_to_timestamp("record ->> 'LastModifiedDate'") }},
            {{ string_to_timestamp("record ->> 'SystemModstamp'") }}
        ) as updated_at,

        -- custom fields (var custom_fields, macros/custom_fields.sql)
        {{ custom_field_columns('salesforce_opportunities', "record") }}
        {{ custom_fields_object('salesforce_opportunities', "record") }} as custom_fields,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
