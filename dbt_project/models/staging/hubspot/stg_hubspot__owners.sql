{{ config(enabled=source_enabled('hubspot')) }}
with

source as (

    select * from {{ source('hubspot', 'owners') }}

),

renamed as (

    select
        -- ids
        owner_id,
        {{ string_to_number("record ->> 'userId'", 'bigint') }} as user_id,

        -- owner
        lower(btrim(record ->> 'email')) as email,
        record ->> 'firstName' as first_name,
        record ->> 'lastName' as last_name,
        record ->> 'type' as owner_type,

        -- primary team: the team flagged primary, else the first team listed
        coalesce(
            jsonb_path_query_first(record, '$.teams[*] ? (@.primary == true)'),
            record -> 'teams' -> 0
        ) ->> 'id' as primary_team_id,
        coalesce(
            jsonb_path_query_first(record, '$.teams[*] ? (@.primary == true)'),
            record -> 'teams' -> 0
        ) ->> 'name' as primary_team_name,

        -- timestamps
        {{ string_to_timestamp("record ->> 'createdAt'") }} as created_at,
        {{ string_to_timestamp("record ->> 'updatedAt'") }} as updated_at,
        {{ string_to_timestamp("record ->> 'archivedAt'") }} as archived_at,

        -- flags and load metadata
        is_deleted,
        _loaded_at

    from source

)

select * from renamed
