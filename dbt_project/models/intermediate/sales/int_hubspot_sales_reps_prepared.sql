{{ config(enabled=source_enabled('hubspot')) }}
-- HubSpot owners in the CRM-neutral rep shape of dim_sales_reps. HubSpot has no managers;
-- an archived owner was active until it was archived (archivedAt, else its last update).
with

owners as (

    select * from {{ ref('stg_hubspot__owners') }}

),

final as (

    select
        'hubspot' as crm,
        cast(owner_id as text) as owner_id,
        nullif(btrim(concat_ws(' ', first_name, last_name)), '') as rep_name,
        email,
        primary_team_id as team_id,
        primary_team_name as team_name,
        cast(null as text) as manager_owner_id,
        {{ to_utc_date('created_at') }} as active_from_date,
        case
            when is_deleted then {{ to_utc_date('coalesce(archived_at, updated_at)') }}
        end as active_to_date,
        not is_deleted as is_active
    from owners

)

select * from final
