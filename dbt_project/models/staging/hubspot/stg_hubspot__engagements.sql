{{ config(enabled=source_enabled('hubspot')) }}
/*
    The five engagement tables (calls, emails, meetings, tasks, notes) in one shape, a row per
    engagement: HubSpot engagement ids are unique across the types. Associations are the first
    contact, company and deal the v4 batch read listed (`record.associations`).
*/
with

calls as (

    select
        call_id as engagement_id,
        'calls' as engagement_type,
        record,
        is_deleted,
        _loaded_at
    from {{ source('hubspot', 'calls') }}

),

emails as (

    select
        email_id as engagement_id,
        'emails' as engagement_type,
        record,
        is_deleted,
        _loaded_at
    from {{ source('hubspot', 'emails') }}

),

meetings as (

    select
        meeting_id as engagement_id,
        'meetings' as engagement_type,
        record,
        is_deleted,
        _loaded_at
    from {{ source('hubspot', 'meetings') }}

),

tasks as (

    select
        task_id as engagement_id,
        'tasks' as engagement_type,
        record,
        is_deleted,
        _loaded_at
    from {{ source('hubspot', 'tasks') }}

),

notes as (

    select
        note_id as engagement_id,
        'notes' as engagement_type,
        record,
        is_deleted,
        _loaded_at
    from {{ source('hubspot', 'notes') }}

),

source as (

    select * from calls
    union all
    select * from emails
    union all
    select * from meetings
    union all
    select * from tasks
    union all
    select * from notes

),

renamed as (

    select
        -- ids
        engagement_id,
        engagement_type,
        {{ string_to_number("record -> 'properties' ->> 'hubspot_owner_id'", 'bigint') }}
            as owner_id,
        {{ string_to_number(
            "record -> 'associations' -> 'contacts' -> 0 ->> 'toObjectId'", 'bigint'
        ) }} as contact_id,
        {{ string_to_number(
            "record -> 'associations' -> 'companies' -> 0 ->> 'toObjectId'", 'bigint'
        ) }} as company_id,
        {{ string_to_number(
            "record -> 'associations' -> 'deals' -> 0 ->> 'toObjectId'", 'bigint'
        ) }} as deal_id,

        -- activity
        upper(nullif(record -> 'properties' ->> 'hs_call_direction', '')) as call_direction,
        {{ string_to_number("record -> 'properties' ->> 'hs_call_duration'", 'bigint') }}
            as call_duration_ms,
        nullif(record -> 'properties' ->> 'hs_call_disposition', '') as call_disposition,
        upper(nullif(record -> 'properties' ->> 'hs_call_status', '')) as call_status,
        upper(nullif(record -> 'properties' ->> 'hs_email_direction', '')) as email_direction,
        upper(nullif(record -> 'properties' ->> 'hs_email_status', '')) as email_status,
        upper(nullif(record -> 'properties' ->> 'hs_meeting_outcome', '')) as meeting_outcome,
        upper(nullif(record -> 'properties' ->> 'hs_task_status', '')) as task_status,
        upper(nullif(record -> 'properties' ->> 'hs_task_type', '')) as task_type,

        -- timestamps
        {{ string_to_timestamp("record -> 'properties' ->> 'hs_timestamp'") }} as occurred_at,
        {{ string_to_timestamp("record -> 'properties' ->> 'hs_meeting_end_time'") }}
            as meeting_end_at,
        {{ string_to_timestamp("record -> 'properties' ->> 'hs_task_completion_date'") }}
            as task_completed_at,
        coalesce(
            {{ string_to_timestamp("record -> 'properties' ->> 'hs_createdate'") }},
            {{ string_to_timestamp("record ->> 'createdAt'") }}
        ) as created_at,
        coalesce(
            {{ string_to_timestamp("record -> 'properties' ->> 'hs_lastmodifieddate'") }},
            {{ string_to_timestamp("record ->> 'updatedAt'") }}
        ) as updated_at,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
