{{ config(enabled=source_enabled('salesforce')) }}
with

source as (

    select * from {{ source('salesforce', 'tasks') }}

),

renamed as (

    select
        -- ids
        task_id,
        record ->> 'WhoId' as who_id,
        record ->> 'WhatId' as what_id,
        record ->> 'OwnerId' as owner_id,

        -- activity
        record ->> 'Subject' as subject,
        record ->> 'Type' as task_type,
        record ->> 'TaskSubtype' as task_subtype,
        record ->> 'Status' as task_status,
        {{ string_to_boolean("record ->> 'IsClosed'") }} as is_closed,
        record ->> 'CallType' as call_type,
        {{ string_to_number("record ->> 'CallDurationInSeconds'", 'bigint') }}
            as call_duration_seconds,
        record ->> 'CallDisposition' as call_disposition,

        -- dates and timestamps
        cast(nullif(record ->> 'ActivityDate', '') as date) as activity_date,
        {{ string_to_timestamp("record ->> 'CompletedDateTime'") }} as completed_at,
        {{ string_to_timestamp("record ->> 'CreatedDate'") }} as created_at,
        coalesce(
            {{ string_to_timestamp("record ->> 'LastModifiedDate'") }},
            {{ string_to_timestamp("record ->> 'SystemModstamp'") }}
        ) as updated_at,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
