-- Sales reps (CRM owners / users) of every enabled CRM in one shape, with their key.
with

unioned as (

    {{ union_sources(
        {
            'hubspot': 'int_hubspot_sales_reps_prepared',
            'salesforce': 'int_salesforce_sales_reps_prepared',
        },
        {
            'crm': 'text',
            'owner_id': 'text',
            'rep_name': 'text',
            'email': 'text',
            'team_id': 'text',
            'team_name': 'text',
            'manager_owner_id': 'text',
            'active_from_date': 'date',
            'active_to_date': 'date',
            'is_active': 'boolean',
        },
    ) }}

),

final as (

    select
        {{ key_from(['crm', 'owner_id']) }} as sales_rep_id,
        crm,
        owner_id,
        rep_name,
        email,
        team_id,
        team_name,
        case
            when manager_owner_id is not null then {{ key_from(['crm', 'manager_owner_id']) }}
        end as manager_id,
        active_from_date,
        active_to_date,
        is_active
    from unioned

)

select * from final
