with

calendar as (

    {{ calendar_days() }}

),

date_parts as (

    select
        date_day,
        cast(extract(isodow from date_day) as integer) as day_of_week,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(extract(doy from date_day) as integer) as day_of_year,
        cast(extract(week from date_day) as integer) as iso_week,
        cast(extract(isoyear from date_day) as integer) as iso_year,
        cast(extract(month from date_day) as integer) as calendar_month,
        cast(extract(quarter from date_day) as integer) as calendar_quarter,
        cast(extract(year from date_day) as integer) as calendar_year
    from calendar

),

period_starts as (

    select
        date_day,
        day_of_week,
        day_of_month,
        day_of_year,
        iso_week,
        iso_year,
        calendar_month,
        calendar_quarter,
        calendar_year,
        date_day - (day_of_week - 1) as week_start_date,
        make_date(calendar_year, calendar_month, 1) as month_start_date,
        make_date(calendar_year, (calendar_quarter - 1) * 3 + 1, 1) as quarter_start_date,
        make_date(calendar_year, 1, 1) as year_start_date,
        {{ fiscal_year_start_date('date_day') }} as fiscal_year_start_date,
        {{ fiscal_quarter_start_date('date_day') }} as fiscal_quarter_start_date,
        {{ fiscal_month('date_day') }} as fiscal_month
    from date_parts

),

fiscal_periods as (

    select
        date_day,
        day_of_week,
        day_of_month,
        day_of_year,
        iso_week,
        iso_year,
        calendar_month,
        calendar_quarter,
        calendar_year,
        week_start_date,
        month_start_date,
        quarter_start_date,
        year_start_date,
        fiscal_year_start_date,
        fiscal_quarter_start_date,
        fiscal_month,
        (fiscal_month - 1) / 3 + 1 as fiscal_quarter,
        cast(fiscal_year_start_date + interval '1 year' - interval '1 day' as date)
            as fiscal_year_end_date
    from period_starts

),

final as (

    select
        date_day,
        day_of_week,
        to_char(date_day, 'FMDay') as day_name,
        day_of_month,
        day_of_year,
        day_of_week in (6, 7) as is_weekend,
        iso_week,
        iso_year,
        calendar_month,
        to_char(date_day, 'FMMonth') as month_name,
        calendar_quarter,
        calendar_year,
        fiscal_month,
        fiscal_quarter,
        cast(extract(year from fiscal_year_end_date) as integer) as fiscal_year,
        week_start_date,
        week_start_date + 6 as week_end_date,
        month_start_date,
        cast(month_start_date + interval '1 month' - interval '1 day' as date)
            as month_end_date,
        quarter_start_date,
        cast(quarter_start_date + interval '3 months' - interval '1 day' as date)
            as quarter_end_date,
        year_start_date,
        make_date(calendar_year, 12, 31) as year_end_date,
        fiscal_quarter_start_date,
        cast(fiscal_quarter_start_date + interval '3 months' - interval '1 day' as date)
            as fiscal_quarter_end_date,
        fiscal_year_start_date,
        fiscal_year_end_date
    from fiscal_periods

)

select * from final
