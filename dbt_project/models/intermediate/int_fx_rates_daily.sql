{{ config(materialized='table') }}

-- One row per rate scope x day x currency: the factor that turns one unit of the currency into
-- the reporting currency that day (reporting_per_unit), the day that rate took effect
-- (fx_rate_date) and where it came from (fx_rate_source). Scope 'all' converts ad spend and
-- anything else; scope '<crm>' converts that CRM's deals, and may also use its own rates.
-- Sources are tried in the order of var fx_rate_sources ('crm' meaning the scope's CRM); a
-- source converts a currency when it has rates for both it and the reporting currency (a cross
-- rate through its base, int_fx_rates_published). A day the ECB did not publish (weekends,
-- TARGET holidays) uses its last rate and says so. The one place conversion is defined. A table:
-- every converted fact and its tests read it (as a view, each re-derived ~170k rows).
{%- set precedence = fx_rate_sources() %}
{%- set crms = ['hubspot', 'salesforce'] %}
{%- set always = "cast('0001-01-01' as date)" %}
{%- set reporting = currency_var('reporting_currency') %}
{%- set calendar_first_day = "cast('" ~ var('calendar_start') ~ "' as date)" %}
with

calendar as (

    {{ calendar_days() }}

),

published_rates as (

    select * from {{ ref('int_fx_rates_published') }}

),

-- the scopes rates are wanted for: everything, and each enabled CRM's deals
scopes as (

    select 'all' as rate_scope
    {%- for crm in crms if source_enabled(crm) %}
        union all
        select '{{ crm }}' as rate_scope
    {%- endfor %}

),

-- the day each rate starts to count in the calendar: a rate from before its first day counts
-- from that first day, and of several such the latest wins
calendar_rates as (

    select
        fx_rate_source,
        rate_scope,
        currency_code,
        rate_date,
        units_per_base,
        effective_day,
        row_number() over (
            partition by fx_rate_source, currency_code, effective_day
            order by rate_date desc
        ) as rate_rank
    from (
        select
            *,
            greatest(rate_date, {{ calendar_first_day }}) as effective_day
        from published_rates
    ) as dated_rates

),

rate_series as (

    select
        fx_rate_source,
        rate_scope,
        currency_code,
        min(effective_day) as first_day
    from calendar_rates
    where rate_rank = 1
    group by fx_rate_source, rate_scope, currency_code

),

-- every day from a series' first rate on, and each rate on the day it starts to count
series_rows as (

    select
        calendar.date_day,
        rate_series.fx_rate_source,
        rate_series.rate_scope,
        rate_series.currency_code,
        cast(null as date) as rate_date,
        cast(null as numeric) as units_per_base
    from calendar
    inner join rate_series
        on calendar.date_day >= rate_series.first_day

    union all

    select
        effective_day as date_day,
        fx_rate_source,
        rate_scope,
        currency_code,
        rate_date,
        units_per_base
    from calendar_rates
    where rate_rank = 1

),

series_days as (

    select
        date_day,
        fx_rate_source,
        rate_scope,
        currency_code,
        max(rate_date) as rate_date,
        max(units_per_base) as units_per_base
    from series_rows
    group by date_day, fx_rate_source, rate_scope, currency_code

),

-- a day without a rate of its own keeps the latest one: days are numbered into runs that each
-- start at a rate (no joins, so this stays linear in the days x series it returns; a range
-- join over rate periods did not)
numbered_days as (

    select
        *,
        count(rate_date) over (
            partition by fx_rate_source, currency_code
            order by date_day
            rows between unbounded preceding and current row
        ) as rate_run
    from series_days

),

daily_rates as (

    select
        date_day,
        fx_rate_source,
        rate_scope,
        currency_code,
        max(rate_date) over (
            partition by fx_rate_source, currency_code, rate_run
        ) as rate_date,
        max(units_per_base) over (
            partition by fx_rate_source, currency_code, rate_run
        ) as units_per_base
    from numbered_days

),

-- each source's rate for the reporting currency that day beside every other currency's (a window,
-- not a self-join, whose plan the planner's guesses for these rows made quadratic)
beside_reporting_rates as (

    select
        *,
        max(case when currency_code = {{ reporting }} then units_per_base end)
            over (partition by fx_rate_source, date_day) as reporting_units_per_base,
        max(case when currency_code = {{ reporting }} then rate_date end)
            over (partition by fx_rate_source, date_day) as reporting_rate_date
    from daily_rates

),

cross_rates as (

    select
        date_day,
        currency_code,
        fx_rate_source,
        rate_scope,
        round(reporting_units_per_base / units_per_base, 10) as reporting_per_unit,
        -- the older of the two rates the cross rate is made of; a base currency's rate (1 since
        -- 0001-01-01: a CRM's corporate currency, a static rate) dates nothing
        coalesce(
            least(nullif(rate_date, {{ always }}), nullif(reporting_rate_date, {{ always }})),
            {{ always }}
        ) as fx_rate_date,
        case fx_rate_source
            {%- for source in precedence %}
                {%- set rank = loop.index %}
                {%- for name in (crms if source == 'crm' else [source]) %}
                    when '{{ name }}' then {{ rank }}
                {%- endfor %}
            {%- endfor %}
        end as precedence_rank
    from beside_reporting_rates
    where
        currency_code != {{ currency_var('reporting_currency') }}
        and reporting_units_per_base is not null

),

first_source as (

    select
        scopes.rate_scope,
        cross_rates.date_day,
        cross_rates.currency_code,
        cross_rates.reporting_per_unit,
        cross_rates.fx_rate_date,
        cross_rates.fx_rate_source,
        row_number() over (
            partition by scopes.rate_scope, cross_rates.date_day, cross_rates.currency_code
            order by cross_rates.precedence_rank
        ) as source_rank
    from cross_rates
    inner join scopes
        on cross_rates.rate_scope in ('all', scopes.rate_scope)

),

-- the reporting currency converts to itself at exactly 1, whatever the sources say
same_currency as (

    select
        scopes.rate_scope,
        calendar.date_day,
        {{ currency_var('reporting_currency') }} as currency_code,
        1 as reporting_per_unit,
        calendar.date_day as fx_rate_date,
        'same_currency' as fx_rate_source
    from calendar
    cross join scopes

),

chosen_rates as (

    select
        rate_scope,
        date_day,
        currency_code,
        reporting_per_unit,
        fx_rate_date,
        fx_rate_source
    from first_source
    where source_rank = 1

    union all

    select
        rate_scope,
        date_day,
        currency_code,
        reporting_per_unit,
        fx_rate_date,
        fx_rate_source
    from same_currency

),

final as (

    select
        rate_scope,
        date_day,
        currency_code,
        {{ currency_var('reporting_currency') }} as reporting_currency_code,
        reporting_per_unit,
        fx_rate_date,
        fx_rate_source,
        -- the ECB publishes every TARGET day: an older rate was carried over a day without;
        -- CRM and manual rates are in force over their whole range
        fx_rate_source = 'ecb' and fx_rate_date < date_day as is_carried_forward
    from chosen_rates

)

select * from final
