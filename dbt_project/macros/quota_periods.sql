{#-
    Quota pacing helpers (fct_quota_attainment, README_quotas.md).

    quota_pacing_basis(): the validated var quota_pacing_basis, working_days or calendar_days.
-#}
{% macro quota_pacing_basis() -%}
    {%- set basis = var('quota_pacing_basis') | string | trim | lower -%}
    {%- if basis not in ('working_days', 'calendar_days') -%}
        {{ exceptions.raise_compiler_error(
            "var quota_pacing_basis must be working_days or calendar_days, got '"
            ~ var('quota_pacing_basis') ~ "'"
        ) }}
    {%- endif -%}
    {{- return(basis) -}}
{%- endmacro %}


{#-
    quota_weighted_days(first_day, last_day): how many pacing days lie in [first_day, last_day]
    (inclusive, 0 when last_day < first_day): every day with basis calendar_days, Monday to
    Friday with working_days (public holidays are not taken out). Arithmetic, not a count over
    the days, so a year's row costs what a day's does: the working days before a date are 5 per
    whole week since a Monday epoch (0001-01-01) plus the week's remainder, at most 5.
-#}
{% macro quota_weighted_days(first_day, last_day) -%}
    {%- if quota_pacing_basis() == 'calendar_days' -%}
        greatest({{ last_day }} - {{ first_day }} + 1, 0)
    {%- else -%}
        {%- set epoch = "cast('0001-01-01' as date)" -%}
        {%- set days_to_first = dbt.datediff(epoch, first_day, 'day') -%}
        {%- set days_past_last = '(' ~ dbt.datediff(epoch, last_day, 'day') ~ ' + 1)' -%}
        greatest(
            5 * ({{ days_past_last }} / 7) + least(mod({{ days_past_last }}, 7), 5)
            - (5 * ({{ days_to_first }} / 7) + least(mod({{ days_to_first }}, 7), 5)),
            0
        )
    {%- endif -%}
{%- endmacro %}


{#-
    quota_periods(): one row per calendar day (vars calendar_start..calendar_end) and period
    type (day, week, month, quarter, year) with the period's first and last day. Weeks are ISO
    weeks (Monday to Sunday); quarters and years are fiscal (var fiscal_year_start_month),
    from the same macros as dim_dates (fiscal_periods.sql; the singular test
    assert_quota_periods_match_dim_dates checks the two agree). A macro rather than a model so
    that fct_quota_attainment's unit tests exercise the real period arithmetic under
    overridden vars.
-#}
{% macro quota_periods() -%}
    with

    calendar as (

        {{ calendar_days() }}

    ),

    period_starts as (

        select
            date_day,
            date_day - (cast(extract(isodow from date_day) as integer) - 1) as week_start_date,
            make_date(
                cast(extract(year from date_day) as integer),
                cast(extract(month from date_day) as integer),
                1
            ) as month_start_date,
            {{ fiscal_quarter_start_date('date_day') }} as fiscal_quarter_start_date,
            {{ fiscal_year_start_date('date_day') }} as fiscal_year_start_date
        from calendar

    ),

    periods as (

        select
            date_day,
            'day' as period_type,
            date_day as period_start,
            date_day as period_end
        from period_starts
        union all
        select
            date_day,
            'week' as period_type,
            week_start_date as period_start,
            week_start_date + 6 as period_end
        from period_starts
        union all
        select
            date_day,
            'month' as period_type,
            month_start_date as period_start,
            cast(month_start_date + interval '1 month' - interval '1 day' as date) as period_end
        from period_starts
        union all
        select
            date_day,
            'quarter' as period_type,
            fiscal_quarter_start_date as period_start,
            cast(
                fiscal_quarter_start_date + interval '3 months' - interval '1 day' as date
            ) as period_end
        from period_starts
        union all
        select
            date_day,
            'year' as period_type,
            fiscal_year_start_date as period_start,
            cast(fiscal_year_start_date + interval '1 year' - interval '1 day' as date)
                as period_end
        from period_starts

    )

    select
        date_day,
        period_type,
        period_start,
        period_end
    from periods
{%- endmacro %}
