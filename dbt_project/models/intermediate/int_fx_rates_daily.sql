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

rate_periods as (

    select
        fx_rate_source,
        rate_scope,
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
        rate_periods.rate_scope,
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
        daily_rates.rate_scope,
        round(
            reporting_currency_rates.units_per_base / daily_rates.units_per_base, 10
        ) as reporting_per_unit,
        -- the older of the two rates the cross rate is made of; a base currency's rate (1 since
        -- 0001-01-01: a CRM's corporate currency, a static rate) dates nothing
        coalesce(
            least(
                nullif(daily_rates.rate_date, {{ always }}),
                nullif(reporting_currency_rates.rate_date, {{ always }})
            ),
            {{ always }}
        ) as fx_rate_date,
        case daily_rates.fx_rate_source
            {%- for source in precedence %}
                {%- set rank = loop.index %}
                {%- for name in (crms if source == 'crm' else [source]) %}
                    when '{{ name }}' then {{ rank }}
                {%- endfor %}
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
