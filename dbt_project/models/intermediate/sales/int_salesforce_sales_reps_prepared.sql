{{ config(enabled=source_enabled('salesforce')) }}
-- Salesforce Users in the CRM-neutral rep shape of dim_sales_reps: the role is the team and
-- ManagerId the manager. Salesforce never deletes a user, it deactivates it (IsActive false);
-- the deactivation day is taken as its last modification.
with

users as (

    select * from {{ ref('stg_salesforce__users') }}

),

final as (

    select
        'salesforce' as crm,
        user_id as owner_id,
        coalesce(user_name, nullif(btrim(concat_ws(' ', first_name, last_name)), '')) as rep_name,
        email,
        user_role_id as team_id,
        role_name as team_name,
        manager_user_id as manager_owner_id,
        {{ to_utc_date('created_at') }} as active_from_date,
        case
            when not coalesce(is_active, true) or is_deleted
                then {{ to_utc_date('updated_at') }}
        end as active_to_date,
        coalesce(is_active, true) and not is_deleted as is_active
    from users

)

select * from final
