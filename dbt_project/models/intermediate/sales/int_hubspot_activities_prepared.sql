{{ config(enabled=source_enabled('hubspot')) }}
/*
    HubSpot engagements in the shape fct_activities unions: the person as its identity record
    key (int_attribution_contact_records), the direction where the object records one (calls,
    emails), the call outcome's label for HubSpot's default outcome GUIDs.
*/
with

engagements as (

    select * from {{ ref('stg_hubspot__engagements') }}

),

final as (

    select
        'hubspot' as crm,
        cast(engagement_id as {{ dbt.type_string() }}) as activity_id,
        engagement_type as crm_activity_type,
        '' as crm_activity_subtype,
        cast(owner_id as {{ dbt.type_string() }}) as owner_id,
        {% set contact_text = "cast(contact_id as " ~ dbt.type_string() ~ ")" -%}
        case
            when contact_id is not null then {{ dbt.concat(["'hubspot:'", contact_text]) }}
        end as person_record_key,
        cast(company_id as {{ dbt.type_string() }}) as account_id,
        cast(deal_id as {{ dbt.type_string() }}) as deal_id,
        occurred_at,
        engagement_type in ('calls', 'emails') as has_direction,
        case
            when engagement_type = 'calls' and call_direction = 'OUTBOUND' then 'outbound'
            when engagement_type = 'calls' and call_direction = 'INBOUND' then 'inbound'
            when engagement_type = 'emails' and email_direction = 'EMAIL' then 'outbound'
            when engagement_type = 'emails' and email_direction = 'INCOMING_EMAIL' then 'inbound'
        end as direction,
        case engagement_type
            when 'calls'
                then
                    case call_disposition
                        when 'f240bbac-87c9-4f6e-bf70-924b57d47db7' then 'connected'
                        when '73a0d17f-1163-4015-bdd5-ec830791da20' then 'no_answer'
                        when 'b2cf5968-551e-4856-9783-52b3da59a7d0' then 'left_voicemail'
                        when '9d9162e7-6cf3-4944-bf63-4dff82258764' then 'busy'
                        when '17b47fee-58de-441e-a44c-c6300d46f273' then 'wrong_number'
                        when 'a4c4c377-d246-4b32-a13b-75a56a4cd0ff' then 'left_live_message'
                        else coalesce(call_disposition, lower(call_status))
                    end
            when 'emails' then lower(email_status)
            when 'meetings' then lower(meeting_outcome)
            when 'tasks' then lower(task_status)
        end as outcome,
        case
            when engagement_type = 'calls' then cast(round(call_duration_ms / 1000.0) as bigint)
        end as call_duration_seconds,
        case engagement_type
            when 'calls' then coalesce(call_status = 'COMPLETED', true)
            when 'emails' then coalesce(email_status not in ('SCHEDULED', 'FAILED'), true)
            when 'meetings' then coalesce(meeting_outcome = 'COMPLETED', false)
            when 'tasks' then coalesce(task_status = 'COMPLETED', false)
            when 'notes' then true
        end as is_completed,
        is_deleted
    from engagements

)

select * from final
