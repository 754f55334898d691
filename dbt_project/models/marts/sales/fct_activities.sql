/*
    One row per sales activity (call, email, meeting, task, note) of either CRM, on one
    standard vocabulary (seed activity_type_mapping). Deleted activities are left out. The
    person is dim_contacts' contact_id of the activity's CRM record (a HubSpot contact, a
    Salesforce lead or contact), as int_attribution_contact_records stitches them.
*/
with

activities as (

    {{ union_sources(
        {
            'hubspot': 'int_hubspot_activities_prepared',
            'salesforce': 'int_salesforce_activities_prepared',
        },
        {
            'crm': 'text',
            'activity_id': 'text',
            'crm_activity_type': 'text',
            'crm_activity_subtype': 'text',
            'owner_id': 'text',
            'person_record_key': 'text',
            'account_id': 'text',
            'deal_id': 'text',
            'occurred_at': 'timestamptz',
            'has_direction': 'boolean',
            'direction': 'text',
            'outcome': 'text',
            'call_duration_seconds': 'bigint',
            'is_completed': 'boolean',
            'is_deleted': 'boolean',
        },
    ) }}

),

type_mapping as (

    select * from {{ ref('activity_type_mapping') }}

),

contact_records as (

    select * from {{ ref('int_attribution_contact_records') }}

),

final as (

    select
        {{ key_from(['activities.crm', 'activities.activity_id']) }} as activity_key,
        activities.crm,
        activities.activity_id,
        activities.crm_activity_type,
        nullif(activities.crm_activity_subtype, '') as crm_activity_subtype,
        coalesce(type_mapping.activity_type, 'unmapped') as activity_type,
        coalesce(type_mapping.channel, 'unmapped') as channel,
        case
            when activities.has_direction then activities.direction
            else nullif(type_mapping.default_direction, '')
        end as direction,
        case
            when activities.owner_id is not null
                then {{ key_from(['activities.crm', 'activities.owner_id']) }}
        end as sales_rep_id,
        contact_records.contact_id,
        case
            when activities.account_id is not null
                then {{ key_from(['activities.crm', 'activities.account_id']) }}
        end as account_key,
        case
            when activities.deal_id is not null
                then {{ key_from(['activities.crm', 'activities.deal_id']) }}
        end as deal_key,
        activities.occurred_at,
        {{ to_utc_date('activities.occurred_at') }} as occurred_date,
        activities.outcome,
        activities.call_duration_seconds,
        activities.is_completed
    from activities
    left join type_mapping
        on
            activities.crm = type_mapping.crm
            and activities.crm_activity_type = type_mapping.crm_activity_type
            and coalesce(activities.crm_activity_subtype, '')
            = coalesce(type_mapping.crm_activity_subtype, '')
    left join contact_records
        on activities.person_record_key = contact_records.record_key
    where not activities.is_deleted

)

select * from final
