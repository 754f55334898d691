{{ config(enabled=source_enabled('microsoft_ads')) }}
with

source as (

    select * from {{ source('microsoft_ads', 'campaigns') }}

),

renamed as (

    select
        -- ids
        account_id,
        campaign_id,

        -- account (added by the extract from GetAccount)
        record ->> 'AccountName' as account_name,
        upper(record ->> 'CurrencyCode') as currency_code,

        -- campaign
        record ->> 'Name' as campaign_name,
        record ->> 'Status' as campaign_status,
        record ->> 'CampaignType' as campaign_type,
        record ->> 'BudgetType' as budget_type,
        -- a JSON number on the wire: read through its text so no float rounding creeps in
        {{ string_to_number("record ->> 'DailyBudget'") }} as daily_budget,
        record ->> 'TimeZone' as time_zone,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
