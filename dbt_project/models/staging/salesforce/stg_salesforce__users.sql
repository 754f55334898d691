{{ config(enabled=source_enabled('salesforce')) }}
with

source as (

    select * from {{ source('salesforce', 'users') }}

),

renamed as (

    select
        -- ids
        user_id,
        record ->> 'UserRoleId' as user_role_id,
        record ->> 'ManagerId' as manager_user_id,

        -- user
        record ->> 'Name' as user_name,
        record ->> 'FirstName' as first_name,
        record ->> 'LastName' as last_name,
        lower(btrim(record ->> 'Email')) as email,
        record ->> 'Username' as username,
        record -> 'UserRole' ->> 'Name' as role_name,
        record ->> 'Department' as department,
        {{ string_to_boolean("record ->> 'IsActive'") }} as is_active,

        -- timestamps
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
