{{ config(enabled=source_enabled('salesforce')) }}
-- Salesforce opportunities (deleted ones dropped) in the CRM-neutral deal shape of
-- int_deals_unioned. Salesforce has no pipelines, only stage names: the stage name is the
-- stage id, and Probability (a percentage) becomes a 0-1 share.
with

opportunities as (

    select * from {{ ref('stg_salesforce__opportunities') }}
    where not is_deleted

),

final as (

    select
        'salesforce' as crm,
        opportunity_id as deal_id,
        opportunity_name as deal_name,
        account_id,
        owner_id,
        cast(null as text) as pipeline_id,
        cast(null as text) as pipeline_name,
        stage_name as stage_id,
        stage_name,
        probability / 100 as stage_probability,
        created_at,
        close_at,
        coalesce(is_closed, false) as is_closed,
        coalesce(is_won, false) as is_won,
        amount,
        coalesce(currency_code, {{ currency_var('reporting_currency') }}) as currency_code,
        -- list prices come from opportunity line items, not extracted yet
        cast(null as numeric) as list_amount
    from opportunities

)

select * from final
