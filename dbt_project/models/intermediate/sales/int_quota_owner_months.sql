{{ config(materialized='table') }}

-- Every owner's quota for every month, reporting currency: reps as int_quota_rep_months has
-- them; a team its own row (int_quota_choices) if it has one, else the sum of its reps' quotas
-- (reps by their current team). Rules in models/marts/sales/README_quotas.md.
with

rep_months as (

    select * from {{ ref('int_quota_rep_months') }}

),

team_choices as (

    select * from {{ ref('int_quota_choices') }}
    where owner_type = 'team'

),

team_rep_sums as (

    select
        team_key,
        month_start,
        -- null when any rep's quota is (no FX rate), never a silently partial sum
        case when bool_and(monthly_quota is not null) then sum(monthly_quota) end
            as monthly_quota
    from rep_months
    where team_key is not null
    group by team_key, month_start

),

final as (

    select
        'rep' as owner_type,
        sales_rep_id as owner_id,
        month_start,
        monthly_quota
    from rep_months
    union all
    select
        'team' as owner_type,
        team_rep_sums.team_key as owner_id,
        team_rep_sums.month_start,
        case
            when team_choices.owner_id is not null then team_choices.monthly_quota_reporting
            else team_rep_sums.monthly_quota
        end as monthly_quota
    from team_rep_sums
    left join team_choices
        on
            team_rep_sums.team_key = team_choices.owner_id
            and team_rep_sums.month_start = team_choices.month_start

)

select * from final
