/*
    Speed to lead by arrival month (UTC) x channel x team x rep (fct_lead_response; deleted
    leads left out): leads, answered, median business hours to the first outbound touch,
    outbound touches in the first 7 days, SLA met / breached / pending and the breach rate,
    and the funnel (meeting, opportunity, won) of leads answered within the SLA next to that
    of leads answered after it.
*/
with

responses as (

    select * from {{ ref('fct_lead_response') }}

),

leads as (

    select
        cast({{ dbt.date_trunc('month', 'arrived_date') }} as date) as arrived_month,
        channel,
        team_name,
        sales_rep_id,
        crm,
        is_answered,
        business_hours_to_first_touch,
        outbound_touches_first_7_days,
        sla_status,
        has_meeting,
        is_opportunity,
        is_won
    from responses
    where not is_deleted

),

grouped as (

    select
        {{ key_from(['arrived_month', 'channel', 'team_name', 'sales_rep_id']) }}
            as lead_response_key,
        arrived_month,
        channel,
        team_name,
        sales_rep_id,
        min(crm) as crm,
        count(*) as leads,
        {{ count_where("is_answered") }} as answered_leads,
        cast(
            percentile_cont(0.5) within group (order by business_hours_to_first_touch)
            as numeric(12, 4)
        ) as median_business_hours_to_first_touch,
        cast(avg(outbound_touches_first_7_days) as numeric(12, 2))
            as average_outbound_touches_first_7_days,
        {{ count_where("sla_status = 'met'") }} as sla_met_leads,
        {{ count_where("sla_status = 'breached'") }} as sla_breached_leads,
        {{ count_where("sla_status = 'pending'") }} as sla_pending_leads,
        {{ count_where("sla_status = 'met'") }} as answered_within_sla_leads,
        {{ count_where("sla_status = 'met' and has_meeting") }}
            as meetings_within_sla,
        {{ count_where("sla_status = 'met' and is_opportunity") }}
            as opportunities_within_sla,
        {{ count_where("sla_status = 'met' and is_won") }} as won_within_sla,
        {{ count_where("sla_status = 'breached' and is_answered") }}
            as answered_after_sla_leads,
        {{ count_where("sla_status = 'breached' and is_answered and has_meeting") }}
            as meetings_after_sla,
        {{ count_where("sla_status = 'breached' and is_answered and is_opportunity") }}
            as opportunities_after_sla,
        {{ count_where("sla_status = 'breached' and is_answered and is_won") }}
            as won_after_sla
    from leads
    group by
        arrived_month,
        channel,
        team_name,
        sales_rep_id

),

final as (

    select
        lead_response_key,
        arrived_month,
        channel,
        team_name,
        sales_rep_id,
        crm,
        leads,
        answered_leads,
        median_business_hours_to_first_touch,
        average_outbound_touches_first_7_days,
        sla_met_leads,
        sla_breached_leads,
        sla_pending_leads,
        round(
            cast(sla_breached_leads as numeric) / nullif(sla_met_leads + sla_breached_leads, 0), 4
        ) as sla_breach_rate,
        answered_within_sla_leads,
        meetings_within_sla,
        opportunities_within_sla,
        won_within_sla,
        round(cast(meetings_within_sla as numeric) / nullif(answered_within_sla_leads, 0), 4)
            as meeting_rate_within_sla,
        round(
            cast(opportunities_within_sla as numeric) / nullif(answered_within_sla_leads, 0), 4
        ) as opportunity_rate_within_sla,
        round(cast(won_within_sla as numeric) / nullif(answered_within_sla_leads, 0), 4)
            as win_rate_within_sla,
        answered_after_sla_leads,
        meetings_after_sla,
        opportunities_after_sla,
        won_after_sla,
        round(cast(meetings_after_sla as numeric) / nullif(answered_after_sla_leads, 0), 4)
            as meeting_rate_after_sla,
        round(
            cast(opportunities_after_sla as numeric) / nullif(answered_after_sla_leads, 0), 4
        ) as opportunity_rate_after_sla,
        round(cast(won_after_sla as numeric) / nullif(answered_after_sla_leads, 0), 4)
            as win_rate_after_sla
    from grouped

)

select * from final
