-- One row per day x currency: the rate in force that day (latest rate_date on or before it)
-- and the factor that turns one unit of the currency into the reporting currency, through
-- USD when neither side is USD (cross rate). The one place currency conversion is defined.
with

calendar as (

    {{ calendar_days() }}

),

fx_rates as (

    select
        rate_date,
        upper(currency_code) as currency_code,
        usd_per_unit
    from {{ ref('fx_rates') }}

),

rate_periods as (

    select
        currency_code,
        rate_date,
        usd_per_unit,
        lead(rate_date) over (
            partition by currency_code
            order by rate_date
        ) as next_rate_date
    from fx_rates

),

daily_usd_rates as (

    select
        calendar.date_day,
        rate_periods.currency_code,
        rate_periods.rate_date,
        rate_periods.usd_per_unit
    from calendar
    inner join rate_periods
        on
            calendar.date_day >= rate_periods.rate_date
            and (
                calendar.date_day < rate_periods.next_rate_date
                or rate_periods.next_rate_date is null
            )

),

reporting_currency_rates as (

    select
        date_day,
        usd_per_unit
    from daily_usd_rates
    where currency_code = {{ currency_var('reporting_currency') }}

),

final as (

    select
        daily_usd_rates.date_day,
        daily_usd_rates.currency_code,
        {{ currency_var('reporting_currency') }} as reporting_currency_code,
        daily_usd_rates.rate_date,
        daily_usd_rates.usd_per_unit,
        reporting_currency_rates.usd_per_unit as reporting_currency_usd_per_unit,
        round(
            daily_usd_rates.usd_per_unit / reporting_currency_rates.usd_per_unit, 10
        ) as reporting_per_unit
    from daily_usd_rates
    left join reporting_currency_rates
        on daily_usd_rates.date_day = reporting_currency_rates.date_day

)

select * from final
