with

reps as (

    select * from {{ ref('int_sales_reps_unioned') }}

),

final as (

    select
        reps.sales_rep_id,
        reps.crm,
        reps.owner_id,
        reps.rep_name,
        reps.email,
        reps.team_id,
        reps.team_name,
        case
            when reps.team_id is not null then {{ key_from(['reps.crm', 'reps.team_id']) }}
        end as team_key,
        reps.manager_id,
        managers.rep_name as manager_name,
        reps.active_from_date,
        reps.active_to_date,
        reps.is_active
    from reps
    left join reps as managers
        on reps.manager_id = managers.sales_rep_id

)

select * from final
