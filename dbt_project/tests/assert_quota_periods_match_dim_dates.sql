-- fct_quota_attainment's periods (macro quota_periods) agree with dim_dates for every day:
-- ISO weeks, months and fiscal quarters and years. Returns the days where they differ.
with

periods as (

    {{ quota_periods() }}

),

dates as (

    select * from {{ ref('dim_dates') }}

),

expected as (

    select
        date_day,
        'day' as period_type,
        date_day as period_start,
        date_day as period_end
    from dates
    union all
    select
        date_day,
        'week' as period_type,
        week_start_date,
        week_end_date
    from dates
    union all
    select
        date_day,
        'month' as period_type,
        month_start_date,
        month_end_date
    from dates
    union all
    select
        date_day,
        'quarter' as period_type,
        fiscal_quarter_start_date,
        fiscal_quarter_end_date
    from dates
    union all
    select
        date_day,
        'year' as period_type,
        fiscal_year_start_date,
        fiscal_year_end_date
    from dates

),

final as (

    select
        coalesce(periods.date_day, expected.date_day) as date_day,
        coalesce(periods.period_type, expected.period_type) as period_type,
        periods.period_start,
        periods.period_end,
        expected.period_start as expected_period_start,
        expected.period_end as expected_period_end
    from periods
    full outer join expected
        on
            periods.date_day = expected.date_day
            and periods.period_type = expected.period_type
    where
        periods.period_start is distinct from expected.period_start
        or periods.period_end is distinct from expected.period_end

)

select * from final
