{{ config(materialized='table') }}
/*
    Everyone a quota can belong to: every rep (owner_type 'rep', the sales_rep_id) and every
    team that has a rep (owner_type 'team', the team_key). Quota choice, attainment and the
    check that every quota row applies to someone all read this one list.
*/
with

sales_reps as (

    select * from {{ ref('dim_sales_reps') }}

),

final as (

    select
        'rep' as owner_type,
        sales_rep_id as owner_id
    from sales_reps
    union all
    select distinct
        'team' as owner_type,
        team_key as owner_id
    from sales_reps
    where team_key is not null

)

select * from final
