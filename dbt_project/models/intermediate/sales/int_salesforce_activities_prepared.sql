{{ config(enabled=source_enabled('salesforce')) }}
/*
    Salesforce Tasks and Events in the shape fct_activities unions. The account is the WhatId
    when it is an Account, else the Opportunity's account, else the Contact's (WhoId); the
    deal is the WhatId when it is an Opportunity. Calls carry their direction (CallType);
    other activities take the seed's default. A logged call or email happened when it was
    completed (else created), a to-do on its due date, an event at its start.
*/
with

tasks as (

    select * from {{ ref('stg_salesforce__tasks') }}

),

events as (

    select * from {{ ref('stg_salesforce__events') }}

),

opportunities as (

    select * from {{ ref('stg_salesforce__opportunities') }}

),

contacts as (

    select * from {{ ref('stg_salesforce__contacts') }}

),

activities as (

    select
        task_id as activity_id,
        'Task' as crm_activity_type,
        coalesce(task_subtype, 'Task') as crm_activity_subtype,
        who_id,
        what_id,
        owner_id,
        case
            when task_subtype in ('Call', 'Email', 'ListEmail')
                then coalesce(completed_at, created_at)
            else cast(activity_date as timestamp) at time zone 'UTC'
        end as occurred_at,
        call_type is not null as has_direction,
        case call_type when 'Outbound' then 'outbound' when 'Inbound' then 'inbound' end
            as direction,
        -- lower case, words joined by _ (Left Voicemail: left_voicemail), as fct_activities'
        replace(
            lower(
                case when task_subtype = 'Call' then coalesce(call_disposition, task_status)
                    else task_status
                end
            ),
            ' ',
            '_'
        ) as outcome,
        call_duration_seconds,
        coalesce(is_closed, task_status = 'Completed') as is_completed,
        is_deleted
    from tasks

    union all

    select
        event_id as activity_id,
        'Event' as crm_activity_type,
        coalesce(event_subtype, 'Event') as crm_activity_subtype,
        who_id,
        what_id,
        owner_id,
        start_at as occurred_at,
        false as has_direction,
        cast(null as {{ dbt.type_string() }}) as direction,
        cast(null as {{ dbt.type_string() }}) as outcome,
        cast(null as bigint) as call_duration_seconds,
        -- an event has no status: held once it ended before the run's day
        coalesce(end_at, start_at) < cast({{ as_of_date() }} as timestamp) at time zone 'UTC'
            as is_completed,
        is_deleted
    from events

),

final as (

    select
        'salesforce' as crm,
        activities.activity_id,
        activities.crm_activity_type,
        activities.crm_activity_subtype,
        activities.owner_id,
        case
            when activities.who_id is not null
                then {{ dbt.concat(["'salesforce:'", 'activities.who_id']) }}
        end as person_record_key,
        case
            when activities.what_id like '001%' then activities.what_id
            else coalesce(opportunities.account_id, contacts.account_id)
        end as account_id,
        case when activities.what_id like '006%' then activities.what_id end as deal_id,
        activities.occurred_at,
        activities.has_direction,
        activities.direction,
        activities.outcome,
        activities.call_duration_seconds,
        activities.is_completed,
        activities.is_deleted
    from activities
    left join opportunities
        on activities.what_id = opportunities.opportunity_id
    left join contacts
        on activities.who_id = contacts.contact_id

)

select * from final
