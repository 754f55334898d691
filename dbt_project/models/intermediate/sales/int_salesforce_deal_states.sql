{{ config(enabled=source_enabled('salesforce')) }}
-- Salesforce opportunity states: one row per opportunity and moment its state (stage, amount,
-- close date, owner, forecast category) changed, each row carrying every value as of that
-- moment. OpportunityHistory logs every change of stage, amount, probability, close date or
-- forecast category with the values after it. First cut: the owner is today's (to come from
-- OpportunityFieldHistory).
with

histories as (

    select * from {{ ref('stg_salesforce__opportunity_histories') }}
    where not is_deleted

),

opportunities as (

    select * from {{ ref('int_salesforce_deals_prepared') }}

),

final as (

    select
        'salesforce' as crm,
        histories.opportunity_id as deal_id,
        histories.created_at as valid_from,
        cast(null as text) as pipeline_id,
        histories.stage_name as stage_id,
        histories.amount,
        opportunities.currency_code,
        histories.close_date,
        opportunities.owner_id,
        histories.forecast_category
    from histories
    inner join opportunities
        on histories.opportunity_id = opportunities.deal_id

)

select * from final
