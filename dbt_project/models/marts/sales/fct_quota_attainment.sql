{#- Quota pacing per rep and team, day and period type: rules in README_quotas.md. The monthly
    quotas (choice, FX, ramps, team roll-up) and the daily bookings come from the int_quota_*
    models; this model spreads them over the report's days and periods. -#}
{%- set quota_end_date = var('quota_end_date') -%}
{%- set date_pattern = '\\d{4}-\\d{2}-\\d{2}' -%}
{%- if quota_end_date and modules.re.fullmatch(date_pattern, quota_end_date | string) is none -%}
    {{ exceptions.raise_compiler_error(
        "var quota_end_date must be a date YYYY-MM-DD or null, got '" ~ quota_end_date ~ "'"
    ) }}
{%- endif -%}

with

quotas as (

    select * from {{ ref('quotas') }}

),

owners as (

    select * from {{ ref('int_quota_owners') }}

),

deals as (

    select * from {{ ref('fct_deals') }}

),

owner_months as (

    select * from {{ ref('int_quota_owner_months') }}

),

owner_bookings as (

    select * from {{ ref('int_quota_bookings') }}

),

-- the forecast method projected uses (README_forecast.md) and every forecast made at a week end
method_choice as (

    select * from {{ ref('int_forecast_method_choice') }}

),

predictions as (

    select * from {{ ref('int_forecast_predictions') }}
    where is_week_end

),

calendar_periods as (

    {{ quota_periods() }}

),

-- rows run from the later of the first quota and the first deal to the last day with deal
-- activity (or var quota_end_date), inside the calendar vars
report_range as (

    select
        greatest(
            (select min(quotas.period_start) from quotas),
            min({{ to_utc_date('deals.created_at') }})
        ) as first_day,
        {% if quota_end_date -%}
            cast('{{ quota_end_date }}' as date)
        {%- else -%}
            max(greatest(
                {{ to_utc_date('deals.created_at') }}, {{ to_utc_date('deals.closed_at') }}
            ))
        {%- endif %} as last_day
    from deals

),

report_periods as (

    select
        calendar_periods.date_day,
        calendar_periods.period_type,
        calendar_periods.period_start,
        calendar_periods.period_end,
        {{ quota_weighted_days('calendar_periods.period_start', 'calendar_periods.date_day') }}
            as elapsed_days,
        {{ quota_weighted_days('calendar_periods.period_start', 'calendar_periods.period_end') }}
            as period_days
    from calendar_periods
    inner join report_range
        on calendar_periods.date_day between report_range.first_day and report_range.last_day

),

distinct_periods as (

    select distinct
        period_type,
        period_start,
        period_end
    from report_periods

),

-- each month a period overlaps and the share of that month's quota falling in the period
-- (1 for whole months; a week or day gets its pacing days' share of the month). Materialized:
-- inlined, its lateral series made the planner re-sort the owners' months once per period.
period_months as materialized (

    select
        distinct_periods.period_type,
        distinct_periods.period_start,
        distinct_periods.period_end,
        cast(months.month_start as date) as month_start,
        cast(
            {{ quota_weighted_days(
                'greatest(distinct_periods.period_start, cast(months.month_start as date))',
                'least(distinct_periods.period_end, '
                ~ "cast(months.month_start + interval '1 month' - interval '1 day' as date))"
            ) }} as numeric
        ) / {{ quota_weighted_days(
            'cast(months.month_start as date)',
            "cast(months.month_start + interval '1 month' - interval '1 day' as date)"
        ) }} as month_share
    from distinct_periods
    cross join lateral generate_series(
        cast(date_trunc('month', cast(distinct_periods.period_start as timestamp)) as timestamp),
        cast(distinct_periods.period_end as timestamp),
        interval '1 month'
    ) as months (month_start)

),

-- a period's quota: its months' quotas x the period's share of each (a month without a row
-- in int_quota_owner_months counts 0; one whose quota is null, for want of an FX rate, makes
-- the period's null)
owner_period_quotas as (

    select
        owners.owner_type,
        owners.owner_id,
        period_months.period_type,
        period_months.period_start,
        case
            when bool_and(owner_months.owner_id is null or owner_months.monthly_quota is not null)
                then sum(coalesce(owner_months.monthly_quota, 0) * period_months.month_share)
        end as quota
    from owners
    cross join period_months
    left join owner_months
        on
            owners.owner_type = owner_months.owner_type
            and owners.owner_id = owner_months.owner_id
            and period_months.month_start = owner_months.month_start
    group by
        owners.owner_type,
        owners.owner_id,
        period_months.period_type,
        period_months.period_start

),

-- booked to date = what was booked in the period before the report's first day (only the
-- periods containing that day start before it) + the report days' bookings, summed in day
-- order over each owner's period
first_report_day as (

    select min(date_day) as date_day
    from report_periods

),

opening_periods as (

    select distinct
        report_periods.period_type,
        report_periods.period_start
    from report_periods
    cross join first_report_day
    where report_periods.period_start < first_report_day.date_day

),

period_openings as (

    select
        owner_bookings.owner_type,
        owner_bookings.owner_id,
        opening_periods.period_type,
        opening_periods.period_start,
        sum(owner_bookings.booked) as booked_before_first_day
    from opening_periods
    cross join first_report_day
    inner join owner_bookings
        on
            opening_periods.period_start <= owner_bookings.close_date
            and first_report_day.date_day > owner_bookings.close_date
    group by
        owner_bookings.owner_type,
        owner_bookings.owner_id,
        opening_periods.period_type,
        opening_periods.period_start

),

owner_periods as (

    select
        owners.owner_type,
        owners.owner_id,
        report_periods.date_day,
        report_periods.period_type,
        report_periods.period_start,
        report_periods.period_end,
        owner_period_quotas.quota,
        -- pacing days elapsed, the current day included; a period without any (a weekend
        -- day on working days) counts as wholly elapsed
        case
            when report_periods.period_days = 0 then 1
            else cast(report_periods.elapsed_days as numeric) / report_periods.period_days
        end as elapsed_share,
        period_openings.booked_before_first_day
    from owners
    cross join report_periods
    left join owner_period_quotas
        on
            owners.owner_type = owner_period_quotas.owner_type
            and owners.owner_id = owner_period_quotas.owner_id
            and report_periods.period_type = owner_period_quotas.period_type
            and report_periods.period_start = owner_period_quotas.period_start
    left join period_openings
        on
            owners.owner_type = period_openings.owner_type
            and owners.owner_id = period_openings.owner_id
            and report_periods.period_type = period_openings.period_type
            and report_periods.period_start = period_openings.period_start

),

-- each day's bookings in the report periods containing that day (a join on the day alone:
-- joined to the owners' rows, a merge on the owner with the day as a filter compared every
-- row of an owner with every booking of theirs)
booking_periods as (

    select
        owner_bookings.owner_type,
        owner_bookings.owner_id,
        report_periods.date_day,
        report_periods.period_type,
        report_periods.period_start,
        owner_bookings.booked
    from owner_bookings
    inner join report_periods
        on owner_bookings.close_date = report_periods.date_day

),

