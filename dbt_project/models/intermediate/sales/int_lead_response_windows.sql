{{ config(materialized='table') }}
/*
    One row per lead of either CRM (int_hubspot_leads_prepared, int_salesforce_leads_prepared)
    with its owner's team and what its own CRM records logged after it arrived: the first
    outbound activity (a call or email the rep made; deleted activities are not in
    fct_activities, so the next outbound one counts), the outbound touches of its first 7 days
    and its first meeting. measured_until is the end of the wait that int_lead_business_hours
    measures: the first outbound touch, or for a lead not answered yet the end of the build's
    as-of day (as_of_date(), midnight UTC after it).

    Activities are matched on the lead's own CRM records (the HubSpot contact; the Salesforce
    lead and the contact it converted into), not on the stitched person, so a person's other
    records (a merged-away duplicate, a second lead) lend it nothing.
*/
with

leads as (

    {{ union_sources(
        {
            'hubspot': 'int_hubspot_leads_prepared',
            'salesforce': 'int_salesforce_leads_prepared',
        },
        {
            'crm': 'text',
            'lead_id': 'text',
            'lead_record_key': 'text',
            'converted_record_key': 'text',
            'owner_id': 'text',
            'arrived_at': 'timestamptz',
            'is_deleted': 'boolean',
        },
    ) }}

),

activity_records as (

    {{ union_sources(
        {
            'hubspot': 'int_hubspot_activities_prepared',
            'salesforce': 'int_salesforce_activities_prepared',
        },
        {
            'crm': 'text',
            'activity_id': 'text',
            'person_record_key': 'text',
        },
    ) }}

),

activities as (

    select * from {{ ref('fct_activities') }}

),

contact_records as (

    select * from {{ ref('int_attribution_contact_records') }}

),

reps as (

    select * from {{ ref('dim_sales_reps') }}

),

keyed_leads as (

    select
        {{ key_from(['crm', 'lead_id']) }} as lead_key,
        crm,
        lead_id,
        lead_record_key,
        converted_record_key,
        case when owner_id is not null then {{ key_from(['crm', 'owner_id']) }} end
            as sales_rep_id,
        arrived_at,
        is_deleted
    from leads

),

-- each of the lead's records: its own, and the contact a Salesforce lead converted into
lead_records as (

    select
        lead_key,
        arrived_at,
        lead_record_key as record_key
    from keyed_leads
    union all
    select
        lead_key,
        arrived_at,
        converted_record_key as record_key
    from keyed_leads
    where converted_record_key is not null

),

-- the activities logged on the lead's records at or after its arrival
lead_activities as (

    select
        lead_records.lead_key,
        activities.activity_type,
        activities.direction,
        activities.occurred_at,
        activities.occurred_at
        < {{ dbt.dateadd('day', 7, 'lead_records.arrived_at') }} as is_in_first_7_days
    from lead_records
    inner join activity_records
        on lead_records.record_key = activity_records.person_record_key
    inner join activities
        on {{ key_from(['activity_records.crm', 'activity_records.activity_id']) }}
            = activities.activity_key
    where activities.occurred_at >= lead_records.arrived_at

),

responses as (

    select
        lead_key,
        min(case when direction = 'outbound' then occurred_at end) as first_outbound_at,
        {{ count_where("direction = 'outbound' and is_in_first_7_days") }}
            as outbound_touches_first_7_days,
        min(case when activity_type = 'meeting' then occurred_at end) as first_meeting_at
    from lead_activities
    group by lead_key

),

final as (

    select
        keyed_leads.lead_key,
        keyed_leads.crm,
        keyed_leads.lead_id,
        contact_records.contact_id,
        keyed_leads.sales_rep_id,
        reps.team_name,
        keyed_leads.arrived_at,
        responses.first_outbound_at,
        coalesce(
            responses.first_outbound_at,
            {{ from_local_timestamp(dbt.dateadd('day', 1, as_of_date()), "'UTC'") }}
        ) as measured_until,
        coalesce(responses.outbound_touches_first_7_days, 0) as outbound_touches_first_7_days,
        responses.first_meeting_at,
        keyed_leads.is_deleted
    from keyed_leads
    left join responses
        on keyed_leads.lead_key = responses.lead_key
    left join contact_records
        on keyed_leads.lead_record_key = contact_records.record_key
    left join reps
        on keyed_leads.sales_rep_id = reps.sales_rep_id

)

select * from final
