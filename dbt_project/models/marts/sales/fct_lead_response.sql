/*
    One row per lead of either CRM (issue 18: speed to lead): a HubSpot contact at its MQL
    moment, a Salesforce lead at its creation. Its owner rep and team, its channel (the
    person's first touch, dim_contacts), the first outbound call or email of its own CRM
    records after it arrived (int_lead_response_windows: deleted activities do not count, the
    next outbound one does), the wait in business hours of the team's calendar and the SLA
    status (int_lead_business_hours), the outbound touches of its first 7 days, and what
    followed: a meeting, an opportunity, a won deal (at or after its arrival).
*/
with

windows as (

    select * from {{ ref('int_lead_response_windows') }}

),

business_hours as (

    select * from {{ ref('int_lead_business_hours') }}

),

contacts as (

    select * from {{ ref('dim_contacts') }}

),

final as (

    select
        windows.lead_key,
        windows.crm,
        windows.lead_id,
        windows.contact_id,
        windows.sales_rep_id,
        windows.team_name,
        coalesce(contacts.first_touch_channel, 'unattributed') as channel,
        windows.arrived_at,
        {{ to_utc_date('windows.arrived_at') }} as arrived_date,
        windows.first_outbound_at,
        windows.first_outbound_at is not null as is_answered,
        business_hours.business_hours_to_first_touch,
        business_hours.business_hours_waiting,
        windows.outbound_touches_first_7_days,
        business_hours.sla_business_hours,
        business_hours.sla_status,
        coalesce(business_hours.sla_status = 'met', false) as is_sla_met,
        coalesce(business_hours.sla_status = 'breached', false) as is_sla_breached,
        windows.first_meeting_at,
        windows.first_meeting_at is not null as has_meeting,
        case
            when contacts.became_opportunity_at >= windows.arrived_at
                then contacts.became_opportunity_at
        end as became_opportunity_at,
        coalesce(contacts.became_opportunity_at >= windows.arrived_at, false)
            as is_opportunity,
        case
            when contacts.became_customer_at >= windows.arrived_at
                then contacts.became_customer_at
        end as became_customer_at,
        coalesce(contacts.became_customer_at >= windows.arrived_at, false) as is_won,
        windows.is_deleted
    from windows
    left join business_hours
        on windows.lead_key = business_hours.lead_key
    left join contacts
        on windows.contact_id = contacts.contact_id

)

select * from final
