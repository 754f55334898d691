{{ config(enabled=source_enabled('hubspot')) }}
-- HubSpot deal states: one row per deal and moment its state (stage, amount, close date,
-- owner, forecast category) changed, each row carrying every value as of that moment.
-- First cut: the stage entries, with today's amount, close date, owner and forecast category
-- (to be rebuilt from the property history of each).
with

stage_entries as (

    select * from {{ ref('int_hubspot_deal_stage_entries') }}

),

deals as (

    select * from {{ ref('int_hubspot_deals_prepared') }}

),

final as (

    select
        'hubspot' as crm,
        stage_entries.deal_id,
        stage_entries.entered_at as valid_from,
        stage_entries.pipeline_id,
        stage_entries.stage_id,
        deals.amount,
        deals.currency_code,
        {{ to_utc_date('deals.close_at') }} as close_date,
        deals.owner_id,
        cast(null as text) as forecast_category
    from stage_entries
    inner join deals
        on stage_entries.deal_id = deals.deal_id

)

select * from final
