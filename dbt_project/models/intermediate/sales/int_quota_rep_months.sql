{{ config(materialized='table') }}

{#- Each rep's quota for each month: the chosen row (int_quota_choices), 0 in months the rep was
    not active in or without a row, and a default row ramped up over a new rep's first months
    (var quota_ramp_shares). Rules in models/marts/sales/README_quotas.md. -#}
{%- set ramp_shares = var('quota_ramp_shares') or [] -%}
{%- for share in ramp_shares -%}
    {%- if share is not number or share < 0 -%}
        {{ exceptions.raise_compiler_error(
            "var quota_ramp_shares must be a list of non-negative numbers, got "
            ~ var('quota_ramp_shares')
        ) }}
    {%- endif -%}
{%- endfor -%}

with

sales_reps as (

    select * from {{ ref('dim_sales_reps') }}

),

months as (

    select * from {{ ref('int_quota_months') }}

),

choices as (

    select * from {{ ref('int_quota_choices') }}
    where owner_type = 'rep'

),

rep_months as (

    select
        sales_reps.sales_rep_id,
        sales_reps.team_key,
        months.month_start,
        (
            sales_reps.active_from_date is null
            or sales_reps.active_from_date
            < cast(months.month_start + interval '1 month' as date)
        )
        and (
            sales_reps.active_to_date is null
            or sales_reps.active_to_date >= months.month_start
        ) as is_active_in_month,
        (
            cast(extract(year from months.month_start) as integer) * 12
            + cast(extract(month from months.month_start) as integer)
        )
        - (
            cast(extract(year from sales_reps.active_from_date) as integer) * 12
            + cast(extract(month from sales_reps.active_from_date) as integer)
        ) as months_since_joining
    from sales_reps
    cross join months

),

final as (

    select
        rep_months.sales_rep_id,
        rep_months.team_key,
        rep_months.month_start,
        rep_months.is_active_in_month,
        rep_months.months_since_joining,
        choices.quota_owner_id,
        coalesce(choices.is_default, false) as is_default_quota,
        case
            when not rep_months.is_active_in_month then 0
            when choices.owner_id is null then 0
            -- a default row ramps up over a new rep's first months; own rows are taken as
            -- written. A quota without an FX rate stays null (a not_null test on
            -- fct_quota_attainment.quota says so).
            when choices.is_default
                then choices.monthly_quota_reporting
                    * case rep_months.months_since_joining
                        {%- for share in ramp_shares %}
                            when {{ loop.index0 }} then {{ share }}
                        {%- endfor %}
                        else 1
                    end
            else choices.monthly_quota_reporting
        end as monthly_quota
    from rep_months
    left join choices
        on
            rep_months.sales_rep_id = choices.owner_id
            and rep_months.month_start = choices.month_start

)

select * from final
