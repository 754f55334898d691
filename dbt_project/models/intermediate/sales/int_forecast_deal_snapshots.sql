{{ config(materialized='table') }}

-- The deals as they stood at the end of each as-of day, for the forecast and its backtest
-- (models/marts/sales/README_forecast.md): as-of days are every Sunday (the end of an ISO week)
-- from the first deal state through the build date (as_of_date()), and the build date itself.
-- One row per as-of day and deal that was open then, or won then with a close date from the
-- as-of day's fiscal quarter on (booked). Only states with valid_from before the end of the
-- as-of day are read, so a row never depends on anything later. Set-based: each state is
-- joined to the as-of days it was in force on (a won state only up to the end of its close
-- date's quarter; lost states not at all).
{%- set build_date = as_of_date() %}
with

states as (

    select * from {{ ref('int_deal_states') }}

),

sales_reps as (

    select * from {{ ref('dim_sales_reps') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_daily') }}

),

-- the start of each run of consecutive states in the same standard stage (an amount, close
-- date or owner change keeps the deal in its stage)
stage_changes as (

    select
        states.*,
        lag(states.standard_stage) over (
            partition by states.deal_key order by states.valid_from
        ) as previous_standard_stage
    from states

),

stage_runs as (

    select
        stage_changes.*,
        {{ to_utc_date('stage_changes.valid_from') }} as span_first_date,
        {{ dbt.dateadd('day', -1, to_utc_date('stage_changes.valid_to')) }} as last_full_day,
        cast(
            {{ fiscal_quarter_start_date('stage_changes.close_date') }}
            + interval '3 months' - interval '1 day' as date
        ) as close_quarter_end,
        sum(
            case
                when
                    stage_changes.previous_standard_stage
                    is distinct from stage_changes.standard_stage
                    then 1
                else 0
            end
        ) over (
            partition by stage_changes.deal_key
            order by stage_changes.valid_from
            rows between unbounded preceding and current row
        ) as stage_run_number
    from stage_changes

),

-- the as-of days a state was in force at the end of (span_first_date..span_last_date):
-- valid_from before the day's end, valid_to (if any) at or after it
state_spans as (

    select
        stage_runs.*,
        min(stage_runs.valid_from) over (
            partition by stage_runs.deal_key, stage_runs.stage_run_number
        ) as run_entered_at,
        case
            when stage_runs.is_closed
                then least(
                        coalesce(stage_runs.last_full_day, {{ build_date }}),
                        stage_runs.close_quarter_end
                    )
            else coalesce(stage_runs.last_full_day, {{ build_date }})
        end as span_last_date
    from stage_runs
    where not stage_runs.is_closed or (stage_runs.is_won and stage_runs.close_date is not null)

),

first_state as (

    select
        min({{ to_utc_date('valid_from') }}) as first_date,
        {{ dbt.dateadd(
            'day',
            "7 - cast(extract(isodow from min(" ~ to_utc_date('valid_from') ~ ")) as integer)",
            'min(' ~ to_utc_date('valid_from') ~ ')'
        ) }} as first_sunday
    from states

),

-- every Sunday from the first state's week through the build date, and the build date
as_of_days as (

    select distinct cast(sundays.as_of_day as date) as as_of_date
    from first_state
    cross join
        lateral generate_series(
            cast(first_state.first_sunday as timestamp),
            cast({{ build_date }} as timestamp),
            interval '7 days'
        ) as sundays (as_of_day)
    union
    select {{ build_date }} as as_of_date
    from first_state
    where first_state.first_date <= {{ build_date }}

),

as_of_periods as (

    select
        as_of_date,
        extract(isodow from as_of_date) = 7 as is_week_end,
        {{ fiscal_quarter_start_date('as_of_date') }} as period_start,
        cast(
            {{ fiscal_quarter_start_date('as_of_date') }} + interval '3 months' - interval '1 day'
            as date
        ) as period_end
    from as_of_days

),

snapshots as (

    select
        as_of_periods.as_of_date,
        as_of_periods.is_week_end,
        as_of_periods.period_start,
        as_of_periods.period_end,
        state_spans.deal_key,
        state_spans.crm,
        state_spans.deal_id,
        state_spans.state_number,
        state_spans.standard_stage,
        state_spans.is_closed,
        state_spans.is_won,
        state_spans.amount,
        state_spans.currency_code,
        state_spans.close_date,
        state_spans.sales_rep_id,
        state_spans.forecast_category,
        state_spans.run_entered_at as stage_entered_at,
        -- a closed deal converts at its close date's rate (as fct_deals does), an open one at
        -- the as-of day's
        case
            when state_spans.is_closed then state_spans.close_date
            else as_of_periods.as_of_date
        end as fx_conversion_date
    from state_spans
    inner join as_of_periods
        on
            as_of_periods.as_of_date between state_spans.span_first_date
            and state_spans.span_last_date
    where
        not state_spans.is_closed
        or state_spans.close_date >= as_of_periods.period_start

),

final as (

    select
        snapshots.as_of_date,
        snapshots.is_week_end,
        snapshots.period_start,
        snapshots.period_end,
        snapshots.deal_key,
        snapshots.crm,
        snapshots.deal_id,
        snapshots.state_number,
        case when snapshots.is_closed then 'booked' else 'open' end as deal_status,
        snapshots.standard_stage,
        snapshots.amount,
        snapshots.currency_code,
        cast(snapshots.amount * fx_rates.reporting_per_unit as numeric(38, 6)) as amount_reporting,
        snapshots.close_date,
        coalesce(snapshots.close_date <= snapshots.period_end, false) as is_close_in_period,
        snapshots.sales_rep_id,
        sales_reps.team_key,
        snapshots.forecast_category,
        snapshots.stage_entered_at,
        {{ dbt.datediff(to_utc_date('snapshots.stage_entered_at'), 'snapshots.as_of_date', 'day') }}
            as days_in_stage,
        {{ forecast_band(
            dbt.datediff(to_utc_date('snapshots.stage_entered_at'), 'snapshots.as_of_date', 'day'),
            'forecast_age_band_days'
        ) }} as age_band,
        {{ forecast_band('snapshots.amount * fx_rates.reporting_per_unit', 'forecast_size_bands') }}
            as size_band,
        {{ forecast_horizon_band('snapshots.as_of_date', 'snapshots.period_end') }}
            as horizon_band
    from snapshots
    left join fx_rates
        on
            snapshots.fx_conversion_date = fx_rates.date_day
            and snapshots.currency_code = fx_rates.currency_code
            and snapshots.crm = fx_rates.rate_scope
    left join sales_reps
        on snapshots.sales_rep_id = sales_reps.sales_rep_id

)

select * from final
