{{ config(materialized='table') }}

-- The months quotas are worked out for: every month any period (day, ISO week, month, fiscal
-- quarter, fiscal year) of a calendar day touches, so a report on any of those days finds all
-- of its periods' months (a year's twelve, a week's one or two).
with

calendar_periods as (

    {{ quota_periods() }}

),

calendar_bounds as (

    select
        cast({{ dbt.date_trunc('month', 'min(period_start)') }} as date) as first_month_start,
        max(period_end) as last_period_end
    from calendar_periods

),

months as (

    select cast(month_starts.month_start as date) as month_start
    from calendar_bounds
    cross join lateral generate_series(
        cast(calendar_bounds.first_month_start as timestamp),
        cast(calendar_bounds.last_period_end as timestamp),
        interval '1 month'
    ) as month_starts (month_start)

),

final as (

    select
        month_start,
        cast({{ dbt.last_day('month_start', 'month') }} as date) as month_end
    from months

)

select * from final