-- the owners' rows and the bookings in one stream; a day's bookings sort before its row
period_rows as (

    select
        owner_type,
        owner_id,
        date_day,
        period_type,
        period_start,
        period_end,
        quota,
        elapsed_share,
        booked_before_first_day,
        null as booked,
        true as is_owner_row
    from owner_periods
    union all
    select
        owner_type,
        owner_id,
        date_day,
        period_type,
        period_start,
        null as period_end,
        null as quota,
        null as elapsed_share,
        null as booked_before_first_day,
        booked,
        false as is_owner_row
    from booking_periods

),

booked_to_date as (

    select
        owner_type,
        owner_id,
        date_day,
        period_type,
        period_start,
        period_end,
        quota,
        elapsed_share,
        is_owner_row,
        coalesce(booked_before_first_day, 0)
        + coalesce(sum(booked) over (
            partition by owner_type, owner_id, period_type, period_start
            order by date_day, is_owner_row
            rows between unbounded preceding and current row
        ), 0) as booked_to_date
    from period_rows

),

-- projected: the run rate, except on quarter rows when the backtest chose another method
-- (int_forecast_method_choice): then that method's forecast made at the end of the latest week
-- ending on or before the day inside the quarter (an owner without a row that day had nothing
-- booked or open: 0), never under booked_to_date. Days before the quarter's first week end, or
-- outside the weeks forecast, and a statistical forecast without history keep the run rate.
forecast_weeks as (

    select
        min(as_of_date) as first_as_of_date,
        max(as_of_date) as last_as_of_date
    from predictions

),

projections as (

    select
        booked_to_date.*,
        case
            when method_choice.forecast_method = 'statistical'
                then coalesce(
                        predictions.statistical_forecast,
                        case when predictions.owner_id is null then 0 end
                    )
            when method_choice.forecast_method = 'commit'
                then coalesce(predictions.commit_forecast, 0)
        end as forecast,
        method_choice.forecast_method
    from booked_to_date
    cross join forecast_weeks
    left join method_choice
        on
            method_choice.is_chosen
            and method_choice.forecast_method != 'run_rate'
            and booked_to_date.period_type = 'quarter'
            and {{ dbt.dateadd(
                'day',
                '- mod(cast(extract(isodow from booked_to_date.date_day) as integer), 7)',
                'booked_to_date.date_day'
            ) }} >= booked_to_date.period_start
            and {{ dbt.dateadd(
                'day',
                '- mod(cast(extract(isodow from booked_to_date.date_day) as integer), 7)',
                'booked_to_date.date_day'
            ) }} between forecast_weeks.first_as_of_date and forecast_weeks.last_as_of_date
    left join predictions
        on
            method_choice.forecast_method is not null
            and booked_to_date.owner_type = predictions.owner_type
            and booked_to_date.owner_id = predictions.owner_id
            and {{ dbt.dateadd(
                'day',
                '- mod(cast(extract(isodow from booked_to_date.date_day) as integer), 7)',
                'booked_to_date.date_day'
            ) }} = predictions.as_of_date
    where booked_to_date.is_owner_row

),

final as (

    select
        owner_type,
        owner_id,
        date_day,
        period_type,
        period_start,
        period_end,
        round(quota, 2) as quota,
        booked_to_date,
        round(booked_to_date / nullif(quota, 0), 4) as attainment,
        round(quota * elapsed_share, 2) as expected_to_date,
        round(booked_to_date / nullif(quota * elapsed_share, 0), 4) as pacing,
        case
            when forecast is not null then round(greatest(forecast, booked_to_date), 2)
            else round(booked_to_date / nullif(elapsed_share, 0), 2)
        end as projected,
        round(elapsed_share, 6) as elapsed_share,
        {{ currency_var('reporting_currency') }} as reporting_currency_code,
        case when forecast is not null then forecast_method else 'run_rate' end
            as projected_method
    from projections

)

select * from final
