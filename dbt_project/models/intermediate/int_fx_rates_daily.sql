-- One row per day x currency: the factor that turns one unit of the currency into the
-- reporting currency that day (reporting_per_unit), the day that rate was published
-- (fx_rate_date) and where it came from (fx_rate_source). Sources are tried in the order of
-- var fx_rate_sources; a source converts a currency when it has rates for both it and the
-- reporting currency (a cross rate through its own base, int_fx_rates_published). Days a
-- source did not publish (weekends, holidays) carry its last rate forward and say so. The one
-- place currency conversion is defined.
{%- set precedence = fx_rate_sources() %}
with

calendar as (

    {{ calendar_days() }}

),

published_rates as (

    select * from {{ ref('int_fx_rates_published') }}

),

rate_periods as (

    select
        fx_rate_source,
        currency_code,
        rate_date,
        units_per_base,
        lead(rate_date) over (
            partition by fx_rate_source, currency_code
            order by rate_date
        ) as next_rate_date
    from published_rates

),

daily_rates as (

    select
        calendar.date_day,
        rate_periods.fx_rate_source,
        rate_periods.currency_code,
        rate_periods.rate_date,
        rate_periods.units_per_base
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
        fx_rate_source,
        rate_date,
        units_per_base
    from daily_rates
    where currency_code = {{ currency_var('reporting_currency') }}

),

cross_rates as (

    select
        daily_rates.date_day,
        daily_rates.currency_code,
        daily_rates.fx_rate_source,
        round(
            reporting_currency_rates.units_per_base / daily_rates.units_per_base, 10
        ) as reporting_per_unit,
        -- the older of the two rates the cross rate is made of
        case
            when daily_rates.rate_date < reporting_currency_rates.rate_date
                then daily_rates.rate_date
            else reporting_currency_rates.rate_date
        end as fx_rate_date,
        case daily_rates.fx_rate_source
            {%- for source in precedence %}
                when '{{ source }}' then {{ loop.index }}
            {%- endfor %}
        end as precedence_rank
    from daily_rates
    inner join reporting_currency_rates
        on
            daily_rates.date_day = reporting_currency_rates.date_day
            and daily_rates.fx_rate_source = reporting_currency_rates.fx_rate_source
    where daily_rates.currency_code != {{ currency_var('reporting_currency') }}

),

first_source as (

    select
        date_day,
        currency_code,
        reporting_per_unit,
        fx_rate_date,
        fx_rate_source,
        row_number() over (
            partition by date_day, currency_code
            order by precedence_rank
        ) as source_rank
    from cross_rates

),

-- the reporting currency converts to itself at exactly 1, whatever the sources say
same_currency as (

    select
        date_day,
        {{ currency_var('reporting_currency') }} as currency_code,
        1 as reporting_per_unit,
        date_day as fx_rate_date,
        'same_currency' as fx_rate_source
    from calendar

),

final as (

    select
        date_day,
        currency_code,
        {{ currency_var('reporting_currency') }} as reporting_currency_code,
        reporting_per_unit,
        fx_rate_date,
        fx_rate_source,
        fx_rate_date < date_day as is_carried_forward
    from first_source
    where source_rank = 1

    union all

    select
        date_day,
        currency_code,
        {{ currency_var('reporting_currency') }} as reporting_currency_code,
        reporting_per_unit,
        fx_rate_date,
        fx_rate_source,
        false as is_carried_forward
    from same_currency

)

select * from final
