{{ config(enabled=source_enabled('linkedin_ads')) }}
with

source as (

    select * from {{ source('linkedin_ads', 'campaigns') }}

),

renamed as (

    select
        -- ids (URNs: urn:li:sponsoredCampaignGroup:<id>)
        account_id,
        campaign_id,
        {{ string_to_number("split_part(record ->> 'campaignGroup', ':', 4)", 'bigint') }}
            as campaign_group_id,

        -- campaign
        record ->> 'name' as campaign_name,
        record ->> 'status' as campaign_status,
        record ->> 'type' as campaign_type,
        record ->> 'objectiveType' as objective_type,
        record ->> 'costType' as cost_type,
        {{ string_to_number("record -> 'dailyBudget' ->> 'amount'") }} as daily_budget,
        upper(record -> 'dailyBudget' ->> 'currencyCode') as currency_code,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
