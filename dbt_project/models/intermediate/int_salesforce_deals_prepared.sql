{{ config(enabled=source_enabled('salesforce')) }}
-- Salesforce opportunities (deleted ones dropped) in the CRM-neutral deal shape of
-- int_deals_unioned. Salesforce has no pipelines, only stage names: the stage name is the
-- stage id, and Probability (a percentage) becomes a 0-1 share.
with

opportunities as (

    select * from {{ ref('stg_salesforce__opportunities') }}
    where not is_deleted

),

-- a single-currency org's amounts carry no CurrencyIsoCode: they are in the org's currency
organization as (

    select default_currency_code from {{ ref('stg_salesforce__organization') }}
    where not is_deleted and default_currency_code is not null
    order by organization_id
    limit 1

),

histories as (

    select * from {{ ref('stg_salesforce__opportunity_histories') }}
    where not is_deleted

),

-- No opportunity line items are extracted: the list amount is the opportunity's opening
-- Amount (its first OpportunityHistory row), the price before any negotiated discount.
opening_amounts as (

    select distinct on (opportunity_id)
        opportunity_id,
        amount as opening_amount
    from histories
    order by opportunity_id asc, created_at asc, opportunity_history_id asc

),

final as (

    select
        'salesforce' as crm,
        opportunities.opportunity_id as deal_id,
        opportunities.opportunity_name as deal_name,
        opportunities.account_id,
        opportunities.owner_id,
        cast(null as text) as pipeline_id,
        cast(null as text) as pipeline_name,
        opportunities.stage_name as stage_id,
        opportunities.stage_name,
        opportunities.probability / 100 as stage_probability,
        opportunities.created_at,
        opportunities.close_at,
        coalesce(opportunities.is_closed, false) as is_closed,
        coalesce(opportunities.is_won, false) as is_won,
        opportunities.amount,
        coalesce(
            opportunities.currency_code,
            organization.default_currency_code,
            {{ currency_var('reporting_currency') }}
        ) as currency_code,
        opening_amounts.opening_amount as list_amount,
        case
            when opening_amounts.opening_amount is not null then 'salesforce_opening_amount'
        end as list_amount_source,
        opportunities.custom_fields
    from opportunities
    left join opening_amounts
        on opportunities.opportunity_id = opening_amounts.opportunity_id
    left join organization on true

)

select * from final
