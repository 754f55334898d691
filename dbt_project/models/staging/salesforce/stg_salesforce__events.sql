{{ config(enabled=source_enabled('salesforce')) }}
with

source as (

    select * from {{ source('salesforce', 'events') }}

),

renamed as (

    select
        -- ids
        event_id,
        record ->> 'WhoId' as who_id,
        record ->> 'WhatId' as what_id,
        record ->> 'OwnerId' as owner_id,

        -- activity
        record ->> 'Subject' as subject,
        record ->> 'Type' as event_type,
        record ->> 'EventSubtype' as event_subtype,
        {{ string_to_number("record ->> 'DurationInMinutes'", 'bigint') }} as duration_minutes,

        -- dates and timestamps
        cast(nullif(record ->> 'ActivityDate', '') as date) as activity_date,
        {{ string_to_timestamp("record ->> 'ActivityDateTime'") }} as start_at,
        {{ string_to_timestamp("record ->> 'EndDateTime'") }} as end_at,
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
