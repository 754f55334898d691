/*
    Attribution credit: one row per conversion x attribution scope x touchpoint x model
    (touches with zero credit left out; a conversion without touches has one 'unattributed'
    row per model). Scope 'contact': the touches of the conversion's person (the deal's
    primary contact); scope 'account' (opportunity and closed_won only): the touches of the
    deal's whole buying committee. credit sums to 1 per conversion, scope and model;
    revenue_credit = credit x the deal amount in the reporting currency (opportunity:
    pipeline; closed_won: revenue; 0 for lead/mql/sql).
*/
with

journeys as (

    select * from {{ ref('int_attribution_journeys') }}

),

rule_credits as (

    select * from {{ ref('int_attribution_rule_credits') }}

),

data_driven_credits as (

    select * from {{ ref('int_attribution_data_driven') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

credits as (

    select
        conversion_id,
        attribution_scope,
        touchpoint_id,
        model,
        credit
    from rule_credits
    union all
    select
        conversion_id,
        attribution_scope,
        touchpoint_id,
        model,
        credit
    from data_driven_credits

),

final as (

    select
        -- contact-scope keys as they were before scopes; account-scope keys end in ':account'
        {{ key_from(['credits.conversion_id', 'credits.model', 'credits.touchpoint_id']) }}
        || case when credits.attribution_scope = 'account' then ':account' else '' end
            as attribution_key,
        journeys.conversion_id,
        journeys.attribution_scope,
        journeys.conversion_type,
        journeys.contact_id,
        journeys.deal_id,
        journeys.deal_key,
        journeys.converted_at,
        {{ to_utc_date('journeys.converted_at') }} as converted_date,
        journeys.touchpoint_id,
        journeys.touched_contact_id,
        journeys.touched_at,
        journeys.channel,
        journeys.campaign_id,
        journeys.campaign_key,
        credits.model,
        cast(credits.credit as numeric) as credit,
        cast(
            case
                when journeys.conversion_type in ('opportunity', 'closed_won')
                    then credits.credit * deals.amount_reporting
                else 0
            end as numeric
        ) as revenue_credit,
        {{ currency_var('reporting_currency') }} as reporting_currency_code
    from credits
    inner join journeys
        on
            credits.conversion_id = journeys.conversion_id
            and credits.attribution_scope = journeys.attribution_scope
            -- hashable: an unattributed row has no touchpoint on either side
            and coalesce(credits.touchpoint_id, '') = coalesce(journeys.touchpoint_id, '')
    left join deals
        on journeys.deal_key = deals.deal_key

)

select * from final
